"""The rotation test of Brown, Vyas, Bansal (2023, "On Privileged and Convergent Bases in
Neural Network Representations", arXiv:2307.12941).

A random orthogonal matrix R is inserted after hidden layer k of a trained MLP
(``h_k -> R h_k``) and the layers after it are retrained from their trained weights.  If
the basis of h_k were not privileged the next layer could simply learn ``W' = W R^T`` and
undo the rotation.  Reported: accuracy of the original, of the rotated network before and
after retraining, and of a control retrained without rotation; how far the retrained next
layer is from the exact inverse (``||W' R - W||_F / ||W||_F``; 0 = rotation undone); and the
basis correlation and linear CKA between the original and retrained h_{k+1}.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .cka import linear_cka
from .matching import basis_correlation
from .models import DigitsMLP
from .training import eval_classifier, train_mlp


@dataclass
class RotationResult:
    layer: int
    acc_original: float
    acc_rotated: float  # rotated, before retraining
    acc_retrained: float  # rotated, after retraining what follows
    acc_control: float  # retrained the same way without rotation
    undo_error: float  # ||W' R - W|| / ||W|| after rotation
    undo_error_control: float  # ||W'_control - W|| / ||W||
    basis_corr: float  # original vs rotated-retrained h_{k+1}
    basis_corr_control: float
    cka: float
    cka_control: float


def random_rotation(d: int, seed: int) -> torch.Tensor:
    """Haar-random orthogonal d x d matrix (QR of a Gaussian with sign correction; Mezzadri 2007)."""
    g = torch.Generator().manual_seed(seed)
    q, r = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    return (q * torch.sign(torch.diagonal(r))).float()


def _rotated_forward(model: DigitsMLP, k: int, rot: torch.Tensor | None) -> Callable[[torch.Tensor], torch.Tensor]:
    def fwd(x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, lin in enumerate(model.hidden):
            h = F.relu(lin(h))
            if i + 1 == k and rot is not None:
                h = h @ rot.T
        return model.out(h)

    return fwd


def _linear(model: DigitsMLP, k: int) -> torch.nn.Linear:
    """Hidden layer ``k`` (0-based) of the MLP; its ModuleList is typed as holding any Module."""
    lin = model.hidden[k]
    assert isinstance(lin, torch.nn.Linear)
    return lin


def _next_weight(model: DigitsMLP, k: int) -> torch.Tensor:
    return (_linear(model, k) if k < len(model.hidden) else model.out).weight.detach()


@torch.no_grad()
def _hidden(model: DigitsMLP, k: int, rot: torch.Tensor | None, x: np.ndarray) -> np.ndarray:
    h = torch.from_numpy(x)
    for i, lin in enumerate(model.hidden):
        h = F.relu(lin(h))
        if i + 1 == k and rot is not None:
            h = h @ rot.T
        if i == k:
            return h.numpy().astype(np.float64)
    raise ValueError("no hidden layer after the rotated one")


def rotation_test(
    model: DigitsMLP,
    k: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int = 20,
    lr: float = 1e-3,
    seed: int = 0,
) -> RotationResult:
    """Rotate after hidden layer ``k`` (1-based, with a hidden layer after it), retrain the rest."""
    if not 1 <= k < len(model.hidden):
        raise ValueError(f"k must be between 1 and {len(model.hidden) - 1} (a hidden layer must follow the rotation)")
    width = _linear(model, k - 1).out_features
    rot = random_rotation(width, seed)
    acc0 = eval_classifier(model, x_test, y_test)[1]
    rotated, control = copy.deepcopy(model), copy.deepcopy(model)
    acc_rot = eval_classifier(_rotated_forward(rotated, k, rot), x_test, y_test)[1]
    for net, r in ((rotated, rot), (control, None)):
        params = [p for lin in list(net.hidden[k:]) + [net.out] for p in lin.parameters()]
        for p in net.hidden[:k].parameters():
            p.requires_grad_(False)
        train_mlp(net, x_train, y_train, epochs, lr, seed + 1, params=params, forward=_rotated_forward(net, k, r))
        for p in net.parameters():
            p.requires_grad_(True)
    acc_re = eval_classifier(_rotated_forward(rotated, k, rot), x_test, y_test)[1]
    acc_ctl = eval_classifier(_rotated_forward(control, k, None), x_test, y_test)[1]
    w0 = _next_weight(model, k)
    undo = float(torch.linalg.norm(_next_weight(rotated, k) @ rot - w0) / torch.linalg.norm(w0))
    undo_c = float(torch.linalg.norm(_next_weight(control, k) - w0) / torch.linalg.norm(w0))
    h0 = _hidden(model, k, None, x_test)
    hr = _hidden(rotated, k, rot, x_test)
    hc = _hidden(control, k, None, x_test)
    keep = (h0.std(0) > 1e-8) & (hr.std(0) > 1e-8) & (hc.std(0) > 1e-8)
    return RotationResult(
        k,
        acc0,
        acc_rot,
        acc_re,
        acc_ctl,
        undo,
        undo_c,
        basis_correlation(h0[:, keep], hr[:, keep]),
        basis_correlation(h0[:, keep], hc[:, keep]),
        linear_cka(h0, hr),
        linear_cka(h0, hc),
    )
