"""The structural D~ recogniser (core/dtilde.py), cross-checked against the enumerated classes,
the shipped tables and the seeded mutation walk; it must never claim a quiver of another class.

The exhaustive checks (every member of D~9 and D~10, every stored member with 10 and 11
vertices, every member of the exceptional tables) are marked slow (about two minutes here);
the fast tests cover every member up to 9 vertices and samples of the rest."""

from collections import Counter

import numpy as np
import pytest

from workbench_quiver.core.dtilde import recognise_dtilde
from workbench_quiver.core.enumerate import mutation_class
from workbench_quiver.core.identify import _core_vertices, _search_dtilde, identify
from workbench_quiver.core.mutation import mutate, mutate_sequence
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.core.structure import analyse
from workbench_quiver.core.tables import load_tables

_CACHE: dict = {}


def _members(label):
    if label not in _CACHE:
        _CACHE[label] = mutation_class(standard_quiver(label))
    return _CACHE[label]


def _relabelled(b, rng):
    p = rng.permutation(b.shape[0])
    return b[np.ix_(p, p)]


def _table_members(prefix):
    """(label, matrix) of every stored table member whose label starts with ``prefix``."""
    out = []
    for (n, up), label in load_tables().items():
        if label.startswith(prefix):
            m = np.zeros((n, n), dtype=np.int64)
            iu = np.triu_indices(n, 1)
            m[iu] = np.frombuffer(up, dtype=np.uint8).astype(np.int64) - 2
            out.append((label, m - m.T))
    return out


def _check_class(label, rng):
    mc = _members(label)
    kinds: Counter = Counter()
    for i in range(len(mc)):
        st = recognise_dtilde(_relabelled(mc.b(i), rng))
        assert st is not None and st.family == "D~" and st.label == label, (label, mc.b(i).tolist())
        kinds.update(c.kind for c in st.cores)
    return kinds


@pytest.mark.parametrize("label", [f"D~{k}" for k in range(4, 9)])
def test_every_member_up_to_9_vertices_is_recognised(label):
    kinds = _check_class(label, np.random.default_rng(1))
    # the members whose punctures interact are covered by the joined / twin types
    assert set(kinds) - {"fork", "II", "III", "IV"}, kinds


@pytest.mark.exhaustive
@pytest.mark.parametrize("label", ["D~9", "D~10"])
def test_every_member_with_10_and_11_vertices_is_recognised(label):
    _check_class(label, np.random.default_rng(2))


def _check_stored(sizes):
    rng = np.random.default_rng(3)
    members = [(label, m) for label, m in _table_members("D~") if m.shape[0] in sizes]
    kinds: Counter = Counter()
    for label, m in members:
        st = recognise_dtilde(_relabelled(m, rng))
        assert st is not None and st.label == label, (label, m.tolist())
        assert analyse(m) is None
        kinds[st.cores[0].kind] += 1
    return len(members), kinds


def test_every_stored_interacting_member_up_to_9_vertices_is_recognised():
    """The shipped tables hold exactly the D~ members (5 to 11 vertices) that the
    two-separate-punctures criterion of structure.analyse does not cover."""
    count, kinds = _check_stored(range(5, 10))
    assert count == 5 + 19 + 55 + 164 + 523
    assert set(kinds) == {"joined", "twin spike", "twin chord", "double twins", "triple twins"}, kinds


@pytest.mark.exhaustive
def test_every_stored_interacting_member_with_10_and_11_vertices_is_recognised():
    count, _ = _check_stored(range(10, 12))
    assert count == 1705 + 5727


def _check_others(sample, rng):
    others = [(label, m) for prefix in ("E", "X") for label, m in _table_members(prefix)]
    assert len(others) == 67 + 416 + 1574 + 132 + 1080 + 7560 + 49 + 506 + 5739 + 5 + 2
    if sample is not None:
        others = [others[i] for i in rng.choice(len(others), size=sample, replace=False)]
    for label, m in others:
        assert recognise_dtilde(_relabelled(m, rng)) is None, (label, m.tolist())


def test_no_member_of_another_class_is_claimed():
    rng = np.random.default_rng(4)
    _check_others(1500, rng)
    for label in [f"A{n}" for n in range(5, 9)] + [f"D{n}" for n in range(5, 9)] + ["A~4,4", "A~6,2", "A~5,2"]:
        mc = _members(label)
        for i in rng.choice(len(mc), size=min(len(mc), 150), replace=False):
            assert recognise_dtilde(mc.b(int(i))) is None, (label, mc.b(int(i)).tolist())


