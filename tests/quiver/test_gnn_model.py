"""DirGINE: in- versus out-arrows, permutation invariance, training lowers the loss,
checkpoints round-trip and refuse corrupt files."""

import numpy as np
import pytest
import torch

from workbench_quiver.gnn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from workbench_quiver.gnn.dataset import DatasetRecipe, build_dataset, to_data
from workbench_quiver.gnn.model import DirGINE, DirGINEConv, ModelConfig
from workbench_quiver.gnn.train import TrainConfig, evaluate, predict_proba, train_model


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    return DirGINE(ModelConfig(**kw)).eval()


def test_layer_distinguishes_in_from_out_arrows():
    torch.manual_seed(0)
    conv = DirGINEConv(8, 4)
    x = torch.ones(2, 8)
    ea = torch.tensor([[1.0, 0, 0, 0]])
    fwd = conv(x, torch.tensor([[0], [1]]), ea)  # 0 -> 1
    bwd = conv(x, torch.tensor([[1], [0]]), ea)  # 1 -> 0
    # vertex 0 is the source in one and the sink in the other: its new state must differ
    assert not torch.allclose(fwd[0], bwd[0], atol=1e-4)
    # and the source of one equals the source of the other (relabelling)
    assert torch.allclose(fwd[0], bwd[1], atol=1e-6)
    # the whole network tells a quiver from its opposite when they are not isomorphic:
    # A3 with both arrows into the middle (a sink) versus out of it (a source)
    m = _model()
    sink = np.array([[0, 1, 0], [-1, 0, -1], [0, 1, 0]])
    p1, p2 = predict_proba(m, [sink]), predict_proba(m, [-sink])
    assert not np.allclose(p1, p2, atol=1e-5)


def test_prediction_is_invariant_under_relabelling():
    rng = np.random.default_rng(3)
    m = _model()
    from workbench_quiver.core.mutation import mutate_sequence
    from workbench_quiver.core.standard import standard_quiver

    b = mutate_sequence(standard_quiver("D~7"), rng.integers(0, 8, 25))
    p = predict_proba(m, [b])[0]
    for _ in range(5):
        perm = rng.permutation(b.shape[0])
        q = predict_proba(m, [b[np.ix_(perm, perm)]])[0]
        assert np.allclose(p, q, atol=1e-5)


@pytest.fixture(scope="module")
def tiny_trained():
    ds = build_dataset(DatasetRecipe(sizes=(4, 5, 6), extra_types=("E6",)))
    m, hist = train_model(ds, ModelConfig(), TrainConfig(epochs=12, batch_size=32, lr=1e-2, patience=20, seed=1))
    return ds, m, hist


def test_training_learns(tiny_trained):
    ds, m, hist = tiny_trained
    assert len(hist.train_loss) == 12 and hist.train_loss[-1] < 0.7 * hist.train_loss[0]
    acc = evaluate(m, ds).accuracy
    untrained = evaluate(_model(5), ds).accuracy
    assert acc > 0.65 and acc > untrained + 0.2


def test_early_stopping_stops_before_the_last_epoch():
    ds = build_dataset(DatasetRecipe(sizes=(4,), extra_types=()))
    _, hist = train_model(ds, ModelConfig(), TrainConfig(epochs=50, batch_size=8, patience=1, lr=0.5, seed=0))
    assert len(hist.train_loss) < 50 and "early stopping" in hist.stopped


def test_checkpoint_round_trip(tiny_trained, tmp_path):
    ds, m, _ = tiny_trained
    w, j = save_checkpoint(m, tmp_path / "m.safetensors", {"seed": 1, "metrics": {"x": 1.0}})
    ck = load_checkpoint(w)
    bs = [ds.b(i) for i in range(0, len(ds), 37)]
    assert np.allclose(predict_proba(m, bs), predict_proba(ck.model, bs), atol=1e-6)
    assert ck.meta["seed"] == 1 and ck.meta["config"]["hidden"] == 32


def test_corrupt_or_missing_checkpoints_give_clear_errors(tiny_trained, tmp_path):
    _, m, _ = tiny_trained
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors")
    w, j = save_checkpoint(m, tmp_path / "m.safetensors", {})
    data = w.read_bytes()
    w.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(w)
    # a pickle in disguise is refused, never unpickled
    import pickle

    w.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(w)
    save_checkpoint(m, w, {})
    j.write_text("{ not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(w)
    save_checkpoint(_model(hidden=16), w, {})
    cfg = j.read_text().replace('"hidden": 16', '"hidden": 32')
    j.write_text(cfg)
    with pytest.raises(
        CheckpointError,
        match=r"m.json: the architecture .* does not describe the weights in m.safetensors "
        r"\(wrong shapes inp.weight: file \(16, 7\) vs model \(32, 7\)",
    ):
        load_checkpoint(w)


def test_to_data_ignores_frozen_rows():
    b = np.array([[0, 1], [-1, 0], [1, -1]])  # one frozen vertex
    assert to_data(b).num_nodes == 2
