"""GUI, issue 19: with Preferences > Compute on a local cluster of 2 worker processes (a real
Dask LocalCluster, no mock) the PGD panel's sweep runs as tasks there, draws partial tables as
parts finish, gives the table of the sweep run in this process, and Cancel stops it within
about a second."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

pytest.importorskip("PySide6")

from workbench import cluster
from workbench.jobs import JobContext
from workbench.settings import Preferences
from workbench_adversarial.jobs import run_sweep_job

LOCAL2 = cluster.Backend("local", 2)


@pytest.fixture
def local2(local_cluster_2):
    """The client of the session's LocalCluster of 2 worker processes (tests/conftest.py)."""
    client = cluster.client_for(local_cluster_2)
    client.wait_for_workers(2, timeout=120)
    return client


def _plain(table) -> str:
    """The table as JSON without its timings (NaN written as NaN, so equal NaNs compare equal)."""
    d = dataclasses.asdict(table)
    d.pop("seconds")
    for c in d["cells"]:
        c.pop("seconds")
    return json.dumps(d, sort_keys=True)


def test_panel_sweep_on_local2_equals_the_in_process_sweep(make_panel, qtbot, standalone_shell, local2):
    standalone_shell.prefs = Preferences(compute="local", local_workers=2)
    panel = make_panel("adversarial", start=False)
    panel.state_model.update({"n": 20, "steps": 2, "dims": "4, 16", "eps_list": "0.5, 1, 2", "sweep_steps": 2})
    spec = panel.sweep_spec()
    partial_cells: list[int] = []
    draw = panel._sweep_partial
    panel._sweep_partial = lambda t, s: (partial_cells.append(len(t.cells)), draw(t, s))
    panel.run_sweep()
    handle = panel._running["sweep"][0]
    assert handle.title == "PGD sweep on local:2"
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert standalone_shell.errors == [] and handle.state == "finished"
    assert panel.kept("sweep").result is panel.sweep_table
    here = run_sweep_job(spec, JobContext(device="cpu"))
    assert len(here.cells) == 6
    assert _plain(panel.sweep_table) == _plain(here)
    # a partial table came after every part the cluster finished (auto: several per worker)
    assert len(partial_cells) >= 2 and partial_cells == sorted(partial_cells) and partial_cells[-1] == 6
    assert not panel.plots.running and len(panel.plots.data_curves()["table"]) == 6


def test_panel_sweep_on_local2_cancels_within_a_second(make_panel, qtbot, standalone_shell, local2):
    standalone_shell.prefs = Preferences(compute="local", local_workers=2)
    panel = make_panel("adversarial", start=False)
    panel.state_model.update({"n": 150, "dims": "4, 8, 16, 32", "eps_list": "0.5, 1, 1.5, 2", "sweep_steps": 200})
    panel.run_sweep()
    handle = panel._running["sweep"][0]
    # the workers report PGD steps of their parts through the scheduler
    qtbot.waitUntil(lambda: "step" in handle.message, timeout=60000)
    t_cancel = time.monotonic()
    panel.cancel_jobs()
    qtbot.waitUntil(lambda: handle.is_done, timeout=30000)
    took = time.monotonic() - t_cancel
    assert handle.state == "cancelled" and took < 1.5, took
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert panel.sweep_table is None and "sweep was cancelled after" in panel.banner.text()
    # the cluster is free again: no task of the cancelled sweep left running or queued
    qtbot.waitUntil(lambda: sum(len(v) for v in local2.processing().values()) == 0, timeout=10000)
