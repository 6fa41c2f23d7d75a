"""Names of the pairwise measures, in menu order (standard library only).

The CLI's argument parser and the panel's measure menu list these names without importing
numpy; :data:`workbench_repsim.core.measures.MEASURES` holds the functions under the same
names, in the same order.
"""

MEASURE_NAMES: tuple[str, ...] = ("cka", "cka-debiased", "cka-rbf", "procrustes", "procrustes-angular", "cca",
                                  "svcca", "pwcca", "rsa", "basis-correlation")
