"""Figures whose exports stand alone: a caption band above the drawing (what the figure shows:
model, data, method, settings, n) painted into PNG, SVG and PDF alike; the panel writes the same
caption into the figure's data file.  Used by every panel: the round-2 panels through
:func:`captioned_figures`, the quiver panel with a white band for its canvas (``light_band``),
the repsim panel with captions broken between their parts (``break_at_parts``)."""

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
    exported; the figure grows by the band's height.

    The band takes the figure's own background (a graphics view's background brush, else the
    widget's palette) and a text colour that reads on it; ``light_band``: band and drawing on
    white whatever the theme (the quiver canvas, always exported in its light colours).
    ``break_at_parts``: the caption is broken into lines between its "; "-separated parts, so a
    model name is never cut in two (a part longer than a line is still word-wrapped)."""

    caption: Callable[[], str] | None = None
    light_band: bool = False
    break_at_parts: bool = False

    def caption_text(self) -> str:
        return self.caption() if self.caption is not None else ""

    def caption_lines(self, width: int) -> list[str]:
        """The caption's lines at ``width`` logical pixels (one line unless ``break_at_parts``;
        each is word-wrapped when drawn)."""
        text = self.caption_text()
        if not text:
            return []
        if not self.break_at_parts:
            return [text]
        fm = QFontMetrics(_font())
        room = max(40, width - 2 * _PAD)
        lines: list[str] = []
        for part in text.split("; "):
            if lines and fm.horizontalAdvance(lines[-1] + "; " + part) <= room:
                lines[-1] += "; " + part
            else:
                if lines:
                    lines[-1] += ";"
                lines.append(part)
        return lines

    def _line_heights(self, width: int) -> list[int]:
        fm = QFontMetrics(_font())
        room = QRect(0, 0, max(40, width - 2 * _PAD), 10_000)
        return [fm.boundingRect(room, _FLAGS, line).height() for line in self.caption_lines(width)]

    def caption_height(self, width: int) -> int:
        """Height in logical pixels of the caption band at ``width`` (0 without a caption)."""
        heights = self._line_heights(width)
        return sum(heights) + 2 * _PAD if heights else 0

    def _inner_size(self) -> QSize:
        return FigureSource.logical_size(self)

    def logical_size(self) -> QSize:
        base = self._inner_size()
        return QSize(base.width(), base.height() + self.caption_height(base.width()))

    def _colours(self) -> tuple[QColor, QColor]:
        bg = QColor("white")
        if self.light_band:
            pass
        elif isinstance(self.widget, QGraphicsView):
            if self.widget.backgroundBrush().style() != Qt.BrushStyle.NoBrush:
                bg = QColor(self.widget.backgroundBrush().color())
        elif self.widget is not None:
            bg = QColor(self.widget.palette().color(self.widget.backgroundRole()))
        return bg, QColor(20, 20, 20) if bg.lightnessF() > 0.5 else QColor(235, 235, 235)

    def _paint(self, painter: QPainter, rect: QRectF, transparent: bool = False) -> None:
        total = self.logical_size()
        band_h = total.height() - self._inner_size().height()
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
        y = float(_PAD)
        for line, h in zip(self.caption_lines(total.width()), self._line_heights(total.width()), strict=True):
            painter.drawText(QRectF(_PAD, y, total.width() - 2 * _PAD, h), _FLAGS, line)
            y += h
        painter.restore()
        inner = QRectF(rect.x(), band.bottom(), rect.width(), rect.height() - band.height())
        if not transparent and self.light_band:
            painter.fillRect(inner, QColor("white"))
        FigureSource._paint(self, painter, inner, transparent)


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
