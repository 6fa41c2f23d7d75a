"""Status-bar widgets: one row per running job with title, message, progress bar, elapsed
time and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from workbench.gui.jobrunner import JobHandle

#: how often (ms) the status-bar row shows the newest progress and the elapsed time
TICK_MS = 250


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
        # a fixed width: a label that grows and shrinks with each message re-lays out the
        # whole status bar on every progress report
        self.label.setFixedWidth(260)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)  # whole percents: the bar repaints only when the number changes
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
        #: the newest progress report, shown at the next tick: QProgressBar.setValue repaints at
        #: once, and a repaint in a window holding OpenGL views composes them all (on software
        #: OpenGL ~0.1 s), so one repaint per report froze the window while a job reported fast
        self._pending: tuple[float, str] | None = None
        handle.progress.connect(self._on_progress)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(TICK_MS)
        self._tick()

    def _on_progress(self, fraction: float, message: str) -> None:
        self._pending = (fraction, message)

    def _show_progress(self, fraction: float, message: str) -> None:
        value = int(round(fraction * 100))
        if value != self.bar.value():
            self.bar.setValue(value)
        text = f"{self.handle.title}: {message}" if message else self.handle.title
        shown = self.label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.label.width())
        if shown != self.label.text():
            self.label.setText(shown)
            self.label.setToolTip(text)

    def _tick(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._show_progress(*pending)
        elapsed = format_elapsed(self.handle.elapsed())
        if elapsed != self.elapsed.text():
            self.elapsed.setText(elapsed)

    def _cancel(self) -> None:
        self.handle.cancel()
        self.cancel_button.setEnabled(False)
        self.label.setText(f"{self.handle.title}: cancelling…")

    def stop(self) -> None:
        self._timer.stop()
