"""A learned correction of under-resolved plaquette fluxes (issue 23): the ``subcell`` classifier.

Why the FHS lattice sum of a 32 x 32 Haldane bundle sample is wrong in about 28 % of the samples:
the Berry flux through a cell is half the solid angle Omega that n = d / |d| (the Bloch vector,
n = <psi|sigma|psi>) sweeps over the cell, and a lattice method sees only the four corners.  Their
geodesic quadrilateral gives Omega modulo 4 pi, in (-2 pi, 2 pi]; when d passes close to 0 inside
the cell the true Omega is Omega_c - 4 pi m with an integer m != 0 (about 0.5 such cells per sample
here).  Summing, C = -(sum_cells Omega_c) / 4 pi + sum_cells m (PythTB convention), with the first
sum an exact integer c0 (the lattice sum).  This model predicts the m of the cells:

1. candidates: the ``k`` = 32 cells with the largest |Omega_c| (fixed rule; the exact corrections
   of the candidates alone give 0.980 on the test set with k = 16 and 0.989 with k = 32, the
   cells left out hold the rest);
2. per candidate, gauge-invariant features (fixed, no parameters): the Bloch vectors at the 6 x 6
   nodes around the cell, rotated into a frame fixed by the cell's corners (the correction is
   invariant under global rotations of n, so the frame removes three degrees of freedom), the
   coarse Omega_c of the 5 x 5 cells around it, and a sub-cell interpolation of the states: a
   local weighted least-squares fit of d as a polynomial of total degree 6 over the 8 x 8 nodes
   around the cell, Gaussian weights of standard deviation 1.5 cells about its centre, such that
   d x n = 0 at the nodes (a generic smoothness prior, not the generator's trigonometric degree),
   evaluated on a 24 x 24 sub-grid of the cell, whose solid angle gives a refined flux
   (Omega_fit - Omega_c) / 4 pi, and the fit's relative residual.  Rounded, without learning,
   this refined flux alone gives 0.987 on 1,000 test samples (their exact-correction ceiling:
   0.990); unweighted fits are far worse (with 16 candidates on 800 test samples: degree 4 on
   6 x 6 nodes 0.895, degree 6 on 10 x 10 0.86, degree 4 on 8 x 8 0.72, the higher-degree space
   fitting the far nodes at the cell's expense), and of the weighted ones tried (degree 4-8,
   windows 6-10, sigma 1.5-3.5) this was the best (docs/bundle.md);
3. learned: an MLP from these features to logits over m in {-1, 0, 1} per candidate;
4. read-out: the candidates' distributions are convolved (independent cells) into the
   distribution of C = c0 - sum m, whose logarithm over C in -2..2 are the logits.

Training (:func:`train_subcell`): cross-entropy of the logits against the labels plus a dense
cross-entropy of every candidate's m against its exact correction, computed from the
generator's coefficients (:func:`exact_corrections`, like the per-cell charges of
:mod:`.plaquette_targets`).  Every feature is a function of n, so the logits are invariant under
per-point phases psi(x) -> e^{i theta(x)} psi(x) to float precision.  Qt-free, torch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from workbench.seeding import init_children_, preserve_global_rng, torch_generator

from .augment import D4
from .gauge_net import bloch_vector
from .haldane_bundle import DEG

if TYPE_CHECKING:
    from .train import TrainResult

CLASSES = (-2, -1, 0, 1, 2)
#: candidate cells per sample
K_CANDIDATES = 32
#: nodes of a candidate's window (the MLP's input) relative to the cell's first corner: -2..3
#: (the cell is 0..1)
WINDOW, WINDOW_START = 6, -2
#: nodes gathered for the sub-cell fits: -3..4
FIT_WINDOW, FIT_WINDOW_START = 8, -3
#: the local sub-cell fits: (total degree, first node offset, window size, Gaussian weight's
#: standard deviation in cells around the cell's centre, None: unweighted)
FITS: tuple[tuple[int, int, int, float | None], ...] = ((6, -3, 8, 1.5),)
#: sub-cells per side on which a fit is evaluated
FIT_SUBGRID = 24
N_FEATURES = 3 * WINDOW * WINDOW + 25 + 2 * len(FITS)
_IMPOSSIBLE = -1e4


def _solid(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, dim: int) -> torch.Tensor:
    """Signed solid angle of the geodesic triangle of unit vectors a, b, c (Van Oosterom-Strackee)."""
    num = (a * torch.cross(b, c, dim=dim)).sum(dim)
    den = 1 + (a * b).sum(dim) + (b * c).sum(dim) + (c * a).sum(dim)
    return 2 * torch.atan2(num, den)


def cell_solid_angles(n: torch.Tensor) -> torch.Tensor:
    """Solid angle of every cell's corners (two geodesic triangles), wrapped into (-2 pi, 2 pi]:
    (B, 3, N, N) unit vectors -> (B, N, N) steradians (periodic grid)."""
    a, b = n, torch.roll(n, -1, 2)
    c, d = torch.roll(n, (-1, -1), (2, 3)), torch.roll(n, -1, 3)
    om = _solid(a, b, c, 1) + _solid(a, c, d, 1)
    return om - 4 * math.pi * torch.round(om / (4 * math.pi))


def _periodic_windows(x: torch.Tensor, size: int, start: int) -> torch.Tensor:
    """(B, C, N, N) -> (B, C, N * N, size, size): the window of offsets start..start+size-1 of
    every node (periodic)."""
    b, c, n, _ = x.shape
    lo, hi = -start, size + start - 1
    pad = torch.cat([x[:, :, n - lo :], x, x[:, :, :hi]], 2)
    pad = torch.cat([pad[..., n - lo :], pad, pad[..., :hi]], 3)
    return pad.unfold(2, size, 1).unfold(3, size, 1).reshape(b, c, n * n, size, size)


def _canonical_frame(win: torch.Tensor) -> torch.Tensor:
    """Rotate every window (M, 3, W, W) of unit vectors so that the mean of the cell's corners
    points along +z and its first corner lies in the xz half-plane x > 0."""
    s = -WINDOW_START
    z = win[:, :, s : s + 2, s : s + 2].sum((-1, -2))
    z = z / z.norm(dim=1, keepdim=True).clamp_min(1e-12)
    x0 = win[:, :, s, s]
    x = x0 - (x0 * z).sum(1, keepdim=True) * z
    x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    rot = torch.stack([x, torch.cross(z, x, dim=1), z], 1)  # rows: the new axes
    return torch.einsum("mrc,mcuv->mruv", rot, win)


def _monomials(u: torch.Tensor, v: torch.Tensor, deg: int) -> torch.Tensor:
    return torch.stack([u**i * v**j for i in range(deg + 1) for j in range(deg + 1 - i)], -1)


def local_fit_flux(
    win: torch.Tensor, deg: int, first: int, size: int, sigma: float | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sub-cell interpolation of the cell at offsets 0..1 of windows (M, 3, FIT_WINDOW, FIT_WINDOW)
    (nodes from offset FIT_WINDOW_START).

    d is fitted as a vector polynomial of total degree ``deg`` in the cell's coordinates over the
    size x size nodes from offset ``first``: the unit vector minimising sum_i w_i |d(x_i) x n(x_i)|^2
    (the smallest eigenvector of the normal matrix), with w_i = exp(-|x_i - centre|^2 / 2 sigma^2)
    (sigma in cells; all 1 for None: the Gaussian keeps a high degree from fitting the far nodes at
    the expense of the cell), its sign fixed by sum d . n > 0.  Returns the solid angle of the
    fitted n over the cell (sum over a FIT_SUBGRID^2 sub-grid, steradians) and the relative
    residual (smallest / largest eigenvalue), each (M,)."""
    m = win.shape[0]
    i0 = first - FIT_WINDOW_START
    w = win[:, :, i0 : i0 + size, i0 : i0 + size].double()
    off = torch.arange(first, first + size, dtype=torch.float64, device=win.device) - 0.5
    u, v = torch.meshgrid(off, off, indexing="ij")
    u, v = u.reshape(-1), v.reshape(-1)
    p = _monomials(u, v, deg)  # (nodes, P)
    n = w.reshape(m, 3, -1).transpose(1, 2)  # (M, nodes, 3)
    weight = torch.ones_like(u) if sigma is None else torch.exp(-(u**2 + v**2) / (2 * sigma**2))
    pb = (p * weight[:, None].sqrt())[None].expand(m, -1, -1)
    nx, ny, nz = n[..., 0:1], n[..., 1:2], n[..., 2:3]
    zero = torch.zeros_like(pb)
    a = torch.cat(
        [
            torch.cat([zero, pb * nz, -pb * ny], 2),
            torch.cat([-pb * nz, zero, pb * nx], 2),
            torch.cat([pb * ny, -pb * nx, zero], 2),
        ],
        1,
    )
    ev, vec = torch.linalg.eigh(a.transpose(1, 2) @ a)
    c = vec[:, :, 0].reshape(m, 3, p.shape[1])
    dn = torch.einsum("mcp,np,mnc->m", c, p, n)
    c = c * torch.where(dn < 0, -1.0, 1.0).to(c.dtype)[:, None, None]
    t = torch.linspace(0, 1, FIT_SUBGRID + 1, dtype=torch.float64, device=win.device) - 0.5
    su, sv = torch.meshgrid(t, t, indexing="ij")
    q = _monomials(su.reshape(-1), sv.reshape(-1), deg)
    d = torch.einsum("mcp,qp->mqc", c, q).reshape(m, FIT_SUBGRID + 1, FIT_SUBGRID + 1, 3)
    d = d / d.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    a0, b0, c0, d0 = d[:, :-1, :-1], d[:, 1:, :-1], d[:, 1:, 1:], d[:, :-1, 1:]
    om = (_solid(a0, b0, c0, -1) + _solid(a0, c0, d0, -1)).sum((-1, -2))
    return om, ev[:, 0] / ev[:, -1].clamp_min(1e-300)


