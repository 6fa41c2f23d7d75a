"""Live GNN prediction: family probabilities as a bar chart, and whether they agree with the
exact type (thin view; the prediction runs as a job on the host panel's QThread)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.figures import FigureSource
from workbench_quiver.gnn import FAMILIES
from workbench_quiver.gnn.jobs import PredictResult, PredictSpec, as_matrix, run_predict

AGREE = "#2f8132"
DISAGREE = "#c92a2a"
BAR = "#7b61ff"


class GnnPredictionWidget(QWidget):
    """Bar chart of P(family) for the quiver returned by ``current_b()``.

    current_b: callable returning the current exchange matrix ((n+m) x n array) or None;
    submit: the host panel's ``Panel.submit``;
    checkpoint: path of a checkpoint ('' = the shipped default).
    Call :meth:`refresh` after every edit (the job has key "gnn-predict": a newer edit cancels
    an older pending prediction).  ``latency_ms`` holds the last edit-to-draw time.
    """

    #: emitted with each PredictResult once drawn
    predicted = Signal(object)
    #: emitted with a message when the classifier is unavailable (missing/corrupt checkpoint)
    unavailable = Signal(str)

    def __init__(self, current_b: Callable[[], Any], submit: Callable[..., Any], checkpoint: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current_b = current_b
        self.submit = submit
        self.checkpoint = checkpoint
        self.result: PredictResult | None = None
        self.error = ""
        self.latency_ms = float("nan")
        self._t_request = 0.0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(220, 150)
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.setLimits(yMin=0, yMax=1.05)
        self.plot.getAxis("bottom").setTicks([[(i, f) for i, f in enumerate(FAMILIES)]])
        self.plot.setLabel("left", "probability")
        self.plot.setTitle("GNN (DirGINE) family probabilities", size="9pt")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.bars = pg.BarGraphItem(x=np.arange(len(FAMILIES)), height=np.zeros(len(FAMILIES)), width=0.6, brush=BAR)
        self.plot.addItem(self.bars)
        self.verdict = QLabel("GNN: waiting for a quiver")
        self.verdict.setWordWrap(True)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.verdict)

    # ---- requests ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Predict the current quiver (asynchronously)."""
        b = self.current_b()
        if b is None or np.asarray(b).size == 0 or np.asarray(b).shape[1] == 0:
            self._clear("GNN: no mutable vertices")
            return
        self._t_request = time.perf_counter()
        spec = PredictSpec(b=as_matrix(b), checkpoint=self.checkpoint)
        self.submit(run_predict, spec, title="GNN prediction", on_result=self._on_result, on_error=self._on_error,
                    key="gnn-predict", quiet=True)

    def set_checkpoint(self, path: str) -> None:
        self.checkpoint = path
        self.refresh()

    # ---- results ------------------------------------------------------------------------------
    def _clear(self, text: str) -> None:
        self.result = None
        self.bars.setOpts(height=np.zeros(len(FAMILIES)))
        self.verdict.setText(text)

    def _on_error(self, message: str, _tb: str = "") -> None:
        self.error = message
        self._clear(f"GNN unavailable: {message}. The exact classification is unaffected.")
        self.verdict.setStyleSheet(f"color: {DISAGREE}")
        self.unavailable.emit(message)

    def _on_result(self, res: PredictResult) -> None:
        self.error = ""
        self.result = res
        p = np.array([res.probabilities[f] for f in FAMILIES])
        brushes = [pg.mkBrush(AGREE if (res.exact_family == f) else BAR) for f in FAMILIES]
        self.bars.setOpts(height=p, brushes=brushes)
        top = res.predicted
        text = f"GNN: <b>{top}</b> ({res.probabilities[top] * 100:.1f}%)"
        if res.agrees is None:
            text += f" — exact type {res.exact_label or '?'} is outside the GNN's six families"
            colour = "#52606d"
        elif res.agrees:
            text += f" — agrees with the exact type <b>{res.exact_label}</b> ✓"
            colour = AGREE
        else:
            text += f" — <b>disagrees</b> with the exact type <b>{res.exact_label}</b> ✗"
            colour = DISAGREE
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"color: {colour}")
        if self._t_request:
            self.latency_ms = (time.perf_counter() - self._t_request) * 1e3
        self.predicted.emit(res)

    # ---- host services ------------------------------------------------------------------------
    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            r = self.result
            return {"family": list(FAMILIES),
                    "probability": [r.probabilities[f] if r else float("nan") for f in FAMILIES],
                    "predicted": r.predicted if r else "", "exact_type": r.exact_label if r else "",
                    "agrees": "" if r is None or r.agrees is None else str(r.agrees)}
        return [FigureSource("gnn_probabilities", widget=self.plot, data=data, title="GNN family probabilities")]

    def state(self) -> dict[str, Any]:
        return {"checkpoint": self.checkpoint}

    def restore(self, state: dict[str, Any]) -> None:
        cp = state.get("checkpoint", "")
        if not isinstance(cp, str):
            raise ValueError("gnn prediction state: 'checkpoint' must be a string")
        self.checkpoint = cp
