"""The torus bundle viewer's Qt-free state (fields, rules, versions) and the sessions of its panel:
the torus view, the phase diagram, the dataset and its predictions are kept, given back without
recomputing, marked stale when the settings change; the panel's temporary folder is removed."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from workbench import plaindata
from workbench.state import StateError
from workbench_bundle.core.models import PARAM_RANGES
from workbench_bundle.state import BundleState


def _v1_state(checkpoint: str = "", dataset_path: str = "") -> dict:
    """What ``BundlePanel.state()`` of the first release (state version 1) returned: m = 4.5 came
    from a click on the phase diagram at t1 = 1.5 (m / t1 = 3), beyond the m slider's range."""
    return {
        "version": 1,
        "model": "qwz",
        "params": {
            "haldane": {"t1": 1.5, "t2": 0.2, "phi": -1.0, "m": 4.5},
            "qwz": {"u": -1.5},
            "bhz": {"M": 2.0, "A": 1.0, "B": 0.5},
            "custom": {"u": 0.5},
        },
        "expressions": {"dx": "sin(kx)", "dy": "u * sin(ky)", "dz": "u + cos(kx) + cos(ky)"},
        "color_mode": "phase2",
        "grid": 64,
        "arrows": True,
        "winding_labels": False,
        "dataset_path": dataset_path,
        "checkpoint": checkpoint,
        "tab": 2,
    }


# ---- Qt-free state ------------------------------------------------------------------------
def test_parameter_fields_take_their_ranges_from_core():
    st = BundleState()
    for model, ranges in PARAM_RANGES.items():
        for name, (lo, hi) in ranges.items():
            f = st.field(f"{model}_{name}")
            assert (f.lo, f.hi) == (lo, hi)
        assert set(st.params(model)) == set(ranges) or model == "custom"
    assert st.params("custom") == {"u": 1.0}


def test_train_architectures_are_the_classifiers():
    from workbench_bundle.core.classifiers import ARCHITECTURES
    from workbench_bundle.state import TRAIN_ARCHS

    assert sorted(TRAIN_ARCHS) == sorted(ARCHITECTURES)


def test_version_1_state_migrates():
    from workbench_resources import resource_path

    st = BundleState()
    st.restore(_v1_state(str(resource_path("bundle", "cnn.safetensors")), "/data/ds.npz"))
    d = st.to_dict()
    assert d["version"] == 2 and d["model"] == "qwz" and d["qwz_u"] == -1.5 and d["custom_u"] == 0.5
    assert (d["haldane_t1"], d["haldane_t2"], d["haldane_phi"], d["haldane_m"]) == (1.5, 0.2, -1.0, 3.0)
    assert (d["bhz_M"], d["expr_dy"], d["color_mode"], d["view_grid"]) == (2.0, "u * sin(ky)", "phase2", 64)
    assert (d["arrows"], d["winding_labels"], d["tab"]) == (True, False, 2)
    assert (d["dataset_file"], d["classifier"], d["checkpoint_file"]) == ("/data/ds.npz", "cnn", "")
    spec = st.model_view_spec()
    assert spec.model == "qwz" and dict(spec.params) == {"u": -1.5} and spec.grid == 64
    ph = st.phase_spec()
    assert math.isclose(ph.t2, 0.2 / 1.5) and ph.t1 == 1.0


def test_version_1_with_a_user_checkpoint_and_a_bad_tab():
    st = BundleState()
    st.restore({**_v1_state("/models/mine.safetensors"), "tab": 7})
    assert (st.classifier, st.checkpoint_file, st.tab) == ("file", "/models/mine.safetensors", 0)
    assert st.checkpoint_path() == "/models/mine.safetensors"


