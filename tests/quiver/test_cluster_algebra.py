"""Cluster algebras of quivers (issue 20): exact cluster variables, g-/c-/d-vectors, F-polynomials,
exchange graphs, checked against SageMath's documented outputs, known counts and theorems."""

from math import comb

import numpy as np
import pytest
import sympy

from workbench.errors import InputError
from workbench_quiver.core.cluster_algebra import ClusterSeed, parse_path, seed_after
from workbench_quiver.core.exchange_graph import TooManyClusters, exchange_graph
from workbench_quiver.core.standard import standard_quiver

A2 = np.array([[0, 1], [-1, 0]])  # Sage's ClusterSeed(['A', 2]).b_matrix()
A3_SAGE = np.array([[0, 1, 0], [-1, 0, -1], [0, 1, 0]])  # Sage's ['A', 3]: 0 -> 1 <- 2
A4_SAGE = np.array([[0, 1, 0, 0], [-1, 0, -1, 0], [0, 1, 0, 1], [0, 0, -1, 0]])


def _catalan(k: int) -> int:
    return comb(2 * k, k) // (k + 1)


def _random_path(rng, n, steps):
    path = []
    while len(path) < steps:
        k = int(rng.integers(n))
        if not path or path[-1] != k or n == 1:
            path.append(k)
    return path


# ----------------------------------------------------------------------------- known examples


def test_a2_pentagon_in_sages_conventions():
    s = ClusterSeed.initial(A2)
    seen = []
    clusters = []
    for k in [0, 1, 0, 1, 0]:
        s = s.mutate(k)
        clusters.append(s.cluster_strings())
        seen.extend(s.cluster_strings())
    assert clusters[0] == ["(x1 + 1)/x0", "x1"]  # Sage: ClusterSeed(['A',2]).mutate(0)
    assert clusters[1] == ["(x1 + 1)/x0", "(x0 + x1 + 1)/(x0*x1)"]
    assert clusters[2] == ["(x0 + 1)/x1", "(x0 + x1 + 1)/(x0*x1)"]
    assert set(seen) == {"x0", "x1", "(x1 + 1)/x0", "(x0 + x1 + 1)/(x0*x1)", "(x0 + 1)/x1"}
    assert clusters[4] == ["x1", "x0"]  # period 5, the two variables swapped
    s1 = ClusterSeed.initial(A2).mutate_path([0, 1])
    assert [str(f) for f in s1.f_polynomials()] == ["y0 + 1", "y0*y1 + y0 + 1"]
    assert s1.d_vectors() == [[1, 0], [1, 1]]


def test_clusters_match_sage_documentation():
    # Sage: S = ClusterSeed(['A',3]); S.mutate(1); S.cluster(); S.mutate(2); ...; S.mutate([2,1])
    assert seed_after(A3_SAGE, [1]).cluster_strings() == ["x0", "(x0*x2 + 1)/x1", "x2"]
    assert seed_after(A3_SAGE, [1, 2]).cluster_strings() == ["x0", "(x0*x2 + 1)/x1", "(x0*x2 + x1 + 1)/(x1*x2)"]
    assert seed_after(A3_SAGE, [1, 2, 2, 1]).cluster_strings() == ["x0", "x1", "x2"]
    # Sage: S = ClusterSeed(['A',4]); S.mutate(1); S.d_matrix() has column 1 equal to e_1, the rest -e_i
    assert seed_after(A4_SAGE, [1]).d_vectors() == [[-1, 0, 0, 0], [0, 1, 0, 0], [0, 0, -1, 0], [0, 0, 0, -1]]


def test_g_matrices_match_sage_documentation():
    # Sage: S = ClusterSeed(['A',3]).principal_extension(); S.mutate([2,1,2]); S.g_matrix()
    s = seed_after(A3_SAGE, [2, 1, 2])
    assert s.g.tolist() == [[1, 0, 0], [0, 0, -1], [0, -1, 0]]
    # Sage: S2 = ClusterSeed(['A',3]).principal_extension(); S2.mutate([0,1]); S2.g_matrix()
    s = seed_after(A3_SAGE, [0, 1])
    assert s.g.tolist() == [[-1, -1, 0], [1, 0, 0], [0, 0, 1]]
    # Sage: ClusterAlgebra(['A', 3]) seed mutated at 0: c_vector(0) = (-1,0,0), c_vector(1) = (1,1,0)
    assert seed_after(A3_SAGE, [0]).c_vectors()[:2] == [[-1, 0, 0], [1, 1, 0]]
    # Sage: S = ClusterSeed(['A',4]); S.mutate([1,2,3,2,0,1,2,0,3]); get_green_vertices(S.c_matrix()) = [0, 3]
    s = seed_after(A4_SAGE, [1, 2, 3, 2, 0, 1, 2, 0, 3])
    assert [k for k, c in enumerate(s.c_vectors()) if min(c) >= 0] == [0, 3]


