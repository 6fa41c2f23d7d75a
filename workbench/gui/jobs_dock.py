"""View > Jobs: every job the panels ran in this session, running, queued and finished, with
its panel, how long it waited and ran, its state, progress and error (the last
:data:`KEEP_FINISHED` finished ones are kept).  A running or queued job can be cancelled here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.job_status import format_elapsed
from workbench.gui.jobrunner import JobHandle

#: finished, failed and cancelled jobs kept in the list (older ones are dropped)
KEEP_FINISHED = 200
COLUMNS = ("Job", "Panel", "State", "Waited", "Ran", "Progress", "Message / error")
_STATE_COLOURS = {"failed": "#c62828", "cancelled": "#8a6d3b", "running": "#1565c0"}


def duration(seconds: float) -> str:
    """A job's duration as the list shows it: ``0.42 s``, ``12.3 s``, then ``m:ss``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return format_elapsed(seconds)


class JobsDock(QDockWidget):
    """A dock listing jobs (``track(handle)`` adds one); ``panel_title(owner)`` names panels."""

    def __init__(self, panel_title: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__("Jobs", parent)
        self.setObjectName("dock-jobs")
        self._panel_title = panel_title
        self.handles: dict[int, JobHandle] = {}
        self.items: dict[int, QTreeWidgetItem] = {}
        self._order: list[int] = []  # job ids, oldest first
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        self.tree = QTreeWidget()
        self.tree.setObjectName("jobs-list")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        for col, width in enumerate((220, 150, 80, 60, 60, 70)):
            self.tree.setColumnWidth(col, width)
        self.tree.itemSelectionChanged.connect(self._show_details)
        self.details = QPlainTextEdit()
        self.details.setObjectName("jobs-details")
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a job to see its full message or error.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        # the list first; the details pane a few lines (it scrolls)
        self.details.setMaximumHeight(self.details.fontMetrics().lineSpacing() * 5 + 12)
        bar = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel selected")
        self.cancel_button.setToolTip("Cancel the selected running or queued jobs")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.clear_finished)
        bar.addWidget(self.cancel_button)
        bar.addStretch(1)
        bar.addWidget(self.clear_button)
        layout.addWidget(split, 1)
        layout.addLayout(bar)
        self.setWidget(body)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

    # ---- jobs ---------------------------------------------------------------------------
    def track(self, handle: JobHandle) -> None:
        item = QTreeWidgetItem([handle.title, self._panel_title(handle.owner), handle.state, "", "", "", ""])
        item.setData(0, Qt.ItemDataRole.UserRole, handle.id)
        item.setToolTip(0, handle.title)
        self.handles[handle.id] = handle
        self.items[handle.id] = item
        self._order.append(handle.id)
        self.tree.addTopLevelItem(item)
        # progress is shown by the clock (once a second), not per report: see JobStatusWidget
        handle.started.connect(lambda h=handle: self._refresh(h))
        handle.done.connect(lambda h=handle: self._ended(h))
        self._refresh(handle)
        if not self._clock.isActive():
            self._clock.start()

    def running(self) -> list[JobHandle]:
        """Jobs that are queued or running."""
        return [h for h in self.handles.values() if not h.is_done]

    def row(self, job_id: int) -> dict[str, str]:
        """The texts of a job's row by column name (what the user reads)."""
        item = self.items[job_id]
        return {name: item.text(col) for col, name in enumerate(COLUMNS)}

    def _refresh(self, h: JobHandle) -> None:
        item = self.items.get(h.id)
        if item is None:
            return
        item.setText(2, h.state)
        item.setText(3, duration(h.waited()))
        item.setText(4, duration(h.elapsed()) if h.started_at is not None else "")
        item.setText(5, f"{h.fraction * 100:.0f}%" if h.started_at is not None else "")
        text = h.error if h.state == "failed" else h.message
        item.setText(6, text.splitlines()[0] if text else "")
        item.setToolTip(6, text)
        colour = _STATE_COLOURS.get(h.state)
        brush = QBrush(QColor(colour)) if colour else QBrush()
        item.setForeground(2, brush)
        if h.state == "failed":
            item.setForeground(6, brush)
        if item.isSelected():
            self._show_details()

    def _ended(self, h: JobHandle) -> None:
        self._refresh(h)
        finished = [i for i in self._order if self.handles[i].is_done]
        for job_id in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            self._drop(job_id)
        if not self.running():
            self._clock.stop()

    def _drop(self, job_id: int) -> None:
        item = self.items.pop(job_id)
        self.handles.pop(job_id)
        self._order.remove(job_id)
        self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))

    def _tick(self) -> None:
        if not self.isVisible():
            return  # nothing to repaint; shown rows are refreshed when it becomes visible
        for h in self.running():
            self._refresh(h)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        for h in self.running():
            self._refresh(h)

    def cancel_selected(self) -> None:
        for item in self.tree.selectedItems():
            h = self.handles.get(item.data(0, Qt.ItemDataRole.UserRole))
            if h is not None and not h.is_done:
                h.cancel()
                item.setText(6, "cancelling…")

    def clear_finished(self) -> None:
        for job_id in [i for i in self._order if self.handles[i].is_done]:
            self._drop(job_id)

    def _show_details(self) -> None:
        lines = []
        for item in self.tree.selectedItems()[:20]:
            h = self.handles.get(item.data(0, Qt.ItemDataRole.UserRole))
            if h is None:
                continue
            lines.append(f"{h.title}  [{self._panel_title(h.owner)}]  {h.state}")
            lines.append(f"  waited {h.waited():.2f} s, ran {h.elapsed():.2f} s")
            if h.message:
                lines.append(f"  last message: {h.message}")
            if h.error:
                lines.append(f"  error: {h.error}")
        self.details.setPlainText("\n".join(lines))

    def stop(self) -> None:
        """Stop the clock that updates running jobs' durations (window closing)."""
        self._clock.stop()
