"""Dense training targets: the Chern number of a Haldane bundle split over the grid's cells (Qt-free).

The label of a Haldane pair (:mod:`.haldane_bundle`) is c1 = sum of the windings of F at its
zeros where G < 0 (the degree of d / |d|, d = (Re F, Im F, G), counted at the south pole).  Each
such zero lies in one cell (plaquette) of the N x N sample grid, so

    q(i, j) = sum of windings of the zeros of F with G < 0 inside cell [i/N, (i+1)/N) x [j/N, (j+1)/N)

is an integer local charge whose sum over the torus is exactly the label.  Unlike the FHS
plaquette fluxes of the samples (whose sum misses 2 pi jumps where the Berry curvature
concentrates inside a cell), q is exact however coarse the grid, and it is non-trivial on samples
with C = 0 (zeros of opposite winding), which is what lets a local model trained on C = 0 samples
only learn to count (the generalisation experiment of arXiv:2502.15376).

The zeros are found as in :func:`.haldane_bundle.chern_labels`: winding of F around the cells of
a fine grid offset by an irrational fraction, refined by Newton's method on the analytic F, G
evaluated there exactly.  Units: integers (Chern charge per cell), PythTB convention.
"""

from __future__ import annotations

import numpy as np

from .haldane_bundle import OFFSET, D, _eval_at, _newton_zeros, _offset_table, _real_part_coefs, cell_windings

#: the fine grid on which the zeros of F are first located (the labels' first grid)
FINE = 128


def vortex_charges(coef_f: np.ndarray, coef_g: np.ndarray, n: int, fine: int = FINE, chunk: int = 256) -> np.ndarray:
    """Per-cell charges q (B, n, n) int8 of the n x n grid x_i = i / n (see the module docstring).

    coef_f (B, 9, 9) complex, coef_g (B, 2, 9, 9) real (cos, sin): the pairs' coefficients."""
    if n < 2 or fine < 2:
        raise ValueError(f"need a grid n >= 2 and a fine grid >= 2, got n={n}, fine={fine}")
    cf_all = np.asarray(coef_f, dtype=np.complex128).reshape(-1, D, D)
    cg_all = np.asarray(coef_g, dtype=np.float64).reshape(-1, 2, D, D)
    out = np.zeros((len(cf_all), n, n), dtype=np.int8)
    e = _offset_table(fine, np.complex128)
    for s in range(0, len(cf_all), chunk):
        cf, cg = cf_all[s : s + chunk], cg_all[s : s + chunk]
        w = cell_windings(np.matmul(np.matmul(e, cf), e.T))
        loc, ci, cj = np.nonzero(w)
        if not loc.size:
            continue
        x, y, _, _, _ = _newton_zeros(cf[loc], (ci + OFFSET + 0.5) / fine, (cj + OFFSET + 0.5) / fine)
        h = _real_part_coefs(cg[:, 0] - 1j * cg[:, 1])
        g = _eval_at(h[loc], x, y)[0].real
        keep = g < 0
        i = np.floor((x[keep] % 1.0) * n).astype(np.int64) % n
        j = np.floor((y[keep] % 1.0) * n).astype(np.int64) % n
        np.add.at(out, (s + loc[keep], i, j), w[loc, ci, cj][keep].astype(np.int8))
    return out
