"""Binding a Qt-free state to widgets: ranges from the declarations, both directions, refusals shown."""

import math

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSlider, QSpinBox

from workbench.gui.binding import Binder, widget_for
from workbench.state import Bool, Choice, Float, Int, PanelState, Str


def _ints(text):
    return [int(s) for s in text.split(",")]


class S(PanelState):
    PLUGIN = "bind"
    n = Int(5, lo=1, hi=50, tooltip="how many")
    eps = Float(0.5, lo=0.0, hi=2.0, decimals=3)
    m = Float(1.0, lo=-1.0, hi=3.0)
    kind = Choice("b", choices=("a", "b", "c"), display={"c": "C (slow)"})
    on = Bool(False)
    dims = Str("1, 2", parse=_ints)
    p = Float(2.0, lo=1.0, allow_inf=True)


@pytest.fixture
def bound(qtbot):
    s, b = S(), Binder()
    w = {
        "n": QSpinBox(),
        "eps": QDoubleSpinBox(),
        "m": QSlider(),
        "kind": QComboBox(),
        "on": QCheckBox(),
        "dims": QLineEdit(),
        "p": QLineEdit(),
    }
    for widget in w.values():
        qtbot.addWidget(widget)
    b.bind_all(s, w)
    yield s, b, w
    b.unbind()


def test_widgets_take_ranges_and_values_from_the_declaration(bound):
    s, _, w = bound
    assert (w["n"].minimum(), w["n"].maximum(), w["n"].value()) == (1, 50, 5)
    assert w["n"].toolTip() == "how many"
    assert (w["eps"].decimals(), w["eps"].maximum(), w["eps"].value()) == (3, 2.0, 0.5)
    assert [w["kind"].itemText(i) for i in range(3)] == ["a", "b", "C (slow)"]
    assert w["kind"].currentText() == "b"
    assert w["dims"].text() == "1, 2" and w["p"].text() == "2.0"
    assert w["m"].value() == 200  # 1.0 on [-1, 3] with 400 steps


def test_widget_edits_reach_the_state(bound, qtbot):
    s, _, w = bound
    w["n"].setValue(9)
    w["eps"].setValue(1.25)
    w["kind"].setCurrentIndex(2)
    w["on"].setChecked(True)
    w["m"].setValue(400)
    w["dims"].setText("3, 4")
    w["dims"].editingFinished.emit()
    w["p"].setText("inf")
    w["p"].editingFinished.emit()
    assert (s.n, s.eps, s.kind, s.on, s.m, s.dims) == (9, 1.25, "c", True, 3.0, "3, 4")
    assert math.isinf(s.p)


def test_state_changes_reach_the_widgets(bound):
    s, _, w = bound
    s.update({"n": 42, "eps": 0.125, "kind": "a", "on": True, "m": -1.0, "dims": "7"})
    assert (w["n"].value(), w["eps"].value(), w["kind"].currentText(), w["on"].isChecked()) == (42, 0.125, "a", True)
    assert w["m"].value() == 0 and w["dims"].text() == "7"


def test_refused_text_is_marked_and_not_written(bound):
    s, _, w = bound
    w["dims"].setText("3, x")
    w["dims"].editingFinished.emit()
    assert s.dims == "1, 2"
    assert w["dims"].property("invalid") is True
    assert "dims" in w["dims"].toolTip()
    w["dims"].setText("5")
    w["dims"].editingFinished.emit()
    assert s.dims == "5" and w["dims"].property("invalid") is False


def test_slider_keeps_exact_state_value(bound):
    s, _, w = bound
    s.m = 1.0037  # between two slider positions: the state keeps it, the slider shows the nearest
    assert s.m == 1.0037 and w["m"].value() == 200


def test_unbind_disconnects_both_ways(bound):
    s, b, w = bound
    b.unbind()
    w["n"].setValue(11)
    assert s.n == 5
    s.n = 7
    assert w["n"].value() == 11


def test_widget_for_builds_a_bound_default_widget(qtbot):
    s, b = S(), Binder()
    spin = widget_for(s, "n", b)
    check = widget_for(s, "on", b)
    qtbot.addWidget(spin)
    qtbot.addWidget(check)
    assert isinstance(spin, QSpinBox) and isinstance(check, QCheckBox) and check.text() == "on"
    spin.setValue(3)
    assert s.n == 3
    b.unbind()


def test_type_mismatch_refused(qtbot):
    with pytest.raises(TypeError, match="cannot bind"):
        Binder().bind(S(), "on", QSpinBox())


def test_commit_writes_text_still_being_typed(bound, qtbot):
    s, b, w = bound
    w["dims"].setFocus()
    qtbot.keyClicks(w["dims"], ", 9")  # typed, no editingFinished yet
    assert s.dims == "1, 2"
    b.commit()
    assert s.dims == "1, 2, 9"


def test_apply_settings_shows_a_refused_change_and_changes_nothing(qtbot):
    """Panel.apply_settings: a change the state refuses (here a rule across fields) reaches the
    user as a message instead of an exception in a Qt slot, and nothing changes."""
    from workbench.gui.panel import Panel
    from workbench.gui.standalone import StandaloneShell
    from workbench.state import Int, PanelState

    class Pair(PanelState):
        PLUGIN = "pair"
        low = Int(0, lo=0, hi=10)
        high = Int(5, lo=0, hi=10)

        def check(self, values):
            if values["low"] > values["high"]:
                raise ValueError(f"low {values['low']} is above high {values['high']}")

    shell = StandaloneShell()
    panel = Panel(shell, "pair")
    qtbot.addWidget(panel)
    panel.state_model = Pair()
    assert not panel.apply_settings({"low": 7}, "Range")
    assert panel.state_model.low == 0 and shell.errors == [("Range", "pair: low 7 is above high 5")]
    assert panel.apply_settings({"low": 3, "high": 4}) and (panel.state_model.low, panel.state_model.high) == (3, 4)
