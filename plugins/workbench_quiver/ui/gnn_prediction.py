"""Live GNN prediction: family probabilities as a bar chart, and whether they agree with the
exact type (thin view; the prediction runs as a job on the host panel's QThread)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from workbench.gui.binding import Binder
from workbench.gui.figures import FigureSource
from workbench_quiver.gnn import FAMILIES
from workbench_quiver.gnn.jobs import PredictResult, PredictSpec, run_predict
from workbench_quiver.state import GnnSettings

from . import style

AGREE = "#2f8132"
DISAGREE = "#c92a2a"
BAR = "#7b61ff"
PENDING = (150, 150, 150, 110)
#: verdict colours that read on a light and on a dark background
VERDICT = {"agree": (AGREE, "#69db7c"), "disagree": (DISAGREE, "#ff8787")}
TITLE = f"GNN P(family) \u00b7 <span style='color:{AGREE}'>\u25a0</span> exact family"


def verdict_colour(kind: str, dark: bool) -> str:
    """A stylesheet colour for a verdict ('agree', 'disagree'); '' (the palette's) otherwise."""
    pair = VERDICT.get(kind)
    return "" if pair is None else pair[1 if dark else 0]


class GnnPredictionWidget(QWidget):
    """Bar chart of P(family) for the quiver returned by ``current_b()``.

    current_b: callable returning the current exchange matrix ((n+m) x n array) or None;
    submit: the host panel's ``Panel.submit``;
    settings: the host's :class:`~workbench_quiver.state.GnnSettings` (its ``checkpoint``: ''
    = the shipped default; ``gnn_model``: DirGINE or the S_n-invariant network);
    binder: if given, a "Model" combo box bound to ``gnn_model`` is shown above the bars (the
    prediction is made again, off the GUI thread, when it changes).
    Call :meth:`refresh` after every edit (the job has key "gnn-predict": a newer edit cancels
    an older pending prediction; a quiver whose prediction is shown is not predicted again).
    ``latency_ms`` holds the last edit-to-draw time.
    """

    #: emitted with each PredictResult once drawn
    predicted = Signal(object)
    #: emitted with a message when the classifier is unavailable (missing/corrupt checkpoint)
    unavailable = Signal(str)

    def __init__(
        self,
        current_b: Callable[[], Any],
        submit: Callable[..., Any],
        settings: GnnSettings,
        parent: QWidget | None = None,
        binder: Binder | None = None,
    ) -> None:
        super().__init__(parent)
        self.current_b = current_b
        self.submit = submit
        self.settings = settings
        self.result: PredictResult | None = None
        #: the spec of the shown result (a session keeps both)
        self.result_spec: PredictSpec | None = None
        self._requested: PredictSpec | None = None
        self.error = ""
        self.latency_ms = float("nan")
        #: the bars are the previous quiver's, drawn grey until this quiver's prediction comes
        self._pending = False
        self._verdict_kind = ""
        self._t_request = 0.0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.model_box: QComboBox | None = None
        if binder is not None:
            self.model_box = binder.bind(settings, "gnn_model", QComboBox())
            self.model_box.setObjectName("quiver-gnn-model")
            form = QFormLayout()
            form.addRow(settings.field("gnn_model").label, self.model_box)
            lay.addLayout(form)
            settings.add_callback("gnn_model", lambda _new, _old: self._model_changed())
            settings.add_callback("invariant_checkpoint", lambda _new, _old: self._model_changed())
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(220, 150)
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.setLimits(yMin=0, yMax=1.05)
        self.plot.getAxis("bottom").setTicks([[(i, f) for i, f in enumerate(FAMILIES)]])
        self.plot.setLabel("left", "probability")
        self.plot.setTitle(TITLE, size="9pt")
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
            self._requested = None
            self._clear("GNN: no mutable vertices")
            return
        spec = self._requested = self.settings.predict_spec(b)
        if self.is_current(spec):
            if self._pending:  # back to the quiver shown (an undo): its colours again
                self.show_result(self.result, spec)  # type: ignore[arg-type]
            return  # shown already (e.g. restored from a session); a pending older job is ignored
        self._t_request = time.perf_counter()
        self.mark_pending()
        # the live lane (with the identification): a prediction never waits behind a long job
        self.submit(
            run_predict,
            spec,
            title="GNN prediction",
            on_result=lambda res: self._on_result(res, spec),
            on_error=self._on_error,
            key="gnn-predict",
            quiet=True,
            lane="live",
        )

    def _model_changed(self) -> None:
        """Another classifier: predict the shown quiver with it (once a quiver was requested)."""
        if self._requested is not None or self.result is not None:
            self.refresh()

    def mark_pending(self) -> None:
        """The quiver changed and its prediction is on its way: the bars of the previous
        quiver are drawn grey and the verdict says so (never shown as this quiver's)."""
        if self.result is None:
            return
        self._pending = True
        self.bars.setOpts(brushes=[pg.mkBrush(PENDING)] * len(FAMILIES))
        self.verdict.setText("GNN: predicting the edited quiver\u2026 (grey: the previous quiver's probabilities)")
        self._set_verdict_colour("")

    def is_current(self, spec: PredictSpec) -> bool:
        """Whether the shown prediction is the one of ``spec``."""
        return self.result is not None and self.result_spec == spec

    @property
    def checkpoint(self) -> str:
        return self.settings.checkpoint

    # ---- results ------------------------------------------------------------------------------
    def _clear(self, text: str) -> None:
        self.result = self.result_spec = None
        self.bars.setOpts(height=np.zeros(len(FAMILIES)))
        self.verdict.setText(text)

    def _on_error(self, message: str, _tb: str = "") -> None:
        self.error = message
        self._clear(f"GNN unavailable: {message}. The exact classification is unaffected.")
        self._set_verdict_colour("disagree")
        self.unavailable.emit(message)

    def _on_result(self, res: PredictResult, spec: PredictSpec) -> None:
        if spec != self._requested:
            return  # the quiver changed meanwhile (back to one whose prediction is shown)
        self.show_result(res, spec)
        if self._t_request:
            self.latency_ms = (time.perf_counter() - self._t_request) * 1e3
        self.predicted.emit(res)

    def show_result(self, res: PredictResult, spec: PredictSpec) -> None:
        """Draw ``res``, the prediction of ``spec`` (also a result restored from a session)."""
        self.error = ""
        self._pending = False
        self.result, self.result_spec = res, spec
        p = np.array([res.probabilities[f] for f in FAMILIES])
        brushes = [pg.mkBrush(AGREE if (res.exact_family == f) else BAR) for f in FAMILIES]
        self.bars.setOpts(height=p, brushes=brushes)
        top = res.predicted
        who = "S_n-invariant net" if getattr(spec, "model", "dirgine") == "invariant" else "GNN"
        text = f"{who}: <b>{top}</b> ({res.probabilities[top] * 100:.1f}%)"
        if res.agrees is None:
            text += f" — exact type {res.exact_label or '?'} is outside the GNN's six families"
            kind = ""
        elif res.agrees:
            text += f" — agrees with the exact type <b>{res.exact_label}</b> ✓"
            kind = "agree"
        else:
            text += f" — <b>disagrees</b> with the exact type <b>{res.exact_label}</b> ✗"
            kind = "disagree"
        self.verdict.setText(text)
        self._set_verdict_colour(kind)

    def _set_verdict_colour(self, kind: str) -> None:
        self._verdict_kind = kind
        colour = verdict_colour(kind, style.is_dark(self.palette()))
        self.verdict.setStyleSheet(f"color: {colour}" if colour else "")

    def restyle(self) -> None:
        """Colours of the palette now (a theme switch)."""
        self._set_verdict_colour(self._verdict_kind)

    # ---- host services ------------------------------------------------------------------------
    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            r = self.result
            return {
                "family": list(FAMILIES),
                "probability": [r.probabilities[f] if r else float("nan") for f in FAMILIES],
                "predicted": r.predicted if r else "",
                "exact_type": r.exact_label if r else "",
                "agrees": "" if r is None or r.agrees is None else str(r.agrees),
            }

        return [FigureSource("gnn_probabilities", widget=self.plot, data=data, title="GNN family probabilities")]
