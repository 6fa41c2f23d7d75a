"""The Qt-free panel state: typed fields, callbacks, batch updates, versions and migrations."""

import math

import pytest

from workbench.state import Bool, Choice, Float, Int, PanelState, Seed, StateError, Str


def _parse_ints(text):
    return [int(s) for s in text.split(",")]


class Demo(PanelState):
    PLUGIN = "demo"
    VERSION = 3
    MIGRATIONS = {
        1: lambda d: {**{k: v for k, v in d.items() if k != "epsilon"}, "eps": d.get("epsilon", 1.0)},
        2: lambda d: {**d, "steps": d.get("steps", 10) * 2},
    }

    n = Int(150, lo=1, hi=1000, label="test images")
    eps = Float(1.0, lo=0.0, hi=10.0)
    p = Float(2.0, lo=1.0, allow_inf=True)
    steps = Int(10, lo=1, hi=10000)
    kind = Choice("pixels", choices=("pixels", "dct", "orthonormal"))
    fast = Bool(True)
    dims = Str("4, 8", parse=_parse_ints)
    seed = Seed()
    hover = Int(0, lo=0, hi=10, session=False)

    def check(self, values):
        if values["kind"] == "dct" and values["n"] > 500:
            raise ValueError("the DCT subspace needs at most 500 images")


def test_defaults_and_types():
    s = Demo()
    assert (s.n, s.eps, s.kind, s.fast, s.seed) == (150, 1.0, "pixels", True, 0)
    assert [f.name for f in Demo.fields()][:3] == ["n", "eps", "p"]
    assert Demo.field("n").label == "test images"


@pytest.mark.parametrize(
    "name, bad",
    [
        ("n", 0),
        ("n", 1001),
        ("n", 2.5),
        ("n", True),
        ("n", "3"),
        ("eps", -0.1),
        ("eps", math.nan),
        ("eps", math.inf),
        ("eps", "x"),
        ("kind", "haar"),
        ("fast", 1),
        ("dims", "4, x"),
        ("seed", -1),
        ("seed", 2**31),
    ],
)
def test_assignment_validates_and_names_the_field(name, bad):
    s = Demo()
    before = s.values()
    with pytest.raises(StateError, match=f"demo: .*{name}"):
        setattr(s, name, bad)
    assert s.values() == before


def test_inf_allowed_only_where_declared_and_json_safe():
    s = Demo()
    s.p = "inf"
    assert math.isinf(s.p)
    assert s.to_dict()["p"] == "inf"
    assert math.isinf(Demo().validate(s.to_dict())["p"])


def test_callbacks_fire_with_new_and_old_once_per_change():
    s = Demo()
    seen, every = [], []
    s.add_callback("n", lambda new, old: seen.append((new, old)))
    s.add_global_callback(lambda name, new, old: every.append(name))
    s.n = 5
    s.n = 5  # no change, no callback
    assert seen == [(5, 150)]
    with s.hold_callbacks():
        s.n = 6
        s.n = 7
        assert seen == [(5, 150)]
    assert seen == [(5, 150), (7, 5)]
    assert every == ["n", "n"]


def test_update_is_all_or_nothing_and_checks_across_fields():
    s = Demo()
    with pytest.raises(StateError, match="DCT subspace needs at most 500"):
        s.update({"kind": "dct", "n": 900})
    assert (s.kind, s.n) == ("pixels", 150)
    with pytest.raises(StateError, match="eps"):
        s.update({"n": 3, "eps": -1})
    assert s.n == 150
    with pytest.raises(StateError, match="unknown setting"):
        s.update({"nope": 1})


def test_round_trip_skips_view_only_fields():
    s = Demo(n=12, kind="dct", seed=99, hover=3)
    doc = s.to_dict()
    assert doc["version"] == 3 and "hover" not in doc
    t = Demo()
    t.restore(doc)
    assert t.values() == {**s.values(), "hover": 0}


def test_older_versions_are_migrated_step_by_step():
    v1 = {"version": 1, "n": 5, "epsilon": 0.25, "steps": 7}
    values = Demo().validate(v1)
    assert values["eps"] == 0.25 and values["steps"] == 14 and "epsilon" not in values


def test_newer_version_refused_with_message():
    with pytest.raises(StateError, match="newer workbench"):
        Demo().validate({"version": 4, "n": 5})


def test_version_without_migration_refused():
    class NoPath(PanelState):
        PLUGIN = "nopath"
        VERSION = 2
        x = Int(1)

    with pytest.raises(StateError, match="too old"):
        NoPath().validate({"version": 1, "x": 2})


def test_strict_validation_refuses_unknown_keys():
    with pytest.raises(StateError, match="unknown settings bogus"):
        Demo().validate({"bogus": 1}, strict=True)
    assert Demo().validate({"bogus": 1}) == {}


def test_choices_may_be_dynamic():
    names = ["a"]

    class Zoo(PanelState):
        model = Choice("a", choices=lambda: tuple(names))

    s = Zoo()
    with pytest.raises(StateError):
        s.model = "b"
    names.append("b")
    s.model = "b"
    assert s.model == "b"


def test_a_single_assignment_obeys_the_rules_across_fields():
    """``state.x = v`` (what a bound widget does) is refused like ``update`` when the rules across
    fields refuse the result, so every state a panel can be in validates and can be reopened
    (the GUI fuzzer put the PGD panel in a state its own session could not restore)."""
    from workbench.state import Int, PanelState, StateError

    class Pair(PanelState):
        PLUGIN = "pair"
        low = Int(0, lo=0, hi=10)
        high = Int(5, lo=0, hi=10)

        def check(self, values):
            if values["low"] > values["high"]:
                raise ValueError(f"low {values['low']} is above high {values['high']}")

    st = Pair()
    with pytest.raises(StateError, match="low 7 is above high 5"):
        st.low = 7
    assert st.low == 0
    st.low = 5
    st.validate(st.to_dict())
    with pytest.raises(StateError, match="low 5 is above high 4"):
        st.high = 4
    assert (st.low, st.high) == (5, 5)
