"""Maximal green sequences (issue 20): known lengths, a brute-force count, conventions, the job
(progress, Cancel) and the CLI of the cluster-algebra subcommands."""

import argparse
import json

import numpy as np
import pytest

from workbench.jobs import JobCancelled, JobContext
from workbench_quiver.cli import register
from workbench_quiver.core.green import colours, framed, green_vertices, is_maximal_green, maximal_green_sequences
from workbench_quiver.core.mutation import mutate
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.jobs import (
    ExchangeGraphSpec,
    GreenSequenceSpec,
    as_spec_matrix,
    run_exchange_graph,
    run_green_sequences,
)


def _brute_force(b, limit=40):
    """Every maximal green sequence by plain recursion over green mutations (no memo)."""
    out = []

    def rec(f, seq):
        greens = green_vertices(f)
        if not greens:
            out.append(seq)
            return
        if len(seq) >= limit:
            return
        for k in greens:
            rec(mutate(f, k), [*seq, k])

    rec(framed(b), [])
    return out


@pytest.mark.parametrize("label,positive_roots", [("A3", 6), ("A4", 10), ("D4", 12), ("E6", 36)])
def test_acyclic_finite_type_lengths(label, positive_roots):
    """For an acyclic quiver of finite type the shortest maximal green sequence has length n and
    the longest the number of positive roots (BDP 2014, Keller 2011)."""
    b = standard_quiver(label)
    r = maximal_green_sequences(b)
    n = b.shape[1]
    assert r.complete and len(r.shortest) == n and len(r.longest) == positive_roots
    assert r.lengths[0] == n and r.lengths[-1] == positive_roots
    assert is_maximal_green(b, r.shortest) and is_maximal_green(b, r.longest)
    assert not is_maximal_green(b, r.longest[:-1])


def test_count_equals_brute_force():
    for b in (
        standard_quiver("A3"),
        np.array([[0, 1, 0], [-1, 0, -1], [0, 1, 0]]),
        standard_quiver("D4"),
        standard_quiver("A~2,1"),
    ):
        brute = _brute_force(b, limit=12)
        r = maximal_green_sequences(b, max_length=12)
        assert r.count == len(brute)
        assert sorted(r.lengths) == sorted({len(s) for s in brute})
        assert all(is_maximal_green(b, s) for s in brute)


def test_kronecker_markov_and_conventions():
    kronecker = np.array([[0, 2], [-2, 0]])
    r = maximal_green_sequences(kronecker, max_length=30)
    assert r.count == 1 and r.shortest == [1, 0] and not r.complete  # 0,1,0,1,... stays green forever
    markov = np.array([[0, 2, -2], [-2, 0, 2], [2, -2, 0]])
    r = maximal_green_sequences(markov, max_length=10)
    assert r.shortest is None and r.count == 0 and not r.complete  # no MGS (BDP 2014, Lemma 2.20)
    a2 = np.array([[0, 1], [-1, 0]])  # 0 -> 1
    assert colours(framed(a2)) == ["green", "green"]
    assert maximal_green_sequences(a2).shortest == [1, 0]  # Sage's c-vectors: the sink first
    assert maximal_green_sequences(a2, convention="keller").shortest == [0, 1]  # Keller: sources first
    assert colours(mutate(framed(a2), 0)) == ["red", "green"]
    with pytest.raises(ValueError, match="unknown green-sequence convention"):
        framed(a2, "fz")


def test_budget_stops_with_the_best_found():
    r = maximal_green_sequences(standard_quiver("E6"), max_states=300)
    assert not r.complete and "max_states" in r.stopped
    if r.shortest is not None:
        assert is_maximal_green(standard_quiver("E6"), r.shortest)


