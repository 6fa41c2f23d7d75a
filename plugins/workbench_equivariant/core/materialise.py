"""Dense n^l x n^k matrices of the diagram and orbit basis elements, for small n: the slow
reference the fast multiplication (:mod:`.fast`) is tested against, and the anchor of the
benchmark.  Entry (J, I) is indexed by the output multi-index J and the input multi-index I,
both flattened in C order (the last axis fastest), so ``y.flatten() = A @ x.flatten()``."""

from __future__ import annotations

import numpy as np

from .partitions import Diagram, diagrams

#: refuse to materialise more than this many entries at once (float64: 8 bytes each)
MAX_ENTRIES = 400_000_000


def _axes(m: int, n: int) -> list[np.ndarray]:
    """For each of the m points an index array broadcastable to shape (n,)*m."""
    return [np.arange(n).reshape((1,) * p + (n,) + (1,) * (m - p - 1)) for p in range(m)]


def _check_size(d: Diagram, n: int, count: int = 1) -> None:
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    entries = count * n ** (d.k + d.l)
    if entries > MAX_ENTRIES:
        raise ValueError(
            f"materialising {count} element(s) of order k + l = {d.k + d.l} at n = {n} needs {entries:,} entries "
            f"(limit {MAX_ENTRIES:,}); use a smaller n"
        )


def _to_matrix(mask: np.ndarray, d: Diagram, n: int) -> np.ndarray:
    """A boolean array over (input axes..., output axes...) as the n^l x n^k matrix."""
    full = np.broadcast_to(mask, (n,) * (d.k + d.l)) if d.k + d.l else mask.reshape(())
    return np.ascontiguousarray(full.reshape(n**d.k, n**d.l).T)


def diagram_matrix(d: Diagram, n: int) -> np.ndarray:
    """D_π as a dense 0/1 float64 matrix (n^l x n^k): 1 where the indices within each block are equal."""
    _check_size(d, n)
    ax = _axes(d.k + d.l, n)
    mask = np.ones((1,) * (d.k + d.l), dtype=bool)
    for b in d.blocks:
        for p in b[1:]:
            mask = mask & (ax[b[0]] == ax[p])
    return _to_matrix(mask, d, n).astype(np.float64)


def orbit_matrix(d: Diagram, n: int) -> np.ndarray:
    """X_π as a dense 0/1 float64 matrix (n^l x n^k): 1 where the indices are equal within each
    block and different between blocks (zero when π has more than n blocks)."""
    _check_size(d, n)
    ax = _axes(d.k + d.l, n)
    mask = np.ones((1,) * (d.k + d.l), dtype=bool)
    for b in d.blocks:
        for p in b[1:]:
            mask = mask & (ax[b[0]] == ax[p])
    reps = [b[0] for b in d.blocks]
    for i in range(len(reps)):
        for j in range(i + 1, len(reps)):
            mask = mask & (ax[reps[i]] != ax[reps[j]])
    return _to_matrix(mask, d, n).astype(np.float64)


def basis_matrices(k: int, l: int, n: int, kind: str = "diagram") -> np.ndarray:  # noqa: E741
    """All Bell(k + l) elements of one basis at n, stacked: shape (Bell, n^l, n^k), in the order of
    :func:`~.partitions.diagrams`.  ``kind``: ``"diagram"`` or ``"orbit"``."""
    if kind not in ("diagram", "orbit"):
        raise ValueError(f"kind must be 'diagram' or 'orbit', got {kind!r}")
    ds = diagrams(k, l)
    _check_size(ds[0], n, count=len(ds))
    make = diagram_matrix if kind == "diagram" else orbit_matrix
    return np.stack([make(d, n) for d in ds])


def basis_rank(k: int, l: int, n: int, kind: str = "diagram") -> int:  # noqa: E741
    """The rank of the materialised basis (each element flattened to a vector of n^(k+l)
    entries), by SVD in float64.  For the diagram basis it equals :func:`~.partitions.dimension`
    (full rank Bell(k + l) exactly when n >= k + l)."""
    A = basis_matrices(k, l, n, kind).reshape(len(diagrams(k, l)), -1)
    return int(np.linalg.matrix_rank(A))
