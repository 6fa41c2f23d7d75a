"""The equivariant panel's state (EquivariantState bound to its widgets) and its sessions: the
widgets follow the state, a bad state is refused without changing anything, restoring never
starts a job, and a session keeps the check and the timing chart (pickle-free) and shows them
again, stale when the restored settings differ from theirs."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from workbench import plaindata
from workbench.gui.panel import KeptResult


def _roundtrip(kept: KeptResult) -> KeptResult:
    """A kept result as a session file holds it: encoded without pickle, decoded again."""
    result = plaindata.decode(*plaindata.encode(kept.result))
    return KeptResult(result, plaindata.decode(*plaindata.encode(kept.inputs)))


def test_widgets_follow_the_state_and_bad_states_change_nothing(make_panel):
    panel = make_panel("equivariant", start=False)
    st = panel.state_model
    st.live = False
    assert (panel.k.minimum(), panel.k.maximum(), panel.n.minimum()) == (0, 6, 1)
    assert panel.t_n_max.minimum() == 2 and panel.permutations.maximum() == 50
    st.update({"k": 1, "l": 3, "n": 5, "seed": 7, "tab": 1})
    assert (panel.k.value(), panel.l.value(), panel.n.value(), panel.seed.value()) == (1, 3, 5, 7)
    assert panel.tabs.currentIndex() == 1 and len(panel.gallery.items()) == 15
    panel.tabs.setCurrentIndex(0)
    assert st.tab == 0
    panel.live.setChecked(True)
    assert st.live
    st.live = False
    assert not panel.live.isChecked()

    # a bad state is refused with its reason, and nothing changes
    panel.n.setValue(5)
    before = panel.state()
    for bad, match in (
        ({"k": 4, "l": 3}, "at most 6 points"),
        ({"k": 0, "l": 0}, "at least 1"),
        ({"n": 0}, r"n \(set size\)"),
        ({"version": 9}, "newer"),
        ({"t_repeats": "many"}, "repeats"),
    ):
        with pytest.raises(ValueError, match=match):
            panel.restore({**before, "seed": 42, **bad})
    assert panel.state() == before and panel.n.value() == 5 and panel.seed.value() == 7
    assert panel.is_idle()


def test_session_keeps_check_and_timing_restores_without_running_and_marks_stale(
    make_panel, qtbot, standalone_shell, monkeypatch
):
    panel = make_panel("equivariant", start=False)
    st = panel.state_model
    st.update({"k": 1, "l": 2, "n": 4, "selected": 3, "t_n_max": 4, "t_channels": 2, "t_batch": 2, "t_repeats": 1})
    qtbot.waitUntil(panel.is_idle, timeout=60_000)  # the live check of the new settings
    panel.run_timing()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert standalone_shell.errors == []
    check, timing = panel.kept("check"), panel.kept("timing")
    assert check is not None and check.result.n == 4 and timing is not None and timing.result.ns == (2, 3, 4)
    state = json.loads(json.dumps(panel.state()))
    saved = {"check": _roundtrip(check), "timing": _roundtrip(timing)}
    assert plaindata.same(saved["timing"].result, timing.result)

    from workbench_equivariant.panel import EquivariantPanel

    submitted = []
    real = EquivariantPanel.submit

    def submit(self, fn, spec, **kw):
        submitted.append(fn.__name__)
        return real(self, fn, spec, **kw)

    monkeypatch.setattr(EquivariantPanel, "submit", submit)
    fresh = make_panel("equivariant", start=False)
    fresh.restore(state)
    fresh.restore_results(saved)
    fresh.start()  # a session brought its check: start() runs nothing
    qtbot.wait(300)  # past the live check's debounce
    assert submitted == [] and fresh.is_idle()
    assert (fresh.state_model.k, fresh.state_model.l, fresh.state_model.n) == (1, 2, 4)
    assert fresh.selected_diagram() == panel.selected_diagram() and len(fresh.gallery.items()) == 5
    assert fresh.check_label.text() == panel.check_label.text() and "stale" not in fresh.check_label.text()
    assert fresh.timing.data()["fast_ms"].tolist() == panel.timing.data()["fast_ms"].tolist()
    assert not fresh.stale["check"] and not fresh.stale["timing"]

    # settings that differ from the kept results': restored stale, visibly, and still nothing runs
    fresh.restore({**state, "n": 3, "t_repeats": 2})
    fresh.restore_results(saved)
    qtbot.wait(300)
    assert submitted == [] and fresh.stale["check"] and fresh.stale["timing"]
    assert "stale" in fresh.check_label.text() and "stale" in fresh.timing_note.text()
    assert fresh.check_result.n == 4  # the kept check is still what is shown, marked stale
    fresh.restore_results({})  # a session without results: nothing drawn
    assert fresh.check_result is None and fresh.timing.data() == {} and not fresh.stale["timing"]
    assert submitted == []
