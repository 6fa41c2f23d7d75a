"""The PGD explorer's Qt-free state (fields, rules, versions) and the sessions of its panel:
results are kept and redrawn without recomputing, and marked stale when the settings change."""

from __future__ import annotations

import json
import math

import pytest

from workbench import plaindata
from workbench.state import StateError
from workbench_adversarial.state import AdversarialState

#: what ``AdversarialPanel.state()`` of the first release (state version 1) returned, with
#: values only version 1's restore accepted: eps beyond the spin box (it clamped to 1000), a
#: step factor it rounded to 2 decimals, "Infinity" for p, a stale dataset beside a zoo model
#: and a dims list no sweep could run with
V1_STATE = {
    "version": 1,
    "source": "zoo",
    "model": "digits-mlp",
    "path": "",
    "arch": "cnn",
    "dataset": "shapes",
    "n": 40,
    "classes": "1, 7",
    "seed": 12,
    "p": "Infinity",
    "eps": 1500,
    "steps": 4,
    "step_factor": 1.234,
    "random_start": False,
    "restarts": 3,
    "target": "least_likely",
    "kind": "patch",
    "dim": 9,
    "dims": "0, 4",
    "eps_list": "0.5, 2",
    "sweep_steps": 3,
    "tab": 2,
}


# ---- Qt-free state ------------------------------------------------------------------------
def test_version_1_state_migrates_as_version_1_restored_it():
    st = AdversarialState()
    st.restore(V1_STATE)
    assert st.to_dict() == {
        "version": 2,
        "source": "zoo",
        "model": "digits-mlp",
        "path": "",
        "arch": "cnn",
        "dataset": "digits",
        "n": 40,
        "classes": "1, 7",
        "seed": 12,
        "p": "inf",
        "eps": 1000.0,
        "steps": 4,
        "step_factor": 1.23,
        "random_start": False,
        "restarts": 3,
        "target": "least_likely",
        "kind": "patch",
        "dim": 9,
        "dims": "4, 8, 16, 32, 64",
        "eps_list": "0.5, 2",
        "sweep_steps": 3,
        "tab": 2,
    }
    spec = st.attack_spec()
    assert math.isinf(spec.p) and spec.eps == 1000.0 and spec.seed == 12 and spec.classes == (1, 7)


def test_version_1_of_a_file_model_keeps_its_dataset():
    st = AdversarialState()
    st.restore({**V1_STATE, "source": "torchscript", "path": "/m/model.pt", "classes": "3"})
    assert st.dataset == "shapes" and st.model_ref().dataset == "shapes" and st.model_ref().path == "/m/model.pt"


def test_newer_version_refused_and_nothing_changes():
    st = AdversarialState(eps=0.3)
    before = st.to_dict()
    with pytest.raises(StateError, match=r"newer workbench \(state version 3; this one reads up to 2\)"):
        st.restore({**before, "version": 3, "eps": 0.9})
    assert st.to_dict() == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"n": -3}, r"test images \(n\) must be an integer in \[1, 100000\], got -3"),
        ({"eps": 2000}, r"eps \(eps\) must be a number >= 0 and <= 1000"),
        ({"kind": "spiral"}, r"subspace \(kind\) must be one of full, pixels"),
        ({"model": "nope"}, r"zoo model \(model\) must be one of digits-cnn"),
        ({"p": "0.5"}, r"norm p \(p\): must be >= 1 or 'inf'"),
        ({"p": ""}, r"norm p \(p\): must be a number >= 1"),
        ({"dims": "a, b"}, r"dims V \(dims\): cannot read 'a, b' as a comma-separated list of integers"),
        ({"eps_list": ""}, r"eps values \(eps_list\): give at least one value"),
        ({"eps_list": "1, -2"}, r"eps values \(eps_list\): every eps must be a finite number >= 0"),
        ({"classes": "-1"}, r"classes \(classes\): class indices are >= 0"),
        ({"seed": 2**31}, r"seed \(seed\) must be an integer"),
        ({"tab": 3}, r"tab \(tab\) must be an integer in \[0, 2\]"),
        ({"random_start": "yes"}, r"random start \(random_start\) must be true or false"),
    ],
)
def test_bad_value_refused_with_the_field_named_and_nothing_changes(bad, message):
    st = AdversarialState()
    before = st.to_dict()
    with pytest.raises(StateError, match=message):
        st.restore({**before, "eps": 0.25, **bad})  # eps is valid: it must not be applied either
    assert st.to_dict() == before


def test_classes_must_exist_in_the_attacked_dataset():
    st = AdversarialState()
    st.update({"model": "shapes-cnn", "classes": "0, 3"})
    with pytest.raises(StateError, match=r"classes 7 do not exist in shapes \(its classes are 0..3\)"):
        st.update({"classes": "3, 7"})
    assert st.classes == "0, 3"
    st.update({"model": "digits-cnn", "classes": "3, 7"})  # digits has 10 classes
    assert st.dataset == "digits"


