"""Class sizes: closed formulas against the published values and against enumeration; D~4
(10, where Sage says 9) is our own enumeration, cross-checked by a naive networkx BFS."""

import networkx as nx
import numpy as np
import pytest

from workbench_quiver.core.class_size import class_size, enumerated_size, size_a, size_affine_a, size_d
from workbench_quiver.core.enumerate import mutation_class
from workbench_quiver.core.standard import standard_quiver


def test_torkildsen_a():
    assert [size_a(n) for n in range(3, 12)] == [4, 6, 19, 49, 150, 442, 1424, 4522, 14924]


def test_buan_torkildsen_d():
    assert [size_d(n) for n in range(4, 12)] == [6, 26, 80, 246, 810, 2704, 9252, 32066]


def test_affine_a_formula_matches_enumeration():
    for n in range(2, 9):
        for q in range(1, n // 2 + 1):
            p = n - q
            assert size_affine_a(p, q) == len(mutation_class(standard_quiver(f"A~{p},{q}"))), (p, q)


def test_exceptional_and_dtilde_sizes():
    published = {
        "E6": 67,
        "E7": 416,
        "E8": 1574,
        "E~6": 132,
        "E~7": 1080,
        "E~8": 7560,
        "E6^(1,1)": 49,
        "E7^(1,1)": 506,
        "E8^(1,1)": 5739,
        "X6": 5,
        "X7": 2,
        "D~5": 40,
        "D~6": 146,
        "D~7": 504,
        "D~8": 1868,
        "D~9": 6864,
        "D~10": 25810,
    }
    for label, size in published.items():
        assert class_size(label) == size, label


def _naive_mutate(b: np.ndarray, k: int) -> np.ndarray:
    """Fomin-Zelevinsky matrix mutation, written out entry by entry."""
    n = b.shape[0]
    out = b.copy()
    for i in range(n):
        for j in range(n):
            if k in (i, j):
                out[i, j] = -b[i, j]
            else:
                out[i, j] = b[i, j] + (abs(b[i, k]) * b[k, j] + b[i, k] * abs(b[k, j])) // 2
    return out


def _digraph(b: np.ndarray) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(b.shape[0]))
    g.add_edges_from((i, j, {"m": int(b[i, j])}) for i, j in zip(*np.nonzero(b > 0), strict=True))
    return g


def _naive_class_size(label: str, limit: int = 200) -> int:
    """Breadth-first search over mutations, a quiver being new unless networkx finds it
    isomorphic (arrow multiplicities as edge labels) to one already seen."""
    same = nx.algorithms.isomorphism.numerical_edge_match("m", 0)
    start = np.asarray(standard_quiver(label), dtype=np.int64)
    seen = [_digraph(start)]
    queue = [start]
    while queue:
        b = queue.pop(0)
        for k in range(b.shape[0]):
            m = _naive_mutate(b, k)
            g = _digraph(m)
            if not any(nx.is_isomorphic(g, h, edge_match=same) for h in seen):
                seen.append(g)
                queue.append(m)
        assert len(seen) < limit  # a finite class: the search must end
    return len(seen)


def test_naive_networkx_bfs_reproduces_published_sizes():
    assert _naive_class_size("D4") == 6  # Buan-Torkildsen
    assert _naive_class_size("A5") == 19  # Torkildsen


def test_dtilde4_size_is_our_enumeration_cross_checked_by_networkx():
    """D~4 (the star with four leaves, 5 vertices) has 10 quivers up to isomorphism.  This is
    our own enumeration, not a published value (Sage's class_size says 9); it is checked here
    by the naive networkx-isomorphism search above instead of our canonical forms."""
    assert class_size("D~4") == 10
    assert len(mutation_class(standard_quiver("D~4"))) == 10
    assert _naive_class_size("D~4") == 10


def test_fresh_enumeration_of_a_size_and_label_errors():
    assert enumerated_size("D~7") == 504
    assert class_size("A~2,3") == class_size("A~3,2") == 12
    with pytest.raises(ValueError):
        class_size("Z3")
