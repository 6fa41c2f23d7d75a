"""Exported figures that carry their context: a wrapped title painted above a widget (vector
text in SVG/PDF), in the theme's colours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from workbench.gui.figures import paint_widget
from workbench.gui.theme import plot_theme

STALE_COLOUR = "#d62728"


def titled(
    widget: Any, title: Callable[[], str], stale: Callable[[], bool] = lambda: False
) -> Callable[[QPainter, QRectF], None]:
    """A ``FigureSource.paint`` drawing ``title()`` (wrapped; red when ``stale()``) above
    ``widget`` painted by :func:`workbench.gui.figures.paint_widget`."""

    def paint(painter: QPainter, rect: QRectF) -> None:
        t = plot_theme()
        painter.save()
        painter.fillRect(rect, t.background)
        font = QFont(painter.font())
        font.setPixelSize(max(10, int(min(rect.width(), rect.height()) / 45)))
        font.setBold(True)
        painter.setFont(font)
        pad = font.pixelSize() * 0.6
        flags = int(Qt.TextFlag.TextWordWrap)
        text = title()
        width = rect.width() - 2 * pad
        h = QFontMetricsF(font).boundingRect(QRectF(0, 0, width, 4000), flags, text).height() if text else 0.0
        painter.setPen(QPen(QColor(STALE_COLOUR) if stale() else t.foreground))
        painter.drawText(QRectF(rect.left() + pad, rect.top() + pad, width, h), flags, text)
        painter.restore()
        top = rect.top() + (h + 2 * pad if text else 0)
        paint_widget(widget, painter, QRectF(rect.left(), top, rect.width(), max(10.0, rect.bottom() - top)))

    return paint
