"""The micrograph classifier: a small ResNet (He et al., CVPR 2016) for grey micrographs, with
the layer-level access that the edits and 1-layer interpolation need (Qt-free, torch).

``MicrographResNet(num_classes, width)``::

    stem    conv 3x3 stride 2 (1 -> w) + BN + ReLU                 H/2
    layer1  basic block (w -> w)                                    H/2
    layer2  basic block (w -> 2w, stride 2, 1x1 projection)         H/4
    layer3  basic block (2w -> 4w, stride 2, 1x1 projection)        H/8
    head    global average pool + fc (4w -> classes)

A basic block is relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut x).  Global pooling makes the
network accept any image size.  Input: images in [0, 1], shape (B, 1, H, W); the network
subtracts 0.5 itself, so attacks and corruptions act on the [0, 1] pixels.

Editable layers are the convolutions and the fc layer, named by their module paths
(:data:`EDITABLE_LAYERS`); "blocks" (:data:`BLOCKS`) group them for surgical finetuning.
:meth:`MicrographResNet.split` cuts the network at a layer into what comes before (the input
of that layer, plus the block's shortcut where needed) and what comes after (from the layer's
output to the logits), so that 1-LI costs only the part after the layer per alpha.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from workbench.seeding import init_module_, preserve_global_rng

from .specs import BLOCKS, EDITABLE_LAYERS  # re-exported: the names live in .specs (torch-free)

ARCH = "micrograph-resnet"
#: the kind recorded in this plugin's checkpoint sidecars (workbench.checkpoint)
CHECKPOINT_KIND = "micrograph-classifier"


class Stem(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class BasicBlock(nn.Module):
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
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + self.shortcut(x))


@dataclass
class Split:
    """The network cut at ``layer``: ``inputs`` (what enters the layer, (B, ...)), ``aux``
    (tensors the rest needs besides the layer's output, e.g. the block's shortcut; the same
    batch order) and ``after(y, aux) -> logits``, the network from the layer's output on."""

    layer: str
    inputs: torch.Tensor
    aux: dict[str, torch.Tensor]
    after: Callable[[torch.Tensor, dict[str, torch.Tensor]], torch.Tensor]


class MicrographResNet(nn.Module):
    """See the module docstring.  ``width``: channels of the first stage."""

    @preserve_global_rng()
    def __init__(self, num_classes: int, width: int = 8, in_channels: int = 1) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"a classifier needs at least 2 classes, got {num_classes}")
        self.num_classes, self.width, self.in_channels = int(num_classes), int(width), int(in_channels)
        w = self.width
        self.stem = Stem(in_channels, w)
        self.layer1 = BasicBlock(w, w, 1)
        self.layer2 = BasicBlock(w, 2 * w, 2)
        self.layer3 = BasicBlock(2 * w, 4 * w, 2)
        self.fc = nn.Linear(4 * w, num_classes)

    def architecture(self) -> dict[str, Any]:
        return {"arch": ARCH, "num_classes": self.num_classes, "width": self.width, "in_channels": self.in_channels}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features (B, 4w) entering the fc layer."""
        h = self.stem(x - 0.5)
        h = self.layer3(self.layer2(self.layer1(h)))
        return h.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))

    # ---------------------------------------------------------------- layer access
    def layer(self, name: str) -> nn.Conv2d | nn.Linear:
        """The editable layer ``name`` (one of :data:`EDITABLE_LAYERS`)."""
        if name not in EDITABLE_LAYERS:
            raise ValueError(f"unknown layer {name!r}; editable layers: {', '.join(EDITABLE_LAYERS)}")
        mod = self.get_submodule(name)
        assert isinstance(mod, (nn.Conv2d, nn.Linear))
        return mod

    def _stages_after(self, stage: str) -> Callable[[torch.Tensor], torch.Tensor]:
        order = ["layer1", "layer2", "layer3"]
        rest = order[order.index(stage) + 1 :] if stage in order else order

        def run(h: torch.Tensor) -> torch.Tensor:
            for s in rest:
                h = getattr(self, s)(h)
            return self.fc(h.mean(dim=(2, 3)))

        return run

    def split(self, name: str, x: torch.Tensor) -> Split:
        """Cut the network at layer ``name`` for the batch ``x`` (no gradients are kept)."""
        self.layer(name)
        with torch.no_grad():
            if name == "fc":
                return Split(name, self.features(x), {}, lambda y, aux: y)
            h = x - 0.5
            if name == "stem.conv":
                rest = self._stages_after("stem")
                return Split(name, h, {}, lambda y, aux: rest(F.relu(self.stem.bn(y))))
            h = self.stem(h)
            stage, conv = name.split(".")
            for s in ("layer1", "layer2", "layer3"):
                if s == stage:
                    break
                h = getattr(self, s)(h)
            block: BasicBlock = getattr(self, stage)
            rest = self._stages_after(stage)
            sc = block.shortcut(h)
            if conv == "conv1":
                return Split(
                    name,
                    h,
                    {"sc": sc},
                    lambda y, aux: rest(F.relu(block.bn2(block.conv2(F.relu(block.bn1(y)))) + aux["sc"])),
                )
            h1 = F.relu(block.bn1(block.conv1(h)))
            return Split(name, h1, {"sc": sc}, lambda y, aux: rest(F.relu(block.bn2(y) + aux["sc"])))


def apply_layer(layer: nn.Module, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``layer`` (a Conv2d or Linear) applied to ``x`` with the given weight and bias."""
    if isinstance(layer, nn.Conv2d):
        return F.conv2d(
            x, weight, bias, stride=layer.stride, padding=layer.padding, dilation=layer.dilation, groups=layer.groups
        )
    if isinstance(layer, nn.Linear):
        return F.linear(x, weight, bias)
    raise TypeError(f"cannot apply a {type(layer).__name__}")


def build_model(num_classes: int, width: int = 8, generator: torch.Generator | None = None) -> MicrographResNet:
    """A fresh classifier, its weights drawn from ``generator`` (torch's default init)."""
    model = MicrographResNet(num_classes, width)
    if generator is not None:
        init_module_(model, generator)
    return model


def model_from_architecture(arch: dict[str, Any]) -> MicrographResNet:
    """An (uninitialised) model for a checkpoint's architecture dict."""
    if arch.get("arch") != ARCH:
        raise ValueError(f"not a micrograph classifier architecture: {arch.get('arch')!r} (expected {ARCH!r})")
    return MicrographResNet(int(arch["num_classes"]), int(arch.get("width", 8)), int(arch.get("in_channels", 1)))


def block_parameters(model: nn.Module, block: str) -> list[str]:
    """Names of the parameters of ``block`` (one of :data:`BLOCKS`) or of one editable layer."""
    if block not in BLOCKS and block not in EDITABLE_LAYERS:
        raise ValueError(
            f"unknown block or layer {block!r}; blocks: {', '.join(BLOCKS)}; layers: {', '.join(EDITABLE_LAYERS)}"
        )
    return [n for n, _ in model.named_parameters() if n == block or n.startswith(block + ".")]
