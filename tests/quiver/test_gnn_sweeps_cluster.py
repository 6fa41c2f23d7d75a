"""GNN dataset building (one task per mutation type) and training over seeds on the session's
real LocalCluster of 2 worker processes (tests/conftest.py): the same arrays and the same
trained weights as in this process; the CLI's ``dataset --cluster`` and ``train-sweep``."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from workbench.jobs import JobContext, JobError
from workbench_quiver.gnn import sweeps
from workbench_quiver.gnn.cli import register_gnn
from workbench_quiver.gnn.jobs import DatasetSpec, TrainSpec, run_dataset

ARRAYS = ("n_nodes", "edge_ptr", "edges", "mult", "label", "type_index", "depth", "types")
SMALL = ("--split", "custom", "--sizes", "4-5", "--families", "A,D,A~", "--extra", "E6")


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register_gnn(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_dataset_and_training_on_the_cluster_equal_this_process(local_cluster_2, tmp_path, capsys):
    there = tmp_path / "there.npz"
    assert _run_cli("dataset", *SMALL, "--out", str(there), "--cluster", local_cluster_2.text()) == 0
    report = json.loads(capsys.readouterr().out)
    spec = DatasetSpec(out=str(tmp_path / "here.npz"), split="custom", sizes=(4, 5), families=("A", "D", "A~"),
                       extra_types=("E6",))  # fmt: skip
    here = run_dataset(spec, JobContext())  # the one-piece build, unchanged
    assert report["counts"] == here.counts and report["total"] == here.total
    a, b = np.load(here.path), np.load(there)
    for name in ARRAYS:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    prov_a, prov_b = (json.loads(open(p).read()) for p in (here.meta_path, report["provenance"]))
    prov_a.pop("seconds"), prov_b.pop("seconds")
    assert prov_a == prov_b and list(prov_b["sizes"]) == prov_b["types"]

    # two seeds trained on that file: the same weights and curves in this process and on the workers
    assert _run_cli("train-sweep", "--data", str(there), "--test", str(there), "--seeds", "0,5", "--epochs", "1",
                    "--out-dir", str(tmp_path / "w-there"), "--cluster", local_cluster_2.text()) == 0  # fmt: skip
    runs = json.loads(capsys.readouterr().out)["runs"]
    base = TrainSpec(out="", data=str(there), test_data=str(there), epochs=1)
    mine = sweeps.run_train_sweep(sweeps.TrainSweepSpec(base, (0, 5), str(tmp_path / "w-here")), JobContext())
    assert [r["seed"] for r in runs] == mine.seeds == [0, 5]
    for row, r in zip(runs, mine.runs, strict=True):
        assert row["test_accuracy"] == r.test_accuracy and row["epochs"] == 1
        wa, wb = load_file(row["checkpoint"]), load_file(r.checkpoint)
        assert wa.keys() == wb.keys()
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    w0, w5 = (load_file(r.checkpoint) for r in mine.runs)
    assert any(not np.array_equal(w0[k], w5[k]) for k in w0)  # the seed matters


def test_bad_sweeps_are_refused(tmp_path, capsys):
    with pytest.raises(JobError, match="needs a dataset file"):
        sweeps.train_runs(sweeps.TrainSweepSpec(TrainSpec(out=""), (0,), str(tmp_path)))
    with pytest.raises(JobError, match="each seed once"):
        sweeps.train_runs(sweeps.TrainSweepSpec(TrainSpec(out="", data="d.npz"), (1, 1), str(tmp_path)))
    assert _run_cli("dataset", *SMALL, "--out", str(tmp_path / "x.npz"), "--cluster", "tcp://nowhere") == 2
    assert "HOST:PORT" in capsys.readouterr().err
