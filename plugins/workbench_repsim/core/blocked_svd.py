"""Thin SVD of a tall matrix in row blocks, with :func:`workbench.jobs.heartbeat` between them.

One LAPACK SVD of a 6000 x 600 activation matrix takes 1.8 s on one core and cannot be
interrupted (26 s with two OpenBLAS threads on a loaded two-core machine), so a job's Cancel
waited for it.  :func:`thin_svd` computes the same factorisation through a sequential TSQR
(tall-skinny QR; Demmel, Grigori, Hoemmen, Langou 2012, SIAM J. Sci. Comput. 34(1), A206-A239):

    [R_{i-1}; A_i] = Q_i R_i  for the row blocks A_0, A_1, ... (R_0 from A_0 alone),
    R = U_R S V^T  (the SVD of the last p x p factor),
    U = Q U_R,     Q's rows rebuilt block by block from the Q_i, last block first.

TSQR is backward stable like Householder QR, so S equals LAPACK's singular values to rounding
and U has orthonormal columns to rounding.  Each step is one QR of a (p + b) x p matrix (b = p
rows by default), about 0.2 s for p = 600 on one core; the heartbeat runs between steps.

Singular vectors are defined up to the sign of each pair (u_i, v_i), which LAPACK leaves to
its algorithm; :func:`thin_svd` fixes it (the entry of largest magnitude of each v_i is
positive, :func:`fix_signs`), so its output does not depend on the blocking.
"""

from __future__ import annotations

import numpy as np

from workbench.jobs import heartbeat

#: below this many rows per column (n < MIN_BLOCKS * p) one LAPACK call is short enough
MIN_BLOCKS = 3


def fix_signs(u: np.ndarray, s: np.ndarray, vt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, s, vt) with each pair (u_i, v_i) negated where needed so that the entry of largest
    magnitude of v_i (row i of ``vt``) is positive (ties: the first); u s vt is unchanged."""
    if vt.size == 0:
        return u, s, vt
    idx = np.abs(vt).argmax(axis=1)
    sign = np.where(vt[np.arange(vt.shape[0]), idx] < 0, -1.0, 1.0).astype(vt.dtype)
    return u * sign, s, vt * sign[:, None]


def thin_svd(a: np.ndarray, block_rows: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.linalg.svd(a, full_matrices=False)`` of ``a`` (n x p, float64) up to rounding and
    the signs of :func:`fix_signs`, computed in row blocks of ``block_rows`` rows (at least p
    and 256; default p) with :func:`~workbench.jobs.heartbeat` between the blocks.  Matrices with fewer
    than ``MIN_BLOCKS`` blocks of rows, or wider than tall, take one LAPACK call."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"thin_svd needs a 2-D matrix, got shape {a.shape}")
    n, p = a.shape
    b = max(int(block_rows) if block_rows is not None else p, p, 256)
    if p == 0 or n < MIN_BLOCKS * b:
        heartbeat()
        out = fix_signs(*np.linalg.svd(a, full_matrices=False))
        heartbeat()
        return out
    starts = list(range(0, n, b))
    q0, r = np.linalg.qr(a[: starts[1]])
    factors: list[np.ndarray] = [q0]  # block 0: its Q (b0 x p); later blocks: (p + b_i) x p
    for i in starts[1:]:
        heartbeat()
        q, r = np.linalg.qr(np.vstack([r, a[i : i + b]]))
        factors.append(q)
    heartbeat()
    ur, s, vt = fix_signs(*np.linalg.svd(r))
    heartbeat()
    u = np.empty((n, p))
    m = ur  # maps the current R-space to U's columns
    for k in range(len(starts) - 1, 0, -1):
        q = factors[k]
        i = starts[k]
        u[i : i + b] = q[p:] @ m
        m = q[:p] @ m
        heartbeat()
    u[: starts[1]] = factors[0] @ m
    return u, s, vt
