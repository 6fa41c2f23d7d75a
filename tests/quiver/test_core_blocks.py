"""Blocks (biconnected components) of the underlying graph of a quiver, checked against their
definition by brute force on random small quivers: two edges lie in the same block iff they
lie on a common simple cycle (or are the same edge), so the blocks are the classes of that
relation (Harary, Graph Theory, Thm 3.3)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_quiver.core import blocks
from workbench_quiver.gnn.features import block_features


def random_quiver(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    m = np.triu((rng.random((n, n)) < p) * rng.choice([-2, -1, 1, 2], size=(n, n)), 1)
    return (m - m.T).astype(np.int64)


def simple_cycles_edges(adj: list[list[int]]) -> list[frozenset]:
    """Edge sets of all simple cycles (length >= 3) of a small simple graph, by DFS from the
    smallest vertex of each cycle."""
    cycles = set()
    n = len(adj)

    def extend(start, path):
        v = path[-1]
        for w in adj[v]:
            if w == start and len(path) >= 3:
                cycles.add(frozenset(frozenset(e) for e in zip(path, path[1:] + [start], strict=True)))
            elif w > start and w not in path:
                extend(start, path + [w])

    for s in range(n):
        extend(s, [s])
    return list(cycles)


def brute_force_blocks(adj: list[list[int]]) -> list[list[int]]:
    edges = sorted({frozenset((v, w)) for v in range(len(adj)) for w in adj[v]}, key=sorted)
    parent = {e: e for e in edges}

    def find(e):
        while parent[e] != e:
            e = parent[e]
        return e

    for cyc in simple_cycles_edges(adj):
        first, *rest = cyc
        for e in rest:
            parent[find(e)] = find(first)
    classes: dict = {}
    for e in edges:
        classes.setdefault(find(e), set()).update(e)
    return sorted(sorted(c) for c in classes.values())


@pytest.mark.parametrize("seed", range(6))
def test_blocks_match_the_definition(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        s = random_quiver(rng, int(rng.integers(1, 8)), float(rng.uniform(0.15, 0.7)))
        adj = blocks.adjacency_lists(s)
        got = blocks.biconnected_components(adj)
        assert sorted(got) == brute_force_blocks(adj)
        assert all(b == sorted(b) for b in got)
        edge_blocks = blocks.biconnected_component_edges(adj)
        assert sorted(sorted({x for e in eb for x in e}) for eb in edge_blocks) == sorted(got)
        # every edge of the underlying graph lies in exactly one block
        all_edges = [frozenset(e) for eb in edge_blocks for e in eb]
        assert len(all_edges) == len(set(all_edges)) == int((s != 0).sum()) // 2


def test_isolated_vertices_and_empty_quiver_have_no_blocks():
    assert blocks.biconnected_components(blocks.adjacency_lists(np.zeros((3, 3), np.int64))) == []
    assert blocks.biconnected_components([]) == []


def test_block_features_count_blocks_by_kind():
    # an oriented triangle 0->1->2->0 glued at 2 to a non-oriented square 2,3,4,5 with a bridge 5-6
    s = np.zeros((7, 7), np.int64)
    for i, j in [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (2, 5), (5, 4), (5, 6)]:
        s[i, j], s[j, i] = 1, -1
    f = block_features(s)
    assert f[:, 1].tolist() == [0, 0, 0, 0, 0, 1, 1]  # bridges
    assert f[:, 2].tolist() == [1, 1, 1, 0, 0, 0, 0]  # oriented triangles
    assert f[:, 5].tolist() == [0, 0, 1, 1, 1, 1, 0]  # non-oriented long cycles
    assert f[:, [3, 4, 6]].sum() == 0
