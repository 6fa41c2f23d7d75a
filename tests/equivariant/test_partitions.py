"""Diagrams, their counts and the change of basis, against the issue's table, brute-force
enumeration and the materialised bases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from workbench_equivariant.core.materialise import basis_matrices, basis_rank, diagram_matrix, orbit_matrix
from workbench_equivariant.core.partitions import (
    Diagram,
    bell,
    change_of_basis,
    diagrams,
    dimension,
    dimensions,
)

# issue 18's table: dimension for n = 1..6 (set partitions of k + l points with <= n blocks)
TABLE = {
    (1, 1): [1, 2, 2, 2, 2, 2],
    (2, 1): [1, 4, 5, 5, 5, 5],
    (2, 2): [1, 8, 14, 15, 15, 15],
    (2, 3): [1, 16, 41, 51, 52, 52],
    (3, 3): [1, 32, 122, 187, 202, 203],
}


@pytest.mark.parametrize("kl", sorted(TABLE))
def test_dimensions_match_the_issue_table(kl):
    assert dimensions(*kl, 6) == TABLE[kl]
    # the same counted by brute force over the enumerated diagrams
    ds = diagrams(*kl)
    assert [sum(d.num_blocks <= n for d in ds) for n in range(1, 7)] == TABLE[kl]


def test_four_to_four_reaches_bell_8():
    dims = dimensions(4, 4, 10)
    assert dims[7:] == [4140, 4140, 4140] and dims[6] < 4140
    assert len(diagrams(4, 4)) == 4140 == bell(8)


def test_diagrams_are_all_set_partitions_once():
    """Brute force: every map from 5 points to block labels, canonicalised, gives Bell(5) = 52."""
    seen = set()
    for labels in itertools.product(range(5), repeat=5):
        blocks: dict[int, list[int]] = {}
        for p, g in enumerate(labels):
            blocks.setdefault(g, []).append(p)
        seen.add(Diagram.from_blocks(2, 3, blocks.values()))
    assert seen == set(diagrams(2, 3)) and len(diagrams(2, 3)) == 52
    nb = [d.num_blocks for d in diagrams(2, 3)]
    assert nb == sorted(nb)


def test_bad_orders_are_refused():
    with pytest.raises(ValueError, match="non-negative integer"):
        dimension(-1, 2, 3)
    with pytest.raises(ValueError, match="positive integer"):
        dimension(1, 2, 0)
    with pytest.raises(ValueError, match="too large"):
        diagrams(6, 6)
    with pytest.raises(ValueError, match="not a set partition"):
        Diagram(1, 1, ((0,),))


@pytest.mark.parametrize("kl", [(1, 1), (2, 1), (2, 2), (1, 3), (2, 3)])
def test_change_of_basis_inverts_and_matches_materialised_bases(kl):
    C, M = change_of_basis(*kl)
    assert np.array_equal(C @ M, np.eye(len(C), dtype=np.int64))
    for n in (1, 2, 3, 4):
        D = basis_matrices(*kl, n, "diagram")
        X = basis_matrices(*kl, n, "orbit")
        # a diagram element is the sum of the orbit elements of its coarsenings ...
        assert np.array_equal(np.einsum("ij,jab->iab", C, X), D)
        # ... and Möbius inversion gives the orbit elements back
        assert np.array_equal(np.einsum("ij,jab->iab", M, D), X)
        # orbit elements: disjoint supports covering every entry; zero exactly when > n blocks
        assert np.array_equal(X.sum(0), np.ones_like(X[0]))
        nonzero = [bool(x.any()) for x in X]
        assert nonzero == [d.num_blocks <= n for d in diagrams(*kl)]


def test_two_to_two_moebius_values():
    """μ from the bottom (all singletons) to the top (one block) of the lattice of 4 points is
    (-1)^3 3! = -6; and a coarsening merging two pairs of blocks gives (+1)."""
    ds = diagrams(2, 2)
    _, M = change_of_basis(2, 2)
    finest = ds.index(Diagram.from_blocks(2, 2, [[0], [1], [2], [3]]))
    coarsest = ds.index(Diagram.from_blocks(2, 2, [[0, 1, 2, 3]]))
    assert M[finest, coarsest] == -6
    pairs = ds.index(Diagram.from_blocks(2, 2, [[0, 2], [1, 3]]))
    assert M[finest, pairs] == 1


@pytest.mark.parametrize("kl", [(1, 1), (2, 1), (1, 2), (2, 2), (3, 1), (1, 4), (3, 2), (0, 3), (4, 0)])
def test_rank_of_the_materialised_diagram_basis_is_the_dimension(kl):
    m = sum(kl)
    for n in range(1, m + 2):
        r = basis_rank(*kl, n)
        assert r == dimension(*kl, n)
        assert (r == bell(m)) == (n >= m)


def test_rank_three_to_three_full_at_n6():
    assert basis_rank(3, 3, 6) == 203
    assert basis_rank(3, 3, 3) == 122


def test_single_matrices_by_hand():
    """D for {1,1'}{2,2'} is the identity on R^n ⊗ R^n; X for {1,2,1',2'} keeps only the diagonal."""
    n = 3
    ident = Diagram.from_blocks(2, 2, [[0, 2], [1, 3]])
    assert np.array_equal(diagram_matrix(ident, n), np.eye(n * n))
    top = Diagram.from_blocks(2, 2, [[0, 1, 2, 3]])
    diag = np.zeros((n * n, n * n))
    for i in range(n):
        diag[i * n + i, i * n + i] = 1
    assert np.array_equal(orbit_matrix(top, n), diag)
    # identity orbit element: i != j entries only
    assert np.array_equal(orbit_matrix(ident, n), np.eye(n * n) - diag)
