"""Fomin-Zelevinsky matrix mutation, exact (Qt-free).

mu_k(B) = B' with  b'_ij = -b_ij                                   if i == k or j == k,
                   b'_ij = b_ij + (|b_ik| b_kj + b_ik |b_kj|) / 2   otherwise
(Fomin-Zelevinsky, Cluster algebras I, 2002, eq. (4.3)); it applies to the frozen rows of an
``(n+m) x n`` exchange matrix as well.  Entries of mutation-infinite quivers grow
exponentially, so int64 arithmetic is used only while ``|b| <= 2**30`` guarantees that
``|b| + |b|^2`` cannot overflow; beyond that the matrix becomes a Python-int object array
(exact, slower).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

SAFE_ABS = 2**30


def _needs_object(b: np.ndarray) -> bool:
    if b.dtype == object or b.size == 0:
        return False
    return int(np.abs(b).max()) > SAFE_ABS


def mutate(b: np.ndarray, k: int) -> np.ndarray:
    """Mutate the exchange matrix ``b`` ((n+m) x n) at mutable vertex ``k``; returns a new array."""
    b = np.asarray(b) if not isinstance(b, np.ndarray) else b
    n = b.shape[1]
    if not 0 <= k < n:
        raise ValueError(f"cannot mutate at vertex {k}: mutable vertices are 0..{n - 1}")
    if _needs_object(b):
        b = b.astype(object)
    col = b[:, k]
    row = b[k, :]
    out = b + (np.outer(np.abs(col), row) + np.outer(col, np.abs(row))) // 2
    out[:, k] = -col
    out[k, :] = -row
    return out


def mutate_sequence(b: np.ndarray, seq: Iterable[int]) -> np.ndarray:
    """Mutate along ``seq`` (first element first)."""
    out = np.array(b, copy=True)
    for k in seq:
        out = mutate(out, int(k))
    return out


def mutate_batch(x: np.ndarray, k: int, n_mutable: int | None = None) -> np.ndarray:
    """Mutate a batch of square skew-symmetric matrices ``x`` (L, N, N) at vertex ``k``.

    Vertices ``>= n_mutable`` are frozen: arrows between two frozen vertices are kept at 0.
    int64 only; callers check :data:`SAFE_ABS` first.
    """
    col = x[:, :, k]
    row = x[:, k, :]
    out = x + (np.abs(col)[:, :, None] * row[:, None, :] + col[:, :, None] * np.abs(row)[:, None, :]) // 2
    out[:, :, k] = -col
    out[:, k, :] = -row
    if n_mutable is not None and n_mutable < x.shape[1]:
        out[:, n_mutable:, n_mutable:] = 0
    return out
