"""Partition diagrams drawn with QPainter: two rows of dots (top: the k input points, bottom:
the l output points), each block of the set partition a chain of curves in its own colour
(arcs within a row, a line from the block's first top point to its first bottom point when it
propagates), as in Godfrey et al. 2023 (arXiv 2303.06208), Fig. 1.

:class:`DiagramGrid` lays out groups of diagrams (a title, then the diagrams in cells with a
caption each) for the width it gets, highlights a selected one, and emits ``clicked(key)``
when a cell is clicked (or Left / Right moves the selection).  It paints with vector commands
only, so its SVG and PDF exports are vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.partitions import Diagram

#: block colours, readable on light and dark backgrounds
BLOCK_COLOURS = ("#4c8bd6", "#e0813a", "#4fae5c", "#d45757", "#9a7fd1", "#b5895a", "#d67fb8", "#3fb1b5")
_PAD = 6
_HEADER_H = 24
_WRAP = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_SPACING = 22  # between the points of a row (px)
_ROW_GAP = 34  # between the two rows (px)
_DOT = 3.6  # dot radius (px)


def block_colour(i: int) -> QColor:
    return QColor(BLOCK_COLOURS[i % len(BLOCK_COLOURS)])


def point_positions(d: Diagram, rect: QRectF) -> list[QPointF]:
    """Where each of the k + l points of ``d`` is drawn inside ``rect``: the top row at the top,
    the bottom row ``_ROW_GAP`` below, each row centred, ``_SPACING`` apart (less when the
    rect is narrow)."""
    m = max(d.k, d.l, 1)
    spacing = min(_SPACING, (rect.width() - 2 * _DOT - 4) / max(m - 1, 1)) if m > 1 else 0.0
    y_top = rect.top() + _DOT + 4
    y_bottom = y_top + _ROW_GAP
    cx = rect.center().x()
    out = []
    for count, y in ((d.k, y_top), (d.l, y_bottom)):
        x0 = cx - spacing * (count - 1) / 2
        for i in range(count):
            out.append(QPointF(x0 + i * spacing, y))
    return out


def paint_diagram(painter: QPainter, d: Diagram, rect: QRectF, fg: QColor, faded: bool = False) -> None:
    """Draw ``d`` into ``rect`` (at least ``_ROW_GAP + 2 * _DOT + 8`` px high): dots, and each
    block with more than one point as curves in its colour; ``faded`` draws it pale (a
    diagram that is linearly dependent at the current n)."""
    pts = point_positions(d, rect)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if faded:
        painter.setOpacity(0.35)
    # faint row guides, so an empty row (k = 0 or l = 0) still reads as a row
    guide = QColor(fg)
    guide.setAlphaF(0.18)
    painter.setPen(QPen(guide, 1, Qt.PenStyle.DotLine))
    y_top, y_bottom = rect.top() + _DOT + 4, rect.top() + _DOT + 4 + _ROW_GAP
    for y in (y_top, y_bottom):
        painter.drawLine(QPointF(rect.left() + 2, y), QPointF(rect.right() - 2, y))
    depth_max = _ROW_GAP * 0.42
    for bi, block in enumerate(d.blocks):
        if len(block) < 2:
            continue
        colour = block_colour(bi)
        painter.setPen(QPen(colour, 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        top = [p for p in block if p < d.k]
        bottom = [p for p in block if p >= d.k]
        path = QPainterPath()
        for row, sign in ((top, 1.0), (bottom, -1.0)):
            for a, b in zip(row, row[1:], strict=False):
                pa, pb = pts[a], pts[b]
                depth = sign * min(depth_max, 5 + 0.3 * abs(pb.x() - pa.x()))
                path.moveTo(pa)
                path.cubicTo(QPointF(pa.x(), pa.y() + depth), QPointF(pb.x(), pb.y() + depth), pb)
        if top and bottom:
            path.moveTo(pts[top[0]])
            path.lineTo(pts[bottom[0]])
        painter.drawPath(path)
    painter.setPen(QPen(fg, 1.0))
    for bi, block in enumerate(d.blocks):
        painter.setBrush(block_colour(bi) if len(block) > 1 else fg)
        for p in block:
            painter.drawEllipse(pts[p], _DOT, _DOT)
    painter.restore()


@dataclass
class GridItem:
    """One cell: a diagram, its caption (may hold a line break), whether it is drawn pale, and
    the key ``clicked`` emits for it (-1: not clickable)."""

    diagram: Diagram
    caption: str = ""
    faded: bool = False
    key: int = -1


@dataclass
class GridGroup:
    title: str
    items: list[GridItem] = field(default_factory=list)


def _font(scale: float = 0.85, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(max(7.0, f.pointSizeF() * scale))
    f.setBold(bold)
    return f


class DiagramGrid(QWidget):
    """Groups of diagrams in a grid that fits the widget's width (see the module docstring).
    Put it in a ``QScrollArea`` with ``widgetResizable``: it asks for the height it needs."""

    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.groups: list[GridGroup] = []
        self.selected = -1
        self.empty_text = ""
        self._cells: list[tuple[QRect, GridItem]] = []
        self._headers: list[tuple[QRect, str]] = []
        self._laid_out_width = -1
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(120)

    # ---- content --------------------------------------------------------------------------
    def set_groups(self, groups: list[GridGroup], selected: int = -1, empty_text: str = "") -> None:
        self.groups = list(groups)
        self.selected = selected
        self.empty_text = empty_text
        self._relayout()

    def set_selected(self, key: int) -> None:
        if key != self.selected:
            self.selected = key
            self.update()

    def items(self) -> list[GridItem]:
        return [it for g in self.groups for it in g.items]

    def item_rect(self, key: int) -> QRect:
        """The cell of the item with ``key`` (an empty rect if there is none)."""
        for rect, it in self._cells:
            if it.key == key:
                return QRect(rect)
        return QRect()

    def data(self) -> dict[str, Any]:
        """The diagrams shown, for the export: group, label (1-based, primes on the bottom row),
        blocks (0-based points), number of blocks, caption, faded."""
        rows: dict[str, list[Any]] = {"group": [], "label": [], "blocks": [], "num_blocks": [], "caption": []}
        rows["faded"] = []
        for g in self.groups:
            for it in g.items:
                rows["group"].append(g.title)
                rows["label"].append(it.diagram.label())
                rows["blocks"].append(str([list(b) for b in it.diagram.blocks]))
                rows["num_blocks"].append(it.diagram.num_blocks)
                rows["caption"].append(it.caption.replace("\n", "; "))
                rows["faded"].append(bool(it.faded))
        return rows

    # ---- layout ---------------------------------------------------------------------------
    def _cell_size(self) -> QSize:
        m = max((max(it.diagram.k, it.diagram.l) for it in self.items()), default=1)
        lines = max((it.caption.count("\n") + 1 for it in self.items() if it.caption), default=0)
        fm = QFontMetrics(_font())
        widest = max((fm.horizontalAdvance(line) for it in self.items() for line in it.caption.split("\n")), default=0)
        w = max(64, _SPACING * (m - 1) + 2 * _DOT + 20, min(widest + 8, 170))
        h = int(_ROW_GAP + 2 * _DOT + 14 + lines * fm.height() + 6)
        return QSize(int(w), h)

    def _layout(self, width: int) -> int:
        """Place headers and cells for ``width``; returns the height needed."""
        self._cells, self._headers = [], []
        cell = self._cell_size()
        cols = max(1, (width - _PAD) // (cell.width() + _PAD))
        y = _PAD
        fm = QFontMetrics(_font(0.95, bold=True))
        text_w = max(width - 2 * _PAD, 10)
        for g in self.groups:
            if g.title:
                h = max(_HEADER_H, fm.boundingRect(QRect(0, 0, text_w, 10_000), _WRAP, g.title).height() + 8)
                self._headers.append((QRect(_PAD, y, text_w, h), g.title))
                y += h
            for i, it in enumerate(g.items):
                r, c = divmod(i, cols)
                x = _PAD + c * (cell.width() + _PAD)
                self._cells.append((QRect(x, y + r * (cell.height() + _PAD), cell.width(), cell.height()), it))
            rows = (len(g.items) + cols - 1) // cols
            y += rows * (cell.height() + _PAD) + _PAD
        self._laid_out_width = width
        return max(y, 40)

    def _relayout(self) -> None:
        h = self._layout(max(self.width(), 120))
        self.setMinimumHeight(h)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, max(self.minimumHeight(), 200))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.width() != self._laid_out_width:
            self._relayout()

    # ---- painting -------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self.paint_into(painter, event.rect())
        finally:
            painter.end()

    def paint_into(self, painter: QPainter, clip: QRect | None = None) -> None:
        """Paint the grid (only the cells meeting ``clip`` when given: the visible part)."""
        pal = self.palette()
        fg = QColor(pal.color(QPalette.ColorRole.Text))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        if not self.groups and self.empty_text:
            painter.setPen(fg)
            painter.setFont(_font(1.0))
            painter.drawText(
                QRect(_PAD, _PAD, self.width() - 2 * _PAD, 200), int(Qt.TextFlag.TextWordWrap), self.empty_text
            )
            return
        painter.setFont(_font(0.95, bold=True))
        painter.setPen(fg)
        for rect, title in self._headers:
            painter.drawText(rect, _WRAP, title)
        fm = QFontMetrics(_font())
        highlight = QColor(pal.color(QPalette.ColorRole.Highlight))
        frame = QColor(fg)
        frame.setAlphaF(0.15)
        for rect, it in self._cells:
            if clip is not None and not rect.intersects(clip):
                continue
            r = QRectF(rect)
            if it.key >= 0 and it.key == self.selected:
                fill = QColor(highlight)
                fill.setAlphaF(0.18)
                painter.setBrush(fill)
                painter.setPen(QPen(highlight, 2.0))
            else:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(frame, 1.0))
            painter.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
            paint_diagram(painter, it.diagram, r.adjusted(4, 2, -4, 0), fg, it.faded)
            if it.caption:
                painter.setFont(_font())
                text = QColor(fg)
                if it.faded:
                    text.setAlphaF(0.55)
                painter.setPen(text)
                top = int(r.top() + _ROW_GAP + 2 * _DOT + 10)
                for j, line in enumerate(it.caption.split("\n")):
                    shown = fm.elidedText(line, Qt.TextElideMode.ElideRight, rect.width() - 6)
                    painter.drawText(
                        QRect(rect.left() + 3, top + j * fm.height(), rect.width() - 6, fm.height()),
                        int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                        shown,
                    )

    # ---- input ----------------------------------------------------------------------------
    def key_at(self, pos: QPointF) -> int:
        for rect, it in self._cells:
            if rect.contains(pos.toPoint()):
                return it.key
        return -1

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            key = self.key_at(event.position())
            if key >= 0:
                self.clicked.emit(key)
                event.accept()
                return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = [it.key for it in self.items() if it.key >= 0]
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()))
        if step is not None and keys:
            i = keys.index(self.selected) if self.selected in keys else -step
            self.clicked.emit(keys[max(0, min(len(keys) - 1, i + step))])
            event.accept()
            return
        super().keyPressEvent(event)
