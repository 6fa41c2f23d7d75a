"""Progress reports do not repaint the status bar one by one: each job's row shows the newest
report at its 250 ms tick (a repaint in a window with OpenGL views composes them all), and a
finished job's last message is its own last report."""

from __future__ import annotations

import time


def _reports(spec, ctx):
    n, delay = spec
    for i in range(n):
        ctx.progress(i / n, f"step {i}")
        time.sleep(delay)
    return n


def test_the_status_bar_row_repaints_at_its_tick_not_per_report(main_window, qtbot):
    from workbench.gui.job_status import TICK_MS

    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    handle = panel.submit(_reports, (40, 0.05), title="reports")  # about 20 reports a second for 2 s
    widget = main_window.job_widgets[handle.id]
    values = []
    widget.bar.valueChanged.connect(values.append)
    reports = []
    handle.progress.connect(lambda f, m: reports.append(f))
    t0 = time.monotonic()
    qtbot.waitUntil(lambda: handle.is_done, timeout=30000)
    took = time.monotonic() - t0
    assert len(reports) >= 15
    assert len(values) <= took / (TICK_MS / 1000) + 2 < len(reports)
    assert 0 < values[-1] <= 100


def test_a_finished_jobs_last_message_is_its_last_report(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    handle = panel.submit(_reports, (20000, 0.0), title="fast reports")  # most reports are not passed on
    qtbot.waitUntil(lambda: handle.is_done, timeout=60000)
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert handle.fraction == 1.0 and handle.message == "step 19999"
    assert main_window.jobs_dock.row(handle.id)["Message / error"] == "step 19999"
