"""Representational similarity analysis (Kriegeskorte, Mur, Bandettini 2008, Front. Syst.
Neurosci. 2:4).

Each representation gives a representational dissimilarity matrix (RDM) over its n inputs,
``RDM_ij = 1 - corr(x_i, x_j)`` (Pearson correlation between the activation vectors of
inputs i and j); two representations are compared by the Spearman rank correlation of the
upper triangles of their RDMs.  Result in [-1, 1].  Memory O(n^2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr

from workbench.jobs import heartbeat

from .validate import DegenerateInputError, check_pair


def rdm(x: np.ndarray, metric: str = "correlation") -> np.ndarray:
    """Condensed RDM (upper triangle, length n(n-1)/2) with scipy's ``pdist``."""
    a = np.asarray(x, np.float64)
    if metric == "correlation":
        sd = a.std(axis=1)
        if (sd <= 1e-12 * max(1.0, float(np.abs(a).max()))).any():
            i = int(np.nonzero(sd <= 1e-12 * max(1.0, float(np.abs(a).max())))[0][0])
            raise DegenerateInputError(
                f"RSA: input {i} has the same activation on every feature, so its correlation "
                "distance is undefined; use metric='euclidean' or drop that input"
            )
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
    return float(spearmanr(da, db).statistic)
