"""The list of sweeps beside the success curves: the current sweep on top, earlier ones below
with a checkbox each (checked: overlaid, dashed, on the curves and the collapse plot), and
buttons to remove the selected earlier sweep or all of them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


class SweepHistoryList(QWidget):
    """``shown_changed(list[bool])`` when a checkbox changes (for the earlier sweeps, in order);
    ``remove_requested(int)`` with the index of an earlier sweep; ``clear_requested()``."""

    shown_changed = Signal(list)
    remove_requested = Signal(int)
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Sweeps (checked: overlaid, dashed)")
        title.setWordWrap(True)
        lay.addWidget(title)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemChanged.connect(self._item_changed)
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("forget the selected earlier sweep")
        self.remove_button.clicked.connect(self._remove)
        self.clear_button = QPushButton("Clear earlier")
        self.clear_button.setToolTip("forget every earlier sweep (the current one stays)")
        self.clear_button.clicked.connect(self.clear_requested)
        row.addWidget(self.remove_button)
        row.addWidget(self.clear_button)
        lay.addLayout(row)
        self._updating = False
        self.setMinimumWidth(160)

    def set_sweeps(self, current: str | None, earlier: list[str], shown: list[bool]) -> None:
        """Show the ``current`` sweep's label (None: none yet) and the ``earlier`` ones."""
        self._updating = True
        try:
            self.list.clear()
            if current is not None:
                item = QListWidgetItem(f"{current}  (current)")
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(current)
                self.list.addItem(item)
            for label, on in zip(earlier, shown, strict=True):
                item = QListWidgetItem(label)
                item.setToolTip(label)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
                )
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                self.list.addItem(item)
        finally:
            self._updating = False
        self.remove_button.setEnabled(bool(earlier))
        self.clear_button.setEnabled(bool(earlier))

    def _offset(self) -> int:
        """Rows before the first earlier sweep (the current one, when there is one)."""
        first = self.list.item(0)
        return 1 if first is not None and not first.flags() & Qt.ItemFlag.ItemIsUserCheckable else 0

    def shown(self) -> list[bool]:
        off = self._offset()
        return [self.list.item(i).checkState() == Qt.CheckState.Checked for i in range(off, self.list.count())]

    def _item_changed(self, _item: QListWidgetItem) -> None:
        if not self._updating:
            self.shown_changed.emit(self.shown())

    def _remove(self) -> None:
        row = self.list.currentRow() - self._offset()
        if row >= 0:
            self.remove_requested.emit(row)
