"""GUI: the panel runs the experiment as a job on the tiny SD-1.x-shaped pipeline, draws partial
results as they come, keeps the last complete run when a run is cancelled, marks the plots stale
when the settings change, reports a bad folder, lists the UNet modules, and exports figures and
every number."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

pytest.importorskip("PySide6")

from workbench.gui.figures import ExportOptions, export_figure

PROMPTS = "a red circle\ntwo blue squares\nblorp zint\na green triangle in the top left"


def _small(panel, folder, lm, **kw):
    panel.state_model.update(
        {
            "prompts": PROMPTS,
            "model": str(folder),
            "lm": str(lm),
            "n_images": 6,
            "steps": 3,
            "guidance": 3.0,
            "n_boot": 20,
            "batch_size": 6,
            "device": "cpu",
            **kw,
        }
    )


def test_run_draws_partials_exports_figures_and_numbers(
    make_panel, qtbot, standalone_shell, tiny_sd1_folder, tiny_lm_folder, tmp_path
):
    panel = make_panel("diffusion_id", start=False)
    _small(panel, tiny_sd1_folder, tiny_lm_folder)
    drawn = []
    orig = panel._run_partial
    panel._run_partial = lambda res: (orig(res), drawn.append((res.done, len(panel.bars.data()["prompt"]))))
    panel.run()
    assert panel.cancel_btn.isEnabled() and panel.progress.isVisible()
    qtbot.waitUntil(panel.is_idle, timeout=120_000)
    assert standalone_shell.errors == []
    # a partial result after every prompt, drawn when it came (the bars had its prompts)
    assert drawn == [(1, 1), (2, 2), (3, 3), (4, 4)]
    res = panel.result
    assert res is not None and res.done == 4 and panel.kept("run").result is res
    assert not panel.cancel_btn.isEnabled() and not panel.progress.isVisible()
    assert "4 prompts x 6 images x 3 steps" in panel.status.text() and "r = " in panel.status.text()
    bars = panel.bars.data()
    assert bars["id"].shape == (4, 2) and bars["step"] == 3 and bars["estimator"] == "mle"
    np.testing.assert_array_equal(bars["id"], res.ids[0, :, :, 2])
    assert (bars["ci_low"] <= bars["id"] + 1e-9).all()
    sc = panel.scatter.data()
    np.testing.assert_allclose(sc["id_mean_mid_block"], res.ids[0, :, 0].mean(axis=1))
    assert "r = " in sc["correlation_mid_block"] and "ρ = " in sc["correlation_mid_block"]
    steps = panel.steps_view.data()
    assert steps["id_latents"].shape == (4, 3) and steps["pearson_latents"].shape == (3, 3)
    tw = panel.twonn.data()
    assert tw["prompt"] == "a red circle" and len(tw["mid_block_log_mu"]) > 0
    assert panel.gallery.data()["images"].shape == (4, 6, 32, 32, 3)

    # the view choices redraw without a new run
    panel.state_model.update({"view_estimator": "twonn", "view_step": 1, "view_prompt": 2})
    assert panel.is_idle() and panel.bars.data()["estimator"] == "twonn" and panel.bars.data()["step"] == 1
    np.testing.assert_array_equal(panel.bars.data()["id"], res.ids[1, :, :, 0])
    assert panel.twonn.data()["prompt"] == "blorp zint" and not panel.stale

    figs = panel.figures()
    assert [f.name for f in figs] == ["id_per_prompt", "id_vs_perplexity", "id_vs_step", "twonn_fit", "gallery"]
    for fig in figs:
        written = export_figure(fig, tmp_path / f"{fig.name}.png", ExportOptions(fmt="png", dpi=72))
        assert written[0].stat().st_size > 0
        meta = [p for p in written if p.suffix == ".json"]
        assert meta and str(tiny_sd1_folder) in meta[0].read_text()
    caption = figs[0].caption_text()
    assert str(tiny_sd1_folder) in caption and str(tiny_lm_folder) in caption
    assert "6 images per prompt" in caption and "3 denoising steps" in caption and "estimator twonn" in caption
    svg = export_figure(figs[1], tmp_path / "scatter.svg", ExportOptions(fmt="svg", write_data=False))
    assert "<path" in svg[0].read_text()

    out = panel.export_table(tmp_path / "table")
    assert sorted(p.name for p in out) == ["correlations.csv", "results.csv", "results.json"]
    rows = list(csv.DictReader((tmp_path / "table" / "results.csv").open()))
    assert len(rows) == 4 * 2 * 3 * 3  # prompts x layers x steps x estimators
    row = next(r for r in rows if r["prompt"] == "two blue squares" and r["layer"] == "latents" and r["step"] == "2")
    assert float(row["perplexity"]) == pytest.approx(res.perplexity[1])
    doc = json.loads((tmp_path / "table" / "results.json").read_text())
    assert doc["settings"]["n_images"] == 6 and doc["settings"]["steps"] == 3 and len(doc["correlations"]) > 0


def test_cancel_keeps_the_last_complete_run_and_settings_mark_it_stale(
    make_panel, qtbot, standalone_shell, tiny_sd1_folder, tiny_lm_folder, monkeypatch
):
    panel = make_panel("diffusion_id", start=False)
    _small(panel, tiny_sd1_folder, tiny_lm_folder, n_boot=0)
    panel.run()
    qtbot.waitUntil(panel.is_idle, timeout=120_000)
    first = panel.result
    assert first is not None and first.done == 4 and not panel.stale and panel.banner.isHidden()

    panel.state_model.steps = 4  # a run setting: the plots are stale, visibly
    assert panel.stale and not panel.banner.isHidden()
    panel.state_model.steps = 3  # the same settings again: not stale
    assert not panel.stale and panel.banner.isHidden()
    panel.state_model.view_estimator = "gride"  # a view choice never makes a run stale
    assert not panel.stale
    panel.editor.text.setPlainText(PROMPTS + "\na yellow cross")  # typing a prompt
    assert panel.stale and not panel.banner.isHidden()

    # the tiny run is faster than the queued partial signal: the worker waits after its first
    # partial until the GUI has pressed Cancel (the real job, only synchronised)
    import threading

    import workbench_diffusion_id.panel as panel_module

    pressed = threading.Event()
    real = panel_module.run_diffusion_id

    def waits_after_first_prompt(spec, ctx):
        send = ctx.partial

        def partial(res):
            send(res)
            if res.done == 1:
                pressed.wait(30)

        ctx.partial = partial
        return real(spec, ctx)

    monkeypatch.setattr(panel_module, "RUN_JOB", waits_after_first_prompt)  # in this process
    seen = []

    def cancel_after_first(res):
        seen.append(res.done)
        panel.result = res
        if res.done == 1:
            panel.cancel_run()
            pressed.set()

    panel._run_partial = cancel_after_first
    panel.state_model.seed = 5
    panel.run()
    qtbot.waitUntil(panel.is_idle, timeout=120_000)
    assert seen == [1]
    assert panel.result is first and panel.kept("run").result is first  # the partial run is not kept
    assert panel.bars.data()["id"].shape == (4, 2)
    assert "cancelled" in panel.status.text() and "last complete run" in panel.status.text()
    assert panel.stale and not panel.banner.isHidden()  # the settings (seed, prompts) differ from it
    assert standalone_shell.errors == []


def test_bad_folders_are_reported_and_nothing_is_lost(
    make_panel, qtbot, standalone_shell, tiny_sd1_folder, tiny_lm_folder, tmp_path
):
    panel = make_panel("diffusion_id", start=False)
    empty = tmp_path / "not_a_pipeline"
    empty.mkdir()
    _small(panel, empty, tiny_lm_folder)
    panel.run()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert len(standalone_shell.errors) == 1
    title, message = standalone_shell.errors[0]
    assert "model_index.json is missing" in message and str(empty) in message
    assert panel.result is None and "no complete run yet" in panel.status.text()

    panel.state_model.update({"model": str(tiny_sd1_folder), "lm": str(tmp_path / "nope")})
    panel.run()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert len(standalone_shell.errors) == 2 and "no such folder" in standalone_shell.errors[1][1]

    panel.state_model.lm = str(tiny_lm_folder)
    panel.editor.text.setPlainText("# only a comment")
    assert panel.run() is None  # refused before any job: the message names the prompts
    assert "prompts" in standalone_shell.errors[2][1] and panel.is_idle()


def test_module_picker_lists_the_unet_and_adds_a_layer(make_panel, qtbot, standalone_shell, tiny_sd1_folder):
    panel = make_panel("diffusion_id", start=False)
    panel.state_model.model = str(tiny_sd1_folder)  # a model change lists its modules
    qtbot.waitUntil(lambda: panel.modules is not None and panel.is_idle(), timeout=60_000)
    names = panel.modules.names
    assert "mid_block" in names and "down_blocks.1.attentions" in names and "up_blocks.0" in names
    assert panel.module_pick.currentData() == "mid_block"
    panel.module_pick.setCurrentIndex(panel.module_pick.findData("down_blocks.1"))
    panel.add_module()
    panel.add_module()  # once only
    assert panel.state_model.layers == "mid_block,latents,down_blocks.1"
    assert panel.layers.text() == "mid_block,latents,down_blocks.1"
    panel.state_model.model = str(tiny_sd1_folder) + "_missing"
    qtbot.waitUntil(lambda: panel.modules is None and panel.is_idle(), timeout=60_000)
    assert panel.module_pick.count() == 0 and "no such folder" in panel.module_pick.toolTip()
    assert standalone_shell.errors == []  # the picker's listing never raises a dialog


def test_prompt_editor_add_paste_load_save(make_panel, qtbot, standalone_shell, tmp_path):
    from PySide6.QtGui import QGuiApplication

    panel = make_panel("diffusion_id", start=False)
    ed = panel.editor
    ed.text.setPlainText("a red circle")
    ed.new.setText("  two green crosses ")
    ed.add_current()
    assert panel.state_model.prompt_list() == ["a red circle", "two green crosses"] and ed.new.text() == ""
    QGuiApplication.clipboard().setText("a blue square\n\n  a white cross\n")
    ed.paste()
    assert panel.state_model.prompt_list()[-2:] == ["a blue square", "a white cross"]
    assert ed.count.text() == "4 prompts"
    path = tmp_path / "p.txt"
    assert ed.save(path)
    assert path.read_text().splitlines() == ["a red circle", "two green crosses", "a blue square", "a white cross"]
    (tmp_path / "q.txt").write_text("# mine\nfrell mib\n")
    assert ed.load(tmp_path / "q.txt") and panel.state_model.prompt_list() == ["frell mib"]
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00garbage")
    assert not ed.load(tmp_path / "bad.txt")
    assert panel.state_model.prompt_list() == ["frell mib"]  # nothing lost
    assert len(standalone_shell.errors) == 1 and "bad.txt" in standalone_shell.errors[0][1]
