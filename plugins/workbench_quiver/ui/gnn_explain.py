"""Explanation controls: method (GNNExplainer / PGExplainer / Integrated Gradients), top-k
masking, and the resulting overlay for the canvas (thin view; the work is a job)."""

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
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.figures import FigureSource
from workbench_quiver.gnn import FAMILIES
from workbench_quiver.gnn.explain import METHODS
from workbench_quiver.gnn.jobs import ExplainResult, ExplainSpec, as_matrix, run_explain

from .gnn_overlay_style import GnnLegend

METHOD_TITLES = {
    "GNNExplainer": "GNNExplainer",
    "PGExplainer": "PGExplainer",
    "IntegratedGradients": "Integrated Gradients",
}


class GnnExplainWidget(QWidget):
    """Explain the GNN's prediction of the quiver from ``current_b()``.

    current_b: callable returning the current exchange matrix or None;
    submit: the host panel's ``Panel.submit``; checkpoint: '' = shipped default.
    Signal ``overlay_changed(object)``: an ``ExplanationOverlay`` to draw, or None to clear it
    (emitted on new results, when "Show on quiver" is toggled, and by :meth:`quiver_changed`).
    """

    overlay_changed = Signal(object)

    def __init__(self, current_b: Callable[[], Any], submit: Callable[..., Any], checkpoint: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current_b = current_b
        self.submit = submit
        self.checkpoint = checkpoint
        self.result: ExplainResult | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        form = QFormLayout()
        self.method = QComboBox()
        for m in METHODS:
            self.method.addItem(METHOD_TITLES[m], m)
        self.k = QSpinBox()
        self.k.setRange(0, 20)
        self.k.setValue(2)
        self.k.setToolTip("mask (delete) the k most important arrows and predict again; 0 = no masking")
        form.addRow("Method", self.method)
        form.addRow("Mask top-k arrows", self.k)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.run_button = QPushButton("Explain")
        self.run_button.setToolTip("explain the current prediction (Ctrl+E in the panel)")
        self.run_button.clicked.connect(self.explain)
        self.show_box = QCheckBox("Show on quiver")
        self.show_box.setChecked(True)
        self.show_box.toggled.connect(lambda _on: self._emit())
        row.addWidget(self.run_button)
        row.addWidget(self.show_box)
        lay.addLayout(row)
        self.legend = GnnLegend()
        lay.addWidget(self.legend)
        self.summary = QLabel("No explanation yet.")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(220, 130)
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.getAxis("bottom").setTicks([[(i, f) for i, f in enumerate(FAMILIES)]])
        self.plot.setTitle("before / after masking the top-k arrows", size="9pt")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.addLegend(offset=(-5, 5))
        x = np.arange(len(FAMILIES))
        self.before = pg.BarGraphItem(x=x - 0.18, height=np.zeros(len(x)), width=0.34, brush="#7b61ff", name="before")
        self.after = pg.BarGraphItem(x=x + 0.18, height=np.zeros(len(x)), width=0.34, brush="#f59f00", name="after")
        self.plot.addItem(self.before)
        self.plot.addItem(self.after)
        lay.addWidget(self.plot, 1)

    # ---- actions --------------------------------------------------------------------------------
    def explain(self) -> None:
        b = self.current_b()
        if b is None or np.asarray(b).size == 0:
            self.summary.setText("Draw a quiver first.")
            return
        spec = ExplainSpec(
            b=as_matrix(b), method=self.method.currentData(), k=self.k.value(), checkpoint=self.checkpoint
        )
        self.summary.setText(f"Explaining with {self.method.currentText()} ...")
        self.submit(
            run_explain,
            spec,
            title=f"GNN explanation ({self.method.currentText()})",
            on_result=self._on_result,
            on_error=self._on_error,
            key="gnn-explain",
        )

    def quiver_changed(self) -> None:
        """The quiver was edited: the explanation no longer applies; clear the overlay."""
        if self.result is not None:
            self.result = None
            self.summary.setText("The quiver changed: explain again.")
            self._emit()

    def overlay(self):
        """The overlay to draw now (None when hidden or absent)."""
        if self.result is None or not self.show_box.isChecked():
            return None
        return self.result.overlay

    # ---- results ------------------------------------------------------------------------------
    def _emit(self) -> None:
        self.overlay_changed.emit(self.overlay())

    def _on_error(self, message: str, _tb: str = "") -> None:
        self.summary.setText(f"Explanation failed: {message}")

    def _on_result(self, res: ExplainResult) -> None:
        self.result = res
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
            self.before.setOpts(height=[pb[f] for f in FAMILIES])
            self.after.setOpts(height=[pa[f] for f in FAMILIES])
            text += (f"<br>Masking the top {m.k} arrows: {m.predicted_before} {pb[m.predicted_before] * 100:.0f}% → "
                     f"{m.predicted_after} {pa[m.predicted_after] * 100:.0f}%; P({m.predicted_before}) drops by "
                     f"{m.prob_drop:.2f} (random {m.k} arrows: {m.random_prob_drop:.2f} on average).")
        else:
            self.before.setOpts(height=np.zeros(len(FAMILIES)))
            self.after.setOpts(height=np.zeros(len(FAMILIES)))
        self.summary.setText(text)
        self._emit()

    # ---- host services ------------------------------------------------------------------------
    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            r = self.result
            if r is None:
                return {"family": list(FAMILIES)}
            ov = r.overlay
            d: dict[str, Any] = {"method": ov.method, "predicted": ov.predicted,
                                 "arrow_from": [i for (i, _j) in ov.edge_importance],
                                 "arrow_to": [j for (_i, j) in ov.edge_importance],
                                 "arrow_importance": list(ov.edge_importance.values()),
                                 "vertex_importance": list(ov.node_importance), "family": list(FAMILIES)}
            if r.masking is not None:
                d["prob_before"] = [r.masking.probs_before[f] for f in FAMILIES]
                d["prob_after"] = [r.masking.probs_after[f] for f in FAMILIES]
                d["k"] = r.masking.k
                d["prob_drop"] = r.masking.prob_drop
                d["random_prob_drop"] = r.masking.random_prob_drop
            return d
        return [FigureSource("gnn_masking", widget=self.plot, data=data, title="GNN top-k masking")]

    def state(self) -> dict[str, Any]:
        return {"method": self.method.currentData(), "k": self.k.value(), "show": self.show_box.isChecked()}

    def restore(self, state: dict[str, Any]) -> None:
        m = state.get("method", "GNNExplainer")
        if m not in METHODS:
            raise ValueError(f"gnn explanation state: unknown method {m!r}")
        k = state.get("k", 2)
        if not isinstance(k, int) or not 0 <= k <= 20:
            raise ValueError("gnn explanation state: k must be an integer 0..20")
        self.method.setCurrentIndex(METHODS.index(m))
        self.k.setValue(k)
        self.show_box.setChecked(bool(state.get("show", True)))
