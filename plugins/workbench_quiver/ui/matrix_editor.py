"""The B-matrix beside the canvas: a table of the exchange matrix in Sage's convention (rows:
the mutable vertices, then the frozen ones; columns: the mutable vertices), kept in sync
with the document both ways.

Typing an integer into cell ``(i, j)`` sets ``b[i, j]`` and, as skew-symmetry demands,
``b[j, i] = -b[i, j]`` (for a frozen row only the arrows between that frozen vertex and the
mutable vertex ``j`` change): one :class:`~workbench_quiver.ui.model.AddArrows` command on
the document's stack, so Undo takes it back.  Refused, with the reason in the status line
and nothing changed: text that is not an integer, a non-zero diagonal entry (a quiver has no
loops), an entry of 2^62 or more in absolute value (load such matrices from a file, which
keeps them exact).  Positive entries are drawn in the selection colour, negative ones in the
evidence red, zeros faint, each from the palette so both themes read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .model import AddArrows, CommandStack, QuiverDocument

#: the invalid index: the parent of top-level rows (Qt's default argument of rowCount)
_ROOT = QModelIndex()
_Index = QModelIndex | QPersistentModelIndex
#: the largest entry a typed edit may give (the editor's matrices are int64)
MAX_TYPED = 2**62
POSITIVE, NEGATIVE = QColor("#2680c2"), QColor("#e12d39")
# the roles as plain ints: data() runs for every visible cell at every repaint, and an enum
# attribute lookup costs more than the rest of it
_DISPLAY, _EDIT = int(Qt.ItemDataRole.DisplayRole.value), int(Qt.ItemDataRole.EditRole.value)
_ALIGN, _FOREGROUND = int(Qt.ItemDataRole.TextAlignmentRole.value), int(Qt.ItemDataRole.ForegroundRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_CENTER = int(Qt.AlignmentFlag.AlignCenter.value)


def parse_entry(text: str) -> int:
    """An integer typed into a cell (``+3``, ``-2``, `` 0 ``); ValueError naming what is wrong."""
    t = text.strip().replace("\u2212", "-")
    if not t:
        raise ValueError("type an integer (0 removes the arrows)")
    try:
        value = int(t, 10)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not an integer: B-matrix entries are whole numbers of arrows") from None
    if abs(value) >= MAX_TYPED:
        raise ValueError(f"{value} is too large to type (|b| < 2^62); open a file to load larger entries exactly")
    return value


class BMatrixModel(QAbstractTableModel):
    """The document's exchange matrix as an editable table (see the module doc)."""

    #: a refused edit or an applied one, in words (the panel's status line)
    message = Signal(str)
    #: the cells' texts need wider columns than before (the view resizes them then, not on
    #: every change: a header that sizes itself to its contents reads every cell at each one)
    widened = Signal()

    def __init__(self, doc: QuiverDocument, stack: CommandStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.stack = doc, stack
        self._order: list[int] = doc.vertex_order()
        self._mutable: list[int] = doc.mutable_vertices()
        self.widest = self._widest()
        doc.subscribe(self._on_doc)

    def _widest(self) -> int:
        """The number of characters of the longest entry."""
        if not self._order or not self._mutable:
            return 1
        b = self.doc.matrix[:, self._mutable] if self._mutable else self.doc.matrix
        return max(len(str(int(b.max()))), len(str(int(b.min()))))

    def _on_doc(self, event: str, info: dict) -> None:
        if event in ("reset", "frozen", "labels"):
            self.beginResetModel()
            self._order, self._mutable = self.doc.vertex_order(), self.doc.mutable_vertices()
            self.widest = self._widest()
            self.endResetModel()
            self.widened.emit()
        elif event in ("arrows", "mutated") and self.rowCount() and self.columnCount():
            # one notice for the rectangle of the changed pairs' cells (both entries of each)
            row_of = {v: r for r, v in enumerate(self._order)}
            col_of = {v: c for c, v in enumerate(self._mutable)}
            cells = [
                (row_of[u], col_of[w])
                for a, b in info.get("pairs", [])
                for u, w in ((a, b), (b, a))
                if u in row_of and w in col_of
            ]
            if not cells:
                return
            rows, cols = [r for r, _ in cells], [c for _, c in cells]
            self.dataChanged.emit(self.index(min(rows), min(cols)), self.index(max(rows), max(cols)))
            wide = max(len(str(self.entry(r, c))) for r, c in cells)
            if wide > self.widest:
                self.widest = wide
                self.widened.emit()

    # ---- reading --------------------------------------------------------------------------
    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._mutable)

    def entry(self, row: int, col: int) -> int:
        """``b[row, col]`` of the exchange matrix."""
        return int(self.doc.matrix[self._order[row], self._mutable[col]])

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        role = int(role)
        if role == _DISPLAY or role == _EDIT:
            return str(self.entry(r, c))
        if role == _ALIGN:
            return _CENTER
        if role == _FOREGROUND:
            v = self.entry(r, c)
            if v > 0:
                return POSITIVE
            if v < 0:
                return NEGATIVE
            return QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == _TOOLTIP:
            a, b = self._order[r], self._mutable[c]
            la, lb = self.doc.labels[a], self.doc.labels[b]
            v = self.entry(r, c)
            if v == 0:
                what = f"no arrow between {la} and {lb}"
            else:
                tail, head = (la, lb) if v > 0 else (lb, la)
                what = f"{abs(v)} arrow{'s' if abs(v) != 1 else ''} {tail} \u2192 {head}"
            return f"b[{la}, {lb}] = {v}: {what}" + ("" if r == c else " (type to change; Undo takes it back)")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if orientation == Qt.Orientation.Horizontal:
            if section >= len(self._mutable):
                return None
            return self.doc.labels[self._mutable[section]]
        if section >= len(self._order):
            return None
        v = self._order[section]
        frozen = self.doc.frozen[v]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"vertex {self.doc.labels[v]}" + (" (frozen: a row only)" if frozen else "")
        return self.doc.labels[v] + (" \u25a1" if frozen else "")

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return f if index.row() == index.column() else f | Qt.ItemFlag.ItemIsEditable

    # ---- editing --------------------------------------------------------------------------
    def set_entry(self, row: int, col: int, text: str) -> bool:
        """Set ``b[row, col]`` from typed text through the command stack; False (and a
        message saying why) when refused."""
        a, b = self._order[row], self._mutable[col]
        la, lb = self.doc.labels[a], self.doc.labels[b]
        try:
            value = parse_entry(text)
            if a == b and value != 0:
                raise ValueError(f"b[{la}, {la}] must be 0: a quiver has no loops")
        except ValueError as exc:
            self.message.emit(f"B-matrix entry refused: {exc}")
            return False
        delta = value - self.entry(row, col)
        if delta == 0:
            return True
        if self.doc.matrix.dtype != object and abs(int(self.doc.matrix[a, b]) + delta) >= MAX_TYPED:
            self.message.emit(f"B-matrix entry refused: {value} is too large to type")
            return False
        cmd = AddArrows(a, b, delta)
        cmd.text = f"set b[{la}, {lb}] = {value}"
        self.stack.push(cmd)
        self.message.emit(f"{cmd.text} (and b[{lb}, {la}] = {-value})" if not self.doc.frozen[a] else cmd.text)
        return True

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 - Qt's
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        return self.set_entry(index.row(), index.column(), str(value))


