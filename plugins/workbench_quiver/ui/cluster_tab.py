"""The Cluster tab: the cluster algebra of the quiver being edited (issue 20).

A thin view over three jobs of :mod:`workbench_quiver.jobs`: the seed after a mutation path
(cluster variables in SageMath's conventions, g-/c-/d-vectors, green or red by the c-vector), the
maximal green sequence search (progress and Cancel in the status bar; the shortest or longest
found is put into the mutation-sequence field, ready to play), the exchange graph's counts, and
the exchange graph drawn (up to :data:`~workbench_quiver.jobs.DRAW_LIMIT` clusters; the current
seed marked; a click on a vertex goes to that seed along a shortest mutation path from the start
of the mutation history).  While the tab is shown and "Colour vertices green/red" is ticked, the
canvas fills each mutable vertex green or red by the sign of its c-vector in the current seed (the
mutation history's path from its start, :func:`~workbench_quiver.core.green.colours_along`).
Cluster variables copy as LaTeX, as Sage input and as SymPy input.  The path, the exchange
graph's vertices (clusters, labelled seeds or quivers up to isomorphism) and the framing are
fields of the panel's state; the seed, the green sequences, the counts and the drawing are kept
results (``cluster_seed``, ``green_sequences``, ``exchange_graph_counts``, ``exchange_drawing``),
so a session gives them back without a job (:meth:`ClusterTab.restore_kept`).  No science here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.binding import Binder
from workbench.gui.theme import theme_plot
from workbench_quiver.core.exchange_graph import quiver_vertex, seed_vertex
from workbench_quiver.core.green import colours_along
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.jobs import (
    DRAW_LIMIT,
    ClusterSeedSpec,
    ExchangeGraphDrawingSpec,
    ExchangeGraphSpec,
    GreenSequenceSpec,
    as_spec_matrix,
    run_cluster_seed,
    run_exchange_graph,
    run_exchange_graph_drawing,
    run_green_sequences,
)
from workbench_quiver.state import TABS, QuiverState

from . import style
from .fraction import FRACTION_ROLE, FractionDelegate, fold
from .model import GoToHistory, QuiverDocument

GREEN = QColor(200, 240, 200)
RED = QColor(250, 210, 210)
INK = QColor(25, 25, 25)
#: cluster variables longer than this are folded in the table (the tooltip has them whole)
FOLD = 60


def counts_text(vertices: str, n_vertices: int, n_edges: int, n_variables: int | None = None) -> str:
    """``42 clusters, 84 mutations, 14 cluster variables`` in the words of the graph's vertices."""
    if vertices == "quivers":
        return f"{n_vertices} quivers up to isomorphism, {n_edges} mutations between them"
    what = "labelled seeds" if vertices == "labelled" else "clusters"
    tail = f", {n_variables} cluster variables" if n_variables is not None else ""
    return f"{n_vertices} {what}, {n_edges} mutations{tail}"


