"""Help > Keyboard shortcuts: every key sequence of the window's menus and of every open
panel (its QActions and QShortcuts), in one filterable table.

A panel's QShortcut has no text of its own; it is described by its ``whatsThis``, else by the
panel's QAction or button that has the same key (in its shortcut, or as a word of its text or
tooltip), else it is listed as "(no description)".  Two shortcuts with the same keys that are both active in
the whole window (Qt's WindowShortcut or ApplicationShortcut context) are marked as
*ambiguous*: Qt then runs neither of them."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

WINDOW_WIDE = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)


@dataclass
class ShortcutEntry:
    """One shortcut: where it acts, what it does, its keys (native text) and Qt context."""

    where: str
    action: str
    keys: str
    context: Qt.ShortcutContext
    ambiguous: bool = False


def _keys(sequences: list[QKeySequence]) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty())


def _clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").split("\t")[0].strip()


def _menu_entries(menu: QMenu, path: str) -> list[ShortcutEntry]:
    out = []
    for act in menu.actions():
        if act.isSeparator():
            continue
        sub = act.menu()
        if isinstance(sub, QMenu):
            out += _menu_entries(sub, f"{path} > {_clean(act.text())}")
            continue
        keys = _keys(act.shortcuts())
        if keys:
            out.append(ShortcutEntry(path, _clean(act.text()), keys, act.shortcutContext()))
    return out


def _describe(shortcut: QShortcut, panel: QWidget) -> str:
    if shortcut.whatsThis():
        return shortcut.whatsThis()
    key = shortcut.key()
    native = key.toString(QKeySequence.SequenceFormat.NativeText)
    portable = key.toString(QKeySequence.SequenceFormat.PortableText)
    for act in panel.findChildren(QAction):
        if key in act.shortcuts() and _clean(act.text()):
            return _clean(act.text())
    # the key as a whole word: "R" in "Random (R)" but not in "Redo", "Ctrl+S" not in "Ctrl+Shift+Z"
    pattern = re.compile("|".join(rf"(?<![\w+]){re.escape(k)}(?![\w+])" for k in {native, portable} if k))
    for button in panel.findChildren(QAbstractButton):
        tip = button.toolTip()
        if native and (pattern.search(tip) or pattern.search(button.text())):
            return _clean(button.text()) or tip.splitlines()[0]
    return "(no description)"


def collect_shortcuts(window: QMainWindow, panels: dict[str, QWidget], titles: dict[str, str]) -> list[ShortcutEntry]:
    """Every shortcut of ``window``'s menu bar and of ``panels`` (id -> panel widget),
    ``titles`` naming the panels; ambiguous ones marked."""
    entries: list[ShortcutEntry] = []
    for act in window.menuBar().actions():
        menu = act.menu()
        if isinstance(menu, QMenu):
            entries += _menu_entries(menu, _clean(act.text()))
    panel_widgets = set(panels.values())

    def in_panel(obj: QWidget | None) -> bool:
        while obj is not None:
            if obj in panel_widgets:
                return True
            obj = obj.parentWidget()
        return False

    for sc in window.findChildren(QShortcut):
        parent = sc.parent()
        if sc.isEnabled() and not (isinstance(parent, QWidget) and in_panel(parent)):
            entries.append(ShortcutEntry("Main window", _describe(sc, window), _keys([sc.key()]), sc.context()))
    for pid, panel in panels.items():
        where = titles.get(pid, pid)
        seen: set[tuple[str, str]] = set()
        for act in panel.findChildren(QAction):
            keys = _keys(act.shortcuts())
            if keys and _clean(act.text()):
                seen.add((keys, _clean(act.text())))
                entries.append(ShortcutEntry(where, _clean(act.text()), keys, act.shortcutContext()))
        for sc in panel.findChildren(QShortcut):
            keys = _keys([sc.key()])
            if not keys or not sc.isEnabled():
                continue
            what = _describe(sc, panel)
            if (keys, what) not in seen:
                seen.add((keys, what))
                entries.append(ShortcutEntry(where, what, keys, sc.context()))
    by_keys: dict[str, list[ShortcutEntry]] = defaultdict(list)
    for e in entries:
        if e.context in WINDOW_WIDE:
            by_keys[e.keys].append(e)
    for same in by_keys.values():
        if len(same) > 1:
            for e in same:
                e.ambiguous = True
    return entries


class KeyboardShortcutsDialog(QDialog):
    """The table of :func:`collect_shortcuts`, with a filter."""

    def __init__(self, entries: list[ShortcutEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.entries = entries
        layout = QVBoxLayout(self)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by action, key or panel")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.table = QTableWidget(len(entries), 3)
        self.table.setObjectName("shortcuts-table")
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "Where"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, e in enumerate(entries):
            action = e.action + ("  (ambiguous: another shortcut has the same keys)" if e.ambiguous else "")
            for col, text in enumerate((e.keys, action, e.where)):
                item = QTableWidgetItem(text)
                if e.ambiguous:
                    item.setForeground(QColor("#c62828"))
                    item.setToolTip("Qt runs neither of two window-wide shortcuts with the same keys")
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(640, 520)

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row, e in enumerate(self.entries):
            hay = f"{e.keys} {e.action} {e.where}".lower()
            self.table.setRowHidden(row, bool(needle) and needle not in hay)

    def visible_rows(self) -> list[list[str]]:
        """The rows shown (keys, action, where)."""
        rows = []
        for r in range(self.table.rowCount()):
            if not self.table.isRowHidden(r):
                rows.append([item.text() if (item := self.table.item(r, c)) is not None else "" for c in range(3)])
        return rows
