"""Graphics items of the quiver canvas: vertices (circles; frozen ones squares) and arrows
(one item per pair of vertices: a single arrow, a double arrow for multiplicity 2, and an
arrow with a number badge for multiplicity 3 or more).

Items are reused between edits: a mutation only calls :meth:`ArrowItem.set_arrow` on the
arrows whose multiplicity changed, and moving a vertex only re-routes its arrows.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
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
        self.halo: float | None = None  # GNN explanation importance in [0, 1], drawn as a halo
        self.colour: str | None = None  # "green" / "red" fill override (the Cluster tab), None: normal
        self.setZValue(10)
        self.setAcceptHoverEvents(False)
        # drawn once into a pixmap and blitted afterwards (vector export switches this off)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._font = _label_font(10 if len(label) < 3 else 8)

    def boundingRect(self) -> QRectF:
        r = style.VERTEX_RADIUS * 2.0 if self.halo is not None else style.VERTEX_RADIUS + 7
        return QRectF(-r, -r, 2 * r, 2 * r)

    def set_halo(self, weight: float | None) -> None:
        """Show a GNN explanation importance as a halo (None: no halo); see gnn_overlay_style."""
        if weight != self.halo:
            self.prepareGeometryChange()
            self.halo = weight
            self.update()

    def set_colour(self, colour: str | None) -> None:
        """Fill a mutable vertex green or red (``"green"``, ``"red"``) or normally (None)."""
        if colour not in (None, "green", "red"):
            raise ValueError(f"unknown vertex colour {colour!r}: use 'green', 'red' or None")
        if colour != self.colour:
            self.colour = colour
            self.update()

    def fill(self) -> QColor:
        """The fill colour painted now (of the current theme, :mod:`.style`)."""
        if self.frozen:
            return style.FROZEN_FILL
        if self.colour == "green":
            return style.GREEN_FILL
        if self.colour == "red":
            return style.RED_FILL
        return style.VERTEX_FILL

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        r = style.VERTEX_RADIUS + 2
        p.addEllipse(QPointF(0, 0), r, r)
        return p

    def set_state(
        self,
        label: str | None = None,
        frozen: bool | None = None,
        selected: bool | None = None,
        evidence: bool | None = None,
    ) -> None:
        """Change what the vertex shows; repaints (and re-caches) only when something changed."""
        changed = False
        if label is not None and label != self.label:
            self.label = label
            self._font = _label_font(10 if len(label) < 3 else 8)
            changed = True
        for name, value in (("frozen", frozen), ("selected_", selected), ("evidence", evidence)):
            if value is not None and value != getattr(self, name):
                setattr(self, name, value)
                changed = True
        if changed:
            self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)  # also inside the item cache
        r = style.VERTEX_RADIUS
        if self.halo is not None:
            from workbench_quiver.ui.gnn_overlay_style import halo_colour, halo_radius

            hr = halo_radius(self.halo, r)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(halo_colour(self.halo))
            painter.drawEllipse(QPointF(0, 0), hr, hr)
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
            painter.setBrush(QBrush(self.fill()))
            painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(style.INK)
        painter.setFont(self._font)
        painter.drawText(QRectF(-r, -r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, self.label)


_FLAT = Qt.PenCapStyle.FlatCap
_DASH = Qt.PenStyle.DashLine
_NOPEN = Qt.PenStyle.NoPen
_NOBRUSH = Qt.BrushStyle.NoBrush
_CENTER = Qt.AlignmentFlag.AlignCenter
_BADGE_FONT: QFont | None = None


def _badge_font() -> QFont:
    global _BADGE_FONT
    if _BADGE_FONT is None:
        _BADGE_FONT = _label_font(8.5, bold=True)
    return _BADGE_FONT


class ArrowItem(QGraphicsItem):
    """All arrows between two vertices ``i -> j`` (``mult`` of them).

    The geometry (shafts, heads, badge) is computed when the arrow changes, not when it is
    painted, so a repaint of an unchanged arrow is a few draw calls.
    """

    def __init__(
        self,
        i: int,
        j: int,
        mult: int,
        p: QPointF,
        q: QPointF,
        frozen_i: bool = False,
        frozen_j: bool = False,
        ctrl: QPointF | None = None,
    ) -> None:
        super().__init__()
        self.setZValue(5)
        self.i, self.j, self.mult = i, j, mult
        self.p, self.q = QPointF(p), QPointF(q)
        self.ctrl: QPointF | None = QPointF(ctrl) if ctrl is not None else None
        self.frozen_i, self.frozen_j = frozen_i, frozen_j
        self.selected_ = False
        self.evidence = False
        self.overlay: tuple[float, bool] | None = None  # (GNN importance in [0, 1], masked)
        self._rect = QRectF()
        self._shafts: list[QPainterPath] = []
        self._heads: list[QPolygonF] = []
        self._badge: tuple[QRectF, str] | None = None
        self._centre: QPainterPath = QPainterPath()
        self._shape: QPainterPath | None = None
        self._style()
        self._recompute()

    # geometry ------------------------------------------------------------------------
    def set_arrow(self, i: int, j: int, mult: int) -> None:
        """Change direction/multiplicity (a mutation); geometry follows."""
        if (i, j, mult) != (self.i, self.j, self.mult):
            self.i, self.j, self.mult = i, j, mult
            self._recompute()

    def set_ends(self, p: QPointF, q: QPointF, ctrl: QPointF | None = None) -> None:
        """New centres of the tail and head vertices (in the order of ``i``, ``j``) and the
        control point of a curved arrow (None: straight)."""
        self.p, self.q = QPointF(p), QPointF(q)
        self.ctrl = QPointF(ctrl) if ctrl is not None else None
        self._recompute()

    def set_frozen_ends(self, frozen_i: bool, frozen_j: bool) -> None:
        if (frozen_i, frozen_j) != (self.frozen_i, self.frozen_j):
            self.frozen_i, self.frozen_j = frozen_i, frozen_j
            self._style()
            self.update()

    def set_state(self, selected: bool | None = None, evidence: bool | None = None) -> None:
        changed = False
        if selected is not None and selected != self.selected_:
            self.selected_, changed = selected, True
        if evidence is not None and evidence != self.evidence:
            self.evidence, changed = evidence, True
        if changed:
            self._style()
            self.update()

    def restyle(self) -> None:
        """Take the colours of :mod:`.style` now (a theme switch)."""
        self._style()
        self.update()

    def set_overlay(self, overlay: tuple[float, bool] | None) -> None:
        """Draw the arrow with a GNN explanation importance (width and colour) or normally (None)."""
        if overlay != self.overlay:
            self.overlay = overlay
            self._style()
            self._recompute()  # heads grow with the pen

    def _style(self) -> None:
        # an explanation drawn on the quiver wins over the evidence colour (its important arrows
        # are often the evidence ones); a selection wins over both
        if getattr(self, "overlay", None) is not None and not self.selected_:
            from workbench_quiver.ui.gnn_overlay_style import arrow_pen

            pen = arrow_pen(self.overlay[0], self.overlay[1])
            pen.setCapStyle(_FLAT)
            self._pen, self._color = pen, pen.color()
            return
        self._color = style.EVIDENCE if self.evidence else (style.SELECT if self.selected_ else style.ARROW_INK)
        width = style.ARROW_WIDTH + (0.9 if (self.evidence or self.selected_) else 0.0)
        pen = QPen(self._color, width)
        pen.setCapStyle(_FLAT)
        if self.frozen_i and self.frozen_j:
            pen.setStyle(_DASH)
        self._pen = pen

    def _geometry(self):
        """Start, end, control point (or None), unit tangent at the end, unit tangent at the start."""
        p, q, c = self.p, self.q, self.ctrl
        d = math.hypot(q.x() - p.x(), q.y() - p.y())
        r = style.VERTEX_RADIUS + 3
        if d < 2 * r + 4:
            return None
        s_dir = (c - p) if c is not None else (q - p)
        e_dir = (q - c) if c is not None else (q - p)
        ls, le = math.hypot(s_dir.x(), s_dir.y()), math.hypot(e_dir.x(), e_dir.y())
        us = QPointF(s_dir.x() / ls, s_dir.y() / ls)
        ue = QPointF(e_dir.x() / le, e_dir.y() / le)
        return p + us * r, q - ue * r, c, ue, us

    @staticmethod
    def _path(a: QPointF, b: QPointF, c: QPointF | None, off: float, ue: QPointF, us: QPointF) -> QPainterPath:
        path = QPainterPath()
        na, nb = QPointF(-us.y(), us.x()) * off, QPointF(-ue.y(), ue.x()) * off
        path.moveTo(a + na)
        if c is None:
            path.lineTo(b + nb)
        else:
            path.quadTo(c + (na + nb) / 2, b + nb)
        return path

    def _recompute(self) -> None:
        self.prepareGeometryChange()
        xs = [self.p.x(), self.q.x()] + ([self.ctrl.x()] if self.ctrl is not None else [])
        ys = [self.p.y(), self.q.y()] + ([self.ctrl.y()] if self.ctrl is not None else [])
        pad = 16.0
        self._rect = QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad)
        self._shafts, self._heads, self._badge, self._shape = [], [], None, None
        self._centre = QPainterPath()
        g = self._geometry()
        if g is not None and self.mult > 0:
            a, b, c, ue, us = g
            self._centre = self._path(a, b, c, 0.0, ue, us)
            nx, ny = -ue.y(), ue.x()
            grow = 1.0 if self.overlay is None else 1.0 + 0.5 * float(min(max(self.overlay[0], 0.0), 1.0))
            hl, hh = style.ARROW_HEAD_LEN * grow, style.ARROW_HEAD_HALF * grow
            for off in [0.0] if self.mult != 2 else [-style.PARALLEL_GAP, style.PARALLEL_GAP]:
                tip = QPointF(b.x() + nx * off, b.y() + ny * off)
                base = QPointF(tip.x() - ue.x() * hl, tip.y() - ue.y() * hl)
                self._shafts.append(self._path(a, b - ue * (hl - 1.0), c, off, ue, us))
                self._heads.append(
                    QPolygonF(
                        [
                            tip,
                            QPointF(base.x() + nx * hh, base.y() + ny * hh),
                            QPointF(base.x() - nx * hh, base.y() - ny * hh),
                        ]
                    )
                )
            if self.mult >= 3:
                text = str(self.mult)
                if len(text) > 8:
                    text = f"{float(self.mult):.2e}"
                from PySide6.QtGui import QFontMetricsF

                fm = QFontMetricsF(_badge_font())
                w, h = fm.horizontalAdvance(text) + 8, fm.height() + 2
                mid = self._path(a, b - ue * hl, c, 0.0, ue, us).pointAtPercent(0.5)
                self._badge = (QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h), text)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            self._shape = stroker.createStroke(self._centre)
        return self._shape

    def midpoint(self) -> QPointF:
        return self._centre.pointAtPercent(0.5) if not self._centre.isEmpty() else (self.p + self.q) / 2

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self._shafts:
            return
        painter.setPen(self._pen)
        painter.setBrush(_NOBRUSH)
        for path in self._shafts:
            painter.drawPath(path)
        painter.setPen(_NOPEN)
        painter.setBrush(self._color)
        for head in self._heads:
            painter.drawPolygon(head)
        if self._badge is not None:
            box, text = self._badge
            painter.setPen(QPen(style.BADGE_EDGE, 1.2))
            painter.setBrush(style.BADGE_FILL)
            painter.drawRoundedRect(box, 4, 4)
            painter.setFont(_badge_font())
            painter.setPen(style.BADGE_EDGE)
            painter.drawText(box, _CENTER, text)
