"""The log dock: everything jobs and the shell report, with level filter, copy and save."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

LEVELS = ("debug", "info", "warning", "error")
_COLOURS = {"debug": "#777777", "info": "", "warning": "#b36b00", "error": "#c62828"}


class LogDock(QDockWidget):
    """A dock holding the application log.  ``entries`` keeps every message (level, source, text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Log", parent)
        self.setObjectName("dock-log")
        self.entries: list[tuple[float, str, str, str]] = []
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        bar = QHBoxLayout()
        self.level = QComboBox()
        self.level.addItems(["info", "debug", "warning", "error"])
        self.level.setToolTip("Show messages of this level and above (debug shows tracebacks)")
        self.level.currentTextChanged.connect(self._refilter)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        save = QPushButton("Save…")
        save.clicked.connect(self._save)
        bar.addWidget(self.level)
        bar.addStretch(1)
        bar.addWidget(clear)
        bar.addWidget(save)
        layout.addLayout(bar)
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(20000)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.view)
        self.setWidget(body)

    def _visible(self, level: str) -> bool:
        current = self.level.currentText()
        return LEVELS.index(level if level in LEVELS else "info") >= LEVELS.index(current)

    def _append(self, stamp: float, level: str, source: str, message: str) -> None:
        fmt = QTextCharFormat()
        if _COLOURS.get(level):
            fmt.setForeground(QColor(_COLOURS[level]))
        prefix = time.strftime("%H:%M:%S", time.localtime(stamp))
        src = f" [{source}]" if source else ""
        cursor = self.view.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        text = f"{prefix} {level.upper():7s}{src} {message}"
        if self.view.document().isEmpty():
            cursor.insertText(text, fmt)
        else:
            cursor.insertBlock()
            cursor.insertText(text, fmt)
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().maximum())

    def log(self, message: str, level: str = "info", source: str = "") -> None:
        stamp = time.time()
        self.entries.append((stamp, level, source, message))
        if len(self.entries) > 50000:
            del self.entries[:10000]
        if self._visible(level):
            self._append(stamp, level, source, message)

    def text(self) -> str:
        return self.view.toPlainText()

    def clear(self) -> None:
        self.entries.clear()
        self.view.clear()

    def _refilter(self) -> None:
        self.view.clear()
        for stamp, level, source, message in self.entries[-5000:]:
            if self._visible(level):
                self._append(stamp, level, source, message)

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save log", "workbench.log", "Log (*.log *.txt)")
        if path:
            with open(path, "w") as fh:
                for stamp, level, source, message in self.entries:
                    fh.write(
                        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(stamp))} {level} {source} {message}\n"
                    )


__all__ = ["LogDock", "Qt"]
