"""The quiver editor panel: draw quivers, click to mutate, see the mutation type live.

A thin composition of Qt views over :mod:`workbench_quiver.ui.model` (the editable document
and its undo stack), :class:`workbench_quiver.state.QuiverState` (every setting, bound to the
widgets with the shell's binder) and the Qt-free core:

* ``ui/toolbar.py`` modes, undo, random walk, layout, files; ``ui/side_tabs.py`` the tabs;
* ``ui/editing.py`` and ``ui/files.py`` the edit and file actions (mixins of the panel);
* ``ui/live.py`` identification (a quiet job in the ``"live"`` lane) and GNN prediction after
  every edit; ``ui/enumeration_tab.py`` class enumeration (a job with progress and Cancel).

Sessions save the settings and the document, and keep the results: the summary and the
prediction of the quiver, the enumerated class, the GNN explanation and the explorer's
embeddings are given back without recomputing, and marked stale ("stale: ...") when the
quiver or the settings no longer give their inputs.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from workbench.gui.figures import FigureSource
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel
from workbench.gui.pyside_guard import make_none_immortal
from workbench.gui.theme import theme_signals
from workbench.worker_process import prewarm
from workbench_quiver.gnn.jobs import project_spec
from workbench_quiver.jobs import EnumerateResult, QuiverSummary
from workbench_quiver.state import METHOD_TITLES, TABS, QuiverState, document_from_dict, document_to_dict
from workbench_quiver.ui.canvas import QuiverCanvas
from workbench_quiver.ui.captioned import captioned
from workbench_quiver.ui.editing import HINT, EditingMixin
from workbench_quiver.ui.enumeration_tab import EnumerationController
from workbench_quiver.ui.files import QuiverFilesMixin
from workbench_quiver.ui.live import LiveIdentification
from workbench_quiver.ui.matrix_editor import BMatrixView
from workbench_quiver.ui.model import CommandStack, QuiverDocument
from workbench_quiver.ui.sequence_player import SequencePlayer
from workbench_quiver.ui.shortcuts import KeyMap, editor_keys
from workbench_quiver.ui.side_tabs import SideTabs
from workbench_quiver.ui.toolbar import QuiverToolbar

DEFAULT_LABEL = "D~6"
#: what the worker processes import ahead of the first enumeration / explanation
ENUMERATION_MODULES = ("workbench_quiver.jobs", "workbench_quiver.core.enumerate")
GNN_MODULES = ("workbench_quiver.gnn.jobs", "workbench_quiver.gnn.explain", "workbench_quiver.gnn.embed")
_frozen_after_gnn = False


def freeze_lazy_imports() -> None:
    """Once per process, after the first GNN prediction: :func:`gc.freeze` what is alive then.

    The shell freezes the heap after importing the panel's module, but torch_geometric (and the
    classifier it loads) are imported by the first prediction job, later: their hundreds of
    thousands of objects stayed in the collector's oldest generation, and each full
    collection walked them with the GIL held, measured 1.1-1.5 s without an answer from the GUI
    thread, twice in each enumeration of D~10 (the allocations of its partial classes trigger
    them).  Frozen, they are skipped (the Python documentation of ``gc.freeze``)."""
    global _frozen_after_gnn
    if not _frozen_after_gnn and "torch_geometric" in sys.modules:
        _frozen_after_gnn = True
        gc.freeze()


#: document events that change the quiver (not only its drawing)
STRUCTURAL = ("reset", "arrows", "mutated", "frozen")


class QuiverPanel(EditingMixin, QuiverFilesMixin, Panel):
    """Interactive quiver editor with live mutation-type identification."""

    state_model: QuiverState

    def __init__(self, shell: Any) -> None:
        make_none_immortal()  # PySide6 6.12 + CPython 3.11 refcount bug (see workbench/gui/pyside_guard.py)
        super().__init__(shell, "quiver")
        self.state_model = QuiverState()
        self.doc = QuiverDocument()
        self.stack = CommandStack(self.doc)
        self._init_editing()
        self.build_in_steps(self._build_steps())

    def _build_steps(self) -> Iterator[None]:
        """The construction, a ``yield`` between its heavy views (the side tabs' plots; see
        ``Panel.build_in_steps``)."""
        yield from self._build()
        self.live = LiveIdentification(self)
        self.enumeration = EnumerationController(self)
        self._connect()
        self.load_standard(DEFAULT_LABEL, undoable=False)
        self.toolbar.update_undo(self.stack)
        theme_signals().theme_changed.connect(self._theme_changed)
        self._theme_connected = True
        self._theme_changed()

    @classmethod
    def prepare_in_background(cls) -> None:
        """The layouts of the default quiver and of the gallery's thumbnails (Kamada-Kawai
        through scipy: 10-50 ms each on one BLAS thread, 17 of them), computed on the import
        thread into :func:`~workbench_quiver.ui.layout.standard_layout`'s cache."""
        from workbench_quiver.ui.gallery import FAMILIES, family_label
        from workbench_quiver.ui.layout import standard_layout

        for label in [DEFAULT_LABEL] + [family_label(f) for f in FAMILIES]:
            try:
                standard_layout(label)
            except ValueError:
                continue

    def is_idle(self) -> bool:
        """Also waits for the gallery's thumbnails (drawn one per event-loop turn)."""
        return super().is_idle() and not self.gallery.thumbnails_pending()

    def _theme_changed(self, _theme: str = "") -> None:
        """Repaint what the palette does not reach: the canvas (background, vertices, arrows,
        labels, evidence), the thumbnails, the verdict and the importance key."""
        self.canvas.apply_theme()
        self.class_browser.model.restyle()
        self.gallery.restyle()
        self.gnn_pred.restyle()
        self.gnn_explain.legend.update()
        self.tabs.cluster.restyle()

    # ---- composition -----------------------------------------------------------------------
    def _build(self) -> Iterator[None]:
        st = self.state_model
        self.canvas = QuiverCanvas(self.doc, self.stack)
        self.canvas.setObjectName("quiver-canvas")
        self.canvas.set_show_evidence(st.show_evidence)
        # the views call submit late, so a test's (or a subclass's) submit is the one used
        self.tabs = SideTabs(self.doc, lambda *a, **k: self.submit(*a, **k), st, self.binder, in_steps=True)
        yield from self.tabs.build_steps()
        t = self.tabs
        t.cluster.attach_canvas(self.canvas)  # green/red vertices, going to exchange-graph seeds
        t.cluster.keep = self.keep_result  # seeds, green sequences, exchange graphs go into sessions
        self.info, self.history, self.gallery, self.class_browser = t.info, t.history, t.gallery, t.class_browser
        self.gnn_pred, self.gnn_explain, self.gnn_explorer = t.gnn_pred, t.gnn_explain, t.gnn_explorer
        self.status_label = QLabel(HINT)
        self.status_label.setObjectName("quiver-status")
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet("padding: 2px 4px;")
        self.matrix_view = BMatrixView(self.doc, self.stack)
        self.matrix_view.message.connect(self._set_status)
        self.binder.bind(st, "show_matrix", self.matrix_view.toggle_button)
        self.player = SequencePlayer(self.doc, self.mutate)
        self.binder.bind(st, "sequence", self.player.field)
        self.player.message.connect(self._set_status)
        self.toolbar = QuiverToolbar(self, st, self.binder)
        tb = self.toolbar
        self.mode_actions, self.undo_action, self.redo_action = tb.mode_actions, tb.undo_action, tb.redo_action
        self.walk_action, self.walk_steps, self.layout_combo = tb.walk_action, tb.walk_steps, tb.layout_combo
        tb.addWidget(self.matrix_view.toggle_button)
        # canvas | B-matrix (side by side, both resizable), the sequence player and the status below
        self.canvas_split = QSplitter(Qt.Orientation.Horizontal)
        self.canvas_split.setObjectName("quiver-canvas-split")
        self.canvas_split.addWidget(self.canvas)
        self.canvas_split.addWidget(self.matrix_view)
        self.canvas_split.setStretchFactor(0, 3)
        self.canvas_split.setStretchFactor(1, 1)
        self.canvas_split.setCollapsible(0, False)
        self.canvas_split.setSizes([560, 180])
        self.matrix_view.setVisible(st.show_matrix)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.setSpacing(0)
        left_lay.addWidget(self.canvas_split, 1)
        left_lay.addWidget(self.player)
        left_lay.addWidget(self.status_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([740, 380])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.splitter, 1)
        self.setMinimumSize(480, 320)
        self._walk_timer = QTimer(self)
        self._walk_timer.setInterval(220)
        self._walk_timer.timeout.connect(self._walk_step)

    def _connect(self) -> None:
        st = self.state_model
        self.doc.subscribe(self._on_doc)
        self.stack.subscribe(lambda: self.toolbar.update_undo(self.stack))
        self.canvas.status.connect(self._set_status)
        self.canvas.mode_changed.connect(lambda mode: setattr(st, "mode", mode))
        self.canvas.rename_requested.connect(self._rename_dialog)
        st.add_callback("mode", lambda new, _old: self._mode_changed(new))
        st.add_callback("show_evidence", lambda new, _old: self.canvas.set_show_evidence(new))
        st.add_callback("show_matrix", lambda new, _old: self.matrix_view.setVisible(bool(new)))
        st.add_callback("seed", lambda _new, _old: self._reseed())
        st.add_callback("checkpoint", lambda _new, _old: self._checkpoint_changed())
        for name in ("enum_depth", "enum_max_size"):
            st.add_callback(name, lambda _new, _old: self.enumeration.update_stale())
        self.history.go_to.connect(self.go_to_history)
        self.gallery.chosen.connect(self.load_standard)
        self.info.enumerate_requested.connect(lambda _depth: self.enumerate_class())
        self.info.cancel_requested.connect(self.cancel_enumeration)
        self.info.certificate_requested.connect(self.apply_sequence)
        self.class_browser.member_clicked.connect(self.load_class_member)
        self.gnn_pred.predicted.connect(lambda res: self.keep_result("prediction", res, self.gnn_pred.result_spec))
        self.gnn_pred.predicted.connect(lambda _res: freeze_lazy_imports())
        self.gnn_explain.overlay_changed.connect(self.canvas.set_gnn_overlay)
        self.gnn_explain.explained.connect(lambda res, spec: self.keep_result("explanation", res, spec))
        self.gnn_explorer.embedded.connect(lambda res, spec: self.keep_result("embedding", res, spec))
        self.gnn_explorer.projected.connect(lambda xy, spec: self.keep_result("projection", xy, spec))
        self.gnn_explorer.open_quiver.connect(lambda b: self.load_matrix(b, label="explorer point"))
        self.keys = KeyMap(self, editor_keys(self))
        self._gnn_warm = False
        self.tabs.currentChanged.connect(self._tab_shown)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.keys.handle(event):
            super().keyPressEvent(event)

    # ---- document and live work --------------------------------------------------------------
    def start(self) -> None:
        """Identify and predict the quiver shown, unless a session already gave both back; a
        worker process starts importing the enumeration's modules meanwhile (at low priority),
        so the first enumeration need not wait for it."""
        self.live.start()
        prewarm(ENUMERATION_MODULES)

    def _tab_shown(self, index: int) -> None:
        """The GNN or Explorer tab is shown for the first time: a worker imports torch and
        PyTorch Geometric ahead of the first explanation or embedding (5-10 s on a busy machine)."""
        if not self._gnn_warm and TABS[index] in ("GNN", "Explorer"):
            self._gnn_warm = True
            prewarm(GNN_MODULES)

    def _on_doc(self, event: str, info: dict) -> None:
        if event in STRUCTURAL:
            self.live.document_changed()
            self.gnn_explain.quiver_changed()
        if event in STRUCTURAL or event == "history":
            self.enumeration.update_stale()
        if event == "reset":
            self.canvas.set_highlight([], [])

    def _checkpoint_changed(self) -> None:
        if self.live.started:
            self.gnn_pred.refresh()

    @property
    def summary(self) -> QuiverSummary | None:
        """The identification of the quiver shown (None while it is pending)."""
        return self.live.summary

    @property
    def _identify_handle(self) -> JobHandle | None:
        return self.live.handle

    # ---- class enumeration -------------------------------------------------------------------
    def enumerate_class(self) -> None:
        """Enumerate the class of the quiver with the state's limits (a job with Cancel)."""
        self.enumeration.enumerate()

    def cancel_enumeration(self) -> None:
        self.enumeration.cancel()

    def load_class_member(self, i: int) -> None:
        """Load member ``i`` of the enumerated class: the start quiver mutated along its path."""
        self.enumeration.load_member(i)

    @property
    def mutation_class(self) -> EnumerateResult | None:
        """The class shown in the Class tab (complete or partial), or None."""
        return self.enumeration.result

    @property
    def _enum_handle(self) -> JobHandle | None:
        return self.enumeration.handle

    @property
    def stale(self) -> dict[str, bool]:
        """Per shown result: whether the quiver or the settings no longer give its inputs."""
        return {
            "class": bool(self.enumeration.stale),
            "explanation": bool(self.gnn_explain.stale),
            "embedding": bool(self.gnn_explorer.stale),
        }

    # ---- sessions ------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The settings (:class:`QuiverState`) and the document."""
        return {**super().state(), **document_to_dict(self.doc)}

    def validate_state(self, state: Any) -> None:
        super().validate_state(state)
        document_from_dict(state)

    def restore(self, state: dict[str, Any]) -> None:
        """Apply a saved state, all or nothing (never a job: the results come back through
        :meth:`restore_results`; the live identification resumes only for a quiver whose
        summary the session does not hold)."""
        self.validate_state(state)
        snap, history = document_from_dict(state)
        self.toolbar.walk_action.setChecked(False)
        self.state_model.restore(state)
        self.doc._apply_snapshot(snap, history)
        self.stack.clear()
        self.canvas.zoom_to_fit()
        n = self.doc.b_matrix().shape[0]
        self._set_status(f"restored from the session: a quiver on {n} vertices")  # not the last action's line

    def session_snapshot(self) -> Any:
        """The state and kept results (as every panel) and the undo/redo stacks, so a session
        load that fails in another panel rolls back to the quiver with its undo history."""
        return super().session_snapshot(), self.stack.snapshot()

    def session_rollback(self, snapshot: Any) -> None:
        base, stacks = snapshot
        super().session_rollback(base)  # restore() clears the stacks: they come back after it
        self.stack.restore_snapshot(stacks)

    def results_restored(self, names: list[str]) -> None:
        """Draw the results a session kept (clear those it did not) and mark stale ones."""
        kept = self.kept
        self.live.restored(kept("summary"), kept("prediction"))
        cls, ex, em = kept("class"), kept("explanation"), kept("embedding")
        if cls is not None:
            self.enumeration.show(cls.result, cls.inputs, switch_tab=False, keep=True)
        else:
            self.enumeration.clear()
        if ex is not None:
            self.gnn_explain.show_result(ex.result, ex.inputs)
        else:
            self.gnn_explain.clear()
        if em is not None:
            self.gnn_explorer.show_result(em.result, em.inputs, project=False)
            pr = kept("projection")
            if pr is not None and pr.inputs == project_spec(self.doc.b_matrix(), em.result, em.inputs.checkpoint):
                self.gnn_explorer.show_projection(pr.result, pr.inputs)
            # else: the star comes with the next identification (restoring starts no job)
        else:
            self.gnn_explorer.clear()
        self.tabs.cluster.restore_kept(kept)

    # ---- figures -------------------------------------------------------------------------------
    def quiver_context(self) -> dict[str, Any]:
        """What every exported figure says of the quiver on the canvas: its type (as identified;
        "(being identified)" while pending), n mutable and m frozen vertices, the B-matrix's size."""
        b = self.doc.b_matrix()
        rows, n = (int(b.shape[0]), int(b.shape[1])) if b.ndim == 2 else (0, 0)
        current = self.summary is not None and self.live.is_current()
        return {
            "quiver_type": self.summary.label if current else "(being identified)",  # type: ignore[union-attr]
            "n_mutable": n,
            "n_frozen": rows - n,
            "b_matrix_shape": f"{rows}x{n}",
        }

    def quiver_caption(self) -> str:
        """``quiver of type D~6, n = 7, B 7 × 7`` (frozen vertices named when there are any)."""
        c = self.quiver_context()
        frozen = f" + {c['n_frozen']} frozen" if c["n_frozen"] else ""
        rows, n = c["b_matrix_shape"].split("x")
        return f"quiver of type {c['quiver_type']}, n = {c['n_mutable']}{frozen}, B {rows} \u00d7 {n}"

    def canvas_caption(self) -> str:
        """The canvas figure's caption: the quiver, and what its colours mean."""
        c = self.quiver_caption()
        text = c[0].upper() + c[1:]
        if self.canvas.show_evidence and self.canvas.highlight_vertices:
            text += "; red: the evidence of its type"
        ov = self.canvas.gnn_overlay
        if ov is not None:
            text += (
                f"; violet, arrow width and vertex halo: {METHOD_TITLES.get(ov.method, ov.method)} importance "
                f"for the GNN's prediction {ov.predicted}"
            )
            if getattr(ov, "masked", None):
                k = len(ov.masked)
                text += f"; dashed: the {k} masked arrow{'s' if k != 1 else ''} (top-{k})"
        return text

    def figures(self) -> list[FigureSource]:
        """The canvas, the GNN probabilities, the masking experiment and the explorer's PCA;
        each titled with its context, its data file carrying the same (see quiver_context)."""

        def data() -> dict[str, Any]:
            d = {**self.quiver_context(), **self.canvas.data_for_export()}
            b = self.doc.b_matrix()
            d["b_matrix"] = np.asarray([[int(x) for x in row] for row in b], dtype=float) if b.dtype == object else b
            if self.summary is not None and self.live.is_current():
                d["type"] = self.summary.label
                d["description"] = self.summary.description
            return d

        caption = self.quiver_caption
        figs: list[FigureSource] = [
            captioned(
                FigureSource("quiver", widget=self.canvas, data=data, paint=self.canvas.paint_figure),
                self.canvas_caption,
                light_band=True,
            )
        ]
        pred = self.gnn_pred.figures()[0]
        figs.append(captioned(pred, lambda: f"{pred.title} of the {caption()}", self.quiver_context))
        explain, explorer = self.gnn_explain.figures()[0], self.gnn_explorer.figures()[0]
        canvas_context = self._canvas_context
        figs.append(captioned(explain, self.gnn_explain.figure_title, canvas_context))
        figs.append(
            captioned(
                explorer,
                lambda: (
                    self.gnn_explorer.figure_title()
                    + (f"; the star: the {caption()}" if self.gnn_explorer.current_xy else "")
                ),
                canvas_context,
            )
        )
        return figs

    def _canvas_context(self) -> dict[str, Any]:
        """The canvas quiver's context with keys prefixed ``canvas_`` (for figures of their own
        quiver or data set: an explanation, the explorer)."""
        return {"canvas_" + k: v for k, v in self.quiver_context().items()}

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.canvas.zoom_to_fit)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        if self._theme_connected:
            self._theme_connected = False
            theme_signals().theme_changed.disconnect(self._theme_changed)
        self.player.stop()
        self._walk_timer.stop()
        self.live.timer.stop()
        return super().shutdown(timeout_ms)
