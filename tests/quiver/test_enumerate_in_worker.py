"""The quiver's class enumeration run through workbench.worker_process (as the panel runs it)
gives the same class as run here."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.jobs import JobContext
from workbench.worker_process import WorkerPool, run_in_process
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.jobs import EnumerateSpec, as_spec_matrix, run_enumerate


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(max_idle=1)
    yield p
    p.shutdown()


def _ctx():
    got: dict[str, list] = {"partial": []}
    return JobContext(device="cpu", min_interval=0.0, on_partial=got["partial"].append), got


def test_enumeration_in_a_worker_equals_the_enumeration_here(pool):
    spec = EnumerateSpec(as_spec_matrix(standard_quiver("D5")))
    ctx, got = _ctx()
    there = run_in_process(run_enumerate, spec, ctx, pool=pool)
    here = run_enumerate(spec, JobContext(device="cpu"))
    assert len(there) == len(here) == 26  # the class of D5 (Torkildsen: 26 quivers)
    assert np.array_equal(there.members, here.members) and there.paths == here.paths
    assert got["partial"] and len(got["partial"][-1]) == 26
