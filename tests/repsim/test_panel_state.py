"""The panel's Qt-free state (RepsimState): migrations, refusals, specs; sessions that keep the
heatmaps, the stitching table and the LMC curve without recomputing, and mark stale results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench import plaindata
from workbench_repsim.state import POOLINGS, RepsimState

#: what the hand-written ``state()`` of the version-1 panel wrote
V1_STATE = {
    "version": 1,
    "model_a": "mlp-w16-s0",
    "model_b": "mlp-w16-s1",
    "data": "",
    "pooling": "last",
    "measure": "procrustes",
    "max_samples": 300,
    "minibatch": 0,
    "tab": 1,
    "selected": ["AB", 1, 2],
    "stitch_steps": 40,
    "lmc_align": False,
}

SMALL = {"model_a": "mlp-w16-s0", "model_b": "mlp-w16-s1", "max_samples": 200, "stitch_steps": 10}


# ------------------------------------------------------------------ Qt-free ---------------------
def test_version_1_state_is_upgraded_with_the_seeds_it_ran_with():
    values = RepsimState().validate(dict(V1_STATE))
    assert values["measure"] == "procrustes" and values["pooling"] == "last" and values["max_samples"] == 300
    assert values["data"] == "default"  # version 1 treated empty data as the default data
    assert values["tab"] == 1 and values["stitch_steps"] == 40 and values["lmc_align"] is False
    assert values["seed"] == values["stitch_seed"] == values["rotation_seed"] == 0 and values["rotation_layer"] == 1
    assert RepsimState().validate({**V1_STATE, "tab": 9})["tab"] == 0  # v1 accepted any tab index


def test_specs_carry_every_seed():
    st = RepsimState(**{**SMALL, "model_b": "  "}, seed=7, stitch_seed=8, rotation_seed=9, rotation_layer=2)
    assert st.heatmap_spec().seed == 7 and st.heatmap_spec().panels == ("AA",)  # no model B: A vs A only
    assert st.stitch_spec().seed == 8 and st.stitch_spec().steps == 10
    assert st.rotation_spec().seed == 9 and st.rotation_spec().layer == 2
    assert RepsimState(**SMALL).heatmap_spec().panels == ("AA", "AB", "BB")


def test_poolings_are_the_extractors():
    from workbench_repsim.core.extract import POOLINGS as CORE_POOLINGS

    assert POOLINGS == CORE_POOLINGS


# ------------------------------------------------------------------ panel ------------------------
def test_v1_state_restores_into_the_panel_without_starting_a_job(make_panel):
    panel = make_panel("repsim", start=False)
    submitted = []
    panel.submit = lambda *a, **k: submitted.append(a)
    panel.restore(dict(V1_STATE))
    assert submitted == [] and panel.is_idle()
    assert panel.model_a.currentText() == "mlp-w16-s0" and panel.measure.currentText() == "procrustes"
    assert panel.pooling.currentText() == "last" and panel.max_samples.value() == 300
    assert panel.tabs.currentIndex() == 1 and not panel.lmc_align.isChecked() and panel.stitch_steps.value() == 40
    assert panel.selected == ("AB", 1, 2)
    st = panel.state()
    assert st["version"] == 3 and st["seed"] == 0 and st["colour_scale"] == "data" and st["selected"] == ["AB", 1, 2]


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"max_samples": 5}, "max_samples"),
        ({"pooling": "median"}, "pooling"),
        ({"model_a": 3}, "model_a"),
        ({"stitch_seed": -1}, "stitch_seed"),
        ({"tab": 7}, "tab"),
        ({"lmc_align": "yes"}, "lmc_align"),
        ({"selected": ["AB", -1, 0]}, "selected"),
    ],
)
def test_bad_value_is_refused_naming_the_field_and_nothing_changes(make_panel, bad, field):
    panel = make_panel("repsim", start=False)
    panel.state_model.update({**SMALL, "measure": "cca", "seed": 3})
    panel.tabs.setCurrentIndex(2)
    before = panel.state()
    with pytest.raises(ValueError, match=field):
        panel.restore({**before, "measure": "rsa", "max_samples": 400, **bad})
    assert panel.state() == before
    assert panel.measure.currentText() == "cca" and panel.max_samples.value() == 200 and panel.tabs.currentIndex() == 2


def test_newer_state_version_is_refused(make_panel):
    panel = make_panel("repsim", start=False)
    before = panel.state()
    with pytest.raises(ValueError, match="newer workbench"):
        panel.restore({**before, "version": 4, "measure": "rsa"})
    assert panel.state() == before


# ------------------------------------------------------------------ sessions ---------------------
@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def _computed_panel(window, qtbot):
    """The repsim panel with small digit MLPs: heatmaps (from start()), one cell, stitching, LMC."""
    panel = window.open_panel("repsim")
    panel.state_model.update(SMALL)  # before start() runs (it is queued on the event loop)
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert panel.result is not None and panel.result.measure == "cka"
    panel._cell_clicked("AB", 1, 2)
    panel.run_stitching()
    panel.run_lmc()
    qtbot.waitUntil(panel.is_idle, timeout=180000)
    assert not window.errors_shown, window.errors_shown
    assert {"heatmap", "cell", "stitching", "lmc"} <= set(panel.results())
    return panel


def _title(plot_item) -> str:
    return plot_item.titleLabel.text


def test_session_keeps_results_without_recomputing_and_marks_stale(window, qtbot, tmp_path):
    panel = _computed_panel(window, qtbot)
    saved = {name: kept.result for name, kept in panel.results().items()}
    table_text = [panel.stitch_table.item(r, 2).text() for r in range(panel.stitch_table.rowCount())]
    path = tmp_path / "s.wbsession"
    window.save_session(path)
    assert (tmp_path / "s.results.npz").exists()
    assert json.loads(path.read_text())["panels"]["repsim"]["version"] == 3
    # something else is shown now
    panel.state_model.measure = "procrustes"
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert panel.result.measure == "procrustes"
    panel._show_stitching(None)
    panel._show_lmc(None)

    submitted = []
    panel.submit = lambda *a, **k: submitted.append(a)  # restoring must never start a job
    assert window.load_session(path), window.errors_shown
    assert submitted == [] and panel.is_idle()
    assert panel.state_model.measure == "cka" and panel.selected == ("AB", 1, 2)
    res = panel.result
    assert res is not saved["heatmap"] and plaindata.same(res, saved["heatmap"])  # rebuilt from the file
    assert res.measure == "cka" and np.array_equal(panel.views["AB"].matrix, saved["heatmap"].matrices["AB"])
    assert panel.views["AB"].selection.isVisible()
    assert plaindata.same(panel.details.result, saved["cell"])
    assert panel.stitch_table.rowCount() == 6
    assert [panel.stitch_table.item(r, 2).text() for r in range(6)] == table_text
    assert plaindata.same(panel.lmc, saved["lmc"]) and panel.lmc.barrier_aligned is not None
    assert panel.stale_results() == []
    assert "stale" not in panel.status.text() and "stale" not in _title(panel.views["AB"].plot)

    # a later settings change marks what it affects, and only that, stale
    panel.measure.setCurrentText("rsa")
    assert panel.stale_results() == ["heatmap", "cell"]
    assert "stale" in panel.status.text() and all("stale" in _title(v.plot) for v in panel.views.values())
    assert "stale" in panel.details.values.text()
    panel.measure.setCurrentText("cka")
    assert panel.stale_results() == [] and "stale" not in _title(panel.views["AA"].plot)
    panel.stitch_steps.setValue(11)
    assert panel.stale_results() == ["stitching"] and "stale" in panel.stitch_label.text()
    panel.lmc_align.setChecked(False)
    assert panel.stale_results() == ["stitching", "lmc"] and "stale" in _title(panel.lmc_plot.getPlotItem())
    panel.model_b.setCurrentText("mlp-w64-s0")
    assert panel.stale_results() == ["heatmap", "cell", "stitching", "lmc"]
    assert submitted == []


def test_session_opened_in_a_new_window_shows_saved_results_and_start_does_not_recompute(window, qtbot, tmp_path):
    from workbench.gui.main_window import MainWindow

    panel = _computed_panel(window, qtbot)
    saved = panel.kept("heatmap").result
    panel.state_model.stitch_steps = 12  # the session holds a stitching table that is stale for its settings
    path = tmp_path / "s.wbsession"
    window.save_session(path)
    window.shutdown()

    w2 = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w2)
    w2.show()
    try:
        assert w2.load_session(path), w2.errors_shown
        p2 = w2.panels["repsim"]
        kept = p2.kept("heatmap").result
        qtbot.waitUntil(p2.is_idle, timeout=60000)  # start() has run
        assert p2.kept("heatmap").result is kept and p2.result is kept  # nothing recomputed
        assert plaindata.same(kept, saved)
        assert p2.stale_results() == ["stitching"] and "stale" in p2.stitch_label.text()
    finally:
        w2.shutdown()


def test_version_1_session_loads(window, qtbot, tmp_path):
    from workbench.session import FORMAT

    path = tmp_path / "old.wbsession"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "app_version": "0.1.0",
                "layout": {"open_panels": ["repsim"]},
                "panels": {"repsim": V1_STATE},
            }
        )
    )
    assert window.load_session(path), window.errors_shown
    panel = window.panels["repsim"]
    qtbot.waitUntil(panel.is_idle, timeout=120000)  # start() computes the restored settings' heatmaps
    assert not window.errors_shown, window.errors_shown
    assert panel.state_model.measure == "procrustes" and panel.result.measure == "procrustes"
    assert panel.result.names_a == ["h1", "h2", "h3", "logits"] and panel.result.n == 300
