"""Small numerical helpers shared by the measures: chunked cross-products with float64 accumulation."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from workbench.jobs import heartbeat

#: multiply-adds per block of a float64 product done in row blocks, with heartbeat() between
#: them (about 0.1 s on one core; one 6000 x 600 by 600 x 600 product is 2.2e9)
BLOCK_PRODUCTS = 300_000_000

#: most rows per chunk of a float32 product; each chunk's product is added in float64.  Within
#: a chunk BLAS accumulates in float32 (blocked), a relative error of order sqrt(rows) * 6e-8
#: on centred data, 1e-5 at this size
CHUNK_ROWS = 16384


def row_chunks(n: int, chunk: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: n rows in the fewest chunks of at most ``chunk`` rows, of equal size
    (so n = 20,000 gives two chunks of 10,000, not 16,384 and 3,616)."""
    k = max(1, -(-n // chunk))
    edges = [round(i * n / k) for i in range(k + 1)]
    return list(pairwise(edges))


def cross(a: np.ndarray, b: np.ndarray, chunk: int = CHUNK_ROWS) -> np.ndarray:
    """``a.T @ b`` in float64.

    float64 inputs are multiplied directly.  float32 inputs are multiplied in float32
    (fast BLAS) over row chunks of at most ``chunk`` rows, and the chunk products are summed in
    float64, so the rounding error grows with ``chunk`` rather than with ``n``.  Inputs
    should be centred first (:func:`workbench_repsim.core.validate.centre`).  A large float64
    product is summed over row blocks of about ``BLOCK_PRODUCTS`` multiply-adds, with
    :func:`workbench.jobs.heartbeat` between them (Cancel inside a measure).
    """
    if a.dtype == np.float64 or b.dtype == np.float64:
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        rows = max(1, BLOCK_PRODUCTS // max(1, a.shape[1] * b.shape[1]))
        if a.shape[0] <= rows:
            return a.T @ b
        out = a[:rows].T @ b[:rows]
        for s in range(rows, a.shape[0], rows):  # in row blocks: heartbeat() between them
            heartbeat()
            out += a[s : s + rows].T @ b[s : s + rows]
        return out
    chunks = row_chunks(a.shape[0], chunk)
    out = (a[: chunks[0][1]].T @ b[: chunks[0][1]]).astype(np.float64)
    for s, e in chunks[1:]:
        out += a[s:e].T @ b[s:e]
    return out


def row_sq_norms(a: np.ndarray) -> np.ndarray:
    """Squared Euclidean norm of every row, in float64 (length n)."""
    return np.einsum("ij,ij->i", a, a, dtype=np.float64)


def frob2(m: np.ndarray) -> float:
    """Squared Frobenius norm in float64."""
    return float(np.einsum("ij,ij->", m, m, dtype=np.float64))


def times(a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``a @ m`` (float64) in row blocks of about ``BLOCK_PRODUCTS`` multiply-adds, with
    :func:`workbench.jobs.heartbeat` between them."""
    a, m = np.asarray(a, np.float64), np.asarray(m, np.float64)
    rows = max(1, BLOCK_PRODUCTS // max(1, a.shape[1] * m.shape[1]))
    if a.shape[0] <= rows:
        return a @ m
    out = np.empty((a.shape[0], m.shape[1]))
    for s in range(0, a.shape[0], rows):
        heartbeat()
        out[s : s + rows] = a[s : s + rows] @ m
    return out
