"""A small ResNet whose block outputs are the named layers the probes read.

Stem (3x3 conv, BN, ReLU) then four stages of one basic block each (He et al. 2016, the
ResNet-18 block: two 3x3 convs with BN and an identity or 1x1-conv shortcut), widths
``w, 2w, 4w, 4w`` and strides 2, 2, 2, 1 (feature maps 16, 8, 4, 4 pixels wide), then
global average pooling and a linear classifier.
The layers probed are ``stem, layer1, ..., layer4`` (the paper probes ResNet-18's block
outputs the same way, Konz et al. arXiv 2310.03149 section 3.1).  ``width=12`` has about
88,000 parameters.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

LAYERS: tuple[str, ...] = ("stem", "layer1", "layer2", "layer3", "layer4")


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class ConceptResNet(nn.Module):
    """The task network.  ``forward(x)`` gives class logits; :meth:`pooled` the
    channel-averaged output of one named layer (the probe's input, one value per neuron)."""

    def __init__(self, width: int = 12, num_classes: int = 10) -> None:
        super().__init__()
        if not 1 <= width <= 256 or not 2 <= num_classes <= 10_000:
            raise ValueError(f"width must be in 1..256 and num_classes in 2..10000, got {width}, {num_classes}")
        self.width = width
        self.num_classes = num_classes
        w = width
        self.stem = nn.Sequential(nn.Conv2d(3, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.layer1 = BasicBlock(w, w, 2)
        self.layer2 = BasicBlock(w, 2 * w, 2)
        self.layer3 = BasicBlock(2 * w, 4 * w, 2)
        self.layer4 = BasicBlock(4 * w, 4 * w, 1)
        self.fc = nn.Linear(4 * w, num_classes)

    def architecture(self) -> dict[str, Any]:
        return {"model": "ConceptResNet", "width": self.width, "num_classes": self.num_classes}

    def layer_width(self, layer: str) -> int:
        """Number of neurons (channels) of ``layer``."""
        return {"stem": 1, "layer1": 1, "layer2": 2, "layer3": 4, "layer4": 4}[check_layer(layer)] * self.width

    def pooled(self, x: torch.Tensor, layer: str) -> torch.Tensor:
        """Global-average-pooled output of ``layer`` (N x channels); stops there."""
        check_layer(layer)
        h = x
        for name in LAYERS:
            h = getattr(self, name)(h)
            if name == layer:
                return h.mean(dim=(2, 3))
        raise AssertionError("unreachable")

    def all_pooled(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Pooled outputs of every layer in one pass."""
        out = {}
        h = x
        for name in LAYERS:
            h = getattr(self, name)(h)
            out[name] = h.mean(dim=(2, 3))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for name in LAYERS:
            h = getattr(self, name)(h)
        return self.fc(h.mean(dim=(2, 3)))


def check_layer(layer: str) -> str:
    """``layer`` if it is one of :data:`LAYERS`, else ValueError naming the choices."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}: choose one of {', '.join(LAYERS)}")
    return layer
