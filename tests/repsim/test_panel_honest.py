"""Never stale, never misleading (issue #13): when an input changes, a job fails or is
cancelled, what the panel shows is cleared or marked; a cancelled or failed job never replaces
the last complete result; settings that are clamped or ignored say so."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

from workbench_repsim.jobs import ALIGN_NOT_APPLIED  # noqa: E402


def _layers(path, n, widths, seed):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, 6))
    arrays = {
        f"l{k}": np.tanh(base @ rng.standard_normal((6, d)) + 0.3 * rng.standard_normal((n, d)))
        for k, d in enumerate(widths)
    }
    np.savez(path, **arrays)
    return str(path)


def _title(view) -> str:
    return view.plot.titleLabel.text


def _computed(make_panel, qtbot, a, b, measure="cka"):
    """The panel with a complete heatmap result of ``measure`` between the .npz files ``a`` and ``b``."""
    panel = make_panel("repsim", start=False)
    panel.state_model.update({"model_a": a, "model_b": b, "measure": measure})
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert panel.result is not None and panel.result.measure == measure
    return panel


def _shows(panel, res) -> bool:
    """Every view draws ``res``'s matrix (values and measure)."""
    return all(
        v.matrix is not None and np.array_equal(v.matrix, res.matrices[k]) and v.measure == res.measure
        for k, v in panel.views.items()
    )


def test_cancel_after_a_partial_result_redraws_the_last_complete_one(make_panel, qtbot, standalone_shell, tmp_path):
    # A is narrow (A vs A is instant), B is wide: Procrustes B vs B needs 900 x 900 SVDs, so the
    # job is still running when its first partial matrix (A vs A) has been drawn
    a = _layers(tmp_path / "a.npz", 1000, [8, 8, 8], 0)
    b = _layers(tmp_path / "b.npz", 1000, [900, 900, 900, 900], 1)
    panel = _computed(make_panel, qtbot, a, b)
    before = panel.result
    panel.measure.setCurrentText("procrustes")
    assert all("stale" in _title(v) for v in panel.views.values())
    seen = {}
    draw_partial = panel._heatmap_partial

    def on_partial(handle, part):  # the panel's own slot, then a look at what it drew, then cancel
        draw_partial(handle, part)
        if not seen:
            view = panel.views[part[0]]
            seen.update(
                key=part[0],
                shown=np.array_equal(view.matrix, part[1]),
                mark=view.mark,
                measure=view.measure,
                others=[v.mark for v in panel.views.values()],
            )
            panel.seed.setValue(5)  # the running job no longer stands for the settings: the status says so
            seen["status"] = panel.status.text()
            panel.seed.setValue(0)
            panel.cancel_jobs()

    panel._heatmap_partial = on_partial  # before compute(), which hands it to the job
    panel.compute()
    handle = panel.running_jobs()[-1]
    qtbot.waitUntil(panel.is_idle, timeout=180000)
    assert handle.state == "cancelled", handle.state
    assert seen["key"] == "AA" and seen["shown"] and seen["mark"] == "computing" and seen["measure"] == "procrustes"
    assert seen["others"] == ["computing"] * 3  # the panels still to come did not show the old cka matrices
    assert "not the current ones" in seen["status"]
    assert panel.result is before and panel.kept("heatmap").result is before
    assert _shows(panel, before)  # not the partial Procrustes matrix
    assert all("stale" in _title(v) and "cka" in _title(v) for v in panel.views.values())
    assert "cancelled" in panel.status.text() and "last complete result" in panel.status.text()
    assert not standalone_shell.errors
    panel.measure.setCurrentText("cka")  # the settings of the shown result again: marked as the last complete one
    assert all("last complete result" in _title(v) for v in panel.views.values())
    assert "stale" not in panel.status.text()
    assert panel.figures()[0].data()["status"].startswith("last complete result")


def test_failed_measure_keeps_the_previous_heatmaps_marked_not_under_the_new_name(
    make_panel, qtbot, standalone_shell, tmp_path
):
    # CCA needs more samples than features: B's 80-wide layer on 60 inputs fails, after A vs A
    a = _layers(tmp_path / "a.npz", 60, [4, 4], 2)
    b = _layers(tmp_path / "b.npz", 60, [4, 80], 3)
    panel = _computed(make_panel, qtbot, a, b)
    before = panel.result
    panel.measure.setCurrentText("cca")
    partials = []
    draw_partial = panel._heatmap_partial
    panel._heatmap_partial = lambda handle, part: (partials.append(part[0]), draw_partial(handle, part))
    panel.compute()
    handle = panel.running_jobs()[-1]
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert handle.state == "failed" and partials == ["AA"]  # A vs A was drawn before the failure
    assert standalone_shell.errors and "CCA" in standalone_shell.errors[-1][1]
    assert panel.result is before and _shows(panel, before)
    for v in panel.views.values():
        assert "cka" in _title(v) and "cca" not in _title(v) and "stale" in _title(v)
        assert v.data()["measure"] == "cka"
    status = panel.status.text()
    assert "failed" in status and "CCA" in status and "last complete result" in status and "stale" in status
    assert panel.heatmap_context()["measure"] == "cka"


