"""Extraction hooks and pooling, the zoo models, stitching, mode connectivity, rotation."""

from __future__ import annotations

import copy
import importlib.util

import numpy as np
import pytest
import torch

from workbench_repsim.core.data import digits_split
from workbench_repsim.core.extract import extract_with_hooks, extract_zoo, pool
from workbench_repsim.core.lmc import align_mlp, lmc_curve
from workbench_repsim.core.models import SoLU, TinyLM
from workbench_repsim.core.rotation import random_rotation
from workbench_repsim.core.stitching import classifier_task, stitch
from workbench_repsim.core.validate import DegenerateInputError
from workbench_repsim.core.zoo import ZOO, load_zoo_model, provenance


def test_hooks_match_manual_forward():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    x = torch.randn(33, 5)
    feats = extract_with_hooks(net, x, ["0", "1", "2"], batch_size=10)
    with torch.no_grad():
        h0 = net[0](x)
        assert np.allclose(feats["0"], h0.numpy(), atol=1e-6)
        assert np.allclose(feats["1"], torch.tanh(h0).numpy(), atol=1e-6)
        assert np.allclose(feats["2"], net(x).numpy(), atol=1e-6)
    with pytest.raises(DegenerateInputError, match="no submodule"):
        extract_with_hooks(net, x, ["nope"])


def test_pooling_with_mask():
    h = torch.arange(2 * 3 * 2, dtype=torch.float32).reshape(2, 3, 2)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert torch.allclose(pool(h, "mean", mask)[0], h[0, :2].mean(0))
    assert torch.allclose(pool(h, "last", mask)[0], h[0, 1])
    assert torch.allclose(pool(h, "last", mask)[1], h[1, 2])
    assert torch.allclose(pool(h, "first", mask), h[:, 0])
    assert pool(h, "tokens", mask).shape == (5, 2)


def test_solu_definition():
    x = torch.randn(4, 6)
    s = SoLU(6)
    assert torch.allclose(s(x), torch.nn.functional.layer_norm(x * torch.softmax(x, -1), (6,), s.ln.weight, s.ln.bias))


def test_lm_features_hooks_agree():
    torch.manual_seed(0)
    m = TinyLM(96, 16, 2, 2, 32, 12, "solu").eval()
    tokens = torch.randint(0, 96, (3, 12))
    feats = m.features(tokens)
    hooked = extract_with_hooks(m, tokens, ["blocks.0.act", "blocks.1"], pooling="tokens")
    assert np.allclose(hooked["blocks.0.act"], feats["mlp0"].reshape(-1, 32).detach().numpy(), atol=1e-6)
    assert np.allclose(hooked["blocks.1"], feats["resid2"].reshape(-1, 16).detach().numpy(), atol=1e-6)
    with torch.no_grad():
        assert torch.allclose(m(tokens), m.forward_from("resid1", feats["resid1"]), atol=1e-5)


def test_hf_is_optional_with_clear_message(tmp_path):
    from workbench_repsim.core.extract import extract_hf

    (tmp_path / "config.json").write_text("{}")
    if importlib.util.find_spec("transformers") is None:
        with pytest.raises(DegenerateInputError, match="pip install transformers"):
            extract_hf(tmp_path, ["hello"])
    else:
        with pytest.raises(DegenerateInputError, match="cannot load"):
            extract_hf(tmp_path, ["hello"])


@pytest.mark.parametrize("name", [n for n in ZOO if n.startswith("mlp-w64-s") or n == "mlp-w64-frozen-s0"])
def test_zoo_mlp_reproduces_recorded_accuracy(name):
    m = load_zoo_model(name)
    _, _, xte, yte = digits_split(0)
    with torch.no_grad():
        acc = float((m(torch.from_numpy(xte)).argmax(-1).numpy() == yte).mean())
    assert acc == pytest.approx(provenance(name)["metrics"]["test_accuracy"], abs=1e-3)
    assert acc > 0.9
    assert "train_defaults" in provenance(name)["command"]


