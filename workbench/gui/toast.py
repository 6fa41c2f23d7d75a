"""A toast: a short message over the bottom-right corner of the main window that hides itself
after a few seconds (no tray icon, no modal box).  Clicking it runs its action (e.g. brings the
panel whose job finished to the front) and hides it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QMainWindow

#: how long a toast stays up (ms)
TOAST_MS = 8000


class Toast(QLabel):
    """One toast per main window; :meth:`show_message` replaces what it shows."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("toast")
        self.setWordWrap(True)
        self.setMaximumWidth(420)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setStyleSheet(
            "QLabel#toast { background: rgba(40, 44, 52, 235); color: white; border-radius: 6px;"
            " padding: 10px 14px; font-size: 10pt; }"
        )
        self.hide()
        self._action: Callable[[], Any] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        window.installEventFilter(self)

    def show_message(self, text: str, action: Callable[[], Any] | None = None, ms: int = TOAST_MS) -> None:
        self.setText(text)
        self._action = action
        self.setToolTip("Click to show it" if action is not None else "")
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self._timer.start(ms)

    def _place(self) -> None:
        window = self.parentWidget()
        if window is None:
            return
        bottom = window.height() - 12
        if isinstance(window, QMainWindow) and window.statusBar().isVisible():
            bottom -= window.statusBar().height()
        self.move(max(0, window.width() - self.width() - 16), max(0, bottom - self.height()))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def mousePressEvent(self, event: QMouseEvent) -> None:
        action, self._action = self._action, None
        self.dismiss()
        if action is not None:
            action()
        event.accept()

    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()
