"""An inference-only form of :class:`~.models.MicrographResNet` for the live 1-LI slider
(Qt-free, torch): the same function of the input in eval mode, computed faster on a CPU.

* every BatchNorm folded into the convolution before it, with its running statistics:
  s = gamma / sqrt(var + eps), W' = s W (per output channel), b' = beta - s mean (+ s b);
* tensors and weights in channels-last layout (oneDNN's fast path for convolutions with few
  channels; on this 2-core CPU a 1-LI update of layer1.conv1 on 1000 images went from 268 ms
  to 179 ms by the layout alone, see docs/micrograph.md);
* in-place ReLU and residual additions (no new tensor per elementwise step);
* no autograd (callers run it under ``torch.inference_mode``).

Equal to the model in eval mode within float rounding (tests/micrograph/test_folded.py): only
the order of the additions changes.  The weights are copied when the object is built; a later
change of the model is not seen.

:meth:`FoldedResNet.cut` and :meth:`FoldedResNet.after` split the network at an editable layer
as :meth:`~.models.MicrographResNet.split` does, except that the layer's output is taken
*after* its BatchNorm (folded into the layer): since the folded layer is still linear in the
layer's weight, 1-LI mixes folded outputs exactly as it mixed raw ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .models import EDITABLE_LAYERS, BasicBlock, MicrographResNet

_STAGES = ("layer1", "layer2", "layer3")


@dataclass(frozen=True)
class _Conv:
    """A convolution with its BatchNorm folded in: weight (channels-last), bias, the BN scale s
    (per output channel, to fold other weights of the same layer), stride and padding."""

    weight: torch.Tensor
    bias: torch.Tensor
    scale: torch.Tensor
    stride: tuple[int, ...]
    padding: tuple[int, ...]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(W', b', s): the convolution followed by ``bn`` in eval mode as one convolution,
    s = gamma / sqrt(running_var + eps), W' = s W, b' = beta - s running_mean + s b."""
    if bn.running_var is None or bn.running_mean is None:
        raise ValueError("BatchNorm without running statistics cannot be folded")
    s = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    b = bn.bias.detach() - s * bn.running_mean
    if conv.bias is not None:
        b = b + s * conv.bias.detach()
    return conv.weight.detach() * s[:, None, None, None], b, s


class FoldedResNet:
    """See the module docstring.  ``model``: the classifier (its eval-mode function is what is
    computed); ``device``: where the folded weights live."""

    def __init__(self, model: MicrographResNet, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.convs: dict[str, _Conv] = {}
        with torch.no_grad():
            self._add("stem.conv", model.stem.conv, model.stem.bn)
            for st in _STAGES:
                block: BasicBlock = getattr(model, st)
                self._add(f"{st}.conv1", block.conv1, block.bn1)
                self._add(f"{st}.conv2", block.conv2, block.bn2)
                if isinstance(block.shortcut, nn.Sequential):
                    sc_conv, sc_bn = block.shortcut[0], block.shortcut[1]
                    if not isinstance(sc_conv, nn.Conv2d) or not isinstance(sc_bn, nn.BatchNorm2d):
                        raise TypeError(f"{st}.shortcut: expected Conv2d + BatchNorm2d, got {block.shortcut}")
                    self._add(f"{st}.shortcut", sc_conv, sc_bn)
            self.fc_weight = model.fc.weight.detach().to(self.device).clone()
            self.fc_bias = model.fc.bias.detach().to(self.device).clone()

    def _add(self, name: str, conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
        w, b, s = fold_batchnorm(conv, bn)
        self.convs[name] = _Conv(
            w.to(self.device).contiguous(memory_format=torch.channels_last),
            b.to(self.device).clone(),
            s.to(self.device).clone(),
            tuple(conv.stride),
            tuple(conv.padding),  # type: ignore[arg-type]
        )

    # ---------------------------------------------------------------- the network in pieces
    def _shortcut(self, stage: str, h: torch.Tensor) -> torch.Tensor:
        sc = self.convs.get(f"{stage}.shortcut")
        return h if sc is None else sc(h)

    def _block(self, stage: str, h: torch.Tensor) -> torch.Tensor:
        a = self.convs[f"{stage}.conv1"](h).relu_()
        return self.convs[f"{stage}.conv2"](a).add_(self._shortcut(stage, h)).relu_()

    def _head(self, h: torch.Tensor, after: str) -> torch.Tensor:
        """The stages after ``after`` ("stem" or a stage name), pooling and fc."""
        start = 0 if after == "stem" else _STAGES.index(after) + 1
        for st in _STAGES[start:]:
            h = self._block(st, h)
        return F.linear(h.mean(dim=(2, 3)), self.fc_weight, self.fc_bias)

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        return (x.to(self.device) - 0.5).contiguous(memory_format=torch.channels_last)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features (B, 4w) entering fc."""
        h = self.convs["stem.conv"](self._stem(x)).relu_()
        for st in _STAGES:
            h = self._block(st, h)
        return h.mean(dim=(2, 3))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, classes) of images ``x`` (B, 1, H, W) in [0, 1]."""
        return F.linear(self.features(x), self.fc_weight, self.fc_bias)

    def cut(self, layer: str, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(inputs, aux): what enters ``layer`` for the images ``x``, and what :meth:`after`
        needs besides the layer's output (the block's shortcut)."""
        if layer not in EDITABLE_LAYERS:
            raise ValueError(f"unknown layer {layer!r}; editable layers: {', '.join(EDITABLE_LAYERS)}")
        if layer == "fc":
            return self.features(x), {}
        h = self._stem(x)
        if layer == "stem.conv":
            return h, {}
        h = self.convs["stem.conv"](h).relu_()
        stage, conv = layer.split(".")
        for st in _STAGES[: _STAGES.index(stage)]:
            h = self._block(st, h)
        sc = self._shortcut(stage, h)
        if conv == "conv1":
            return h, {"sc": sc}
        return self.convs[f"{stage}.conv1"](h).relu_(), {"sc": sc}

    def layer_output(
        self,
        layer: str,
        inputs: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        folded_bias: bool = True,
    ) -> torch.Tensor:
        """The output of ``layer`` (its BatchNorm folded in) for ``inputs`` when the layer has
        the raw (unfolded) ``weight`` and ``bias``.  ``folded_bias=False`` leaves out the
        BatchNorm's shift beta - s mean (for differences of two weights: s (W1 - W0) * x)."""
        w = weight.detach().to(self.device)
        if layer == "fc":
            b = bias.detach().to(self.device) if bias is not None else None
            return F.linear(inputs, w, b)
        c = self.convs[layer]
        s = c.scale
        b = c.bias if folded_bias else torch.zeros_like(c.bias)
        if bias is not None:
            b = b + s * bias.detach().to(self.device)
        w = (w * s[:, None, None, None]).contiguous(memory_format=torch.channels_last)
        return F.conv2d(inputs, w, b, c.stride, c.padding)

    def after(self, layer: str, y: torch.Tensor, aux: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits from the (folded) output ``y`` of ``layer`` on; ``y`` is overwritten."""
        if layer == "fc":
            return y
        if layer == "stem.conv":
            return self._head(y.relu_(), "stem")
        stage, conv = layer.split(".")
        if conv == "conv1":
            h = self.convs[f"{stage}.conv2"](y.relu_()).add_(aux["sc"]).relu_()
        else:
            h = y.add_(aux["sc"]).relu_()
        return self._head(h, stage)
