"""Browse an enumerated mutation class: a list of thumbnails drawn lazily (only the visible
ones are painted, so a class of 25,000 quivers scrolls smoothly); click one to load it.

A running enumeration's growing class is shown by appending rows (:meth:`ClassListModel.set_members`
with ``extends``): the members found before keep their place, their drawn thumbnails and
the view's scroll position, so a partial class costs only its new rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from workbench_quiver.ui import style
from workbench_quiver.ui.thumbnail import quiver_pixmap

#: member index -> (full matrix, positions, frozen flags) to draw
MemberSource = Callable[[int], tuple[np.ndarray, list[tuple[float, float]], list[bool]]]
#: the captions of the members: a list, or member index -> caption (computed when shown)
Captions = Sequence[str] | Callable[[int], str]

#: the invalid index: the parent of top-level rows (Qt's default argument of rowCount)
_ROOT = QModelIndex()


#: thumbnail size (pixels) and the GUI time one batch of thumbnails may take (seconds)
THUMB_W, THUMB_H = 110, 80
BATCH_S = 0.025


class ClassListModel(QAbstractListModel):
    """Rows: members of a class; the thumbnail of a row is drawn the first time it is shown,
    a few at a time (at most :data:`BATCH_S` of drawing per turn of the event loop; a blank
    placeholder until then), so a view that shows thirty new members at once never holds the
    GUI for the time of thirty drawings."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.count = 0
        self.source: MemberSource | None = None
        self.captions: Captions = []
        self._icons: dict[int, QIcon] = {}
        self._queue: list[int] = []
        self._queued: set[int] = set()
        self._placeholder = QIcon()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._draw_some)

    def set_members(self, count: int, source: MemberSource | None, captions: Captions, extends: bool = False) -> None:
        """Show ``count`` members; ``extends``: the first members are the ones shown now (a
        growing class), so only the new rows are added."""
        if extends and self.source is not None and count >= self.count:
            old = self.count
            self.source, self.captions = source, captions
            if count > old:
                self.beginInsertRows(_ROOT, old, count - 1)
                self.count = count
                self.endInsertRows()
            return
        self.beginResetModel()
        self.count, self.source, self.captions = count, source, captions
        self._forget_icons()
        self.endResetModel()

    def _forget_icons(self) -> None:
        self._icons = {}
        self._queue, self._queued = [], set()
        self._timer.stop()
        self._placeholder = QIcon()

    def thumbnail(self, r: int) -> QIcon:
        """The thumbnail of member ``r``, drawn now if it is not yet."""
        icon = self._icons.get(r)
        if icon is None and self.source is not None:
            m, pos, frozen = self.source(r)
            icon = QIcon(quiver_pixmap(m, pos, frozen, THUMB_W, THUMB_H))
            if len(self._icons) > 4000:
                self._icons.clear()
            self._icons[r] = icon
        return icon if icon is not None else QIcon()

    def _draw_some(self) -> None:
        """Draw queued thumbnails for at most BATCH_S seconds; the rest on the next turn."""
        t0 = time.monotonic()
        while self._queue and time.monotonic() - t0 < BATCH_S:
            r = self._queue.pop(0)
            self._queued.discard(r)
            if r < self.count and r not in self._icons:
                self.thumbnail(r)
                idx = self.index(r)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])
        if self._queue:
            self._timer.start()

    def _placeholder_icon(self) -> QIcon:
        if self._placeholder.isNull():
            pm = QPixmap(THUMB_W, THUMB_H)
            pm.fill(style.BACKGROUND)
            self._placeholder = QIcon(pm)
        return self._placeholder

    def caption(self, r: int) -> str:
        c = self.captions
        if callable(c):
            return c(r)
        return c[r] if r < len(c) else str(r + 1)

    def restyle(self) -> None:
        """Draw the thumbnails again (lazily) with the drawing colours now (a theme switch)."""
        self._forget_icons()
        if self.count:
            self.dataChanged.emit(self.index(0), self.index(self.count - 1), [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: QModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else self.count

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.caption(r)
        if role == Qt.ItemDataRole.DecorationRole and self.source is not None:
            icon = self._icons.get(r)
            if icon is not None:
                return icon
            if r not in self._queued:
                self._queue.append(r)
                self._queued.add(r)
                self._timer.start()
            return self._placeholder_icon()
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.caption(r) + "\nclick to load this quiver"
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

    def set_class(
        self, header: str, count: int, source: MemberSource | None, captions: Captions, extends: bool = False
    ) -> None:
        self.header.setText(header)
        self.model.set_members(count, source, captions, extends)

    def clear(self) -> None:
        self.set_class("Enumerate the class (Info tab) to browse its members here.", 0, None, [])
