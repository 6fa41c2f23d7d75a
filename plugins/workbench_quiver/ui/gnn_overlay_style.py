"""How an explanation overlay is drawn on the quiver canvas, in one place (canvas, legend and
exported figures agree).

Arrow ``i -> j`` with importance ``w`` in [0, 1]: pen width :func:`arrow_width` (1.5 px at
w = 0 to 7.5 px at w = 1) and colour :func:`importance_colour` (light grey at 0, violet at
0.5, deep purple at 1: a sequential map that stays distinct from the red of the exact-type
evidence).  Vertex ``v``: a halo behind the vertex disc, radius :func:`halo_radius` and
fill :func:`halo_colour`.  Arrows removed by the top-k masking experiment: dashed.
:class:`GnnLegend` draws the colour bar with the method's name.  In a dark theme (the
drawing colours of :mod:`.style`) the map runs from dark grey to light violet instead, so
the important arrows stand out against the dark canvas there too.
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import style

STOPS = ((0.0, QColor("#cbd2d9")), (0.5, QColor("#9b59b6")), (1.0, QColor("#4a0072")))
DARK_STOPS = ((0.0, QColor("#52606d")), (0.5, QColor("#a66fd6")), (1.0, QColor("#f0c8ff")))


def stops() -> tuple[tuple[float, QColor], ...]:
    """The colour map of the drawing colours in use (light: STOPS, dark: DARK_STOPS)."""
    return DARK_STOPS if style.current is style.DARK else STOPS


def importance_colour(w: float, alpha: int = 255) -> QColor:
    """Colour of importance ``w`` (clipped to [0, 1]) by linear interpolation between the stops."""
    w = min(max(float(w), 0.0), 1.0)
    map_ = stops()
    for (a, ca), (b, cb) in pairwise(map_):
        if w <= b:
            t = (w - a) / (b - a)
            return QColor(
                round(ca.red() + t * (cb.red() - ca.red())),
                round(ca.green() + t * (cb.green() - ca.green())),
                round(ca.blue() + t * (cb.blue() - ca.blue())),
                alpha,
            )
    return QColor(map_[-1][1].red(), map_[-1][1].green(), map_[-1][1].blue(), alpha)


def arrow_width(w: float) -> float:
    """Pen width in pixels (scene units at zoom 1) of an arrow of importance ``w``."""
    return 1.5 + 6.0 * min(max(float(w), 0.0), 1.0)


def arrow_pen(w: float, masked: bool = False) -> QPen:
    pen = QPen(importance_colour(w), arrow_width(w))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    if masked:
        # short dashes (in pen widths): a thick arrow's long standard dashes read as a broken arrow
        pen.setDashPattern([1.6, 1.0])
    return pen


def halo_radius(w: float, vertex_radius: float = 15.0) -> float:
    """Radius of the halo of a vertex of importance ``w`` (vertex radius times 1.1 .. 1.9)."""
    return vertex_radius * (1.1 + 0.8 * min(max(float(w), 0.0), 1.0))


def halo_colour(w: float) -> QColor:
    """Translucent halo fill: alpha 30 at w = 0 to 190 at w = 1."""
    w = min(max(float(w), 0.0), 1.0)
    return importance_colour(w, alpha=int(30 + 160 * w))


class GnnLegend(QWidget):
    """A horizontal colour bar 'low .. high importance' titled with the explanation method."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method = ""
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_method(self, method: str) -> None:
        self.method = method
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        f = QFont(self.font())
        f.setPointSizeF(max(f.pointSizeF() - 1, 7))
        p.setFont(f)
        w = self.width()
        bar = QRectF(60, 6, max(w - 120, 40), 10)
        g = QLinearGradient(bar.left(), 0, bar.right(), 0)
        for t, c in stops():
            g.setColorAt(t, c)
        p.fillRect(bar, g)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(QRectF(0, 0, 56, 22), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "low")
        p.drawText(
            QRectF(bar.right() + 4, 0, 56, 22), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "high"
        )
        title = f"importance ({self.method}): arrow width and colour, vertex halo" if self.method else "importance"
        title = p.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, max(w - 8, 20))
        p.drawText(QRectF(0, 18, w, 16), Qt.AlignmentFlag.AlignCenter, title)
        p.end()
