"""Zoo loading (defaults, user files, bad files), sweep statistics, and the CLI."""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest
import torch
from scipy import stats

from workbench_adversarial.core.models import build_model
from workbench_adversarial.core.stats import clopper_pearson, wilson_interval
from workbench_adversarial.core.sweep import collapse_spread
from workbench_adversarial.core.zoo import (
    DEFAULT_MODEL,
    ModelLoadError,
    ModelRef,
    ZooEntry,
    load_model_ref,
    model_names,
    register_model,
)


def _cli(argv):
    from workbench_adversarial.cli import register

    ap = argparse.ArgumentParser()
    register(ap.add_subparsers())
    args = ap.parse_args(argv)
    return args.func(args)


def test_defaults_load_with_provenance_and_accuracy():
    names = model_names()
    assert names[0] == DEFAULT_MODEL and {"digits-cnn", "digits-mlp", "shapes-cnn"} <= set(names)
    for name in ("digits-cnn", "digits-mlp", "shapes-cnn"):
        lm = load_model_ref(ModelRef(name=name))
        prov = lm.info["provenance"]
        assert prov["command"].startswith("python -m workbench_adversarial.train_defaults")
        assert prov["test_accuracy"] > 0.9


def test_register_other_plugins_model():
    def loader(device):
        return build_model("linear", (1, 8, 8), 10).to(device)

    register_model(ZooEntry("test-registered", "digits", loader=loader, description="from another plugin"))
    try:
        assert "test-registered" in model_names()
        assert load_model_ref(ModelRef(name="test-registered")).dataset == "digits"
    finally:
        from workbench_adversarial.core import zoo

        zoo._ZOO.pop("test-registered")


def test_checkpoints_with_a_sidecar_are_verified_and_the_zoo_needs_one(tmp_path):
    from safetensors.torch import save_file

    from workbench.checkpoint import save_checkpoint
    from workbench_adversarial.core.zoo import CHECKPOINT_KIND, checkpoint_architecture

    m = build_model("mlp", (1, 8, 8), 10)
    w, _ = save_checkpoint(
        tmp_path / "m.safetensors",
        m.state_dict(),
        kind=CHECKPOINT_KIND,
        architecture=checkpoint_architecture("mlp", "digits"),
        provenance={"seed": 0},
    )
    lm = load_model_ref(ModelRef(kind="state_dict", name="", path=str(w), arch="mlp", dataset="digits"))
    assert lm.dataset == "digits"
    with pytest.raises(ModelLoadError, match=r"m.safetensors: architecture mismatch: expected arch='cnn'"):
        load_model_ref(ModelRef(kind="state_dict", name="", path=str(w), arch="cnn", dataset="digits"))
    data = bytearray(w.read_bytes())
    data[-1] ^= 1
    w.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="m.safetensors: content hash mismatch"):
        load_model_ref(ModelRef(kind="state_dict", name="", path=str(w), arch="mlp", dataset="digits"))
    bare = tmp_path / "bare.safetensors"
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, str(bare))
    register_model(ZooEntry("test-bare", "digits", "mlp", bare))
    try:
        with pytest.raises(ModelLoadError, match=r"bare.safetensors: its sidecar .*bare.json is missing"):
            load_model_ref(ModelRef(name="test-bare"))
    finally:
        from workbench_adversarial.core import zoo

        zoo._ZOO.pop("test-bare")


