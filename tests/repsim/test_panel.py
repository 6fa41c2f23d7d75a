"""The panel: default heatmaps, cell details, stitching, LMC, export, sessions, bad input, cancel."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

from workbench.gui.figures import ExportOptions, export_figure  # noqa: E402


def _panel(make_panel, qtbot, **state):
    panel = make_panel("repsim", start=False)
    panel.max_samples.setValue(200)
    for k, v in state.items():
        getattr(panel, k).setCurrentText(v)
    panel.start()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    return panel


def test_default_heatmaps_and_cell_details(make_panel, qtbot, standalone_shell):
    panel = _panel(make_panel, qtbot)
    assert not standalone_shell.errors, standalone_shell.errors
    res = panel.result
    assert set(res.matrices) == {"AA", "AB", "BB"}
    assert res.names_a == ["resid0", "mlp0", "resid1", "mlp1", "resid2"]
    aa = res.matrices["AA"]
    assert np.allclose(np.diag(aa), 1.0) and np.allclose(aa, aa.T)
    assert panel.views["AB"].matrix.shape == (5, 5)
    assert "×" in panel.views["AB"].hover_text(1, 2)
    panel._cell_clicked("AB", 1, 3)
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    r = panel.details.result
    assert r is not None and r.values["cka"] == pytest.approx(res.matrices["AB"][1, 3], abs=1e-6)
    assert r.pcs_x.shape[1] == 2 and len(r.matched_corr) > 0


def test_figures_export_with_data(make_panel, qtbot, tmp_path):
    panel = _panel(make_panel, qtbot)
    # plots of what has not been shown are built when first needed, and listed from then on
    assert {f.name for f in panel.figures()} == {
        "repsim_heatmap_AA",
        "repsim_heatmap_AB",
        "repsim_heatmap_BB",
        "repsim_stitching",
    }
    panel._cell_clicked("AA", 0, 2)
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    panel.tabs.setCurrentIndex(2)  # the LMC tab: its plot is built when shown
    figs = {f.name: f for f in panel.figures()}
    assert {
        "repsim_heatmap_AA",
        "repsim_heatmap_AB",
        "repsim_heatmap_BB",
        "repsim_cell_pcs",
        "repsim_cell_matching",
        "repsim_stitching",
        "repsim_lmc",
    } <= set(figs)
    written = export_figure(figs["repsim_heatmap_AB"], tmp_path / "ab.png", ExportOptions(fmt="png", dpi=96))
    assert written[0].stat().st_size > 2000
    data = np.load(tmp_path / "ab.data.npz")
    assert np.allclose(data["matrix"], panel.result.matrices["AB"])
    assert (
        export_figure(figs["repsim_cell_pcs"], tmp_path / "pcs.svg", ExportOptions(fmt="svg"))[0].stat().st_size > 500
    )


def test_state_roundtrip_and_validation(make_panel, qtbot):
    panel = _panel(make_panel, qtbot, model_a="mlp-w16-s0", model_b="mlp-w16-s1")
    computed = panel.result
    panel.measure.setCurrentText("procrustes")
    st = panel.state()
    assert st["version"] == 3 and st["measure"] == "procrustes" and st["model_a"] == "mlp-w16-s0"
    with pytest.raises(ValueError):
        panel.validate_state({**st, "measure": "nope"})
    with pytest.raises(ValueError):
        panel.validate_state({**st, "selected": ["XY", 1, 1]})
    panel.model_a.setCurrentText("mlp-w64-s0")
    panel.restore(st)
    assert panel.is_idle() and panel.state() == st  # restoring starts no job
    assert panel.result is computed and panel.stale["heatmap"]  # cka heatmaps shown, settings say procrustes
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert panel.result.measure == "procrustes" and panel.result.names_a == ["h1", "h2", "h3", "logits"]
    assert not panel.stale["heatmap"]


def test_bad_input_keeps_previous_result(make_panel, qtbot, standalone_shell, tmp_path):
    panel = _panel(make_panel, qtbot, model_a="mlp-w16-s0", model_b="mlp-w16-s1")
    before = panel.result
    panel.model_a.setCurrentText(str(tmp_path / "missing-model"))
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert standalone_shell.errors and "missing-model" in standalone_shell.errors[-1][1]
    assert panel.result is before
    panel.model_a.setCurrentText("mlp-w16-s0")
    panel.data.setCurrentText(str(tmp_path))  # empty folder
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert "no image files" in standalone_shell.errors[-1][1]


def test_stitching_lmc_rotation(make_panel, qtbot, standalone_shell, tmp_path):
    panel = _panel(make_panel, qtbot, model_a="mlp-w16-s0", model_b="mlp-w16-s1")
    panel.stitch_steps.setValue(20)
    panel.run_stitching()
    panel.run_lmc()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert not standalone_shell.errors, standalone_shell.errors
    assert panel.stitch_table.rowCount() == 6  # 3 points x 2 directions
    # the table exports through the shell's widget painter: its cells are vector text
    import xml.etree.ElementTree as ET

    fig = {f.name: f for f in panel.figures()}["repsim_stitching"]
    svg = export_figure(fig, tmp_path / "stitch.svg", ExportOptions(fmt="svg"))[0]
    texts = {el.text.strip() for el in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text") if el.text}
    first_row = [panel.stitch_table.item(0, c).text() for c in range(panel.stitch_table.columnCount())]
    numbers = {t for t in first_row if t.lstrip("+-").replace(".", "", 1).isdigit()}  # names may be elided
    assert len(numbers) >= 3
    assert numbers <= texts, (numbers, texts)
    assert panel.lmc is not None and panel.lmc.barrier_aligned is not None
    assert panel.lmc.loss[0] < 0.5 and panel.lmc.loss[-1] < 0.5
    panel.rotation = None
    from workbench_repsim.jobs import RotationSpec, run_rotation

    panel.submit(run_rotation, RotationSpec("mlp-w16-s0", 1, epochs=2), title="rot", on_result=panel._rotation_done)
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert "undo error" in panel.rot_label.text().lower()


def test_cancel(make_panel, qtbot, standalone_shell):
    panel = _panel(make_panel, qtbot)
    before = panel.result
    shown = {k: v.matrix.copy() for k, v in panel.views.items()}
    assert before is not None
    # a long job: RSA on 4000 inputs (its first heatmap alone takes minutes on a CPU),
    # cancelled once it is running and has reported progress
    panel.max_samples.setValue(4000)
    panel.measure.setCurrentText("rsa")
    panel.compute()
    handle = panel.running_jobs()[-1]
    qtbot.waitUntil(lambda: handle.state == "running" and handle.fraction > 0, timeout=60000)
    panel.cancel_jobs()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert handle.state == "cancelled"
    assert handle.result is None
    assert not standalone_shell.errors
    assert panel.result is before  # the previous heatmaps stay
    assert panel.result.measure == "cka"
    for k, view in panel.views.items():
        assert np.array_equal(view.matrix, shown[k]), k


def test_minibatch_mode(make_panel, qtbot, standalone_shell):
    panel = make_panel("repsim", start=False)
    panel.model_a.setCurrentText("mlp-w16-s0")
    panel.model_b.setCurrentText("mlp-w16-s1")
    panel.max_samples.setValue(300)
    panel.minibatch.setValue(100)
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert not standalone_shell.errors
    assert panel.result.measure.startswith("cka-minibatch") and panel.state()["minibatch"] == 100
    panel._cell_clicked("AB", 0, 0)
    assert "minibatch" in panel.details.values.text()
