"""Our cluster algebra against SageMath's ``ClusterSeed`` (issue 20).

The reference values were computed by SageMath itself (passagemath 10.8.13, the modular
distribution of SageMath on PyPI) with ``scripts/sage_reference.py`` and are committed in
``tests/quiver/data/sage_cluster_reference.json``; this test only reads them (Sage is not a
dependency).  For A4, D5, A~(2,2), D~4, E6 and E8, on Sage's own exchange matrices and seeded
random mutation paths, it compares exactly: the cluster variables (as Laurent polynomials parsed
from Sage's strings, and the strings themselves), the cluster variables and F-polynomials with
principal coefficients (Sage's y_i are our t_i), the g-, c- and d-vectors and the exchange matrix
after the path; and the numbers of clusters Sage's ``mutation_class`` found.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from workbench_quiver.core.cluster_algebra import ClusterSeed
from workbench_quiver.core.exchange_graph import exchange_graph
from workbench_quiver.core.laurent import Laurent

REFERENCE = json.loads((Path(__file__).parent / "data" / "sage_cluster_reference.json").read_text())
CASES = [(name, i) for name, t in REFERENCE["types"].items() for i in range(len(t["seeds"]))]

_TERM = re.compile(r"\s*([+-])?\s*([^+-]+)")


def parse_polynomial(text: str, names: list[str]) -> dict[tuple[int, ...], int]:
    """A polynomial as Sage prints it (``x1^2*x3 - 2*x0 + 1``) -> {exponent vector: coefficient}."""
    index = {n: i for i, n in enumerate(names)}
    out: dict[tuple[int, ...], int] = {}
    text = text.strip()
    pos = 0
    while pos < len(text):
        m = _TERM.match(text, pos)
        assert m is not None, text
        sign = -1 if m.group(1) == "-" else 1
        coeff, exps = sign, [0] * len(names)
        for factor in m.group(2).strip().split("*"):
            if factor.isdigit():
                coeff *= int(factor)
                continue
            name, _, e = factor.partition("^")
            exps[index[name]] += int(e) if e else 1
        key = tuple(exps)
        out[key] = out.get(key, 0) + coeff
        pos = m.end()
    return {k: v for k, v in out.items() if v}


def parse_fraction(text: str, names: list[str]) -> dict[tuple[int, ...], int]:
    """``(num)/(monomial)`` as Sage prints a cluster variable -> Laurent terms {exponents: coeff}."""
    depth = 0
    cut = None
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "/" and depth == 0:
            cut = i
    num_s, den_s = (text, "1") if cut is None else (text[:cut], text[cut + 1 :])
    num = parse_polynomial(num_s.strip().removeprefix("(").removesuffix(")"), names)
    den = parse_polynomial(den_s.strip().removeprefix("(").removesuffix(")"), names)
    assert len(den) == 1 and next(iter(den.values())) == 1, f"denominator of {text} is not a monomial"
    (d,) = den
    return {tuple(a - b for a, b in zip(k, d, strict=True)): c for k, c in num.items()}


def laurent_terms(v: Laurent, keep: list[int]) -> dict[tuple[int, ...], int]:
    """Our Laurent polynomial -> {exponent vector (variables ``keep``): coefficient}."""
    return {tuple(int(e[i]) + v.shift[i] for i in keep): int(c) for e, c in v.numerator.terms()}


def test_reference_was_made_by_sage() -> None:
    assert REFERENCE["sage_version"].startswith("10.")
    assert set(REFERENCE["types"]) == {"A4", "D5", "A~2,2", "D~4", "E6", "E8"}
    assert sum(len(t["seeds"]) for t in REFERENCE["types"].values()) == len(CASES) == 22


@pytest.mark.parametrize(("name", "i"), CASES)
def test_seed_equals_sage(name: str, i: int) -> None:
    t = REFERENCE["types"][name]
    ref = t["seeds"][i]
    b = np.array(t["b_matrix"], dtype=np.int64)
    n = b.shape[0]
    seed = ClusterSeed.initial(b).mutate_path(ref["path"])
    xs = [f"x{j}" for j in range(n)]

    # exchange matrix, g-, c-, d-vectors: the same integers, vertex by vertex
    assert seed.b.tolist() == ref["b_matrix"]
    assert seed.g_vectors() == ref["g_vectors"]
    assert seed.c_vectors() == ref["c_vectors"]
    assert seed.d_vectors() == ref["d_vectors"]

    # coefficient-free cluster: exact Laurent polynomials, and Sage's printed form
    for mine, sage in zip(seed.cluster(), ref["cluster"], strict=True):
        assert laurent_terms(mine, list(range(n))) == parse_fraction(sage, xs)
    assert seed.cluster_strings() == ref["cluster"]

    # principal coefficients: Sage's y_j is our t_j
    ys = xs + [f"y{j}" for j in range(n)]
    for mine, sage in zip(seed.principal_variables(), ref["principal_cluster"], strict=True):
        assert laurent_terms(mine, list(range(2 * n))) == parse_fraction(sage, ys)
    ynames = [f"y{j}" for j in range(n)]
    for mine, sage in zip(seed.f_polynomials(), ref["f_polynomials"], strict=True):
        assert {tuple(int(x) for x in e): int(c) for e, c in mine.terms()} == parse_polynomial(sage, ynames)


@pytest.mark.parametrize("name", ["A4", "D5", "E6"])
def test_cluster_counts_equal_sage(name: str) -> None:
    ref = REFERENCE["cluster_counts"][name]
    b = np.array(REFERENCE["types"][name]["b_matrix"], dtype=np.int64)
    assert exchange_graph(b).n_vertices == ref["clusters"]


def test_parser_reads_what_it_should() -> None:
    """The parser itself: a known Sage string, with a coefficient and a minus sign."""
    assert parse_fraction("(x1^2*x3 - 2*x0 + 1)/(x0*x1^2)", ["x0", "x1", "x2", "x3"]) == {
        (-1, 0, 0, 1): 1,
        (0, -2, 0, 0): -2,
        (-1, -2, 0, 0): 1,
    }
