"""Exact k-nearest-neighbour graphs computed once (NumPy on the CPU, torch on a GPU) and duplicate removal.

Every kNN-based intrinsic-dimension estimator (TwoNN, MLE, GRIDE at every scale, MADA, TLE,
MOM, CorrInt, ESS) needs only the sorted distances to (and indices of) each point's nearest
neighbours, the point itself excluded.  :func:`knn_graph` computes them for the largest ``k``
any of them needs, so the distance matrix is formed once.

Method: the squared Euclidean distances ``|x_i|^2 + |x_j|^2 - 2 x_i.x_j`` of (centred) data are
computed block by block with matrix products; only blocks on or above the diagonal are formed
(the matrix is symmetric), and a running top-``k`` per row is kept, so memory stays O(n k).

* ``precision="float64"``: the products are done in float64.  The distances then agree with
  scikit-learn's ``NearestNeighbors`` (which uses the same identity in float64) to about 1e-12
  relative.
* ``precision="float32"`` (twice the speed, and what a GPU does well): candidates are found
  in float32 with a margin of extra neighbours, their distances are recomputed exactly in
  float64 from differences ``|x_i - x_j|``, and each row is checked against a rigorous bound on
  the float32 rounding error (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002,
  section 3.1: ``|fl(x.y) - x.y| <= gamma_D |x||y|``, ``gamma_D = D u / (1 - D u)``); a row whose
  k-th exact distance is not safely below the first excluded candidate is recomputed in
  float64 against every point.  The result is therefore exact, not approximate.

All distances are float64, sorted ascending; ties are broken by index order of the search.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.errors import InputError

#: floating-point unit roundoff of float32 and float64 (half the machine epsilon)
_UNIT_ROUNDOFF = {"float32": 2.0**-24, "float64": 2.0**-53}
#: extra float32 candidates kept per row beyond k before the exact float64 check
FLOAT32_MARGIN = 8


class DataError(InputError):
    """Input data that cannot be used (wrong shape, non-finite values, too few points); a
    ``ValueError`` through :class:`workbench.errors.InputError`."""


class DuplicatePointsWarning(UserWarning):
    """Duplicate or near-duplicate rows were removed before estimating a dimension."""


@dataclass(frozen=True)
class KnnGraph:
    """Sorted nearest-neighbour distances and indices of every point (the point itself excluded).

    ``distances[i, j]`` is the Euclidean distance (float64, units of the data) from point ``i``
    to its ``(j + 1)``-th nearest neighbour ``indices[i, j]``.
    """

    distances: np.ndarray
    indices: np.ndarray

    @property
    def n(self) -> int:
        return int(self.distances.shape[0])

    @property
    def k(self) -> int:
        return int(self.distances.shape[1])

    def first(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The distances and indices of the first ``k`` neighbours (``k <= self.k``)."""
        if k > self.k:
            raise ValueError(f"the neighbour graph holds {self.k} neighbours per point; {k} were asked for")
        return self.distances[:, :k], self.indices[:, :k]


