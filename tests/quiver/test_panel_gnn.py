"""The GNN widgets inside the quiver editor: live prediction after edits, the explanation overlay
drawn on the canvas, and the explorer opening a quiver in the editor."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def panel(make_panel, qtbot):
    p = make_panel("quiver")
    qtbot.waitUntil(p.is_idle, timeout=120_000)
    return p


def test_live_prediction_follows_edits(panel, qtbot):
    qtbot.waitUntil(lambda: panel.gnn_pred.result is not None, timeout=60_000)
    res = panel.gnn_pred.result
    assert res.exact_family == "D~" and res.predicted == "D~" and res.agrees
    assert abs(sum(res.probabilities.values()) - 1) < 1e-5
    panel.load_standard("E7")
    qtbot.waitUntil(
        lambda: panel.gnn_pred.result is not None and panel.gnn_pred.result.exact_label == "E7", timeout=60_000
    )
    assert panel.gnn_pred.result.predicted == "E"
    assert "agrees" in panel.gnn_pred.verdict.text()


def test_explanation_overlay_is_drawn_and_cleared(panel, qtbot):
    panel.gnn_explain.method.setCurrentIndex(
        panel.gnn_explain.method.findText("Integrated Gradients")
        if panel.gnn_explain.method.findText("Integrated Gradients") >= 0
        else 0
    )
    panel.gnn_explain.explain()
    qtbot.waitUntil(lambda: panel.canvas.gnn_overlay is not None, timeout=120_000)
    overlay = panel.canvas.gnn_overlay
    n_arrows = len(panel.quiver().arrows())
    assert len(overlay.edge_importance) == n_arrows
    assert len(overlay.node_importance) == panel.doc.size
    panel.mutate(0)  # any edit makes the explanation stale
    qtbot.waitUntil(lambda: panel.canvas.gnn_overlay is None, timeout=10_000)


def test_explorer_click_opens_quiver(panel, qtbot):
    b = np.array([[0, 1, 0], [-1, 0, 1], [0, -1, 0]])
    panel.gnn_explorer.open_quiver.emit(b)
    assert np.array_equal(panel.doc.b_matrix(), b)