def test_newer_version_refused_and_nothing_changes():
    st = BundleState(haldane_m=0.1)
    before = st.to_dict()
    with pytest.raises(StateError, match=r"newer workbench \(state version 3; this one reads up to 2\)"):
        st.restore({**before, "version": 3, "haldane_m": 0.9})
    assert st.to_dict() == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"haldane_m": 9}, r"m \(haldane_m\) must be a number >= -3 and <= 3, got 9"),
        ({"bhz_A": 0.0}, r"A \(bhz_A\) must be a number >= 0.1"),
        ({"model": "kagome"}, r"model \(model\) must be one of haldane, qwz, bhz, custom"),
        ({"expr_dz": "__import__('os').getcwd()"}, r"dz \(expr_dz\): .*not allowed"),
        ({"expr_dx": "  "}, r"dx \(expr_dx\): empty expression"),
        ({"expr_dy": "sin(ky) + w"}, r"dy \(expr_dy\): unknown name 'w'"),
        ({"dataset_seed": -1}, r"seed \(dataset_seed\) must be an integer in \[0, 2147483647\]"),
        ({"train_seed": 2.5}, r"train seed \(train_seed\) must be an integer"),
        ({"view_grid": 8}, r"grid \(view_grid\) must be an integer in \[16, 512\]"),
        ({"color_mode": "rainbow"}, r"colour \(color_mode\) must be one of curvature"),
        ({"dataset_size": 2}, r"size \(dataset_size\) must be an integer in \[5, 100000\]"),
        ({"dataset_variant": "huge"}, r"variant \(dataset_variant\) must be one of random, simple, intermediate"),
        (
            {"classifier": "resnet"},
            r"classifier \(classifier\) must be one of flux, cnn, mlp, gauge, gauge-c0, charge, subcell, file",
        ),
        ({"tab": 3}, r"tab \(tab\) must be an integer in \[0, 2\]"),
        ({"arrows": "yes"}, r"arrows: phase of psi_2 \(arrows\) must be true or false"),
    ],
)
def test_bad_value_refused_with_the_field_named_and_nothing_changes(bad, message):
    st = BundleState()
    before = st.to_dict()
    with pytest.raises(StateError, match=message):
        st.restore({**before, "haldane_m": 0.25, **bad})  # valid: it must not be applied either
    assert st.to_dict() == before


def test_specs_come_from_the_state_with_its_seeds():
    st = BundleState(
        model="bhz",
        bhz_spin="down",
        bhz_M=1.5,
        dataset_seed=11,
        dataset_size=30,
        dataset_variant="simple",
        train_arch="cnn",
        train_epochs=2,
        train_seed=4,
    )
    v = st.model_view_spec()
    assert (v.model, v.spin, dict(v.params)) == ("bhz", "down", {"M": 1.5, "A": 1.0, "B": 0.5})
    d = st.dataset_spec()
    assert (d.size, d.seed, d.variant, d.balance, d.grid) == (30, 11, "simple", False, 32)
    t = st.train_spec("/d.npz", "/o.safetensors")
    assert (t.arch, t.epochs, t.seed, t.data, t.out) == ("cnn", 2, 4, "/d.npz", "/o.safetensors")


def test_same_seed_regenerates_the_same_dataset():
    from workbench.jobs import JobContext
    from workbench_bundle.jobs import run_dataset

    st = BundleState(dataset_size=10, dataset_seed=3)
    a = run_dataset(st.dataset_spec(), JobContext(device="cpu"))
    b = run_dataset(
        BundleState(**{k: v for k, v in st.to_dict().items() if k != "version"}).dataset_spec(),
        JobContext(device="cpu"),
    )
    st.dataset_seed = 4
    c = run_dataset(st.dataset_spec(), JobContext(device="cpu"))
    assert np.array_equal(a.psi, b.psi) and np.array_equal(a.coef_f, b.coef_f) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.coef_f, c.coef_f)


# ---- the panel (vispy needs OpenGL: Xvfb with xcb) ------------------------------------------
qt = pytest.importorskip("PySide6")
needs_gl = pytest.mark.skipif(
    os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"),
    reason="vispy needs OpenGL: run under xvfb-run -a with QT_QPA_PLATFORM=xcb",
)


@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w
    w.shutdown()


def _record_submits(monkeypatch):
    """Replace BundlePanel.submit: record (job name, spec) and run nothing (the handle never ends)."""
    from workbench.gui.jobrunner import JobHandle
    from workbench_bundle.panel import BundlePanel

    calls = []

    def record(self, fn, spec, **kw):
        calls.append((fn.__name__, spec))
        return JobHandle(kw.get("title", ""), fn, spec, kw.get("key"), "bundle")

    monkeypatch.setattr(BundlePanel, "submit", record)
    return calls


def _same(a, b) -> bool:
    return plaindata.same(a, b)


