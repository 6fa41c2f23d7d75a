"""A small read-only drawing of a quiver with an explanation overlay (arrow width/colour,
vertex halos, dashed masked arrows), drawn with :mod:`gnn_overlay_style`.  It is the
reference rendering for the editor canvas and a stand-alone preview for hosts without one."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from workbench_quiver.gnn.overlay import ExplanationOverlay

from . import style
from .gnn_overlay_style import arrow_pen, halo_colour, halo_radius

VR = 11.0


class GnnOverlayView(QWidget):
    """Paints ``b`` (circular layout unless ``positions`` are given) with ``overlay``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.b: np.ndarray | None = None
        self.positions: np.ndarray | None = None
        self.overlay: ExplanationOverlay | None = None
        self.setMinimumSize(200, 180)

    def set_quiver(self, b: Any, positions: Any = None) -> None:
        self.b = None if b is None else np.asarray(b)
        self.positions = None if positions is None else np.asarray(positions, dtype=float)
        self.update()

    def set_overlay(self, overlay: ExplanationOverlay | None) -> None:
        self.overlay = overlay
        self.update()

    def _layout(self, rect: QRectF) -> list[QPointF]:
        n = self.b.shape[1]
        if self.positions is not None and len(self.positions) >= n:
            p = self.positions[:n]
        else:
            t = 2 * math.pi * np.arange(n) / max(n, 1) - math.pi / 2
            p = np.stack([np.cos(t), np.sin(t)], 1)
        lo, hi = p.min(0), p.max(0)
        span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
        m = 2.5 * VR
        w, h = rect.width() - 2 * m, rect.height() - 2 * m
        s = min(w / span[0], h / span[1])
        cx, cy = rect.center().x(), rect.center().y()
        c = (lo + hi) / 2
        return [QPointF(cx + s * (x - c[0]), cy + s * (y - c[1])) for x, y in p]

    def paint_into(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, style.BACKGROUND)
        if self.b is None or self.b.size == 0:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = self.b.shape[1]
        pts = self._layout(rect)
        ov = self.overlay
        masked = set(map(tuple, ov.masked)) if ov else set()
        if ov is not None:
            for v in range(min(n, len(ov.node_importance))):
                w = ov.node_importance[v]
                r = halo_radius(w, VR)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QBrush(halo_colour(w)))
                painter.drawEllipse(pts[v], r, r)
        for i, j in zip(*np.nonzero(self.b[:n, :n] > 0), strict=True):
            i, j = int(i), int(j)
            w = ov.edge_importance.get((i, j), 0.0) if ov else 0.0
            pen = arrow_pen(w, (i, j) in masked) if ov else QPen(style.ARROW_INK, 1.6)
            p, q = pts[i], pts[j]
            d = q - p
            L = math.hypot(d.x(), d.y()) or 1.0
            u = QPointF(d.x() / L, d.y() / L)
            a, e = p + u * (VR + 2), q - u * (VR + 3)
            painter.setPen(pen)
            painter.drawLine(a, e)
            nrm = QPointF(-u.y(), u.x())
            head = 9.0 + pen.widthF()
            poly = QPolygonF([e, e - u * head + nrm * head * 0.45, e - u * head - nrm * head * 0.45])
            painter.setBrush(QBrush(pen.color()))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawPolygon(poly)
            m = int(self.b[i, j])
            if m > 1:
                mid = (a + e) / 2 + nrm * 9
                painter.setPen(style.BADGE_EDGE)
                painter.drawText(QRectF(mid.x() - 8, mid.y() - 8, 16, 16), Qt.AlignmentFlag.AlignCenter, str(m))
        painter.setPen(QPen(style.VERTEX_EDGE, 1.4))
        painter.setBrush(QBrush(style.VERTEX_FILL))
        for v, pt in enumerate(pts):
            painter.drawEllipse(pt, VR, VR)
            painter.drawText(QRectF(pt.x() - VR, pt.y() - VR, 2 * VR, 2 * VR), Qt.AlignmentFlag.AlignCenter, str(v))

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        self.paint_into(painter, QRectF(self.rect()))
        painter.end()
