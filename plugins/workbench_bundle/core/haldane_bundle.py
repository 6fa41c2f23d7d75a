"""The Haldane bundle dataset (Tipton et al., "Haldane Bundles: A Dataset for Learning to
Predict the Chern Number of Line Bundles on the Torus", arXiv:2312.04600).

A Haldane pair is a complex Fourier polynomial F and a real one G on the torus
x, y in [0, 1) (one period = 2 pi in the reduced coordinates k = 2 pi x):

    F(x, y) = sum_{a, b} f_ab exp(2 pi i (a x + b y)),
    G(x, y) = sum_{a, b} g^c_ab cos(2 pi (a x + b y)) + g^s_ab sin(2 pi (a x + b y)),

with frequencies a, b in -4..4 (coefficient arrays 9 x 9, index j <-> frequency j - 4, as in
the authors' code).  The line bundle L is the span of the section

    psi = [G + sqrt(G^2 + |F|^2), F],

which is the upper eigenline of H = Re F sigma_x + Im F sigma_y + G sigma_z.  psi vanishes
exactly at the zeros of F where G < 0; by Stokes' theorem the first Chern number of L in the
PythTB convention (A = i <u|grad u>) is the sum of the winding numbers of F around those zeros,
which is how labels are computed here: from the coefficients, not from the coarse sample grid
(:func:`chern_labels`).  The paper's random pairs: F has 2..6 non-zero integer coefficients in
-8..8 at random positions, G has 1..6 (each a cos or a sin term).  (The authors divide F and G by
2 pi; a common positive factor does not change psi / |psi|, so it is omitted.)

Samples are psi / |psi| on an N x N grid (x_i = i / N), shape (2, N, N) complex.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.seeding import check_seed

DEG = 4  # frequencies -DEG..DEG
D = 2 * DEG + 1  # coefficient array side
CLASSES = (-2, -1, 0, 1, 2)
VARIANTS = ("random", "simple", "intermediate")
FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------------
# evaluation


def _exp_table(n: int, dtype=np.complex128) -> np.ndarray:
    """E[i, a] = exp(2 pi i (a - 4) i / n), shape (n, 9)."""
    x = np.arange(n) / n
    return np.exp(2j * np.pi * np.outer(x, np.arange(-DEG, DEG + 1))).astype(dtype)


def evaluate_f(coef_f: np.ndarray, n: int, dtype=np.complex128) -> np.ndarray:
    """F on the n x n grid x_i = i / n for a batch: E C E^T (separable, exact), shape (B, n, n)."""
    e = _exp_table(n, dtype)
    c = np.asarray(coef_f).reshape(-1, D, D).astype(dtype)
    return np.matmul(np.matmul(e, c), e.T)


def evaluate_fg(coef_f: np.ndarray, coef_g: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """F (complex) and G (real) of a batch on the n x n grid x_i = i / n, shapes (B, n, n).

    coef_f: (B, 9, 9) complex; coef_g: (B, 2, 9, 9) real (cos, sin).  Exact: a separable sum
    E C E^T with E[i, a] = exp(2 pi i (a - 4) i / n) (G = Re of the same with C = g_cos - i g_sin).
    """
    coef_f = np.asarray(coef_f, dtype=np.complex128).reshape(-1, D, D)
    coef_g = np.asarray(coef_g, dtype=np.float64).reshape(-1, 2, D, D)
    h = coef_g[:, 0] - 1j * coef_g[:, 1]  # G = Re sum h_ab e^{2 pi i (a x + b y)}
    return evaluate_f(coef_f, n), evaluate_f(h, n).real


def section(f: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised psi = [R, F] / |.| with R = G + sqrt(G^2 + |F|^2), and |psi| before normalising.

    R is computed as |F|^2 / (sqrt(G^2 + |F|^2) - G) where G < 0 to avoid cancellation.
    Returns (psi (..., 2) complex, norm (...) real); where norm is 0 psi is set to nan.
    """
    f2 = f.real**2 + f.imag**2
    s = np.sqrt(g * g + f2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(g >= 0, g + s, f2 / (s - g))
    r = np.where(np.isfinite(r), r, 0.0)
    norm = np.sqrt(r * r + f2)
    psi = np.empty(f.shape + (2,), dtype=np.complex128)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / norm
        psi[..., 0] = r * inv
        psi[..., 1] = f * inv
    return psi, norm


# ---------------------------------------------------------------------------------------------
# exact labels


@dataclass
class LabelResult:
    """Labels of a batch with diagnostics.

    labels:     (B,) int Chern numbers (sum of windings of F at its zeros with G < 0).
    ok:         (B,) bool; False for degenerate or unresolved samples (label then meaningless).
    reason:     (B,) str: "" or why the sample was rejected.
    grid:       (B,) the winding grid that resolved each sample.
    """

    labels: np.ndarray
    ok: np.ndarray
    reason: np.ndarray
    grid: np.ndarray


#: irrational offset of the winding grid (x_i = (i + OFFSET) / n), so that zeros at rational
#: points (common with integer coefficients) never sit on a grid node
OFFSET = (np.sqrt(5.0) - 1.0) / 2.0 * 0.5
MAX_ZEROS = 128


def cell_windings(f: np.ndarray) -> np.ndarray:
    """Winding of arg P around every cell of a periodic grid (B, n, n): the sum of the phase
    steps along the four edges, each wrapped into [-pi, pi), divided by 2 pi."""
    ph = np.angle(f)
    ph = np.concatenate([ph, ph[:, :1]], axis=1)
    ph = np.concatenate([ph, ph[:, :, :1]], axis=2)  # periodic padding, (B, n+1, n+1)
    two_pi = np.float32(2 * np.pi) if ph.dtype == np.float32 else 2 * np.pi
    d1 = np.diff(ph, axis=1)  # edge (i, j) -> (i + 1, j)
    d1 -= two_pi * np.rint(d1 / two_pi)
    d2 = np.diff(ph, axis=2)  # edge (i, j) -> (i, j + 1)
    d2 -= two_pi * np.rint(d2 / two_pi)
    w = d1[:, :, :-1] + d2[:, 1:, :] - d1[:, :, 1:] - d2[:, :-1, :]
    return np.rint(w / two_pi).astype(np.int8)


def _fourier_powers(x: np.ndarray) -> np.ndarray:
    """exp(2 pi i a x) for a = -4..4, shape (P, 9), by repeated multiplication (one exp per point)."""
    z = np.exp(2j * np.pi * x)
    out = np.empty(x.shape + (D,), dtype=np.complex128)
    out[:, DEG] = 1.0
    for a in range(1, DEG + 1):
        out[:, DEG + a] = out[:, DEG + a - 1] * z
        out[:, DEG - a] = np.conj(out[:, DEG + a])
    return out


def _eval_at(coef: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(x, y) = sum c_ab e^{2 pi i (a x + b y)} and its x, y derivatives at points (P,), with
    per-point coefficients coef (P, 9, 9)."""
    freq = np.arange(-DEG, DEG + 1)
    w = 2j * np.pi * freq
    ex = _fourier_powers(x)
    ey = _fourier_powers(y)
    t = np.matmul(coef, np.stack([ey, ey * w], axis=-1))  # (P, 9, 2): sum_b c_ab e_b(y), its y derivative
    v = (ex * t[..., 0]).sum(-1)
    vx = (ex * w * t[..., 0]).sum(-1)
    vy = (ex * t[..., 1]).sum(-1)
    return v, vx, vy


def _newton_zeros(coef: np.ndarray, x: np.ndarray, y: np.ndarray, iters: int = 6) -> tuple[np.ndarray, ...]:
    """Refine zeros of P (as a map R^2 -> R^2) from starting points (P,), coefficients (P, 9, 9),
    by damped Newton steps (at most 0.02 per step, so each stays with its own zero)."""
    for _ in range(iters):
        f, fx, fy = _eval_at(coef, x, y)
        a, b, c, d = fx.real, fy.real, fx.imag, fy.imag  # J = [[a, b], [c, d]]
        det = a * d - b * c
        det = np.where(np.abs(det) < 1e-300, 1e-300, det)
        dx = -(d * f.real - b * f.imag) / det
        dy = -(-c * f.real + a * f.imag) / det
        step = np.hypot(dx, dy)
        scale = np.where(step > 0.02, 0.02 / np.maximum(step, 1e-300), 1.0)
        x = x + dx * scale
        y = y + dy * scale
    f, fx, fy = _eval_at(coef, x, y)
    return x, y, f, fx, fy


def coefficient_scale(coef_f: np.ndarray, coef_g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sum |f_ab| and sum |g_ab| per sample (bounds of max |F| and max |G|)."""
    return np.abs(coef_f).reshape(len(coef_f), -1).sum(1), np.abs(coef_g).reshape(len(coef_g), -1).sum(1)


def _flip(c: np.ndarray) -> np.ndarray:
    """c_{-a,-b} (frequency reversal) of (B, 9, 9) coefficients."""
    return c[:, ::-1, ::-1]


def _real_part_coefs(c: np.ndarray) -> np.ndarray:
    """Coefficients of Re P as a complex trig polynomial: (c + conj c_{-a,-b}) / 2."""
    return (c + np.conj(_flip(c))) / 2


def _imag_part_coefs(c: np.ndarray) -> np.ndarray:
    """Coefficients of Im P: (c - conj c_{-a,-b}) / 2i."""
    return (c - np.conj(_flip(c))) / 2j


def _offset_table(n: int, dtype) -> np.ndarray:
    x = (np.arange(n) + OFFSET) / n
    return np.exp(2j * np.pi * np.outer(x, np.arange(-DEG, DEG + 1))).astype(dtype)


def _signed_preimages(
    coef_p: np.ndarray,
    coef_s: np.ndarray,
    n: int,
    scale: np.ndarray,
    s_tol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """For each sample: the sum of windings of P at its zeros where S < 0, on an offset n x n grid.

    coef_p: (B, 9, 9) coefficients of P; coef_s: (B, 9, 9) coefficients of the real S (as a full
    complex trig polynomial).  Cells with a non-zero winding contain zeros of P.  Each zero is
    refined by Newton's method on the analytic P and checked (converged, stayed near its cell,
    winding = sign det DP); S is evaluated there exactly.
    Returns (value, status): status 0 = ok, 1 = unresolved on this grid (retry finer),
    2 = degenerate (P and S vanish together)."""
    b = coef_p.shape[0]
    e = _offset_table(n, np.complex64)
    et = np.ascontiguousarray(e.T)
    pv = (np.matmul(e, coef_p.astype(np.complex64)).reshape(-1, D) @ et).reshape(b, n, n)
    w = cell_windings(pv)
    del pv
    counts = np.count_nonzero(w.reshape(b, -1), axis=1)
    status = np.zeros(b, dtype=np.int64)
    status[counts > MAX_ZEROS] = 1  # more than Bernstein's bound: non-isolated zeros
    w[counts > MAX_ZEROS] = 0
    loc, ci, cj = np.nonzero(w)
    wins = w[loc, ci, cj].astype(np.int64)
    x0 = (ci + OFFSET + 0.5) / n
    y0 = (cj + OFFSET + 0.5) / n
    s_at = np.zeros(loc.size)
    if loc.size:
        cp = coef_p[loc]
        x, y, pz, px, py = _newton_zeros(cp, x0, y0)
        s_at = _eval_at(coef_s[loc], x, y)[0].real
        jac = px.real * py.imag - py.real * px.imag
        moved = np.maximum(np.abs((x - x0 + 0.5) % 1.0 - 0.5), np.abs((y - y0 + 0.5) % 1.0 - 0.5))
        pscale = np.abs(coef_p).reshape(b, -1).sum(1)[loc]
        bad = (np.abs(pz) > 1e-7 * pscale) | (moved > 1.5 / n) | (np.sign(jac) != wins)
        status_bad = np.bincount(loc, weights=bad, minlength=b) > 0
        status[status_bad & (status == 0)] = 1
        deg = np.bincount(loc, weights=(np.abs(s_at) < s_tol * scale[loc]) & ~bad, minlength=b) > 0
        status[deg & (status == 0)] = 2
    not_simple = np.bincount(loc, weights=np.abs(wins) != 1, minlength=b) > 0
    total = np.bincount(loc, weights=wins, minlength=b)
    status[(not_simple | (total != 0)) & (status == 0)] = 1
    value = np.rint(np.bincount(loc, weights=wins * (s_at < 0), minlength=b)).astype(np.int64)
    return value, status


def locate_zeros(coef_f: np.ndarray, coef_g: np.ndarray, n: int = 128) -> np.ndarray:
    """Zeros of F of one sample (for display): (Z, 4) array of x, y in [0, 1), winding, G there."""
    cf = np.asarray(coef_f, dtype=np.complex128).reshape(1, D, D)
    cg = np.asarray(coef_g, dtype=np.float64).reshape(1, 2, D, D)
    e = _offset_table(n, np.complex128)
    f = e @ cf[0] @ e.T
    w = cell_windings(f[None])[0]
    ci, cj = np.nonzero(w)
    if ci.size == 0 or ci.size > 4 * MAX_ZEROS:
        return np.zeros((0, 4))
    x0 = (ci + OFFSET + 0.5) / n
    y0 = (cj + OFFSET + 0.5) / n
    x, y, _, _, _ = _newton_zeros(np.repeat(cf, ci.size, 0), x0, y0)
    h = _real_part_coefs(cg[:, 0] - 1j * cg[:, 1])
    g = _eval_at(np.repeat(h, ci.size, 0), x, y)[0].real
    return np.column_stack([x % 1.0, y % 1.0, w[ci, cj], g])


def chern_labels(
    coef_f: np.ndarray,
    coef_g: np.ndarray,
    grid: int = 64,
    max_grid: int = 128,
    g_tol: float = 1e-6,
    chunk: int = 512,
    cross_check: bool = False,
) -> LabelResult:
    """Exact Chern labels from the coefficients: c1(L) = sum of windings of F at zeros where G < 0.

    c1(L) is minus the degree of d / |d|, d = (Re F, Im F, G), and a degree can be counted at any
    regular value: at the south pole (zeros of F with G < 0, each with its winding: c1 = sum w_F)
    or, as an independent check (``cross_check``), at the +x pole (zeros of K = Im F + i G with
    Re F > 0: c1 = -sum w_K).

    Zeros are located by the winding of the phase around every cell of an n x n grid offset by an
    irrational fraction of a cell (integer coefficients put zeros at rational points, which must
    not sit on grid nodes); each zero is refined by Newton's method on the analytic polynomial
    and the other function is evaluated there exactly.  Checks: windings +-1 equal to
    sign det DF, summing to 0 over the torus, Newton converged, zeros distinct; a sample
    failing one (or whose two counts disagree) is redone on a grid twice as fine, up to
    ``max_grid``.  Rejected (ok False): F or G identically zero, F and G vanishing together
    (psi = 0), or unresolved at ``max_grid`` (non-isolated or multiple zeros).
    """
    coef_f = np.asarray(coef_f, dtype=np.complex128).reshape(-1, D, D)
    coef_g = np.asarray(coef_g, dtype=np.float64).reshape(-1, 2, D, D)
    b = coef_f.shape[0]
    h = coef_g[:, 0] - 1j * coef_g[:, 1]  # G = Re sum h e
    g_full = _real_part_coefs(h)  # G as a full trig polynomial
    sf = np.abs(coef_f).reshape(b, -1).sum(1)
    sg = np.abs(g_full).reshape(b, -1).sum(1)
    labels = np.zeros(b, dtype=np.int64)
    ok = np.ones(b, dtype=bool)
    reason = np.array([""] * b, dtype=object)
    used = np.full(b, grid, dtype=np.int64)
    dead_f, dead_g = sf < 1e-12, sg < 1e-12
    ok[dead_f] = False
    reason[dead_f] = "F identically 0"
    ok[dead_g & ~dead_f] = False
    reason[dead_g & ~dead_f] = "G identically 0"
    todo = np.flatnonzero(ok)
    n = grid
    while todo.size:
        retry: list[np.ndarray] = []
        for start in range(0, todo.size, chunk):
            part = todo[start : start + chunk]
            v1, st1 = _signed_preimages(coef_f[part], g_full[part], n, sg[part], g_tol)
            agree = np.ones(part.size, dtype=bool)
            st2 = np.zeros(part.size, dtype=np.int64)
            if cross_check:
                k_full = _imag_part_coefs(coef_f[part]) + 1j * g_full[part]
                v2, st2 = _signed_preimages(k_full, -_real_part_coefs(coef_f[part]), n, sf[part], g_tol)
                agree = v1 == -v2
            used[part] = n
            degen = st1 == 2
            good = (st1 == 0) & (st2 == 0) & agree
            ok[part[degen]] = False
            reason[part[degen]] = "F and G vanish together (psi = 0: degenerate bundle)"
            labels[part[good]] = v1[good]
            rest = part[~good & ~degen]
            if n * 2 <= max_grid:
                retry.append(rest)
            else:
                ok[rest] = False
                reason[rest] = f"zeros not resolved on a {n} x {n} grid (non-isolated or multiple zeros)"
        todo = np.concatenate(retry) if retry else np.zeros(0, dtype=np.int64)
        n *= 2
    return LabelResult(labels=labels, ok=ok, reason=reason, grid=used)


def label_by_integration(coef_f: np.ndarray, coef_g: np.ndarray, n: int = 400) -> int:
    """Chern number of one sample by a numerical integral of the Berry curvature (the paper's kind
    of label computation; the benchmark anchor): curvature from finite differences of the
    normalised section on an n x n grid, F = -2 Im <d_x u|d_y u>, integrated with the midpoint rule.
    Slow and only approximately integral; :func:`chern_labels` is the exact method."""
    f, g = evaluate_fg(coef_f[None], coef_g[None], n)
    psi, _ = section(f[0], g[0])
    h = 1.0 / n

    # central differences of u with a smooth local gauge: fix the phase of each neighbour to u
    def fixed(shift: int, axis: int) -> np.ndarray:
        v = np.roll(psi, shift, axis=axis)
        ov = (psi.conj() * v).sum(-1, keepdims=True)
        return v * np.exp(-1j * np.angle(ov))

    dux = (fixed(-1, 0) - fixed(1, 0)) / (2 * h)
    duy = (fixed(-1, 1) - fixed(1, 1)) / (2 * h)
    curv = -2 * np.imag((dux.conj() * duy).sum(-1))
    return int(np.rint(curv.sum() * h * h / (2 * np.pi)))


# ---------------------------------------------------------------------------------------------
# random pairs and the fixed families of the paper


def random_coefficients(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The paper's random pairs: F with N ~ U{2..6} integer coefficients in -8..8 at uniformly
    random positions of the 9 x 9 frequency box (later ones overwrite), G with M ~ U{1..6}
    coefficients, each on cos or sin with probability 1/2."""
    cf = np.zeros((count, D, D), dtype=np.complex128)
    cg = np.zeros((count, 2, D, D), dtype=np.float64)
    nf = rng.integers(2, 7, size=count)
    ng = rng.integers(1, 7, size=count)
    for t in range(6):
        sel = np.flatnonzero(nf > t)
        j, m = rng.integers(0, D, size=(2, sel.size))
        cf[sel, j, m] = rng.integers(-8, 9, size=sel.size)
        sel = np.flatnonzero(ng > t)
        j, m = rng.integers(0, D, size=(2, sel.size))
        p = rng.integers(0, 2, size=sel.size)
        cg[sel, p, j, m] = rng.integers(-8, 9, size=sel.size)
    return cf, cg


def _sparse_f(entries: list[tuple[int, int, float]]) -> np.ndarray:
    c = np.zeros((D, D), dtype=np.complex128)
    for j, m, v in entries:
        c[j, m] = v
    return c


# Fixed pairs of the authors' "intermediate" family (coefficient positions and values from their
# generation script): F entries (row, col, value); G entries (0 = cos | 1 = sin, row, col, value or
# the swept parameter name t1/t2/t3); step 6/10 over [-3, 3) for three sweeps, 6/32 for two.
_INTERMEDIATE = [
    ([(0, 6, -4), (4, 7, 8), (4, 8, 4), (6, 2, -2)], [(1, 6, 2, "t1"), (1, 6, 6, "t2"), (1, 7, 4, "t3")]),
    (
        [(1, 3, 5), (1, 6, -5), (1, 7, -2), (3, 5, -1), (8, 3, 5)],
        [(1, 2, 5, 8), (1, 3, 8, -8), (0, 4, 6, "t1"), (1, 7, 2, "t2"), (0, 8, 7, "t3")],
    ),
    (
        [(4, 0, 5), (4, 3, 8), (4, 5, 8), (6, 2, -6), (8, 1, -8), (8, 2, -6)],
        [(1, 1, 3, "t1"), (0, 4, 2, "t2"), (1, 5, 5, 5), (0, 5, 7, "t3"), (1, 5, 8, 6), (1, 6, 7, -6)],
    ),
    ([(3, 8, 6), (6, 5, -4)], [(0, 0, 5, "t1"), (0, 5, 1, "t2"), (1, 0, 8, "t3")]),
    (
        [(0, 4, 4), (0, 8, -6), (2, 0, -6), (2, 8, -1), (3, 4, -2)],
        [(1, 1, 3, "t1"), (1, 2, 5, "t2"), (0, 3, 5, "t3"), (1, 6, 5, -5), (1, 6, 7, 8), (0, 7, 8, 6)],
    ),
    ([(0, 6, -4), (4, 7, 8), (4, 8, 4), (6, 2, -2)], [(1, 6, 2, "t1"), (1, 6, 6, "t2"), (1, 7, 4, "t3")]),
    ([(0, 4, 1), (3, 7, -6), (6, 3, -6), (6, 4, -1), (8, 0, 6)], [(0, 7, 4, "t1"), (1, 8, 6, "t2")]),
    (
        [(1, 2, -4), (2, 1, 4), (2, 8, -1), (5, 2, -7), (6, 5, 3), (7, 3, 4)],
        [(1, 1, 7, "t1"), (0, 4, 1, "t2"), (1, 4, 8, 7), (0, 5, 8, -7), (1, 8, 0, "t3")],
    ),
    (
        [(0, 5, 1), (2, 8, -4), (6, 3, 7), (7, 3, 7), (8, 4, 2)],
        [(0, 3, 3, -4), (1, 4, 0, -4), (0, 5, 3, "t1"), (0, 7, 2, "t2"), (1, 8, 1, "t3")],
    ),
    (
        [(1, 0, -6), (2, 4, -6), (6, 6, -4), (7, 7, -3)],
        [(1, 0, 0, "t1"), (1, 1, 1, "t2"), (1, 6, 4, "t3"), (0, 7, 5, -7)],
    ),
]


def _family(f_entries, g_entries, t_values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names = sorted({e[3] for e in g_entries if isinstance(e[3], str)})
    grids = np.meshgrid(*([t_values] * len(names)), indexing="ij")
    combos = np.stack([g.ravel() for g in grids], axis=-1)
    cf = np.repeat(_sparse_f(f_entries)[None], len(combos), axis=0)
    cg = np.zeros((len(combos), 2, D, D))
    for p, j, m, v in g_entries:
        cg[:, p, j, m] = combos[:, names.index(v)] if isinstance(v, str) else v
    return cf, cg, combos


def family_coefficients(variant: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients of the paper's fixed families: ``simple`` (one F, G = t1 sin(2pi(-2x-y)) +
    t2 sin(2pi(x-y)) + t3 sin(2pi x), t in arange(-3, 3, 6/22)) or ``intermediate`` (10 pairs
    with 2-3 swept coefficients).  Returns (coef_f, coef_g, pair index)."""
    if variant == "simple":
        cf, cg, _ = _family(
            [(2, 6, -3), (3, 2, -3), (4, 3, -4)],
            [(1, 2, 3, "t1"), (1, 5, 3, "t2"), (1, 5, 4, "t3")],
            np.arange(-3, 3, 6 / 22),
        )
        return cf, cg, np.zeros(len(cf), dtype=np.int64)
    if variant == "intermediate":
        parts = []
        for k, (fe, ge) in enumerate(_INTERMEDIATE):
            step = 6 / 32 if k == 6 else 6 / 10
            cf, cg, _ = _family(fe, ge, np.arange(-3, 3, step))
            parts.append((cf, cg, np.full(len(cf), k)))
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )
    raise ValueError(f"unknown family {variant!r}; use simple or intermediate")


# ---------------------------------------------------------------------------------------------
# dataset


@dataclass
class HaldaneDataset:
    """Samples, labels, coefficients and provenance.

    psi:      (S, 2, N, N) complex64, normalised section on the grid x_i = i / N.
    labels:   (S,) int64 Chern numbers.
    coef_f:   (S, 9, 9) complex128; coef_g: (S, 2, 9, 9) float64.
    pair:     (S,) family index (intermediate variant) or -1.
    provenance: dict (variant, seed, counts, rejections, timings, command).
    """

    psi: np.ndarray
    labels: np.ndarray
    coef_f: np.ndarray
    coef_g: np.ndarray
    pair: np.ndarray
    provenance: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def grid(self) -> int:
        return int(self.psi.shape[-1])

    def fingerprint(self) -> str:
        """Identity of the samples (16 hex digits of a sha256 over the labels, the coefficients
        that define every section, and the grid): a result computed on this dataset carries it,
        so a view can tell it from another dataset of the same size (see
        :func:`workbench_bundle.jobs.predictions_fit`)."""
        import hashlib

        h = hashlib.sha256()
        h.update(np.asarray(self.psi.shape, dtype=np.int64).tobytes())
        for a in (self.labels, self.coef_f, self.coef_g):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def subset(self, idx: np.ndarray) -> HaldaneDataset:
        return HaldaneDataset(
            self.psi[idx], self.labels[idx], self.coef_f[idx], self.coef_g[idx], self.pair[idx], dict(self.provenance)
        )

    def class_counts(self) -> dict[int, int]:
        vals, counts = np.unique(self.labels, return_counts=True)
        return {int(v): int(c) for v, c in zip(vals, counts, strict=True)}


def sample_sections(coef_f: np.ndarray, coef_g: np.ndarray, n: int, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """psi / |psi| on the n x n grid for a batch, (B, 2, n, n) complex64, and a (B,) mask of samples
    where psi vanishes (|psi| < tol * scale) at some grid point (degenerate for a sampled bundle)."""
    f, g = evaluate_fg(coef_f, coef_g, n)
    psi, norm = section(f, g)
    sf, sg = coefficient_scale(np.asarray(coef_f).reshape(-1, D, D), np.asarray(coef_g).reshape(-1, 2, D, D))
    scale = (sf + sg)[:, None, None]
    bad = (norm < tol * scale).any(axis=(1, 2)) | ~np.isfinite(psi).all(axis=(1, 2, 3))
    return np.moveaxis(psi, -1, 1).astype(np.complex64), bad


def vanishes_on_grid(coef_f: np.ndarray, coef_g: np.ndarray, n: int, tol: float = 1e-9) -> np.ndarray:
    """(B,) mask: psi = [G + sqrt(G^2 + |F|^2), F] vanishes at a grid point (F = 0 and G <= 0 there)."""
    f, g = evaluate_fg(coef_f, coef_g, n)
    sf, sg = coefficient_scale(np.asarray(coef_f).reshape(-1, D, D), np.asarray(coef_g).reshape(-1, 2, D, D))
    small = (np.abs(f) < (tol * (sf + sg))[:, None, None]) & (g <= (tol * (sf + sg))[:, None, None])
    return small.any(axis=(1, 2))


def generate_dataset(
    size: int,
    grid: int = 32,
    seed: int = 0,
    variant: str = "random",
    balance: bool = True,
    classes: tuple[int, ...] = CLASSES,
    batch: int = 250,
    max_candidates: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
    quota: dict[int, int] | None = None,
) -> HaldaneDataset:
    """Generate a labelled dataset.

    variant "random": the paper's random pairs; with ``balance`` every class of ``classes`` gets
    size // len(classes) samples (the rest spread over the first classes), or ``quota[c]``
    samples of class c when ``quota`` is given (its counts sum to ``size``: a chunk of a larger
    balanced dataset, :mod:`workbench_bundle.sweeps`); without it, labels
    outside ``classes`` are still dropped.  "simple" / "intermediate": the paper's fixed families
    (all their non-degenerate members, then subsampled or balanced to ``size`` if smaller).
    Degenerate samples are rejected and counted in the provenance.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    if grid < 2:
        raise ValueError("grid must be at least 2")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; use one of {', '.join(VARIANTS)}")
    rng = np.random.default_rng(check_seed(seed, "dataset seed"))
    t0 = time.perf_counter()
    classes = tuple(int(c) for c in classes)
    given = None if quota is None else {int(c): int(v) for c, v in quota.items()}
    quota = {c: size // len(classes) + (1 if k < size % len(classes) else 0) for k, c in enumerate(classes)}
    if not balance:
        quota = {c: size for c in classes}
    elif given is not None:
        if set(given) != set(classes) or sum(given.values()) != size or min(given.values()) < 0:
            raise ValueError(f"quota {given} must give every class of {classes} a count, summing to size {size}")
        quota = {c: int(given[c]) for c in classes}
    kept_f, kept_g, kept_l, kept_p = [], [], [], []
    filled = {c: 0 for c in classes}
    total_kept = 0
    rejected: dict[str, int] = {}
    outside: dict[str, int] = {}
    candidates = 0
    max_candidates = max_candidates or max(200 * size, 100_000)
    sub = max(8, min(batch, batch * 64 * 64 // (grid * grid)))  # labelling sub-batch

    def consume(cf: np.ndarray, cg: np.ndarray, pair: np.ndarray) -> None:
        nonlocal total_kept, candidates
        candidates += len(cf)
        bad_grid = vanishes_on_grid(cf, cg, grid)
        rejected["psi = 0 at a grid point"] = rejected.get("psi = 0 at a grid point", 0) + int(bad_grid.sum())
        keep = np.flatnonzero(~bad_grid)
        cf, cg, pair = cf[keep], cg[keep], pair[keep]
        lab = chern_labels(cf, cg)
        for i in range(len(cf)):
            if not lab.ok[i]:
                rejected[lab.reason[i]] = rejected.get(lab.reason[i], 0) + 1
                continue
            c = int(lab.labels[i])
            if c not in filled:
                outside[str(c)] = outside.get(str(c), 0) + 1
                continue
            if filled[c] >= quota[c] or total_kept >= size:
                continue
            filled[c] += 1
            total_kept += 1
            kept_f.append(cf[i])
            kept_g.append(cg[i])
            kept_l.append(c)
            kept_p.append(int(pair[i]))

    if variant == "random":
        while total_kept < size:
            if check_cancelled is not None:
                check_cancelled()
            if candidates >= max_candidates:
                raise RuntimeError(
                    f"only {dict(filled)} of the quotas {quota} after {candidates} candidates; "
                    "lower the size or disable balancing"
                )
            cf, cg = random_coefficients(rng, batch)
            # labelled in sub-batches (the grid check costs grid^2 per sample): the same samples
            # in the same order, with Cancel and progress between them
            for s in range(0, batch, sub):
                if check_cancelled is not None:
                    check_cancelled()
                consume(cf[s : s + sub], cg[s : s + sub], np.full(len(cf[s : s + sub]), -1))
                if progress is not None:
                    progress(0.9 * total_kept / size, f"{total_kept}/{size} samples from {candidates} candidates")
    else:
        cf, cg, pair = family_coefficients(variant)
        order = rng.permutation(len(cf))
        cf, cg, pair = cf[order], cg[order], pair[order]
        for s in range(0, len(cf), sub):
            if check_cancelled is not None:
                check_cancelled()
            consume(cf[s : s + sub], cg[s : s + sub], pair[s : s + sub])
            if progress is not None:
                progress(0.9 * min(1.0, s / len(cf)), f"{total_kept} samples from {candidates} candidates")
    coef_f = np.array(kept_f, dtype=np.complex128).reshape(-1, D, D)
    coef_g = np.array(kept_g, dtype=np.float64).reshape(-1, 2, D, D)
    order = rng.permutation(len(kept_l))
    coef_f, coef_g = coef_f[order], coef_g[order]
    labels = np.array(kept_l, dtype=np.int64)[order]
    pair = np.array(kept_p, dtype=np.int64)[order]
    psi = np.zeros((len(labels), 2, grid, grid), dtype=np.complex64)
    # sections in batches of about batch x 32 x 32 grid points (a few samples at grid 256), so
    # Cancel is seen and progress reported every few tens of ms whatever the grid
    sbatch = max(1, batch * 32 * 32 // (grid * grid))
    for s in range(0, len(labels), sbatch):
        if check_cancelled is not None:
            check_cancelled()
        psi[s : s + sbatch], _ = sample_sections(coef_f[s : s + sbatch], coef_g[s : s + sbatch], grid)
        if progress is not None:
            progress(0.9 + 0.1 * (s + sbatch) / max(1, len(labels)), f"sections on the {grid} x {grid} grid")
    if progress is not None:
        progress(1.0, f"{len(labels)} samples")
    prov = {
        "dataset": "Haldane bundles (arXiv:2312.04600)",
        "variant": variant,
        "size_requested": int(size),
        "size": int(len(labels)),
        "grid": int(grid),
        "seed": int(seed),
        "balanced": bool(balance),
        "classes": list(classes),
        "class_counts": {str(k): int(v) for k, v in filled.items()},
        "candidates": int(candidates),
        "rejected": rejected,
        "labels_outside_classes": dict(sorted(outside.items(), key=lambda kv: int(kv[0]))),
        "seconds": round(time.perf_counter() - t0, 3),
        "label_method": "sum of windings of F at its zeros with G < 0 (exact, from coefficients)",
        "convention": "pythtb (A = i<u|grad u>)",
        "format_version": FORMAT_VERSION,
    }
    return HaldaneDataset(psi, labels, coef_f, coef_g, pair, prov)


def save_dataset(ds: HaldaneDataset, path: str | Path) -> Path:
    """Write a compressed npz (no pickled objects; provenance as a JSON string)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        psi=ds.psi,
        labels=ds.labels,
        coef_f=ds.coef_f,
        coef_g=ds.coef_g,
        pair=ds.pair,
        provenance=np.array(json.dumps(ds.provenance)),
    )
    return path


def load_dataset(path: str | Path) -> HaldaneDataset:
    """Load a dataset written by :func:`save_dataset` (allow_pickle=False), with clear errors."""
    from workbench.array_files import load_npz
    from workbench.errors import InputError, parse_json

    path = Path(path)
    if not path.is_file():
        raise InputError(f"dataset file {path} does not exist")
    arrays = load_npz(path, "a Haldane bundle dataset")
    missing = [k for k in ("psi", "labels", "coef_f", "coef_g") if k not in arrays]
    if missing:
        raise InputError(f"{path.name} is not a Haldane bundle dataset: missing arrays {missing}")
    psi, labels, cf, cg = arrays["psi"], arrays["labels"], arrays["coef_f"], arrays["coef_g"]
    pair = arrays.get("pair", np.full(len(labels), -1))
    try:
        prov = parse_json(str(arrays["provenance"]), "provenance") if "provenance" in arrays else {}
    except InputError:
        prov = {"warning": "unreadable provenance"}
    for name, a, kinds in (
        ("psi", psi, "fc"),
        ("labels", labels, "iu"),
        ("coef_f", cf, "fc"),
        ("coef_g", cg, "f"),
        ("pair", pair, "iu"),
    ):
        if a.dtype.kind not in kinds or a.ndim == 0:
            raise InputError(
                f"{path.name}: {name} has dtype {a.dtype} and shape {a.shape}, expected an array of "
                + ("integers" if kinds == "iu" else "real" if kinds == "f" else "complex numbers")
            )
        if kinds != "iu" and not np.isfinite(a).all():
            raise InputError(f"{path.name}: {name} contains {int((~np.isfinite(a)).sum())} NaN or infinite values")
    s = len(labels)
    if psi.ndim != 4 or psi.shape[0] != s or psi.shape[1] != 2 or psi.shape[2] != psi.shape[3]:
        raise ValueError(f"{path.name}: psi must have shape (S, 2, N, N) with S = {s} labels; got {psi.shape}")
    if cf.shape != (s, D, D) or cg.shape != (s, 2, D, D):
        raise ValueError(
            f"{path.name}: coefficient arrays must be (S, 9, 9) and (S, 2, 9, 9); got {cf.shape}, {cg.shape}"
        )
    return HaldaneDataset(
        psi.astype(np.complex64),
        labels.astype(np.int64),
        cf.astype(np.complex128),
        cg.astype(np.float64),
        pair.astype(np.int64),
        prov,
    )
