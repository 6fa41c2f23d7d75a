"""The Qt-free panel state: defaults give the paper-style run, sessions round-trip, bad values
are refused with the field named."""

from __future__ import annotations

import json

import pytest

from workbench.state import StateError
from workbench_diffusion_id.jobs import RunSpec
from workbench_diffusion_id.state import DiffusionIDState


def test_defaults_build_the_run_spec():
    s = DiffusionIDState()
    spec = s.run_spec()
    assert isinstance(spec, RunSpec) and len(spec.prompts) == 8 and spec.n_images == 16 and spec.steps == 20
    assert spec.layers == ("mid_block", "latents") and [e for e, _ in spec.estimators] == ["mle", "twonn", "gride"]
    assert spec.model == "default" and spec.seed == 0


def test_session_round_trip_and_callbacks():
    s = DiffusionIDState()
    seen = []
    s.add_callback("steps", lambda new, old: seen.append((new, old)))
    s.update(
        {
            "prompts": "# mine\na cat\n\na dog\n",
            "steps": 30,
            "seed": 7,
            "estimators": "twonn, MLE",
            "view_estimator": "twonn",
        }
    )
    assert seen == [(30, 20)]
    doc = json.loads(json.dumps(s.to_dict()))
    t = DiffusionIDState()
    t.restore(doc)
    assert t.run_spec() == s.run_spec() and t.run_spec().prompts == ("a cat", "a dog")
    assert [e for e, _ in t.run_spec().estimators] == ["twonn", "mle"]
    assert t.estimate_spec("x.npy").estimators == (("twonn", ()), ("mle", ()))


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("prompts", "\n# only a comment\n", "no prompts"),
        ("estimators", "mle,nope", "unknown estimator"),
        ("n_images", 2, "images per prompt"),
        ("n_boot", 5, "at least 10"),
        ("device", "tpu", "device"),
        ("layers", " , ", "at least one name"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(field, value, match):
    s = DiffusionIDState()
    before = s.to_dict()
    with pytest.raises(StateError, match=match):
        s.update({field: value})
    assert s.to_dict() == before
    with pytest.raises(StateError):
        DiffusionIDState().restore({**before, field: value})


def test_newer_state_version_is_refused():
    with pytest.raises(StateError, match="newer workbench"):
        DiffusionIDState().restore({"version": 2})
