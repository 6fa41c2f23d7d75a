"""Sub-cell interpolation of a sampled bundle by a band-limited section fit (Qt-free, numpy).

The FHS lattice sum of a 32 x 32 Haldane bundle sample misses 2 pi jumps where the Berry
curvature concentrates inside a plaquette.  The samples still determine the bundle: every
Haldane pair is a trigonometric polynomial d = (Re F, Im F, G) of degree <= 4 in each variable
(arXiv:2312.04600), and the sample gives its direction n = d / |d| = <psi|sigma|psi> at every node
exactly (gauge invariant: n is the same for any per-point phase of psi).  The condition
d(x_i) x n(x_i) = 0 at the N^2 nodes is linear and homogeneous in the 243 real coefficients of
d (F: 81 complex; G: 81 real, the cos and sin terms of a half-plane of frequencies), so

    d = argmin_{|v| = 1} sum_i |d_v(x_i) x n(x_i)|^2,

the right singular vector of the smallest singular value, is d up to a positive factor (its
sign fixed by d . n > 0) once 3 N^2 >> 243 and the nodes are generic.  The fitted section is
an interpolation of the states between the nodes at any resolution; its Chern number is then
counted exactly from the fitted coefficients (the zeros of F where G < 0,
:func:`.haldane_bundle.chern_labels`), i.e. the FHS sum on an arbitrarily refined grid.

This is a prior, not a trained network: it is exact for bundles spanned by sections of bounded
degree (the dataset's generator), and says so (``residual``) when a sample does not fit one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .haldane_bundle import DEG, D, chern_labels

#: frequencies (a, b) of G's cos and sin terms: a half-plane, so no term is repeated
_HALF = [(a, b) for a in range(0, DEG + 1) for b in range(-DEG, DEG + 1) if a > 0 or b > 0]


@dataclass
class SectionFit:
    """Fitted coefficients (the dataset's layout); residual: minus the smallest d . n over the
    nodes relative to the largest (negative when the fitted d points along n at every node);
    the Chern numbers counted from the fits (the FHS sum of the samples where a fit is refused:
    ``ok`` False); nulldim: the dimension of the null space (1 when the degree is exactly 4)."""

    coef_f: np.ndarray
    coef_g: np.ndarray
    residual: np.ndarray
    chern: np.ndarray
    ok: np.ndarray
    nulldim: np.ndarray


def _basis(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Complex exponentials E (N^2, 81) on the nodes (index a * 9 + b <-> frequencies a - 4, b - 4)
    and G's real basis (N^2, 81): the constant, then cos and sin of the half-plane frequencies."""
    x = np.arange(n) / n
    e1 = np.exp(2j * np.pi * np.outer(x, np.arange(-DEG, DEG + 1)))  # (n, 9)
    e = (e1[:, None, :, None] * e1[None, :, None, :]).reshape(n * n, D * D)
    cols = [np.ones(n * n)]
    for a, b in _HALF:
        z = e[:, (a + DEG) * D + (b + DEG)]
        cols += [z.real, z.imag]
    return e, np.stack(cols, axis=1)


def bloch_vectors(psi: np.ndarray) -> np.ndarray:
    """n = <psi|sigma|psi> / <psi|psi> of samples (S, 2, N, N) -> (S, N^2, 3)."""
    a, b = psi[:, 0].reshape(len(psi), -1), psi[:, 1].reshape(len(psi), -1)
    ab = np.conj(a) * b
    norm = np.abs(a) ** 2 + np.abs(b) ** 2
    return np.stack([2 * ab.real, 2 * ab.imag, np.abs(a) ** 2 - np.abs(b) ** 2], axis=-1) / norm[..., None]


def fit_sections(psi: np.ndarray, null_tol: float = 1e-9, chunk: int = 8) -> SectionFit:
    """Fit a degree-4 Haldane pair to every sample (S, 2, N, N) and count its Chern number.

    null_tol: eigenvalues of A^T A below null_tol times the largest span the null space."""
    psi = np.asarray(psi)
    if psi.ndim != 4 or psi.shape[1] != 2 or psi.shape[2] != psi.shape[3]:
        raise ValueError(f"samples must have shape (S, 2, N, N), got {psi.shape}")
    s, n = len(psi), psi.shape[-1]
    if 3 * n * n < 2 * 243:
        raise ValueError(f"a {n} x {n} grid is too coarse to fit 243 coefficients (need N >= 13)")
    e, gb = _basis(n)
    # d = M v with v = (Re f, Im f, g): rows of Re F, Im F, G at every node
    rf = np.concatenate([e.real, -e.imag, np.zeros_like(gb)], axis=1)
    imf = np.concatenate([e.imag, e.real, np.zeros_like(gb)], axis=1)
    g = np.concatenate([np.zeros_like(e.real), np.zeros_like(e.real), gb], axis=1)
    nv = bloch_vectors(psi)
    coef_f = np.zeros((s, D, D), dtype=np.complex128)
    coef_g = np.zeros((s, 2, D, D), dtype=np.float64)
    residual = np.zeros(s)
    nulldim = np.zeros(s, dtype=np.int64)
    m = np.stack([rf, imf, g], axis=1)  # (N^2, 3, 243): d at node i = m[i] @ v
    for start in range(0, s, chunk):
        nb = nv[start : start + chunk]  # (B, N^2, 3)
        # rows of d x n = 0 for every node (the cross product with n as a matrix), (B, 3 N^2, 243)
        nx, ny, nz = nb[..., 0, None], nb[..., 1, None], nb[..., 2, None]
        a = np.concatenate([imf * nz - g * ny, g * nx - rf * nz, rf * ny - imf * nx], axis=1)
        w, vec = np.linalg.eigh(np.matmul(a.transpose(0, 2, 1), a))
        dn = np.einsum("icv,bic->biv", m, nb)  # d_v . n at every node, per unit coefficient
        for k in range(len(nb)):
            # the null space holds lambda d for every trig polynomial lambda keeping the degree <= 4:
            # any lambda > 0 has the same Chern number; pick one positive at every node
            null = vec[k][:, w[k] <= null_tol * w[k][-1]]
            if null.shape[1] == 0:
                null = vec[k][:, :1]
            rows = dn[k] @ null  # (N^2, r): d . n at the nodes for each null vector
            c = rows.mean(0)
            for _ in range(50):
                c = c / np.linalg.norm(c)
                vals = rows @ c
                if vals.min() > 1e-3 * np.abs(vals).max():
                    break
                soft = np.exp(-(vals - vals.min()) / (1e-2 * np.abs(vals).max() + 1e-300))
                c = c + 0.5 * (soft / soft.sum()) @ rows / max(np.linalg.norm(rows, axis=1).max(), 1e-300)
            v = null @ (c / np.linalg.norm(c))
            i = start + k
            nulldim[i] = null.shape[1]
            residual[i] = float(-(rows @ c).min() / max(np.abs(rows @ c).max(), 1e-300))
            coef_f[i] = (v[: D * D] + 1j * v[D * D : 2 * D * D]).reshape(D, D)
            vg = v[2 * D * D :]
            coef_g[i, 0, DEG, DEG] = vg[0]
            for j, (fa, fb) in enumerate(_HALF):
                coef_g[i, 0, fa + DEG, fb + DEG] = vg[1 + 2 * j]
                coef_g[i, 1, fa + DEG, fb + DEG] = vg[2 + 2 * j]
    lab = chern_labels(coef_f, coef_g)
    ok = lab.ok & (residual < 0)
    flux = _fhs_sum(psi)
    chern = np.where(ok, lab.labels, flux)
    return SectionFit(coef_f, coef_g, residual, chern, ok, nulldim)


def _fhs_sum(psi: np.ndarray) -> np.ndarray:
    """The FHS lattice sums of samples (S, 2, N, N) (the fallback where a fit is refused)."""
    from .fhs import plaquette_flux

    return np.array([int(np.rint(plaquette_flux(np.moveaxis(p, 0, -1)).sum() / (2 * np.pi))) for p in psi])
