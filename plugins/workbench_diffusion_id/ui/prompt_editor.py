"""The prompt list editor: a text box (one prompt per line; ``#`` comments), a line to add a
prompt, and buttons to paste from the clipboard, load a text file and save one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..state import parse_prompts

TEXT_FILES = "Text files (*.txt);;All files (*)"


class PromptEditor(QWidget):
    """Edits the prompt list; ``on_error(title, message)`` reports unreadable files."""

    def __init__(self, on_error: Callable[[str, str], None]) -> None:
        super().__init__()
        self.on_error = on_error
        self.text = QPlainTextEdit()
        self.text.setObjectName("prompts")
        self.text.setMinimumHeight(120)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.new = QLineEdit()
        self.new.setPlaceholderText("a new prompt (Return adds it)")
        self.new.returnPressed.connect(self.add_current)
        self.add_btn = QPushButton("Add")
        self.add_btn.setMaximumWidth(56)
        self.add_btn.clicked.connect(self.add_current)
        self.paste_btn = QPushButton("Paste")
        self.paste_btn.setToolTip("append the clipboard's lines as prompts")
        self.paste_btn.clicked.connect(self.paste)
        self.load_btn = QPushButton("Load…")
        self.load_btn.setToolTip("replace the prompts with a text file's lines")
        self.load_btn.clicked.connect(self._load_dialog)
        self.save_btn = QPushButton("Save…")
        self.save_btn.setToolTip("save the prompts as a text file, one per line")
        self.save_btn.clicked.connect(self._save_dialog)
        self.count = QLabel("")
        self.count.setObjectName("prompt_count")
        self.text.textChanged.connect(self._count)

        add_row = QHBoxLayout()
        add_row.addWidget(self.new, 1)
        add_row.addWidget(self.add_btn)
        buttons = QHBoxLayout()
        for b in (self.paste_btn, self.load_btn, self.save_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.text, 1)
        lay.addLayout(add_row)
        lay.addLayout(buttons)
        self._count()

    def _count(self) -> None:
        try:
            n = len(parse_prompts(self.text.toPlainText()))
            self.count.setText(f"{n} prompt{'s' if n != 1 else ''}")
        except ValueError as exc:
            self.count.setText(str(exc).split(":")[0])

    def append_lines(self, lines: list[str]) -> None:
        """Append non-empty ``lines`` as prompts (one per line)."""
        lines = [ln.strip() for ln in lines if ln.strip()]
        if not lines:
            return
        current = self.text.toPlainText().rstrip("\n")
        self.text.setPlainText((current + "\n" if current else "") + "\n".join(lines))

    def add_current(self) -> None:
        self.append_lines([self.new.text()])
        self.new.clear()

    def paste(self) -> None:
        self.append_lines(QGuiApplication.clipboard().text().splitlines())

    def load(self, path: str | Path) -> bool:
        """Replace the prompts with the lines of a text file; False (and a message) if unreadable."""
        from workbench.errors import read_text

        try:
            text = read_text(str(path))
            parse_prompts(text)
        except (OSError, ValueError) as exc:
            self.on_error("Load prompts", f"{path}: {exc}" if str(path) not in str(exc) else str(exc))
            return False
        self.text.setPlainText(text.rstrip("\n"))
        return True

    def save(self, path: str | Path) -> bool:
        try:
            Path(path).write_text(self.text.toPlainText().rstrip("\n") + "\n", encoding="utf-8")
        except OSError as exc:
            self.on_error("Save prompts", f"{path}: {exc}")
            return False
        return True

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load prompts", "", TEXT_FILES)
        if path:
            self.load(path)

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save prompts", "prompts.txt", TEXT_FILES)
        if path:
            self.save(path)
