"""The job path: progress, partial results, result, error, cancel; Qt-free and on a QThread."""

import pickle
import time

import pytest

from workbench.jobs import JobCancelled, JobContext, JobError, resolve_device, run_in_terminal


def test_specs_and_run_functions_pickle(sample_plugins):
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic

    spec = HarmonicSpec(n=7)
    spec2, fn2 = pickle.loads(pickle.dumps((spec, run_harmonic)))
    assert spec2 == spec and fn2 is run_harmonic


def test_context_progress_and_cancel():
    seen = []
    ctx = JobContext(on_progress=lambda f, m: seen.append((f, m)), min_interval=0.0)
    ctx.progress(0.5, "half")
    ctx.progress(2.0)
    assert seen == [(0.5, "half"), (1.0, "half")]
    ctx.cancel()
    assert ctx.cancelled()
    with pytest.raises(JobCancelled):
        ctx.check_cancelled()


def test_run_in_terminal(sample_plugins):
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic

    sums = run_in_terminal(run_harmonic, HarmonicSpec(n=4), quiet=True)
    assert sums == pytest.approx([1, 1.5, 1.5 + 1 / 3, 1.5 + 1 / 3 + 0.25])
    with pytest.raises(JobError, match="deliberate failure"):
        run_in_terminal(run_harmonic, HarmonicSpec(n=4, fail_at=2), quiet=True)


def test_resolve_device():
    assert resolve_device("cpu", "cuda") == "cpu"
    assert resolve_device("auto", "cpu") == "cpu"
    import torch

    if not torch.cuda.is_available():
        assert resolve_device("auto", "auto") == "cpu"
        with pytest.raises(JobError, match="no CUDA device"):
            resolve_device("cuda", "auto")


