"""Keyboard shortcuts of the quiver editor, active anywhere in the panel.

They are QShortcuts and, for windows that are not active (tests, a floating dock), the same
keys are handled by :meth:`KeyMap.handle` from the panel's ``keyPressEvent``; Qt never
delivers both for one key press."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # pragma: no cover
    from .host import QuiverHost

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def editor_keys(p: QuiverHost) -> dict[tuple[int, int], Callable[[], object]]:
    """(key, modifiers) -> action of the editor."""
    K = Qt.Key
    return {
        (K.Key_E, 0): lambda: p.set_mode("edit"),
        (K.Key_M, 0): lambda: p.set_mode("mutate"),
        (K.Key_V, 0): lambda: p.set_mode("move"),
        (K.Key_R, 0): p.random_mutation,
        (K.Key_W, 0): lambda: p.toolbar.walk_action.toggle(),
        (K.Key_F, 0): p.canvas.zoom_to_fit,
        (K.Key_L, 0): p.apply_layout,
        (K.Key_T, 0): lambda: p.canvas.toggle_frozen(),
        (K.Key_Z, CTRL.value): p.undo,
        (K.Key_Z, (CTRL | SHIFT).value): p.redo,
        (K.Key_Y, CTRL.value): p.redo,
        (K.Key_O, CTRL.value): p._open_dialog,
        (K.Key_S, CTRL.value): p._save_dialog,
    }


class KeyMap:
    """Shortcuts of one widget (and its children) with a key-press fallback."""

    def __init__(self, widget: QWidget, keys: dict[tuple[int, int], Callable[[], object]]) -> None:
        self.keys = keys
        for (key, mods), fn in keys.items():
            s = QShortcut(QKeySequence(mods | key), widget)
            s.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            s.activated.connect(fn)

    def handle(self, event: QKeyEvent) -> bool:
        """Run the action of a key press; False when the key has none."""
        mods = event.modifiers() & (CTRL | SHIFT)
        fn = self.keys.get((event.key(), mods.value))
        if fn is None:
            return False
        fn()
        event.accept()
        return True
