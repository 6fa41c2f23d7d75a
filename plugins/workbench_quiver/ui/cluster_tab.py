"""The Cluster tab: the cluster algebra of the quiver being edited (issue 20).

A thin view over three jobs of :mod:`workbench_quiver.jobs`: the seed after a mutation path
(cluster variables in SageMath's conventions, g-/c-/d-vectors, green or red by the c-vector), the
maximal green sequence search (progress and Cancel in the status bar; the shortest or longest
found is put into the mutation-sequence field, ready to play), and the exchange graph's counts.
Cluster variables copy as LaTeX, as Sage input and as SymPy input.  No science here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
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

from workbench_quiver.jobs import (
    ClusterSeedSpec,
    ExchangeGraphSpec,
    GreenSequenceSpec,
    as_spec_matrix,
    run_cluster_seed,
    run_exchange_graph,
    run_green_sequences,
)
from workbench_quiver.state import QuiverState

from .model import QuiverDocument

GREEN = QColor(200, 240, 200)
RED = QColor(250, 210, 210)
#: cluster variables longer than this are folded in the table (the tooltip has them whole)
FOLD = 60


class ClusterTab(QWidget):
    """Cluster variables and vectors of a seed, maximal green sequences, the exchange graph."""

    def __init__(self, doc: QuiverDocument, submit: Callable[..., Any], state: QuiverState) -> None:
        super().__init__()
        self.setObjectName("quiver-cluster-tab")
        self.doc = doc
        self._submit = submit
        self.state = state
        self.seed: dict[str, Any] | None = None
        self.green_result: Any = None
        self.graph_counts: tuple[int, int, int] | None = None
        self.path = QLineEdit()
        self.path.setObjectName("quiver-cluster-path")
        self.path.setPlaceholderText("mutation path from this quiver (vertex labels), e.g. 1 3 2")
        self.path.setToolTip("Vertex labels of mutable vertices, in order; empty: the initial seed x0..x{n-1}")
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
        self.graph_button.setToolTip("Count clusters and mutations (finite types; stops beyond 200,000 clusters)")
        self.graph_button.clicked.connect(self.compute_exchange_graph)
        self.graph_label = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addLayout(copy_row)
        lay.addLayout(mgs_row)
        lay.addWidget(self.mgs_label)
        lay.addWidget(self.graph_button)
        lay.addWidget(self.graph_label)
        lay.addWidget(self.message)

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
        path = self._path()
        b = self._matrix()
        if path is None or b is None:
            return
        self.message.setText("")
        self._submit(
            run_cluster_seed,
            ClusterSeedSpec(b, tuple(path)),
            title="cluster seed",
            on_result=self.show_seed,
            on_error=self._failed,
        )

    def show_seed(self, d: dict[str, Any]) -> None:
        self.seed = d
        labels = self._mutable_labels()
        self.table.setRowCount(len(d["cluster"]))
        for i, var in enumerate(d["cluster"]):
            green = min(d["c_vectors"][i]) >= 0
            cells = [
                labels[i] if i < len(labels) else str(i),
                var if len(var) <= FOLD else var[: FOLD - 1] + "\u2026",
                str(d["g_vectors"][i]),
                str(d["c_vectors"][i]),
                str(d["d_vectors"][i]),
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 1:
                    item.setToolTip(f"{var}\nF = {d['f_polynomials'][i]}")
                if j == 0:
                    item.setBackground(QBrush(GREEN if green else RED))
                    item.setToolTip("green (c-vector >= 0)" if green else "red (c-vector <= 0)")
                self.table.setItem(i, j, item)
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
        self._submit(
            run_green_sequences,
            GreenSequenceSpec(b),
            title="maximal green sequences",
            on_result=self.show_green_sequences,
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
        self._submit(
            run_exchange_graph,
            ExchangeGraphSpec(b, variables=False),
            title="exchange graph",
            on_result=self.show_exchange_graph,
            on_error=lambda t, m: self.graph_label.setText(f"{t}: {m}"),
        )

    def show_exchange_graph(self, res: Any) -> None:
        self.graph_counts = (res.n_vertices, res.n_edges, len(res.g_vectors))
        self.graph_label.setText(
            f"{res.n_vertices} clusters, {res.n_edges} mutations, {len(res.g_vectors)} cluster variables"
        )
