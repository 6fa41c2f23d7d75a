"""Mutation equivalence: decided by types, by enumeration, or honestly undecided."""

import numpy as np

from workbench_quiver.core.equivalence import find_path, mutation_equivalent
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.core.standard import standard_quiver


def test_equivalence_by_type_and_by_search():
    a = standard_quiver("D~6")
    b = mutate_sequence(a, [0, 3, 5, 2, 1])
    ok, why = mutation_equivalent(a, b)
    assert ok is True
    ok, why = mutation_equivalent(standard_quiver("E7"), standard_quiver("A7"))
    assert ok is False and "E7" in why
    ok, _ = mutation_equivalent(standard_quiver("A3"), standard_quiver("A4"))
    assert ok is False
    path = find_path(a, b)
    assert path is not None
    from workbench_quiver.core.canonical import canonical_form

    assert canonical_form(mutate_sequence(a, path)) == canonical_form(b)


def test_undecided_is_honest():
    # two mutation-infinite quivers: only a bounded search is possible
    a = np.array([[0, 1, 1, 1], [-1, 0, 1, 1], [-1, -1, 0, 1], [-1, -1, -1, 0]])
    b = np.array([[0, 1, 0, 1], [-1, 0, 1, 1], [0, -1, 0, 1], [-1, -1, -1, 0]])
    ok, why = mutation_equivalent(a, b, max_class=50)
    assert ok in (None, True, False)
    if ok is None:
        assert "not decided" in why
    ok, _ = mutation_equivalent(a, mutate_sequence(a, [1, 2]), max_class=200)
    assert ok is True