@pytest.mark.exhaustive
def test_no_member_of_the_exceptional_tables_is_claimed():
    _check_others(None, np.random.default_rng(4))


def test_never_claims_a_random_quiver_of_another_type():
    """Random connected quivers (entries in [-2, 2]) on 5..9 vertices: whatever the recogniser
    claims, the table-backed identification agrees (and mutation-infinite ones are never D~)."""
    rng = np.random.default_rng(5)
    claimed = 0
    for _ in range(2000):
        n = int(rng.integers(5, 10))
        m = np.zeros((n, n), dtype=np.int64)
        extra = rng.random((n, n)) < 0.15
        m[extra] = rng.choice([-2, -1, 1, 1, 1], size=int(extra.sum()))
        for i in range(1, n):  # a random spanning tree keeps it connected
            j = int(rng.integers(i))
            m[j, i] = rng.choice([-1, 1])
        m = np.triu(m, 1)
        m = m - m.T
        st = recognise_dtilde(m)
        if st is not None:
            claimed += 1
            assert identify(m).label == st.label, m.tolist()
    assert claimed > 20


def test_disconnected_quivers_are_not_claimed():
    b = standard_quiver("D~6")
    m = np.zeros((9, 9), dtype=np.int64)
    m[:7, :7] = b
    m[7, 8], m[8, 7] = 1, -1
    assert recognise_dtilde(m) is None
    assert identify(m).label == "D~6 x A2"


def _random_mutant(label, rng, steps):
    b = standard_quiver(label)
    n = b.shape[0]
    for k in rng.integers(0, n, size=steps):
        b = mutate(b, int(k))
    return _relabelled(b, rng)


def test_random_mutants_12_to_60_vertices_are_recognised_and_agree_with_the_walk():
    rng = np.random.default_rng(6)
    interacting = 0
    for _ in range(60):
        k = int(rng.integers(11, 60))  # D~k has k + 1 vertices: 12..60
        b = _random_mutant(f"D~{k}", rng, int(rng.integers(20, 200)))
        for _ in range(30):  # a few mutations at the punctures make them interact
            if analyse(b) is None:
                break
            b = mutate(b, int(rng.choice(_core_vertices(b))))
        st = recognise_dtilde(b)
        assert st is not None and st.label == f"D~{k}", b.tolist()
        if analyse(b) is None:  # punctures interact: the walk must reach a separated member
            interacting += 1
            found = None
            for seed in range(8):
                found = _search_dtilde(b, np.random.default_rng(seed), steps=60 + b.shape[0])
                if found is not None:
                    break
            assert found is not None and found[0].label == st.label
            assert analyse(mutate_sequence(b, found[1])).label == st.label
    assert interacting >= 5


def test_evidence_names_the_type_pieces_and_glueing_points():
    # joined, a = b = 2, with a spike on q_1 -> q_2 and an arrow glued at the spike
    m = np.zeros((7, 7), dtype=np.int64)
    for i, j in [(0, 4), (0, 5), (1, 5), (2, 0), (2, 1), (3, 0), (4, 2), (4, 3), (5, 2), (5, 3), (1, 6)]:
        m[i, j], m[j, i] = 1, -1
    st = recognise_dtilde(m)
    assert st is not None and st.label == "D~6"
    (core,) = st.cores
    assert core.kind == "joined" and core.detail["arc"] == 0 and core.outlets == [1]
    assert core.detail["spikes"] == {1: [5, 2]}
    assert [p["vertices"] for p in st.pieces] == [[1, 6]]
    r = identify(m)
    assert r.family == "D~" and r.method == "structure"
    assert r.evidence["cores"][0]["kind"] == "joined" and r.evidence["cores"][0]["outlets"] == [1]
    assert set(r.evidence["highlight_vertices"]) == {0, 1, 2, 3, 4, 5}


def test_identify_uses_the_criterion_beyond_the_tables():
    rng = np.random.default_rng(7)
    seen = 0
    while seen < 5:
        b = _random_mutant("D~15", rng, 60)
        if analyse(b) is None:
            r = identify(b)
            assert r.label == "D~15" and r.method == "structure" and "path" not in r.evidence
            seen += 1
