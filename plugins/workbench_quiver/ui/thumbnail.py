"""Small pictures of quivers (gallery entries, members of an enumerated class)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF

from workbench_quiver.ui import style


def paint_quiver(
    painter: QPainter,
    rect: QRectF,
    matrix: np.ndarray,
    positions: Sequence[tuple[float, float]],
    frozen: Sequence[bool] | None = None,
    highlight: set[int] | None = None,
) -> None:
    """Draw a quiver fitted into ``rect``: discs for vertices (squares when frozen), arrows
    with heads, a double stroke for multiplicity 2 and a thick red stroke for 3 or more."""
    n = len(positions)
    if n == 0:
        return
    pts = np.asarray(positions, dtype=float).reshape(n, 2)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    r = max(2.0, min(4.5, 0.22 * min(rect.width(), rect.height()) / (1.0 + math.sqrt(n))))
    pad = r + 3
    sx = (rect.width() - 2 * pad) / span[0] if span[0] > 1e-3 else 0.0
    sy = (rect.height() - 2 * pad) / span[1] if span[1] > 1e-3 else 0.0
    s = min(v for v in (sx, sy) if v > 0) if (sx > 0 or sy > 0) else 1.0
    cx = rect.center().x() - s * (lo[0] + hi[0]) / 2
    cy = rect.center().y() - s * (lo[1] + hi[1]) / 2
    xy = [QPointF(cx + s * x, cy + s * y) for x, y in pts]
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    m = np.asarray(matrix)
    ii, jj = np.nonzero(m > 0)
    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
        c = int(m[i, j])
        a, b = xy[i], xy[j]
        dx, dy = b.x() - a.x(), b.y() - a.y()
        d = math.hypot(dx, dy)
        if d < 2 * r + 1:
            continue
        ux, uy = dx / d, dy / d
        nx_, ny_ = -uy, ux
        a2 = QPointF(a.x() + ux * (r + 1), a.y() + uy * (r + 1))
        b2 = QPointF(b.x() - ux * (r + 1), b.y() - uy * (r + 1))
        color = style.BADGE_EDGE if c >= 3 else style.ARROW_INK
        width = 2.2 if c >= 3 else 1.0
        offs = [-1.3, 1.3] if c == 2 else [0.0]
        hl = min(6.0, d / 4)
        for off in offs:
            o = QPointF(nx_ * off, ny_ * off)
            painter.setPen(QPen(color, width))
            painter.drawLine(a2 + o, b2 + o - QPointF(ux * hl * 0.8, uy * hl * 0.8))
        base = QPointF(b2.x() - ux * hl, b2.y() - uy * hl)
        hw = hl * 0.45 + (1.2 if c == 2 else 0.0)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(QPolygonF([b2, base + QPointF(nx_ * hw, ny_ * hw), base - QPointF(nx_ * hw, ny_ * hw)]))
    for k, p in enumerate(xy):
        fz = bool(frozen[k]) if frozen is not None and k < len(frozen) else False
        ev = highlight is not None and k in highlight
        painter.setPen(QPen(style.EVIDENCE if ev else (style.FROZEN_EDGE if fz else style.VERTEX_EDGE), 1.2))
        painter.setBrush(style.FROZEN_FILL if fz else style.VERTEX_FILL)
        if fz:
            painter.drawRect(QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r))
        else:
            painter.drawEllipse(p, r, r)


def quiver_pixmap(
    matrix: np.ndarray,
    positions: Sequence[tuple[float, float]],
    frozen: Sequence[bool] | None = None,
    width: int = 120,
    height: int = 90,
    background: QColor | None = None,
) -> QPixmap:
    img = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(background if background is not None else style.BACKGROUND)
    painter = QPainter(img)
    try:
        paint_quiver(painter, QRectF(0, 0, width, height), matrix, positions, frozen)
    finally:
        painter.end()
    return QPixmap.fromImage(img)
