"""Bundle sweeps on the session's real LocalCluster of 2 worker processes (tests/conftest.py):
a dataset generated in chunks and classifiers trained over architectures x seeds give the
arrays of the same sweep run in this process; the CLI's --chunk / --cluster."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from workbench.jobs import JobContext, JobError
from workbench_bundle import cli, sweeps
from workbench_bundle.core.haldane_bundle import CLASSES, load_dataset
from workbench_bundle.jobs import DatasetSpec

ARRAYS = ("psi", "labels", "coef_f", "coef_g", "pair")


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def _without_seconds(prov: dict) -> dict:
    return {k: v for k, v in prov.items() if k != "seconds"}


@pytest.mark.parametrize("size, chunk", [(53, 20), (10, 3), (7, 7), (101, 1000), (25, 5)])
def test_chunk_quotas_add_up_to_the_one_piece_balance(size, chunk):
    quotas = sweeps.chunk_quotas(size, chunk)
    assert [sum(q.values()) for q in quotas] == [min(chunk, size - lo) for lo in range(0, size, chunk)]
    whole = {c: size // 5 + (1 if k < size % 5 else 0) for k, c in enumerate(CLASSES)}  # generate_dataset's quota
    assert {c: sum(q[c] for q in quotas) for c in CLASSES} == whole


def test_chunk_seeds_differ_and_are_fixed():
    seeds = [sweeps.chunk_seed(7, k) for k in range(4)]
    assert len(set(seeds)) == 4 and seeds == [sweeps.chunk_seed(7, k) for k in range(4)]
    assert sweeps.chunk_seed(8, 0) not in seeds


def test_chunked_dataset_on_the_cluster_equals_this_process(local_cluster_2, tmp_path, capsys):
    out = tmp_path / "d.npz"
    assert _run_cli("dataset", "--size", "33", "--grid", "8", "--seed", "5", "--chunk", "10",
                    "--cluster", local_cluster_2.text(), "--out", str(out)) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    there = load_dataset(out)
    here = sweeps.run_dataset_chunked(DatasetSpec(size=33, grid=8, seed=5), JobContext(), chunk=10)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(there, name), getattr(here, name), err_msg=name)
    assert _without_seconds(there.provenance) == _without_seconds(here.provenance)
    balanced = {-2: 7, -1: 7, 0: 7, 1: 6, 2: 6}
    assert there.class_counts() == balanced == {int(k): v for k, v in report["class_counts"].items()}
    assert "--chunk 10" in there.provenance["command"] and len(there.provenance["chunk_seeds"]) == 4
    # chunks are concatenated in order: chunk k's samples are what its own task generates
    third_spec = sweeps.dataset_chunks(DatasetSpec(size=33, grid=8, seed=5), 10)[2][1]
    third = sweeps.run_dataset_chunk(third_spec, JobContext())
    np.testing.assert_array_equal(there.coef_f[20:30], third.coef_f)


def test_train_sweep_on_the_cluster_equals_this_process(local_cluster_2, tmp_path):
    data = tmp_path / "d.npz"
    sweeps.run_dataset_chunked(DatasetSpec(size=60, grid=8, seed=1, out=str(data)), JobContext(), chunk=30)
    spec = sweeps.TrainSweepSpec(archs=("flux",), seeds=(0, 3), data=str(data), epochs=1, batch_size=16)
    here = sweeps.run_train_sweep(spec, JobContext())
    there = sweeps.run_train_sweep(spec, JobContext(), local_cluster_2)
    assert there.keys == here.keys == ["flux/seed0", "flux/seed3"]
    for a, b in zip(here.runs, there.runs, strict=True):
        assert (a.arch, a.test_accuracy, a.history, a.confusion) == (b.arch, b.test_accuracy, b.history, b.confusion)
        np.testing.assert_array_equal(a.predictions, b.predictions)
        np.testing.assert_array_equal(a.test_index, b.test_index)
    # different seeds are different runs
    assert here.runs[0].history != here.runs[1].history
    assert list(there.by_arch()) == ["flux"] and there.by_arch()["flux"]["n"] == 2


def test_bad_sweeps_are_refused(capsys):
    with pytest.raises(JobError, match="only the random variant"):
        sweeps.dataset_chunks(DatasetSpec(size=10, variant="simple"), 5)
    with pytest.raises(JobError, match="unknown architecture 'resnet'"):
        sweeps.train_runs(sweeps.TrainSweepSpec(archs=("resnet",)))
    assert _run_cli("train-sweep", "--seeds", "0-x") == 2
    assert "--seeds must be integers" in capsys.readouterr().err
    assert _run_cli("dataset", "--size", "10", "--out", "x.npz", "--cluster", "local:two") == 2
    assert "local:2" in capsys.readouterr().err
