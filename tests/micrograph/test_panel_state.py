"""The micrograph panel's state model behind its widgets: the widgets take their ranges and
choices from the state and follow it both ways, the chosen method shows its own settings,
a bad restore is refused with the field named and changes nothing, the view fields round-trip."""

from __future__ import annotations

import json

import pytest

from workbench.state import StateError
from workbench_micrograph.state import TABLE_SOURCES, TABS, MicrographState


def test_view_fields_are_declared_once_and_round_trip():
    st = MicrographState()
    assert st.field("table_source").choices() == TABLE_SOURCES and st.field("tab").hi == len(TABS) - 1
    st.update({"table_source": "comparison", "tab": 3})
    doc = json.loads(json.dumps(st.to_dict()))
    fresh = MicrographState()
    fresh.restore(doc)
    assert fresh.to_dict() == doc and fresh.table_source == "comparison" and fresh.tab == 3
    with pytest.raises(StateError, match="tab"):
        fresh.restore({**doc, "tab": 9})
    assert fresh.tab == 3


def test_widgets_take_their_ranges_from_the_state_and_follow_it(make_panel):
    panel = make_panel("micrograph", start=False)
    st = panel.state_model
    assert panel.w["rank"].maximum() == st.field("rank").hi and panel.w["rank"].value() == st.rank
    methods = [panel.w["method"].itemData(i) for i in range(panel.w["method"].count())]
    assert tuple(methods) == st.field("method").choices()
    st.rank = 7
    assert panel.w["rank"].value() == 7
    panel.w["lowrank_lr"].setValue(0.05)
    assert st.lowrank_lr == pytest.approx(0.05)
    st.tab = 2
    assert panel.tabs.currentIndex() == 2
    panel.tabs.setCurrentIndex(1)
    assert st.tab == 1
    panel.alpha_slider.setValue(25)
    assert st.alpha == pytest.approx(0.25) and panel.alpha_value.text() == "0.25"


def test_the_chosen_method_shows_its_settings(make_panel):
    panel = make_panel("micrograph", start=False)
    form, st = panel.method_form, panel.state_model

    def visible(name):
        return form.isRowVisible(panel.w[name])

    assert visible("rank") and not visible("ft_steps") and not visible("rewrite_ridge")
    st.method = "full_ft"
    assert visible("ft_steps") and not visible("rank")
    st.update({"method": "one_li", "one_li_base": "rewrite"})
    assert visible("alpha") and visible("rewrite_ridge") and not visible("rank")
    assert not panel.w["alpha"].isEnabled() and not panel.w["replay"].isEnabled()  # automatic alpha; closed form
    st.alpha_auto = False
    assert panel.w["alpha"].isEnabled()
    assert not panel.w["folder"].isEnabled()
    st.update({"data_source": "folder", "folder": "/x"})
    assert panel.w["folder"].isEnabled()


def test_panel_restore_refuses_bad_state_and_changes_nothing(make_panel):
    panel = make_panel("micrograph", start=False)
    panel.state_model.rank = 6
    before = panel.state()
    for bad, field in (({"rank": 0}, "rank"), ({"method": "retrain"}, "method"), ({"banner": "top"}, "banner")):
        with pytest.raises(ValueError, match=field):
            panel.restore({**before, "k": 3, **bad})
        assert panel.state() == before and panel.w["rank"].value() == 6
    with pytest.raises(ValueError, match="model file"):
        panel.restore({**before, "model_source": "file", "model_path": ""})
    assert panel.state() == before
