"""Small numerical helpers shared by the measures: chunked cross-products with float64 accumulation."""

from __future__ import annotations

import numpy as np

#: rows per chunk of a float32 product; each chunk's product is added in float64
CHUNK_ROWS = 8192


def cross(a: np.ndarray, b: np.ndarray, chunk: int = CHUNK_ROWS) -> np.ndarray:
    """``a.T @ b`` in float64.

    float64 inputs are multiplied directly.  float32 inputs are multiplied in float32
    (fast BLAS) over row chunks of ``chunk`` rows, and the chunk products are summed in
    float64, so the rounding error grows with ``chunk`` rather than with ``n``.  Inputs
    should be centred first (:func:`workbench_repsim.core.validate.centre`).
    """
    if a.dtype == np.float64 or b.dtype == np.float64:
        return np.asarray(a, np.float64).T @ np.asarray(b, np.float64)
    n = a.shape[0]
    if n <= chunk:
        return (a.T @ b).astype(np.float64)
    out = np.zeros((a.shape[1], b.shape[1]), np.float64)
    for s in range(0, n, chunk):
        out += a[s:s + chunk].T @ b[s:s + chunk]
    return out


def row_sq_norms(a: np.ndarray) -> np.ndarray:
    """Squared Euclidean norm of every row, in float64 (length n)."""
    return np.einsum("ij,ij->i", a, a, dtype=np.float64)


def frob2(m: np.ndarray) -> float:
    """Squared Frobenius norm in float64."""
    return float(np.einsum("ij,ij->", m, m, dtype=np.float64))
