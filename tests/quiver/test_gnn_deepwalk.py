"""Deep-walk test sets (issue 21): deduplicated up to isomorphism (published class sizes when a
class is exhausted, networkx isomorphism as a second oracle), every sample in its mutation class
(the exact recogniser), seeded; the evaluation by size and its command."""

import argparse
import json

import networkx as nx
import numpy as np
import pytest

from workbench_quiver.core.canonical import canonical_form
from workbench_quiver.core.identify import identify
from workbench_quiver.gnn import FAMILIES
from workbench_quiver.gnn.dataset import from_matrices, load_dataset, standard_b
from workbench_quiver.gnn.deepwalk import sample_deep, sample_deepwalk, split_count, walk_batch
from workbench_quiver.gnn.evaluate import by_size, format_table


def _digraph(b: np.ndarray) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(b.shape[0]))
    for i, j in zip(*np.nonzero(b > 0), strict=True):
        g.add_edge(int(i), int(j), m=int(b[i, j]))
    return g


def test_exhausted_classes_give_the_published_sizes_and_say_so():
    # A5: 19, D5: 26, D~4 (5 vertices): 10 isomorphism classes; asking for 60 takes them all
    ds = sample_deepwalk([5], per_family=60, seed=3, families=("A", "D", "D~"), walk=(20, 60))
    c = ds.counts()
    assert c == {"A5": 19, "D5": 26, "D~4": 10}
    assert ds.provenance["short"] == {"A5": 19, "D5": 26, "D~4": 10}
    assert ds.provenance["asked"] == {"A5": 60, "D5": 60, "D~4": 60}


def test_samples_are_pairwise_non_isomorphic_by_an_independent_oracle():
    ds = sample_deepwalk([6], per_family=30, seed=1, families=("D", "A~"))
    em = nx.algorithms.isomorphism.numerical_edge_match("m", 0)
    for t in ds.types:
        idx = np.nonzero(ds.type_index == ds.types.index(t))[0]
        gs = [_digraph(ds.b(int(i))) for i in idx]
        for a in range(len(gs)):
            for b in range(a + 1, len(gs)):
                assert not nx.is_isomorphic(gs[a], gs[b], edge_match=em), (t, a, b)


def test_every_sample_is_in_its_mutation_class():
    ds = sample_deepwalk([11, 14], per_family=8, seed=5)
    assert {ds.type_of(i) for i in range(len(ds))} >= {"A11", "D11", "D~10", "A~10,1", "A~7,7", "D~13"}
    for i in range(len(ds)):
        assert identify(ds.b(i)).label == ds.type_of(i)
        assert 50 <= int(ds.depth[i]) <= 400
    fam = [FAMILIES[int(k)] for k in ds.label]
    assert fam.count("A") == fam.count("D") == fam.count("A~") == fam.count("D~") == 16


def test_a_tilde_is_spread_evenly_over_its_splits():
    assert split_count(10, 4) == [3, 3, 2, 2]
    ds = sample_deepwalk([12], per_family=20, seed=0, families=("A~",))
    assert ds.counts() == {"A~11,1": 4, "A~10,2": 4, "A~9,3": 3, "A~8,4": 3, "A~7,5": 3, "A~6,6": 3}


def test_seeded_reproducibility():
    a = sample_deepwalk([9], per_family=12, seed=7)
    b = sample_deepwalk([9], per_family=12, seed=7)
    c = sample_deepwalk([9], per_family=12, seed=8)
    assert [a.b(i).tolist() for i in range(len(a))] == [b.b(i).tolist() for i in range(len(b))]
    assert a.depth.tolist() == b.depth.tolist()
    assert [a.b(i).tolist() for i in range(len(a))] != [c.b(i).tolist() for i in range(len(c))]


