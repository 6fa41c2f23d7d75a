"""Canonical forms: brute force over all permutations, networkx isomorphism, relabelling."""

import itertools

import networkx as nx
import numpy as np

from workbench_quiver.core.canonical import canonical_form, canonical_matrix
from workbench_quiver.core.quiver import square_matrix
from workbench_quiver.core.standard import standard_quiver


def _random_b(rng, n, m=0, p=0.5, vmax=2):
    top = np.triu(rng.integers(-vmax, vmax + 1, (n, n)) * (rng.random((n, n)) < p), 1)
    b = top - top.T
    if m:
        b = np.vstack([b, rng.integers(-1, 2, (m, n))])
    return b


def _relabel(b, rng):
    n = b.shape[1]
    N = b.shape[0]
    pm = rng.permutation(n)
    pf = n + rng.permutation(N - n)
    perm = np.concatenate([pm, pf])
    s = square_matrix(b)[np.ix_(perm, perm)]
    return s[:, :n]


def _brute_iso(b1, b2):
    n, N = b1.shape[1], b1.shape[0]
    if b1.shape != b2.shape:
        return False
    s1, s2 = square_matrix(b1), square_matrix(b2)
    for pm in itertools.permutations(range(n)):
        for pf in itertools.permutations(range(n, N)):
            p = list(pm) + list(pf)
            if np.array_equal(s1[np.ix_(p, p)], s2):
                return True
    return False


def test_canonical_form_agrees_with_brute_force_isomorphism():
    rng = np.random.default_rng(1)
    for _ in range(300):
        n = int(rng.integers(1, 6))
        m = int(rng.integers(0, 2))
        b1 = _random_b(rng, n, m)
        b2 = _relabel(b1, rng) if rng.random() < 0.5 else _random_b(rng, n, m)
        same = canonical_form(b1) == canonical_form(b2)
        assert same == _brute_iso(b1, b2)


def test_canonical_form_agrees_with_networkx_isomorphism():
    rng = np.random.default_rng(2)

    def g(b):
        s = square_matrix(b)
        G = nx.DiGraph()
        G.add_nodes_from(range(len(s)))
        for i, j in zip(*np.nonzero(s > 0), strict=True):
            G.add_edge(int(i), int(j), w=int(s[i, j]))
        return G

    for _ in range(150):
        n = int(rng.integers(6, 10))
        b1 = _random_b(rng, n, p=0.35, vmax=1)
        # near-isomorphic pairs: relabel, then flip one arrow half the time
        b2 = _relabel(b1, rng)
        if rng.random() < 0.5:
            i, j = rng.choice(n, 2, replace=False)
            b2 = b2.copy()
            b2[i, j], b2[j, i] = -b2[i, j] if b2[i, j] else 1, b2[i, j] if b2[i, j] else -1
        iso = nx.is_isomorphic(g(b1), g(b2), edge_match=lambda a, b: a["w"] == b["w"])
        assert (canonical_form(b1) == canonical_form(b2)) == iso


def test_symmetric_quivers_are_invariant_under_relabelling():
    rng = np.random.default_rng(3)
    cases = [
        standard_quiver("D~4"),
        standard_quiver("A~4,4"),
        standard_quiver("X7"),
        standard_quiver("E~6"),
        np.zeros((6, 6), dtype=np.int64),
    ]
    cyc = np.zeros((8, 8), dtype=np.int64)
    for i in range(8):
        cyc[i, (i + 1) % 8], cyc[(i + 1) % 8, i] = 1, -1
    cases.append(cyc)
    two = np.zeros((8, 8), dtype=np.int64)
    for a in (0, 4):
        for i in range(4):
            two[a + i, a + (i + 1) % 4], two[a + (i + 1) % 4, a + i] = 1, -1
    cases.append(two)
    for b in cases:
        key = canonical_form(b)
        for _ in range(10):
            assert canonical_form(_relabel(b, rng)) == key
        cm = canonical_matrix(b)
        assert canonical_form(cm) == key
