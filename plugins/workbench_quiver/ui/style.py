"""Colours, sizes and fonts of the quiver drawings (one place, so canvas, thumbnails and
exported figures look alike)."""

from __future__ import annotations

from PySide6.QtGui import QColor

VERTEX_RADIUS = 15.0  # scene units (pixels at zoom 1)
FROZEN_HALF = 13.0  # half side of the square of a frozen vertex
ARROW_WIDTH = 1.7
ARROW_HEAD_LEN = 11.0
ARROW_HEAD_HALF = 4.6
PARALLEL_GAP = 3.4  # distance between the two strokes of a double arrow

INK = QColor("#1f2933")
VERTEX_FILL = QColor("#ffffff")
VERTEX_EDGE = QColor("#334e68")
FROZEN_FILL = QColor("#d9e2ec")
FROZEN_EDGE = QColor("#486581")
ARROW_INK = QColor("#3e4c59")
BADGE_FILL = QColor("#fffbea")
BADGE_EDGE = QColor("#b44d12")
SELECT = QColor("#2680c2")
EVIDENCE = QColor("#e12d39")
EVIDENCE_HALO = QColor(225, 45, 57, 60)
MUTATE_FLASH = QColor(240, 180, 41, 150)
BACKGROUND = QColor("#fbfcfd")
