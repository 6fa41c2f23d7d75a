"""A figure whose exports carry their context: a caption band above the plot (models, measure,
n, pooling, ...) drawn into PNG, SVG and PDF alike, so an exported file stands alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QGraphicsView

from workbench.gui.figures import FigureSource

#: space around the caption text, in logical pixels
_PAD = 6
_FLAGS = Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop


def _caption_font() -> QFont:
    font = QFont()
    font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
    return font


@dataclass
class CaptionedFigure(FigureSource):
    """A :class:`FigureSource` with ``caption()``: text drawn above the widget when exported
    (word-wrapped to the figure's width; the figure grows by the caption's height)."""

    caption: Callable[[], str] | None = None

    def caption_text(self) -> str:
        return self.caption() if self.caption is not None else ""

    def _widget_size(self) -> QSize:
        return FigureSource.logical_size(self)

    def caption_lines(self, width: int) -> list[str]:
        """The caption broken into lines of at most ``width`` logical pixels, between its
        "; "-separated parts (a model name is never cut in two); a part longer than a line
        is word-wrapped when drawn."""
        text = self.caption_text()
        if not text:
            return []
        fm = QFontMetrics(_caption_font())
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

    def caption_height(self, width: int) -> int:
        """Height in logical pixels of the caption band at ``width`` (0 without a caption)."""
        lines = self.caption_lines(width)
        if not lines:
            return 0
        fm = QFontMetrics(_caption_font())
        room = QRect(0, 0, max(40, width - 2 * _PAD), 10_000)
        return sum(fm.boundingRect(room, int(_FLAGS), line).height() for line in lines) + 2 * _PAD

    def logical_size(self) -> QSize:
        base = self._widget_size()
        return QSize(base.width(), base.height() + self.caption_height(base.width()))

    def _band_colours(self) -> tuple[QColor, QColor]:
        """(background, text) of the caption band: the plot's background and a text colour that
        reads on it."""
        bg = QColor("white")
        if isinstance(self.widget, QGraphicsView):
            brush = self.widget.backgroundBrush()
            if brush.style() != Qt.BrushStyle.NoBrush:
                bg = QColor(brush.color())
        elif self.widget is not None:
            bg = QColor(self.widget.palette().color(self.widget.backgroundRole()))
        return bg, QColor(20, 20, 20) if bg.lightnessF() > 0.5 else QColor(235, 235, 235)

    def _paint(self, painter: QPainter, rect: QRectF, transparent: bool = False) -> None:
        total = self.logical_size()
        caption_h = total.height() - self._widget_size().height()
        if caption_h <= 0:
            FigureSource._paint(self, painter, rect, transparent)
            return
        sx, sy = rect.width() / max(total.width(), 1), rect.height() / max(total.height(), 1)
        band = QRectF(rect.x(), rect.y(), rect.width(), caption_h * sy)
        bg, fg = self._band_colours()
        if not transparent:
            painter.fillRect(band, bg)
        painter.save()
        painter.translate(band.topLeft())
        painter.scale(sx, sy)
        font = _caption_font()
        painter.setFont(font)
        painter.setPen(fg)
        fm = QFontMetrics(font)
        room = QRect(0, 0, max(40, total.width() - 2 * _PAD), 10_000)
        y = float(_PAD)
        for line in self.caption_lines(total.width()):
            h = fm.boundingRect(room, int(_FLAGS), line).height()
            painter.drawText(QRectF(_PAD, y, total.width() - 2 * _PAD, h), int(_FLAGS), line)
            y += h
        painter.restore()
        FigureSource._paint(
            self, painter, QRectF(rect.x(), band.bottom(), rect.width(), rect.height() - band.height()), transparent
        )
