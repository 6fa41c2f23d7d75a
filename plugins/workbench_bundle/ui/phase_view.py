"""The Haldane phase diagram tab: C of the lower band over (phi, m / t1) as an image, the gap
closing lines m = +-3 sqrt(3) t2 sin(phi) (from :func:`workbench_bundle.core.models.
haldane_phase_boundary`) and a marker at the current (phi, m / t1); a click reports (phi, m / t1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.gui.theme import theme_plot

from ..core.models import haldane_phase_boundary
from . import look
from .colors import ColourKey

#: colours of C = -1, 0, +1
LUT = np.array([[60, 60, 200], [235, 235, 235], [200, 60, 60]], dtype=np.ubyte)
#: the key of the diagram's colours
KEY = ColourKey(
    "C of the lower band (FHS on a 20 x 20 grid per point); lines: gap closings "
    "m = +-3 sqrt(3) t2 sin(phi); yellow: the current (phi, m)",
    swatches=[
        (tuple(LUT[0] / 255) + (1.0,), "C = -1"),
        (tuple(LUT[1] / 255) + (1.0,), "C = 0"),
        (tuple(LUT[2] / 255) + (1.0,), "C = +1 (|C| > 1 drawn as +-1)"),
    ],
)


class PhaseDiagramView(QWidget):
    """Draws a :class:`workbench_bundle.jobs.PhaseDiagramResult`; ``clicked(phi, m / t1)``."""

    clicked = Signal(float, float)
    recompute_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: Any = None
        lay = QVBoxLayout(self)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "phi (rad)")
        self.plot.setLabel("left", "m / t1")
        self.plot.setMinimumSize(200, 150)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.bound_plus = self.plot.plot()
        self.bound_minus = self.plot.plot()
        self.marker = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(255, 255, 0))
        self.plot.addItem(self.marker)
        self.plot.scene().sigMouseClicked.connect(self.scene_clicked)
        lay.addWidget(self.plot, 1)
        self.key = look.ColourKeyWidget()
        self.key.set_key(KEY)
        lay.addWidget(self.key)
        self.caption = QLabel("Click the diagram to set phi and m.")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.button = QPushButton("Recompute phase diagram")
        self.button.clicked.connect(self.recompute_requested)
        lay.addWidget(self.button)
        self.marker_text = ""
        self.apply_theme()

    def apply_theme(self) -> None:
        """Colours of the current theme: the plot (the shell's theme_plot), boundary lines and
        the marker's edge in the text colour."""
        fg = look.theme().foreground
        for line in (self.bound_plus, self.bound_minus):
            line.setPen(pg.mkPen(fg, width=2))
        self.marker.setPen(pg.mkPen(fg))
        theme_plot(self.plot)
        self.plot.setTitle(self.title(), color=fg.name(), size="10pt")

    def title(self) -> str:
        """The diagram's context: t2 / t1 and the marked point."""
        if self.result is None:
            return "Haldane phase diagram (not computed)"
        return f"Haldane phase diagram at t2 / t1 = {self.result.t2:.3g}" + (
            f"; marker {self.marker_text}" if self.marker_text else ""
        )

    def show_result(self, res: Any) -> None:
        """Draw ``res`` (or clear the plot for None)."""
        self.result = res
        self.plot.setTitle(self.title(), color=look.theme().foreground.name(), size="10pt")
        if res is None:
            self.image.clear()
            self.bound_plus.setData([], [])
            self.bound_minus.setData([], [])
            self.marker.setData([], [])
            self.marker_text = ""
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
            self.marker_text = f"phi = {phi:.3f}, m / t1 = {m_over_t1:.3f}"
            self.plot.setTitle(self.title(), color=look.theme().foreground.name(), size="10pt")

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
