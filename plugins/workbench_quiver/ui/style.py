"""Colours, sizes and fonts of the quiver drawings (one place, so canvas, thumbnails and
exported figures look alike), in a light and a dark variant.

The colours are module attributes (``style.INK``, ``style.BACKGROUND``, ...) read when an
item paints, so :func:`use` switches every drawing at once (the views then repaint:
``QuiverCanvas.apply_theme``).  :func:`for_palette` picks the variant of a Qt palette (dark
when its ``Base`` colour is dark).  Exported figures are drawn with the light variant
whatever the screen shows (:func:`light`), so a figure exported in dark theme reads on paper.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

VERTEX_RADIUS = 15.0  # scene units (pixels at zoom 1)
FROZEN_HALF = 13.0  # half side of the square of a frozen vertex
ARROW_WIDTH = 1.7
ARROW_HEAD_LEN = 11.0
ARROW_HEAD_HALF = 4.6
PARALLEL_GAP = 3.4  # distance between the two strokes of a double arrow


@dataclass(frozen=True)
class Colours:
    """One variant of the drawing colours."""

    name: str
    ink: QColor  # vertex labels
    vertex_fill: QColor
    vertex_edge: QColor
    frozen_fill: QColor
    frozen_edge: QColor
    arrow_ink: QColor
    badge_fill: QColor  # the multiplicity badge of arrows of multiplicity >= 3
    badge_edge: QColor
    select: QColor
    evidence: QColor  # the evidence of the identified type
    evidence_halo: QColor
    mutate_flash: QColor
    background: QColor
    green_fill: QColor  # a green vertex (c-vector >= 0) while the Cluster tab colours the quiver
    red_fill: QColor  # a red vertex (c-vector <= 0)


LIGHT = Colours(
    "light",
    ink=QColor("#1f2933"),
    vertex_fill=QColor("#ffffff"),
    vertex_edge=QColor("#334e68"),
    frozen_fill=QColor("#d9e2ec"),
    frozen_edge=QColor("#486581"),
    arrow_ink=QColor("#3e4c59"),
    badge_fill=QColor("#fffbea"),
    badge_edge=QColor("#b44d12"),
    select=QColor("#2680c2"),
    evidence=QColor("#e12d39"),
    evidence_halo=QColor(225, 45, 57, 60),
    mutate_flash=QColor(240, 180, 41, 150),
    background=QColor("#fbfcfd"),
    green_fill=QColor("#9be3a3"),
    red_fill=QColor("#f4a3a3"),
)
DARK = Colours(
    "dark",
    ink=QColor("#e4e7eb"),
    vertex_fill=QColor("#2b2e33"),
    vertex_edge=QColor("#9fb3c8"),
    frozen_fill=QColor("#3e4c59"),
    frozen_edge=QColor("#bcccdc"),
    arrow_ink=QColor("#bcccdc"),
    badge_fill=QColor("#3b2c12"),
    badge_edge=QColor("#f7c948"),
    select=QColor("#47a3f3"),
    evidence=QColor("#ff6b6b"),
    evidence_halo=QColor(255, 107, 107, 70),
    mutate_flash=QColor(240, 180, 41, 150),
    background=QColor("#1f2023"),
    green_fill=QColor("#2e6b3a"),
    red_fill=QColor("#8a3434"),
)

current: Colours = LIGHT
INK = VERTEX_FILL = VERTEX_EDGE = FROZEN_FILL = FROZEN_EDGE = ARROW_INK = QColor()
BADGE_FILL = BADGE_EDGE = SELECT = EVIDENCE = EVIDENCE_HALO = MUTATE_FLASH = BACKGROUND = QColor()
GREEN_FILL = RED_FILL = QColor()


def use(colours: Colours) -> None:
    """Make ``colours`` the ones every quiver drawing paints with from now on."""
    global current, INK, VERTEX_FILL, VERTEX_EDGE, FROZEN_FILL, FROZEN_EDGE, ARROW_INK, BADGE_FILL, BADGE_EDGE
    global SELECT, EVIDENCE, EVIDENCE_HALO, MUTATE_FLASH, BACKGROUND, GREEN_FILL, RED_FILL
    current = colours
    INK, VERTEX_FILL, VERTEX_EDGE = colours.ink, colours.vertex_fill, colours.vertex_edge
    FROZEN_FILL, FROZEN_EDGE, ARROW_INK = colours.frozen_fill, colours.frozen_edge, colours.arrow_ink
    BADGE_FILL, BADGE_EDGE, SELECT = colours.badge_fill, colours.badge_edge, colours.select
    EVIDENCE, EVIDENCE_HALO = colours.evidence, colours.evidence_halo
    MUTATE_FLASH, BACKGROUND = colours.mutate_flash, colours.background
    GREEN_FILL, RED_FILL = colours.green_fill, colours.red_fill


def is_dark(palette: QPalette) -> bool:
    """Whether a palette is a dark theme's (its Base colour is dark)."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def for_palette(palette: QPalette) -> Colours:
    """The variant that reads on a palette: DARK for a dark Base colour, else LIGHT."""
    return DARK if is_dark(palette) else LIGHT


@contextlib.contextmanager
def light() -> Iterator[None]:
    """Paint with the light variant inside the block (exported figures), then switch back."""
    before = current
    use(LIGHT)
    try:
        yield
    finally:
        use(before)


use(LIGHT)
