"""GUI tests of the bundle panel (vispy needs an OpenGL context: run under Xvfb with xcb)."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("PySide6")


def _gl_available() -> tuple[bool, str]:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen":
        return False, "vispy needs OpenGL: QT_QPA_PLATFORM=offscreen has none (run under xvfb-run with xcb)"
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM", "") != "xcb":
        return False, "no display for OpenGL (run under xvfb-run -a with QT_QPA_PLATFORM=xcb)"
    return True, ""


_ok, _why = _gl_available()
pytestmark = [pytest.mark.gui, pytest.mark.skipif(not _ok, reason=_why)]


def test_panel_live_view_badge_and_exports(make_panel, qtbot, tmp_path, standalone_shell):
    panel = make_panel("bundle")
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.current_view is not None and panel.phase is not None, timeout=60000
    )
    assert panel.current_view.chern == -1 and panel.badge.text().startswith("C = -1")
    # move into the trivial phase: |m| > 3 sqrt(3) t2 |sin phi|
    panel.set_params("haldane", m=2.5)
    qtbot.waitUntil(lambda: panel.is_idle() and panel.badge.text().startswith("C = 0"), timeout=30000)
    panel.set_params("haldane", phi=-1.2, m=0.2)
    qtbot.waitUntil(lambda: panel.is_idle() and panel.badge.text().startswith("C = 1"), timeout=30000)
    # a click on the phase diagram sets (phi, m)
    from PySide6.QtCore import QPointF

    vb = panel.phase_plot.getPlotItem().vb
    scene_pos = vb.mapViewToScene(QPointF(2.0, -0.4))

    class _Click:
        def scenePos(self):
            return scene_pos

    panel.phase_view.scene_clicked(_Click())
    assert abs(panel.params["haldane"]["phi"] - 2.0) < 1e-6 and abs(panel.params["haldane"]["m"] + 0.4) < 1e-6
    qtbot.waitUntil(lambda: panel.is_idle() and panel.badge.text().startswith("C = -1"), timeout=30000)
    # QWZ through the combo
    panel.model_combo.setCurrentText("qwz")
    panel.set_params("qwz", u=-1.0)
    qtbot.waitUntil(lambda: panel.is_idle() and panel.current_view.chern == 1, timeout=30000)
    # exports: off-screen high-resolution render of the torus, vector phase diagram, data
    from workbench.gui.figures import ExportOptions, export_figure

    figs = {f.name: f for f in panel.figures()}
    img = figs["torus"].image(1200, 900)
    assert (img.width(), img.height()) == (1200, 900)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(900, 1200, 4)
    assert arr[..., :3].std() > 5  # something was drawn
    files = export_figure(figs["torus"], tmp_path / "torus.png", ExportOptions(fmt="png", width=800, height=600))
    assert files[0].is_file() and any(p.suffix == ".npz" for p in files)
    files = export_figure(figs["phase_diagram"], tmp_path / "phase.svg", ExportOptions(fmt="svg"))
    assert files[0].read_text().count("<") > 10
    assert export_figure(figs["phase_diagram"], tmp_path / "phase.pdf", ExportOptions(fmt="pdf"))[0].stat().st_size > 0
    assert standalone_shell.errors == []


def test_custom_bad_expression_keeps_state(make_panel, qtbot, standalone_shell):
    panel = make_panel("bundle", start=False)
    panel.model_combo.setCurrentText("custom")
    qtbot.waitUntil(lambda: panel.is_idle() and panel.current_view is not None, timeout=30000)
    assert panel.current_view.chern == -1  # u = 1 QWZ written as expressions
    before = panel.current_view
    edit = panel.expr_edits["dz"]
    edit.setText("__import__('os').getcwd()")
    edit.editingFinished.emit()
    qtbot.waitUntil(panel.is_idle, timeout=30000)
    # refused at the boundary: the state keeps its expression, the edit is marked, no job ran
    assert panel.state_model.expr_dz == "u + cos(kx) + cos(ky)"
    assert edit.property("invalid") and "not allowed" in edit.toolTip()
    assert panel.current_view is before and standalone_shell.errors == []
    # an expression that parses but is not finite on the torus fails in the job, with a message
    edit.setText("1 / (cos(kx) - 1)")
    edit.editingFinished.emit()
    qtbot.waitUntil(lambda: panel.is_idle() and bool(standalone_shell.errors), timeout=30000)
    assert "not finite" in standalone_shell.errors[-1][1] and panel.current_view is before
    bad = panel.state()
    bad["expr_dz"] = "open('x')"
    with pytest.raises(ValueError, match=r"dz \(expr_dz\).*not allowed"):
        panel.validate_state(bad)


def test_session_roundtrip_and_dataset_browser(make_panel, qtbot, tmp_path):
    from workbench_bundle.core.haldane_bundle import generate_dataset, save_dataset

    ds = generate_dataset(10, grid=32, seed=5)
    path = save_dataset(ds, tmp_path / "ds.npz")
    panel = make_panel("bundle", start=False)
    panel.load_dataset(str(path))
    qtbot.waitUntil(lambda: panel.is_idle() and panel.dataset is not None, timeout=30000)
    assert panel.browser.count() == 10
    # predictions with a checkpoint trained here (tiny), misclassified highlighted
    # trained by the CLI in a subprocess (torch training next to a live GL context is avoided)
    import subprocess
    import sys

    ckpt = tmp_path / "flux.safetensors"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench_bundle.cli",
            "train",
            "--arch",
            "flux",
            "--data",
            str(path),
            "--epochs",
            "1",
            "--threads",
            "1",
            "--out",
            str(ckpt),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert ckpt.is_file() and ckpt.with_suffix(".json").is_file()
    panel.predict_with(str(ckpt))
    qtbot.waitUntil(lambda: panel.is_idle() and panel.predictions is not None, timeout=30000)
    assert "accuracy" in panel.ds_info.text()
    panel.show_sample(3)
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.current_view is not None and panel.current_view.label == "sample",
        timeout=30000,
    )
    assert panel.current_view.summary["exact_label"] == ds.labels[3]
    assert panel.badge.text() == f"C = {ds.labels[3]} (exact)"
    state = panel.state()
    assert state["viewing_sample"] == 3
    state["qwz_u"] = 0.5
    state["model"] = "qwz"
    panel2 = make_panel("bundle", start=False)
    panel2.validate_state(state)
    panel2.restore(state)
    panel2.restore_results(panel.results())  # what a session gives back: no job
    assert panel2.is_idle() and panel2.browser.count() == 10 and "accuracy" in panel2.ds_info.text()
    assert panel2.current_view is panel.current_view and panel2.badge.text() == f"C = {ds.labels[3]} (exact)"
    panel2.state_model.viewing_sample = -1  # back to the model: QWZ at u = 0.5
    qtbot.waitUntil(lambda: panel2.is_idle() and panel2.current_view.label == "qwz", timeout=30000)
    assert panel2.model == "qwz" and panel2.current_view.chern == -1
    with pytest.raises(ValueError):
        panel2.validate_state({"model": "nonsense"})


def test_train_from_panel(make_panel, qtbot, tmp_path, standalone_shell):
    # torch training in the GUI process after the vispy GL context exists (triton/LLVM guard)
    from workbench_bundle.core.haldane_bundle import generate_dataset, save_dataset

    path = save_dataset(generate_dataset(20, grid=32, seed=6), tmp_path / "d.npz")
    panel = make_panel("bundle")
    qtbot.waitUntil(lambda: panel.is_idle() and panel.current_view is not None, timeout=60000)
    panel.load_dataset(str(path))
    qtbot.waitUntil(lambda: panel.is_idle() and panel.dataset is not None, timeout=30000)
    panel.dataset_view.arch_combo.setCurrentText("flux")
    panel.dataset_view.epochs_spin.setValue(1)
    panel.train()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.predictions is not None, timeout=120000)
    assert panel.trained_checkpoint.endswith("flux.safetensors") and standalone_shell.errors == []
    assert "accuracy" in panel.ds_info.text()


def test_shutdown_with_phase_diagram_pending_starts_nothing_later(make_panel, qtbot):
    """Moving t1 arms the phase diagram's 500 ms debounce; shutting the panel down right after
    must stop it, or it fires into the closed panel and starts its job thread again."""
    panel = make_panel("bundle")
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.current_view is not None and panel.phase is not None, timeout=60000
    )
    slider = panel.controls.sliders["haldane_t1"]
    slider.setValue(slider.value() + 5 if slider.value() + 5 <= slider.maximum() else slider.value() - 5)
    assert panel._phase_timer.isActive()
    assert panel.shutdown(10000)
    assert not panel._phase_timer.isActive()
    qtbot.wait(800)  # past the debounce
    assert not any(t.isRunning() for t in panel._threads.values())
