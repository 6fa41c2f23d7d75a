"""The mutation history list: the start quiver, then one row per mutation; click a row to
go back (or forward) to that step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from workbench_quiver.ui.model import QuiverDocument


class HistoryView(QWidget):
    """Shows ``doc.history``; emits :attr:`go_to` with the step index (0 = start)."""

    go_to = Signal(int)

    def __init__(self, doc: QuiverDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.list = QListWidget()
        self.list.setObjectName("quiver-history")
        self.list.itemClicked.connect(self._clicked)
        self.list.setAlternatingRowColors(True)
        self.sequence = QLabel()
        self.sequence.setWordWrap(True)
        self.sequence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        copy = QPushButton("Copy sequence")
        copy.setToolTip("Copy the mutation sequence (vertex labels, comma separated) to the clipboard")
        copy.clicked.connect(self._copy)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(QLabel("Mutations since the quiver was loaded or edited; click a step to go back to it."))
        lay.itemAt(0).widget().setWordWrap(True)
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.sequence, 1)
        row.addWidget(copy)
        lay.addLayout(row)
        doc.subscribe(self._on_doc)
        self.refresh()

    def _on_doc(self, event: str, info: dict) -> None:
        if event in ("history", "labels"):
            self.refresh()

    def labels_of_sequence(self) -> list[str]:
        h = self.doc.history
        return [self.doc.labels[k] if k < self.doc.size else str(k + 1) for k in h.sequence]

    def _style_row(self, row: int, pointer: int) -> None:
        item = self.list.item(row)
        font = QFont(item.font())
        font.setBold(row == pointer)
        item.setFont(font)
        item.setForeground(Qt.GlobalColor.gray if row > pointer else self.palette().text().color())

    def refresh(self) -> None:
        """Show the history; a mutation appended at the end only adds one row (long walks stay fast)."""
        h = self.doc.history
        names = self.labels_of_sequence()
        shown = self._shown if hasattr(self, "_shown") else None
        self.list.blockSignals(True)
        if (
            shown is not None
            and shown[0] == h.start_label
            and len(names) == len(shown[1]) + 1
            and names[:-1] == shown[1]
            and h.pointer == len(names)
        ):
            self.list.addItem(QListWidgetItem(f"{len(names)}   \u03bc{names[-1]}"))
            self._style_row(shown[2], h.pointer)
            self._style_row(len(names), h.pointer)
        else:
            self.list.clear()
            self.list.addItem(QListWidgetItem(f"0   {h.start_label}"))
            for step, name in enumerate(names, start=1):
                self.list.addItem(QListWidgetItem(f"{step}   \u03bc{name}"))
            for row in range(self.list.count()):
                self._style_row(row, h.pointer)
        self._shown = (h.start_label, list(names), h.pointer)
        self.list.setCurrentRow(h.pointer)
        self.list.blockSignals(False)
        applied = names[: h.pointer]
        text = " ".join(f"\u03bc{x}" for x in applied[-40:])
        shown = ("\u2026 " if len(applied) > 40 else "") + text if applied else "(none)"
        later = len(names) - h.pointer
        note = (
            f" ({h.pointer} of {len(names)} steps applied; the {later} grey one{'s' if later != 1 else ''} "
            "can be redone)"
            if later
            else ""
        )
        self.sequence.setText(f"sequence: {shown}{note}")

    def _clicked(self, item: QListWidgetItem) -> None:
        step = self.list.row(item)
        if step != self.doc.history.pointer:
            self.go_to.emit(step)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(",".join(self.labels_of_sequence()[: self.doc.history.pointer]))
