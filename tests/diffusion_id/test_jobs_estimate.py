"""The estimate job: the same numbers as the core, partial results, cancel, bad files refused."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import skdim

from workbench.jobs import JobCancelled, JobContext, JobError
from workbench_diffusion_id.jobs import EstimateSpec, run_estimate


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return np.tanh(rng.standard_normal((n, 4)) @ rng.standard_normal((4, 30)))


def test_estimate_job_partials_and_values(tmp_path):
    X = _data()
    np.save(tmp_path / "x.npy", np.vstack([X, X[:5]]))
    partials = []
    ctx = JobContext(device="cpu", on_partial=partials.append)
    res = run_estimate(EstimateSpec(path=str(tmp_path / "x.npy"), n_boot=20, curves=True), ctx)
    assert [e.estimator for e in res.estimates] == ["mle", "twonn", "gride"]
    assert res.n_input == 305 and res.n_points == 300 and res.warnings and "5 duplicate" in res.warnings[0]
    assert res.estimates[0].id == pytest.approx(skdim.id.MLE().fit(X, n_neighbors=20).dimension_, rel=1e-9)
    assert res.estimates[1].id == pytest.approx(skdim.id.TwoNN().fit(X).dimension_, rel=1e-9)
    assert [len(p.estimates) for p in partials] == [1, 2, 3]
    assert all(ci is not None and ci.low < e.id < ci.high for e, ci in zip(res.estimates, res.intervals, strict=True))
    assert res.twonn is not None and res.twonn.slope == pytest.approx(res.estimates[1].id)
    assert res.scale is not None and res.size is not None


def test_estimate_job_cancels():
    ev = threading.Event()
    ctx = JobContext(device="cpu", cancel_event=ev, on_partial=lambda _p: ev.set())
    with pytest.raises(JobCancelled):
        run_estimate(EstimateSpec(data=_data(), n_boot=50), ctx)


@pytest.mark.parametrize("content, match", [(None, "no such file"), ("object", "unpickling"), ("npz", ".npz")])
def test_estimate_job_refuses_bad_files(tmp_path, content, match):
    f = tmp_path / "x.npy"
    if content == "object":
        np.save(f, np.array([None, 1], dtype=object), allow_pickle=True)
    elif content == "npz":
        np.savez(tmp_path / "x.npz", a=np.zeros((3, 3)))
        (tmp_path / "x.npz").rename(f)
    with pytest.raises(JobError, match=match):
        run_estimate(EstimateSpec(path=str(f)), JobContext(device="cpu"))
