"""Quiver jobs: run functions with a real JobContext (progress, partial results, cancel)."""

from itertools import pairwise

import pytest

from workbench.jobs import JobCancelled, JobContext, JobError
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.jobs import (
    ClassByTypeSpec,
    ClassifySpec,
    EnumerateSpec,
    EquivalenceSpec,
    IdentifySpec,
    RandomWalkSpec,
    as_spec_matrix,
    run_class_by_type,
    run_classify,
    run_enumerate,
    run_equivalence,
    run_identify,
    run_random_walk,
)


def test_enumerate_job_progress_partial_and_result():
    seen, parts = [], []
    ctx = JobContext(on_progress=lambda f, m: seen.append(f), on_partial=parts.append, min_interval=0.0)
    res = run_enumerate(EnumerateSpec(as_spec_matrix(standard_quiver("D~6"))), ctx)
    assert len(res) == 146 and res.complete
    assert seen[-1] == 1.0 and parts and len(parts[-1]) == 146
    assert len(res.paths) == len(res.members) == len(res.depths)


def test_enumerate_job_cancel_delivers_partial():
    ctx = JobContext(min_interval=0.0)
    parts = []
    ctx.on_partial = parts.append
    ctx.on_progress = lambda f, m: ctx.cancel() if f > 0.2 else None
    with pytest.raises(JobCancelled):
        run_enumerate(EnumerateSpec(as_spec_matrix(standard_quiver("D~9"))), ctx)
    assert parts and 0 < len(parts[-1]) < 6864 and not parts[-1].complete


def test_identify_walk_equivalence_and_bad_input(tmp_path):
    ctx = JobContext()
    r = run_identify(IdentifySpec(as_spec_matrix(standard_quiver("E~7"))), ctx)
    assert r.label == "E~7" and r.class_size == 1080 and r.info["acyclic"]
    w = run_random_walk(RandomWalkSpec(as_spec_matrix(standard_quiver("A5")), steps=10, seed=3), ctx)
    assert len(w.sequence) == 10 and all(a != b for a, b in pairwise(w.sequence))
    ok, _ = run_equivalence(
        EquivalenceSpec(as_spec_matrix(standard_quiver("D5")), as_spec_matrix(standard_quiver("A5"))), ctx
    )
    assert ok is False
    assert len(run_class_by_type(ClassByTypeSpec("X6"), ctx)) == 5
    with pytest.raises(JobError, match="not skew-symmetric"):
        run_identify(IdentifySpec(((0, 1), (1, 0))), ctx)
    with pytest.raises(JobError, match="unknown quiver type label"):
        run_class_by_type(ClassByTypeSpec("Y4"), ctx)
    with pytest.raises(JobError, match=r"nope\.csv: no such file"):
        run_classify(ClassifySpec(str(tmp_path / "nope.csv")), ctx)
