"""A bounded random-GUI-events driver ("monkey") for one panel: real mouse and key events
(QTest) on the panel's visible, enabled widgets, chosen with a seeded generator, so a failure
replays from its seed and event number.

What it does, per event: picks a visible enabled widget of the panel and acts on it as a user
would: clicks a button or a check box, steps a combo box with the arrow keys, types into a line
edit or a spin box (numbers, huge numbers, negatives, garbage, empty) and presses Return, moves a
slider with the keys, switches tabs, clicks, drags or scrolls on a canvas or a plot, or presses
one of the common shortcuts (undo, redo, Delete, Escape).  Modal dialogs never block it:
:func:`patch_dialogs` makes file dialogs return nothing or a bad file, message boxes and menus
return at once.  Every exception that reaches Qt's event loop is recorded (``errors``).
"""

from __future__ import annotations

import os
import random
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
    QTextEdit,
    QToolButton,
    QWidget,
)

#: WORKBENCH_FUZZ_TRACE=1: print every event as it is sent (to find a hang)
TRACE = bool(os.environ.get("WORKBENCH_FUZZ_TRACE"))
TEXTS = (
    "0",
    "1",
    "-1",
    "3",
    "17",
    "0.5",
    "1e300",
    "-1e300",
    "nan",
    "inf",
    "99999999999999999999",
    "",
    "abc",
    "1 2 3",
    "(",
    "sin()",
    "u + cos(kx)",
    "a photo of a red circle",
    "\u00e9\u00e8\u4e2d",
)
KEYS = (
    (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier),
)


@dataclass
class Monkey:
    """Random events on ``root`` and its children, seeded (``seed``); ``files``: paths a
    patched file dialog may return (bad files, missing ones)."""

    root: QWidget
    seed: int = 0
    files: tuple[str, ...] = ()
    errors: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # ---------------------------------------------------------------------- widgets
    def targets(self) -> list[QWidget]:
        out: list[QWidget] = []
        for w in self.root.findChildren(QWidget):
            if not (w.isVisible() and w.isEnabled()) or w.width() < 2 or w.height() < 2:
                continue
            if isinstance(w, QLineEdit) and isinstance(w.parent(), (QAbstractSpinBox, QComboBox)):
                continue  # the editor inside a spin box or an editable combo: acted on through it
            out.append(w)
        return out

    def _interactive(self, w: QWidget) -> bool:
        kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QAbstractSlider, QTabBar, QPlainTextEdit)
        if isinstance(w, QTextEdit) and not w.isReadOnly():
            return True
        if isinstance(w, kinds):
            return True
        name = type(w).__name__
        return any(k in name for k in ("Canvas", "GraphicsView", "PlotWidget", "GraphicsLayoutWidget"))

    # ---------------------------------------------------------------------- events
    def step(self, i: int) -> None:
        pool = [w for w in self.targets() if self._interactive(w)]
        if not pool:
            return
        w = self.rng.choice(pool)
        what = f"#{i} {type(w).__name__} {w.objectName() or ''} {self._label(w)!r}"
        self.log.append(what)
        if TRACE:
            print(what, file=sys.stderr, flush=True)
        try:
            self._act(w)
        except RuntimeError as exc:  # the widget was deleted by an earlier event of this step
            if "already deleted" not in str(exc):
                raise

    def _label(self, w: QWidget) -> str:
        for attr in ("text", "currentText", "toolTip"):
            f = getattr(w, attr, None)
            if callable(f):
                try:
                    t = f()
                except Exception:  # noqa: BLE001 - a label is only for the log
                    continue
                if isinstance(t, str) and t:
                    return t[:40]
        return ""

    def _point(self, w: QWidget) -> QPoint:
        return QPoint(self.rng.randrange(max(1, w.width())), self.rng.randrange(max(1, w.height())))

    def _act(self, w: QWidget) -> None:
        r = self.rng
        menu = w.menu() if isinstance(w, (QToolButton, QPushButton)) else None
        if menu is not None:  # Qt runs a button's menu modally in C++: choose one of its actions
            actions = _menu_actions(menu)
            if actions:
                r.choice(actions).trigger()
        elif isinstance(w, QAbstractButton):
            QTest.mouseClick(w, Qt.MouseButton.LeftButton)
        elif isinstance(w, QComboBox):
            w.setFocus()
            key = r.choice((Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_End, Qt.Key.Key_Home))
            QTest.keyClick(w, key)
        elif isinstance(w, (QAbstractSpinBox, QLineEdit)):
            w.setFocus()
            if isinstance(w, QAbstractSpinBox) and r.random() < 0.5:
                QTest.keyClick(w, r.choice((Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp)))
            else:
                QTest.keyClick(w, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
                _type(w, r.choice(TEXTS))
                QTest.keyClick(w, Qt.Key.Key_Return)
        elif isinstance(w, (QPlainTextEdit, QTextEdit)):
            w.setFocus()
            _type(w, r.choice(TEXTS))
            QTest.keyClick(w, r.choice((Qt.Key.Key_Return, Qt.Key.Key_Backspace, Qt.Key.Key_Up)))
        elif isinstance(w, QAbstractSlider):
            w.setFocus()
            keys = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_End)
            for _ in range(r.randint(1, 4)):
                QTest.keyClick(w, r.choice(keys))
        elif isinstance(w, QTabBar):
            if w.count():
                QTest.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.tabRect(r.randrange(w.count())).center())
        else:  # a canvas or a plot: click, double-click, drag, wheel, a shortcut
            target = w.viewport() if hasattr(w, "viewport") else w
            kind = r.random()
            if kind < 0.45:
                button = Qt.MouseButton.LeftButton if r.random() < 0.8 else Qt.MouseButton.MiddleButton
                QTest.mouseClick(target, button, pos=self._point(w))
            elif kind < 0.55:
                QTest.mouseDClick(target, Qt.MouseButton.LeftButton, pos=self._point(w))
            elif kind < 0.8:
                a, b = self._point(w), self._point(w)
                QTest.mousePress(target, Qt.MouseButton.LeftButton, pos=a)
                QTest.mouseMove(target, (a + b) / 2)
                QTest.mouseMove(target, b)
                QTest.mouseRelease(target, Qt.MouseButton.LeftButton, pos=b)
            else:
                key, mod = r.choice(KEYS)
                target.setFocus()
                QTest.keyClick(target, key, mod)

    def run(self, n: int, wait: Any) -> None:
        """``n`` events; ``wait(ms)`` lets the event loop run between them (qtbot.wait)."""
        old = sys.excepthook

        def hook(tp: type[BaseException], value: BaseException, tb: Any) -> None:
            where = self.log[-1] if self.log else "before the first event"
            self.errors.append(f"after {where}:\n" + "".join(traceback.format_exception(tp, value, tb)))

        sys.excepthook = hook
        try:
            for i in range(n):
                self.step(i)
                wait(self.rng.choice((0, 0, 1, 5, 20)))
                QApplication.processEvents()
        finally:
            sys.excepthook = old


