"""GUI: the equivariant panel's "Train quiver classifier" tab trains the S_n-invariant classifier
(:mod:`workbench_equivariant.classifier`) as a job on a small quiver dataset, draws the loss and
accuracy per epoch and the accuracy by held-out size beside the DirGINE's, writes the
checkpoint, marks the run stale when a training setting changes, Cancel keeps the last complete
run, and a bad dataset file is reported."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("PySide6")

from workbench.gui.figures import ExportOptions, export_figure


@pytest.fixture(scope="module")
def tiny_quivers(tmp_path_factory):
    """Every quiver of the A, D, A~, D~ mutation classes on 4 and 5 vertices (102), as the
    ``workbench quiver dataset`` file the tab accepts."""
    from workbench_quiver.gnn.dataset import DatasetRecipe, build_dataset, save_dataset

    ds = build_dataset(DatasetRecipe(sizes=(4, 5), extra_types=()))
    path, _ = save_dataset(ds, tmp_path_factory.mktemp("quivers") / "tiny.npz")
    return str(path)


def test_training_tab_trains_draws_marks_stale_and_cancels(make_panel, qtbot, standalone_shell, tiny_quivers, tmp_path):
    panel = make_panel("equivariant", start=False)
    st = panel.state_model
    st.live = False
    out = tmp_path / "invariant.safetensors"
    st.update(
        {
            "tr_data": tiny_quivers,
            "tr_epochs": 2,
            "tr_hidden": 4,
            "tr_layers": 1,
            "tr_batch": 32,
            "tr_eval_max": 11,
            "tr_eval_per_family": 2,
            "tr_out": str(out),
        }
    )
    handle = panel.run_train()
    assert handle is not None and st.tab == 2 and panel.train_cancel_btn.isEnabled()
    assert panel.side.isHidden()  # the diagrams' and timing's settings make room for the training's
    qtbot.waitUntil(panel.is_idle, timeout=90_000)
    assert standalone_shell.errors == []
    kept = panel.kept("train")
    assert kept is not None and [h["epoch"] for h in kept.result.history] == [1, 2]
    assert sorted(kept.result.accuracy_by_n) == [11] and kept.result.checkpoint == str(out) and out.exists()
    data = panel.training.data()
    np.testing.assert_array_equal(data["epoch"], [1, 2])
    np.testing.assert_allclose(data["loss"], [h["loss"] for h in kept.result.history])
    np.testing.assert_array_equal(data["n"], [11])
    assert data["reference0_name"] == "DirGINE shipped here" and 12 in data["reference0_n"]  # beside ours
    assert data["reference1_name"] == "DirGINE, arXiv 2411.07467"
    assert "accuracy by n: 11:" in panel.train_note.text() and "stale" not in panel.train_note.text()
    assert not panel.train_cancel_btn.isEnabled()

    st.tr_out = str(tmp_path / "elsewhere.safetensors")  # where the weights go is not an input
    assert not panel.stale["train"]
    st.tr_hidden = 8  # a training setting: stale, visibly
    assert panel.stale["train"] and "stale" in panel.train_note.text()
    st.tr_hidden = 4
    assert not panel.stale["train"]

    # Cancel during a long training: nothing new is kept, the last complete run stays drawn
    st.update({"tr_epochs": 10_000, "tr_out": ""})
    panel.run_train()
    qtbot.waitUntil(lambda: "epoch" in panel.train_progress.format(), timeout=60_000)
    panel.cancel_run()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert panel.kept("train") is kept and "training cancelled" in panel.train_note.text()
    assert panel.stale["train"] and panel.training.data()["epoch"].tolist() == [1, 2]
    assert standalone_shell.errors == []

    fig = next(f for f in panel.figures() if f.name == "equivariant_training")
    written = export_figure(fig, tmp_path / "training.png", ExportOptions(fmt="png", dpi=72))
    meta = json.loads(next(p for p in written if p.suffix == ".json").read_text())
    assert "validation accuracy" in meta["caption"] and meta["reference1_name"] == "DirGINE, arXiv 2411.07467"

    # a file that is not a dataset: the job's message is shown, nothing new is kept
    bad = tmp_path / "not_a_dataset.npz"
    bad.write_bytes(b"nope")
    st.update({"tr_data": str(bad), "tr_epochs": 1})
    panel.run_train()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert panel.kept("train") is kept and "training failed" in panel.train_note.text()
    assert str(bad) in panel.train_note.text() and standalone_shell.errors == []
