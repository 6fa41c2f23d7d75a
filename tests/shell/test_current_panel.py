"""File > Export figure exports the panel the user is looking at: the one with the keyboard
focus, else the dock in front of its tab group (a tab clicked), with a chooser of that
panel's figures."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QTabBar


@pytest.fixture
def window(qtbot, slow_plugins, monkeypatch):
    from workbench.gui.main_window import MainWindow

    monkeypatch.setenv("WBTEST_SLOW_IMPORT_S", "0")
    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    sample = w.open_panel("sample")
    w.open_panel("slow")  # same dock area: tabbed, in front of the sample panel
    qtbot.waitUntil(lambda: w.is_loading() is False and all(p.is_idle() for p in w.panels.values()), timeout=10000)
    yield w
    w.shutdown()
    assert sample is not None


def _click_tab(qtbot, window, title: str) -> None:
    for bar in window.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title and bar.isVisible():
                qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())
                return
    raise AssertionError(f"no visible tab {title!r}")


def _export_dialog_figures(window) -> list[str] | None:
    """File > Export figure…: the names the dialog offers (None when it said there is nothing)."""
    from workbench.gui.dialogs import ExportDialog

    seen: list = []
    finished = []

    def drive():
        if finished:
            return
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, ExportDialog):
            QTimer.singleShot(20, drive)
            return
        seen.append(([f.name for f in dlg.figures_list], dlg.windowTitle(), dlg.figure.itemText(0)))
        dlg.reject()

    errors_before = len(window.errors_shown)
    QTimer.singleShot(0, drive)
    window.export_action.trigger()
    finished.append(True)  # no dialog came (nothing to export): stop looking for one
    if len(window.errors_shown) > errors_before:
        return None
    return seen[0]


def test_the_dock_in_front_of_a_tab_group_is_exported(window, qtbot):
    assert window._in_front("slow") and not window._in_front("sample")
    assert window.current_panel() is window.panels["slow"]
    assert _export_dialog_figures(window) is None  # the slow panel has no figure
    assert window.errors_shown[-1] == ("Nothing to export", "The panel 'Slow (tests)' has no figure to export yet.")
    _click_tab(qtbot, window, "Sample (tests)")  # the user brings the sample panel to the front
    qtbot.waitUntil(lambda: window._in_front("sample"), timeout=3000)
    assert window.current_panel() is window.panels["sample"]
    names, title, label = _export_dialog_figures(window)
    assert names == ["harmonic"] and title == "Export figure \u2014 Sample (tests)" and label == "harmonic"
    _click_tab(qtbot, window, "Slow (tests)")
    qtbot.waitUntil(lambda: window._in_front("slow"), timeout=3000)
    assert window.current_panel() is window.panels["slow"]


def test_the_focused_panel_wins_over_the_last_one_in_front(window, qtbot):
    sample = window.panels["sample"]
    window.splitDockWidget(window.docks["sample"], window.docks["slow"], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: window._in_front("sample") and window._in_front("slow"), timeout=3000)
    window.activateWindow()
    sample.n.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is sample.n, timeout=3000)
    window._last_panel = "slow"  # e.g. the slow panel was brought to the front last
    assert window.current_panel() is sample
    names, _title, _label = _export_dialog_figures(window)
    assert names == ["harmonic"]


def test_hidden_and_loading_panels_are_never_current(window, qtbot):
    window.view_actions["slow"].setChecked(False)
    qtbot.waitUntil(lambda: window._in_front("sample"), timeout=3000)
    assert window.current_panel() is window.panels["sample"]
    window._close_panels(["slow"])
    window.open_panel("slow", wait=False)  # loading: a placeholder in front, no panel yet
    assert window.current_panel() is window.panels["sample"]
    qtbot.waitUntil(lambda: "slow" in window.panels, timeout=10000)