@needs_gl
def test_session_keeps_results_without_recomputing_and_marks_stale(window, qtbot, tmp_path, monkeypatch):
    panel = window.open_panel("bundle")
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.phase is not None and panel.current_view is not None, timeout=60000
    )
    panel.state_model.update({"dataset_size": 10, "dataset_seed": 7, "classifier": "flux"})
    panel.generate()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.dataset is not None, timeout=60000)
    panel.predict()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.predictions is not None, timeout=60000)
    panel.show_sample(2)
    qtbot.waitUntil(lambda: panel.is_idle() and panel.current_view.label == "sample", timeout=30000)
    assert window.errors_shown == [] and panel.status.text() == ""
    kept = {name: panel.kept(name).result for name in ("view", "phase", "dataset", "predictions")}
    for result in kept.values():  # plain data: encodes without pickle and decodes to the same
        assert _same(plaindata.decode(*plaindata.encode(result)), result)
    badge, info = panel.badge.text(), panel.ds_info.text()
    path = tmp_path / "bundle.wbsession"
    window.save_session(path)
    assert (tmp_path / "bundle.results.npz").exists()
    assert json.loads(path.read_text())["panels"]["bundle"]["dataset_seed"] == 7

    panel.restore_results({})  # a session without results: nothing shown
    assert panel.dataset is None and panel.phase is None and panel.badge.text() == "C = ?"
    panel.state_model.update({"dataset_seed": 8, "viewing_sample": -1, "haldane_m": -0.5})
    qtbot.waitUntil(lambda: panel.is_idle() and panel.current_view is not None, timeout=30000)
    calls = _record_submits(monkeypatch)
    assert window.load_session(path)
    assert calls == [] and panel.is_idle()
    assert panel.state_model.dataset_seed == 7 and panel.state_model.viewing_sample == 2
    assert np.array_equal(panel.dataset.psi, kept["dataset"].psi) and _same(panel.dataset, kept["dataset"])
    assert _same(panel.phase, kept["phase"]) and _same(panel.current_view, kept["view"])
    assert np.array_equal(panel.predictions, kept["predictions"].predicted)
    assert panel.browser.count() == 10 and panel.ds_info.text() == info and panel.badge.text() == badge
    assert not any(panel.stale.values()) and panel.status.text() == ""

    # settings that are not recomputed by themselves: the result is marked stale, visibly
    panel.state_model.dataset_seed = 9
    assert panel.stale["dataset"] and "stale: dataset" in panel.status.text()
    panel.state_model.classifier = "cnn"
    assert panel.stale["predictions"] and "stale: predictions: the classifier changed" in panel.status.text()
    panel.state_model.update({"dataset_seed": 7, "classifier": "flux"})
    assert not any(panel.stale.values()) and panel.status.text() == ""

    # a session kept results of other settings (t2 changed before its phase diagram was
    # recomputed): restored as they were, marked stale, nothing recomputed
    state = panel.state()
    panel.restore({**state, "haldane_t2": 0.5, "viewing_sample": -1})
    assert calls == []
    assert panel.stale["phase"] and panel.stale["view"] and not panel.stale["dataset"]
    assert "stale: phase diagram" in panel.status.text() and "stale: torus view" in panel.status.text()

    # a new window: the session opens the panel, whose start() must not recompute anything
    other = type(window)(interactive=False, restore_layout=False)
    qtbot.addWidget(other)
    other.show()
    try:
        assert other.load_session(path)
        restored = other.panels["bundle"]
        qtbot.waitUntil(lambda: not restored.start_pending, timeout=10000)
        assert calls == [] and restored.is_idle()
        assert _same(restored.dataset, kept["dataset"]) and _same(restored.phase, kept["phase"])
        assert restored.badge.text() == badge and restored.status.text() == ""
    finally:
        other.shutdown()


@needs_gl
def test_reopened_session_regenerates_the_identical_dataset(make_panel, qtbot):
    panel = make_panel("bundle", start=False)
    panel.state_model.update({"dataset_size": 8, "dataset_seed": 21, "dataset_variant": "random"})
    panel.generate()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.dataset is not None, timeout=60000)
    state = json.loads(json.dumps(panel.state()))
    fresh = make_panel("bundle", start=False)
    fresh.restore(state)  # settings only: Generate again with the session's seed
    fresh.generate()
    qtbot.waitUntil(lambda: fresh.is_idle() and fresh.dataset is not None, timeout=60000)
    for name in ("psi", "labels", "coef_f", "coef_g", "pair"):
        assert np.array_equal(getattr(fresh.dataset, name), getattr(panel.dataset, name)), name
    assert fresh.dataset.provenance["seed"] == 21 and not fresh.stale["dataset"]


