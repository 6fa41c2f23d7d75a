"""A job that reports progress thousands of times a second does not flood the GUI thread:
reports are passed on at most every 50 ms (the first and the completion always), and the
status bar shows the newest one at its next tick."""

from __future__ import annotations

import time

from workbench.gui.jobrunner import ProgressThrottle


def test_throttle_passes_first_newest_and_completion():
    got = []
    clock = [0.0]
    throttle = ProgressThrottle(lambda f, m: got.append((f, m)), interval=0.05)
    import workbench.gui.jobrunner as jr

    real = jr.time.monotonic
    jr.time.monotonic = lambda: clock[0]
    try:
        for i in range(1000):  # 1000 reports within 10 ms
            clock[0] = i * 1e-5
            throttle(i / 1000, f"step {i}")
        clock[0] = 0.2
        throttle(0.9995, "late")
        throttle(1.0, "done")
    finally:
        jr.time.monotonic = real
    assert got == [(0.0, "step 0"), (0.9995, "late"), (1.0, "done")]


def _flood(spec, ctx):
    for i in range(spec):
        ctx.progress(i / spec, f"step {i}")
    return spec


def test_a_fast_reporting_job_sends_few_signals_and_ends_at_one(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    seen = []
    t0 = time.monotonic()
    handle = panel.submit(_flood, 200000, title="flood")
    handle.progress.connect(lambda f, m: seen.append(f))
    qtbot.waitUntil(lambda: handle.is_done, timeout=60000)
    took = time.monotonic() - t0
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert handle.state == "finished"
    assert seen and seen[-1] == 1.0
    assert len(seen) <= took / 0.05 + 3  # at most one per 50 ms, plus the first and the last


def test_status_bar_row_shows_the_newest_report_at_its_tick(main_window, qtbot):
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic

    from workbench.gui.job_status import TICK_MS

    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    handle = panel.submit(run_harmonic, HarmonicSpec(n=400, delay=0.01), title="slow sums")
    widget = main_window.job_widgets[handle.id]
    qtbot.waitUntil(lambda: handle.fraction > 0.3, timeout=10000)
    qtbot.wait(2 * TICK_MS)
    assert abs(widget.bar.value() - 100 * handle.fraction) <= 15  # at most a tick (~6 %) behind
    assert "step" in widget.label.toolTip()
    handle.cancel()
    qtbot.waitUntil(panel.is_idle, timeout=10000)