class BMatrixView(QWidget):
    """The table with a caption; ``message(str)`` carries refusals and applied edits."""

    message = Signal(str)

    def __init__(self, doc: QuiverDocument, stack: CommandStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = BMatrixModel(doc, stack, self)
        self.model.message.connect(self.message)
        self.table = QTableView()
        self.table.setObjectName("quiver-b-matrix")
        self.table.setModel(self.model)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            header.setMinimumSectionSize(26)
        self.model.widened.connect(self._fit)
        self._fit()
        #: shows / hides this view (the panel's toolbar holds it; bound to the state's show_matrix)
        self.toggle_button = QToolButton()
        self.toggle_button.setText("B-matrix")
        self.toggle_button.setCheckable(True)
        self.toggle_button.setChecked(True)
        self.toggle_button.setToolTip("Show the B-matrix beside the canvas (type into a cell to edit it)")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setToolTip(
            "The exchange matrix in Sage's convention: b[i, j] > 0 is b[i, j] arrows i \u2192 j. "
            "Type an integer into a cell to change it (the opposite entry follows); Ctrl+Z "
            "undoes it"
        )
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        lay.addWidget(self.caption)
        lay.addWidget(self.table, 1)
        self._caption_of: Callable[[], str] = self._default_caption
        doc.subscribe(lambda event, _info: self._update_caption() if event in ("reset", "frozen") else None)
        self._update_caption()

    def _fit(self) -> None:
        """Columns and rows as wide as their contents (after a reset, or wider entries)."""
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()

    def _default_caption(self) -> str:
        n, m = len(self.model._mutable), len(self.model._order) - len(self.model._mutable)
        size = f"{n + m} \u00d7 {n}" + (f" ({m} frozen row{'s' if m != 1 else ''})" if m else "")
        return f"<b>B-matrix</b> {size}: b[i, j] arrows i \u2192 j; type to edit (undoable)"

    def _update_caption(self) -> None:
        self.caption.setText(self._caption_of())
