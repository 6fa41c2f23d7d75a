"""Exchange matrices, validation and exact mutation."""

import numpy as np
import pytest

from workbench_quiver.core.mutation import mutate, mutate_sequence
from workbench_quiver.core.quiver import Quiver, square_matrix, validate_b
from workbench_quiver.core.standard import gallery_labels, parse_label, standard_quiver


def test_validate_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"not skew-symmetric at \(0,1\)"):
        validate_b([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="not an integer"):
        validate_b([[0, 0.5], [-0.5, 0]])
    with pytest.raises(ValueError, match="loop at vertex 1"):
        validate_b([[0, 1], [-1, 2]])
    with pytest.raises(ValueError, match="2-D"):
        validate_b([1, 2, 3])
    with pytest.raises(ValueError, match="at least as many rows"):
        validate_b([[0, 1, 0], [-1, 0, 0]])
    with pytest.raises(ValueError, match="rectangular|not an integer"):
        validate_b([[0, 1], [-1]])
    with pytest.raises(ValueError, match="not an integer|expected integers"):
        validate_b([[0, "a"], [0, 0]])


def test_frozen_rows_and_arrows():
    q = Quiver([[0, 1], [-1, 0], [2, -1]])
    assert (q.n_mutable, q.n_frozen) == (2, 1)
    assert sorted(q.arrows()) == [(0, 1, 1), (1, 2, 1), (2, 0, 2)]
    assert np.array_equal(Quiver.from_dict(q.to_dict()).b, q.b)
    s = square_matrix(q.b)
    assert np.array_equal(s, -s.T)


def test_mutation_is_an_involution_and_matches_the_formula():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n, m = 6, 2
        top = np.triu(rng.integers(-2, 3, (n, n)), 1)
        b = np.vstack([top - top.T, rng.integers(-2, 3, (m, n))])
        k = int(rng.integers(n))
        mu = mutate(b, k)
        assert np.array_equal(mutate(mu, k), b)
        for i in range(n + m):
            for j in range(n):
                if i == k or j == k:
                    expect = -b[i, j]
                else:
                    expect = b[i, j] + (abs(b[i, k]) * b[k, j] + b[i, k] * abs(b[k, j])) // 2
                assert mu[i, j] == expect
        top2 = mu[:n]
        assert np.array_equal(top2, -top2.T)


def test_mutation_never_overflows_silently():
    # Markov-like quiver with multiplicity 3: entries grow like a Fibonacci recursion
    b = np.array([[0, 3, -3], [-3, 0, 3], [3, -3, 0]], dtype=np.int64)
    b2 = np.array([[0, 3], [-3, 0]], dtype=np.int64)
    big = np.array([[0, 5, -3], [-5, 0, 4], [3, -4, 0]], dtype=np.int64)
    seq = [0, 1, 2] * 4
    out = mutate_sequence(big, seq)
    # exact reference in pure Python integers
    ref = [[int(x) for x in row] for row in big]
    for k in seq:
        new = [[0] * 3 for _ in range(3)]
        for i in range(3):
            for j in range(3):
                if i == k or j == k:
                    new[i][j] = -ref[i][j]
                else:
                    new[i][j] = ref[i][j] + (abs(ref[i][k]) * ref[k][j] + ref[i][k] * abs(ref[k][j])) // 2
        ref = new
    assert max(abs(v) for row in ref for v in row) > 2**63
    assert out.dtype == object
    assert [[int(x) for x in row] for row in out] == ref
    assert np.array_equal(mutate(mutate(b, 0), 0), b)
    assert np.array_equal(mutate(b2, 1), -b2)


def test_standard_quivers_have_the_right_sizes():
    sizes = {
        "A7": 7,
        "D6": 6,
        "E8": 8,
        "A~3,2": 5,
        "D~7": 8,
        "E~6": 7,
        "E~7": 8,
        "E~8": 9,
        "E6^(1,1)": 8,
        "E7^(1,1)": 9,
        "E8^(1,1)": 10,
        "X6": 6,
        "X7": 7,
        "A~1,1": 2,
    }
    for label, n in sizes.items():
        b = standard_quiver(label)
        assert b.shape == (n, n), label
        validate_b(b)
    for label in gallery_labels(8):
        standard_quiver(label)
    with pytest.raises(ValueError, match="unknown quiver type label"):
        parse_label("Q5")
    with pytest.raises(ValueError):
        standard_quiver("E9")