def test_dataset_follows_the_zoo_model_only():
    st = AdversarialState()
    st.model = "shapes-mlp"
    assert st.dataset == "shapes"
    st.source = "torchscript"
    st.dataset = "digits"
    st.model = "shapes-cnn"  # a file's dataset is the user's choice
    assert st.dataset == "digits"
    st.source = "zoo"
    assert st.dataset == "shapes"


def test_specs_are_built_from_the_state_with_its_one_seed():
    st = AdversarialState(
        p="1.5",
        eps=0.8,
        steps=4,
        step_factor=2.0,
        seed=99,
        kind="orthonormal",
        dim=5,
        dims="2, 8",
        eps_list="0.1 0.4",
        sweep_steps=7,
        restarts=2,
        classes="0,2",
    )
    a, s = st.attack_spec(), st.sweep_spec()
    assert (a.p, a.eps, a.steps, a.step_size, a.kind, a.dim, a.seed) == (1.5, 0.8, 4, 0.4, "orthonormal", 5, 99)
    assert (s.dims, s.eps_values, s.steps, s.step_factor, s.seed, s.classes) == ((2, 8), (0.1, 0.4), 7, 2.0, 99, (0, 2))
    st.source = "state_dict"
    with pytest.raises(ValueError, match="choose a model file"):
        st.attack_spec()
    st.path = " w.safetensors "
    assert st.attack_spec().model.path == "w.safetensors" and st.attack_spec().model.arch == "linear"


# ---- the panel ----------------------------------------------------------------------------
qt = pytest.importorskip("PySide6")

STALE = "(stale: settings changed since this was computed)"


def _small(st):
    st.update({"n": 40, "steps": 3, "dims": "4, 64", "eps_list": "0.5, 2", "sweep_steps": 2})


@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def _record_submits(monkeypatch):
    from workbench_adversarial.panel import AdversarialPanel

    calls = []
    monkeypatch.setattr(AdversarialPanel, "submit", lambda self, fn, spec, **kw: calls.append(spec))
    return calls


def test_widgets_take_their_ranges_from_the_state_and_follow_it(make_panel, qtbot):
    from PySide6.QtCore import Qt

    panel = make_panel("adversarial", start=False)
    st = panel.state_model
    assert (panel.n.minimum(), panel.n.maximum()) == (1, 100_000)
    assert (panel.eps.maximum(), panel.eps.decimals(), panel.step_factor.minimum()) == (1000.0, 4, 0.01)
    assert [panel.kind.itemText(i) for i in range(panel.kind.count())] == list(st.field("kind").choices())
    st.update({"kind": "channels", "eps": 0.35, "tab": 2})
    assert (panel.kind.currentText(), panel.eps.value(), panel.tabs.currentIndex()) == ("channels", 0.35, 2)
    panel.tabs.setCurrentIndex(1)
    assert st.tab == 1
    panel.dims.clear()
    qtbot.keyClicks(panel.dims, "3, 5")
    qtbot.keyClick(panel.dims, Qt.Key.Key_Return)
    assert st.dims == "3, 5" and panel.sweep_spec().dims == (3, 5)
    panel.model.setCurrentIndex(panel.model.findData("shapes-cnn"))  # the dataset follows the zoo model
    assert st.dataset == "shapes" and panel.dataset.currentText() == "shapes"
    assert not panel.dataset.isEnabled()
    panel.source.setCurrentIndex(panel.source.findData("torchscript"))
    assert panel.dataset.isEnabled() and panel.path.isEnabled() and not panel.model.isEnabled()


def test_refused_text_stops_the_job_with_its_message(make_panel, qtbot, standalone_shell):
    panel = make_panel("adversarial", start=False)
    _small(panel.state_model)
    panel.dims.setText("four")  # typed, then Ctrl+Shift+Return: the edit is committed by the run
    panel.run_sweep()
    assert panel.running_jobs() == [] and panel.sweep_table is None
    assert standalone_shell.errors[-1][0] == "Sweep settings"
    assert "dims V (dims): cannot read 'four'" in standalone_shell.errors[-1][1]
    assert panel.state_model.dims == "4, 64" and panel.dims.property("invalid")
    panel.run_attack()  # the attack does not read dims
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert len(standalone_shell.errors) == 1 and panel.attack_result is not None


def test_panel_restore_refuses_bad_state_and_changes_nothing(make_panel):
    panel = make_panel("adversarial", start=False)
    panel.eps.setValue(0.4)
    before = panel.state()
    for bad in ({"n": 0}, {"version": 3}, {"p": "x"}):
        with pytest.raises(ValueError, match=r"test images \(n\)|newer workbench|norm p \(p\)"):
            panel.restore({**before, "eps": 0.9, **bad})
    assert panel.state() == before and panel.eps.value() == 0.4


