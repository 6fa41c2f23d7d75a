"""Subspaces V of the input space X that the attacker may perturb (Qt-free, torch).

Kinds (dim X = n = C*H*W, the user asks for dim V = k; the realised dimension is reported):

* ``full``        V = X.
* ``pixels``      k random coordinates (pixel-channel entries), drawn per sample.
* ``patch``       a contiguous patch of m = ceil(k / C) pixel positions (raster order inside the
                  smallest near-square h x w rectangle holding m positions) at a random location,
                  all channels; dim V = m*C.  Drawn per sample.
* ``channels``    c = round(k / (H*W)) random channels (modalities), all positions; dim V = c*H*W.
                  Drawn per sample.
* ``orthonormal`` V = span(U), U an n x k matrix with orthonormal columns (QR of a Gaussian
                  matrix: a Haar-random k-dimensional subspace), shared by the whole batch; the
                  perturbation is U z.
* ``hartley``     V = span(U) with U = P D H E_S a subsampled randomized Hartley transform
                  (:class:`.bases.HartleyBasis`: k random frequencies of the orthonormal
                  Hartley transform, random signs, a random permutation of the coordinates),
                  shared by the whole batch: orthonormal like ``orthonormal`` but with
                  O(n log n) products (one real FFT) instead of O(n k), for inputs of
                  realistic size.  Not Haar-distributed: a random subspace of a structured family.

Coordinate subspaces are represented by a 0/1 mask of shape (B, n) and are exact for every p:
the l_p ball restricted to V is the l_p ball of the kept coordinates.  The orthonormal kind is
exact for p = 2 (||U z||_2 = ||z||_2) (so is ``hartley``); for other p its ball {U z : ||U z||_p <= eps} is not a
coordinate ball, and PGD uses the approximations documented in :mod:`.pgd`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .bases import DenseBasis, HartleyBasis

KINDS = ("full", "pixels", "patch", "channels", "orthonormal", "hartley")
#: the kinds spanned by a basis U (projected by ADMM, :mod:`.ortho`)
BASIS_KINDS = ("orthonormal", "hartley")


@dataclass
class Subspace:
    """A realised subspace for a batch.

    kind: one of :data:`KINDS`; dim: dim V; n: dim X; mask: (B, n) float 0/1 (coordinate kinds)
    or None; basis: (n, k) orthonormal columns (orthonormal kind) or None; op: a structured
    basis (hartley kind, :class:`.bases.HartleyBasis`) or None.
    """

    kind: str
    dim: int
    n: int
    mask: torch.Tensor | None = None
    basis: torch.Tensor | None = None
    op: HartleyBasis | None = None

    @property
    def frame(self) -> DenseBasis | HartleyBasis | None:
        """The basis U as an operator (coef / expand / project / dense), None for coordinate
        subspaces and the full space."""
        if self.op is not None:
            return self.op
        return DenseBasis(self.basis) if self.basis is not None else None

    def basis_matrix(self) -> torch.Tensor | None:
        """The (n, k) matrix U of a basis kind (formed for a structured one), else None."""
        f = self.frame
        return None if f is None else f.dense()

    @property
    def ratio(self) -> float:
        """dim V / dim X."""
        return self.dim / self.n

    def restrict(self, v: torch.Tensor) -> torch.Tensor:
        """Orthogonal projection of a batch (B, ...) onto V."""
        if self.mask is not None:
            return (v.reshape(v.shape[0], -1) * self.mask).reshape(v.shape)
        if self.basis is not None:
            flat = v.reshape(v.shape[0], -1)
            return ((flat @ self.basis) @ self.basis.T).reshape(v.shape)
        if self.op is not None:
            return self.op.project(v.reshape(v.shape[0], -1)).reshape(v.shape)
        return v

    def residual(self, v: torch.Tensor) -> torch.Tensor:
        """Per-sample l_2 norm of the component of v orthogonal to V (0 when v is in V)."""
        flat = v.reshape(v.shape[0], -1)
        return (flat - self.restrict(v).reshape(flat.shape)).norm(dim=1)

    def select(self, idx: torch.Tensor) -> Subspace:
        """The subspace of a sub-batch (rows ``idx``)."""
        if self.mask is None:
            return self
        return Subspace(self.kind, self.dim, self.n, self.mask[idx], self.basis, self.op)

    def support(self, batch: int) -> torch.Tensor:
        """(B, n) 0/1 indicator of the coordinates V may touch (all 1 for full and basis kinds)."""
        if self.mask is not None:
            return self.mask
        ones = torch.ones(1, self.n)
        return ones.expand(batch, self.n)


def realised_dim(kind: str, shape: tuple[int, int, int], k: int) -> int:
    """The dimension ``build_subspace`` realises for a requested ``k`` (see module docstring)."""
    C, H, W = shape
    n = C * H * W
    k = int(max(1, min(k, n)))
    if kind == "full":
        return n
    if kind in ("pixels",) + BASIS_KINDS:
        return k
    if kind == "patch":
        return min(math.ceil(k / C), H * W) * C
    if kind == "channels":
        return max(1, min(C, round(k / (H * W)))) * H * W
    raise ValueError(f"unknown subspace kind {kind!r}; use one of {', '.join(KINDS)}")


def dimension_note(kind: str, shape: tuple[int, int, int], k: int) -> str:
    """What happens to a requested dim V = ``k`` (in words; "" when V gets exactly k): ignored
    for ``full``, clamped to dim X, rounded to whole pixels (patch) or channels (channels)."""
    C, H, W = shape
    n = C * H * W
    if kind == "full":
        return f"dim V = {k} is ignored: the full space attacks all {n} input dimensions"
    real = realised_dim(kind, shape, k)
    if real == k:
        return ""
    if k > n and kind in ("pixels",) + BASIS_KINDS:
        return f"dim V = {k} requested, clamped to the input size dim X = {n}"
    if kind == "patch":
        return (
            f"dim V = {k} requested, {real} realised: a patch of whole pixels with all {C} channels "
            f"({real // C} pixel position(s){', the whole image' if real == n else ''})"
        )
    if kind == "channels":
        return (
            f"dim V = {k} requested, {real} realised: whole channels of {H} x {W} = {H * W} values "
            f"({real // (H * W)} of {C} channel(s))"
        )
    return f"dim V = {k} requested, {real} realised"


def zero_feasible(basis: np.ndarray, x: np.ndarray, check: Callable[[], None] | None = None) -> np.ndarray:
    """For V = span(``basis``) ((n, k) orthonormal columns) and inputs ``x`` ((B, n) in [0, 1]):
    whether V cap [-x, 1 - x] = {0}, i.e. no perturbation in V keeps x + delta in the box.

    Small moves are bounded only by the pixels at 0 (delta_i >= 0) and at 1 (delta_i <= 0), so
    the question is whether the cone {z : A z <= 0} is {0}, A stacking -U_i (x_i = 0) and U_i
    (x_i = 1).  By Stiemke's theorem it is iff rank A = k and some lambda > 0 has A^T lambda = 0:
    one linear program per input, max s subject to A^T lambda = 0, sum lambda = 1, lambda >= s
    (scipy's HiGHS); {0} iff s > 0.  A random V meets the box only in 0 for many inputs of an
    image set with half its pixels at 0 (Wendel's theorem on random cones).

    ``check`` (cancellation, progress) is called before every input's linear program: one
    program takes milliseconds to tens of milliseconds, a batch of hundreds seconds."""
    from scipy.optimize import linprog

    U = np.asarray(basis, dtype=float)
    k = U.shape[1]
    out = np.zeros(len(x), dtype=bool)
    for b, xb in enumerate(np.asarray(x, dtype=float)):
        if check is not None:
            check()
        a = np.concatenate([-U[xb <= 0], U[xb >= 1]])
        m = len(a)
        if m < k + 1 or np.linalg.matrix_rank(a) < k:
            continue  # some direction of V meets no bound (or fewer bounds than a pointed cone needs)
        c = np.zeros(m + 1)
        c[-1] = -1.0  # maximise s
        eq = np.zeros((k + 1, m + 1))
        eq[:k, :m] = a.T
        eq[k, :m] = 1.0
        ub = np.hstack([-np.eye(m), np.ones((m, 1))])  # s - lambda_i <= 0
        res = linprog(
            c,
            A_ub=ub,
            b_ub=np.zeros(m),
            A_eq=eq,
            b_eq=np.r_[np.zeros(k), 1.0],
            bounds=[(0, None)] * m + [(None, None)],
            method="highs",
        )
        out[b] = bool(res.status == 0 and -res.fun > 1e-12)
    return out


def _patch_offsets(m: int, H: int, W: int) -> tuple[int, int, list[tuple[int, int]]]:
    h = min(H, math.ceil(math.sqrt(m)))
    w = min(W, math.ceil(m / h))
    while h * w < m:  # narrow images: grow the other side
        h = min(H, h + 1)
        w = min(W, math.ceil(m / h))
    cells = [(r, c) for r in range(h) for c in range(w)][:m]
    return h, w, cells


def build_subspace(
    kind: str,
    shape: tuple[int, int, int],
    k: int,
    batch: int,
    generator: torch.Generator,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> Subspace:
    """Draw a subspace of the requested kind and dimension for a batch (seeded by ``generator``,
    a CPU generator).  Raises ValueError for unknown kinds or k < 1."""
    if kind not in KINDS:
        raise ValueError(f"unknown subspace kind {kind!r}; use one of {', '.join(KINDS)}")
    C, H, W = shape
    n = C * H * W
    if kind != "full" and (k is None or int(k) < 1):
        raise ValueError(f"subspace dimension must be >= 1, got {k}")
    dim = realised_dim(kind, shape, int(k) if kind != "full" else n)
    if kind == "full":
        return Subspace("full", n, n)
    if kind == "orthonormal":
        g = torch.randn(n, dim, generator=generator, dtype=torch.float64)
        q, r = torch.linalg.qr(g)
        q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)  # Haar: fix the signs of QR
        return Subspace(kind, dim, n, basis=q.to(device=device, dtype=dtype))
    if kind == "hartley":
        return Subspace(kind, dim, n, op=HartleyBasis.draw(n, dim, generator, device=device, dtype=dtype))
    mask = torch.zeros(batch, C, H, W, dtype=dtype)
    if kind == "pixels":
        scores = torch.rand(batch, n, generator=generator)
        idx = scores.topk(dim, dim=1).indices
        mask = mask.reshape(batch, n)
        mask.scatter_(1, idx, 1.0)
    elif kind == "patch":
        m = dim // C
        h, w, cells = _patch_offsets(m, H, W)
        r0 = torch.randint(0, H - h + 1, (batch,), generator=generator)
        c0 = torch.randint(0, W - w + 1, (batch,), generator=generator)
        rows = torch.tensor([rc[0] for rc in cells])
        cols = torch.tensor([rc[1] for rc in cells])
        for b in range(batch):
            mask[b, :, r0[b] + rows, c0[b] + cols] = 1.0
    elif kind == "channels":
        c = dim // (H * W)
        scores = torch.rand(batch, C, generator=generator)
        idx = scores.topk(c, dim=1).indices
        for b in range(batch):
            mask[b, idx[b]] = 1.0
    mask = mask.reshape(batch, n).to(device)
    return Subspace(kind, dim, n, mask=mask)
