"""A panel opened from a click builds in short event-loop turns (``Panel.build_in_steps``) and
redraws in short turns (``Panel.redraw_later``): issue 13's "no GUI-thread stall above 100 ms".
Opened synchronously (sessions, scripts, tests) the same panel is whole at once."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QTimer


@pytest.fixture
def window(qtbot, slow_plugins):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    qtbot.waitUntil(lambda: not w._importer.busy, timeout=10000)
    w.shutdown()


@pytest.fixture
def turns():
    """Counts event-loop turns into ``stepped_panel.TURN``: a 5 ms timer, overdue during each
    60 ms step, ticks between two steps only if the event loop ran between them."""
    from wbtest_slow import stepped_panel

    stepped_panel.TURNS.clear()
    stepped_panel.DOCKED.clear()
    stepped_panel.TURN[0] = 0
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(lambda: stepped_panel.TURN.__setitem__(0, stepped_panel.TURN[0] + 1))
    timer.start()
    yield stepped_panel
    timer.stop()


def test_a_click_builds_the_panel_one_step_per_turn_behind_the_placeholder(window, qtbot, turns):
    from workbench.gui.panel_loading import LoadingPlaceholder

    opened = []
    window.panel_opened.connect(opened.append)
    window.view_actions["stepped"].trigger()
    assert isinstance(window.docks["stepped"].widget(), LoadingPlaceholder)
    qtbot.waitUntil(lambda: "stepped" in window.panels, timeout=10000)
    panel = window.panels["stepped"]
    seen = turns.TURNS[0]
    assert len(seen) == 5 and len(set(seen)) == 5, f"steps shared event-loop turns: {seen}"
    assert turns.DOCKED[0] == [False] * 5  # behind the placeholder until the last step
    assert window.docks["stepped"].widget() is panel and len(panel.labels) == 5
    assert opened == ["stepped"] and not window.is_loading()
    qtbot.waitUntil(lambda: panel.started == 1, timeout=5000)
    log = [e[3] for e in window.log_dock.entries if "opened panel Stepped" in e[3]]
    assert log and "longest turn" in log[0]


def test_the_dock_gets_a_turn_of_its_own_after_the_last_step(window, qtbot, turns):
    docked_in: list[int] = []
    window.panel_opened.connect(lambda _pid: docked_in.append(turns.TURN[0]))
    window.view_actions["stepped"].trigger()
    qtbot.waitUntil(lambda: "stepped" in window.panels, timeout=10000)
    panel = window.panels["stepped"]
    assert panel.finished_turn > max(panel.turns)  # the code after the last yield: a turn of its own
    assert docked_in and docked_in[0] > panel.finished_turn  # and the dock's layout another


def test_a_synchronous_open_builds_every_step_at_once(window, turns):
    panel = window.open_panel("stepped", wait=True)
    assert panel is window.panels["stepped"] and len(panel.labels) == 5
    assert len(set(turns.TURNS[0])) == 1  # one turn
    assert panel.pending_build is None


def test_a_panel_constructed_directly_is_whole(qtbot, slow_plugins, standalone_shell, turns):
    panel = turns.SteppedPanel(standalone_shell)
    qtbot.addWidget(panel)
    assert len(panel.labels) == 5 and panel.pending_build is None


def test_a_session_finishes_a_panel_that_is_building_once(window, qtbot, turns):
    window.open_panel("stepped", wait=False)
    qtbot.waitUntil(lambda: len(turns.TURNS) == 1 and len(turns.TURNS[0]) >= 1, timeout=10000)
    panel = window.open_panel("stepped", wait=True)  # mid-steps: the rest runs now
    assert panel is not None and len(panel.labels) == 5 and window.panels["stepped"] is panel
    qtbot.wait(200)  # the queued step finds the panel done and does nothing
    assert len(turns.TURNS) == 1 and len(panel.labels) == 5 and window.docks["stepped"].widget() is panel


def test_closing_a_panel_that_is_building_drops_it(window, qtbot, turns):
    window.open_panel("stepped", wait=False)
    qtbot.waitUntil(lambda: len(turns.TURNS) == 1 and len(turns.TURNS[0]) >= 1, timeout=10000)
    window._close_panels(["stepped"])
    qtbot.wait(300)
    assert "stepped" not in window.panels and "stepped" not in window.docks
    assert len(turns.TURNS[0]) < 5  # its remaining steps never ran


def test_a_failing_step_is_shown_like_a_failing_constructor(window, qtbot, turns, monkeypatch):
    def broken(self):
        yield
        raise RuntimeError("step two broke")

    monkeypatch.setattr(turns.SteppedPanel, "_steps", broken)
    window.open_panel("stepped", wait=False)
    placeholder = window.docks["stepped"].widget()
    qtbot.waitUntil(lambda: placeholder.failed, timeout=10000)
    assert "stepped" not in window.panels and not window.is_loading()
    assert any("step two broke" in e[3] for e in window.log_dock.entries)


def test_redraw_later_runs_each_redraw_once_one_per_turn_and_idle_waits_for_it(
    qtbot, slow_plugins, standalone_shell, turns
):
    panel = turns.SteppedPanel(standalone_shell)
    qtbot.addWidget(panel)
    ran: list[tuple[str, int]] = []

    def busy(seconds: float = 0.02) -> None:  # a redraw takes time; the 5 ms timer falls due
        t = time.perf_counter()
        while time.perf_counter() - t < seconds:
            pass

    def a():
        ran.append(("a", turns.TURN[0]))
        busy()

    def b():
        ran.append(("b", turns.TURN[0]))
        busy()

    panel.redraw_later(a, b)
    panel.redraw_later(a)  # queued already: runs once
    assert not panel.is_idle() and ran == []
    idle = []
    panel.idle.connect(lambda: idle.append(True))
    qtbot.waitUntil(panel.is_idle, timeout=5000)
    assert [name for name, _ in ran] == ["a", "b"]
    assert ran[0][1] != ran[1][1], "two redraws ran in one turn"
    assert idle == [True]
    panel.redraw_later(a)
    panel.flush_redraws()  # an export needs it drawn now
    assert [name for name, _ in ran] == ["a", "b", "a"] and panel.is_idle()
    panel.redraw_later(b)
    panel.shutdown()
    qtbot.wait(50)
    assert len(ran) == 3  # a closed panel draws nothing
