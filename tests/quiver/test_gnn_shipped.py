"""The shipped default classifier: loads without unpickling, reaches its recorded accuracy on a
sample of the 11-vertex test classes, and serves ``classify --gnn``; the GNN commands run."""

import argparse
import json

import numpy as np
import pytest

from workbench_quiver.gnn import FAMILIES
from workbench_quiver.gnn.checkpoint import default_checkpoint_path, load_checkpoint
from workbench_quiver.gnn.dataset import TEST_RECIPE, sample_by_walks
from workbench_quiver.gnn.train import predict_proba


def test_shipped_checkpoint_provenance_and_accuracy():
    path = default_checkpoint_path()
    assert path.exists() and path.with_suffix(".json").exists()
    assert path.stat().st_size < 5_000_000
    ck = load_checkpoint(path)
    meta = ck.meta
    assert meta["command"].startswith("python -m workbench_quiver.gnn.train_default")
    assert meta["seed"] == 0 and meta["data"]["train"]["sizes"]["D~9"] == 6864
    recorded = meta["metrics"]["test_accuracy"]
    assert recorded >= 0.99
    # a fresh sample of the 11-vertex test classes (random walks, not the stored test set)
    rng = np.random.default_rng(2024)
    bs, ys = [], []
    for t in TEST_RECIPE.types():
        m, _ = sample_by_walks(t, 25, rng)
        bs += m
        ys += [t] * len(m)
    from workbench_quiver.gnn.dataset import family_of

    pred = predict_proba(ck.model, bs).argmax(1)
    acc = float(np.mean([FAMILIES[p] == family_of(t) for p, t in zip(pred, ys, strict=True)]))
    assert acc >= recorded - 0.03, (acc, recorded)


def test_gnn_probabilities_for_classify():
    from workbench_quiver.core.standard import standard_quiver
    from workbench_quiver.gnn.cli import gnn_probabilities

    out = gnn_probabilities([standard_quiver("D~6").tolist(), standard_quiver("A~5,3")])
    assert [set(d) for d in out] == [set(FAMILIES)] * 2
    assert all(abs(sum(d.values()) - 1) < 1e-4 for d in out)
    assert max(out[1], key=out[1].get) == "A~"
    with pytest.raises(ValueError, match="skew"):
        gnn_probabilities([[[0, 1], [1, 0]]])


def test_missing_checkpoint_message(tmp_path):
    from workbench_quiver.gnn.cli import gnn_probabilities

    with pytest.raises(ValueError, match="not found"):
        gnn_probabilities([[[0, 1], [-1, 0]]], checkpoint=tmp_path / "x.safetensors")


def test_dataset_and_train_commands(tmp_path, capsys):
    from workbench_quiver.gnn.cli import register_gnn

    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers()
    register_gnn(sub)
    out = tmp_path / "d.npz"
    args = ap.parse_args(
        ["dataset", "--split", "custom", "--sizes", "4-5", "--families", "A,D", "--extra", "", "--out", str(out)]
    )
    assert args.func(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["counts"] == {"A4": 6, "D4": 6, "A5": 19, "D5": 26}
    ck = tmp_path / "m.safetensors"
    args = ap.parse_args(
        ["train", "--data", str(out), "--test", str(out), "--out", str(ck), "--epochs", "2", "--device", "cpu"]
    )
    assert args.func(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["epochs"] == 2 and 0 <= res["test_accuracy"] <= 1
    assert load_checkpoint(ck).meta["history"]["train_loss"]
    args = ap.parse_args(["dataset", "--split", "custom", "--families", "Q", "--out", str(out)])
    assert args.func(args) == 2
