"""GUI, issue 13: earlier sweeps are kept and overlaid, a cancelled sweep never replaces the last
complete one and says so, a running sweep shows an ETA, and the example grid's text follows the
dark theme."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from workbench import plaindata
from workbench_adversarial.jobs import SweepHistory


def _small(panel, dims="4, 64"):
    st = panel.state_model
    st.update({"n": 40, "steps": 3, "dims": dims, "eps_list": "0.5, 2", "sweep_steps": 3})


def _sweep(panel, qtbot):
    panel.run_sweep()
    qtbot.waitUntil(panel.is_idle, timeout=120000)


def _overlay_keys(panel):
    return [k for k in panel.plots._items if k[0] == "overlay"]


def test_earlier_sweeps_are_kept_overlaid_and_saved(make_panel, qtbot, standalone_shell, tmp_path):
    panel = make_panel("adversarial", start=False)
    _small(panel)
    _sweep(panel, qtbot)
    first = panel.sweep_table
    assert panel.earlier == [] and _overlay_keys(panel) == []
    _small(panel, dims="8, 16")
    _sweep(panel, qtbot)
    assert standalone_shell.errors == []
    assert panel.sweep_table is not first and [s.table for s in panel.earlier] == [first]
    # the earlier sweep is drawn dashed beside the current one, and listed (current on top)
    assert sorted(k[-1] for k in _overlay_keys(panel)) == [4, 64]
    assert panel.history.list.count() == 2 and "(current)" in panel.history.list.item(0).text()
    assert panel.history.list.item(1).text().startswith("#1 ")
    data = panel.plots.data_curves()
    assert data["overlay_1_label"].startswith("#1 ") and len(data["overlay_1_table"]) == 4
    # unchecking hides it (the list and the kept history follow), checking shows it again
    from PySide6.QtCore import Qt

    panel.history.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert _overlay_keys(panel) == [] and panel.kept("sweep_history").result.shown == [False]
    panel.history.list.item(1).setCheckState(Qt.CheckState.Checked)
    assert len(_overlay_keys(panel)) == 2
    # kept as plain data: a session gives the history back with its shown flags
    hist = panel.kept("sweep_history").result
    assert isinstance(hist, SweepHistory)
    assert plaindata.same(plaindata.decode(*plaindata.encode(hist)), hist)
    state, results = json.loads(json.dumps(panel.state())), panel.results()
    fresh = make_panel("adversarial", start=False)
    fresh.restore(state)
    fresh.restore_results(results)
    assert [s.table for s in fresh.earlier] == [first] and len(_overlay_keys(fresh)) == 2
    assert fresh.history.list.count() == 2
    # at 1024 x 700 the plots fit their widgets: a long title is clipped, never widens the layout
    panel.resize(1024, 700)
    panel.tabs.setCurrentIndex(2)
    qtbot.wait(200)
    for w in (panel.plots.collapse, panel.plots.spread):
        assert w.getPlotItem().sceneBoundingRect().width() <= w.width() + 1
    # removing it forgets it
    panel.history.list.setCurrentRow(1)
    panel.history.remove_button.click()
    assert panel.earlier == [] and _overlay_keys(panel) == [] and panel.history.list.count() == 1


def test_cancelled_sweep_keeps_the_last_complete_one_and_says_so(make_panel, qtbot, standalone_shell):
    panel = make_panel("adversarial", start=False)
    _small(panel)
    _sweep(panel, qtbot)
    done = panel.sweep_table
    assert done is not None and done.collapse is not None
    panel.state_model.update(
        {"n": 300, "dims": "2, 4, 8, 16, 32, 64", "eps_list": "0.1, 0.2, 0.5, 1, 2, 4", "sweep_steps": 40}
    )
    panel.run_sweep()
    # a running sweep says how long it has left, and its first cells are drawn over the last one
    qtbot.waitUntil(lambda: " left" in panel.status.text(), timeout=120000)
    qtbot.waitUntil(lambda: panel.plots.running, timeout=60000)
    assert panel.sweep_table is done and panel.kept("sweep").result is done
    panel.cancel_jobs()
    qtbot.waitUntil(panel.is_idle, timeout=30000)
    assert panel.sweep_table is done and panel.kept("sweep").result is done
    assert panel.plots.table is done and not panel.plots.running and panel.earlier == []
    assert len(panel.plots.data_curves()["table"]) == 4
    assert panel.banner.isVisibleTo(panel) and "sweep was cancelled after" in panel.banner.text()
    assert "the previous sweep is shown" in panel.banner.text()
    # the next complete sweep clears the note
    _small(panel)
    _sweep(panel, qtbot)
    assert "cancelled" not in panel.banner.text()


def test_example_grid_text_follows_the_theme(make_panel, qtbot):
    from PySide6.QtWidgets import QApplication

    from workbench.gui.theme import apply_theme, plot_theme

    app = QApplication.instance()
    panel = make_panel("adversarial", start=False)
    _small(panel)
    panel.run_attack()
    qtbot.waitUntil(panel.is_idle, timeout=120000)

    def label_colours():
        import pyqtgraph as pg

        items = panel.grid.ci.items
        return {
            pg.mkColor(it.opts["color"]).name()
            for it in items
            if isinstance(it, pg.LabelItem) and it is not panel.grid.header
        }

    try:
        assert label_colours() == {plot_theme().foreground.name()}
        apply_theme(app, "dark")
        qtbot.wait(20)
        fg = plot_theme().foreground
        assert fg.lightnessF() > 0.7 and label_colours() == {fg.name()}
        assert panel.grid.backgroundBrush().color().lightnessF() < 0.3
        assert "#ffe08a" in panel.banner.styleSheet() or not panel.banner.text()
    finally:
        apply_theme(app, "light")
    assert label_colours() == {plot_theme().foreground.name()}


def test_the_sweep_runs_in_a_worker_process_and_gives_the_table_run_here(make_panel, qtbot, standalone_shell):
    """Issue 13: the sweep's Python must not hold the GUI process's GIL; in the worker it
    computes the same table (same seeds, one torch thread) as in this process."""
    from workbench import worker_process
    from workbench.jobs import JobContext
    from workbench_adversarial.jobs import run_sweep_one_thread

    if not worker_process.processes_enabled():
        pytest.skip("worker processes are switched off here (WORKBENCH_WORKER_PROCESSES=0)")
    panel = make_panel("adversarial", start=False)
    _small(panel)
    spec = panel.sweep_spec()
    _sweep(panel, qtbot)
    assert standalone_shell.errors == []
    # the worker that ran it waits for the next job, having imported the sweep's module
    assert any("workbench_adversarial.jobs" in w.warm for w in worker_process.POOL._idle if w.alive())
    here = run_sweep_one_thread(spec, JobContext(device="cpu"))

    def cells(table):
        return [(c.requested_dim, c.dim, c.eps, c.successes, c.n, c.stuck, c.zero_feasible) for c in table.cells]

    assert cells(panel.sweep_table) == cells(here) and len(here.cells) == 4
