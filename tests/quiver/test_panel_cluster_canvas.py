"""The Cluster tab on the canvas (issue 20): mutable vertices filled green/red by their c-vectors
in the current seed, and the exchange graph drawn, clickable to go to a seed."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from workbench_quiver.core.green import colours_along
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.state import TABS
from workbench_quiver.ui import style

pytestmark = pytest.mark.gui

# A3 as Sage's B (0 -> 1 -> 2, vertex 2 the sink) with a frozen vertex 3 and an arrow 2 -> 3
A3_FROZEN = np.array([[0, 1, 0], [-1, 0, 1], [0, -1, 0], [0, 0, -1]])


@pytest.fixture
def panel(make_panel, qtbot):
    p = make_panel("quiver")
    qtbot.waitUntil(lambda: p.is_idle() and p.summary is not None, timeout=90_000)
    return p


def test_canvas_green_red_follows_mutations_and_switches_off(panel):
    tab, canvas, doc = panel.tabs.cluster, panel.canvas, panel.doc
    assert panel.load_matrix(A3_FROZEN, "A3")
    mut, frozen = doc.mutable_vertices(), doc.frozen_vertices()
    assert len(mut) == 3 and len(frozen) == 1
    panel.state_model.tab = TABS.index("Info")
    assert canvas.vertex_colours == {}  # only while the Cluster tab is shown
    panel.state_model.tab = TABS.index("Cluster")
    assert canvas.vertex_colours == {v: "green" for v in mut}  # the initial seed: all green
    sink = mut[2]
    assert panel.mutate(sink)
    assert canvas.vertex_colours == {mut[0]: "green", mut[1]: "green", sink: "red"}
    assert canvas.vertex_items[sink].fill() == style.RED_FILL
    assert canvas.vertex_items[mut[0]].fill() == style.GREEN_FILL
    assert canvas.vertex_items[frozen[0]].fill() == style.FROZEN_FILL  # frozen: unchanged
    assert panel.mutate(mut[1])  # a second mutation: as the core computes it from the history
    want = colours_along(A3_FROZEN, [2, 1], "keller")
    assert [canvas.vertex_colours[v] for v in mut] == want == ["green", "red", "green"]
    panel.stack.undo()
    assert canvas.vertex_colours == {mut[0]: "green", mut[1]: "green", sink: "red"}
    tab.colour_box.setChecked(False)
    assert canvas.vertex_colours == {} and all(canvas.vertex_items[v].fill() == style.VERTEX_FILL for v in mut)
    tab.colour_box.setChecked(True)
    assert canvas.vertex_colours[sink] == "red"
    panel.state_model.tab = TABS.index("History")  # leaving the tab clears them
    assert canvas.vertex_colours == {} and canvas.vertex_items[sink].fill() == style.VERTEX_FILL


def test_exchange_graph_drawn_and_clicked(panel, qtbot):
    tab, canvas, doc = panel.tabs.cluster, panel.canvas, panel.doc
    assert panel.load_matrix(A3_FROZEN, "A3")
    panel.state_model.tab = TABS.index("Cluster")
    start_b = doc.b_matrix()
    tab.draw_button.click()
    qtbot.waitUntil(lambda: tab.drawing is not None, timeout=30_000)
    res = tab.drawing
    assert (res.n_vertices, res.n_edges) == (14, 21)
    assert len(tab.graph_nodes.points()) == 14
    xs, _ys = tab.graph_edges.getData()
    assert len(xs) == 42  # one segment per edge
    assert tab.current_vertex == 0
    # click (a real mouse click on the plot) the vertex with the longest shortest path
    v = max(range(res.n_vertices), key=lambda i: len(res.paths[i]))
    assert len(res.paths[v]) >= 3
    qtbot.waitUntil(lambda: tab.graph_plot.isVisible(), timeout=5_000)
    x, y = res.positions[v]
    scene = tab.graph_plot.plotItem.vb.mapViewToScene(QPointF(float(x), float(y)))
    where = tab.graph_plot.mapFromScene(scene)
    qtbot.mouseClick(tab.graph_plot.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(lambda: tab.current_vertex == v, timeout=5_000)
    assert np.array_equal(doc.b_matrix(), mutate_sequence(start_b, res.paths[v]))
    assert doc.history.sequence[: doc.history.pointer] == [doc.mutable_vertices()[k] for k in res.paths[v]]
    assert [canvas.vertex_colours[u] for u in doc.mutable_vertices()] == colours_along(start_b, res.paths[v])
    # another click, from there: back to the start, then the other seed's path
    tab.go_to_seed(0)
    assert tab.current_vertex == 0 and np.array_equal(doc.b_matrix(), start_b)
    # above the size limit: refused with a message, the drawing kept
    assert panel.load_matrix(standard_quiver("E7"), "E7")
    tab.draw_button.click()
    qtbot.waitUntil(lambda: "too many to draw" in tab.graph_label.text(), timeout=30_000)
    assert "more than 2000 clusters" in tab.graph_label.text() and tab.drawing is res
    assert not tab.go_to_seed(3) and "draw it again" in tab.message.text()


def test_exchange_graph_of_quivers_drawn_and_current_vertex_followed(panel, qtbot):
    """The vertex switch at 'quivers': the A3 class (4 quivers up to isomorphism) is drawn, the
    current quiver marked, going to a vertex mutates the canvas to a quiver isomorphic to it."""
    tab, doc = panel.tabs.cluster, panel.doc
    assert panel.load_matrix(standard_quiver("A3"), "A3")
    panel.state_model.tab = TABS.index("Cluster")
    panel.state_model.cluster_vertices = "quivers"
    start_b = doc.b_matrix()
    tab.draw_button.click()
    qtbot.waitUntil(lambda: tab.drawing is not None, timeout=30_000)
    res = tab.drawing
    assert (res.vertices, res.n_vertices) == ("quivers", 4) and tab.current_vertex == 0
    assert "4 quivers up to isomorphism" in tab.graph_label.text()
    v = max(range(res.n_vertices), key=lambda i: len(res.paths[i]))
    assert tab.go_to_seed(v) and tab.current_vertex == v
    assert np.array_equal(doc.b_matrix(), mutate_sequence(start_b, res.paths[v]))
