"""The Cluster tab in sessions (issue 20): a saved session gives back the mutation path, the seed
table (cluster variables, vectors, green/red), the maximal green sequences, the exchange-graph
counts and drawing, and the tab's settings, without running a job."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench import plaindata
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.state import TABS

pytestmark = pytest.mark.gui

A3_SAGE = np.array([[0, 1, 0], [-1, 0, -1], [0, 1, 0]])


@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def _table(tab):
    return [[tab.table.item(i, j).text() for j in range(5)] for i in range(tab.table.rowCount())]


def test_cluster_tab_results_survive_a_session(window, qtbot, tmp_path, monkeypatch):
    panel = window.open_panel("quiver")
    qtbot.waitUntil(lambda: panel.is_idle() and panel.summary is not None, timeout=120_000)
    tab = panel.tabs.cluster
    assert panel.load_matrix(A3_SAGE, "A3")
    panel.state_model.update({"tab": TABS.index("Cluster"), "cluster_vertices": "clusters"})
    labels = [panel.doc.labels[i] for i in panel.doc.mutable_vertices()]
    tab.path.setText(f"{labels[0]} {labels[1]}")
    tab.seed_button.click()
    tab.mgs_button.click()
    tab.graph_button.click()
    tab.draw_button.click()
    qtbot.waitUntil(
        lambda: panel.is_idle() and None not in (tab.seed, tab.green_result, tab.graph_counts, tab.drawing),
        timeout=60_000,
    )
    table, mgs_text, drawing = _table(tab), tab.mgs_label.text(), tab.drawing
    assert table[0][1] == "(x1 + 1)/x0" and tab.graph_counts == (14, 21, 9)
    for name in ("cluster_seed", "green_sequences", "exchange_graph_counts", "exchange_drawing"):
        kept = panel.kept(name)
        assert kept is not None, name  # and it is plain data: sessions store it pickle-free
        assert plaindata.same(plaindata.decode(*plaindata.encode(kept.result)), kept.result), name
    path = tmp_path / "c.wbsession"
    window.save_session(path)
    saved = json.loads(path.read_text())["panels"]["quiver"]
    assert saved["cluster_path"] == f"{labels[0]} {labels[1]}"

    # another quiver, other settings, nothing shown
    assert panel.load_matrix(standard_quiver("D4"), "D4")
    panel.state_model.update({"cluster_path": "", "cluster_vertices": "quivers", "cluster_convention": "sage"})
    tab.clear_results()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    calls = []
    from workbench_quiver.panel import QuiverPanel

    monkeypatch.setattr(QuiverPanel, "submit", lambda self, fn, spec, **kw: calls.append(spec))
    assert window.load_session(path), window.errors_shown
    qtbot.wait(100)
    assert calls == [] and panel.is_idle()  # nothing was computed again
    assert panel.status_label.text().startswith("restored from the session")  # not the last action's line
    assert tab.path.text() == f"{labels[0]} {labels[1]}" and panel.state_model.cluster_vertices == "clusters"
    assert tab.convention.currentText() == "keller"
    assert _table(tab) == table and tab.seed["green"] == [0, 2]
    assert "(x0*x2 + x1 + 1)/(x0*x1)" in tab.copy_text("Sage")
    assert tab.mgs_label.text() == mgs_text and tab.play_longest.isEnabled()
    assert tab.graph_counts == (14, 21, 9) and "14 clusters, 21 mutations" in tab.graph_label.text()
    assert tab.drawing.n_vertices == drawing.n_vertices == 14 and tab.current_vertex == 0
    assert len(tab.graph_nodes.points()) == 14
    assert tab.go_to_seed(5) and tab.current_vertex == 5  # the restored drawing is live
    assert "another quiver" not in tab.message.text()

    # a session without cluster results clears the tab
    panel.drop_result("cluster_seed")
    panel.restore_results(panel.results())
    assert tab.seed is None and tab.table.rowCount() == 0 and tab.graph_counts == (14, 21, 9)
