"""The quiver editor panel: draw quivers, click to mutate, see the mutation type live.

A thin Qt view over :mod:`workbench_quiver.ui.model` (the editable document and its undo
stack) and the Qt-free core: identification runs as a quiet job after every edit
(:func:`workbench_quiver.jobs.run_summary`, key ``"identify"``), class enumeration as a
job with progress and Cancel (:func:`workbench_quiver.jobs.run_enumerate`), files go through
:mod:`workbench_quiver.core.formats`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMenu,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.figures import FigureSource
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel
from workbench.gui.pyside_guard import make_none_immortal
from workbench_quiver.core.formats import (
    WRITE_FORMATS,
    read_quiver_file,
    to_tikz,
    write_b_text,
    write_quiver,
)
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.core.quiver import Quiver, square_matrix
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.jobs import QuiverSummary, run_summary, summary_spec
from workbench_quiver.ui.canvas import MODES, QuiverCanvas
from workbench_quiver.ui.class_browser import ClassBrowser
from workbench_quiver.ui.gallery import GalleryView
from workbench_quiver.ui.gnn_explain import GnnExplainWidget
from workbench_quiver.ui.gnn_explorer import GnnExplorerWidget
from workbench_quiver.ui.gnn_prediction import GnnPredictionWidget
from workbench_quiver.ui.history import HistoryView
from workbench_quiver.ui.info import InfoView, pretty_label
from workbench_quiver.ui.layout import layout_positions
from workbench_quiver.ui.model import (
    CommandStack,
    GoToHistory,
    MoveVertices,
    MutationHistory,
    QuiverDocument,
    QuiverSnapshot,
    Relabel,
    SetQuiver,
    check_document,
)

STATE_VERSION = 1
#: job lane of the live identification: its own thread, so it never waits behind an enumeration
IDENTIFY_LANE = "live"
DEFAULT_LABEL = "D~6"
SAVE_FORMATS = WRITE_FORMATS  # suffix -> description (the Save dialog's filters)
HINT = ("click: vertex \u00b7 drag vertex\u2192vertex: arrow (against an arrow: \u22121) \u00b7 right-drag: move \u00b7 "
        "right-click / Del: remove \u00b7 Shift/Ctrl-click: mutate \u00b7 Alt-click: freeze \u00b7 double-click: rename")


def _int_matrix(m: Any) -> list[list[int]]:
    return [[int(x) for x in row] for row in np.asarray(m)]


class QuiverPanel(Panel):
    """Interactive quiver editor with live mutation-type identification."""

    def __init__(self, shell: Any) -> None:
        make_none_immortal()   # PySide6 6.12 + CPython 3.11 refcount bug (see workbench/gui/pyside_guard.py)
        super().__init__(shell, "quiver")
        self.doc = QuiverDocument()
        self.stack = CommandStack(self.doc)
        self.summary: QuiverSummary | None = None
        self.mutation_class: Any = None
        self._class_start: QuiverSnapshot | None = None
        self._class_order: list[int] = []
        self._started = False
        self._rng = np.random.default_rng(0)
        self._last_random: int | None = None
        self._walk_left = 0
        self._enum_handle = None
        self._identify_handle: JobHandle | None = None

        self.canvas = QuiverCanvas(self.doc, self.stack)
        self.canvas.setObjectName("quiver-canvas")
        self.info = InfoView()
        self.history = HistoryView(self.doc)
        self.gallery = GalleryView()
        self.class_browser = ClassBrowser()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("quiver-tabs")
        self.tabs.addTab(self.info, "Info")
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.gallery, "Gallery")
        self.tabs.addTab(self.class_browser, "Class")
        # GNN classifier (issue 4): live prediction + explanations, and the hidden-representation explorer
        self.gnn_pred = GnnPredictionWidget(self.doc.b_matrix, self.submit)
        self.gnn_explain = GnnExplainWidget(self.doc.b_matrix, self.submit)
        self.gnn_explorer = GnnExplorerWidget(self.submit)
        gnn_tab = QSplitter(Qt.Orientation.Vertical)
        gnn_tab.setObjectName("quiver-gnn-tab")
        gnn_tab.addWidget(self.gnn_pred)
        gnn_tab.addWidget(self.gnn_explain)
        gnn_tab.setSizes([260, 420])
        self.tabs.addTab(gnn_tab, "GNN")
        self.tabs.addTab(self.gnn_explorer, "Explorer")
        self.tabs.setMinimumWidth(250)
        self.status_label = QLabel(HINT)
        self.status_label.setStyleSheet("color: #52606d; padding: 2px 4px;")
        self.status_label.setWordWrap(True)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.setSpacing(0)
        left_lay.addWidget(self.canvas, 1)
        left_lay.addWidget(self.status_label)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([820, 340])
        self.splitter = splitter

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self._build_toolbar())
        lay.addWidget(splitter, 1)
        self.setMinimumSize(480, 320)

        self._identify_timer = QTimer(self)
        self._identify_timer.setSingleShot(True)
        self._identify_timer.setInterval(15)
        self._identify_timer.timeout.connect(self._submit_identify)
        self._walk_timer = QTimer(self)
        self._walk_timer.setInterval(220)
        self._walk_timer.timeout.connect(self._walk_step)

        self.doc.subscribe(self._on_doc)
        self.stack.subscribe(self._update_undo_actions)
        self.canvas.status.connect(self._set_status)
        self.canvas.mode_changed.connect(self._mode_changed)
        self.history.go_to.connect(self.go_to_history)
        self.gallery.chosen.connect(self.load_standard)
        self.info.evidence_toggled.connect(self.canvas.set_show_evidence)
        self.info.enumerate_requested.connect(self.enumerate_class)
        self.info.cancel_requested.connect(self.cancel_enumeration)
        self.info.certificate_requested.connect(self.apply_sequence)
        self.canvas.rename_requested.connect(self._rename_dialog)
        self.class_browser.member_clicked.connect(self.load_class_member)
        self.gnn_explain.overlay_changed.connect(self.canvas.set_gnn_overlay)
        self.gnn_explorer.open_quiver.connect(lambda b: self.load_matrix(b, label="explorer point"))
        self._install_shortcuts()

        self.load_standard(DEFAULT_LABEL, undoable=False)
        self._update_undo_actions()

    # ---- widgets -------------------------------------------------------------------------
    def _build_toolbar(self) -> QToolBar:
        tb = QToolBar()
        tb.setObjectName("quiver-toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.mode_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for mode, text, key, tip in (("edit", "Edit", "E", "add vertices and arrows"),
                                     ("mutate", "Mutate", "M", "click a vertex to mutate at it"),
                                     ("move", "Move", "V", "drag vertices")):
            act = QAction(text, self, checkable=True)
            act.setToolTip(f"{text} mode ({key}): {tip}")
            act.triggered.connect(lambda _c=False, m=mode: self.set_mode(m))
            group.addAction(act)
            tb.addAction(act)
            self.mode_actions[mode] = act
        self.mode_actions["edit"].setChecked(True)
        tb.addSeparator()
        self.undo_action = tb.addAction("Undo", self.undo)
        self.redo_action = tb.addAction("Redo", self.redo)
        self.undo_action.setToolTip("Undo (Ctrl+Z)")
        self.redo_action.setToolTip("Redo (Ctrl+Shift+Z)")
        tb.addSeparator()
        act = tb.addAction("Random \u03bc", self.random_mutation)
        act.setToolTip("Mutate at a random mutable vertex (R)")
        self.walk_action = QAction("Walk", self, checkable=True)
        self.walk_action.setToolTip("Random mutation walk: one random mutation every 0.2 s (W starts/stops)")
        self.walk_action.toggled.connect(self._walk_toggled)
        tb.addAction(self.walk_action)
        self.walk_steps = QSpinBox()
        self.walk_steps.setRange(1, 10000)
        self.walk_steps.setValue(25)
        self.walk_steps.setToolTip("number of steps of the random walk")
        tb.addWidget(self.walk_steps)
        tb.addSeparator()
        self.layout_combo = QComboBox()
        self.layout_combo.addItems(["spring", "circular", "kamada-kawai", "keep"])
        self.layout_combo.setToolTip("Layout applied by 'Layout' (L); 'keep' keeps positions when loading")
        tb.addWidget(self.layout_combo)
        act = tb.addAction("Layout", self.apply_layout)
        act.setToolTip("Lay the vertices out again (L); undoable")
        act = tb.addAction("Fit", self.canvas.zoom_to_fit)
        act.setToolTip("Zoom to fit (F)")
        act = tb.addAction("Freeze", lambda: self.canvas.toggle_frozen())
        act.setToolTip("Freeze / unfreeze the selected vertex (T; or Alt-click)")
        tb.addSeparator()
        file_button = QToolButton()
        file_button.setText("Files")
        file_button.setToolTip("Open / save quivers (.qmu, JSON, B-matrix text, CSV), TikZ, figure export")
        file_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(file_button)
        menu.addAction("New (empty) quiver", self.new_quiver)
        menu.addAction("Open quiver\u2026", self._open_dialog)
        menu.addAction("Save quiver as\u2026", self._save_dialog)
        menu.addAction("Export figure (PNG/SVG/PDF)\u2026", self._export_dialog)
        menu.addSeparator()
        menu.addAction("Copy B-matrix", self.copy_b_matrix)
        menu.addAction("Copy TikZ", lambda: QGuiApplication.clipboard().setText(self.tikz()))
        file_button.setMenu(menu)
        tb.addWidget(file_button)
        return tb

    def _install_shortcuts(self) -> None:
        """Keyboard shortcuts (active anywhere in the panel).  They are QShortcuts and, for
        windows that are not active (tests, a floating dock), the same keys are handled in
        :meth:`keyPressEvent`; Qt never delivers both for one key press."""
        ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
        self._keys: dict[tuple[int, int], Any] = {
            (Qt.Key.Key_E, 0): lambda: self.set_mode("edit"),
            (Qt.Key.Key_M, 0): lambda: self.set_mode("mutate"),
            (Qt.Key.Key_V, 0): lambda: self.set_mode("move"),
            (Qt.Key.Key_R, 0): self.random_mutation,
            (Qt.Key.Key_W, 0): lambda: self.walk_action.toggle(),
            (Qt.Key.Key_F, 0): self.canvas.zoom_to_fit,
            (Qt.Key.Key_L, 0): self.apply_layout,
            (Qt.Key.Key_T, 0): lambda: self.canvas.toggle_frozen(),
            (Qt.Key.Key_Z, ctrl.value): self.undo,
            (Qt.Key.Key_Z, (ctrl | shift).value): self.redo,
            (Qt.Key.Key_Y, ctrl.value): self.redo,
            (Qt.Key.Key_O, ctrl.value): self._open_dialog,
            (Qt.Key.Key_S, ctrl.value): self._save_dialog,
        }
        for (key, mods), fn in self._keys.items():
            s = QShortcut(QKeySequence(mods | key), self)
            s.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            s.activated.connect(fn)

    def keyPressEvent(self, event) -> None:
        mods = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        fn = self._keys.get((event.key(), mods.value))
        if fn is not None:
            fn()
            event.accept()
            return
        super().keyPressEvent(event)

    # ---- edits -----------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.canvas.set_mode(mode)

    def _mode_changed(self, mode: str) -> None:
        self.mode_actions[mode].setChecked(True)
        self._set_status({"edit": HINT, "mutate": "mutate mode: click a vertex to mutate at it (E: back to editing)",
                          "move": "move mode: drag vertices (E: back to editing)"}[mode])

    def undo(self) -> None:
        cmd = self.stack.undo()
        self._set_status(f"undid: {cmd.text}" if cmd else "nothing to undo")

    def redo(self) -> None:
        cmd = self.stack.redo()
        self._set_status(f"redid: {cmd.text}" if cmd else "nothing to redo")

    def _update_undo_actions(self) -> None:
        self.undo_action.setEnabled(self.stack.can_undo())
        self.redo_action.setEnabled(self.stack.can_redo())
        self.undo_action.setToolTip(f"Undo {self.stack.undo_text()} (Ctrl+Z)")
        self.redo_action.setToolTip(f"Redo {self.stack.redo_text()} (Ctrl+Shift+Z)")

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def mutate(self, k: int) -> bool:
        """Mutate at document vertex ``k`` (animated, undoable)."""
        return self.canvas.mutate_at(k)

    def random_mutation(self) -> int | None:
        """Mutate at a random mutable vertex (never the one mutated just before, which would undo it)."""
        choices = [v for v in self.doc.mutable_vertices() if v != self._last_random or len(self.doc.mutable_vertices()) == 1]
        if not choices:
            self._set_status("no mutable vertex to mutate")
            return None
        k = int(self._rng.choice(choices))
        if self.mutate(k):
            self._last_random = k
            return k
        return None

    def _walk_toggled(self, on: bool) -> None:
        if on:
            self._walk_left = self.walk_steps.value()
            self._walk_timer.start()
        else:
            self._walk_timer.stop()
            self._walk_left = 0

    def _walk_step(self) -> None:
        if self._walk_left <= 0 or self.random_mutation() is None:
            self.walk_action.setChecked(False)
            return
        self._walk_left -= 1
        if self._walk_left <= 0:
            self.walk_action.setChecked(False)

    def apply_sequence(self, vertices: list[int]) -> None:
        """Mutate along a sequence of document vertices (each step undoable, in the history)."""
        for k in vertices:
            if not self.canvas.mutate_at(int(k)):
                break
        else:
            self._set_status("applied " + " ".join(f"\u03bc{self.doc.labels[int(k)]}" for k in vertices))

    def rename_vertex(self, v: int, label: str) -> bool:
        label = label.strip()
        if not label:
            self._set_status("a vertex label cannot be empty")
            return False
        if label in self.doc.labels and self.doc.labels.index(label) != v:
            self._set_status(f"label {label!r} is already used by another vertex")
            return False
        self.stack.push(Relabel(v, label))
        return True

    def _rename_dialog(self, v: int) -> None:
        from PySide6.QtWidgets import QInputDialog

        label, ok = QInputDialog.getText(self, "Rename vertex", "Label:", text=self.doc.labels[v])
        if ok:
            self.rename_vertex(v, label)

    def go_to_history(self, step: int) -> None:
        try:
            self.stack.push(GoToHistory(step))
        except ValueError as exc:
            self._set_status(str(exc))

    def apply_layout(self, kind: str | None = None) -> None:
        kind = kind or self.layout_combo.currentText()
        if kind == "keep" or not self.doc.size:
            self._set_status("layout 'keep': positions unchanged")
            return
        seed = int(self._rng.integers(0, 2**31 - 1)) if kind == "spring" else 0
        new = layout_positions(self.doc.matrix, kind, seed=seed)
        old = {i: p for i, p in enumerate(self.doc.positions)}
        self.stack.push(MoveVertices(old, dict(enumerate(new)), text=f"{kind} layout"))
        self.canvas.zoom_to_fit()

    # ---- loading quivers ---------------------------------------------------------------
    def _layout_for(self, matrix: np.ndarray) -> list[tuple[float, float]]:
        kind = self.layout_combo.currentText()
        if kind == "keep":
            kind = "kamada-kawai"
        return layout_positions(matrix, kind, seed=0)

    def _set_snapshot(self, snap: QuiverSnapshot, text: str, start_label: str, undoable: bool = True) -> None:
        cmd = SetQuiver(snap, text=text, start_label=start_label)
        if undoable:
            self.stack.push(cmd)
        else:
            cmd.do(self.doc)
            self.stack.clear()
        self.canvas.zoom_to_fit()

    def load_standard(self, label: str, undoable: bool = True) -> None:
        """Load the gallery quiver of a type label (e.g. ``"D~6"``)."""
        try:
            b = standard_quiver(label)
        except ValueError as exc:
            self.shell.show_error("Gallery", str(exc))
            return
        m = square_matrix(b)
        pos = layout_positions(m, "kamada-kawai")
        n = m.shape[0]
        snap = QuiverSnapshot(m, pos, [False] * n, [str(i) for i in range(n)])
        self._set_snapshot(snap, f"load {label}", label, undoable)
        self._set_status(f"loaded the standard quiver of type {pretty_label(label)}")

    def new_quiver(self) -> None:
        """Start from an empty canvas (undoable)."""
        snap = QuiverSnapshot(np.zeros((0, 0), dtype=np.int64), [], [], [])
        self._set_snapshot(snap, "new quiver", "empty")
        self.canvas.resetTransform()
        self.canvas.centerOn(0, 0)
        self._set_status("empty canvas: click to add vertices")

    def load_matrix(self, b: Any, label: str = "matrix") -> bool:
        """Load an exchange matrix ``B`` ((n + m) x n, Sage's convention), laid out afresh;
        undoable.  Bad input gets a clear error and the current quiver stays."""
        try:
            snap = self.snapshot_from_quiver(Quiver(np.asarray(b)))
        except (ValueError, TypeError) as exc:
            self.shell.show_error("Load quiver", str(exc))
            return False
        self._set_snapshot(snap, f"load {label}", label)
        return True

    def quiver(self) -> Quiver:
        """The document as a core :class:`Quiver` (mutable vertices first; frozen-frozen arrows dropped)."""
        order = self.doc.vertex_order()
        return Quiver(self.doc.b_matrix(), labels=[self.doc.labels[i] for i in order],
                      positions=np.asarray([self.doc.positions[i] for i in order], dtype=float).reshape(-1, 2))

    def snapshot_from_quiver(self, q: Quiver) -> QuiverSnapshot:
        m = square_matrix(q.b)
        n_all = m.shape[0]
        if q.positions is not None:
            pos = [(float(x), float(y)) for x, y in q.positions]
        else:
            pos = self._layout_for(m)
        labels = list(q.labels) if q.labels is not None else [str(i) for i in range(n_all)]
        frozen = [i >= q.n_mutable for i in range(n_all)]
        return QuiverSnapshot(m, pos, frozen, labels)

    def load_file(self, path: str | Path) -> bool:
        """Load a quiver from .qmu / .json / .csv (first line) / B-matrix text.

        A bad file gets a clear error and the current quiver stays."""
        path = Path(path)
        try:
            if not path.is_file():
                raise ValueError(f"{path} does not exist or is not a file")
            q = read_quiver_file(str(path))
            snap = self.snapshot_from_quiver(q)
            check_document(snap.matrix, snap.positions, snap.frozen, snap.labels)
        except (ValueError, OSError, UnicodeDecodeError, KeyError, TypeError) as exc:
            self.shell.show_error("Could not open quiver", f"{path.name}: {exc}")
            return False
        self._set_snapshot(snap, f"open {path.name}", path.name)
        self._set_status(f"opened {path}")
        return True

    def save_file(self, path: str | Path) -> Path:
        """Write the quiver in the format of the file's suffix (:func:`formats.write_quiver`:
        .qmu, .json, .txt, .csv, .tex; none: .txt); returns the path written."""
        path = write_quiver(path, self.quiver(), highlight=self._tikz_highlight())
        self._set_status(f"saved {path}")
        return path

    def _tikz_highlight(self) -> list[int]:
        """The evidence vertices shown on the canvas, as indices of :meth:`quiver`."""
        order = self.doc.vertex_order()
        where = {v: r for r, v in enumerate(order)}
        return [where[v] for v in self.canvas.highlight_vertices if v in where] if self.canvas.show_evidence else []

    def tikz(self) -> str:
        return to_tikz(self.quiver(), highlight=self._tikz_highlight())

    def copy_b_matrix(self) -> None:
        QGuiApplication.clipboard().setText(write_b_text(self.doc.b_matrix()))
        self._set_status("copied the B-matrix")

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open quiver", "",
                                              "Quivers (*.qmu *.json *.txt *.csv);;All files (*)")
        if path:
            self.load_file(path)

    def _save_dialog(self) -> None:
        filters = ";;".join(f"{desc} (*{suf})" for suf, desc in SAVE_FORMATS.items())
        path, chosen = QFileDialog.getSaveFileName(self, "Save quiver", "quiver.qmu", filters)
        if not path:
            return
        if not Path(path).suffix:
            for suf, desc in SAVE_FORMATS.items():
                if chosen.startswith(desc):
                    path += suf
        try:
            self.save_file(path)
        except (ValueError, OSError) as exc:
            self.shell.show_error("Could not save quiver", str(exc))

    def _export_dialog(self) -> None:
        from workbench.gui.dialogs import export_with_dialog

        written = export_with_dialog(self.figures(), self.shell.preferences(), self, self.shell.show_error)
        if written:
            self._set_status("exported " + ", ".join(p.name for p in written))

    # ---- identification (quiet job) --------------------------------------------------
    def start(self) -> None:
        self._started = True
        self._submit_identify()

    def _on_doc(self, event: str, info: dict) -> None:
        if event in ("reset", "arrows", "mutated", "frozen"):
            self.summary = None
            self.info.show_pending()
            if self._started:
                self._identify_timer.start()
            if event == "reset" or event == "frozen":
                self._drop_class_if_stale()
        if event == "reset":
            self.canvas.set_highlight([], [])
            if self._enum_handle is None or self._enum_handle.is_done:
                self.info.set_progress(0.0, "")

    def _submit_identify(self) -> None:
        self.gnn_explain.quiver_changed()
        if self.doc.size:
            self.gnn_pred.refresh()
        spec = summary_spec(self.doc.matrix, self.doc.frozen)
        size = self.doc.size

        def done(result: QuiverSummary) -> None:
            if self.doc.size != size or summary_spec(self.doc.matrix, self.doc.frozen) != spec:
                return  # the quiver changed meanwhile; a newer job is on its way
            self.summary = result
            self.info.show_summary(result, self.doc.labels)
            self.canvas.set_highlight(result.highlight_vertices, result.highlight_arrows)

        # a lane of its own: identification answers while an enumeration occupies the main lane
        self._identify_handle = self.submit(run_summary, spec, title="Identify mutation type", on_result=done,
                                            key="identify", quiet=True, lane=IDENTIFY_LANE,
                                            on_error=lambda msg, _tb: self.info.show_error(msg))

    # ---- class enumeration (job) --------------------------------------------------------
    def enumerate_class(self, max_depth: int | None = None) -> None:
        from workbench_quiver.jobs import EnumerateSpec, as_spec_matrix, run_enumerate

        if not self.doc.mutable_vertices():
            self.shell.show_error("Enumerate class", "the quiver has no mutable vertex")
            return
        self._class_start = self.doc.snapshot()
        self._class_order = self.doc.vertex_order()
        b = self.doc.b_matrix()
        spec = EnumerateSpec(b=as_spec_matrix(b), max_depth=max_depth)
        self.info.set_enumerating(True)
        self.class_browser.set_class("enumerating\u2026", 0, None, [])

        def finished(result: Any) -> None:
            self.info.set_enumerating(False)
            self.show_class(result)

        def failed(message: str, _tb: str) -> None:
            self.info.set_enumerating(False)
            self.info.set_progress(0.0, "failed")
            self.shell.show_error("Enumerate class failed", message)

        handle = self.submit(run_enumerate, spec, title="Enumerate mutation class", on_result=finished,
                             on_partial=lambda r: self.show_class(r, partial=True),
                             on_progress=self.info.set_progress, on_error=failed, key="enumerate")
        handle.cancelled.connect(self._enumeration_cancelled)
        self._enum_handle = handle

    def _enumeration_cancelled(self) -> None:
        self.info.set_enumerating(False)
        if self.mutation_class is not None:
            self.show_class(self.mutation_class)
        self.info.set_progress(0.0, "cancelled")

    def cancel_enumeration(self) -> None:
        if self._enum_handle is not None and not self._enum_handle.is_done:
            self._enum_handle.cancel()

    def show_class(self, result: Any, partial: bool = False) -> None:
        """Show an :class:`~workbench_quiver.jobs.EnumerateResult` as thumbnails."""
        from workbench_quiver.core.quiver import square_matrix as _square

        self.mutation_class = result
        count = len(result.members)
        start = self._class_start
        order = self._class_order
        pos = [start.positions[v] for v in order]
        frozen = [start.frozen[v] for v in order]
        captions = [f"#{i} \u00b7 depth {result.depths[i]}" for i in range(count)]

        def source(i: int):
            return _square(np.asarray(result.members[i])), pos, frozen

        if partial:
            state = "so far (enumerating\u2026)"
        else:
            state = "complete" if result.complete else f"partial ({result.stopped or 'stopped'})"
        self.class_browser.set_class(f"<b>{count:,}</b> quivers up to isomorphism, {state}, in {result.seconds:.2f} s. "
                                     "Click one to load it (its mutation path from the start is applied, "
                                     "so positions are kept).", count, source, captions)
        if not partial:
            self.info.set_progress(1.0, f"{count:,} quivers" + ("" if result.complete else " (partial)"))
            self.tabs.setCurrentWidget(self.class_browser)

    def _drop_class_if_stale(self) -> None:
        if self.mutation_class is not None and self._class_start is not None and self.doc.size != self._class_start.matrix.shape[0]:
            self.mutation_class = None
            self.class_browser.clear()

    def load_class_member(self, i: int) -> None:
        """Load member ``i`` of the enumerated class: the start quiver mutated along its path."""
        mc, start = self.mutation_class, self._class_start
        if mc is None or start is None or not 0 <= i < len(mc.members):
            return
        mutable = [v for v in self._class_order if not start.frozen[v]]
        path = [mutable[int(k)] for k in mc.paths[i]]
        snap = start.copy()
        snap.matrix = np.asarray(mutate_sequence(start.matrix, path))
        history = MutationHistory(start.matrix.copy(), list(path), len(path), "class start")
        self.stack.push(SetQuiver(snap, text=f"load class member #{i + 1}", history=history))
        self._set_status(f"class member #{i + 1}: " + (" ".join(f"\u03bc{self.doc.labels[k]}" for k in path) or "the start"))

    # ---- figures and sessions ---------------------------------------------------------------
    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            d = self.canvas.data_for_export()
            d["b_matrix"] = np.asarray(_int_matrix(self.doc.b_matrix()), dtype=float) \
                if self.doc.matrix.dtype == object else self.doc.b_matrix()
            if self.summary is not None:
                d["type"] = self.summary.label
                d["description"] = self.summary.description
            return d

        title = f"quiver of type {self.summary.label}" if self.summary is not None else "quiver"
        return [FigureSource("quiver", widget=self.canvas, data=data, paint=self.canvas.paint_figure, title=title)] \
            + self.gnn_pred.figures() + self.gnn_explain.figures() + self.gnn_explorer.figures()

    def state(self) -> dict[str, Any]:
        h = self.doc.history
        return {
            "version": STATE_VERSION,
            "matrix": _int_matrix(self.doc.matrix),
            "positions": [[float(x), float(y)] for x, y in self.doc.positions],
            "frozen": list(self.doc.frozen),
            "labels": list(self.doc.labels),
            "mode": self.canvas.mode,
            "history": {"start": _int_matrix(h.start), "sequence": list(h.sequence), "pointer": h.pointer,
                        "start_label": h.start_label},
            "layout": self.layout_combo.currentText(),
            "show_evidence": self.canvas.show_evidence,
            "tab": self.tabs.currentIndex(),
        }

    def validate_state(self, state: Any) -> None:
        super().validate_state(state)
        if state.get("version", 1) > STATE_VERSION:
            raise ValueError(f"quiver: state version {state.get('version')} is newer than this editor ({STATE_VERSION})")
        try:
            m = np.array(state["matrix"], dtype=object)
            if m.size == 0:
                m = np.zeros((0, 0), dtype=object)
            if m.ndim != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in m.flat):
                raise ValueError("quiver: 'matrix' must be a square list of integer rows")
            positions = [tuple(p) for p in state["positions"]]
            if not all(len(p) == 2 and all(isinstance(c, (int, float)) for c in p) for p in positions):
                raise ValueError("quiver: 'positions' must be [x, y] pairs of numbers")
            frozen = state["frozen"]
            labels = state["labels"]
            if not all(isinstance(f, bool) for f in frozen) or not all(isinstance(s, str) for s in labels):
                raise ValueError("quiver: 'frozen' must be booleans and 'labels' strings")
            check_document(m, positions, frozen, labels)
            h = state.get("history", {})
            start = np.array(h.get("start", state["matrix"]), dtype=object)
            if start.size == 0:
                start = np.zeros((0, 0), dtype=object)
            if start.shape != m.shape:
                raise ValueError("quiver: the history's start quiver has a different number of vertices")
            seq = h.get("sequence", [])
            if not all(isinstance(k, int) and 0 <= k < m.shape[0] for k in seq):
                raise ValueError("quiver: history sequence holds an invalid vertex")
            if not 0 <= int(h.get("pointer", 0)) <= len(seq):
                raise ValueError("quiver: history pointer out of range")
        except KeyError as exc:
            raise ValueError(f"quiver: state lacks {exc}") from None
        except TypeError as exc:
            raise ValueError(f"quiver: malformed state ({exc})") from None
        if state.get("mode", "edit") not in MODES:
            raise ValueError(f"quiver: unknown mode {state.get('mode')!r}")
        if state.get("layout", "spring") not in ("spring", "circular", "kamada-kawai", "keep"):
            raise ValueError(f"quiver: unknown layout {state.get('layout')!r}")

    def restore(self, state: dict[str, Any]) -> None:
        self.validate_state(state)

        def mat(rows: list) -> np.ndarray:
            a = np.array(rows, dtype=object)
            if a.size == 0:
                return np.zeros((0, 0), dtype=np.int64)
            try:
                return a.astype(np.int64)
            except OverflowError:
                return a

        m = mat(state["matrix"])
        snap = QuiverSnapshot(m, [(float(x), float(y)) for x, y in state["positions"]], list(state["frozen"]),
                              list(state["labels"]))
        h = state.get("history", {})
        history = MutationHistory(mat(h.get("start", state["matrix"])), list(h.get("sequence", [])),
                                  int(h.get("pointer", 0)), str(h.get("start_label", "start")))
        self.doc._apply_snapshot(snap, history)
        self.stack.clear()
        self.canvas.set_mode(state.get("mode", "edit"))
        self.layout_combo.setCurrentText(state.get("layout", "spring"))
        self.info.show_evidence.setChecked(bool(state.get("show_evidence", True)))
        if isinstance(state.get("tab"), int) and 0 <= state["tab"] < self.tabs.count():
            self.tabs.setCurrentIndex(state["tab"])
        self.canvas.zoom_to_fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.canvas.zoom_to_fit)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        self._walk_timer.stop()
        self._identify_timer.stop()
        return super().shutdown(timeout_ms)