def test_results_survive_a_fresh_panel_without_recomputing(make_panel, qtbot, standalone_shell, monkeypatch):
    panel = make_panel("adversarial", start=False)
    _small(panel.state_model)
    panel.run_attack()
    panel.run_sweep()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert standalone_shell.errors == []
    assert panel.status.text().count("\n") == 1 and STALE not in panel.status.text()
    for name in ("attack", "sweep"):  # kept results are plain data: they encode without pickle
        kept = panel.kept(name)
        assert plaindata.same(plaindata.decode(*plaindata.encode(kept.result)), kept.result)
    state, results = json.loads(json.dumps(panel.state())), panel.results()
    calls = _record_submits(monkeypatch)
    fresh = make_panel("adversarial", start=False)
    fresh.restore(state)
    fresh.restore_results(results)
    fresh.start()  # a result is already there: the embedded default does not recompute it
    assert calls == [] and fresh.is_idle()
    assert fresh.sweep_table is results["sweep"].result and len(fresh.sweep_table.cells) == 4
    assert fresh.plots.table is fresh.sweep_table and fresh.plots.data_spread()
    assert fresh.attack_result is results["attack"].result
    assert len(fresh.grid.data()["label"]) == len(panel.grid.data()["label"]) > 0
    assert fresh.status.text() == panel.status.text()
    assert fresh.stale == {"attack": False, "sweep": False}


def test_session_keeps_the_sweep_and_marks_stale_results(window, qtbot, tmp_path, monkeypatch):
    panel = window.open_panel("adversarial")
    qtbot.waitUntil(panel.is_idle, timeout=120000)  # start(): the default attack
    assert panel.attack_result is not None and panel.kept("attack") is not None
    _small(panel.state_model)
    panel.run_sweep()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    table = panel.sweep_table
    assert table is not None and table.collapse is not None and window.errors_shown == []
    # the attack was computed with n = 150 and 10 steps: those settings changed since
    assert panel.stale == {"attack": True, "sweep": False}
    assert panel.status.text().count(STALE) == 1
    path = tmp_path / "adv.wbsession"
    window.save_session(path)
    assert (tmp_path / "adv.results.npz").exists()
    assert json.loads(path.read_text())["panels"]["adversarial"]["version"] == 2

    calls = _record_submits(monkeypatch)
    panel.state_model.update({"eps_list": "1, 3", "kind": "full"})
    panel.restore_results({})  # what a session without results shows: nothing
    assert panel.sweep_table is None and panel.attack_result is None and panel.status.text() == ""
    assert window.load_session(path)
    assert calls == [] and panel.is_idle()
    assert plaindata.same(panel.sweep_table, table) and panel.plots.table is panel.sweep_table
    assert panel.state_model.eps_list == "0.5, 2" and panel.state_model.kind == "pixels"
    assert panel.stale == {"attack": True, "sweep": False}

    panel.eps_list.setText("0.5, 2, 4")  # a sweep setting changes: the sweep is stale, visibly
    panel.eps_list.editingFinished.emit()
    assert panel.stale["sweep"] and panel.status.text().count(STALE) == 2
    panel.state_model.eps_list = "0.5 2"  # the same list again: not stale
    assert not panel.stale["sweep"] and panel.status.text().count(STALE) == 1
    panel.state_model.update({"n": 150, "steps": 3})  # the attack's own settings are back but steps
    assert panel.stale["attack"]
    panel.state_model.steps = 10
    assert not panel.stale["attack"]
    assert panel.stale["sweep"]  # n is a sweep setting too
    attack_line, sweep_line = panel.status.text().split("\n")
    assert STALE not in attack_line and sweep_line.endswith(STALE)

    # a new window: the session opens the panel, whose start() must not recompute the attack
    other = type(window)(interactive=False, restore_layout=False)
    qtbot.addWidget(other)
    other.show()
    try:
        assert other.load_session(path)
        restored = other.panels["adversarial"]
        qtbot.waitUntil(lambda: not restored.start_pending, timeout=10000)
        assert calls == []
        assert plaindata.same(restored.sweep_table, table)
        assert restored.stale == {"attack": True, "sweep": False} and restored.status.text().count(STALE) == 1
    finally:
        other.shutdown()


def test_version_1_session_of_the_first_release_opens(window, qtbot, tmp_path):
    from workbench.session import FORMAT

    path = tmp_path / "old.wbsession"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "app_version": "0.1.0",
                "layout": {"open_panels": ["adversarial"]},
                "panels": {"adversarial": V1_STATE},
            }
        )
    )
    assert window.load_session(path), window.errors_shown
    panel = window.panels["adversarial"]
    qtbot.waitUntil(panel.is_idle, timeout=120000)  # no result in the session: start() attacks
    assert (panel.p.currentText(), panel.eps.value(), panel.tabs.currentIndex()) == ("inf", 1000.0, 2)
    assert panel.dataset.currentText() == "digits" and panel.model.currentText() == "digits-mlp"
    assert panel.attack_result is not None and panel.attack_result.model == "digits-mlp"
    assert not panel.stale["attack"]