def test_user_files_and_clear_errors(tmp_path):
    from safetensors.torch import save_file

    m = build_model("mlp", (1, 8, 8), 10)
    sd = tmp_path / "mlp.safetensors"
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, str(sd))
    lm = load_model_ref(ModelRef(kind="state_dict", name="", path=str(sd), arch="mlp", dataset="digits"))
    assert lm.dataset == "digits"
    pt = tmp_path / "mlp.pt"
    torch.save(m.state_dict(), pt)
    load_model_ref(ModelRef(kind="state_dict", name="", path=str(pt), arch="mlp", dataset="digits"))
    with pytest.raises(ModelLoadError, match="does not fit|shapes do not fit"):
        load_model_ref(ModelRef(kind="state_dict", name="", path=str(sd), arch="cnn", dataset="digits"))
    with pytest.raises(ModelLoadError, match="shapes do not fit"):
        load_model_ref(ModelRef(kind="state_dict", name="", path=str(sd), arch="mlp", dataset="shapes"))
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(ModelLoadError, match="empty"):
        load_model_ref(ModelRef(kind="state_dict", name="", path=str(empty), arch="mlp", dataset="digits"))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model at all" * 10)
    with pytest.raises(ModelLoadError, match="junk.pt"):
        load_model_ref(ModelRef(kind="state_dict", name="", path=str(junk), arch="mlp", dataset="digits"))
    with pytest.raises(ModelLoadError, match="TorchScript"):
        load_model_ref(ModelRef(kind="torchscript", name="", path=str(junk), dataset="digits"))
    wrong = torch.jit.trace(build_model("linear", (1, 8, 8), 3), torch.zeros(1, 1, 8, 8))
    wrong.save(str(tmp_path / "wrong.pt"))
    with pytest.raises(ModelLoadError, match=r"\(batch, 10\)"):
        load_model_ref(ModelRef(kind="torchscript", name="", path=str(tmp_path / "wrong.pt"), dataset="digits"))
    with pytest.raises(ModelLoadError, match="no such file"):
        load_model_ref(ModelRef(kind="torchscript", name="", path=str(tmp_path / "missing.pt"), dataset="digits"))
    with pytest.raises(ModelLoadError, match="unknown model"):
        load_model_ref(ModelRef(name="nope"))


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (57, 200), (1, 1000)])
def test_binomial_intervals_match_scipy(k, n):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert np.allclose(clopper_pearson(k, n), (ref.low, ref.high), atol=1e-10)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert np.allclose(wilson_interval(k, n), (ref.low, ref.high), atol=1e-10)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_collapse_spread_identifies_exponent():
    """Curves s(eps (d/n)^a0) for several d collapse exactly at a = a0 and not at a = 0."""
    eps = np.geomspace(0.01, 10, 40)
    curves = [(eps, 1 / (1 + np.exp(-4 * np.log(eps * (d / 64) ** 0.5))), d) for d in (4, 16, 64)]
    assert collapse_spread(curves, 64, 0.5) < 1e-3
    assert collapse_spread(curves, 64, 0.0) > 0.1


def test_cli_models_attack_export_sweep(tmp_path, capsys):
    assert _cli(["models"]) == 0
    lines = capsys.readouterr().out.split()
    assert lines[0] == DEFAULT_MODEL
    assert (
        _cli(
            [
                "attack",
                "--model",
                "digits-mlp",
                "--p",
                "inf",
                "--eps",
                "0.1",
                "--steps",
                "5",
                "--step-size",
                "0.02",
                "--subspace",
                "patch",
                "--dim",
                "16",
                "--no-random-start",
                "--n",
                "100",
                "--json",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert 0 <= d["success_rate"] <= 1 and d["seconds"] > 0
    assert d["success_over"] == "correctly_classified" and d["dim"] == 16 and d["max_outside_v"] == 0
    assert _cli(["export", "--model", "digits-cnn", "--out", str(tmp_path / "exp")]) == 0
    data = np.load(tmp_path / "exp" / "test.npz", allow_pickle=False)
    assert data["x"].min() >= 0 and data["x"].max() <= 1 and data["x"].shape[0] == data["y"].shape[0]
    ts = torch.jit.load(str(tmp_path / "exp" / "model.pt"))
    ref = load_model_ref(ModelRef(name="digits-cnn")).model
    x = torch.as_tensor(data["x"][:50])
    assert torch.allclose(ts(x), ref(x), atol=1e-5)
    # the exported TorchScript loads back as a user model
    lm = load_model_ref(
        ModelRef(kind="torchscript", name="", path=str(tmp_path / "exp" / "model.pt"), dataset="digits")
    )
    assert lm.dataset == "digits"
    cfg = tmp_path / "sweep.json"
    cfg.write_text(
        json.dumps(
            {
                "model": "digits-linear",
                "n": 40,
                "p": 2,
                "kind": "pixels",
                "dims": [8, 64],
                "eps_values": [0.2, 1.0, 3.0],
                "steps": 3,
                "out": str(tmp_path / "sw"),
            }
        )
    )
    assert _cli(["sweep", "--config", str(cfg)]) == 0
    for f in ("success.csv", "success.json", "success_curves.png", "collapse.png", "collapse.pdf"):
        assert (tmp_path / "sw" / f).stat().st_size > 0
    table = json.loads((tmp_path / "sw" / "success.json").read_text())
    assert len(table["cells"]) == 6 and table["success_over"] == "correctly_classified"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert _cli(["sweep", "--config", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert _cli(["attack", "--model", "nope", "--eps", "0.1", "--json"]) == 2
