"""The quiver editor's edit actions (a mixin of :class:`workbench_quiver.panel.QuiverPanel`):
mode, undo / redo, mutation, random mutations and walks drawn from the state's seed, mutation
sequences, renaming, history, layouts.  Every change of the quiver is a command on the
panel's :class:`~workbench_quiver.ui.model.CommandStack`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .layout import layout_positions
from .model import GoToHistory, MoveVertices, Relabel

if TYPE_CHECKING:  # pragma: no cover
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLabel

    from workbench_quiver.state import QuiverState

    from .canvas import QuiverCanvas
    from .model import CommandStack, QuiverDocument
    from .toolbar import QuiverToolbar

HINT = (
    "click: vertex \u00b7 drag vertex\u2192vertex: arrow (against an arrow: \u22121) \u00b7 "
    "right-drag: move \u00b7 right-click / Del: remove \u00b7 Shift/Ctrl-click: mutate \u00b7 "
    "Alt-click: freeze \u00b7 double-click: rename"
)
MODE_HINTS = {
    "edit": HINT,
    "mutate": "mutate mode: click a vertex to mutate at it (E: back to editing)",
    "move": "move mode: drag vertices (E: back to editing)",
}


def history_status(doc: QuiverDocument) -> str:
    """Where the quiver is in its mutation history, in words (the status line after a jump)."""
    h = doc.history
    total = len(h.sequence)
    names = [doc.labels[k] if k < doc.size else str(k) for k in h.sequence[: h.pointer]]
    where = f"history: step {h.pointer} of {total}"
    if h.pointer == 0:
        return f"{where}: the start ({h.start_label})" + (f"; {total} later steps can be redone" if total else "")
    seq = " ".join(f"\u03bc{x}" for x in names[-12:])
    later = (
        f"; {total - h.pointer} later step{'s' if total - h.pointer != 1 else ''} can be redone"
        if h.pointer < total
        else ""
    )
    more = "\u2026 " if len(names) > 12 else ""
    return f"{where}: {h.start_label} then {more}{seq}{later}"


class EditingMixin:
    """Edit actions; the host provides ``doc``, ``stack``, ``canvas``, ``state_model``,
    ``toolbar``, ``status_label`` and ``_walk_timer``."""

    doc: QuiverDocument
    stack: CommandStack
    canvas: QuiverCanvas
    state_model: QuiverState
    toolbar: QuiverToolbar
    status_label: QLabel
    _walk_timer: QTimer

    def _init_editing(self) -> None:
        self._last_random: int | None = None
        self._walk_left = 0
        self._reseed()

    def _reseed(self) -> None:
        """The random generator of mutations, walks and spring layouts, seeded by the state
        (a new seed, e.g. from a session, starts the sequence again)."""
        self._rng = np.random.default_rng(self.state_model.seed)

    # ---- modes, undo ---------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.state_model.mode = mode

    def _mode_changed(self, mode: str) -> None:
        """The state's mode changed: the canvas follows, the hint says what clicks do."""
        self.canvas.set_mode(mode)
        self._set_status(MODE_HINTS[mode])

    def undo(self) -> None:
        cmd = self.stack.undo()
        self._set_status(f"undid: {cmd.text}" if cmd else "nothing to undo")

    def redo(self) -> None:
        cmd = self.stack.redo()
        self._set_status(f"redid: {cmd.text}" if cmd else "nothing to redo")

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)

    # ---- mutations -------------------------------------------------------------------------
    def mutate(self, k: int) -> bool:
        """Mutate at document vertex ``k`` (animated, undoable)."""
        return self.canvas.mutate_at(k)

    def random_mutation(self) -> int | None:
        """Mutate at a random mutable vertex (never the one mutated just before, which would undo it)."""
        mutable = self.doc.mutable_vertices()
        choices = [v for v in mutable if v != self._last_random or len(mutable) == 1]
        if not choices:
            self._set_status("no mutable vertex to mutate")
            return None
        k = int(self._rng.choice(choices))
        if self.mutate(k):
            self._last_random = k
            return k
        return None

    def walk_toggled(self, on: bool) -> None:
        if on:
            self._walk_left = self.state_model.walk_steps
            self._walk_timer.start()
        else:
            self._walk_timer.stop()
            self._walk_left = 0

    def _walk_step(self) -> None:
        if self._walk_left <= 0 or self.random_mutation() is None:
            self.toolbar.walk_action.setChecked(False)
            return
        self._walk_left -= 1
        if self._walk_left <= 0:
            self.toolbar.walk_action.setChecked(False)

    def apply_sequence(self, vertices: list[int]) -> None:
        """Mutate along a sequence of document vertices (each step undoable, in the history)."""
        for k in vertices:
            if not self.canvas.mutate_at(int(k)):
                break
        else:
            self._set_status("applied " + " ".join(f"\u03bc{self.doc.labels[int(k)]}" for k in vertices))

    # ---- labels, history, layout -----------------------------------------------------------
    def rename_vertex(self, v: int, label: str) -> bool:
        label = label.strip()
        if not label:
            self._set_status("a vertex label cannot be empty")
            return False
        if label in self.doc.labels and self.doc.labels.index(label) != v:
            self._set_status(f"label {label!r} is already used by another vertex")
            return False
        self.stack.push(Relabel(v, label))
        return True

    def _rename_dialog(self, v: int) -> None:
        from PySide6.QtWidgets import QInputDialog

        label, ok = QInputDialog.getText(self, "Rename vertex", "Label:", text=self.doc.labels[v])  # type: ignore[arg-type]
        if ok:
            self.rename_vertex(v, label)

    def go_to_history(self, step: int) -> None:
        """Go to step ``step`` of the mutation history (undoable) and say where that is."""
        try:
            self.stack.push(GoToHistory(step))
        except ValueError as exc:
            self._set_status(str(exc))
            return
        self._set_status(history_status(self.doc))

    def apply_layout(self, kind: str | None = None) -> None:
        """Lay the vertices out again (undoable); a spring layout draws its seed from the
        panel's seeded generator."""
        kind = kind or self.state_model.layout
        if kind == "keep" or not self.doc.size:
            self._set_status("layout 'keep': positions unchanged")
            return
        seed = int(self._rng.integers(0, 2**31 - 1)) if kind == "spring" else 0
        new = layout_positions(self.doc.matrix, kind, seed=seed)
        old = dict(enumerate(self.doc.positions))
        self.stack.push(MoveVertices(old, dict(enumerate(new)), text=f"{kind} layout"))
        self.canvas.zoom_to_fit()
