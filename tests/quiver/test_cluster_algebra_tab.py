"""The quiver panel's Cluster tab (issue 20): seed table with green/red, copy formats, the maximal
green sequence job feeding the mutation-sequence field, exchange-graph counts."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_quiver.core.green import is_maximal_green
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.state import TABS

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(make_panel, qtbot):
    p = make_panel("quiver")
    # the live identification's first run imports torch_geometric (most of this test's time in a
    # fresh process); waiting for it lets the panel shut its threads down cleanly afterwards
    qtbot.waitUntil(lambda: p.is_idle() and p.summary is not None, timeout=90_000)
    return p


def test_cluster_tab_seed_green_sequences_and_exchange_graph(panel, qtbot):
    tab = panel.tabs.cluster
    b = np.array([[0, 1, 0], [-1, 0, -1], [0, 1, 0]])  # Sage's A3: 0 -> 1 <- 2
    assert panel.load_matrix(b, "A3")
    panel.state_model.tab = TABS.index("Cluster")
    assert panel.tabs.currentWidget() is tab
    labels = [panel.doc.labels[i] for i in panel.doc.mutable_vertices()]
    tab.path.setText(f"{labels[0]} {labels[1]}")
    tab.seed_button.click()
    qtbot.waitUntil(lambda: tab.seed is not None, timeout=30_000)
    assert tab.table.rowCount() == 3
    assert [tab.table.item(i, 1).text() for i in range(3)] == ["(x1 + 1)/x0", "(x0*x2 + x1 + 1)/(x0*x1)", "x2"]
    assert tab.table.item(0, 2).text() == "[-1, 1, 0]"  # Sage's g_matrix() column 0
    # colours follow the c-vectors (0,1,0), (-1,-1,0), (0,0,1): green, red, green
    greens = tab.seed["green"]
    assert greens == [0, 2]
    for i in range(3):
        want = "green" if i in greens else "red"
        assert tab.table.item(i, 0).toolTip().startswith(want)
    assert "\\frac{x_{1} + 1}{x_{0}}" in tab.copy_text("LaTeX")
    assert "(x0*x2 + x1 + 1)/(x0*x1)" in tab.copy_text("Sage") and "R.<x0, x1, x2> = QQ[]" in tab.copy_text("Sage")
    assert "x0**" not in tab.copy_text("SymPy") and "symbols('x0, x1, x2')" in tab.copy_text("SymPy")
    tab.path.setText("nosuchvertex")
    tab.seed_button.click()
    assert "no mutable vertex is labelled 'nosuchvertex'" in tab.message.text()

    tab.mgs_button.click()
    qtbot.waitUntil(lambda: tab.green_result is not None, timeout=30_000)
    res = tab.green_result
    assert len(res.shortest) == 3 and len(res.longest) == 6 and res.complete
    assert tab.play_longest.isEnabled()
    tab.play_longest.click()
    seq = panel.state_model.sequence.split()
    assert len(seq) == 6 and is_maximal_green(b, [labels.index(t) for t in seq])
    assert panel.player.field.text() == panel.state_model.sequence  # ready to play

    assert panel.load_matrix(standard_quiver("D4"), "D4")
    tab.graph_button.click()
    qtbot.waitUntil(lambda: tab.graph_counts is not None, timeout=30_000)
    assert tab.graph_counts == (50, 100, 16)
    # the vertex switch: quivers up to isomorphism (the D4 class: 6), labelled seeds (50 * 4!)
    tab.vertices.setCurrentIndex(tab.vertices.findData("quivers"))
    assert panel.state_model.cluster_vertices == "quivers"
    tab.graph_counts = None
    tab.graph_button.click()
    qtbot.waitUntil(lambda: tab.graph_counts is not None, timeout=30_000)
    assert tab.graph_counts[:2] == (6, 7) and "6 quivers up to isomorphism" in tab.graph_label.text()
    panel.state_model.cluster_vertices = "labelled"
    assert tab.vertices.currentText() == "labelled seeds"
    tab.graph_counts = None
    tab.graph_button.click()
    qtbot.waitUntil(lambda: tab.graph_counts is not None, timeout=30_000)
    assert tab.graph_counts == (1200, 2400, 16) and "1200 labelled seeds" in tab.graph_label.text()
