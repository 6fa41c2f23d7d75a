"""The S_n-invariant quiver classifier (issue 18's application): invariance of its logits under
relabelling, a short training run whose loss drops, checkpoint round trip, bad files, bad specs."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import torch

from workbench.checkpoint import CheckpointError
from workbench.jobs import JobCancelled, JobContext, JobError
from workbench_equivariant.classifier import (
    TrainQuiverSpec,
    load_quiver_classifier,
    retrain_command,
    run_train_quiver,
)
from workbench_equivariant.core.quiver_invariant import (
    FAMILIES,
    InvariantConfig,
    InvariantQuiverNet,
    probabilities,
    save_invariant_checkpoint,
)


def _model(seed: int = 0, hidden: int = 8, layers: int = 2) -> InvariantQuiverNet:
    m = InvariantQuiverNet(InvariantConfig(hidden=hidden, layers=layers))
    m.init_parameters_(torch.Generator().manual_seed(seed))
    with torch.no_grad():  # non-zero biases too, so that every term of the layers is exercised
        for layer in [*m.equivariant, m.readout]:
            layer.bias.normal_(generator=torch.Generator().manual_seed(seed + 1))
    return m.eval()


def _random_b(n: int, rng: np.random.Generator) -> np.ndarray:
    up = np.triu(rng.integers(-2, 3, size=(n, n)) * (rng.random((n, n)) < 0.4), 1)
    return up - up.T


@pytest.mark.parametrize("n", [5, 9, 14])
def test_logits_are_invariant_under_relabelling(n):
    rng = np.random.default_rng(n)
    m = _model()
    bs = np.stack([_random_b(n, rng) for _ in range(4)])
    with torch.no_grad():
        ref = m(torch.as_tensor(bs))
        scale = float(ref.abs().max())
        for _ in range(3):
            g = rng.permutation(n)
            moved = m(torch.as_tensor(bs[:, g][:, :, g].copy()))
            assert float((moved - ref).abs().max()) / scale < 1e-5
        # not vacuous: reversing one arrow (another quiver, in general) changes the logits
        i, j = np.argwhere(bs[0] != 0)[0]
        other = bs[0].copy()
        other[i, j], other[j, i] = -other[i, j], -other[j, i]
        changed = m(torch.as_tensor(other[None]))
    assert float((changed[0] - ref[0]).abs().max()) / scale > 1e-4


def test_probabilities_validate_the_matrix():
    m = _model()
    b = _random_b(6, np.random.default_rng(0))
    p = probabilities(m, [b, np.vstack([b, np.ones((2, 6), dtype=int)])])  # frozen rows ignored
    assert p.shape == (2, len(FAMILIES)) and np.allclose(p.sum(1), 1) and np.allclose(p[0], p[1])
    with pytest.raises(ValueError, match="skew-symmetric"):
        probabilities(m, [np.array([[0, 1], [1, 0]])])
    with pytest.raises(ValueError, match="no mutable vertices"):
        probabilities(m, [np.zeros((2, 0), dtype=int)])


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """Full mutation classes on 5-6 vertices (a few hundred quivers, built in about a second)."""
    from workbench_quiver.gnn.dataset import DatasetRecipe, build_dataset, save_dataset

    ds = build_dataset(DatasetRecipe(sizes=(5, 6), extra_types=("E6",)))
    path, _ = save_dataset(ds, tmp_path_factory.mktemp("data") / "small.npz")
    return str(path)


def test_short_training_run_lowers_the_loss_and_writes_a_checkpoint(small_data, tmp_path):
    out = tmp_path / "inv.safetensors"
    seen: list[tuple[float, str]] = []
    spec = TrainQuiverSpec(
        epochs=6, hidden=8, layers=2, lr=1e-2, batch_size=16, data=small_data, out=str(out),
        train_limit=200, eval_sizes=(7,), eval_per_family=4,
    )  # fmt: skip
    res = run_train_quiver(spec, JobContext(device="cpu", on_progress=lambda f, m: seen.append((f, m))))
    losses = [h["loss"] for h in res.history]
    assert [h["epoch"] for h in res.history] == list(range(1, 7))
    assert losses[-1] < losses[0] - 0.1  # from ~ln 6 = 1.79 at initialisation
    assert all(0.0 <= h["accuracy"] <= 1.0 for h in res.history)
    assert set(res.accuracy_by_n) == {7} and 0.0 <= res.accuracy_by_n[7] <= 1.0
    assert seen[-1][0] == 1.0 and any("epoch 6/6" in m for _f, m in seen)
    assert res.checkpoint == str(out) and out.exists()
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["kind"] == "quiver-invariant-classifier"
    assert meta["provenance"]["command"] == retrain_command(spec)
    assert "--data" in meta["provenance"]["command"] and "--epochs 6" in meta["provenance"]["command"]
    # the loaded model reproduces the held-out accuracy it was saved with
    ck = load_quiver_classifier(str(out))
    from workbench_quiver.gnn.dataset import sample_size

    sample = sample_size(7, 4, seed=1007)
    p = probabilities(ck.model, [sample.b(i) for i in range(len(sample))])
    acc = float((p.argmax(1) == np.asarray(sample.label)).mean())
    assert acc == pytest.approx(res.accuracy_by_n[7])


def test_cancel_stops_training(small_data):
    ev = threading.Event()
    ctx = JobContext(device="cpu", cancel_event=ev, on_progress=lambda f, m: ev.set() if "epoch" in m else None)
    with pytest.raises(JobCancelled):
        run_train_quiver(TrainQuiverSpec(epochs=50, hidden=4, layers=1, data=small_data, eval_sizes=()), ctx)


def test_checkpoint_round_trip(tmp_path):
    m = _model(seed=3, hidden=6, layers=3)
    w, j = save_invariant_checkpoint(m, tmp_path / "m.safetensors", {"command": "test"})
    ck = load_quiver_classifier(str(w))
    assert ck.model.config == m.config and ck.meta["command"] == "test"
    b = torch.as_tensor(np.stack([_random_b(8, np.random.default_rng(i)) for i in range(3)]))
    with torch.no_grad():
        assert torch.equal(ck.model(b), m(b))


def test_bad_checkpoint_files_are_refused_with_a_message(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_quiver_classifier(str(tmp_path / "absent.safetensors"))
    w, j = save_invariant_checkpoint(_model(), tmp_path / "m.safetensors", {})
    data = w.read_bytes()
    w.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="hash mismatch"):
        load_quiver_classifier(str(w))
    w.write_bytes(data)
    doc = json.loads(j.read_text())
    doc["architecture"]["config"]["hidden"] = 100_000
    j.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="out of range"):
        load_quiver_classifier(str(w))
    doc["architecture"]["config"]["hidden"] = 16  # plausible, but not these weights
    j.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="does not describe the weights"):
        load_quiver_classifier(str(w))
    doc["kind"] = "quiver-gnn-classifier"
    j.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="expected kind 'quiver-invariant-classifier'"):
        load_quiver_classifier(str(w))
    j.write_text("{not json")
    with pytest.raises(CheckpointError, match=str(j.name)):
        load_quiver_classifier(str(w))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"hidden": 0}, "hidden"),
        ({"lr": -1.0}, "lr"),
        ({"eval_sizes": (1,)}, "eval_sizes"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_bad_specs_are_refused(change, message):
    spec = TrainQuiverSpec(**change)
    with pytest.raises(ValueError, match=message):
        spec.validate()
    with pytest.raises(JobError, match=message):
        run_train_quiver(spec, JobContext(device="cpu"))


def test_bad_training_data_file_is_reported(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(JobError, match="cannot read the training set"):
        run_train_quiver(TrainQuiverSpec(data=str(bad)), JobContext(device="cpu"))


def test_shipped_checkpoint_loads_with_its_provenance():
    from workbench_equivariant.core.quiver_invariant import default_invariant_checkpoint_path

    path = default_invariant_checkpoint_path()
    assert path.exists() and path.stat().st_size < 3_000_000
    ck = load_quiver_classifier()
    assert ck.meta["command"].startswith("workbench equivariant train-quiver --out resources/equivariant/")
    table = ck.meta["metrics"]["size_generalisation"]
    assert sorted(int(n) for n in table) == list(range(11, 21))
    assert all(0.0 <= a <= 1.0 for a in table.values())
    rng = np.random.default_rng(1)
    b = _random_b(12, rng)
    g = rng.permutation(12)
    p = probabilities(ck.model, [b, b[g][:, g]])
    assert np.allclose(p[0], p[1], atol=1e-5)
