"""A minimal host of the three GNN widgets (tests, screenshots, and the wiring example for the
quiver panel): a current B matrix, the live prediction, the explanation controls with an
overlay preview, and the hidden-representation explorer whose clicks open quivers here.

The quiver panel embeds the widgets the same way (see ``docs/quiver_gnn.md``), with its
:class:`~workbench_quiver.state.QuiverState` (a :class:`~workbench_quiver.state.GnnSettings`)::

    self.gnn_pred = GnnPredictionWidget(self.doc.b_matrix, self.submit, self.state_model)
    self.gnn_explain = GnnExplainWidget(self.doc.b_matrix, self.submit, self.state_model, self.binder)
    self.gnn_explorer = GnnExplorerWidget(self.submit, self.state_model, self.binder)
    # after every document change:  self.gnn_pred.refresh(); self.gnn_explain.quiver_changed()
    self.gnn_explain.overlay_changed.connect(self.canvas.set_gnn_overlay)
    self.gnn_explorer.open_quiver.connect(lambda b: self.load_matrix(b))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QTabWidget, QVBoxLayout, QWidget

from workbench.gui.figures import FigureSource
from workbench.gui.panel import Panel
from workbench_quiver.state import GnnSettings

from .gnn_explain import GnnExplainWidget
from .gnn_explorer import GnnExplorerWidget
from .gnn_overlay_view import GnnOverlayView
from .gnn_prediction import GnnPredictionWidget


class GnnDemoPanel(Panel):
    """Hosts the GNN widgets around a B matrix set with :meth:`set_b`."""

    def __init__(self, shell: Any, b: Any = None, checkpoint: str = "") -> None:
        super().__init__(shell, "quiver-gnn-demo")
        self.b = np.zeros((0, 0), dtype=np.int64) if b is None else np.asarray(b)
        self.state_model = GnnSettings(checkpoint=checkpoint)
        self.view = GnnOverlayView()
        self.prediction = GnnPredictionWidget(lambda: self.b, self.submit, self.state_model, binder=self.binder)
        self.explain = GnnExplainWidget(lambda: self.b, self.submit, self.state_model, self.binder)
        self.explorer = GnnExplorerWidget(self.submit, self.state_model, self.binder, current_b=lambda: self.b)
        self.explain.overlay_changed.connect(self.view.set_overlay)
        self.explorer.open_quiver.connect(self.set_b)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.view, 3)
        ll.addWidget(self.prediction, 2)
        tabs = QTabWidget()
        tabs.addTab(self.explain, "Explain")
        tabs.addTab(self.explorer, "Hidden representation")
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(tabs)
        lay = QHBoxLayout(self)
        lay.addWidget(split)

    def set_b(self, b: Any) -> None:
        self.b = np.asarray(b)
        self.view.set_quiver(self.b)
        self.explain.quiver_changed()
        self.prediction.refresh()
        self.explorer.project_current()

    def start(self) -> None:
        self.view.set_quiver(self.b)
        if self.b.size:
            self.prediction.refresh()

    def figures(self) -> list[FigureSource]:
        return (
            self.prediction.figures()
            + self.explain.figures()
            + self.explorer.figures()
            + [
                FigureSource(
                    "gnn_overlay",
                    widget=self.view,
                    paint=self.view.paint_into,
                    data=lambda: self.explain.figures()[0].data(),
                )
            ]
        )
