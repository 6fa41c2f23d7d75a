"""Names of the pairwise measures, in menu order (standard library only).

The CLI's argument parser and the panel's measure menu list these names without importing
numpy; :data:`workbench_repsim.core.measures.MEASURES` holds the functions under the same
names, in the same order.
"""

MEASURE_NAMES: tuple[str, ...] = (
    "cka",
    "cka-debiased",
    "cka-rbf",
    "procrustes",
    "procrustes-angular",
    "cca",
    "svcca",
    "pwcca",
    "rsa",
    "basis-correlation",
)

#: the range each measure takes on (the panel's default colour scale): the CKA variants, the CCA
#: family and RSA/basis correlation are similarities bounded by 1 (debiased CKA and the two
#: correlations can go below 0: they are shown from -1 when they do); the orthogonal Procrustes
#: distance sqrt(2 - 2 ||X^T Y||_*) of unit-Frobenius-norm X, Y lies in [0, sqrt 2], the angular
#: one arccos ||X^T Y||_* in [0, pi / 2] (Williams et al. 2021)
MEASURE_RANGES: dict[str, tuple[float, float]] = {
    "cka": (0.0, 1.0),
    "cka-debiased": (0.0, 1.0),
    "cka-rbf": (0.0, 1.0),
    "procrustes": (0.0, 2**0.5),
    "procrustes-angular": (0.0, 1.5707963267948966),
    "cca": (0.0, 1.0),
    "svcca": (0.0, 1.0),
    "pwcca": (0.0, 1.0),
    "rsa": (0.0, 1.0),
    "basis-correlation": (0.0, 1.0),
}
#: measures whose values can be negative: their scale starts at -1 when a value shown is below 0
SIGNED_MEASURES: frozenset[str] = frozenset({"cka-debiased", "rsa", "basis-correlation"})
