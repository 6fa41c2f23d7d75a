"""Cluster variables drawn as fractions in a table cell: the numerator over a fraction bar over
the denominator, with x_i's index as a subscript and exponents as superscripts (``x₁² + 1`` over
``x₀``), as a mathematician writes them; a polynomial is one such line.  The cell's item
carries the two parts (from :meth:`~workbench_quiver.core.laurent.Laurent.fraction_parts`) under
:data:`FRACTION_ROLE`; a cell without them (a session saved before) is drawn as plain text.  No science here."""

from __future__ import annotations

import re

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

#: the item data role holding ``(numerator, denominator)`` strings in Sage's notation
FRACTION_ROLE = int(Qt.ItemDataRole.UserRole) + 7
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_PAD = 4


def pretty(text: str) -> str:
    """Sage's ``2*x1^2 + x0*y3`` as ``2x₁² + x₀y₃``: indices as subscripts, exponents as
    superscripts, products written by juxtaposition."""
    text = re.sub(r"([A-Za-z])(\d+)", lambda m: m.group(1) + m.group(2).translate(_SUB), text)
    text = re.sub(r"\^(-?\d+)", lambda m: m.group(1).translate(_SUP), text)
    return text.replace("*", "")


def fold(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the tooltip keeps it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class FractionDelegate(QStyledItemDelegate):
    """Draws a cell whose item has :data:`FRACTION_ROLE` data as a two-line fraction; parts
    longer than ``limit`` characters are folded."""

    def __init__(self, parent=None, limit: int = 60) -> None:
        super().__init__(parent)
        self.limit = limit

    def _parts(self, index: QModelIndex | QPersistentModelIndex) -> tuple[str, ...] | None:
        """The lines to draw: (numerator, denominator), (polynomial,), or None (plain text)."""
        parts = index.data(FRACTION_ROLE)
        if not parts or len(parts) != 2:
            return None
        return tuple(fold(pretty(str(p)), self.limit) for p in parts if p)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        parts = self._parts(index)
        if parts is None:
            return super().sizeHint(option, index)
        fm = QFontMetrics(option.font)  # type: ignore[attr-defined]
        width = max(fm.horizontalAdvance(p) for p in parts) + 2 * _PAD
        return QSize(width, len(parts) * (fm.height() + 3) + 2 * _PAD)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        parts = self._parts(index)
        if parts is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect: QRect = opt.rect  # type: ignore[attr-defined]
        fm = QFontMetrics(opt.font)  # type: ignore[attr-defined]
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        colour = opt.palette.color(role)  # type: ignore[attr-defined]
        width = max(fm.horizontalAdvance(p) for p in parts)
        h = fm.height()
        top = rect.top() + max(0, (rect.height() - len(parts) * (h + 3)) // 2)
        left = rect.left() + _PAD
        painter.save()
        painter.setFont(opt.font)  # type: ignore[attr-defined]
        painter.setPen(colour)
        for k, part in enumerate(parts):
            x = left + (width - fm.horizontalAdvance(part)) // 2
            painter.drawText(QRect(x, top + k * (h + 3), width, h), int(Qt.AlignmentFlag.AlignLeft), part)
        if len(parts) == 2:  # the fraction bar
            painter.drawLine(left, top + h + 1, left + width, top + h + 1)
        painter.restore()
