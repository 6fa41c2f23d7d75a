"""The S_n-invariant classifier as the second model of the quiver panel's GNN prediction:
chosen in the "Model" box, predicted by a job off the GUI thread, and switched back."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.gnn.checkpoint import default_checkpoint_path

pytestmark = pytest.mark.skipif(not default_checkpoint_path().exists(), reason="shipped DirGINE checkpoint missing")


@pytest.fixture
def invariant_checkpoint(tmp_path):
    import torch

    from workbench_equivariant.core.quiver_invariant import (
        InvariantConfig,
        InvariantQuiverNet,
        save_invariant_checkpoint,
    )

    m = InvariantQuiverNet(InvariantConfig(hidden=8, layers=2))
    m.init_parameters_(torch.Generator().manual_seed(5))
    w, _ = save_invariant_checkpoint(m, tmp_path / "inv.safetensors", {"command": "test"})
    return str(w), m.eval()


def test_model_box_switches_the_live_prediction_to_the_invariant_network(
    qtbot, standalone_shell, invariant_checkpoint, monkeypatch
):
    from workbench_equivariant.core.quiver_invariant import probabilities
    from workbench_quiver.gnn import FAMILIES, predictor
    from workbench_quiver.ui.gnn_host import GnnDemoPanel

    path, model = invariant_checkpoint
    threads: list[threading.Thread] = []
    real = predictor.invariant_probabilities

    def spy(*args, **kwargs):  # the real function, recording the thread it runs on
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(predictor, "invariant_probabilities", spy)
    b = standard_quiver("D~6")
    p = GnnDemoPanel(standalone_shell, b)
    qtbot.addWidget(p)
    p.show()
    p.start()
    try:
        qtbot.waitUntil(lambda: p.prediction.result is not None, timeout=30000)
        first = dict(p.prediction.result.probabilities)
        assert p.prediction.result_spec.model == "dirgine"
        box = p.prediction.model_box
        assert box is not None and box.count() == 2
        p.state_model.invariant_checkpoint = path
        box.setCurrentIndex(box.findData("invariant") if box.findData("invariant") >= 0 else 1)
        assert p.state_model.gnn_model == "invariant"
        qtbot.waitUntil(
            lambda: p.prediction.result_spec is not None and p.prediction.result_spec.model == "invariant",
            timeout=30000,
        )
        got = np.array([p.prediction.result.probabilities[f] for f in FAMILIES])
        want = probabilities(model, [b])[0]
        assert np.allclose(got, want, atol=1e-6)
        assert p.prediction.result.exact_label == "D~6"
        assert "S_n-invariant" in p.prediction.verdict.text()
        assert threads and all(t is not threading.main_thread() for t in threads)
        box.setCurrentIndex(0)
        qtbot.waitUntil(lambda: p.prediction.result_spec.model == "dirgine", timeout=30000)
        assert p.prediction.result.probabilities == pytest.approx(first)
    finally:
        assert p.shutdown(10000)


def test_missing_invariant_checkpoint_is_reported(qtbot, standalone_shell, tmp_path):
    from workbench_quiver.ui.gnn_host import GnnDemoPanel

    p = GnnDemoPanel(standalone_shell, standard_quiver("A4"))
    p.state_model.invariant_checkpoint = str(tmp_path / "none.safetensors")
    p.state_model.gnn_model = "invariant"
    qtbot.addWidget(p)
    p.show()
    p.start()
    try:
        qtbot.waitUntil(lambda: bool(p.prediction.error), timeout=30000)
        assert "not found" in p.prediction.error and "none.safetensors" in p.prediction.error
    finally:
        assert p.shutdown(10000)
