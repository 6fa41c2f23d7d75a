"""Figures whose exports stand alone: a caption band above the drawing (what the figure shows:
model, data, method, settings, n) painted into PNG, SVG and PDF alike; the panel writes the same
caption into the figure's data file.  Used by the round-2 panels (micrograph, diffusion ID,
concepts, equivariant), most through :func:`captioned_figures`; the quiver and repsim panels
still have their own variants (a white band for the canvas, captions broken between parts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QGraphicsView, QWidget

from workbench.gui.figures import FigureSource

_PAD = 6
_FLAGS = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


def _font() -> QFont:
    font = QFont()
    font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
    return font


@dataclass
class CaptionedFigure(FigureSource):
    """A :class:`FigureSource` with ``caption()``: word-wrapped text drawn above the widget when
    exported; the figure grows by the band's height."""

    caption: Callable[[], str] | None = None

    def caption_text(self) -> str:
        return self.caption() if self.caption is not None else ""

    def _band_height(self, width: int) -> int:
        text = self.caption_text()
        if not text:
            return 0
        fm = QFontMetrics(_font())
        return fm.boundingRect(QRect(0, 0, max(40, width - 2 * _PAD), 10_000), _FLAGS, text).height() + 2 * _PAD

    def logical_size(self) -> QSize:
        base = FigureSource.logical_size(self)
        return QSize(base.width(), base.height() + self._band_height(base.width()))

    def _colours(self) -> tuple[QColor, QColor]:
        bg = QColor("white")
        if isinstance(self.widget, QGraphicsView) and self.widget.backgroundBrush().style() != Qt.BrushStyle.NoBrush:
            bg = QColor(self.widget.backgroundBrush().color())
        elif self.widget is not None:
            bg = QColor(self.widget.palette().color(self.widget.backgroundRole()))
        return bg, QColor(20, 20, 20) if bg.lightnessF() > 0.5 else QColor(235, 235, 235)

    def _paint(self, painter: QPainter, rect: QRectF, transparent: bool = False) -> None:
        total = self.logical_size()
        band_h = total.height() - FigureSource.logical_size(self).height()
        if band_h <= 0:
            FigureSource._paint(self, painter, rect, transparent)
            return
        sx, sy = rect.width() / max(total.width(), 1), rect.height() / max(total.height(), 1)
        band = QRectF(rect.x(), rect.y(), rect.width(), band_h * sy)
        bg, fg = self._colours()
        if not transparent:
            painter.fillRect(band, bg)
        painter.save()
        painter.translate(band.topLeft())
        painter.scale(sx, sy)
        painter.setFont(_font())
        painter.setPen(fg)
        painter.drawText(QRectF(_PAD, _PAD, total.width() - 2 * _PAD, band_h - _PAD), _FLAGS, self.caption_text())
        painter.restore()
        FigureSource._paint(
            self, painter, QRectF(rect.x(), band.bottom(), rect.width(), rect.height() - band.height()), transparent
        )


#: one figure for :func:`captioned_figures`: (file name, widget, title, the view's data) and,
#: optionally, its own caption function (else ``caption(title)``)
FigureSpec = (
    tuple[str, QWidget, str, Callable[[], dict[str, Any]]]
    | tuple[str, QWidget, str, Callable[[], dict[str, Any]], Callable[[], str]]
)


def captioned_figures(
    specs: Iterable[FigureSpec],
    context: Callable[[], dict[str, Any]],
    caption: Callable[[str], str] | None = None,
) -> list[CaptionedFigure]:
    """A panel's exportable figures: each spec's view with a caption band, and a data file that
    holds the view's data, the panel's ``context()`` (model, data, settings, status) and the
    caption itself, so an exported figure stands alone.  ``caption(title)`` writes the caption of
    a spec that brings none of its own."""
    figures = []
    for spec in specs:
        name, widget, title, data = spec[:4]
        cap: Callable[[], str]
        if len(spec) == 5:
            cap = spec[4]
        elif caption is not None:
            cap = (lambda t: lambda: caption(t))(title)
        else:
            cap = (lambda t: lambda: t)(title)

        def all_data(data: Callable[[], dict[str, Any]] = data, cap: Callable[[], str] = cap) -> dict[str, Any]:
            return {**data(), **context(), "caption": cap()}

        figures.append(CaptionedFigure(name, widget=widget, data=all_data, title=title, caption=cap))
    return figures
