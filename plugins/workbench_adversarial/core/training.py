"""Short, seeded training of the zoo models (Qt-free, torch): Adam + cross-entropy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from workbench.seeding import torch_generator


@dataclass
class TrainReport:
    epochs: int
    train_accuracy: float
    test_accuracy: float
    final_loss: float


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, device: str = "cpu", batch: int = 512) -> float:
    """Top-1 accuracy of ``model`` on (x, y)."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            xb = torch.as_tensor(x[i : i + batch], device=device)
            correct += int((model(xb).argmax(1).cpu().numpy() == y[i : i + batch]).sum())
    return correct / max(len(y), 1)


def train_classifier(
    model: nn.Module,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    epochs: int = 30,
    lr: float = 3e-3,
    batch: int = 64,
    weight_decay: float = 1e-4,
    seed: int = 0,
    device: str = "cpu",
    cosine: bool = False,
) -> TrainReport:
    """Train with Adam (lr, weight decay) on shuffled mini-batches; returns accuracies.
    cosine: the learning rate follows a cosine from ``lr`` to 0 over the run, per step
    (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts); else it stays at ``lr``.

    ``seed`` orders the mini-batches (an explicit generator; torch's process-wide one is not
    touched).  The initial weights are the model's own: build it with
    ``build_model(..., generator=torch_generator(seed))`` for a reproducible run."""
    g = torch_generator(seed)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    xt = torch.as_tensor(x_train)
    yt = torch.as_tensor(y_train)
    loss_val = float("nan")
    n_steps = epochs * -(-len(yt) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(n_steps, 1)) if cosine else None
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(yt), generator=g)
        for i in range(0, len(yt), batch):
            idx = perm[i : i + batch]
            xb, yb = xt[idx].to(device), yt[idx].to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            loss_val = float(loss.detach())
    model.eval()
    return TrainReport(
        epochs, accuracy(model, x_train, y_train, device), accuracy(model, x_test, y_test, device), loss_val
    )
