"""Architectures of the model zoo (Qt-free, torch).  Every model takes images in [0, 1] of
shape (B, C, H, W) and returns logits (B, classes); no normalisation outside the model.

* ``linear``: softmax regression z = W vec(x) + b (the linear toy model of the paper:
  its largest logit change under ||delta||_p <= eps, delta in V, is eps ||w_V||_q).
* ``mlp``: vec(x) -> 128 -> 64 -> classes, ReLU.
* ``cnn``: conv3x3(16) - ReLU - conv3x3(32) - ReLU - maxpool2 - fc(64) - ReLU - fc(classes).
* ``resnet``: a ResNet-style CNN of realistic size (He et al., "Deep residual learning for image
  recognition", CVPR 2016): a conv3x3(16)-BN-ReLU stem, five stages of one basic block each
  (two conv3x3-BN with an identity or 1x1-conv shortcut) of widths 16, 32, 64, 128, 256, the
  last four of stride 2, global average pooling, fc(classes).  On 3x32x32 inputs: 1.23 million
  parameters and about 20 million multiply-adds per image (the width doubles where the
  resolution halves, so every stage costs the same; most parameters sit at 4x4 and 2x2).
"""

from __future__ import annotations

import torch
from torch import nn

from workbench.seeding import init_module_, preserve_global_rng

ARCHITECTURES = ("linear", "mlp", "cnn", "resnet")


class LinearClassifier(nn.Module):
    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        C, H, W = in_shape
        self.fc = nn.Linear(C * H * W, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


class MLP(nn.Module):
    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int, hidden: tuple[int, int] = (128, 64)) -> None:
        super().__init__()
        C, H, W = in_shape
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(C * H * W, hidden[0]),
            nn.ReLU(),
            nn.Linear(hidden[0], hidden[1]),
            nn.ReLU(),
            nn.Linear(hidden[1], num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        C, H, W = in_shape
        self.features = nn.Sequential(
            nn.Conv2d(C, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * (H // 2) * (W // 2), 64), nn.ReLU(), nn.Linear(64, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class BasicBlock(nn.Module):
    """Two conv3x3-BN layers with a residual connection (He et al. 2016, fig. 2)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    """The zoo's ``resnet`` (see the module docstring); any input size (global pooling)."""

    WIDTHS = (16, 32, 64, 128, 256)

    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        C = in_shape[0]
        w = self.WIDTHS
        self.stem = nn.Sequential(nn.Conv2d(C, w[0], 3, padding=1, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU())
        self.stages = nn.Sequential(*[BasicBlock(w[max(i - 1, 0)], w[i], 1 if i == 0 else 2) for i in range(len(w))])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(w[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))


def build_model(
    arch: str, in_shape: tuple[int, int, int], num_classes: int, generator: torch.Generator | None = None
) -> nn.Module:
    """A fresh (untrained) model of the named architecture.

    generator: the initial weights are drawn from it (:func:`workbench.seeding.init_module_`;
    ``torch_generator(seed)`` gives the weights ``torch.manual_seed(seed)`` gave before).  None:
    placeholder weights for ``load_state_dict`` (drawn without changing torch's process-wide
    generator, so not reproducible by themselves)."""
    if arch == "linear":
        model: nn.Module = LinearClassifier(in_shape, num_classes)
    elif arch == "mlp":
        model = MLP(in_shape, num_classes)
    elif arch == "cnn":
        model = SmallCNN(in_shape, num_classes)
    elif arch == "resnet":
        model = ResNet(in_shape, num_classes)
    else:
        raise ValueError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHITECTURES)}")
    return model if generator is None else init_module_(model, generator)
