"""Registry of pairwise measures by name (the names the CLI and the panel use).

Every measure takes two n x d activation matrices (same n) and returns a float.  Whether it
is a similarity (higher = more alike) or a distance is in :data:`KIND`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cca import mean_squared_cca, pwcca, svcca
from .cka import linear_cka, rbf_cka
from .matching import basis_correlation
from .procrustes import procrustes_angular, procrustes_distance
from .rsa import rsa

MEASURES: dict[str, Callable[[Any, Any], float]] = {
    "cka": lambda x, y: linear_cka(x, y, debiased=False),
    "cka-debiased": lambda x, y: linear_cka(x, y, debiased=True),
    "cka-rbf": lambda x, y: rbf_cka(x, y, threshold=0.5),
    "procrustes": procrustes_distance,
    "procrustes-angular": procrustes_angular,
    "cca": mean_squared_cca,
    "svcca": svcca,
    "pwcca": pwcca,
    "rsa": rsa,
    "basis-correlation": basis_correlation,
}

#: "similarity" (1 = identical) or "distance" (0 = identical)
KIND: dict[str, str] = {name: "similarity" for name in MEASURES}
KIND["procrustes"] = "distance"
KIND["procrustes-angular"] = "distance"

DESCRIPTION: dict[str, str] = {
    "cka": "linear CKA (Kornblith et al. 2019)",
    "cka-debiased": "linear CKA with the unbiased HSIC estimator",
    "cka-rbf": "RBF-kernel CKA, bandwidth 0.5 x median distance",
    "procrustes": "orthogonal Procrustes distance sqrt(2 - 2||X^T Y||_*) (Williams et al. 2021)",
    "procrustes-angular": "angular Procrustes distance arccos ||X^T Y||_* in radians",
    "cca": "mean squared canonical correlation R^2_CCA",
    "svcca": "SVCCA, 99% variance (Raghu et al. 2017)",
    "pwcca": "projection-weighted CCA (Morcos et al. 2018)",
    "rsa": "RSA: Spearman correlation of correlation-distance RDMs",
    "basis-correlation": "mean Hungarian-matched neuron correlation (Brown et al. 2023)",
}


def get_measure(name: str) -> Callable[[Any, Any], float]:
    """The measure called ``name``; ValueError listing the known names otherwise."""
    try:
        return MEASURES[name]
    except KeyError:
        raise ValueError(f"unknown measure {name!r}; choose one of: {', '.join(MEASURES)}") from None


def compare(x: Any, y: Any, measure: str) -> float:
    """Value of ``measure`` between X and Y."""
    return float(get_measure(measure)(x, y))
