"""A row of widgets (group boxes of a form) that wraps into more rows when its width is too
small for them side by side, instead of needing a sideways scroll bar (issue 13: the bundle
panel's Dataset / Classifier / Training boxes at 1024 x 700)."""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLayout, QWidget


class ReflowRow(QWidget):
    """Lays ``widgets`` out in as many columns (at most ``len(widgets)``) as fit in its width,
    each column at least as wide as the widest widget's size hint; columns share the width
    equally.  ``columns`` is the current count."""

    def __init__(self, widgets: list[QWidget], parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self.widgets = list(widgets)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(spacing)
        # the row may be narrower than its current columns need (it then wraps): the layout must
        # not impose its minimum width (the default constraint does on a top-level widget)
        self.grid.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.columns = 0
        self._place(len(self.widgets))

    def columns_for(self, width: int) -> int:
        """How many columns fit in ``width`` pixels."""
        need = max((w.minimumSizeHint().width() for w in self.widgets), default=0)
        spacing = self.grid.spacing()
        for cols in range(len(self.widgets), 1, -1):
            if cols * need + (cols - 1) * spacing <= width:
                return cols
        return 1

    def _place(self, cols: int) -> None:
        if cols == self.columns:
            return
        self.columns = cols
        for w in self.widgets:
            self.grid.removeWidget(w)
        for c in range(len(self.widgets)):
            self.grid.setColumnStretch(c, 1 if c < cols else 0)
        for i, w in enumerate(self.widgets):
            self.grid.addWidget(w, i // cols, i % cols)

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        hint.setWidth(max((w.minimumSizeHint().width() for w in self.widgets), default=0))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place(self.columns_for(event.size().width()))
        super().resizeEvent(event)