def test_zoo_lm_loads_and_predicts():
    from workbench_repsim.core.data import default_text_windows
    from workbench_repsim.core.training import eval_lm

    m = load_zoo_model("lm-gelu-d32-s0")
    w = default_text_windows(49, 40)
    loss, acc = eval_lm(m, w)
    assert loss < 1.5 and acc > 0.5  # far better than uniform over 96 characters (4.56 nats)
    feats = extract_zoo(m, w[:, :48], pooling="mean")
    assert list(feats) == ["resid0", "mlp0", "resid1", "mlp1", "resid2"]
    assert feats["mlp0"].shape == (40, 128)


def test_frozen_layers_identical_in_zoo():
    a, b = load_zoo_model("mlp-w64-frozen-s0"), load_zoo_model("mlp-w64-frozen-s1")
    assert torch.equal(a.hidden[0].weight, b.hidden[0].weight)
    assert torch.equal(a.hidden[1].weight, b.hidden[1].weight)
    assert not torch.equal(a.hidden[2].weight, b.hidden[2].weight)


def test_stitching_into_itself_costs_nothing():
    m = load_zoo_model("mlp-w16-s0")
    task = classifier_task(*digits_split(0))
    r = stitch(m, "h2", m, "h2", task, steps=20)
    assert abs(r.penalty) < 0.02
    assert r.accuracy == pytest.approx(r.receiver_accuracy, abs=0.01)


def test_permuted_copy_is_aligned_and_connected():
    a = load_zoo_model("mlp-w16-s0")
    b = copy.deepcopy(a)
    rng = np.random.default_rng(0)
    prev = None
    with torch.no_grad():
        for lin in b.hidden:
            p = torch.from_numpy(rng.permutation(lin.out_features))
            w = lin.weight[:, prev] if prev is not None else lin.weight
            lin.weight.copy_(w[p])
            lin.bias.copy_(lin.bias[p])
            prev = p
        b.out.weight.copy_(b.out.weight[:, prev])
    xtr, _, xte, yte = digits_split(0)
    with torch.no_grad():
        assert torch.allclose(a(torch.from_numpy(xte)), b(torch.from_numpy(xte)), atol=1e-5)
    aligned = align_mlp(a, b, xtr)
    with torch.no_grad():
        fa = a.features(torch.from_numpy(xtr))
    for k, (la, lb) in enumerate(zip(a.hidden, aligned.hidden, strict=True)):
        # units dead on the data (constant) are interchangeable; every live unit must be matched exactly
        alive = fa[f"h{k + 1}"].std(0) > 1e-6
        assert alive.sum() >= 8
        assert torch.allclose(la.bias[alive], lb.bias[alive])
        if k == 0:
            assert torch.allclose(la.weight[alive], lb.weight[alive])
    assert lmc_curve(a, b, xte, yte, align=True, x_align=xtr).barrier == pytest.approx(0.0, abs=1e-5)
    assert lmc_curve(a, b, xte, yte).barrier > 0.05


def test_random_rotation_is_orthogonal():
    r = random_rotation(20, 3).double()
    assert torch.allclose(r @ r.T, torch.eye(20, dtype=torch.float64), atol=1e-6)


def test_local_checkpoints_need_their_sidecar_and_kind(tmp_path):
    import shutil

    from workbench_repsim.core.sources import load_model_source
    from workbench_repsim.core.zoo import zoo_path

    src = zoo_path("mlp-w16-s0")
    shutil.copy(src, tmp_path / "m.safetensors")
    with pytest.raises(DegenerateInputError, match=r"m.safetensors: its sidecar .*m.json is missing"):
        load_model_source(str(tmp_path / "m.safetensors"))
    shutil.copy(src.with_suffix(".json"), tmp_path / "m.json")
    model, family = load_model_source(str(tmp_path / "m.safetensors"))
    assert family == "mlp" and model.config["widths"] == [16, 16, 16]
    from workbench_resources import resource_path

    other = resource_path("adversarial", "digits-mlp.safetensors")
    with pytest.raises(
        DegenerateInputError,
        match="digits-mlp.safetensors is a checkpoint of kind 'adversarial-classifier', expected kind 'repsim-model'",
    ):
        load_model_source(str(other))
