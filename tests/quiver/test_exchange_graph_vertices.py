"""The exchange graph's vertex switch (issue 20): clusters (seeds up to permuting their cluster
variables), labelled seeds, quivers up to isomorphism; counts against known formulas and an
independent brute force over Laurent polynomials."""

from __future__ import annotations

import argparse
import json
from math import comb, factorial

import numpy as np
import pytest

from workbench.errors import InputError
from workbench_quiver.cli import register
from workbench_quiver.core.class_size import size_a, size_affine_a, size_d
from workbench_quiver.core.cluster_algebra import ClusterSeed
from workbench_quiver.core.exchange_graph import (
    VERTEX_KINDS,
    TooManyClusters,
    exchange_graph,
    quiver_vertex,
    seed_vertex,
)
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.state import CLUSTER_VERTICES


def _catalan(k: int) -> int:
    return comb(2 * k, k) // (k + 1)


def _clusters_d(n: int) -> int:
    return (3 * n - 2) * comb(2 * n - 2, n - 1) // n


@pytest.mark.parametrize(
    "label,n,clusters,quivers",
    [
        ("A2", 2, _catalan(3), size_a(2)),
        ("A3", 3, _catalan(4), size_a(3)),
        ("D4", 4, _clusters_d(4), size_d(4)),
    ],
)
def test_vertex_counts_of_the_three_graphs(label, n, clusters, quivers):
    """clusters: Catalan C_{n+1} (A_n), (3n-2)/n C(2n-2, n-1) (D_n); labelled seeds: every
    ordering of every cluster is reached (C_{n+1} n! for A_n, Bose-Lubiw-Pathak-Verdonschot 2018);
    quivers: Torkildsen's / Buan-Torkildsen's class sizes (A2: 1, A3: 4, D4: 6)."""
    b = standard_quiver(label)
    g = exchange_graph(b, variables=False)
    lab = exchange_graph(b, variables=False, vertices="labelled")
    q = exchange_graph(b, variables=False, vertices="quivers")
    assert (g.n_vertices, g.n_edges) == (clusters, clusters * n // 2)
    assert (lab.n_vertices, lab.n_edges) == (clusters * factorial(n), clusters * factorial(n) * n // 2)
    assert q.n_vertices == quivers and (q.vertices, lab.vertices, g.vertices) == ("quivers", "labelled", "clusters")
    assert {2: 1, 3: 4, 4: 6}[n] == quivers
    # the labelled graph covers the cluster graph: forgetting the order maps edges to edges
    # and every cluster has n! labelled seeds over it
    where = {c: i for i, c in enumerate(g.clusters)}
    fibre = np.zeros(g.n_vertices, dtype=int)
    for c in lab.clusters:
        fibre[where[tuple(sorted(c))]] += 1
    assert (fibre == factorial(n)).all()
    ends = {frozenset((a, b)) for a, b, _ in g.edges}
    assert all(
        frozenset((where[tuple(sorted(lab.clusters[a]))], where[tuple(sorted(lab.clusters[b]))])) in ends
        for a, b, _ in lab.edges
    )


def test_labelled_seeds_equal_a_brute_force_over_laurent_polynomials():
    """An independent count: breadth-first over labelled seeds, a seed being its ordered tuple of
    exact cluster variables (no g-vectors, no tropical mutation)."""
    b = standard_quiver("A3")
    start = ClusterSeed.initial(b)

    def key(seed):
        return tuple(v.to_str() for v in seed.cluster())

    seen, todo = {key(start)}, [start]
    while todo:
        seed = todo.pop()
        for k in range(3):
            nxt = seed.mutate(k)
            if key(nxt) not in seen:
                seen.add(key(nxt))
                todo.append(nxt)
    assert len(seen) == exchange_graph(b, variables=False, vertices="labelled").n_vertices == 84


def test_quiver_graph_edges_are_mutations_and_vertices_are_found():
    b = standard_quiver("D5")
    q = exchange_graph(b, vertices="quivers")
    assert q.n_vertices == size_d(5) == 26 and q.g_vectors == [] and q.ring is None
    rng = np.random.default_rng(3)
    for i in rng.choice(q.n_vertices, 6, replace=False).tolist():
        member = mutate_sequence(b, q.paths[i])
        perm = rng.permutation(5)
        assert quiver_vertex(q.clusters, member[perm][:, perm]) == i  # relabelled: the same vertex
    for a, c, k in q.edges[:20]:
        assert a != c and quiver_vertex(q.clusters, mutate_sequence(mutate_sequence(b, q.paths[a]), [k])) == c
    assert quiver_vertex(q.clusters, standard_quiver("A5")) is None
    # a mutation-finite quiver of infinite cluster type has a finite quiver graph
    assert exchange_graph(standard_quiver("A~2,1"), vertices="quivers").n_vertices == size_affine_a(2, 1)


def test_seed_vertex_on_the_labelled_graph():
    lab = exchange_graph(standard_quiver("A2"), variables=False, vertices="labelled")
    # the pentagon relation: mu0 mu1 mu0 mu1 mu0 swaps the initial variables (a labelled 10-cycle)
    v = seed_vertex(lab.clusters, lab.edges, [0, 1, 0, 1, 0])
    assert lab.clusters[v] == (1, 0) and seed_vertex(lab.clusters, lab.edges, [0, 1, 0, 1, 0] * 2) == 0


def test_bad_vertices_and_infinite_classes():
    assert CLUSTER_VERTICES == VERTEX_KINDS  # the panel's choices are the core's
    with pytest.raises(InputError, match="unknown exchange-graph vertices 'seeds'"):
        exchange_graph(standard_quiver("A2"), vertices="seeds")
    with pytest.raises(TooManyClusters, match="more than 100 labelled seeds"):
        exchange_graph(standard_quiver("A4"), vertices="labelled", max_clusters=100)
    wild = np.array([[0, 2, 0], [-2, 0, 2], [0, -2, 0]])  # mutation-infinite
    with pytest.raises(TooManyClusters, match="mutation-infinite|more than"):
        exchange_graph(wild, vertices="quivers", max_clusters=10_000)


def _run(argv):
    p = argparse.ArgumentParser()
    register(p.add_subparsers())
    args = p.parse_args(argv)
    return args.func(args)


def test_cli_vertices_switch(capsys):
    assert _run(["exchange-graph", "--type", "D4", "--vertices", "labelled", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"vertices": 1200, "edges": 2400}
    assert _run(["exchange-graph", "--type", "A3", "--vertices", "quivers"]) == 0
    assert "4 quivers up to isomorphism, 4 mutations between them" in capsys.readouterr().out