def _menu_actions(menu: Any) -> list[Any]:
    """The enabled, visible actions of ``menu`` and its submenus (no separators)."""
    out = []
    for a in menu.actions():
        if a.isSeparator() or not a.isEnabled() or not a.isVisible():
            continue
        if a.menu() is not None:
            out += _menu_actions(a.menu())
        else:
            out.append(a)
    return out


def _type(w: QWidget, text: str) -> None:
    """Type ``text`` into ``w`` as key events (QTest only knows ASCII keys: other characters go
    as key events carrying their text, as an input method delivers them)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    for ch in text:
        if ch.isascii():
            QTest.keyClicks(w, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(w, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def patch_dialogs(monkeypatch: Any, rng: random.Random, files: tuple[str, ...]) -> None:
    """Modal dialogs return at once: file dialogs give nothing or one of ``files``, message
    boxes their default, input dialogs 'cancelled', menus and QDialog.exec nothing."""
    from PySide6.QtWidgets import QColorDialog, QDialog, QFileDialog, QInputDialog, QMenu, QMessageBox

    def pick(*_a: Any, **_k: Any) -> tuple[str, str]:
        return (rng.choice(files) if files and rng.random() < 0.5 else "", "")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(pick))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([], "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: pick()[0]))
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False)))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (0, False)))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("", False)))
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: __import__("PySide6").QtGui.QColor()))
    monkeypatch.setattr(QDialog, "exec", lambda self, *a, **k: 0)
    monkeypatch.setattr(QMessageBox, "exec", lambda self, *a, **k: int(QMessageBox.StandardButton.No.value))
    monkeypatch.setattr(QMenu, "exec", lambda self, *a, **k: None)


def bad_files(folder: Any) -> tuple[str, ...]:
    """A few bad files for patched file dialogs: missing, empty, text posing as binary formats."""
    from pathlib import Path

    folder = Path(folder)
    out = [str(folder / "missing.safetensors")]
    for name, data in (
        ("empty.npz", b""),
        ("text.safetensors", b"not safetensors"),
        ("garbage.pt", b"\x80\x05garbage" * 5),
        ("text.npy", b"not an array"),
        ("bad.json", b"{not json"),
        ("bad.png", b"GIF89a not really"),
    ):
        (folder / name).write_bytes(data)
        out.append(str(folder / name))
    (folder / "empty_dir").mkdir(exist_ok=True)
    out.append(str(folder / "empty_dir"))
    return tuple(out)
