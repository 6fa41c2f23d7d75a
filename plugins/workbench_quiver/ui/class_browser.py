"""Browse an enumerated mutation class: a list of thumbnails drawn lazily (only the visible
ones are painted, so a class of 25,000 quivers scrolls smoothly); click one to load it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from workbench_quiver.ui.thumbnail import quiver_pixmap

#: member index -> (full matrix, positions, frozen flags) to draw
MemberSource = Callable[[int], tuple[np.ndarray, list[tuple[float, float]], list[bool]]]

#: the invalid index: the parent of top-level rows (Qt's default argument of rowCount)
_ROOT = QModelIndex()


class ClassListModel(QAbstractListModel):
    """Rows: members of a class; the thumbnail of a row is drawn the first time it is shown."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.count = 0
        self.source: MemberSource | None = None
        self.captions: list[str] = []
        self._icons: dict[int, QIcon] = {}

    def set_members(self, count: int, source: MemberSource | None, captions: list[str]) -> None:
        self.beginResetModel()
        self.count, self.source, self.captions = count, source, captions
        self._icons = {}
        self.endResetModel()

    def restyle(self) -> None:
        """Draw the thumbnails again (lazily) with the drawing colours now (a theme switch)."""
        self._icons = {}
        if self.count:
            self.dataChanged.emit(self.index(0), self.index(self.count - 1), [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: QModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else self.count

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.captions[r] if r < len(self.captions) else str(r + 1)
        if role == Qt.ItemDataRole.DecorationRole and self.source is not None:
            icon = self._icons.get(r)
            if icon is None:
                m, pos, frozen = self.source(r)
                icon = QIcon(quiver_pixmap(m, pos, frozen, 110, 80))
                if len(self._icons) > 4000:
                    self._icons.clear()
                self._icons[r] = icon
            return icon
        if role == Qt.ItemDataRole.ToolTipRole:
            return (self.captions[r] if r < len(self.captions) else "") + "\nclick to load this quiver"
        return None


class ClassBrowser(QWidget):
    """Thumbnails of an enumerated class; :attr:`member_clicked` emits the member index."""

    member_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel("Enumerate the class (Info tab) to browse its members here.")
        self.header.setWordWrap(True)
        self.model = ClassListModel(self)
        self.view = QListView()
        self.view.setObjectName("quiver-class-list")
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setIconSize(QSize(110, 80))
        self.view.setGridSize(QSize(128, 112))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(200)
        self.view.setModel(self.model)
        self.view.clicked.connect(lambda idx: self.member_clicked.emit(idx.row()))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.header)
        lay.addWidget(self.view, 1)

    def set_class(self, header: str, count: int, source: MemberSource | None, captions: list[str]) -> None:
        self.header.setText(header)
        self.model.set_members(count, source, captions)

    def clear(self) -> None:
        self.set_class("Enumerate the class (Info tab) to browse its members here.", 0, None, [])