def candidate_parts(psi: torch.Tensor, k: int = K_CANDIDATES) -> tuple[torch.Tensor, ...]:
    """The fixed (parameter-free) part of the model for samples psi (B, 2, N, N) complex, before
    the canonical frame: (windows (B, k, 3, 6, 6) of n, the coarse Omega / pi of the 5 x 5 cells
    around each candidate (B, k, 5, 5), the fits' refined fluxes and residuals (B, k, 2 * len(FITS)),
    c0 (B,) the lattice sum as an integer-valued float, idx (B, k) the candidates' flat indices
    i * N + j)."""
    if psi.ndim != 4 or psi.shape[1] != 2 or psi.shape[2] != psi.shape[3]:
        raise ValueError(f"samples must have shape (B, 2, N, N), got {tuple(psi.shape)}")
    b, _, n_grid, _ = psi.shape
    if n_grid < FIT_WINDOW or n_grid * n_grid < k:
        raise ValueError(
            f"a {n_grid} x {n_grid} grid is too small for {k} candidate cells and {FIT_WINDOW} x {FIT_WINDOW} windows"
        )
    n = bloch_vector(psi.to(torch.complex128)).double()
    om = cell_solid_angles(n)
    c0 = torch.round(-om.sum((1, 2)) / (4 * math.pi))
    idx = torch.topk(om.abs().reshape(b, -1), k, dim=1).indices
    fw = _periodic_windows(n, FIT_WINDOW, FIT_WINDOW_START)
    fw = torch.gather(fw, 2, idx[:, None, :, None, None].expand(b, 3, k, FIT_WINDOW, FIT_WINDOW))
    fw = fw.permute(0, 2, 1, 3, 4).reshape(b * k, 3, FIT_WINDOW, FIT_WINDOW)
    i0 = WINDOW_START - FIT_WINDOW_START
    win = fw[:, :, i0 : i0 + WINDOW, i0 : i0 + WINDOW]
    ow = _periodic_windows(om[:, None], 5, -2)[:, 0]
    ow = torch.gather(ow, 1, idx[:, :, None, None].expand(b, k, 5, 5))
    oc = ow.reshape(b * k, 25)[:, 12]
    fits = []
    for deg, first, size, sigma in FITS:
        # in chunks of 512 cells: the normal equations of a chunk (degree 6) take about 100 MB
        parts = [local_fit_flux(fw[s : s + 512], deg, first, size, sigma) for s in range(0, len(fw), 512)]
        of, res = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
        fits += [((of - oc) / (4 * math.pi))[:, None], torch.log10(res.clamp_min(1e-30))[:, None] / 10]
    return (
        win.float().reshape(b, k, 3, WINDOW, WINDOW),
        (ow / math.pi).float(),
        torch.cat(fits, 1).float().reshape(b, k, -1),
        c0.float(),
        idx,
    )