def test_jobs_report_progress_and_cancel():
    seen = []
    ctx = JobContext(device="cpu", on_progress=lambda f, m: seen.append((f, m)), min_interval=0)
    res = run_green_sequences(GreenSequenceSpec(as_spec_matrix(standard_quiver("D5"))), ctx)
    assert len(res.longest) == 20 and seen[-1][0] == 1.0
    ctx = JobContext(device="cpu")
    ctx.cancel()
    with pytest.raises(JobCancelled):
        run_green_sequences(GreenSequenceSpec(as_spec_matrix(standard_quiver("E6"))), ctx)
    with pytest.raises(JobCancelled):
        run_exchange_graph(ExchangeGraphSpec(as_spec_matrix(standard_quiver("E6"))), ctx)
    g = run_exchange_graph(ExchangeGraphSpec(as_spec_matrix(standard_quiver("A3"))), JobContext(device="cpu"))
    # linear A3 (0 -> 1 -> 2): mu_0 gives (x1 + 1)/x0, mu_2 gives (x1 + 1)/x2, 9 variables in all
    assert g.n_vertices == 14 and len(g.variables) == 9
    assert {"x0", "x1", "x2", "(x1 + 1)/x0", "(x1 + 1)/x2"} <= set(g.variables)


# ----------------------------------------------------------------------------- CLI


def _run(argv):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    register(sub)
    args = p.parse_args(argv)
    return args.func(args)


def test_cli_cluster_json_schema(tmp_path, capsys):
    f = tmp_path / "a3.txt"
    f.write_text("0 1 0\n-1 0 -1\n0 1 0\n")
    assert _run(["cluster", str(f), "--path", "0,1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) >= {"cluster", "g_vectors", "c_vectors", "d_vectors"}
    assert d["cluster"] == ["(x1 + 1)/x0", "(x0*x2 + x1 + 1)/(x0*x1)", "x2"]
    # g-vectors are the columns of Sage's g_matrix() [[-1,-1,0],[1,0,0],[0,0,1]]
    assert d["g_vectors"] == [[-1, 1, 0], [-1, 0, 0], [0, 0, 1]]
    assert all(len(v) == 3 and all(isinstance(x, int) for x in v) for k in ("c_vectors", "d_vectors") for v in d[k])
    assert d["d_vectors"] == [[1, 0, 0], [1, 1, 0], [0, 0, -1]]
    assert _run(["cluster", str(f), "--path", "0"]) == 0
    assert "x0' = (x1 + 1)/x0" in capsys.readouterr().out


def test_cli_mgs_and_exchange_graph(tmp_path, capsys):
    assert _run(["exchange-graph", "--type", "A4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"vertices": 42, "edges": 84}
    out = tmp_path / "g.json"
    assert _run(["exchange-graph", "--type", "A2", "--json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["vertices"] == 5 and len(data["edges_list"]) == 5
    assert set(data["cluster_variables_list"]) == {"x0", "x1", "(x1 + 1)/x0", "(x0 + x1 + 1)/(x0*x1)", "(x0 + 1)/x1"}
    capsys.readouterr()
    f = tmp_path / "d4.json"
    f.write_text(json.dumps({"b": standard_quiver("D4").tolist()}))
    assert _run(["mgs", str(f), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["shortest_length"] == 4 and d["longest_length"] == 12 and d["complete"] is True


def test_cli_bad_input(tmp_path, capsys):
    f = tmp_path / "a2.txt"
    f.write_text("0 1\n-1 0\n")
    assert _run(["cluster", str(f), "--path", "0,7"]) == 2
    assert "mutation path entry 7 is not a mutable vertex (0..1)" in capsys.readouterr().err
    assert _run(["cluster", str(f), "--path", "x"]) == 2
    assert "is not a vertex number" in capsys.readouterr().err
    assert _run(["cluster", str(tmp_path / "missing.qmu")]) == 2
    assert "missing.qmu" in capsys.readouterr().err
    assert _run(["exchange-graph", "--type", "A~2,1", "--max-clusters", "100"]) == 2
    assert "not of finite type" in capsys.readouterr().err
    assert _run(["exchange-graph", "--type", "Q5"]) == 2
    assert "unknown quiver type label" in capsys.readouterr().err
    assert _run(["mgs"]) == 2
    assert "give a quiver FILE or --type" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("0 1\n1 0\n")
    assert _run(["mgs", str(bad)]) == 2
    assert "skew-symmetric" in capsys.readouterr().err
