"""Graphics items of the quiver canvas: vertices (circles; frozen ones squares) and arrows
(one item per pair of vertices: a single arrow, a double arrow for multiplicity 2, and an
arrow with a number badge for multiplicity 3 or more).

Items are reused between edits: a mutation only calls :meth:`ArrowItem.set_arrow` on the
arrows whose multiplicity changed, and moving a vertex only re-routes its arrows.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from workbench_quiver.ui import style


def _label_font(size: float = 10.5, bold: bool = False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPointSizeF(size)
    f.setBold(bold)
    return f


class VertexItem(QGraphicsItem):
    """A vertex: white disc with its label, or a grey square when frozen."""

    def __init__(self, index: int, label: str, frozen: bool) -> None:
        super().__init__()
        self.index = index
        self.label = label
        self.frozen = frozen
        self.selected_ = False
        self.evidence = False
        self.setZValue(10)
        self.setAcceptHoverEvents(False)
        self._font = _label_font(10 if len(label) < 3 else 8)

    def boundingRect(self) -> QRectF:
        r = style.VERTEX_RADIUS + 7
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        r = style.VERTEX_RADIUS + 2
        p.addEllipse(QPointF(0, 0), r, r)
        return p

    def set_state(self, label: str | None = None, frozen: bool | None = None, selected: bool | None = None,
                  evidence: bool | None = None) -> None:
        if label is not None and label != self.label:
            self.label = label
            self._font = _label_font(10 if len(label) < 3 else 8)
        if frozen is not None:
            self.frozen = frozen
        if selected is not None:
            self.selected_ = selected
        if evidence is not None:
            self.evidence = evidence
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = style.VERTEX_RADIUS
        if self.evidence:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.EVIDENCE_HALO)
            painter.drawEllipse(QPointF(0, 0), r + 6, r + 6)
        if self.selected_:
            painter.setPen(QPen(style.SELECT, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), r + 4, r + 4)
        edge = style.EVIDENCE if self.evidence else (style.FROZEN_EDGE if self.frozen else style.VERTEX_EDGE)
        painter.setPen(QPen(edge, 1.8))
        if self.frozen:
            h = style.FROZEN_HALF
            painter.setBrush(QBrush(style.FROZEN_FILL))
            painter.drawRect(QRectF(-h, -h, 2 * h, 2 * h))
        else:
            painter.setBrush(QBrush(style.VERTEX_FILL))
            painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(style.INK)
        painter.setFont(self._font)
        painter.drawText(QRectF(-r, -r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, self.label)


class ArrowItem(QGraphicsItem):
    """All arrows between two vertices ``i -> j`` (``mult`` of them)."""

    def __init__(self, i: int, j: int, mult: int, p: QPointF, q: QPointF, frozen_i: bool = False,
                 frozen_j: bool = False) -> None:
        super().__init__()
        self.setZValue(5)
        self.i, self.j, self.mult = i, j, mult
        self.p, self.q = QPointF(p), QPointF(q)
        self.frozen_i, self.frozen_j = frozen_i, frozen_j
        self.selected_ = False
        self.evidence = False
        self._rect = QRectF()
        self._recompute()

    # geometry ------------------------------------------------------------------------
    def set_arrow(self, i: int, j: int, mult: int) -> None:
        """Change direction/multiplicity (a mutation); geometry follows."""
        if (i, j, mult) != (self.i, self.j, self.mult):
            self.i, self.j, self.mult = i, j, mult
            self._recompute()

    def set_ends(self, p: QPointF, q: QPointF) -> None:
        """New centres of the tail and head vertices (in the order of ``i``, ``j``)."""
        self.p, self.q = QPointF(p), QPointF(q)
        self._recompute()

    def set_state(self, selected: bool | None = None, evidence: bool | None = None) -> None:
        if selected is not None:
            self.selected_ = selected
        if evidence is not None:
            self.evidence = evidence
        self.update()

    def _recompute(self) -> None:
        self.prepareGeometryChange()
        x0, y0, x1, y1 = self.p.x(), self.p.y(), self.q.x(), self.q.y()
        pad = 14.0
        self._rect = QRectF(min(x0, x1) - pad, min(y0, y1) - pad, abs(x1 - x0) + 2 * pad, abs(y1 - y0) + 2 * pad)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def _segment(self) -> tuple[QPointF, QPointF, float, float] | None:
        dx, dy = self.q.x() - self.p.x(), self.q.y() - self.p.y()
        d = math.hypot(dx, dy)
        r = style.VERTEX_RADIUS + 3
        if d < 2 * r + 4:
            return None
        ux, uy = dx / d, dy / d
        a = QPointF(self.p.x() + ux * r, self.p.y() + uy * r)
        b = QPointF(self.q.x() - ux * r, self.q.y() - uy * r)
        return a, b, ux, uy

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        seg = self._segment()
        if seg is None:
            return path
        a, b, _, _ = seg
        path.moveTo(a)
        path.lineTo(b)
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(path)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        seg = self._segment()
        if seg is None or self.mult <= 0:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        a, b, ux, uy = seg
        nx, ny = -uy, ux
        color = style.EVIDENCE if self.evidence else (style.SELECT if self.selected_ else style.ARROW_INK)
        width = style.ARROW_WIDTH + (0.9 if (self.evidence or self.selected_) else 0.0)
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        frozen_edge = self.frozen_i and self.frozen_j
        if frozen_edge:
            pen.setStyle(Qt.PenStyle.DashLine)
        offsets = [0.0] if self.mult != 2 else [-style.PARALLEL_GAP, style.PARALLEL_GAP]
        hl, hh = style.ARROW_HEAD_LEN, style.ARROW_HEAD_HALF
        for off in offsets:
            ox, oy = nx * off, ny * off
            tip = QPointF(b.x() + ox, b.y() + oy)
            base = QPointF(tip.x() - ux * hl, tip.y() - uy * hl)
            painter.setPen(pen)
            painter.drawLine(QPointF(a.x() + ox, a.y() + oy), base + QPointF(ux * 1.0, uy * 1.0))
            head = QPolygonF([tip, QPointF(base.x() + nx * hh, base.y() + ny * hh),
                              QPointF(base.x() - nx * hh, base.y() - ny * hh)])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawPolygon(head)
        if self.mult >= 3:
            text = str(self.mult)
            if len(text) > 8:
                text = f"{float(self.mult):.2e}"
            font = _label_font(8.5, bold=True)
            painter.setFont(font)
            fm = painter.fontMetrics()
            w = fm.horizontalAdvance(text) + 8
            h = fm.height() + 2
            mid = QPointF((a.x() + b.x()) / 2 - ux * hl / 2, (a.y() + b.y()) / 2 - uy * hl / 2)
            box = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
            painter.setPen(QPen(style.BADGE_EDGE, 1.2))
            painter.setBrush(style.BADGE_FILL)
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(style.BADGE_EDGE)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
