"""GUI: the panel runs attacks and sweeps as jobs, exports figures with data, restores state,
and reports bad input without losing its results."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from workbench.gui.figures import ExportOptions, export_figure


def _small(panel):
    panel.n.setValue(40)
    panel.steps.setValue(4)
    panel.dims.setText("4, 64")
    panel.eps_list.setText("0.5, 2")
    panel.sweep_steps.setValue(3)


def test_attack_on_start_and_sweep_with_partials(make_panel, qtbot, standalone_shell, tmp_path):
    panel = make_panel("adversarial")
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert standalone_shell.errors == []
    res = panel.attack_result
    assert res is not None and 0 <= res.success_rate <= 1 and res.kind == "pixels"
    assert res.max_outside_v == 0 and len(panel.grid.data()["label"]) > 0
    _small(panel)
    partials = []
    orig = panel._sweep_partial
    panel._sweep_partial = lambda t, spec: (partials.append(len(t.cells)), orig(t, spec))
    panel.run_sweep()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert standalone_shell.errors == []
    assert panel.sweep_table is not None and len(panel.sweep_table.cells) == 4
    assert partials and partials[-1] == 4
    assert panel.sweep_table.collapse is not None
    for fig in panel.figures():
        written = export_figure(fig, tmp_path / f"{fig.name}.png", ExportOptions(fmt="png", dpi=72))
        assert written[0].stat().st_size > 0
        assert any(str(p).endswith(".json") or str(p).endswith(".npz") for p in written[1:])
    svg = export_figure(panel.figures()[1], tmp_path / "curves.svg", ExportOptions(fmt="svg"))
    assert svg[0].read_text().count("<path") > 3


def test_state_roundtrip_and_validation(make_panel):
    panel = make_panel("adversarial", start=False)
    panel.p.setCurrentText("inf")
    panel.eps.setValue(0.1)
    panel.kind.setCurrentText("patch")
    panel.dim.setValue(9)
    panel.dims.setText("1, 9, 36")
    panel.dims.editingFinished.emit()  # what pressing Return or leaving the box does
    st = panel.state()
    assert (st["p"], st["eps"], st["kind"], st["dim"], st["dims"]) == ("inf", 0.1, "patch", 9, "1, 9, 36")
    panel.p.setCurrentText("2")
    panel.kind.setCurrentText("full")
    panel.dims.setText("2")
    panel.dims.editingFinished.emit()
    panel.restore(st)
    assert panel.state() == st
    assert (panel.p.currentText(), panel.kind.currentText(), panel.dims.text()) == ("inf", "patch", "1, 9, 36")
    for bad in ({"kind": "spiral"}, {"n": -3}, {"p": "0.5"}, {"dims": "a,b"}, {"model": "nope"}, {"version": 99}):
        with pytest.raises(ValueError):
            panel.validate_state({**st, **bad})
    assert panel.state() == st


def test_bad_model_file_is_reported_and_results_kept(make_panel, qtbot, standalone_shell, tmp_path):
    panel = make_panel("adversarial", start=False)
    _small(panel)
    panel.run_attack()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    good = panel.attack_result
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"garbage" * 20)
    panel.source.setCurrentText("torchscript")
    panel.path.setText(str(junk))
    panel.run_attack()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert standalone_shell.errors and "junk.pt" in standalone_shell.errors[-1][1]
    assert panel.attack_result is good
    panel.source.setCurrentText("zoo")
    panel.dims.setText("four")
    n_err = len(standalone_shell.errors)
    panel.run_sweep()
    assert len(standalone_shell.errors) == n_err + 1 and panel.is_idle()


def test_cancel_sweep(make_panel, qtbot):
    panel = make_panel("adversarial", start=False)
    panel.n.setValue(300)
    panel.dims.setText("2, 4, 8, 16, 32, 64")
    panel.eps_list.setText("0.1, 0.2, 0.5, 1, 2, 4")
    panel.sweep_steps.setValue(50)
    panel.run_sweep()
    qtbot.wait(300)
    panel.cancel_jobs()
    qtbot.waitUntil(panel.is_idle, timeout=20000)
    assert panel.sweep_table is None or len(panel.sweep_table.cells) < 36


def test_core_imports_without_qt():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import workbench_adversarial.core.pgd, workbench_adversarial.core.sweep, workbench_adversarial.core.zoo\n"
        "import workbench_adversarial.jobs, workbench_adversarial.cli, workbench_adversarial.report\n"
        "import workbench_adversarial.state\n"
        "import workbench_adversarial.cli as c; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
    # the CLI module imports cheaply (no torch)
    code = "import sys; import workbench_adversarial.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_plot_menus_do_not_make_the_staged_plots_early(qtbot, tmp_path, monkeypatch):
    """Docking the panel lists its figures for their context menus without making the three
    staged sweep plots in that turn (they cost 94 ms there); they get their menus once made."""
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    from workbench.gui.main_window import MainWindow
    from workbench.gui.plot_menu import INSTALLED

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    try:
        panel = w.open_panel("adversarial")
        assert not panel.plots.built  # the dock's menu listing made none of them
        assert w.install_figure_menus("adversarial") == ["attack_grid"]
        assert not panel.plots.built
        qtbot.waitUntil(lambda: panel.plots.built, timeout=10000)
        qtbot.waitUntil(
            lambda: all(p.property(INSTALLED) for p in (panel.plots.curves, panel.plots.collapse, panel.plots.spread)),
            timeout=10000,
        )
        assert [f.name for f in panel.figures()] == ["attack_grid", "success_curves", "collapse", "collapse_spread"]
    finally:
        w.shutdown()
