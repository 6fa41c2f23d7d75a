"""Explanation controls: method (GNNExplainer / PGExplainer / Integrated Gradients), top-k
masking, seed, and the resulting overlay for the canvas (thin view; the work is a job in a
worker process, with progress and Cancel; the settings live in
:class:`workbench_quiver.state.GnnSettings`).

Never stale, never misleading: the shown explanation is the last one a job finished; a
running, failed or cancelled job says so in its own status line and never replaces it.  An
explanation of another quiver is marked stale and neither its overlay nor its masking bars
are drawn (both come back when the quiver does, e.g. after an undo); one computed with other
settings is marked stale with its bars drawn.  The colour key of the bars is the plot's
title, so no legend covers them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench import plaindata
from workbench.gui.binding import Binder
from workbench.gui.figures import FigureSource
from workbench.worker_process import in_worker_process
from workbench_quiver.gnn import FAMILIES
from workbench_quiver.gnn.jobs import ExplainResult, ExplainSpec, run_explain
from workbench_quiver.state import METHOD_TITLES, GnnSettings

from .gnn_overlay_style import GnnLegend

#: the explanation job: run_explain in a worker process (PyG's Python loops would hold the GIL here)
EXPLAIN_JOB = in_worker_process(run_explain)
BEFORE, AFTER = "#7b61ff", "#f59f00"
PLOT_TITLE = (
    f"<span style='color:{BEFORE}'>\u25a0 before</span> / <span style='color:{AFTER}'>\u25a0 after</span> masking top-k"
)

#: the status of an explanation computed for another quiver or with other settings
STALE_QUIVER = "stale: the quiver changed since this explanation (Explain again)"
STALE_SETTINGS = "stale: the explanation settings changed since this explanation (Explain again)"


class GnnExplainWidget(QWidget):
    """Explain the GNN's prediction of the quiver from ``current_b()``.

    current_b: callable returning the current exchange matrix or None;
    submit: the host panel's ``Panel.submit``; settings: the host's
    :class:`~workbench_quiver.state.GnnSettings` (method, k, seed, show, checkpoint), whose
    fields the controls are bound to with ``binder``.
    Signal ``overlay_changed(object)``: an ``ExplanationOverlay`` to draw, or None to clear it
    (emitted on new results, when "Show on quiver" is toggled, and by :meth:`quiver_changed`:
    an explanation of another quiver is not drawn).  Signal ``explained(result, spec)``: a
    computed explanation and its spec (the host keeps both for sessions).  A shown explanation
    whose spec differs from the one the settings and the quiver build now is marked stale.
    """

    overlay_changed = Signal(object)
    explained = Signal(object, object)

    def __init__(
        self,
        current_b: Callable[[], Any],
        submit: Callable[..., Any],
        settings: GnnSettings,
        binder: Binder,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.current_b = current_b
        self.submit = submit
        self.settings = settings
        self.result: ExplainResult | None = None
        self.result_spec: ExplainSpec | None = None
        #: why the shown explanation is stale ("" when it is not, or when there is none)
        self.stale = ""
        self._text = "No explanation yet."
        self.handle: Any = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(self._build_form(binder))
        lay.addLayout(self._build_job_row())
        self.legend = GnnLegend()
        lay.addWidget(self.legend)
        self.summary = QLabel(self._text)
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.agreement = QLabel("")
        self.agreement.setWordWrap(True)
        self.agreement.setObjectName("quiver-explain-agreement")
        self.agreement.setToolTip(
            "How many of the explanation's top arrows (as many as the evidence has) lie in the evidence the "
            "exact recogniser draws for this quiver (the punctures of D~, Vatne's type of D, the cycle of A~), "
            "and how many k random arrows would hit on average"
        )
        self.agreement.setVisible(False)
        lay.addWidget(self.agreement)
        self.plot = self._build_plot()
        lay.addWidget(self.plot, 1)
        settings.add_callback("explain_show", lambda _new, _old: self._emit())
        for name in ("explain_method", "explain_k", "explain_seed", "checkpoint"):
            settings.add_callback(name, lambda _new, _old: self.update_stale())

    def _build_form(self, binder: Binder) -> QVBoxLayout:
        st = self.settings
        self.method = binder.bind(st, "explain_method", QComboBox())
        self.k = binder.bind(st, "explain_k", QSpinBox())
        self.seed = binder.bind(st, "explain_seed", QSpinBox())
        form = QFormLayout()
        for name, widget in (("explain_method", self.method), ("explain_k", self.k), ("explain_seed", self.seed)):
            form.addRow(st.field(name).label, widget)
        self.run_button = QPushButton("Explain")
        self.run_button.setToolTip(
            "Explain the GNN's prediction of the quiver on the canvas with the chosen method "
            "(a job with progress and Cancel; the result is drawn on the quiver)"
        )
        self.run_button.clicked.connect(self.explain)
        self.show_box = binder.bind(st, "explain_show", QCheckBox(st.field("explain_show").label))
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.show_box)
        box = QVBoxLayout()
        box.addLayout(form)
        box.addLayout(row)
        return box

    def _build_job_row(self) -> QHBoxLayout:
        """The running job's status, progress and Cancel (the shown result is elsewhere)."""
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("quiver-explain-status")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running explanation (the last complete one stays shown)")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)
        self._set_running(False)
        return row

    def _build_plot(self) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w")
        plot.setMinimumSize(220, 130)
        plot.setYRange(0, 1, padding=0.02)
        plot.getAxis("bottom").setTicks([[(i, f) for i, f in enumerate(FAMILIES)]])
        plot.setLabel("left", "P(family)")
        plot.setTitle(PLOT_TITLE, size="9pt")
        self._title = PLOT_TITLE
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        x = np.arange(len(FAMILIES))
        self.before = pg.BarGraphItem(x=x - 0.18, height=np.zeros(len(x)), width=0.34, brush=BEFORE, name="before")
        self.after = pg.BarGraphItem(x=x + 0.18, height=np.zeros(len(x)), width=0.34, brush=AFTER, name="after")
        plot.addItem(self.before)
        plot.addItem(self.after)
        return plot

    # ---- actions --------------------------------------------------------------------------------
    def spec(self) -> ExplainSpec | None:
        """The explanation the settings describe for the current quiver (None: no quiver)."""
        b = self.current_b()
        if b is None or np.asarray(b).size == 0:
            return None
        return self.settings.explain_spec(b)

    def explain(self) -> None:
        spec = self.spec()
        if spec is None:
            self.status.setText("Draw a quiver first.")
            return
        title = METHOD_TITLES[spec.method]
        self._set_running(True, f"Explaining with {title}\u2026")
        handle = self.submit(
            EXPLAIN_JOB,
            spec,
            title=f"GNN explanation ({title})",
            on_result=lambda res: self._explained(res, spec, handle),
            on_progress=lambda f, m: self._progressed(f, m, handle),
            on_error=lambda msg, _tb="": self._on_error(msg, handle),
            key="gnn-explain",
        )
        handle.cancelled.connect(lambda: self._ended(handle, "cancelled"))
        self.handle = handle

    def running(self) -> bool:
        return self.handle is not None and not self.handle.is_done

    def cancel(self) -> None:
        """Stop the running explanation (the shown one stays)."""
        if self.running():
            self.handle.cancel()

    def _set_running(self, running: bool, text: str = "") -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setValue(0)
        self.status.setText(text)

    def _progressed(self, fraction: float, message: str, handle: Any) -> None:
        if handle is self.handle and self.running():
            self.progress.setValue(int(round(1000 * fraction)))
            title = METHOD_TITLES.get(handle.spec.method, handle.spec.method)
            self.status.setText(f"Explaining with {title}: {message}" if message else self.status.text())

    def _ended(self, handle: Any, how: str) -> None:
        """A job was cancelled or failed: say so; the shown explanation is unchanged."""
        if handle is not self.handle:
            return
        kept = " (the last complete explanation stays shown)" if self.result is not None else ""
        self._set_running(False, f"Explanation {how}{kept}.")

    def quiver_changed(self) -> None:
        """The quiver was edited: an explanation of another quiver is stale and not drawn (one
        of this quiver, e.g. after an undo, is drawn again: the canvas clears it on edits)."""
        self.update_stale(emit=True)

    def overlay(self):
        """The overlay to draw now (None when hidden, absent, or of another quiver)."""
        if self.result is None or not self.settings.explain_show or self.stale == STALE_QUIVER:
            return None
        return self.result.overlay

    # ---- results ------------------------------------------------------------------------------
    def _emit(self) -> None:
        self.overlay_changed.emit(self.overlay())

    def _on_error(self, message: str, handle: Any = None) -> None:
        self._ended(handle if handle is not None else self.handle, f"failed: {message}")

    def _explained(self, res: ExplainResult, spec: ExplainSpec, handle: Any = None) -> None:
        if handle is not None and handle is not self.handle:
            return  # a newer explanation was asked for
        self._set_running(False, f"Explained in {res.seconds:.1f} s.")
        self.show_result(res, spec)
        self.explained.emit(res, spec)

    def stale_reason(self) -> str:
        """Why the shown explanation no longer matches the quiver or the settings ('' if it does)."""
        if self.result is None or self.result_spec is None:
            return ""
        now = self.spec()
        if now is None or now.b != self.result_spec.b:
            return STALE_QUIVER
        return "" if plaindata.same(now, self.result_spec) else STALE_SETTINGS

    def update_stale(self, emit: bool = False) -> None:
        """Mark the shown explanation stale (text, overlay) when its spec differs from now's;
        the overlay is emitted again when that changes (or when ``emit``)."""
        reason = self.stale_reason()
        changed = reason != self.stale
        self.stale = reason
        if self.result is not None:
            self.summary.setText((f"<b>{reason}</b><br>" if reason else "") + self._text)
        self._show_agreement()
        if changed or emit:
            self._draw_bars()
            self._emit()

    def _draw_bars(self) -> None:
        """The masking bars of the shown explanation; none for another quiver (or no masking)."""
        m = self.result.masking if self.result is not None else None
        if m is None or m.k <= 0 or self.stale == STALE_QUIVER:
            heights = ([0.0] * len(FAMILIES), [0.0] * len(FAMILIES))
        else:
            heights = ([m.probs_before[f] for f in FAMILIES], [m.probs_after[f] for f in FAMILIES])
        if heights != self.bar_heights():
            self.before.setOpts(height=heights[0])
            self.after.setOpts(height=heights[1])
        stale = {STALE_QUIVER: "stale", STALE_SETTINGS: "stale"}.get(self.stale, "")
        title = PLOT_TITLE + (f" <span style='color:#c92a2a'>({stale})</span>" if stale else "")
        if title != self._title:  # a pyqtgraph title costs milliseconds: only when it changes
            self._title = title
            self.plot.setTitle(title, size="9pt")

    def bar_heights(self) -> tuple[list[float], list[float]]:
        """The drawn heights of the before / after bars (for tests and the figure's data)."""
        return ([float(h) for h in self.before.opts["height"]], [float(h) for h in self.after.opts["height"]])

    def clear(self) -> None:
        """No explanation (a session without one)."""
        self.result = self.result_spec = None
        self.stale = ""
        self._text = "No explanation yet."
        self.summary.setText(self._text)
        self._show_agreement()
        self._draw_bars()
        self._emit()

    def show_result(self, res: ExplainResult, spec: ExplainSpec) -> None:
        """Draw ``res``, the explanation of ``spec`` (also one restored from a session)."""
        self.result, self.result_spec = res, spec
        ov = res.overlay
        self.legend.set_method(METHOD_TITLES.get(ov.method, ov.method))
        text = (
            f"{METHOD_TITLES.get(ov.method, ov.method)} explains <b>{ov.predicted}</b> ({ov.probability * 100:.1f}%)."
        )
        top = ov.top_arrows(3)
        if top:
            text += " Most important arrows: " + ", ".join(f"{i}→{j}" for i, j in top) + "."
        m = res.masking
        if m is not None and m.k > 0:
            pb, pa = m.probs_before, m.probs_after
            text += (
                f"<br>Masking the top {m.k} arrows: {m.predicted_before} {pb[m.predicted_before] * 100:.0f}% → "
                f"{m.predicted_after} {pa[m.predicted_after] * 100:.0f}%; P({m.predicted_before}) drops by "
                f"{m.prob_drop:.2f} (random {m.k} arrows: {m.random_prob_drop:.2f} on average)."
            )
        self._text = text
        self.stale = self.stale_reason()
        self.summary.setText((f"<b>{self.stale}</b><br>" if self.stale else "") + text)
        self._show_agreement()
        self._draw_bars()
        self._emit()

    def agreement_text(self) -> str:
        """The line on the explanation's agreement with the exact evidence ('' without an
        explanation; not given for an explanation of another quiver)."""
        if self.result is None:
            return ""
        if self.stale == STALE_QUIVER:
            return "Agreement with the exact evidence: stale (the quiver changed; Explain again)."
        a = getattr(self.result, "agreement", None)
        if a is None:
            return "Agreement with the exact evidence: not measured for a restored explanation (Explain again)."
        if isinstance(a, str):
            return f"Agreement with the exact evidence: {a}."
        mark = " (stale: other settings)" if self.stale else ""
        return f"Agreement with the exact evidence{mark}: {a.text()}."

    def _show_agreement(self) -> None:
        text = self.agreement_text()
        self.agreement.setText(text)
        self.agreement.setVisible(bool(text))

    # ---- host services ------------------------------------------------------------------------
    def context(self) -> dict[str, Any]:
        """What the shown explanation is of: method, k, seed, the quiver's size, staleness."""
        r, spec = self.result, self.result_spec
        if r is None or spec is None:
            return {}
        n = len(spec.b[0]) if spec.b else 0
        return {
            "explanation_method": METHOD_TITLES.get(spec.method, spec.method),
            "top_k": spec.k,
            "explanation_seed": spec.seed,
            "n_mutable": n,
            "b_matrix_shape": f"{len(spec.b)}x{n}",
            "explained_b_matrix": np.asarray(spec.b, dtype=float),
            "predicted": r.overlay.predicted,
            "checkpoint": spec.checkpoint or "shipped default",
            "stale": self.stale,
        }

    def figure_title(self) -> str:
        c = self.context()
        if not c:
            return "GNN top-k masking (no explanation yet)"
        shape = c["b_matrix_shape"].replace("x", " \u00d7 ")
        title = (
            f"GNN top-{c['top_k']} masking, {c['explanation_method']} (seed {c['explanation_seed']}), "
            f"n = {c['n_mutable']}, B {shape}, "
            f"predicted {c['predicted']}"
        )
        return title + (f" [{self.stale}]" if self.stale else "")

    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            r = self.result
            if r is None:
                return {"family": list(FAMILIES)}
            ov = r.overlay
            d: dict[str, Any] = {
                **self.context(),
                "method": ov.method,
                "predicted": ov.predicted,
                "arrow_from": [i for (i, _j) in ov.edge_importance],
                "arrow_to": [j for (_i, j) in ov.edge_importance],
                "arrow_importance": list(ov.edge_importance.values()),
                "vertex_importance": list(ov.node_importance),
                "family": list(FAMILIES),
            }
            if r.masking is not None:
                d["prob_before"] = [r.masking.probs_before[f] for f in FAMILIES]
                d["prob_after"] = [r.masking.probs_after[f] for f in FAMILIES]
                d["k"] = r.masking.k
                d["prob_drop"] = r.masking.prob_drop
                d["random_prob_drop"] = r.masking.random_prob_drop
            return d

        return [FigureSource("gnn_masking", widget=self.plot, data=data, title=self.figure_title())]