def test_qthread_progress_partial_result(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    panel.n.setValue(30)
    progress = []
    handle = panel.compute(delay=0.002)
    handle.progress.connect(lambda f, m: progress.append(f))
    assert handle.id in main_window.job_widgets  # shown in the status bar
    qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
    assert handle.state == "finished"
    assert handle.result[-1] == pytest.approx(sum(1 / k for k in range(1, 31)))
    qtbot.waitUntil(panel.is_idle, timeout=5000)
    assert progress and progress[-1] == 1.0
    assert panel.partials >= 6  # partial results every 5 steps
    assert handle.id not in main_window.job_widgets  # removed when done
    assert any("H_30" in e[3] for e in main_window.log_dock.entries)


def test_qthread_error_is_reported_not_fatal(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    handle = panel.compute(fail_at=3)
    qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
    assert handle.state == "failed" and "deliberate failure at step 3" in handle.error
    qtbot.waitUntil(panel.is_idle, timeout=5000)
    assert main_window.errors_shown[-1][0] == "harmonic sums failed"
    # the panel keeps working after an error
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert len(panel.sums) == 20


def test_unexpected_exception_has_traceback_in_log(main_window, qtbot, sample_plugins):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)

    handle = panel.submit(_divide_by_zero, None, title="bad job")
    qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
    assert handle.state == "failed" and handle.error.startswith("ZeroDivisionError")
    qtbot.waitUntil(lambda: any("Traceback" in e[3] for e in main_window.log_dock.entries), timeout=5000)


def _divide_by_zero(spec, ctx):
    return 1 / 0


def test_cancel_stops_within_half_a_second(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    panel.n.setValue(100000)
    handle = panel.compute(delay=0.01)
    qtbot.waitUntil(lambda: handle.state == "running", timeout=5000)
    widget = main_window.job_widgets[handle.id]
    t0 = time.monotonic()
    widget.cancel_button.click()  # the status bar's Cancel button
    qtbot.waitUntil(lambda: handle.is_done, timeout=2000)
    assert time.monotonic() - t0 < 0.5
    assert handle.state == "cancelled"


def test_newer_job_with_same_key_cancels_older(main_window, qtbot, sample_plugins):
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic

    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    first = panel.submit(run_harmonic, HarmonicSpec(n=2000, delay=0.005), title="first", key="live")
    results = []
    second = panel.submit(run_harmonic, HarmonicSpec(n=3), title="second", key="live", on_result=results.append)
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert first.state == "cancelled" and second.state == "finished"
    assert len(results) == 1 and len(results[0]) == 3


def test_close_with_running_jobs_cancels_and_waits(qtbot, sample_plugins):
    from workbench.gui.jobrunner import live_threads
    from workbench.gui.main_window import MainWindow

    window = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(window)
    window.show()
    panel = window.open_panel("sample")
    panel.n.setValue(100000)
    handle = panel.compute(delay=0.01)
    qtbot.waitUntil(lambda: handle.state == "running", timeout=5000)
    assert window.running_jobs()
    window.close()
    assert handle.state == "cancelled" or handle.cancel_event.is_set()
    assert not live_threads()
    # the window's own timers (autosave, the status bar's job clocks) stop with it, at once
    import shiboken6
    from PySide6.QtCore import QTimer

    running = [t for t in window.findChildren(QTimer) if t.isActive() and shiboken6.createdByPython(t)]
    assert running == [], [(t.parent().__class__.__name__, t.interval()) for t in running]


def test_device_is_resolved_only_when_used(sample_plugins):
    """A job that never touches ctx.device does not import torch (fast headless commands)."""
    import subprocess
    import sys

    code = (
        f"import sys; sys.path[:0] = {sys.path[:3]!r}; from workbench.jobs import run_in_terminal; "
        "from wbtest_sample.jobs import HarmonicSpec, run_harmonic; "
        "run_in_terminal(run_harmonic, HarmonicSpec(n=3), quiet=True); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    ctx = JobContext(device_request="cpu", device_preference="cuda")
    assert ctx.device == "cpu"


def test_shut_down_panel_stops_its_timers_and_refuses_new_jobs(main_window, qtbot, sample_plugins):
    """A panel's own timers and animations stop with the panel (a pending debounce would
    otherwise submit a job into the closed panel and start its thread again), and a job
    submitted after shutdown is refused without a thread or a status-bar entry."""
    from PySide6.QtCore import QAbstractAnimation, QTimer, QVariantAnimation

    from tests.qt_leaks import TRACKER

    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    debounce = QTimer(panel)
    debounce.setSingleShot(True)
    debounce.setInterval(300)
    debounce.timeout.connect(panel.compute)
    debounce.start()
    pulse = QVariantAnimation(panel.plot)  # a grandchild: any depth counts
    pulse.setStartValue(0.0)
    pulse.setEndValue(1.0)
    pulse.setDuration(60000)
    pulse.start()
    assert panel.shutdown(10000)
    assert not debounce.isActive()
    assert pulse.state() == QAbstractAnimation.State.Stopped
    widgets_before = set(main_window.job_widgets)
    late = panel.compute()
    assert late.state == "cancelled" and late.cancel_event.is_set()
    assert set(main_window.job_widgets) == widgets_before
    qtbot.wait(600)  # past the debounce's 300 ms
    assert not any(t.isRunning() for t in panel._threads.values())
    assert not [line for line in TRACKER.find_leaks(grace_s=0.1) if "panel-sample" in line or "jobs-" in line]


def _import_a_fresh_module(spec, ctx):
    import importlib
    import sys

    sys.path.insert(0, spec)
    try:
        importlib.import_module("wbtest_fresh_module")
    finally:
        sys.path.remove(spec)
    return "imported"


def test_a_jobs_new_imports_are_frozen_out_of_the_cyclic_collector(main_window, qtbot, tmp_path):
    """workbench.gcfreeze: after a job imported modules, the objects alive then are frozen."""
    import gc
    import sys

    (tmp_path / "wbtest_fresh_module.py").write_text("TABLE = [[i] for i in range(20000)]\n")
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    from workbench.gcfreeze import freeze_new_imports

    freeze_new_imports()
    gc.unfreeze()  # count only what the job brings
    assert gc.get_freeze_count() == 0
    try:
        handle = panel.submit(_import_a_fresh_module, str(tmp_path), title="import")
        qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
        assert handle.result == "imported" and "wbtest_fresh_module" in sys.modules
        assert gc.get_freeze_count() >= 20000  # the module's lists, frozen by the panel thread
        assert not freeze_new_imports()  # nothing new since
    finally:
        sys.modules.pop("wbtest_fresh_module", None)


def _collector_state(spec, ctx):
    import gc

    return gc.isenabled()


def test_a_job_functions_first_run_has_the_collector_paused(main_window, qtbot):
    import gc

    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert gc.isenabled()
    states = []
    for _ in range(2):
        handle = panel.submit(_collector_state, None, title="gc state")
        qtbot.waitUntil(lambda h=handle: h.is_done, timeout=10000)
        states.append(handle.result)
    assert states == [False, True] and gc.isenabled()
