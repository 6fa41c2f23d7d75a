"""The panel's state (DiffusionIDState bound to its widgets) and its sessions: widgets follow
the state, a bad state is refused without changing anything, restoring never starts a run, and a
session keeps the finished run (pickle-free) and shows it again, stale when its settings differ."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("PySide6")

from workbench import plaindata

PROMPTS = "a red circle\nblorp zint\ntwo blue squares"


def _small(st, folder, lm):
    st.update(
        {
            "prompts": PROMPTS,
            "model": str(folder),
            "lm": str(lm),
            "n_images": 5,
            "steps": 2,
            "n_boot": 0,
            "batch_size": 5,
            "device": "cpu",
            "estimators": "mle,twonn",
        }
    )


def _record_runs(monkeypatch):
    """Record run submissions instead of running them (other jobs, the module listing, run)."""
    from workbench_diffusion_id.panel import RUN_JOB, DiffusionIDPanel

    calls = []
    real = DiffusionIDPanel.submit

    def submit(self, fn, spec, **kw):
        if fn is RUN_JOB:
            calls.append(spec)
            return None
        return real(self, fn, spec, **kw)

    monkeypatch.setattr(DiffusionIDPanel, "submit", submit)
    return calls


def test_widgets_take_their_ranges_from_the_state_and_follow_it(make_panel):
    panel = make_panel("diffusion_id", start=False)
    st = panel.state_model
    assert panel.n_images.minimum() == 3 and panel.steps.maximum() == 1000 and panel.guidance.maximum() == 50.0
    assert [panel.device.itemText(i) for i in range(panel.device.count())] == ["auto", "cpu", "cuda"]
    st.update({"steps": 7, "seed": 3, "layers": "mid_block", "tab": 4})
    assert panel.steps.value() == 7 and panel.seed.value() == 3 and panel.layers.text() == "mid_block"
    assert panel.tabs.currentIndex() == 4
    panel.tabs.setCurrentIndex(1)
    assert st.tab == 1
    panel.n_images.setValue(9)
    assert st.n_images == 9
    panel.editor.text.setPlainText("a\nb")
    assert st.prompts == "a\nb"


def test_restore_refuses_bad_state_and_changes_nothing(make_panel):
    panel = make_panel("diffusion_id", start=False)
    panel.steps.setValue(11)
    before = panel.state()
    for bad, match in (
        ({"n_images": 1}, "images per prompt"),
        ({"version": 9}, "newer"),
        ({"estimators": "nope"}, "unknown estimator"),
        ({"prompts": "# only a comment"}, "no prompts"),
    ):
        with pytest.raises(ValueError, match=match):
            panel.restore({**before, "seed": 42, **bad})
    assert panel.state() == before and panel.steps.value() == 11 and panel.seed.value() == 0


def test_session_keeps_the_run_and_marks_it_stale(
    make_panel, qtbot, standalone_shell, tiny_sd1_folder, tiny_lm_folder, monkeypatch
):
    panel = make_panel("diffusion_id", start=False)
    _small(panel.state_model, tiny_sd1_folder, tiny_lm_folder)
    panel.run()
    qtbot.waitUntil(panel.is_idle, timeout=120_000)
    assert standalone_shell.errors == [] and panel.result is not None and panel.result.done == 3
    kept = panel.kept("run")
    # the kept run is plain data: it encodes without pickle and decodes equal
    decoded = plaindata.decode(*plaindata.encode(kept.result))
    assert plaindata.same(decoded, kept.result)
    assert decoded.twonn[1][0][1].slope == kept.result.twonn[1][0][1].slope
    state, results = json.loads(json.dumps(panel.state())), panel.results()

    calls = _record_runs(monkeypatch)
    fresh = make_panel("diffusion_id", start=False)
    fresh.restore(state)
    from workbench.gui.panel import KeptResult

    fresh.restore_results({"run": KeptResult(decoded, plaindata.decode(*plaindata.encode(kept.inputs)))})
    fresh.start()  # a result is there: start() never runs (only the module listing)
    qtbot.waitUntil(fresh.is_idle, timeout=60_000)
    assert calls == []
    assert plaindata.same(fresh.result, panel.result) and not fresh.stale and fresh.banner.isHidden()
    np.testing.assert_array_equal(fresh.bars.data()["id"], panel.bars.data()["id"])
    np.testing.assert_array_equal(fresh.gallery.data()["images"], panel.gallery.data()["images"])
    assert fresh.status.text() == panel._summary(panel.result)

    # a session whose settings differ from its run's: restored stale, visibly
    fresh.restore({**state, "guidance": 7.5})
    fresh.restore_results(results)
    assert fresh.stale and not fresh.banner.isHidden()
    fresh.restore_results({})  # a session without results: nothing drawn
    assert fresh.result is None and fresh.bars.data() == {} and fresh.banner.isHidden()
    assert calls == []


def test_window_session_file_keeps_the_run(qtbot, tmp_path, tiny_sd1_folder, tiny_lm_folder, monkeypatch):
    from workbench.gui.main_window import MainWindow

    window = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(window)
    window.show()
    try:
        panel = window.open_panel("diffusion_id")
        qtbot.waitUntil(panel.is_idle, timeout=60_000)  # start(): lists the default's modules, no run
        assert panel.result is None and panel.modules is not None and "mid_block" in panel.modules.names
        _small(panel.state_model, tiny_sd1_folder, tiny_lm_folder)
        panel.run()
        qtbot.waitUntil(panel.is_idle, timeout=120_000)
        assert window.errors_shown == [] and panel.result is not None
        run = panel.result
        path = tmp_path / "dfid.wbsession"
        window.save_session(path)
        assert (tmp_path / "dfid.results.npz").exists()
        assert json.loads(path.read_text())["panels"]["diffusion_id"]["n_images"] == 5

        calls = _record_runs(monkeypatch)
        panel.state_model.update({"steps": 9, "seed": 4})
        panel.restore_results({})
        assert panel.result is None
        assert window.load_session(path)
        qtbot.waitUntil(panel.is_idle, timeout=60_000)
        assert calls == [] and plaindata.same(panel.result, run) and panel.result.done == 3
        assert panel.state_model.steps == 2 and not panel.stale and panel.banner.isHidden()
        np.testing.assert_array_equal(panel.bars.data()["id"], run.ids[0, :, :, 1])
    finally:
        window.shutdown()
