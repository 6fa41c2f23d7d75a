"""The PGD sweep split into tasks (one per cell or per dim V) on a real LocalCluster of 2 worker
processes gives the table of the whole sweep run here; Cancel stops it; the CLI's --cluster."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest

from workbench import cluster
from workbench.jobs import JobCancelled, JobContext, JobError
from workbench_adversarial import jobs
from workbench_adversarial.core.zoo import ModelRef

LOCAL2 = cluster.Backend("local", 2)
SPEC = jobs.SweepSpec(
    model=ModelRef(kind="zoo", name="digits-cnn"),
    n=40,
    kind="pixels",
    dims=(4, 16),
    eps_values=(1.0, 0.3, 2.0),
    steps=3,
)


@pytest.fixture
def client(local_cluster_2):
    """The client of the session's shared local:2 cluster (tests/conftest.py)."""
    return cluster.client_for(local_cluster_2)


def _plain(table) -> str:
    """The table as JSON without its timings (NaN written as NaN, so equal NaNs compare equal)."""
    d = dataclasses.asdict(table)
    d.pop("seconds")
    for c in d["cells"]:
        c.pop("seconds")
    return json.dumps(d, sort_keys=True)


def test_split_sweep_equals_the_whole(client):
    whole = _plain(jobs.run_sweep_job(SPEC, JobContext()))
    assert len(json.loads(whole)["cells"]) == 6
    here = _plain(jobs.run_sweep_split(SPEC, JobContext(), per="row"))
    partials: list = []
    there = jobs.run_sweep_split(SPEC, JobContext(on_partial=partials.append), LOCAL2, per="cell")
    assert here == whole
    assert _plain(there) == whole
    # a partial table after every finished cell, the last one complete
    assert [len(t.cells) for t in partials] == list(range(1, 7))


def test_orthonormal_rows_and_cells_agree(client):
    spec = dataclasses.replace(SPEC, kind="orthonormal", n=20, dims=(8,), eps_values=(0.5, 1.5))
    rows = _plain(jobs.run_sweep_split(spec, JobContext(), LOCAL2, per="row"))
    assert rows == _plain(jobs.run_sweep_split(spec, JobContext(), LOCAL2, per="cell"))
    assert rows == _plain(jobs.run_sweep_job(spec, JobContext()))


def test_cancel_mid_sweep(client):
    spec = dataclasses.replace(SPEC, n=150, dims=(4, 8, 16, 32), eps_values=(0.5, 1.0, 1.5, 2.0), steps=200)
    ctx = JobContext()
    partials: list = []
    ctx.on_partial = partials.append
    out: dict = {}

    def target() -> None:
        try:
            jobs.run_sweep_split(spec, ctx, LOCAL2)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t0 = time.monotonic()
    while ctx.fraction <= 0.0 or "step" not in ctx.message:  # a worker reports PGD steps
        assert time.monotonic() - t0 < 60
        time.sleep(0.05)
    t_cancel = time.monotonic()
    ctx.cancel()
    t.join(30)
    assert isinstance(out.get("error"), JobCancelled)
    assert time.monotonic() - t_cancel < 2.0
    assert len(partials) < 16


def test_cli_cluster_flag(tmp_path, capsys):
    from workbench_adversarial import cli

    cfg = tmp_path / "sweep.json"
    cfg.write_text(
        json.dumps(
            {"model": "digits-cnn", "n": 30, "kind": "pixels", "dims": [4], "eps_values": [0.5, 1.0], "steps": 2}
        )
    )
    import argparse

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o"), "--cluster", "local:nine"])
    assert args.func(args) == 2
    assert "local:2" in capsys.readouterr().err


def test_parts_cover_every_cell_once():
    spec = dataclasses.replace(SPEC, dims=(4, 8, 16, 32, 64), eps_values=tuple(0.25 * (i + 1) for i in range(8)))
    dims = list(spec.dims)
    for per, workers, n_parts in [("auto", 2, 10), ("auto", 1, 5), ("cell", 2, 40), ("row", 2, 5), ("eps:3", 2, 15)]:
        parts = jobs.sweep_parts(spec, dims, per, workers)
        assert len(parts) == n_parts, per
        assert len({k for k, _ in parts}) == n_parts
        cells = [(p.dim_index, e) for _, p in parts for e in p.eps_index]
        assert sorted(cells) == [(d, e) for d in range(5) for e in range(8)]
    with pytest.raises(JobError, match="per cell, per row or per eps:K"):
        jobs.sweep_parts(spec, dims, "eps:0")
