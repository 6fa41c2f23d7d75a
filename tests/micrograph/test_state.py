"""The panel's Qt-free state: defaults are the core's, specs come from the state, bad values
are refused by name, sessions round-trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.state import StateError
from workbench_micrograph.core.data import DataRef
from workbench_micrograph.core.edits import METHODS, OneLI, Rewrite
from workbench_micrograph.core.evaluate import RobustnessConfig
from workbench_micrograph.core.specs import ModelRef
from workbench_micrograph.jobs import CompareSpec, default_methods
from workbench_micrograph.state import METHOD_NAMES, MicrographState


def test_defaults_are_the_cores():
    st = MicrographState()
    assert set(METHOD_NAMES) == set(METHODS)
    for name in METHOD_NAMES:
        assert st.method_config(name) == METHODS[name](), name
    spec = st.compare_spec()
    assert spec == CompareSpec(methods=default_methods(), robustness=RobustnessConfig())
    assert spec.data == DataRef() and spec.model == ModelRef()


def test_specs_follow_the_state():
    st = MicrographState()
    st.update(
        {
            "method": "one_li",
            "one_li_base": "surgical",
            "surgical_block": "layer2",
            "alpha_auto": False,
            "alpha": 0.25,
            "k": 5,
            "domains": "aged",
            "data_source": "folder",
            "folder": "/data/uoc",
            "banner": "auto",
            "tile": 128,
        }
    )
    spec = st.edit_spec()
    assert isinstance(spec.method, OneLI) and spec.method.alpha == 0.25 and spec.method.base.layer == "layer2"
    assert spec.k == 5 and spec.domains == ("aged",)
    assert spec.data.kind == "folder" and spec.data.options.banner == "auto" and spec.data.options.tile == 128
    mask = np.zeros((4, 4), bool)
    mask[1, 2] = True
    st.method = "rewrite"
    m = st.edit_spec(mask=mask).method
    assert isinstance(m, Rewrite) and m.mask[1][2] and not m.mask[0][0]


def test_bad_values_are_refused_and_sessions_round_trip():
    st = MicrographState()
    with pytest.raises(StateError, match="banner"):
        st.banner = "top"
    with pytest.raises(StateError, match="rank"):
        st.rank = 0
    with pytest.raises(StateError, match="folder"):
        st.update({"data_source": "folder"})
    assert st.data_source == "default"  # nothing changed
    st.update({"rank": 2, "eps_inf": 4.0, "method": "rewrite"})
    doc = json.loads(json.dumps(st.to_dict()))
    back = MicrographState()
    back.restore(doc)
    assert back.to_dict() == doc and back.robustness().eps_inf == pytest.approx(4 / 255)
    with pytest.raises(StateError, match="newer"):
        back.restore({**doc, "version": 99})
