"""View > Jobs lists the session's jobs (running, queued, finished) with panel, durations,
state and errors, and cancels them; a long job that ends while its panel is out of sight is
announced in the status bar and a toast that brings the panel back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def window(qtbot, slow_plugins, monkeypatch):
    from workbench.gui.main_window import MainWindow

    monkeypatch.setenv("WBTEST_SLOW_IMPORT_S", "0")
    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    yield w
    w.shutdown()


def _sample(window, qtbot):
    panel = window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    return panel


def test_view_menu_shows_the_jobs_dock(window, qtbot):
    act = next(a for a in window.view_menu.actions() if a.text() == "Jobs")
    assert window.jobs_dock.isHidden()
    act.trigger()
    assert window.jobs_dock.isVisible()
    assert act.shortcut().toString() == "Ctrl+J"


def test_jobs_list_finished_failed_queued_and_cancelled(window, qtbot):
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic

    panel = _sample(window, qtbot)
    dock = window.jobs_dock
    start_job = next(iter(dock.handles.values()))  # the panel's start-up job
    assert dock.row(start_job.id)["Panel"] == "Sample (tests)"
    qtbot.waitUntil(lambda: dock.row(start_job.id)["State"] == "finished", timeout=5000)
    assert dock.row(start_job.id)["Ran"].endswith(" s")

    failed = panel.compute(fail_at=3)
    qtbot.waitUntil(lambda: failed.is_done, timeout=10000)
    qtbot.waitUntil(lambda: dock.row(failed.id)["State"] == "failed", timeout=5000)
    assert dock.row(failed.id)["Message / error"] == "deliberate failure at step 3"
    dock.items[failed.id].setSelected(True)
    assert "error: deliberate failure at step 3" in dock.details.toPlainText()

    long = panel.submit(run_harmonic, HarmonicSpec(n=100000, delay=0.01), title="long sums")
    queued = panel.submit(run_harmonic, HarmonicSpec(n=3), title="queued sums")  # same lane: waits
    qtbot.waitUntil(lambda: dock.row(long.id)["State"] == "running", timeout=5000)
    assert dock.row(queued.id)["State"] == "queued"
    assert [h.id for h in dock.running()] == [long.id, queued.id]
    dock.tree.clearSelection()
    dock.items[long.id].setSelected(True)
    dock.cancel_button.click()
    qtbot.waitUntil(lambda: long.is_done and queued.is_done, timeout=5000)
    assert long.state == "cancelled" and queued.state == "finished"
    qtbot.waitUntil(lambda: dock.row(long.id)["State"] == "cancelled", timeout=5000)
    # the rows follow the jobs' signals, queued to the GUI thread: the queued job's may come later
    qtbot.waitUntil(lambda: dock.row(queued.id)["State"] == "finished", timeout=5000)
    assert dock.row(queued.id)["Waited"].endswith(" s")
    assert not dock._clock.isActive()  # nothing left running: the duration clock stops
    dock.clear_button.click()
    assert dock.tree.topLevelItemCount() == 0


def test_only_the_last_200_finished_jobs_are_kept(window, qtbot):
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic

    from workbench.gui.jobs_dock import KEEP_FINISHED

    panel = _sample(window, qtbot)
    handles = [panel.submit(run_harmonic, HarmonicSpec(n=1), title=f"job {i}") for i in range(KEEP_FINISHED + 5)]
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    dock = window.jobs_dock
    assert dock.tree.topLevelItemCount() == KEEP_FINISHED
    assert handles[-1].id in dock.items and handles[4].id not in dock.items
    assert dock.tree.topLevelItem(KEEP_FINISHED - 1).text(0) == f"job {KEEP_FINISHED + 4}"


def test_long_job_in_a_hidden_panel_is_announced_and_the_toast_shows_it(window, qtbot):
    panel = _sample(window, qtbot)
    window.long_job_s = 0.2  # instead of 5 s, to keep the test short
    window.view_actions["sample"].setChecked(False)  # View menu: the panel is hidden
    assert window.docks["sample"].isHidden()
    handle = panel.compute(delay=0.02)  # 20 steps: about 0.4 s
    qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
    qtbot.waitUntil(window.toast.isVisible, timeout=5000)
    assert "harmonic sums finished in Sample (tests)" in window.toast.text()
    assert "harmonic sums finished in Sample (tests)" in window.statusBar().currentMessage()
    qtbot.mouseClick(window.toast, Qt.MouseButton.LeftButton)
    assert not window.toast.isVisible()
    assert not window.docks["sample"].isHidden() and window._in_front("sample")


def test_long_job_behind_another_tab_is_announced_not_one_in_front(window, qtbot):
    panel = _sample(window, qtbot)
    window.long_job_s = 0.2
    handle = panel.compute(delay=0.02)  # in front: no announcement
    qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
    qtbot.wait(100)
    assert not window.toast.isVisible()
    window.open_panel("slow")  # same dock area: tabbed over the sample panel
    qtbot.waitUntil(lambda: not window._in_front("sample"), timeout=5000)
    handle = panel.compute(delay=0.02)
    qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
    qtbot.waitUntil(window.toast.isVisible, timeout=5000)
    short = panel.compute()  # a short job is not announced
    window.toast.dismiss()
    qtbot.waitUntil(lambda: short.is_done, timeout=10000)
    qtbot.wait(100)
    assert not window.toast.isVisible()