def check_data(X: object, *, min_points: int = 3, name: str = "data") -> np.ndarray:
    """``X`` as a float64 ``n x D`` array, or :class:`DataError` saying what is wrong.

    Refused: anything that is not a 2-d numeric array, non-finite values, fewer than
    ``min_points`` rows, fewer than 2 columns (scikit-dimension needs 2 features).
    """
    try:
        arr = np.asarray(X)
    except Exception as exc:  # noqa: BLE001 - any conversion failure is bad input
        raise DataError(f"{name}: cannot be read as a numeric array ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DataError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise DataError(f"{name}: complex values are not supported; pass real coordinates")
    if arr.ndim != 2:
        raise DataError(f"{name}: expected an n x D matrix (one point per row), got shape {arr.shape}")
    n, d = arr.shape
    if n < min_points:
        raise DataError(f"{name}: {n} point(s); at least {min_points} are needed")
    if d < 2:
        raise DataError(f"{name}: {d} column(s); intrinsic-dimension estimators need at least 2 features")
    arr = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise DataError(
            f"{name}: {int(bad.sum())} NaN or infinite value(s) in {len(rows)} row(s) (rows {shown}); "
            "remove or impute them first"
        )
    return np.ascontiguousarray(arr)


def _torch():
    import torch

    return torch


def _resolve_precision(precision: str, device: str) -> str:
    if precision == "auto":
        return "float64" if device == "cpu" else "float32"
    if precision not in ("float32", "float64"):
        raise ValueError(f"precision must be 'auto', 'float32' or 'float64', got {precision!r}")
    return precision


#: floating-point operations of one block product (b x b x d); the cancel check runs between
#: blocks, so a block takes a few tenths of a second on a laptop CPU
BLOCK_FLOPS = 8e9


def _block_rows(n: int, d: int) -> int:
    """Rows per block of the distance matrix: at most :data:`BLOCK_FLOPS` per block product, and
    at least 4 blocks per side where n allows (the diagonal blocks are computed whole, so
    finer blocks bring the work closer to half the full matrix)."""
    cap = max(1, min(n, int(math.sqrt(BLOCK_FLOPS / max(1, 2 * d))), 4096))
    blocks = max(math.ceil(n / cap), min(4, math.ceil(n / 256)))
    return max(1, math.ceil(n / blocks))


def _candidates(Xc, kc: int, cancel: Callable[[], None] | None):
    """The ``kc`` smallest squared distances (sorted) and their indices for every row.

    Only the blocks on and above the diagonal of the (symmetric) squared-distance matrix are
    multiplied; each block gives candidates to its rows (top-``kc`` along dim 1) and, through
    symmetry, to its columns (top-``kc`` along dim 0).  The candidates of a row from every block
    are then reduced to its top ``kc``: nothing of size n x n is ever held."""
    torch = _torch()
    n, d = Xc.shape
    sq = (Xc * Xc).sum(dim=1)
    b = _block_rows(n, d)
    starts = list(range(0, n, b))
    nb = len(starts)
    kb = [min(kc, min(n, s + b) - s) for s in starts]  # a block of c columns offers <= c candidates
    width = sum(kb)
    cand_v = torch.full((n, width), math.inf, dtype=Xc.dtype, device=Xc.device)
    cand_i = torch.zeros((n, width), dtype=torch.int64, device=Xc.device)
    offs = [sum(kb[:j]) for j in range(nb)]
    for ai in range(nb):
        a0 = starts[ai]
        a1 = min(n, a0 + b)
        for ci in range(ai, nb):
            if cancel is not None:
                cancel()
            c0 = starts[ci]
            c1 = min(n, c0 + b)
            # |x_a|^2 + |x_c|^2 written once, then the product accumulated into it in place
            block = sq[a0:a1].unsqueeze(1) + sq[c0:c1].unsqueeze(0)
            block.addmm_(Xc[a0:a1], Xc[c0:c1].T, beta=1.0, alpha=-2.0)
            if ci == ai:
                block.fill_diagonal_(math.inf)
            kr = min(kb[ci], c1 - c0)
            v, i = torch.topk(block, kr, dim=1, largest=False, sorted=False)
            cand_v[a0:a1, offs[ci] : offs[ci] + kr] = v
            cand_i[a0:a1, offs[ci] : offs[ci] + kr] = i + c0
            if ci != ai:
                kr = min(kb[ai], a1 - a0)
                v, i = torch.topk(block, kr, dim=0, largest=False, sorted=False)
                cand_v[c0:c1, offs[ai] : offs[ai] + kr] = v.T
                cand_i[c0:c1, offs[ai] : offs[ai] + kr] = i.T + a0
    v, pos = torch.topk(cand_v, kc, dim=1, largest=False, sorted=True)
    return v.clamp_(min=0.0), torch.gather(cand_i, 1, pos), sq


def _exact_rows(X64, idx):
    """Float64 squared distances of every row ``r`` to its candidate columns ``idx[r]``, from the
    centred float64 data with the identity ``|x|^2 + |y|^2 - 2 x.y`` (scikit-learn's, in
    float64).  On the CPU a loop over rows (a gather of ``kc`` rows and one matrix-vector
    product each) is several times faster than one large gather."""
    torch = _torch()
    Xc = X64 - X64.mean(dim=0, keepdim=True)
    sq = (Xc * Xc).sum(dim=1)
    n, kc = idx.shape
    if Xc.device.type == "cpu":
        Xn, In, Sn = Xc.numpy(), idx.numpy(), sq.numpy()
        out = np.empty((n, kc), dtype=np.float64)
        for r in range(n):
            cols = In[r]
            out[r] = Sn[r] + Sn[cols] - 2.0 * (Xn[cols] @ Xn[r])
        return torch.from_numpy(np.maximum(out, 0.0))
    out = torch.empty((n, kc), dtype=torch.float64, device=Xc.device)
    step = max(1, (1 << 24) // max(1, kc * Xc.shape[1]))
    for s in range(0, n, step):
        e = min(n, s + step)
        G = Xc.index_select(0, idx[s:e].reshape(-1)).view(e - s, kc, -1)
        dots = torch.bmm(G, Xc[s:e].unsqueeze(2)).squeeze(2)
        out[s:e] = sq[s:e].unsqueeze(1) + sq[idx[s:e]] - 2.0 * dots
    return out.clamp_(min=0.0)


def _full_row_exact(X64, r: int, k: int):
    """The exact ``k`` nearest neighbours of row ``r`` against all points (float64 differences)."""
    torch = _torch()
    n = X64.shape[0]
    dist = torch.empty(n, dtype=torch.float64, device=X64.device)
    step = max(1, (1 << 23) // max(1, X64.shape[1]))
    for s in range(0, n, step):
        e = min(n, s + step)
        diff = X64[s:e] - X64[r]
        dist[s:e] = torch.sqrt((diff * diff).sum(dim=1))
    dist[r] = math.inf
    v, i = torch.topk(dist, k, largest=False, sorted=True)
    return v, i


def _candidates_np(Xc: np.ndarray, kc: int, cancel: Callable[[], None] | None) -> tuple[np.ndarray, np.ndarray]:
    """The CPU form of :func:`_candidates` in NumPy: the same blocks on and above the diagonal,
    each product one BLAS call into a reused buffer, ``argpartition`` for the top ``kc`` of its
    rows and (through symmetry) of its columns.  NumPy's element-wise passes run on one thread,
    so on a busy 2-core machine they do not wait on a second OpenMP thread as torch's do, and
    its OpenBLAS is the library the rest of the process (scikit-learn, scipy) already uses.
    Returns the sorted squared distances (clamped at 0) and their indices."""
    n, d = Xc.shape
    sq = np.einsum("ij,ij->i", Xc, Xc)
    b = _block_rows(n, d)
    starts = list(range(0, n, b))
    nb = len(starts)
    kb = [min(kc, min(n, s + b) - s) for s in starts]
    offs = [sum(kb[:j]) for j in range(nb)]
    cand_v = np.full((n, sum(kb)), np.inf, dtype=Xc.dtype)
    cand_i = np.zeros((n, sum(kb)), dtype=np.int64)
    buf = np.empty((b, b), dtype=Xc.dtype)
    for ai in range(nb):
        a0, a1 = starts[ai], min(n, starts[ai] + b)
        for ci in range(ai, nb):
            if cancel is not None:
                cancel()
            c0, c1 = starts[ci], min(n, starts[ci] + b)
            blk = np.matmul(Xc[a0:a1], Xc[c0:c1].T, out=buf[: a1 - a0, : c1 - c0])
            blk *= -2.0
            blk += sq[c0:c1][None, :]
            blk += sq[a0:a1][:, None]
            if ci == ai:
                np.fill_diagonal(blk, np.inf)
            for m, r0, r1, q0, kr, off in (
                (blk, a0, a1, c0, min(kb[ci], c1 - c0), offs[ci]),
                (blk.T, c0, c1, a0, min(kb[ai], a1 - a0), offs[ai]),
            ):
                i = np.argpartition(m, kr - 1, axis=1)[:, :kr] if kr < m.shape[1] else np.indices(m.shape)[1]
                cand_v[r0:r1, off : off + kr] = np.take_along_axis(m, i, 1)
                cand_i[r0:r1, off : off + kr] = i + q0
                if ci == ai:
                    break
    width = cand_v.shape[1]
    pos = np.argpartition(cand_v, kc - 1, axis=1)[:, :kc] if kc < width else np.indices(cand_v.shape)[1]
    v = np.take_along_axis(cand_v, pos, 1)
    o = np.argsort(v, axis=1, kind="stable")
    return np.maximum(np.take_along_axis(v, o, 1), 0.0), np.take_along_axis(np.take_along_axis(cand_i, pos, 1), o, 1)


def _exact_rows_np(Xc: np.ndarray, sq: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """:func:`_exact_rows` on the CPU: float64 ``|x|^2 + |y|^2 - 2 x.y`` of every row to its
    candidates, one gather and matrix-vector product per row.  The rows are visited in reverse
    Cuthill-McKee order of the candidate graph (scipy), so consecutive rows share most of their
    candidates and the gathered rows stay in cache (about 1.4x faster on 5000 x 1000)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    n, kc = idx.shape
    graph = csr_matrix((np.ones(idx.size), idx.ravel(), np.arange(0, idx.size + 1, kc)), shape=(n, n))
    out = np.empty((n, kc), dtype=np.float64)
    for r in reverse_cuthill_mckee(graph, symmetric_mode=False):
        cols = idx[r]
        out[r] = sq[r] + sq[cols] - 2.0 * (Xc[cols] @ Xc[r])
    return np.maximum(out, 0.0)


def _knn_cpu(X: np.ndarray, k: int, precision: str, cancel: Callable[[], None] | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`knn_graph` on the CPU in NumPy (the same method; see the module docstring)."""
    n, d = X.shape
    centred = X - X.mean(axis=0)
    if precision == "float64":
        v2, idx = _candidates_np(centred, k, cancel)
        return np.sqrt(v2), idx
    kc = min(n - 1, k + FLOAT32_MARGIN)
    Xc32 = centred.astype(np.float32)
    v2, idx = _candidates_np(Xc32, kc, cancel)
    sq64 = np.einsum("ij,ij->i", centred, centred)
    exact = _exact_rows_np(centred, sq64, idx)
    order = np.argsort(exact, axis=1, kind="stable")
    exact = np.take_along_axis(exact, order, 1)
    idx = np.take_along_axis(idx, order, 1)
    if kc < n - 1:
        # any excluded j has float32 d2_hat >= v2[:, -1]; its true d2 >= that - err(i, j)
        sq = np.einsum("ij,ij->i", Xc32, Xc32).astype(np.float64)
        u = _UNIT_ROUNDOFF["float32"]
        gamma = (2 * d + 8) * u / (1 - (2 * d + 8) * u)
        bound = v2[:, -1].astype(np.float64) - gamma * (sq + sq.max())
        for r in np.nonzero(exact[:, k - 1] >= bound)[0]:
            if cancel is not None:
                cancel()
            dist = np.empty(n)
            step = max(1, (1 << 23) // max(1, d))
            for s in range(0, n, step):
                diff = X[s : s + step] - X[r]
                dist[s : s + step] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            dist[r] = np.inf
            near = np.argpartition(dist, k - 1)[:k]
            near = near[np.argsort(dist[near], kind="stable")]
            exact[r, :k], idx[r, :k] = dist[near] ** 2, near
    return np.sqrt(exact[:, :k]), idx[:, :k]


def knn_graph(
    X: np.ndarray, k: int, *, device: str = "cpu", precision: str = "auto", cancel: Callable[[], None] | None = None
) -> KnnGraph:
    """The exact ``k`` nearest neighbours of every row of ``X`` (itself excluded), see the module
    docstring for the method.  ``device``: a torch device string; ``precision``: ``"auto"``
    (float64 on the CPU, float32 with exact float64 refinement elsewhere), ``"float32"`` or
    ``"float64"``; ``cancel``: called between blocks (it raises to stop)."""
    torch = _torch()
    X = check_data(X, min_points=2)
    n, d = X.shape
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > n - 1:
        raise ValueError(f"k = {k} neighbours need at least k + 1 = {k + 1} points; the data has {n}")
    precision = _resolve_precision(precision, device)
    dev = torch.device(device)
    if dev.type == "cpu":
        dist_np, idx_np = _knn_cpu(X, k, precision, cancel)
        return KnnGraph(distances=np.ascontiguousarray(dist_np), indices=np.ascontiguousarray(idx_np))
    X64 = torch.from_numpy(X).to(dev)
    centred = X64 - X64.mean(dim=0, keepdim=True)
    if precision == "float64":
        v2, idx, _ = _candidates(centred, k, cancel)
        dist = torch.sqrt(v2)
    else:
        kc = min(n - 1, k + FLOAT32_MARGIN)
        Xc32 = centred.to(torch.float32)
        v2, idx, sq = _candidates(Xc32, kc, cancel)
        exact = _exact_rows(X64, idx)
        exact, order = torch.sort(exact, dim=1, stable=True)
        idx = torch.gather(idx, 1, order)
        if kc < n - 1:
            # any excluded j has float32 d2_hat >= v2[:, -1]; its true d2 >= that - err(i, j)
            u = _UNIT_ROUNDOFF["float32"]
            gamma = (2 * d + 8) * u / (1 - (2 * d + 8) * u)
            err = gamma * (sq.to(torch.float64) + sq.max().to(torch.float64))
            bound = v2[:, -1].to(torch.float64) - err
            unsafe = torch.nonzero(exact[:, k - 1] >= bound).flatten().tolist()
            for r in unsafe:
                if cancel is not None:
                    cancel()
                v, i = _full_row_exact(X64, int(r), k)
                exact[r, :k], idx[r, :k] = v * v, i
        dist, idx = torch.sqrt(exact[:, :k]), idx[:, :k]
    return KnnGraph(
        distances=np.ascontiguousarray(dist.cpu().numpy(), dtype=np.float64),
        indices=np.ascontiguousarray(idx.cpu().numpy(), dtype=np.int64),
    )


def _count_pairs_cpu(X: np.ndarray, radii: list[float], cancel: Callable[[], None] | None) -> list[int]:
    """:func:`count_pairs_within` on the CPU: the blocks and operations of
    :func:`_candidates_np` in float64, so every distance is bit-identical to the graph's."""
    Xc = X - X.mean(axis=0)
    n, d = Xc.shape
    sq = np.einsum("ij,ij->i", Xc, Xc)
    b = _block_rows(n, d)
    starts = list(range(0, n, b))
    buf = np.empty((b, b))
    counts = [0] * len(radii)
    for ai, a0 in enumerate(starts):
        a1 = min(n, a0 + b)
        for c0 in starts[ai:]:
            if cancel is not None:
                cancel()
            c1 = min(n, c0 + b)
            blk = np.matmul(Xc[a0:a1], Xc[c0:c1].T, out=buf[: a1 - a0, : c1 - c0])
            blk *= -2.0
            blk += sq[c0:c1][None, :]
            blk += sq[a0:a1][:, None]
            if c0 == a0:
                np.fill_diagonal(blk, np.inf)
            dist = np.sqrt(np.maximum(blk, 0.0))
            for t, r in enumerate(radii):
                c = int(np.count_nonzero(dist < r))
                counts[t] += c if c0 == a0 else 2 * c
    return counts


def count_pairs_within(
    X: np.ndarray, radii: list[float], *, device: str = "cpu", cancel: Callable[[], None] | None = None
) -> list[int]:
    """For each radius r, the number of ordered pairs (i, j), i != j, with ``|x_i - x_j| < r``
    (float64, the same block products as :func:`knn_graph`'s float64 pass, so a distance
    counted here is bit-identical to the one in the graph)."""
    torch = _torch()
    X = check_data(X, min_points=2)
    dev = torch.device(device)
    if dev.type == "cpu":
        return _count_pairs_cpu(X, radii, cancel)
    X64 = torch.from_numpy(X).to(dev)
    Xc = X64 - X64.mean(dim=0, keepdim=True)
    n, d = Xc.shape
    sq = (Xc * Xc).sum(dim=1)
    b = _block_rows(n, d)
    starts = list(range(0, n, b))
    counts = [0] * len(radii)
    for ai, a0 in enumerate(starts):
        a1 = min(n, a0 + b)
        for c0 in starts[ai:]:
            if cancel is not None:
                cancel()
            c1 = min(n, c0 + b)
            block = sq[a0:a1].unsqueeze(1) + sq[c0:c1].unsqueeze(0)
            block.addmm_(Xc[a0:a1], Xc[c0:c1].T, beta=1.0, alpha=-2.0)
            dist = torch.sqrt(block.clamp_(min=0.0))
            if c0 == a0:
                dist.fill_diagonal_(math.inf)
            for t, r in enumerate(radii):
                c = int((dist < r).sum())
                counts[t] += c if c0 == a0 else 2 * c
    return counts


def duplicate_tolerance(X: np.ndarray, rtol: float) -> float:
    """Distance below which two rows count as duplicates: ``rtol`` times the root-mean-square
    distance of the points to their centroid (units of the data)."""
    X = np.asarray(X, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    scale = float(np.sqrt(np.mean(np.einsum("ij,ij->i", Xc, Xc))))
    return rtol * scale


def unique_rows(
    X: np.ndarray, *, rtol: float = 1e-6, device: str = "cpu", cancel: Callable[[], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(X_unique, kept)``: ``X`` without duplicate and near-duplicate rows, and the indices of
    the rows kept (in their original order).

    Two rows are near-duplicates when their distance is at most :func:`duplicate_tolerance`
    (``rtol`` times the data's RMS radius); of each group of exact duplicates the first row is
    kept, and of each pair of near-duplicates the earlier row (so the earliest row of a group
    of near-duplicates stays).
    Duplicates break the estimators (a zero nearest-neighbour distance: MLE returns 0,
    TwoNN's ratio r2 / r1 is undefined), so they are removed, with a
    :class:`DuplicatePointsWarning`, before any estimate.
    """
    X = check_data(X, min_points=2)
    n = X.shape[0]
    tol = duplicate_tolerance(X, rtol)
    # exact duplicates first (cheap, and any number of them), keeping the first occurrence
    _, first = np.unique(X, axis=0, return_index=True)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    # then near-duplicates, in rounds: pairs within tol among each kept row's few nearest
    # neighbours; of each pair the earlier row stays.  A row with more near-duplicates than
    # listed neighbours is seen again in the next round, so the loop ends with none left.
    while keep.sum() >= 2:
        rows = np.nonzero(keep)[0]
        g = knn_graph(X[rows], min(8, len(rows) - 1), device=device, cancel=cancel)
        near = g.distances <= tol
        if not near.any():
            break
        alive = np.ones(len(rows), dtype=bool)
        for a in np.nonzero(near.any(axis=1))[0]:
            if not alive[a]:
                continue
            for j in g.indices[a][near[a]]:
                if j > a:
                    alive[j] = False  # of a close pair the later row goes
                elif alive[j]:
                    alive[a] = False
                    break
        keep[rows[~alive]] = False
    kept = np.nonzero(keep)[0]
    removed = n - len(kept)
    if removed:
        warnings.warn(
            DuplicatePointsWarning(
                f"{removed} duplicate or near-duplicate row(s) (distance <= {tol:.3g}) removed before "
                f"estimating the dimension; {len(kept)} of {n} points remain"
            ),
            stacklevel=2,
        )
    return X[kept], kept
