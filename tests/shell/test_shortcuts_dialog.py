"""Help > Keyboard shortcuts lists the menus' and every open panel's shortcuts, filters them,
and marks window-wide shortcuts with the same keys (Qt runs neither)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QPushButton


def _entries_by_keys(entries):
    out = {}
    for e in entries:
        out.setdefault(e.keys, []).append(e)
    return out


def _native(text: str) -> str:
    return QKeySequence(text).toString(QKeySequence.SequenceFormat.NativeText)


def test_menus_and_panel_shortcuts_are_listed(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    described = QShortcut(QKeySequence("Ctrl+K"), panel)
    described.setWhatsThis("Recompute the sums")
    button = QPushButton("Reset view", panel)
    button.setToolTip("Reset the plot's range (Alt+R)")
    QShortcut(QKeySequence("Alt+R"), panel)
    QShortcut(QKeySequence("R"), panel)  # "R" is no word of "Reset the plot's range (Alt+R)"
    scoped = QShortcut(QKeySequence("Ctrl+O"), panel)  # same keys as File > Open, but scoped
    scoped.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    scoped.setWhatsThis("Open something of the panel")
    by_keys = _entries_by_keys(main_window.shortcuts())
    assert [(e.where, e.action) for e in by_keys[_native("Ctrl+E")]] == [("File", "Export figure…")]
    assert ("View", "Jobs") in [(e.where, e.action) for e in by_keys[_native("Ctrl+J")]]
    assert ("Help", "Keyboard shortcuts…") in [(e.where, e.action) for e in by_keys[_native("F1")]]
    assert [(e.where, e.action) for e in by_keys[_native("Ctrl+K")]] == [("Sample (tests)", "Recompute the sums")]
    assert [e.action for e in by_keys[_native("Alt+R")]] == ["Reset view"]
    assert [e.action for e in by_keys[_native("R")]] == ["(no description)"]
    open_entries = {
        e.action: e
        for e in by_keys[QKeySequence(QKeySequence.StandardKey.Open).toString(QKeySequence.SequenceFormat.NativeText)]
    }
    assert not open_entries["Open session…"].ambiguous and not open_entries["Open something of the panel"].ambiguous


def test_window_wide_duplicates_are_marked_ambiguous(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    clash = QShortcut(QKeySequence("Ctrl+J"), panel)  # window-wide, as View > Jobs
    clash.setWhatsThis("Jump")
    entries = _entries_by_keys(main_window.shortcuts())[_native("Ctrl+J")]
    assert {e.action for e in entries} == {"Jobs", "Jump"} and all(e.ambiguous for e in entries)
    assert not any(e.ambiguous for e in _entries_by_keys(main_window.shortcuts())[_native("F1")])


def test_help_menu_opens_the_dialog_and_the_filter_works(main_window, qtbot):
    from workbench.gui.shortcuts_dialog import KeyboardShortcutsDialog

    seen = {}

    def drive():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, KeyboardShortcutsDialog):
            QTimer.singleShot(20, drive)
            return
        seen["all"] = dlg.visible_rows()
        qtbot.keyClicks(dlg.filter, "session")
        seen["filtered"] = dlg.visible_rows()
        dlg.reject()

    QTimer.singleShot(0, drive)
    act = next(a for a in main_window.menuBar().actions() if a.text() == "&Help").menu().actions()[0]
    assert act.text() == "Keyboard shortcuts…"
    act.trigger()
    assert len(seen["all"]) >= 8
    assert seen["filtered"] and all("session" in " ".join(r).lower() for r in seen["filtered"])
    assert len(seen["filtered"]) < len(seen["all"])


@pytest.mark.parametrize("pid", ["quiver", "bundle", "repsim", "adversarial", "micrograph", "equivariant", "concepts"])
def test_every_shortcut_of_a_first_party_panel_is_listed(main_window, qtbot, pid):
    panel = main_window.open_panel(pid)
    assert panel is not None, main_window.errors_shown
    title = main_window.record(pid).title
    listed = {e.keys for e in main_window.shortcuts() if e.where == title}
    keys = {
        s.key().toString(QKeySequence.SequenceFormat.NativeText)
        for s in panel.findChildren(QShortcut)
        if s.isEnabled() and not s.key().isEmpty()
    }
    assert keys <= listed, keys - listed
    qtbot.waitUntil(panel.is_idle, timeout=120000)


def test_first_party_panels_share_keys_without_ambiguity(main_window, qtbot):
    """Every first-party panel open at once: no two shortcuts are ambiguous (Ctrl+Return runs
    the panel that has the focus; before, repsim's and the PGD panel's were both window-wide and
    Qt ran neither); the panels' shortcuts act where the focus is."""
    pids = ["quiver", "bundle", "repsim", "adversarial", "micrograph", "diffusion_id", "equivariant", "concepts"]
    panels = {pid: main_window.open_panel(pid) for pid in pids}
    assert all(p is not None for p in panels.values()), main_window.errors_shown
    for p in panels.values():
        qtbot.waitUntil(p.is_idle, timeout=180000)
    ambiguous = [(e.where, e.action, e.keys) for e in main_window.shortcuts() if e.ambiguous]
    assert not ambiguous, ambiguous
    run = [s for s in panels["repsim"].findChildren(QShortcut) if s.key() == QKeySequence("Ctrl+Return")]
    assert run and all(s.context() == Qt.ShortcutContext.WidgetWithChildrenShortcut for s in run)