def test_frozen_variables_enter_the_exchange_relation():
    # one mutable vertex x0 with an arrow from the frozen y0: x0 x0' = y0 + 1
    s = ClusterSeed.initial(np.array([[0], [1]])).mutate(0)
    assert s.cluster_strings() == ["(y0 + 1)/x0"]
    assert s.g_vectors() == [[-1]] and s.c_vectors() == [[-1]] and s.d_vectors() == [[1]]
    # A2 with a frozen vertex y0 -> x0, x1 -> y0: x0 x0' = y0 + x1, then x1 x1' = 1 + x0' (the arrow
    # x1 -> y0 cancels against y0 -> x0 -> x1 after mu_0)
    b = np.array([[0, 1], [-1, 0], [1, -1]])
    s = seed_after(b, [0, 1])
    assert s.cluster_strings() == ["(x1 + y0)/x0", "(x0 + x1 + y0)/(x0*x1)"]
    # frozen variables never change the tropical data
    t = seed_after(A2, [0, 1])
    assert s.g_vectors() == t.g_vectors() and s.c_vectors() == t.c_vectors() and s.d_vectors() == t.d_vectors()


def test_agrees_with_sympy_exchange_recurrence_on_a_affine_d_path():
    """An independent computation: the exchange relation iterated with sympy's rational functions
    (cancel) gives the same cluster variables, and sympy's denominators are monomials."""
    b = standard_quiver("D~4")
    n = b.shape[1]
    path = _random_path(np.random.default_rng(3), n, 9)
    seed = seed_after(b, path)
    xs = list(sympy.symbols(f"x0:{n}"))
    cur = [sympy.Integer(1) * x for x in xs]
    from workbench_quiver.core.mutation import mutate

    m = b.copy()
    for k in path:
        p = sympy.Mul(*[xs_i ** int(v) for xs_i, v in zip(cur, m[:, k], strict=True) if v > 0])
        q = sympy.Mul(*[xs_i ** int(-v) for xs_i, v in zip(cur, m[:, k], strict=True) if v < 0])
        cur[k] = sympy.cancel((p + q) / cur[k])
        m = mutate(m, k)
    for mine, ref in zip(seed.cluster_strings(), cur, strict=True):
        num, den = sympy.fraction(sympy.together(ref))
        assert len(sympy.Poly(den, *xs).terms()) == 1  # Laurent phenomenon
        assert sympy.simplify(sympy.sympify(mine.replace("^", "**")) - ref) == 0


# ----------------------------------------------------------------------------- theorems on random paths


@pytest.mark.parametrize("label,steps", [("A5", 25), ("D6", 20), ("E6", 20), ("A~3,2", 14), ("D~5", 12), ("E~6", 10)])
def test_laurent_positivity_g_vectors_and_involution_on_random_paths(label, steps):
    b = standard_quiver(label)
    n = b.shape[1]
    rng = np.random.default_rng(7)
    seed = ClusterSeed.initial(b)
    for k in _random_path(rng, n, steps):
        nxt = seed.mutate(k)
        assert nxt.mutate(k) == seed  # mutation is an involution on seeds (B, C, G, variables)
        seed = nxt
    # positivity (Lee-Schiffler 2015; GHKK 2018): F-polynomials and the Laurent numerators of the
    # cluster variables have non-negative coefficients; F has constant term 1 (DWZ 2010)
    for f in seed.f_polynomials():
        assert all(int(c) > 0 for c in f.coeffs())
        constant = [int(c) for m, c in f.terms() if not any(m)]
        assert constant == [1]
    for v in seed.cluster():
        assert all(int(c) > 0 for c in v.numerator.coeffs())
        # a reduced Laurent polynomial: the numerator is divisible by no variable
        assert all(min(m[i] for m in v.numerator.monoms()) == 0 for i in range(len(v.shift)))
    # g-vectors by the tropical recursion equal the degrees read off the variables
    assert seed.g_vectors() == seed.g_vectors_from_variables()
    # tropical duality G^T C = I (Nakanishi-Zelevinsky 2012, (1.11)) for skew-symmetric B
    assert (seed.g.T @ seed.c_matrix == np.eye(n, dtype=np.int64)).all()
    # sign-coherence of c-vectors (DWZ 2010)
    for c in seed.c_vectors():
        assert min(c) >= 0 or max(c) <= 0


