"""Heatmaps over a list of model pairs on the session's real LocalCluster of 2 worker processes
(tests/conftest.py) equal the same sweep in this process; the CLI's ``heatmaps --cluster``."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from workbench.jobs import JobContext, JobError
from workbench_repsim import cli, sweeps

MODELS = ["mlp-w16-s0", "mlp-w16-s1", "mlp-w64-s0"]


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_every_pair_is_the_upper_triangle():
    assert sweeps.every_pair(MODELS) == (
        ("mlp-w16-s0", "mlp-w16-s1"),
        ("mlp-w16-s0", "mlp-w64-s0"),
        ("mlp-w16-s1", "mlp-w64-s0"),
    )
    with pytest.raises(JobError, match="repeat"):
        sweeps.every_pair(["a", "a"])


def test_pair_heatmaps_on_the_cluster_equal_this_process(local_cluster_2, tmp_path, capsys):
    out = tmp_path / "maps"
    assert _run_cli("heatmaps", "--models", ",".join(MODELS), "--max-samples", "100", "--out-dir", str(out),
                    "--cluster", local_cluster_2.text()) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary == json.loads((out / "heatmaps.json").read_text())
    spec = sweeps.PairSweepSpec(pairs=sweeps.every_pair(MODELS), max_samples=100)
    partial: list = []
    here = sweeps.run_pair_sweep(spec, JobContext(on_partial=partial.append))
    assert [p[0] for p in partial] == [0, 1, 2]
    assert [(r["a"], r["b"]) for r in summary["pairs"]] == here.pairs == list(spec.pairs)
    for row, h in zip(summary["pairs"], here.heatmaps, strict=True):
        there = np.load(row["file"])
        assert there.shape == (len(h.names_a), len(h.names_b)) == (4, 4)
        np.testing.assert_array_equal(there, h.matrices["AB"])
        assert (row["layers_a"], row["layers_b"], row["n"]) == (h.names_a, h.names_b, h.n)
        assert h.n == 100
        assert h.acts_a == [] and h.acts_b == []  # activations stay where the task ran
    # different pairs are different matrices, each a CKA in [0, 1]
    assert not np.array_equal(here.heatmaps[0].matrices["AB"], here.heatmaps[1].matrices["AB"])
    assert all(0.0 <= h.matrices["AB"].min() and h.matrices["AB"].max() <= 1.0 + 1e-9 for h in here.heatmaps)


def test_bad_pairs_are_refused(capsys):
    assert _run_cli("heatmaps", "--pairs", "mlp-w16-s0", "--out-dir", "x") == 2
    assert "is not a pair A:B" in capsys.readouterr().err
    with pytest.raises(JobError, match="repeats"):
        sweeps.pair_tasks(sweeps.PairSweepSpec(pairs=(("a", "b"), ("a", "b"))))
