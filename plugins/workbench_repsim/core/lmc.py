"""Linear mode connectivity of two MLPs, optionally after permutation alignment.

The loss along the straight path ``theta(alpha) = (1 - alpha) theta_A + alpha theta_B``
(Frankle et al. 2020, "Linear Mode Connectivity and the Lottery Ticket Hypothesis") and its
barrier ``max_alpha [L(theta(alpha)) - ((1 - alpha) L(theta_A) + alpha L(theta_B))]`` (nats).
Hidden units are interchangeable, so B can first be permuted to match A: *activation
matching* (Ainsworth, Hayase, Srinivasa 2023, "Git Re-Basin", ICLR) solves, per hidden
layer, a linear assignment maximising the correlation of A's and B's units on data, and
applies the permutations to B's weights (the function of B is unchanged).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from .models import DigitsMLP
from .training import eval_classifier


@dataclass
class LMCResult:
    alphas: np.ndarray
    loss: np.ndarray  # nats
    accuracy: np.ndarray
    barrier: float  # nats
    aligned: bool


def _corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(0)
    b = b - b.mean(0)
    sa = np.sqrt((a**2).sum(0)) + 1e-12
    sb = np.sqrt((b**2).sum(0)) + 1e-12
    return (a.T @ b) / np.outer(sa, sb)


@torch.no_grad()
def align_mlp(model_a: DigitsMLP, model_b: DigitsMLP, x: np.ndarray) -> DigitsMLP:
    """A copy of B with each hidden layer's units permuted to best match A's (activation matching).

    Dead units (constant on the data) have correlation 0 with everything and are matched last.
    """
    if model_a.config != model_b.config:
        raise ValueError("permutation alignment needs two MLPs of the same architecture")
    fa = model_a.features(torch.from_numpy(x))
    fb = model_b.features(torch.from_numpy(x))
    out = copy.deepcopy(model_b)
    prev = None
    for i, lin in enumerate(out.hidden):
        assert isinstance(lin, torch.nn.Linear)  # DigitsMLP's hidden layers (ModuleList items are typed Module)
        c = _corr(fa[f"h{i + 1}"].numpy().astype(np.float64), fb[f"h{i + 1}"].numpy().astype(np.float64))
        _, perm = linear_sum_assignment(c, maximize=True)
        w = lin.weight.data
        if prev is not None:
            w = w[:, prev]
        lin.weight.data = w[perm].clone()
        lin.bias.data = lin.bias.data[perm].clone()
        prev = perm
    out.out.weight.data = out.out.weight.data[:, prev].clone()
    return out


@torch.no_grad()
def interpolate(model_a: torch.nn.Module, model_b: torch.nn.Module, alpha: float) -> torch.nn.Module:
    m = copy.deepcopy(model_a)
    sa, sb = model_a.state_dict(), model_b.state_dict()
    m.load_state_dict({k: (1 - alpha) * sa[k] + alpha * sb[k] for k in sa})
    return m


def path_barrier(alphas: np.ndarray, losses: np.ndarray) -> float:
    """Loss barrier of an interpolation path: max_a [L(a) - ((1 - a) L(0) + a L(1))] (Frankle et al. 2020)."""
    return float(np.max(losses - ((1 - alphas) * losses[0] + alphas * losses[-1])))


def lmc_curve(
    model_a: DigitsMLP,
    model_b: DigitsMLP,
    x: np.ndarray,
    y: np.ndarray,
    *,
    align: bool = False,
    x_align: np.ndarray | None = None,
    n_alphas: int = 11,
) -> LMCResult:
    """Loss and accuracy on (x, y) along the interpolation path, with optional alignment of B on ``x_align``."""
    b = align_mlp(model_a, model_b, x if x_align is None else x_align) if align else model_b
    alphas = np.linspace(0, 1, n_alphas)
    losses, accs = [], []
    for a in alphas:
        loss, acc = eval_classifier(interpolate(model_a, b, float(a)), x, y)
        losses.append(loss)
        accs.append(acc)
    losses_arr = np.array(losses)
    return LMCResult(alphas, losses_arr, np.array(accs), path_barrier(alphas, losses_arr), align)
