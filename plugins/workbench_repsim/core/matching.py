"""Neuron matching between two representations of the same inputs.

* Correlation matrix ``C_ij = corr(x_i, y_j)`` (Pearson, over the n inputs) of neuron i of X
  and neuron j of Y.
* Per-neuron best correlation ``max_j C_ij`` (Li, Yosinski, Clune, Lipson, Hopcroft 2016,
  "Convergent Learning", ICLR, arXiv:1511.07543 — the "max" matching).
* One-to-one (Hungarian) assignment maximising the summed correlation (Kuhn 1955, via
  :func:`scipy.optimize.linear_sum_assignment`); its mean matched correlation is the
  *basis correlation* of Brown, Vyas, Bansal (2023), "On Privileged and Convergent Bases in
  Neural Network Representations", arXiv:2307.12941.  Values in [-1, 1]; 1 means the two
  layers share a basis up to a permutation of the neurons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .linalg import cross
from .validate import centre, check_not_constant, check_pair


@dataclass
class Matching:
    """Result of neuron matching."""

    corr: np.ndarray  # p x q correlation matrix
    best: np.ndarray  # per-neuron best correlation of each X neuron (length p)
    rows: np.ndarray  # Hungarian assignment: X neuron rows[k] <-> Y neuron cols[k]
    cols: np.ndarray
    matched: np.ndarray  # correlation of each matched pair

    @property
    def basis_correlation(self) -> float:
        return float(self.matched.mean())


def correlation_matrix(x: Any, y: Any) -> np.ndarray:
    """Pearson correlations between every neuron of X and every neuron of Y (p x q, float64)."""
    a, b = check_pair(x, y, min_samples=3)
    a, b = centre(a), centre(b)
    check_not_constant(a, "X", each_column=True)
    check_not_constant(b, "Y", each_column=True)
    sa = np.sqrt(np.einsum("ij,ij->j", a, a, dtype=np.float64))
    sb = np.sqrt(np.einsum("ij,ij->j", b, b, dtype=np.float64))
    return np.clip(cross(a, b) / np.outer(sa, sb), -1.0, 1.0)


def match_neurons(x: Any, y: Any) -> Matching:
    """Per-neuron best match and the Hungarian one-to-one matching of X's neurons to Y's."""
    c = correlation_matrix(x, y)
    rows, cols = linear_sum_assignment(c, maximize=True)
    return Matching(c, c.max(axis=1), rows, cols, c[rows, cols])


def basis_correlation(x: Any, y: Any) -> float:
    """Mean correlation of Hungarian-matched neuron pairs (Brown et al. 2023)."""
    return match_neurons(x, y).basis_correlation
