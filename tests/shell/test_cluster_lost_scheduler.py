"""A Dask scheduler that goes away mid-sweep (its process killed, no mock): the sweep fails with
a message naming the scheduler and how far it got, and keeps the children that had finished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.shell.cluster_jobs import NapSpec, nap_job
from workbench import cluster
from workbench.jobs import JobContext

ROOT = Path(__file__).resolve().parents[2]

#: a scheduler with one worker thread in a process of its own (killed by the test)
SCHEDULER = """
import os, sys, time
from distributed import LocalCluster
lc = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", scheduler_port=0,
                  dashboard_address=None)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(lc.scheduler_address)
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(1)
"""


@pytest.fixture
def scheduler(tmp_path: Path):
    """(address, process) of a scheduler and its worker in another process."""
    where = tmp_path / "address"
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # the scheduler unpickles the tests' job specs
    proc = subprocess.Popen([sys.executable, "-c", SCHEDULER, str(where)], cwd=ROOT, env=env)
    t0 = time.monotonic()
    while not where.exists():
        assert proc.poll() is None, "the scheduler process exited"
        assert time.monotonic() - t0 < 60, "the scheduler did not start"
        time.sleep(0.05)
    yield where.read_text(), proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def test_lost_scheduler_keeps_the_finished_children(scheduler, monkeypatch):
    address, proc = scheduler
    # the client gives up reconnecting after CONNECT_TIMEOUT_S (10 s by default)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2.0)
    backend = cluster.parse_backend(address)
    children = [(f"seed{s}", NapSpec(seed=s, steps=4, nap_s=0.05)) for s in range(8)]
    delivered: list[int] = []
    killed: list[float] = []

    def on_result(i: int, result: np.ndarray) -> None:
        delivered.append(i)
        if len(delivered) == 2:
            os.kill(proc.pid, signal.SIGKILL)
            killed.append(time.monotonic())

    try:
        with pytest.raises(cluster.SchedulerLostError) as info:
            cluster.run_sweep(nap_job, children, JobContext(), backend, on_result=on_result)
    finally:
        cluster._close(backend)
    err = info.value
    assert killed and time.monotonic() - killed[0] < 10.0
    assert f"lost the Dask scheduler at {address}" in str(err)
    # what had finished is in the error, in the children's order, and equals the in-process run
    assert 2 <= len(err.finished) < len(children) and err.finished[:2] == delivered[:2]
    assert f"after {len(err.finished)} of 8 tasks" in str(err)
    for i, r in enumerate(err.results):
        if i in err.finished:
            np.testing.assert_array_equal(r, np.random.default_rng(i).random(4))
        else:
            assert r is None