def test_failure_with_nothing_complete_clears_the_partial_matrices(make_panel, qtbot, standalone_shell, tmp_path):
    a = _layers(tmp_path / "a.npz", 60, [4, 4], 2)
    b = _layers(tmp_path / "b.npz", 60, [4, 80], 3)
    panel = make_panel("repsim", start=False)
    panel.state_model.update({"model_a": a, "model_b": b, "measure": "cca"})
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert panel.result is None
    assert all(v.matrix is None for v in panel.views.values())  # the A-vs-A partial is gone
    assert "nothing computed" in panel.status.text()


def test_an_input_change_marks_every_dependent_output(make_panel, qtbot, standalone_shell, tmp_path):
    a = _layers(tmp_path / "a.npz", 200, [5, 6, 7], 4)
    b = _layers(tmp_path / "b.npz", 200, [5, 6], 5)
    panel = _computed(make_panel, qtbot, a, b)
    panel._cell_clicked("AB", 1, 0)
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert panel.stale_results() == [] and "stale" not in panel.status.text()
    assert all(v.mark == "" for v in panel.views.values())
    panel.colour_scale.setCurrentText("data")  # a view setting: nothing becomes stale, the scale changes
    assert panel.stale_results() == []
    lo = min(float(m.min()) for m in panel.result.matrices.values())
    assert all(v.levels[0] == pytest.approx(lo) for v in panel.views.values())
    panel.minibatch.setValue(50)
    assert panel.stale_results() == ["heatmap", "cell"]
    assert all(v.mark == "stale" and "stale" in _title(v) for v in panel.views.values())
    assert "stale" in panel.status.text() and "stale" in panel.details.values.text()
    fig = {f.name: f for f in panel.figures()}
    assert fig["repsim_heatmap_AB"].data()["status"].startswith("stale")
    assert "stale" in fig["repsim_heatmap_AB"].caption_text()
    assert fig["repsim_cell_pcs"].data()["status"] == "stale"
    # another cell is selected: the details shown are of the old cell, marked until the new ones come
    panel.minibatch.setValue(0)
    panel._cell_clicked("AB", 2, 1)
    assert "Cell details" in panel.details.values.text() and "stale" in panel.details.values.text()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert panel.details.result.label_x.endswith("l2") and "stale" not in panel.details.values.text()


def test_clamped_samples_and_unused_settings_are_said(make_panel, qtbot, standalone_shell, tmp_path):
    panel = make_panel("repsim", start=False)
    panel.state_model.update({"model_a": "mlp-w16-s0", "model_b": "mlp-w16-s1", "max_samples": 4000, "pooling": "last"})
    assert "pooling 'last' does not apply" in panel.notes.text()  # known before computing
    panel.minibatch.setValue(100)
    panel.measure.setCurrentText("rsa")
    assert "measure 'rsa' is not used" in panel.notes.text()
    panel.minibatch.setValue(0)
    assert "rsa" not in panel.notes.text()
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert not standalone_shell.errors, standalone_shell.errors
    res = panel.result
    assert res.n == 539 and res.pooling == ""  # the digits test split holds 539 images
    assert "samples clamped: the data give 539 inputs, not the 4000 asked" in res.notes  # once for A and B
    assert "539 inputs, not the 4000 asked" in panel.notes.text()
    context = panel.heatmap_context()
    assert context["n"] == 539 and context["samples_asked"] == 4000 and context["pooling"].startswith("none")
    assert any("539" in n for n in context["notes"])


def test_permutation_align_on_language_models_says_it_is_not_applied(make_panel, qtbot, standalone_shell):
    panel = make_panel("repsim", start=False)
    panel.state_model.update({"model_a": "lm-gelu-d32-s0", "model_b": "lm-gelu-d32-s1", "lmc_align": True})
    assert ALIGN_NOT_APPLIED in panel.lmc_label.text()  # before running: the checkbox will be ignored
    panel.lmc_align.setChecked(False)
    assert ALIGN_NOT_APPLIED not in panel.lmc_label.text()
    panel.lmc_align.setChecked(True)
    panel.run_lmc()
    qtbot.waitUntil(panel.is_idle, timeout=180000)
    assert not standalone_shell.errors, standalone_shell.errors
    assert panel.lmc.loss_aligned is None and ALIGN_NOT_APPLIED in panel.lmc.notes
    assert ALIGN_NOT_APPLIED in panel.lmc_label.text() and "barrier" in panel.lmc_label.text()
    lmc = {f.name: f for f in panel.figures()}["repsim_lmc"]
    assert ALIGN_NOT_APPLIED in lmc.data()["notes"] and lmc.data()["model_a"] == "lm-gelu-d32-s0"


def test_a_failed_stitching_keeps_the_heatmap_status_and_says_where_it_failed(
    make_panel, qtbot, standalone_shell, tmp_path
):
    a = _layers(tmp_path / "a.npz", 50, [4], 6)
    panel = _computed(make_panel, qtbot, a, _layers(tmp_path / "b.npz", 50, [4], 7))
    status = panel.status.text()
    panel.run_stitching()  # .npz activations cannot be stitched
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert standalone_shell.errors
    assert panel.status.text() == status  # the heatmaps' status line is not overwritten
    assert "Model stitching failed" in panel.stitch_label.text()
    assert "nothing computed" in panel.stitch_label.text()
