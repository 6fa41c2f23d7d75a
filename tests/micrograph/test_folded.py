"""The inference form of the classifier (core/folded.py) and the fast 1-LI built on it compute
the same function as the model itself (BatchNorm in eval mode) and as interpolating the weights
and running the whole model (interpolate_layer), at every editable layer."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from workbench_micrograph.core.data import ImageSet
from workbench_micrograph.core.edits import LayerInterpolation, interpolate_layer
from workbench_micrograph.core.folded import FoldedResNet, fold_batchnorm
from workbench_micrograph.core.models import EDITABLE_LAYERS, build_model


def _model(seed: int = 0):
    model = build_model(5, 4, generator=torch.Generator().manual_seed(seed)).eval()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():  # BN statistics and affine parameters far from the identity
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.num_features, generator=g) * 0.2 - 0.1)
    return model


def _edited(model, layer: str, seed: int = 5):
    out = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in out.named_parameters():
            if n.startswith(layer + "."):
                p.add_(2.0 * p.abs().mean() * torch.randn(p.shape, generator=g))
    return out


def test_fold_batchnorm_is_the_conv_then_bn():
    model = _model()
    conv, bn = model.layer1.conv1, model.layer1.bn1
    conv_b = torch.nn.Conv2d(4, 4, 3, padding=1, bias=True)
    with torch.no_grad():
        conv_b.weight.copy_(conv.weight)
        conv_b.bias.uniform_(-0.3, 0.3)
    x = torch.randn(3, 4, 9, 9)
    w, b, s = fold_batchnorm(conv_b, bn)
    with torch.no_grad():
        torch.testing.assert_close(torch.nn.functional.conv2d(x, w, b, padding=1), bn(conv_b(x)), rtol=1e-5, atol=1e-5)
    assert torch.allclose(s, bn.weight / torch.sqrt(bn.running_var + bn.eps))


def test_folded_network_equals_the_model_in_eval_mode():
    model = _model()
    x = torch.rand(7, 1, 32, 32)
    with torch.no_grad():
        ref = model(x)
    with torch.inference_mode():
        out = FoldedResNet(model)(x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(ref, model.train()(x).detach(), atol=1e-3)  # the statistics matter


@pytest.mark.parametrize("layer", EDITABLE_LAYERS)
def test_cut_and_after_reproduce_the_forward_pass(layer):
    model = _model()
    net = FoldedResNet(model)
    x = torch.rand(6, 1, 32, 32)
    lay = model.layer(layer)
    with torch.inference_mode():
        inputs, aux = net.cut(layer, x)
        out = net.after(layer, net.layer_output(layer, inputs, lay.weight, lay.bias), aux)
    with torch.no_grad():
        torch.testing.assert_close(out, model(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layer", EDITABLE_LAYERS)
def test_fast_interpolation_equals_interpolating_the_weights(layer):
    model = _model()
    edited = _edited(model, layer)
    rng = np.random.default_rng(0)
    # 150 images: more than two chunks and a partial one
    sets = {
        "a": ImageSet(rng.random((150, 1, 32, 32), dtype=np.float32), rng.integers(0, 5, 150), ()),
        "b": ImageSet(rng.random((9, 1, 32, 32), dtype=np.float32), rng.integers(0, 5, 9), ()),
    }
    fast = LayerInterpolation(model, edited, layer, sets)
    for a in (0.0, 0.37, 1.0):
        slow = interpolate_layer(model, edited, layer, a)
        with torch.no_grad():
            ref = {n: slow(torch.as_tensor(s.x)) for n, s in sets.items()}
        for n in sets:
            torch.testing.assert_close(fast.logits(n, a), ref[n], rtol=1e-4, atol=1e-5)
        acc = fast.accuracies(a)
        for n, s in sets.items():
            assert acc[n] == pytest.approx(float((ref[n].argmax(1).numpy() == s.y).mean()))
    # the edit moves the logits, so the check above is not between two equal models
    with torch.no_grad():
        x = torch.as_tensor(sets["a"].x)
        assert (model(x) - edited(x)).abs().max() > 1e-3  # 30x the tolerance
