"""A field to type a mutation sequence (``1 3 2 1``: vertex labels) and play it on the quiver,
animated (one mutation every :data:`STEP_MS`) or a step at a time.

Every step is a mutation on the document's command stack (animated on the canvas, in the
History tab, undoable one by one).  The text is read when playing starts: tokens are vertex
labels separated by spaces or commas (a leading ``μ`` or ``mu`` is allowed); a token that
names no vertex, or a frozen one, is refused with a message saying which, and nothing is
mutated.  An edit of the quiver other than a mutation (a new vertex, an arrow, a load)
stops the playback and starts the sequence again from its first step.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from .model import QuiverDocument

#: milliseconds between two mutations while playing
STEP_MS = 400
_SPLIT = re.compile(r"[\s,;]+")


def parse_sequence(text: str, doc: QuiverDocument) -> list[int]:
    """Document vertex indices of a typed sequence of labels; ValueError naming the first bad
    token (no such vertex, a frozen vertex) or saying the sequence is empty."""
    tokens = [t for t in _SPLIT.split(text.strip()) if t]
    if not tokens:
        raise ValueError("type a mutation sequence: vertex labels separated by spaces, e.g. 1 3 2 1")
    where = {label: i for i, label in enumerate(doc.labels)}
    out = []
    for pos, raw in enumerate(tokens, 1):
        tok = (
            raw[1:]
            if raw.startswith("\u03bc")
            else (raw[2:] if raw.lower().startswith("mu") and raw[2:] in where else raw)
        )
        if tok not in where:
            known = ", ".join(doc.labels[:12]) + (", \u2026" if doc.size > 12 else "")
            raise ValueError(f"step {pos}: no vertex is labelled {raw!r} (the vertices are {known or 'none'})")
        v = where[tok]
        if doc.frozen[v]:
            raise ValueError(f"step {pos}: vertex {tok} is frozen and cannot be mutated")
        out.append(v)
    return out


class SequencePlayer(QWidget):
    """The field and its Play / Step buttons; ``mutate(k) -> bool`` mutates document vertex k
    through the command stack; ``message(str)`` says what happened or why not."""

    message = Signal(str)

    def __init__(self, doc: QuiverDocument, mutate: Callable[[int], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._mutate = mutate
        self.steps: list[int] = []
        #: how many steps of ``steps`` are applied
        self.position = 0
        self._own = False
        self.field = QLineEdit()
        self.field.setObjectName("quiver-sequence")
        self.field.setPlaceholderText("mutation sequence, e.g. 1 3 2 1")
        self.field.setToolTip(
            "Vertex labels to mutate at, in order (spaces or commas between them). Play "
            f"mutates along them, one every {STEP_MS / 1000:.1f} s; Step one at a time; "
            "each step is undoable"
        )
        self.field.returnPressed.connect(self.play)
        self.field.textEdited.connect(lambda _t: self.rewind())
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Mutate along the sequence, animated (click again to stop)")
        self.play_button.toggled.connect(self._play_toggled)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Apply the next mutation of the sequence")
        self.step_button.clicked.connect(self.step)
        self.where = QLabel("")
        self.timer = QTimer(self)
        self.timer.setInterval(STEP_MS)
        self.timer.timeout.connect(self._tick)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(QLabel("Mutate along"))
        lay.addWidget(self.field, 1)
        lay.addWidget(self.play_button)
        lay.addWidget(self.step_button)
        lay.addWidget(self.where)
        doc.subscribe(self._on_doc)

    # ---- control ---------------------------------------------------------------------------
    def _load(self) -> bool:
        """Read the field when starting from its first step; False (message sent) if refused."""
        if self.steps and self.position < len(self.steps):
            return True
        try:
            self.steps = parse_sequence(self.field.text(), self.doc)
        except ValueError as exc:
            self.steps = []
            self.message.emit(f"sequence refused: {exc}")
            return False
        self.position = 0
        return True

    def rewind(self) -> None:
        """Stop and start the sequence again from its first step (the text changed, or the quiver)."""
        self.play_button.setChecked(False)
        self.steps, self.position = [], 0
        self.where.setText("")

    def play(self) -> None:
        self.play_button.setChecked(True)

    def stop(self) -> None:
        self.play_button.setChecked(False)

    def _play_toggled(self, on: bool) -> None:
        if not on:
            self.timer.stop()
            self.play_button.setText("Play")
            return
        if not self._load():
            self.play_button.setChecked(False)
            return
        self.play_button.setText("Stop")
        self.step()
        if self.play_button.isChecked():
            self.timer.start()

    def _tick(self) -> None:
        if not self.step():
            self.stop()

    def step(self) -> bool:
        """Apply the next step; False when there is none (or it was refused)."""
        if not self._load():
            return False
        if self.position >= len(self.steps):
            self.stop()
            return False
        k = self.steps[self.position]
        self._own = True
        try:
            ok = self._mutate(k)
        finally:
            self._own = False
        if not ok:
            self.stop()
            return False
        self.position += 1
        done = self.position >= len(self.steps)
        self.where.setText(f"{self.position}/{len(self.steps)}")
        self.message.emit(
            f"sequence step {self.position}/{len(self.steps)}: \u03bc{self.doc.labels[k]}" + (" (done)" if done else "")
        )
        if done:
            self.stop()
            self.steps, self.position = [], 0  # the next Play starts again from the first step
        return True

    def _on_doc(self, event: str, info: dict) -> None:
        if self._own or event in ("mutated", "history", "positions"):
            return
        if self.steps:
            self.rewind()