# ----------------------------------------------------------------------------- exchange graphs


@pytest.mark.parametrize(
    "label,vertices,variables",
    [
        ("A2", _catalan(3), 5),
        ("A3", _catalan(4), 9),
        ("A4", _catalan(5), 14),
        ("A5", _catalan(6), 20),
        ("D4", (3 * 4 - 2) * comb(6, 3) // 4, 16),
        ("D5", (3 * 5 - 2) * comb(8, 4) // 5, 25),
        ("E6", 833, 42),
        ("E7", 4160, 70),
    ],
)
def test_exchange_graph_counts(label, vertices, variables):
    """Clusters: Catalan C_{n+1} (A_n), (3n-2)/n C(2n-2, n-1) (D_n), 833 (E6), 4160 (E7); cluster variables
    n(h+2)/2 (FZ, Y-systems and generalized associahedra, 2003); the graph is n-regular."""
    b = standard_quiver(label)
    n = b.shape[1]
    g = exchange_graph(b)
    assert g.n_vertices == vertices
    assert g.n_edges == vertices * n // 2
    assert len(g.g_vectors) == variables
    deg = np.zeros(g.n_vertices, dtype=int)
    for i, j, _ in g.edges:
        deg[i] += 1
        deg[j] += 1
    assert (deg == n).all()
    graph = g.to_networkx()
    import networkx as nx

    assert nx.is_connected(graph) and graph.number_of_edges() == g.n_edges
    if label == "A4":
        assert (g.n_vertices, g.n_edges) == (42, 84)


def test_exchange_graph_orientation_and_mutation_class_do_not_matter():
    for label in ("A4", "D5"):
        b = standard_quiver(label)
        rng = np.random.default_rng(1)
        from workbench_quiver.core.mutation import mutate_sequence

        other = mutate_sequence(b, _random_path(rng, b.shape[1], 7))
        assert exchange_graph(other, variables=False).n_vertices == exchange_graph(b, variables=False).n_vertices


def test_exchange_graph_variables_equal_the_seeds_along_its_paths():
    b = standard_quiver("D4")
    g = exchange_graph(b)
    ring = g.ring
    for i in range(0, g.n_vertices, 7):
        seed = seed_after(b, g.paths[i])
        assert sorted(map(tuple, seed.g_vectors())) == sorted(g.g_vectors[v] for v in g.clusters[i])
        mine = {str(v.numerator) + str(v.shift) for v in seed.variables}
        ref = {str(g.variables[v].numerator) + str(g.variables[v].shift) for v in g.clusters[i]}  # type: ignore[union-attr]
        assert mine == ref and ring.n == 4


def test_d_vectors_of_type_a_are_the_positive_roots():
    """Fomin-Zelevinsky II, Thm 1.9: for A_n the denominators of the non-initial cluster variables
    are exactly the positive roots e_i + ... + e_j."""
    for n in (3, 5):
        b = standard_quiver(f"A{n}")
        g = exchange_graph(b)
        d = {tuple(-s for s in v.shift[:n]) for v in g.variables}  # type: ignore[union-attr]
        roots = {tuple(1 if i <= t <= j else 0 for t in range(n)) for i in range(n) for j in range(i, n)}
        initial = {tuple(-1 if t == i else 0 for t in range(n)) for i in range(n)}
        assert d == roots | initial


def test_exchange_graph_of_infinite_type_stops_with_a_message():
    with pytest.raises(TooManyClusters, match="not of finite type"):
        exchange_graph(standard_quiver("A~2,1"), max_clusters=500)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_messages():
    with pytest.raises(InputError, match="not a mutable vertex"):
        parse_path("0,3", 3)
    with pytest.raises(InputError, match="'a' is not a vertex number"):
        parse_path("0,a", 3)
    with pytest.raises(InputError, match="cannot mutate at vertex 5"):
        ClusterSeed.initial(A2).mutate(5)
    with pytest.raises(ValueError, match="skew-symmetric"):
        ClusterSeed.initial(np.array([[0, 1], [1, 0]]))
    with pytest.raises(InputError, match="no mutable vertices"):
        ClusterSeed.initial(np.zeros((0, 0), dtype=np.int64))
    assert parse_path("", 3) == [] and parse_path("2 1, 0", 3) == [2, 1, 0]
