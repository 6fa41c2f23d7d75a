"""Representational similarity analysis (Kriegeskorte, Mur, Bandettini 2008, Front. Syst.
Neurosci. 2:4).

Each representation gives a representational dissimilarity matrix (RDM) over its n inputs,
``RDM_ij = 1 - corr(x_i, x_j)`` (Pearson correlation between the activation vectors of
inputs i and j); two representations are compared by the Spearman rank correlation of the
upper triangles of their RDMs.  Result in [-1, 1].  Memory O(n^2).

Both steps run in blocks with :func:`workbench.jobs.heartbeat` between them, so a job can be
cancelled within one block (at n = 6000, scipy's ``pdist`` of one RDM took 18 s and
``spearmanr`` of the two 18-million-entry triangles 42 s as single calls on a loaded machine):
the correlation RDM is ``1 - Z_i . Z_j`` of the rows standardised once, a block of rows at a
time (:func:`rdm`); the Spearman correlation is the Pearson correlation of average ranks
(:func:`average_ranks`: values split into ranges at sample quantiles, each range ranked on its
own, so equal values share a range and their average rank is the global one).  The values
equal scipy's ``pdist`` and ``spearmanr`` to rounding (tests/repsim/test_blocked_steps.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import rankdata

from workbench.jobs import heartbeat

from .validate import DegenerateInputError, check_pair

#: values per block of the blocked steps (about 0.05-0.3 s of work each on one core)
BLOCK_VALUES = 2_000_000
#: multiply-adds per block of the RDM's product (about 0.1 s on one core)
BLOCK_PRODUCTS = 300_000_000
#: value ranges :func:`average_ranks` ranks one at a time
RANK_RANGES = 64


def _correlation_rdm(a: np.ndarray) -> np.ndarray:
    """Condensed correlation-distance RDM of the rows of ``a`` (scipy's ``pdist`` order:
    (0, 1), (0, 2), ..., (1, 2), ...), a block of rows at a time."""
    n = a.shape[0]
    z = a - a.mean(axis=1, keepdims=True)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    out = np.empty(n * (n - 1) // 2)
    rows = max(1, min(BLOCK_VALUES // n, BLOCK_PRODUCTS // (n * max(a.shape[1], 1))))
    pos = 0
    for r0 in range(0, n - 1, rows):
        heartbeat()
        r1 = min(n - 1, r0 + rows)
        d = 1.0 - z[r0:r1] @ z[r0:].T  # rows r0..r1-1 against rows r0..n-1
        upper = np.arange(n - r0)[None, :] > np.arange(r1 - r0)[:, None]
        vals = d[upper]  # row-major: row i's entries j > i, in order
        out[pos : pos + len(vals)] = vals
        pos += len(vals)
    return out


def average_ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1..N of ``v`` (1-D, no NaN), ties given their average rank, as
    ``scipy.stats.rankdata(v)``, in value ranges with :func:`~workbench.jobs.heartbeat`
    between them."""
    v = np.asarray(v, dtype=np.float64)
    N = len(v)
    if N <= BLOCK_VALUES:
        return rankdata(v)
    sample = np.sort(v[:: max(1, N // 20000)])
    edges = np.unique(sample[np.linspace(0, len(sample) - 1, RANK_RANGES + 1).astype(int)[1:-1]])
    which = np.empty(N, dtype=np.int16)
    for i in range(0, N, BLOCK_VALUES):
        heartbeat()
        which[i : i + BLOCK_VALUES] = np.searchsorted(edges, v[i : i + BLOCK_VALUES], side="right")
    ranks = np.empty(N)
    offset = 0
    for k in range(len(edges) + 1):
        heartbeat()
        idx = np.flatnonzero(which == k)
        if len(idx):
            ranks[idx] = rankdata(v[idx]) + offset
            offset += len(idx)
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two equally long 1-D arrays (average ranks for ties):
    the Pearson correlation of :func:`average_ranks`, summed in blocks."""
    ra = average_ranks(a)
    heartbeat()
    rb = average_ranks(b)
    m = (len(ra) + 1) / 2.0  # the mean of average ranks 1..N
    sab = saa = sbb = 0.0
    for i in range(0, len(ra), BLOCK_VALUES):
        heartbeat()
        da, db = ra[i : i + BLOCK_VALUES] - m, rb[i : i + BLOCK_VALUES] - m
        sab += float(da @ db)
        saa += float(da @ da)
        sbb += float(db @ db)
    return sab / np.sqrt(saa * sbb)


def rdm(x: np.ndarray, metric: str = "correlation") -> np.ndarray:
    """Condensed RDM (upper triangle, length n(n-1)/2, scipy's ``pdist`` order): the
    correlation distance in row blocks, other metrics with scipy's ``pdist``."""
    a = np.asarray(x, np.float64)
    if metric == "correlation":
        sd = a.std(axis=1)
        if (sd <= 1e-12 * max(1.0, float(np.abs(a).max()))).any():
            i = int(np.nonzero(sd <= 1e-12 * max(1.0, float(np.abs(a).max())))[0][0])
            raise DegenerateInputError(
                f"RSA: input {i} has the same activation on every feature, so its correlation "
                "distance is undefined; use metric='euclidean' or drop that input"
            )
        return _correlation_rdm(a)
    return pdist(a, metric=metric)


def rsa(x: Any, y: Any, metric: str = "correlation") -> float:
    """Spearman correlation between the RDMs of X and Y."""
    a, b = check_pair(x, y, min_samples=3)
    if a.shape[0] > 6000:
        raise DegenerateInputError(
            f"RSA builds n x n dissimilarity matrices; n = {a.shape[0]} is too large (at most 6000)"
        )
    heartbeat()
    da = rdm(a, metric)
    heartbeat()
    db = rdm(b, metric)
    heartbeat()
    if np.ptp(da) == 0 or np.ptp(db) == 0:
        raise DegenerateInputError(
            "RSA: all dissimilarities are equal in one representation; the rank correlation is undefined"
        )
    return float(spearman(da, db))
