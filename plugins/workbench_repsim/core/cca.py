"""Canonical correlation analysis and its derived similarities.

* Canonical correlations rho_1 >= ... >= rho_k (k = min(p, q)) of centred X (n x p) and
  Y (n x q): the singular values of ``Q_X^T Q_Y`` where ``X = Q_X R_X`` (thin QR)
  (Bjorck & Golub 1973).
* ``mean_squared_cca`` = R^2_CCA = sum rho_i^2 / k (Kornblith et al. 2019, Table 1).
* ``svcca`` (Raghu, Gilmer, Yosinski, Sohl-Dickstein 2017, arXiv:1706.05806): keep the top
  singular directions of each side explaining ``keep`` of the variance (default 99%), then the
  mean canonical correlation.
* ``pwcca`` (Morcos, Raghu, Bengio 2018, arXiv:1806.05759): ``sum_i alpha_i rho_i`` with
  ``alpha_i ∝ sum_j |<h_i, x_j>|``, h_i the i-th canonical variate of X (unit norm) and x_j the
  j-th (centred) neuron of X.

All similarities are in [0, 1].  CCA needs more samples than features on each side
(otherwise every correlation is trivially 1) and no constant feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.jobs import heartbeat

from .blocked_svd import thin_svd
from .linalg import cross, times
from .validate import DegenerateInputError, centre, check_not_constant, check_pair


@dataclass
class CCAResult:
    """Canonical correlations (descending) and the X-side canonical variates (n x k, unit norm)."""

    rho: np.ndarray
    variates_x: np.ndarray
    variates_y: np.ndarray


def _orth(a: np.ndarray, name: str, rtol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis of the column space of ``a`` (SVD; refuses rank deficiency)."""
    u, s, _ = thin_svd(a)  # in row blocks, heartbeat() between them
    rank = int((s > rtol * s[0]).sum()) if s.size and s[0] > 0 else 0
    if rank < a.shape[1]:
        raise DegenerateInputError(
            f"{name}: its {a.shape[1]} features span only {rank} dimensions (linearly dependent "
            "features); CCA is ill-posed — use SVCCA, which reduces the dimension first, or CKA"
        )
    return u


def cca(x: Any, y: Any, center: bool = True) -> CCAResult:
    """Canonical correlations of X and Y (float64).  ``center=False`` reproduces the
    uncentred variant used in Kornblith et al.'s reference notebook."""
    a, b = check_pair(x, y)
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if center:
        a, b = centre(a), centre(b)
        check_not_constant(a, "X", each_column=True)
        check_not_constant(b, "Y", each_column=True)
    n = a.shape[0]
    need = max(a.shape[1], b.shape[1]) + 1
    if n < need:
        raise DegenerateInputError(
            f"CCA: {n} samples for {a.shape[1]} and {b.shape[1]} features; CCA needs more samples than "
            f"features on each side (at least {need}), else every correlation is 1 — use more inputs, SVCCA or CKA"
        )
    qx, qy = _orth(a, "X"), _orth(b, "Y")
    u, rho, vt = np.linalg.svd(cross(qx, qy), full_matrices=False)
    heartbeat()
    return CCAResult(np.clip(rho, 0.0, 1.0), times(qx, u), times(qy, vt.T))


def mean_squared_cca(x: Any, y: Any, center: bool = True) -> float:
    """R^2_CCA = mean of squared canonical correlations."""
    return float(np.mean(cca(x, y, center).rho ** 2))


def svd_reduce(a: np.ndarray, keep: float = 0.99, max_dims: int | None = None) -> np.ndarray:
    """Project centred ``a`` onto its top singular directions explaining ``keep`` of the variance."""
    a = centre(np.asarray(a, np.float64))
    heartbeat()
    u, s, _ = thin_svd(a)
    var = s**2
    if var.sum() == 0:
        raise DegenerateInputError("SVCCA: a representation is constant over samples")
    k = int(np.searchsorted(np.cumsum(var) / var.sum(), keep) + 1)
    k = min(k, len(s))
    if max_dims is not None:
        k = min(k, max_dims)
    return u[:, :k] * s[:k]


def svcca(x: Any, y: Any, keep: float = 0.99, max_dims: int | None = None) -> float:
    """SVCCA similarity: mean canonical correlation after SVD reduction to ``keep`` variance.

    The reduced dimension is also capped at n/2 so that CCA stays well-posed.
    """
    a, b = check_pair(x, y, min_samples=3)
    cap = max(1, a.shape[0] // 2) if max_dims is None else max_dims
    ra, rb = svd_reduce(a, keep, cap), svd_reduce(b, keep, cap)
    return float(np.mean(cca(ra, rb).rho))


def pwcca(x: Any, y: Any) -> float:
    """Projection-weighted CCA similarity (Morcos et al. 2018), weights from the X side."""
    a, _ = check_pair(x, y)
    res = cca(x, y)
    ac = centre(np.asarray(a, np.float64))
    alpha = np.abs(cross(res.variates_x, ac)).sum(axis=1)
    if alpha.sum() == 0:
        raise DegenerateInputError("PWCCA: all projection weights are zero")
    alpha = alpha / alpha.sum()
    return float(alpha @ res.rho)