@needs_gl
def test_panel_refuses_bad_state_and_changes_nothing(make_panel, monkeypatch):
    panel = make_panel("bundle", start=False)
    panel.set_params("haldane", m=0.4)
    before = panel.state()
    calls = _record_submits(monkeypatch)
    for bad, message in (
        ({"haldane_t1": 5.0}, r"t1 \(haldane_t1\)"),
        ({"version": 3}, "newer workbench"),
        ({"expr_dz": "open('x')"}, r"dz \(expr_dz\)"),
    ):
        with pytest.raises(ValueError, match=message):
            panel.restore({**before, "haldane_m": 0.9, **bad})
    assert panel.state() == before and calls == []
    slider = panel.controls.sliders["haldane_m"]
    assert slider.value() == round((0.4 + 3) / 6 * slider.maximum())


@needs_gl
def test_version_1_session_opens_and_loads_its_dataset_file(window, qtbot, tmp_path):
    from workbench.session import FORMAT
    from workbench_bundle.core.haldane_bundle import generate_dataset, save_dataset

    data = save_dataset(generate_dataset(6, grid=32, seed=2), tmp_path / "ds.npz")
    path = tmp_path / "old.wbsession"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "app_version": "0.1.0",
                "layout": {"open_panels": ["bundle"]},
                "panels": {"bundle": _v1_state("", str(data))},
            }
        )
    )
    assert window.load_session(path), window.errors_shown
    panel = window.panels["bundle"]
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.dataset is not None and panel.current_view is not None, timeout=60000
    )  # no results in the session: start() computes and loads
    assert panel.model_combo.currentText() == "qwz" and panel.tabs.currentIndex() == 2
    assert panel.controls.grid_spin.value() == 64 and panel.controls.mode_combo.currentData() == "phase2"
    assert panel.current_view.chern == 1 and len(panel.dataset) == 6  # QWZ at u = -1.5
    assert panel.state_model.get("haldane_m") == 3.0 and window.errors_shown == []


@needs_gl
def test_training_keeps_predictions_and_the_temporary_folder_is_removed(
    make_panel, qtbot, tmp_path, monkeypatch, standalone_shell
):
    from pathlib import Path

    from workbench_bundle.core.haldane_bundle import generate_dataset, load_dataset, save_dataset

    source = save_dataset(generate_dataset(20, grid=32, seed=6), tmp_path / "d.npz")
    panel = make_panel("bundle", start=False)
    panel.load_dataset(str(source))
    qtbot.waitUntil(lambda: panel.is_idle() and panel.dataset is not None, timeout=30000)
    panel.save_dataset(str(tmp_path / "copy.npz"))
    assert panel.running_jobs()  # saving is a job, not done on the GUI thread
    qtbot.waitUntil(panel.is_idle, timeout=30000)
    assert panel.state_model.dataset_file == str(tmp_path / "copy.npz")
    assert _same(load_dataset(tmp_path / "copy.npz"), panel.dataset)
    panel.state_model.update({"train_arch": "flux", "train_epochs": 1, "train_seed": 3})
    panel.train()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.predictions is not None, timeout=120000)
    assert standalone_shell.errors == []
    work = Path(panel.trained_checkpoint).parent
    assert work.is_dir() and (work / "dataset.npz").is_file() and Path(panel.trained_checkpoint).is_file()
    pred = panel.kept("predictions").result
    assert pred.source == "trained flux" and 0 <= pred.test_accuracy <= 1 and len(pred.predicted) == 20
    assert "predicted by trained flux" in panel.ds_info.text()

    results, state = panel.results(), json.loads(json.dumps(panel.state()))
    calls = _record_submits(monkeypatch)
    fresh = make_panel("bundle", start=False)
    fresh.restore(state)
    fresh.restore_results(results)
    fresh.start()  # view and phase diagram were not kept: only those are computed
    assert sorted(name for name, _spec in calls) == ["run_phase_diagram", "run_view"]
    assert np.array_equal(fresh.predictions, pred.predicted) and not fresh.stale["predictions"]
    monkeypatch.undo()
    panel.state_model.train_seed = 4
    assert "stale: predictions: the training settings changed" in panel.status.text()

    assert panel.shutdown(10000)
    assert not work.exists()