def assemble(win: torch.Tensor, ow: torch.Tensor, fits: torch.Tensor) -> torch.Tensor:
    """The MLP's input (B, k, N_FEATURES): the windows in their canonical frame, ow, fits."""
    b, k = win.shape[:2]
    canon = _canonical_frame(win.reshape(b * k, 3, WINDOW, WINDOW)).reshape(b, k, -1)
    return torch.cat([canon, ow.reshape(b, k, 25), fits], 2)


def symmetry_transform(
    parts: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    element: tuple[bool, bool, bool],
    antipodal: bool,
) -> tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], int]:
    """The candidates' (windows, ow, fits) of the samples moved by a D4 element of the lattice
    (:data:`.augment.D4`: transpose, flip axis 1, flip axis 2; the windows and 5 x 5 cell blocks are
    centred on the cell, so these are plain flips) and optionally n -> -n; returns them and the
    sign s by which Omega, m and C change (-1 for a reflection, -1 for n -> -n)."""
    win, ow, fits = parts
    t, f1, f2 = element
    if t:
        win, ow = win.transpose(-1, -2), ow.transpose(-1, -2)
    if f1:
        win, ow = win.flip(-2), ow.flip(-2)
    if f2:
        win, ow = win.flip(-1), ow.flip(-1)
    sign = -1 if (t + f1 + f2) % 2 else 1
    if antipodal:
        win, sign = -win, -sign
    fits = fits.clone()
    fits[..., 0::2] *= sign
    return (win, sign * ow, fits), sign


