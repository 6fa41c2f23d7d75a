"""Orthogonal Procrustes distance and its angular form (Williams, Kunz, Kornblith, Linderman
2021, "Generalized Shape Metrics on Neural Representations", NeurIPS, arXiv:2110.14739).

With X, Y centred and scaled to unit Frobenius norm (n x p and n x q; the narrower one is
implicitly zero-padded), ``min_{Q orthogonal} ||X - Y Q||_F^2 = 2 - 2 ||X^T Y||_*`` where
``||.||_*`` is the nuclear norm (sum of singular values).  Reported:

* ``procrustes_distance`` = ``sqrt(2 - 2 ||X^T Y||_*)`` in [0, sqrt(2)] (a Euclidean metric);
* ``procrustes_angular``  = ``arccos(||X^T Y||_*)`` in radians, in [0, pi/2] (a metric on the
  shape space, the "Riemannian" form of Williams et al.).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .linalg import cross
from .validate import centre, check_not_constant, check_pair


def nuclear_from_cross(xty: np.ndarray, norm_x2: float, norm_y2: float) -> float:
    """``||X^T Y||_*`` for unit-norm X, Y from the raw cross-product and squared norms."""
    s = np.linalg.svd(xty, compute_uv=False)
    return float(np.clip(s.sum() / np.sqrt(norm_x2 * norm_y2), 0.0, 1.0))


def procrustes_similarity(x: Any, y: Any) -> float:
    """``||X^T Y||_*`` of centred, unit-Frobenius-norm X and Y (1 means identical up to rotation)."""
    a, b = check_pair(x, y)
    a, b = centre(a), centre(b)
    check_not_constant(a, "X")
    check_not_constant(b, "Y")
    nx2 = float(np.einsum("ij,ij->", a, a, dtype=np.float64))
    ny2 = float(np.einsum("ij,ij->", b, b, dtype=np.float64))
    return nuclear_from_cross(cross(a, b), nx2, ny2)


def procrustes_distance(x: Any, y: Any) -> float:
    """``sqrt(2 - 2 ||X^T Y||_*)``: the minimal Frobenius distance after rotation (unit norms)."""
    return float(np.sqrt(max(2.0 - 2.0 * procrustes_similarity(x, y), 0.0)))


def procrustes_angular(x: Any, y: Any) -> float:
    """``arccos ||X^T Y||_*`` (radians): the angular Procrustes distance of Williams et al. (2021)."""
    return float(np.arccos(procrustes_similarity(x, y)))
