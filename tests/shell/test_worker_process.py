"""workbench.worker_process: jobs in a spawned worker process report progress, partial
results and logs to the caller's context, obey Cancel (a job that ignores it is killed),
give back results and errors, and a worker's death is a JobError; workers are reused."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.shell.worker_jobs import Steps, counting, until_cancelled
from workbench.jobs import JobCancelled, JobContext, JobError
from workbench.worker_process import RemoteTraceback, WorkerPool, processes_enabled, run_in_process


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(max_idle=1)
    yield p
    p.shutdown()


def _ctx():
    got = {"progress": [], "partial": [], "log": []}
    ctx = JobContext(
        device="cpu",
        min_interval=0.0,
        on_progress=lambda f, m: got["progress"].append((f, m)),
        on_partial=got["partial"].append,
        on_log=got["log"].append,
    )
    return ctx, got


def test_a_job_runs_in_another_process_and_reports_through_the_context(pool):
    ctx, got = _ctx()
    out = run_in_process(counting, Steps(5), ctx, pool=pool)
    assert out["n"] == 5 and out["pid"] != os.getpid()
    assert got["partial"] == [0, 1, 2, 3, 4]
    assert got["progress"][-1] == (1.0, "step 5")
    assert got["log"] == [f"did {i}" for i in range(5)]
    # the worker waits for the next job: the same process runs it
    again = run_in_process(counting, Steps(2), _ctx()[0], pool=pool)
    assert again["pid"] == out["pid"] and pool.idle_count() == 1


def test_cancel_stops_a_cooperative_job_and_the_worker_is_kept(pool):
    ctx, got = _ctx()
    threading.Timer(0.8, ctx.cancel).start()
    with pytest.raises(JobCancelled):
        run_in_process(until_cancelled, Steps(), ctx, pool=pool)
    assert got["partial"] == ["running"]
    assert pool.idle_count() == 1
    assert run_in_process(counting, Steps(1), _ctx()[0], pool=pool)["n"] == 1


def test_a_job_that_ignores_cancel_is_killed_after_the_grace_period(pool):
    ctx, _ = _ctx()
    threading.Timer(0.8, ctx.cancel).start()
    t0 = time.monotonic()
    with pytest.raises(JobCancelled):
        run_in_process(until_cancelled, Steps(ignore_cancel=True), ctx, pool=pool, cancel_grace_s=0.5)
    assert time.monotonic() - t0 < 30
    # a fresh worker serves the next job
    assert run_in_process(counting, Steps(1), _ctx()[0], pool=pool)["n"] == 1


def test_errors_come_back_with_their_type_message_and_the_worker_traceback(pool):
    with pytest.raises(JobError, match="step 2 refused: a message for the user"):
        run_in_process(counting, Steps(fail="job"), _ctx()[0], pool=pool)
    with pytest.raises(TypeError, match="a bug at step 2") as info:
        run_in_process(counting, Steps(fail="type"), _ctx()[0], pool=pool)
    assert isinstance(info.value.__cause__, RemoteTraceback) and "worker_jobs.py" in str(info.value.__cause__)


def test_a_worker_that_dies_is_a_job_error_naming_its_exit_code(pool):
    with pytest.raises(JobError, match="ended unexpectedly .exit code 7"):
        run_in_process(counting, Steps(fail="exit"), _ctx()[0], pool=pool)
    assert run_in_process(counting, Steps(1), _ctx()[0], pool=pool)["n"] == 1


def test_processes_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("WORKBENCH_WORKER_PROCESSES", "0")
    assert not processes_enabled()
    assert run_in_process(counting, Steps(1), _ctx()[0])["pid"] == os.getpid()
    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.delenv("WORKBENCH_WORKER_PROCESSES")
    assert not processes_enabled()
