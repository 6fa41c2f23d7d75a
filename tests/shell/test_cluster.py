"""workbench.cluster on a real LocalCluster of 2 worker processes (no mock of Dask): the
results of a sweep equal the in-process run's, progress comes back, Cancel stops running
tasks and drops queued ones, a killed worker's tasks run again, bad addresses are refused."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.shell.cluster_jobs import NapSpec, failing_job, nap_job
from workbench import cluster
from workbench.errors import InputError
from workbench.jobs import JobCancelled, JobContext

LOCAL2 = cluster.Backend("local", 2)


@pytest.fixture
def client(local_cluster_2):
    """The client of the session's shared local:2 cluster (tests/conftest.py)."""
    return cluster.client_for(local_cluster_2)


def _run_in_thread(fn, children, ctx, backend):
    out: dict = {}

    def target() -> None:
        try:
            out["result"] = cluster.run_sweep(fn, children, ctx, backend)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc
        out["t_end"] = time.monotonic()

    t = threading.Thread(target=target)
    t.start()
    return t, out


def _wait_for(pred, timeout: float = 30.0) -> None:
    t0 = time.monotonic()
    while not pred():
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", cluster.PROCESS),
        ("process", cluster.PROCESS),
        ("local:3", cluster.Backend("local", 3)),
        ("tcp://10.0.0.5:8786", cluster.Backend("scheduler", 0, "tcp://10.0.0.5:8786")),
    ],
)
def test_parse_backend(text, expected):
    assert cluster.parse_backend(text) == expected
    assert cluster.parse_backend(expected.text()) == expected


@pytest.mark.parametrize(
    "text, words", [("local:0", "1 to"), ("local:two", "integer"), ("tcp://host", "HOST:PORT"), ("gpu-farm", "local:N")]
)
def test_parse_backend_refuses(text, words):
    with pytest.raises(InputError, match=words):
        cluster.parse_backend(text)


def test_unreachable_scheduler_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2.0)
    t0 = time.monotonic()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        cluster.run_sweep(nap_job, [("a", NapSpec())], JobContext(), cluster.parse_backend("tcp://127.0.0.1:9"))
    assert time.monotonic() - t0 < 15


def test_version_mismatch_is_reported(client):
    here = cluster.versions_here()
    cluster.check_versions(client)  # the same environment: no complaint
    other = dict(here, torch="1.0.0")
    lines = cluster.version_mismatches(here, {"tcp://w1:1": here, "tcp://w2:1": other})
    assert lines == [f"tcp://w2:1: torch 1.0.0 (here {here['torch']})"]


def test_sweep_equals_in_process_run(client):
    children = [(f"seed{s}", NapSpec(seed=s, steps=4, nap_s=0.05)) for s in range(6)]
    here = cluster.run_sweep(nap_job, children, JobContext())
    seen: list[int] = []
    progress: list[tuple[float, str]] = []
    ctx = JobContext(on_progress=lambda f, m: progress.append((f, m)), min_interval=0.0)
    there = cluster.run_sweep(nap_job, children, ctx, LOCAL2, on_result=lambda i, r: seen.append(i))
    assert sorted(seen) == list(range(6))
    for a, b in zip(here, there, strict=True):
        np.testing.assert_array_equal(a, b)
    # the workers' own progress (their "nap k" messages) reached this process
    assert any("nap" in m for _, m in progress)
    assert progress[-1][0] == 1.0
    # the work ran in the workers, not here
    pids = cluster.run_sweep(
        __import__("tests.shell.cluster_jobs", fromlist=["pid_job"]).pid_job, [("a", 0), ("b", 1)], JobContext(), LOCAL2
    )
    assert os.getpid() not in pids


def test_child_error_reaches_the_caller(client):
    with pytest.raises(ValueError, match="child 3 refuses"):
        cluster.run_sweep(failing_job, [(str(i), i) for i in range(5)], JobContext(), LOCAL2, retries=0)


def test_cancel_stops_running_and_drops_queued(client, tmp_path: Path):
    children = [(f"s{s}", NapSpec(seed=s, steps=60, nap_s=0.05, marks=str(tmp_path))) for s in range(8)]
    ctx = JobContext()
    t, out = _run_in_thread(nap_job, children, ctx, LOCAL2)
    _wait_for(lambda: len(list(tmp_path.glob("started-*"))) >= 2)
    time.sleep(0.3)
    t_cancel = time.monotonic()
    ctx.cancel()
    t.join(30)
    assert isinstance(out.get("error"), JobCancelled)
    assert out["t_end"] - t_cancel < 1.5
    # the running tasks stopped within about a second, the queued ones never started
    _wait_for(lambda: not any(client.processing().values()), timeout=3.0)
    assert time.monotonic() - t_cancel < 3.0
    # a task that ignored Cancel would finish 3 s after it started
    time.sleep(max(0.0, t_cancel + 3.5 - time.monotonic()))
    assert not list(tmp_path.glob("finished-*"))
    assert len(list(tmp_path.glob("started-*"))) <= 4


def test_killed_worker_costs_only_its_tasks(client, tmp_path: Path):
    children = [(f"s{s}", NapSpec(seed=s, steps=20, nap_s=0.05, marks=str(tmp_path))) for s in range(6)]
    expected = [np.random.default_rng(s).random(4) for s in range(6)]
    t, out = _run_in_thread(nap_job, children, JobContext(), LOCAL2)
    _wait_for(lambda: (tmp_path / "started-0").exists())
    victim = int((tmp_path / "started-0").read_text())
    assert victim != os.getpid()
    time.sleep(0.2)
    os.kill(victim, signal.SIGKILL)
    t.join(120)
    assert "error" not in out, out.get("error")
    for a, b in zip(expected, out["result"], strict=True):
        np.testing.assert_array_equal(a, b)
    # seed 0's task ran again, in another process
    assert int((tmp_path / "finished-0").read_text()) != victim
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker


def _thread_vars() -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


def test_a_local_cluster_leaves_this_processs_thread_settings_alone(monkeypatch):
    """Dask's nannies write OMP/MKL/OpenBLAS = 1 into the parent's os.environ before spawning;
    the workbench puts them back, so processes it starts later keep their cores, while the
    workers themselves still run one thread each."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    one = cluster.Backend("local", 1)
    try:
        client = cluster.client_for(one)
        client.wait_for_workers(1, timeout=120)
        assert _thread_vars() == {"OMP_NUM_THREADS": None, "MKL_NUM_THREADS": None, "OPENBLAS_NUM_THREADS": "2"}
        (workers,) = client.run(_thread_vars).values()
        assert workers == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    finally:
        cluster._close(one)
