"""Quiver figures whose exports stand alone: a caption band above the drawing (the quiver's
type, n, the B-matrix's size; the explanation method; the explorer's data and layer ...)
painted into PNG, SVG and PDF alike, and the same caption in the figure's data file.

The band takes the figure's own background (white for the canvas, which is always exported
in its light colours; the plot's background for pyqtgraph plots, which follow the theme) and
a text colour that reads on it; the figure grows by the band's height.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QGraphicsView

from workbench.gui.figures import FigureSource

_PAD = 6
_FLAGS = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


def _font() -> QFont:
    font = QFont()
    font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
    return font


@dataclass
class CaptionedFigure(FigureSource):
    """A figure with ``caption()`` drawn above it when exported and written as ``caption``
    (and ``title``) in its data; ``light_band``: the band is white whatever the theme (the
    canvas, drawn for paper)."""

    caption: Callable[[], str] | None = None
    light_band: bool = False

    def caption_text(self) -> str:
        return self.caption() if self.caption is not None else self.title

    def _inner_size(self) -> QSize:
        return FigureSource.logical_size(self)

    def caption_height(self, width: int) -> int:
        """Height of the band in logical pixels at ``width`` (0 without a caption)."""
        text = self.caption_text()
        if not text:
            return 0
        fm = QFontMetrics(_font())
        return fm.boundingRect(QRect(0, 0, max(40, width - 2 * _PAD), 10_000), _FLAGS, text).height() + 2 * _PAD

    def logical_size(self) -> QSize:
        base = self._inner_size()
        return QSize(base.width(), base.height() + self.caption_height(base.width()))

    def _band_colours(self) -> tuple[QColor, QColor]:
        bg = QColor("white")
        if not self.light_band and isinstance(self.widget, QGraphicsView):
            brush = self.widget.backgroundBrush()
            if brush.style() != Qt.BrushStyle.NoBrush:
                bg = QColor(brush.color())
        return bg, QColor(20, 20, 20) if bg.lightnessF() > 0.5 else QColor(235, 235, 235)

    def _paint(self, painter: QPainter, rect: QRectF, transparent: bool = False) -> None:
        total = self.logical_size()
        band_h = total.height() - self._inner_size().height()
        if band_h <= 0:
            FigureSource._paint(self, painter, rect, transparent)
            return
        sx, sy = rect.width() / max(total.width(), 1), rect.height() / max(total.height(), 1)
        band = QRectF(rect.x(), rect.y(), rect.width(), band_h * sy)
        bg, fg = self._band_colours()
        if not transparent:
            painter.fillRect(band, bg)
        painter.save()
        painter.translate(band.topLeft())
        painter.scale(sx, sy)
        painter.setFont(_font())
        painter.setPen(fg)
        painter.drawText(QRectF(_PAD, _PAD, total.width() - 2 * _PAD, band_h - 2 * _PAD), _FLAGS, self.caption_text())
        painter.restore()
        inner = QRectF(rect.x(), band.bottom(), rect.width(), rect.height() - band.height())
        if not transparent and self.light_band:
            painter.fillRect(inner, QColor("white"))
        FigureSource._paint(self, painter, inner, transparent)


def captioned(
    fig: FigureSource,
    caption: Callable[[], str],
    context: Callable[[], dict[str, Any]] | None = None,
    light_band: bool = False,
) -> CaptionedFigure:
    """``fig`` with a caption band and, in its data, ``caption``, ``title`` and ``context()``."""
    inner = fig.data

    def data() -> dict[str, Any]:
        own = inner() if inner is not None else {}
        return {"title": caption(), "caption": caption(), **(context() if context is not None else {}), **own}

    return CaptionedFigure(
        fig.name,
        widget=fig.widget,
        data=data,
        paint=fig.paint,
        render_image=fig.render_image,
        title=caption(),
        caption=caption,
        light_band=light_band,
    )