class ClusterTab(QWidget):
    """Cluster variables and vectors of a seed, maximal green sequences, the exchange graph."""

    def __init__(
        self, doc: QuiverDocument, submit: Callable[..., Any], state: QuiverState, binder: Binder | None = None
    ) -> None:
        super().__init__()
        self.binder = binder if binder is not None else Binder()
        self.setObjectName("quiver-cluster-tab")
        self.doc = doc
        self._submit = submit
        self.state = state
        self.seed: dict[str, Any] | None = None
        self.green_result: Any = None
        self.graph_counts: tuple[int, int, int] | None = None
        self.canvas: Any = None  # the quiver canvas (attach_canvas), coloured green/red
        #: the drawn exchange graph (jobs.ExchangeGraphDrawing) and the history start it was drawn from
        self.drawing: Any = None
        self._drawn_start: np.ndarray | None = None
        self.current_vertex: int | None = None
        #: ``keep(name, result, inputs)``: the panel's ``keep_result`` (sessions save what it keeps)
        self.keep: Callable[[str, Any, Any], None] | None = None
        self.path = QLineEdit()
        self.path.setObjectName("quiver-cluster-path")
        self.binder.bind(state, "cluster_path", self.path)
        self.path.returnPressed.connect(self.compute_seed)
        self.seed_button = QPushButton("Seed")
        self.seed_button.setToolTip("Cluster variables, g-, c- and d-vectors after the path (SageMath's conventions)")
        self.seed_button.clicked.connect(self.compute_seed)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.seed_button)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("quiver-cluster-table")
        self.table.setHorizontalHeaderLabels(["vertex", "cluster variable", "g-vector", "c-vector", "d-vector"])
        header = self.table.horizontalHeader()
        for col in (0, 2, 3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setItemDelegateForColumn(1, FractionDelegate(self.table, limit=FOLD))
        copy_row = QHBoxLayout()
        self.copy_buttons = {}
        for kind in ("LaTeX", "Sage", "SymPy"):
            b = QPushButton(f"Copy {kind}")
            b.setToolTip(f"Copy the cluster as {kind}")
            b.clicked.connect(lambda _c=False, kind=kind: self.copy(kind))
            copy_row.addWidget(b)
            self.copy_buttons[kind] = b
        self.mgs_button = QPushButton("Maximal green sequences")
        self.mgs_button.setToolTip("Search green-to-red sequences of the framed quiver (Cancel in the status bar)")
        self.mgs_button.clicked.connect(self.find_green_sequences)
        self.mgs_label = QLabel("")
        self.mgs_label.setWordWrap(True)
        self.play_shortest = QPushButton("Use shortest")
        self.play_longest = QPushButton("Use longest")
        for b, which in ((self.play_shortest, "shortest"), (self.play_longest, "longest")):
            b.setEnabled(False)
            b.setToolTip(f"Put the {which} maximal green sequence into the mutation-sequence field (then Play)")
            b.clicked.connect(lambda _c=False, which=which: self.use_sequence(which))
        mgs_row = QHBoxLayout()
        mgs_row.addWidget(self.mgs_button)
        mgs_row.addWidget(self.play_shortest)
        mgs_row.addWidget(self.play_longest)
        self.graph_button = QPushButton("Exchange graph")
        self.graph_button.setToolTip("Count vertices and mutations (finite types; stops beyond 200,000 vertices)")
        self.graph_button.clicked.connect(self.compute_exchange_graph)
        self.vertices = QComboBox()
        self.vertices.setObjectName("quiver-cluster-vertices")
        self.binder.bind(state, "cluster_vertices", self.vertices)
        graph_row = QHBoxLayout()
        graph_row.addWidget(self.graph_button)
        graph_row.addWidget(QLabel("vertices:"))
        graph_row.addWidget(self.vertices, 1)
        self.graph_label = QLabel("")
        self.graph_label.setWordWrap(True)
        self.colour_box = QCheckBox("Colour vertices green/red")
        self.colour_box.setObjectName("quiver-cluster-colour")
        self.colour_box.setChecked(True)
        self.colour_box.setToolTip(
            "While this tab is shown: fill each mutable vertex of the canvas green (c-vector >= 0) or red "
            "(c-vector <= 0) in the seed reached by the mutation history from its start"
        )
        self.colour_box.toggled.connect(lambda _on: self.refresh_colours())
        self.convention = QComboBox()
        self.binder.bind(state, "cluster_convention", self.convention)
        state.add_callback("cluster_convention", lambda _new, _old: self.refresh_colours())
        colour_row = QHBoxLayout()
        colour_row.addWidget(self.colour_box, 1)
        colour_row.addWidget(self.convention)
        self.draw_button = QPushButton("Draw exchange graph")
        self.draw_button.setObjectName("quiver-cluster-draw")
        self.draw_button.setToolTip(
            f"Draw the exchange graph from the start of the mutation history (at most {DRAW_LIMIT:,} clusters); "
            "click a vertex to go to that seed"
        )
        self.draw_button.clicked.connect(self.draw_exchange_graph)
        self.graph_plot = pg.PlotWidget()
        self.graph_plot.setObjectName("quiver-cluster-graph")
        self.graph_plot.setMinimumHeight(200)
        self.graph_plot.hideAxis("left")
        self.graph_plot.hideAxis("bottom")
        self.graph_plot.setAspectLocked(True)
        self.graph_plot.setMenuEnabled(False)
        theme_plot(self.graph_plot)
        self.graph_edges = pg.PlotDataItem()
        self.graph_nodes = pg.ScatterPlotItem(size=10, pxMode=True)
        self.graph_nodes.sigClicked.connect(self._node_clicked)
        self.graph_plot.addItem(self.graph_edges)
        self.graph_plot.addItem(self.graph_nodes)
        self.graph_plot.hide()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addLayout(copy_row)
        lay.addLayout(mgs_row)
        lay.addWidget(self.mgs_label)
        lay.addLayout(graph_row)
        lay.addWidget(self.graph_label)
        lay.addWidget(self.draw_button)
        lay.addWidget(self.graph_plot, 1)
        lay.addLayout(colour_row)
        lay.addWidget(self.message)
        doc.subscribe(self._on_doc)
        state.add_callback("tab", lambda _new, _old: self.refresh_colours())

    # ------------------------------------------------------------------ canvas colouring
    def attach_canvas(self, canvas: Any) -> None:
        """Colour ``canvas`` (a :class:`~.canvas.QuiverCanvas` of this document) green/red, and
        go to seeds on it from the exchange-graph drawing."""
        self.canvas = canvas
        self.refresh_colours()

    def colouring(self) -> bool:
        """Whether the canvas is coloured now: the box is ticked and this tab is shown."""
        return self.colour_box.isChecked() and self.state.tab == TABS.index("Cluster")

    def _history_path(self) -> tuple[np.ndarray, list[int]] | None:
        """``B`` at the start of the mutation history and the path (mutable indices) to now."""
        doc, h = self.doc, self.doc.history
        mut = doc.mutable_vertices()
        if not mut or h.start.shape != doc.matrix.shape:
            return None
        where = {v: r for r, v in enumerate(mut)}
        seq = h.sequence[: h.pointer]
        if any(k not in where for k in seq):
            return None
        return h.start[np.ix_(doc.vertex_order(), mut)], [where[k] for k in seq]

    def canvas_colours(self) -> dict[int, str]:
        """Document vertex -> ``"green"`` / ``"red"`` of the current seed ({} when undefined)."""
        hp = self._history_path()
        if hp is None:
            return {}
        try:
            cols = colours_along(hp[0], hp[1], self.state.cluster_convention)
        except (ValueError, ArithmeticError) as exc:
            self.message.setText(f"green/red: {exc}")
            return {}
        return dict(zip(self.doc.mutable_vertices(), cols, strict=True))

    def refresh_colours(self) -> None:
        if self.canvas is not None:
            self.canvas.set_vertex_colours(self.canvas_colours() if self.colouring() else None)
        self._mark_current()

    def _on_doc(self, event: str, _info: dict) -> None:
        if event in ("history", "reset", "frozen"):
            self.refresh_colours()

    # ------------------------------------------------------------------ helpers
    def _mutable_labels(self) -> list[str]:
        return [self.doc.labels[i] for i in self.doc.mutable_vertices()]

    def _path(self) -> list[int] | None:
        labels = self._mutable_labels()
        where = {lab: i for i, lab in enumerate(labels)}
        out = []
        for tok in self.path.text().replace(",", " ").split():
            if tok not in where:
                self.message.setText(f"no mutable vertex is labelled {tok!r} (mutable: {', '.join(labels[:12])})")
                return None
            out.append(where[tok])
        return out

    def _matrix(self) -> Any:
        if not self.doc.mutable_vertices():
            self.message.setText("the quiver has no mutable vertex")
            return None
        return as_spec_matrix(self.doc.b_matrix())

    def _failed(self, title: str, text: str) -> None:
        self.message.setText(f"{title}: {text}")

    # ------------------------------------------------------------------ seed
    def compute_seed(self) -> None:
        if self.state.cluster_path != self.path.text():
            self.state.cluster_path = self.path.text()  # what a session keeps (before editingFinished)
        path = self._path()
        b = self._matrix()
        if path is None or b is None:
            return
        self.message.setText("")
        spec = ClusterSeedSpec(b, tuple(path))
        self._submit(
            run_cluster_seed,
            spec,
            title="cluster seed",
            on_result=lambda d: self._kept_and_shown("cluster_seed", d, spec, self.show_seed),
            on_error=self._failed,
        )

    def _kept_and_shown(self, name: str, result: Any, spec: Any, show: Callable[[Any], None]) -> None:
        if self.keep is not None:
            self.keep(name, result, spec)
        show(result)

    def show_seed(self, d: dict[str, Any]) -> None:
        self.seed = d
        labels = self._mutable_labels()
        self.table.setRowCount(len(d["cluster"]))
        fractions = d.get("fractions") or [None] * len(d["cluster"])  # absent in older sessions
        for i, var in enumerate(d["cluster"]):
            green = min(d["c_vectors"][i]) >= 0
            cells = [
                labels[i] if i < len(labels) else str(i),
                fold(var, FOLD),
                str(d["g_vectors"][i]),
                str(d["c_vectors"][i]),
                str(d["d_vectors"][i]),
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 1:
                    item.setToolTip(f"{var}\nF = {d['f_polynomials'][i]}")
                    if fractions[i] is not None:
                        item.setData(FRACTION_ROLE, tuple(fractions[i]))
                if j == 0:
                    item.setBackground(QBrush(GREEN if green else RED))
                    item.setForeground(QBrush(INK))  # pale fill: dark text in the dark theme too
                    item.setToolTip("green (c-vector >= 0)" if green else "red (c-vector <= 0)")
                self.table.setItem(i, j, item)
        self.table.resizeRowsToContents()
        self.message.setText(
            f"green: {', '.join(labels[k] for k in d['green']) or 'none'}; red: "
            + (", ".join(labels[k] for k in range(len(labels)) if k not in d["green"]) or "none")
        )

    def copy_text(self, kind: str) -> str:
        """The current cluster as ``LaTeX``, ``Sage`` or ``SymPy`` input ("" before a seed)."""
        if self.seed is None:
            return ""
        if kind == "LaTeX":
            return ",\\quad ".join(self.seed["latex"])
        names = ", ".join(f"x{i}" for i in range(len(self.seed["cluster"])))
        if kind == "Sage":
            return f"R.<{names}> = QQ[]\n[" + ", ".join(self.seed["cluster"]) + "]"
        return (
            f"from sympy import symbols\n{names} = symbols('{names}')\n["
            + ", ".join(v.replace("^", "**") for v in self.seed["cluster"])
            + "]"
        )

    def copy(self, kind: str) -> None:
        text = self.copy_text(kind)
        if not text:
            self.message.setText("compute a seed first")
            return
        QGuiApplication.clipboard().setText(text)
        self.message.setText(f"copied the cluster as {kind}")

    # ------------------------------------------------------------------ green sequences
    def find_green_sequences(self) -> None:
        b = self._matrix()
        if b is None:
            return
        self.mgs_label.setText("searching\u2026")
        spec = GreenSequenceSpec(b)
        self._submit(
            run_green_sequences,
            spec,
            title="maximal green sequences",
            on_result=lambda res: self._kept_and_shown("green_sequences", res, spec, self.show_green_sequences),
            on_error=lambda t, m: self.mgs_label.setText(f"{t}: {m}"),
        )

    def show_green_sequences(self, res: Any) -> None:
        self.green_result = res
        labels = self._mutable_labels()
        if res.shortest is None:
            self.mgs_label.setText("no maximal green sequence found" + (f" ({res.stopped})" if res.stopped else ""))
        else:
            found = "" if res.complete else " found"
            self.mgs_label.setText(
                f"shortest{found} ({len(res.shortest)}): {' '.join(labels[k] for k in res.shortest)}\n"
                f"longest{found} ({len(res.longest)}): {' '.join(labels[k] for k in res.longest)}\n"
                f"{res.count} maximal green sequences{'' if res.complete else ' found (' + res.stopped + ')'}"
            )
        self.play_shortest.setEnabled(res.shortest is not None)
        self.play_longest.setEnabled(res.longest is not None)

    def use_sequence(self, which: str) -> None:
        res = self.green_result
        seq = getattr(res, which, None) if res is not None else None
        if not seq:
            return
        labels = self._mutable_labels()
        self.state.sequence = " ".join(labels[k] for k in seq)

    # ------------------------------------------------------------------ exchange graph
    def compute_exchange_graph(self) -> None:
        b = self._matrix()
        if b is None:
            return
        self.graph_label.setText("computing\u2026")
        spec = ExchangeGraphSpec(b, variables=False, vertices=self.state.cluster_vertices)
        self._submit(
            run_exchange_graph,
            spec,
            title="exchange graph",
            on_result=lambda res: self._counted(res, spec),
            on_error=lambda t, m: self.graph_label.setText(f"{t}: {m}"),
        )

    def _counted(self, res: Any, spec: ExchangeGraphSpec) -> None:
        # a session keeps the counts only (the clusters of E8 would be 25,080 tuples)
        counts = (res.n_vertices, res.n_edges, len(res.g_vectors), res.vertices)
        self._kept_and_shown("exchange_graph_counts", counts, spec, self.show_counts)

    def show_exchange_graph(self, res: Any) -> None:
        self.show_counts((res.n_vertices, res.n_edges, len(res.g_vectors), res.vertices))

    def show_counts(self, counts: tuple[int, int, int, str]) -> None:
        """Show ``(vertices, edges, cluster variables, kind of vertex)`` of an exchange graph."""
        n_vertices, n_edges, n_variables, vertices = counts
        self.graph_counts = (n_vertices, n_edges, n_variables)
        self.graph_label.setText(counts_text(vertices, n_vertices, n_edges, n_variables))

    # ------------------------------------------------------------------ exchange graph drawing
    def draw_exchange_graph(self) -> None:
        hp = self._history_path()
        if hp is None:
            self.graph_label.setText("the quiver has no mutable vertex")
            return
        start = self.doc.history.start.copy()
        self.graph_label.setText("drawing the exchange graph\u2026")
        spec = ExchangeGraphDrawingSpec(as_spec_matrix(hp[0]), vertices=self.state.cluster_vertices)
        self._submit(
            run_exchange_graph_drawing,
            spec,
            title="exchange graph drawing",
            on_result=lambda res: self._kept_and_shown(
                "exchange_drawing", (res, as_spec_matrix(start)), spec, lambda r: self.show_drawing(*r)
            ),
            on_error=lambda t, m: self.graph_label.setText(f"{t}: {m}"),
        )

    def show_drawing(self, res: Any, start: Any) -> None:
        """Draw ``res`` (a :class:`~workbench_quiver.jobs.ExchangeGraphDrawing` from the history start ``start``)."""
        self.drawing, self._drawn_start = res, np.asarray(start)
        pos = np.asarray(res.positions, dtype=float)
        if res.edges:
            e = np.asarray(res.edges, dtype=int)[:, :2]
            seg = pos[e.ravel()]
        else:
            seg = np.zeros((0, 2))
        self.graph_edges.setData(seg[:, 0], seg[:, 1], connect="pairs", pen=pg.mkPen(style.ARROW_INK, width=1))
        self.graph_plot.show()
        self.graph_label.setText(
            counts_text(res.vertices, res.n_vertices, res.n_edges) + " drawn (click a vertex to go to it)"
        )
        self._mark_current()
        self.graph_plot.autoRange()

    def _mark_current(self) -> None:
        """Draw the nodes, the current seed's (if it is in the drawn graph) marked."""
        res = self.drawing
        if res is None:
            return
        self.current_vertex = None
        hp = self._history_path()
        if (
            hp is not None
            and self._drawn_start is not None
            and np.array_equal(self.doc.history.start, self._drawn_start)
        ):
            try:
                if res.vertices == "quivers":
                    self.current_vertex = quiver_vertex(res.clusters, mutate_sequence(hp[0], hp[1]))
                else:
                    self.current_vertex = seed_vertex(res.clusters, res.edges, hp[1])
            except ValueError:
                self.current_vertex = None
        pos = np.asarray(res.positions, dtype=float)
        normal, current = pg.mkBrush(style.VERTEX_FILL), pg.mkBrush(style.SELECT)
        pen = pg.mkPen(style.VERTEX_EDGE, width=1)
        brushes = [current if i == self.current_vertex else normal for i in range(res.n_vertices)]
        sizes = [16 if i == self.current_vertex else 10 for i in range(res.n_vertices)]
        self.graph_nodes.setData(pos=pos, data=list(range(res.n_vertices)), brush=brushes, size=sizes, pen=pen)

    def _node_clicked(self, _item: Any, points: Any, _ev: Any = None) -> None:
        if len(points):
            self.go_to_seed(int(points[0].data()))

    def go_to_seed(self, v: int) -> bool:
        """Put the canvas at the seed of drawn vertex ``v``: back to the start of the mutation history,
        then a shortest mutation path to ``v`` (each step undoable).  False (and a message) when
        the quiver changed since the graph was drawn."""
        res = self.drawing
        if res is None or self.canvas is None or not 0 <= v < res.n_vertices:
            return False
        if self._drawn_start is None or not np.array_equal(self.doc.history.start, self._drawn_start):
            self.message.setText("the quiver changed since the exchange graph was drawn: draw it again")
            return False
        mut = self.doc.mutable_vertices()
        if self.doc.history.pointer:
            try:
                self.canvas.stack.push(GoToHistory(0))
            except ValueError as exc:
                self.message.setText(str(exc))
                return False
        for k in res.paths[v]:
            if not self.canvas.mutate_at(mut[int(k)]):
                return False
        labels = [self.doc.labels[i] for i in mut]
        self.message.setText(
            f"vertex {v}: " + (" ".join(f"\u03bc{labels[int(k)]}" for k in res.paths[v]) or "the start")
        )
        return True

    # ------------------------------------------------------------------ sessions
    def clear_results(self) -> None:
        """Forget every shown result (a session without them)."""
        self.seed = None
        self.table.setRowCount(0)
        self.green_result = None
        self.mgs_label.setText("")
        self.play_shortest.setEnabled(False)
        self.play_longest.setEnabled(False)
        self.graph_counts = None
        self.graph_label.setText("")
        self.drawing, self._drawn_start, self.current_vertex = None, None, None
        self.graph_nodes.setData(pos=np.zeros((0, 2)))
        self.graph_edges.setData([], [])
        self.graph_plot.hide()
        self.message.setText("")

    def restore_kept(self, kept: Callable[[str], Any]) -> None:
        """Show what a session kept (``kept(name)``: the panel's :meth:`~workbench.gui.panel.Panel.kept`),
        without a job; a seed kept for another quiver than the one on the canvas says so."""
        self.clear_results()
        seed, mgs, counts, drawing = (
            kept(k) for k in ("cluster_seed", "green_sequences", "exchange_graph_counts", "exchange_drawing")
        )
        current = as_spec_matrix(self.doc.b_matrix()) if self.doc.mutable_vertices() else None
        if mgs is not None:
            self.show_green_sequences(mgs.result)
        if counts is not None:
            self.show_counts(tuple(counts.result))
        if drawing is not None:
            self.show_drawing(*drawing.result)
        if seed is not None:
            self.show_seed(seed.result)
            if seed.inputs is not None and seed.inputs.b != current:
                self.message.setText("this seed was computed for another quiver: press Seed to compute it again")

    def restyle(self) -> None:
        """Colours of the theme now (a theme switch)."""
        theme_plot(self.graph_plot)
        if self.drawing is not None:
            self.graph_edges.setPen(pg.mkPen(style.ARROW_INK, width=1))
            self._mark_current()
