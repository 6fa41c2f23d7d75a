"""The classifier: the cut at every layer reproduces the forward pass, training is seeded,
checkpoints and users' files load (or are refused by name), and the shipped model meets the
issue's bar on the embedded default data."""

from __future__ import annotations

import pytest
import torch

from workbench_micrograph.core.data import DefaultData, default_data
from workbench_micrograph.core.models import EDITABLE_LAYERS, apply_layer, build_model
from workbench_micrograph.core.train import (
    ModelFileError,
    ModelRef,
    TrainConfig,
    accuracy,
    d4,
    default_model_path,
    load_classifier,
    load_model,
    load_user_model,
    save_classifier,
    train_classifier,
)

TINY = DefaultData(seed=3, train=4, val=2, test=3, shifted_test=3, pool=4)


def _model(seed=0):
    return build_model(5, 4, generator=torch.Generator().manual_seed(seed)).eval()


@pytest.mark.parametrize("layer", EDITABLE_LAYERS)
def test_split_at_every_layer_reproduces_the_forward_pass(layer):
    model = _model()
    # BN statistics that are not the identity, so that the cut has to carry them
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    x = torch.rand(6, 1, 32, 32)
    sp = model.split(layer, x)
    lay = model.layer(layer)
    y = apply_layer(lay, sp.inputs, lay.weight, lay.bias)
    torch.testing.assert_close(sp.after(y, sp.aux), model(x), rtol=1e-5, atol=1e-5)


def test_d4_is_the_symmetry_group_of_the_square():
    x = torch.rand(8, 1, 5, 5)
    k = torch.arange(8)
    y = d4(x, k)
    assert torch.equal(y[0], x[0]) and torch.equal(y[2], torch.rot90(x[2], 2, dims=(1, 2)))
    assert len({tuple(v.flatten().tolist()) for v in d4(x[:1].repeat(8, 1, 1, 1), k)}) == 8


def test_training_is_seeded_and_learns():
    data = default_data(TINY)
    cfg = TrainConfig(epochs=2, batch=8, width=4, seed=1)
    a = train_classifier(data.train, data.val, data.num_classes, cfg)
    b = train_classifier(data.train, data.val, data.num_classes, cfg)
    c = train_classifier(data.train, data.val, data.num_classes, TrainConfig(epochs=2, batch=8, width=4, seed=2))
    sa, sb, sc = (m.model.state_dict() for m in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert len(a.history) == 2 and a.history[1].loss < a.history[0].loss * 1.5
    with pytest.raises(ValueError, match="out of range"):
        TrainConfig(epochs=0).check()


def test_checkpoint_and_user_files(tmp_path):
    model = _model()
    x = torch.rand(3, 1, 32, 32)
    save_classifier(tmp_path / "m.safetensors", model, {"command": "test"})
    back, prov = load_classifier(tmp_path / "m.safetensors")
    torch.testing.assert_close(back(x), model(x))
    assert prov["command"] == "test"
    assert load_model(ModelRef(kind="file", path=str(tmp_path / "m.safetensors")), 5)(x).shape == (3, 5)
    # a bare state dict (weights_only) and a TorchScript archive
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    torch.testing.assert_close(load_user_model(tmp_path / "sd.pt", 5, width=4)(x), model(x))
    torch.jit.trace(model, x).save(str(tmp_path / "ts.pt"))
    torch.testing.assert_close(load_user_model(tmp_path / "ts.pt", 5)(x), model(x))
    with pytest.raises(ModelFileError, match="sd.pt.*wrong shapes"):
        load_user_model(tmp_path / "sd.pt", 5, width=8)
    with pytest.raises(ModelFileError, match=r"expected logits of shape \(batch, 3\)"):
        load_model(ModelRef(kind="file", path=str(tmp_path / "m.safetensors")), 3)
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(ModelFileError, match="junk.pt"):
        load_user_model(tmp_path / "junk.pt", 5)
    with pytest.raises(ModelFileError, match="no such file"):
        load_user_model(tmp_path / "none.pt", 5)
    state = ModelRef(kind="state", state=model.state_dict(), architecture=model.architecture())
    torch.testing.assert_close(load_model(state, 5)(x), model(x))


def test_shipped_model_meets_the_bar_on_the_default_data():
    """>= 90 % on the source test set, at least 15 points lost on each shifted test set (here on
    fresh test images of the default distributions, 40 per class; the full default test sets'
    numbers are in the provenance)."""
    model, prov = load_classifier(default_model_path())
    assert prov["command"].startswith("python -m workbench_micrograph.train_defaults")
    data = default_data(DefaultData(train=1, val=1, test=40, shifted_test=40, pool=1))
    src = accuracy(model, data.test)
    assert src >= 0.9
    for d, s in data.shifted.items():
        assert accuracy(model, s) <= src - 0.15, d
    acc = prov["accuracy"]
    assert acc["source_test"] >= 0.9 and all(acc[f"{d}_test"] <= acc["source_test"] - 0.15 for d in data.shifted)
