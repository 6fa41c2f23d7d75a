"""Status-bar widgets: one row per running job with title, message, progress bar, elapsed
time and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from workbench.gui.jobrunner import JobHandle


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 3600:
        return f"{seconds // 60:d}:{seconds % 60:02d}"
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class JobStatusWidget(QWidget):
    """Shows one job in the status bar until it is done."""

    def __init__(self, handle: JobHandle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.handle = handle
        self.setObjectName(f"job-{handle.id}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        self.label = QLabel(handle.title)
        self.label.setMaximumWidth(320)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(120)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p%")
        self.elapsed = QLabel("0:00")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip(f"Cancel {handle.title}")
        self.cancel_button.clicked.connect(self._cancel)
        for w in (self.label, self.bar, self.elapsed, self.cancel_button):
            layout.addWidget(w)
        handle.progress.connect(self._on_progress)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(500)
        self._tick()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(round(fraction * 1000)))
        text = f"{self.handle.title}: {message}" if message else self.handle.title
        self.label.setText(text if len(text) < 60 else text[:57] + "…")
        self.label.setToolTip(text)

    def _tick(self) -> None:
        self.elapsed.setText(format_elapsed(self.handle.elapsed()))

    def _cancel(self) -> None:
        self.handle.cancel()
        self.cancel_button.setEnabled(False)
        self.label.setText(f"{self.handle.title}: cancelling…")

    def stop(self) -> None:
        self._timer.stop()
