"""Architectures of the model zoo (Qt-free, torch).  Every model takes images in [0, 1] of
shape (B, C, H, W) and returns logits (B, classes); no normalisation outside the model.

* ``linear``: softmax regression z = W vec(x) + b (the linear toy model of the paper:
  its largest logit change under ||delta||_p <= eps, delta in V, is eps ||w_V||_q).
* ``mlp``: vec(x) -> 128 -> 64 -> classes, ReLU.
* ``cnn``: conv3x3(16) - ReLU - conv3x3(32) - ReLU - maxpool2 - fc(64) - ReLU - fc(classes).
"""

from __future__ import annotations

import torch
from torch import nn

ARCHITECTURES = ("linear", "mlp", "cnn")


class LinearClassifier(nn.Module):
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        C, H, W = in_shape
        self.fc = nn.Linear(C * H * W, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


class MLP(nn.Module):
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int, hidden: tuple[int, int] = (128, 64)) -> None:
        super().__init__()
        C, H, W = in_shape
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(C * H * W, hidden[0]), nn.ReLU(),
                                 nn.Linear(hidden[0], hidden[1]), nn.ReLU(), nn.Linear(hidden[1], num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        C, H, W = in_shape
        self.features = nn.Sequential(nn.Conv2d(C, 16, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * (H // 2) * (W // 2), 64), nn.ReLU(),
                                  nn.Linear(64, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def build_model(arch: str, in_shape: tuple[int, int, int], num_classes: int) -> nn.Module:
    """A fresh (untrained) model of the named architecture."""
    if arch == "linear":
        return LinearClassifier(in_shape, num_classes)
    if arch == "mlp":
        return MLP(in_shape, num_classes)
    if arch == "cnn":
        return SmallCNN(in_shape, num_classes)
    raise ValueError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHITECTURES)}")
