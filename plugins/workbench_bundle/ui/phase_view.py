"""The Haldane phase diagram tab: C of the lower band over (phi, m / t1) as an image, the gap
closing lines m = +-3 sqrt(3) t2 sin(phi) (from :func:`workbench_bundle.core.models.
haldane_phase_boundary`) and a marker at the current (phi, m / t1); a click reports (phi, m / t1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ..core.models import haldane_phase_boundary

#: colours of C = -1, 0, +1
LUT = np.array([[60, 60, 200], [235, 235, 235], [200, 60, 60]], dtype=np.ubyte)


class PhaseDiagramView(QWidget):
    """Draws a :class:`workbench_bundle.jobs.PhaseDiagramResult`; ``clicked(phi, m / t1)``."""

    clicked = Signal(float, float)
    recompute_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: Any = None
        lay = QVBoxLayout(self)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "phi (rad)")
        self.plot.setLabel("left", "m / t1")
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.bound_plus = self.plot.plot(pen=pg.mkPen("k", width=2))
        self.bound_minus = self.plot.plot(pen=pg.mkPen("k", width=2))
        self.marker = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(255, 255, 0), pen=pg.mkPen("k"))
        self.plot.addItem(self.marker)
        self.plot.scene().sigMouseClicked.connect(self.scene_clicked)
        lay.addWidget(self.plot)
        caption = QLabel("C of the lower band over (phi, m) at the current t1, t2 (red +1, blue -1); "
                         "lines: m = +-3 sqrt(3) t2 sin(phi).  Click to set phi and m.")
        caption.setWordWrap(True)
        lay.addWidget(caption)
        self.button = QPushButton("Recompute phase diagram")
        self.button.clicked.connect(self.recompute_requested)
        lay.addWidget(self.button)

    def show_result(self, res: Any) -> None:
        """Draw ``res`` (or clear the plot for None)."""
        self.result = res
        if res is None:
            self.image.clear()
            self.bound_plus.setData([], [])
            self.bound_minus.setData([], [])
            self.marker.setData([], [])
            return
        self.image.setImage(np.clip(res.chern, -1, 1) + 1, levels=(0, 2), lut=LUT)
        dphi = res.phi[1] - res.phi[0]
        dm = res.m[1] - res.m[0]
        self.image.setRect(QRectF(res.phi[0] - dphi / 2, res.m[0] - dm / 2, dphi * len(res.phi), dm * len(res.m)))
        phi = np.linspace(-np.pi, np.pi, 400)
        b = haldane_phase_boundary(phi, res.t2)
        self.bound_plus.setData(phi, b)
        self.bound_minus.setData(phi, -b)

    def set_marker(self, phi: float, m_over_t1: float) -> None:
        if self.result is not None:
            self.marker.setData([phi], [m_over_t1])

    def view_point(self, phi: float, m_over_t1: float) -> QPointF:
        """The scene position of a point of the diagram (for clicks in tests)."""
        return self.plot.getPlotItem().vb.mapViewToScene(QPointF(phi, m_over_t1))

    def scene_clicked(self, ev: Any) -> None:
        """Emit ``clicked`` for a click inside the computed diagram."""
        if self.result is None:
            return
        pos = self.plot.getPlotItem().vb.mapSceneToView(ev.scenePos())
        phi, m = float(pos.x()), float(pos.y())
        if -np.pi <= phi <= np.pi and self.result.m[0] <= m <= self.result.m[-1]:
            self.clicked.emit(phi, m)
