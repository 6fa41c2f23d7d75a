"""Core of the Cluster tab's canvas colouring and exchange-graph drawing (issue 20): colours along a
mutation path, the exchange-graph vertex of a labelled seed, the layout."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_quiver.core.cluster_algebra import ClusterSeed
from workbench_quiver.core.exchange_graph import exchange_graph, layout_positions, seed_vertex
from workbench_quiver.core.green import colours_along, is_maximal_green, maximal_green_sequences
from workbench_quiver.core.standard import standard_quiver


def test_colours_along_one_mutation_and_a_maximal_green_sequence():
    b = standard_quiver("A3")  # 0 -> 1 -> 2: vertex 2 is the sink
    assert colours_along(b, []) == ["green"] * 3
    for k in range(3):  # one mutation anywhere: that vertex red, the others green (both conventions)
        want = ["red" if i == k else "green" for i in range(3)]
        assert colours_along(b, [k]) == want
        assert colours_along(b, [k], convention="sage") == want
    for conv in ("keller", "sage"):
        seq = maximal_green_sequences(b, convention=conv).longest
        assert seq is not None and is_maximal_green(b, seq, conv)
        assert colours_along(b, seq, conv) == ["red"] * 3
        assert colours_along(b, seq[:-1], conv).count("green") == 1
    with pytest.raises(ValueError, match="not a mutable vertex"):
        colours_along(b, [3])


def test_seed_vertex_follows_labelled_paths():
    b = standard_quiver("D4")
    g = exchange_graph(b, variables=False)
    assert all(seed_vertex(g.clusters, g.edges, p) == i for i, p in enumerate(g.paths))
    gid = {gv: v for v, gv in enumerate(g.g_vectors)}
    rng = np.random.default_rng(3)
    for _ in range(20):  # random labelled paths: the cluster reached has the seed's g-vectors
        path = rng.integers(0, 4, size=int(rng.integers(1, 12))).tolist()
        v = seed_vertex(g.clusters, g.edges, path)
        gs = ClusterSeed.initial(b).mutate_path(path).to_dict()["g_vectors"]
        assert sorted(gid[tuple(x)] for x in gs) == list(g.clusters[v])


def test_layout_positions():
    g = exchange_graph(standard_quiver("A3"), variables=False)
    pos = layout_positions(g.n_vertices, g.edges)
    assert pos.shape == (14, 2) and np.isfinite(pos).all() and np.abs(pos).max() == pytest.approx(1.0)
    assert len({tuple(np.round(p, 6)) for p in pos}) == 14
    with pytest.raises(ValueError, match="unknown layout"):
        layout_positions(3, [], method="circle")