def candidate_features(psi: torch.Tensor, k: int = K_CANDIDATES) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(features (B, k, N_FEATURES) float32, c0 (B,), idx (B, k)) of samples psi (B, 2, N, N):
    :func:`candidate_parts` assembled by :func:`assemble`."""
    win, ow, fits, c0, idx = candidate_parts(psi, k)
    return assemble(win, ow, fits), c0, idx


def chern_log_probs(c0: torch.Tensor, corr_logits: torch.Tensor) -> torch.Tensor:
    """log P(C = c) for c in -2..2 (B, 5) from the lattice sums c0 (B,) and the candidates'
    logits (B, k, 3) over m = -1, 0, 1 (C = c0 - sum m; candidates independent)."""
    b, k, _ = corr_logits.shape
    logp = torch.log_softmax(corr_logits.double(), -1)
    # dist[:, j]: log P(sum m = j - k - 1); "impossible" is a finite -1e4 (an all -inf
    # logsumexp has a NaN gradient)
    dist = torch.full((b, 2 * k + 3), _IMPOSSIBLE, dtype=torch.float64, device=corr_logits.device)
    dist[:, k + 1] = 0.0
    for i in range(k):
        lp = logp[:, i]
        shifted = torch.stack(
            [
                torch.nn.functional.pad(dist[:, 1:], (0, 1), value=_IMPOSSIBLE) + lp[:, 0:1],  # m = -1
                dist + lp[:, 1:2],
                torch.nn.functional.pad(dist[:, :-1], (1, 0), value=_IMPOSSIBLE) + lp[:, 2:3],  # m = +1
            ]
        )
        dist = torch.logsumexp(shifted, 0)
    ks = torch.tensor(CLASSES, dtype=torch.float64, device=corr_logits.device)
    j = (c0.double()[:, None] - ks[None] + k + 1).long()  # sum m = c0 - C
    valid = (j >= 0) & (j < dist.shape[1])
    out = torch.gather(dist, 1, j.clamp(0, dist.shape[1] - 1))
    out = torch.where(valid, out, torch.full_like(out, _IMPOSSIBLE))
    return out.clamp_min(-80.0).float()


class SubcellClassifier(nn.Module):
    """Lattice sum plus learned 4 pi corrections of the under-resolved cells (module docstring)."""

    @preserve_global_rng()  # the constructor's own default draws leave torch's generator as it was
    def __init__(self, grid: int = 32, hidden: int = 128, k: int = K_CANDIDATES) -> None:
        super().__init__()
        # a copy of torch's process-wide generator, taken before any default draw: after
        # torch.manual_seed(s) the constructor's weights are those of init_module_(model,
        # torch_generator(s)), as for the project's other models (tests/shell/test_reproducible.py)
        start = torch.Generator()
        start.set_state(torch.get_rng_state())
        self.grid, self.k = grid, k
        self.net = nn.Sequential(
            nn.Linear(N_FEATURES, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 3)
        )
        self.init_parameters_(start)

    def init_parameters_(self, generator: torch.Generator) -> None:
        """torch's default init from ``generator``, then the last layer's bias favouring m = 0."""
        init_children_(self.net, generator)
        last = self.net[-1]
        assert isinstance(last, nn.Linear)
        with torch.no_grad():
            last.bias.copy_(torch.tensor([-3.0, 3.0, -3.0]))

    def correction_logits(self, feats: torch.Tensor) -> torch.Tensor:
        """Logits (B, k, 3) over m = -1, 0, 1 of the candidates from their features."""
        return self.net(feats)

    def forward(self, psi: torch.Tensor) -> torch.Tensor:
        feats, c0, _ = candidate_features(psi, self.k)
        return chern_log_probs(c0, self.correction_logits(feats))


def exact_corrections(coef_f: np.ndarray, coef_g: np.ndarray, idx: np.ndarray, grid: int, r: int = 16) -> np.ndarray:
    """The exact m (B, k) of candidate cells idx (B, k) of Haldane pairs (coefficients as in
    :mod:`.haldane_bundle`): the solid angle of d / |d| over the cell on an r x r sub-grid evaluated
    from the coefficients, minus the corners' wrapped Omega_c, over 4 pi, rounded (the dense
    training target; PythTB sign, C = c0 - sum m)."""
    cf = np.asarray(coef_f, dtype=np.complex128)
    h = np.asarray(coef_g, dtype=np.float64)
    h = h[:, 0] - 1j * h[:, 1]
    fr = np.arange(-DEG, DEG + 1)
    i, j = idx // grid, idx % grid
    t = np.arange(r + 1) / r
    ex = np.exp(2j * np.pi * ((i[..., None] + t) / grid)[..., None] * fr)  # (B, k, r+1, 9)
    ey = np.exp(2j * np.pi * ((j[..., None] + t) / grid)[..., None] * fr)
    f = np.einsum("bkua,bac,bkvc->bkuv", ex, cf, ey)
    g = np.einsum("bkua,bac,bkvc->bkuv", ex, h, ey).real
    d = torch.from_numpy(np.stack([f.real, f.imag, g], -1))
    d = d / d.norm(dim=-1, keepdim=True)
    a0, b0, c0, d0 = d[:, :, :-1, :-1], d[:, :, 1:, :-1], d[:, :, 1:, 1:], d[:, :, :-1, 1:]
    true = (_solid(a0, b0, c0, -1) + _solid(a0, c0, d0, -1)).sum((-1, -2))
    # the corners' wrapped solid angle, from the same corner values
    corner = torch.stack([d[:, :, 0, 0], d[:, :, -1, 0], d[:, :, -1, -1], d[:, :, 0, -1]], 2)
    oc = _solid(corner[:, :, 0], corner[:, :, 1], corner[:, :, 2], -1)
    oc = oc + _solid(corner[:, :, 0], corner[:, :, 2], corner[:, :, 3], -1)
    oc = oc - 4 * math.pi * torch.round(oc / (4 * math.pi))
    return torch.round((true - oc) / (4 * math.pi)).long().numpy()


def parts_in_batches(
    psi: np.ndarray,
    batch: int = 250,
    progress: Callable[[float, str], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
) -> tuple[torch.Tensor, ...]:
    """:func:`candidate_parts` of samples (S, 2, N, N) in batches."""
    out = []
    for s in range(0, len(psi), batch):
        if check_cancelled is not None:
            check_cancelled()
        out.append(candidate_parts(torch.from_numpy(np.ascontiguousarray(psi[s : s + batch]))))
        if progress is not None:
            progress(min(1.0, (s + batch) / len(psi)), f"sub-cell features {min(s + batch, len(psi))}/{len(psi)}")
    return tuple(torch.cat(z) for z in zip(*out, strict=True))


def train_subcell(
    psi_train: np.ndarray,
    y_train: np.ndarray,
    coef_f: np.ndarray,
    coef_g: np.ndarray,
    psi_test: np.ndarray,
    y_test: np.ndarray,
    epochs: int = 30,
    lr: float = 2e-3,
    batch_size: int = 64,
    seed: int = 0,
    dense_weight: float = 1.0,
    augment: bool = True,
    progress: Callable[[float, str], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
    hidden: int = 128,
) -> TrainResult:
    """Train a :class:`SubcellClassifier` (cross-entropy on C plus ``dense_weight`` times the
    candidates' cross-entropy against :func:`exact_corrections`); the fixed features are computed
    once; with ``augment`` every minibatch is moved by a random D4 element and n -> -n or not
    (:func:`symmetry_transform`).  Returns a :class:`.train.TrainResult` (test metrics from the full forward pass)."""
    from .train import TrainResult, confusion_matrix, predict

    if len(psi_train) == 0 or len(psi_train) != len(y_train) or len(coef_f) != len(y_train):
        raise ValueError("training samples, labels and coefficients must be non-empty and of one length")
    if np.any(np.abs(y_train) > 2):
        raise ValueError("training labels must be in -2..2")
    t0 = time.perf_counter()
    grid = int(psi_train.shape[-1])
    model = SubcellClassifier(grid, hidden)
    model.init_parameters_(torch_generator(seed))
    win, ow, fits, c0, idx = parts_in_batches(psi_train, progress=progress, check_cancelled=check_cancelled)
    m = torch.from_numpy(exact_corrections(coef_f, coef_g, idx.numpy(), grid)).clamp(-1, 1)
    y = torch.from_numpy(np.asarray(y_train, dtype=np.int64)) + 2
    gen = torch_generator(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, epochs))
    history = []
    for epoch in range(epochs):
        perm = torch.randperm(len(y), generator=gen)
        loss_sum, correct = 0.0, 0
        for s in range(0, len(y), batch_size):
            if check_cancelled is not None:
                check_cancelled()
            b = perm[s : s + batch_size]
            parts: tuple[torch.Tensor, torch.Tensor, torch.Tensor] = (win[b], ow[b], fits[b])
            sign = 1
            if augment:
                element = D4[int(torch.randint(len(D4), (1,), generator=gen))]
                parts, sign = symmetry_transform(parts, element, bool(torch.randint(2, (1,), generator=gen)))
            logits = model.correction_logits(assemble(*parts))
            logp = chern_log_probs(sign * c0[b], logits)
            yb = sign * (y[b] - 2) + 2
            loss = torch.nn.functional.cross_entropy(logp, yb)
            target = (sign * m[b] + 1).reshape(-1)
            loss = loss + dense_weight * torch.nn.functional.cross_entropy(logits.reshape(-1, 3), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(b)
            correct += int((logp.argmax(1) == yb).sum())
        sched.step()
        history.append({"epoch": epoch + 1, "loss": loss_sum / len(y), "train_accuracy": correct / len(y)})
        if progress is not None:
            progress((epoch + 1) / epochs, f"subcell epoch {epoch + 1}/{epochs} train accuracy {correct / len(y):.3f}")
    model.eval()
    pred = predict(model, psi_test) if len(y_test) else np.zeros(0, dtype=np.int64)
    acc = float(np.mean(pred == y_test)) if len(y_test) else float("nan")
    if history:
        history[-1]["test_accuracy"] = acc
    return TrainResult(
        model=model,
        arch="subcell",
        grid=grid,
        hidden=hidden,
        history=history,
        test_accuracy=acc,
        confusion=confusion_matrix(np.asarray(y_test), pred),
        seconds=time.perf_counter() - t0,
    )