def test_walk_batch_relabels_and_keeps_the_class():
    rng = np.random.default_rng(0)
    b0 = standard_b("D~7")
    zero = walk_batch(b0, np.zeros(20, dtype=int), rng)  # no mutation: only the relabelling
    assert {canonical_form(x) for x in zero} == {canonical_form(b0)}
    assert any(not np.array_equal(x, b0) for x in zero)
    ends = walk_batch(b0, np.full(5, 120), rng)
    assert all(identify(x).label == "D~7" for x in ends)
    assert all(np.array_equal(x, -x.T) for x in ends)
    with pytest.raises(ValueError, match="square"):
        walk_batch(np.zeros((2, 3)), np.ones(1, dtype=int), rng)
    with pytest.raises(ValueError, match="walk"):
        sample_deep("A5", 3, rng, walk=(10, 5))


def test_by_size_accuracy_and_confusion():
    bs = [standard_b("A11"), standard_b("D~10"), standard_b("D~10"), standard_b("A12")]
    ds = from_matrices(bs, ["A11", "D~10", "D~10", "A12"])
    pred = np.array([FAMILIES.index(f) for f in ("A", "D", "D~", "A")])
    rows = by_size(pred, ds)
    assert [(r.n, r.count) for r in rows] == [(11, 3), (12, 1)]
    assert rows[0].accuracy == pytest.approx(2 / 3) and rows[1].accuracy == 1.0
    assert rows[0].per_family == {"A": 1.0, "D~": 0.5}
    assert rows[0].confusion[FAMILIES.index("D~")][FAMILIES.index("D")] == 1
    assert rows[0].paper == 99.2 and rows[1].paper == 99.6
    assert "D~->D 1" in format_table(rows)


def test_deepwalk_and_evaluate_commands(tmp_path, capsys):
    from workbench_quiver.gnn.cli import register_gnn

    ap = argparse.ArgumentParser()
    register_gnn(ap.add_subparsers())
    out = tmp_path / "deep.npz"
    args = ap.parse_args(["dataset", "--split", "deepwalk", "--sizes", "11-12", "--per-family", "6", "--out", str(out)])
    assert args.func(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["total"] == 48 and res["short"] == {}
    assert load_dataset(out).provenance["split"] == "deepwalk"
    args = ap.parse_args(["evaluate", "--data", str(out), "--json"])
    assert args.func(args) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["n"] for r in rows] == [11, 12] and [r["count"] for r in rows] == [24, 24]
    assert all(sum(map(sum, r["confusion"])) == 24 for r in rows)
    assert rows[0]["accuracy"] >= 0.9  # the shipped model is right on nearly all 11-vertex quivers
    args = ap.parse_args(["dataset", "--split", "deepwalk", "--families", "E", "--sizes", "11", "--out", str(out)])
    assert args.func(args) == 2
    assert "mutation-finite families" in capsys.readouterr().err
    args = ap.parse_args(["evaluate", "--data", str(tmp_path / "none.npz")])
    assert args.func(args) == 2
    capsys.readouterr()
    # without --sizes a deep-walk set covers n = 11..20
    args = ap.parse_args(["dataset", "--split", "deepwalk", "--families", "D~", "--per-family", "1", "--out", str(out)])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 10
    assert sorted(load_dataset(out).n_nodes.tolist()) == list(range(11, 21))


def test_ensemble_logits_are_the_mean_of_the_members():
    import torch

    from workbench_quiver.gnn.checkpoint import default_checkpoint_path, load_checkpoint
    from workbench_quiver.gnn.dataset import pack
    from workbench_quiver.gnn.evaluate import ensemble_logits
    from workbench_quiver.gnn.train import logits_of

    ds = sample_deepwalk([12], per_family=3, seed=2)
    a = load_checkpoint(default_checkpoint_path()).model
    b = load_checkpoint(default_checkpoint_path().with_name("dirgine_meanmax2.safetensors")).model
    assert b.config.pooling == "meanmax2"
    p = pack(ds, "blocks")
    want = (logits_of(a, p) + logits_of(b, p)).double() / 2
    assert torch.allclose(torch.from_numpy(ensemble_logits([a, b], ds)), want, atol=1e-5)
    assert not torch.allclose(logits_of(a, p), logits_of(b, p))
    with pytest.raises(ValueError, match="no model"):
        ensemble_logits([], ds)
