"""The editor's Qt-free document and undo stack: Keller's arrow rules, undo/redo of every
edit, mutation through the core, the mutation history."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_quiver.core.mutation import mutate, mutate_sequence
from workbench_quiver.ui.model import (
    AddArrows,
    AddVertex,
    ClearArrows,
    CommandStack,
    GoToHistory,
    MoveVertices,
    Mutate,
    QuiverDocument,
    QuiverSnapshot,
    Relabel,
    RemoveVertex,
    SetFrozen,
    SetQuiver,
)


def a3_doc() -> tuple[QuiverDocument, CommandStack]:
    m = np.array([[0, 1, 0], [-1, 0, 1], [0, -1, 0]])
    doc = QuiverDocument(m, positions=[(0, 0), (100, 0), (200, 0)])
    return doc, CommandStack(doc)


def test_keller_arrow_rules():
    doc, st = a3_doc()
    st.push(AddArrows(0, 2))  # new arrow 0 -> 2
    assert doc.matrix[0, 2] == 1 and doc.matrix[2, 0] == -1
    st.push(AddArrows(0, 2))  # again: multiplicity 2
    assert doc.matrix[0, 2] == 2
    st.push(AddArrows(2, 0))  # against the arrow: multiplicity - 1
    assert doc.matrix[0, 2] == 1
    st.push(AddArrows(2, 0))
    st.push(AddArrows(2, 0))  # past zero: the arrow turns around
    assert doc.matrix[2, 0] == 1 and doc.matrix[0, 2] == -1
    assert np.array_equal(doc.matrix, -doc.matrix.T)
    for _ in range(5):
        st.undo()
    assert np.array_equal(doc.matrix, a3_doc()[0].matrix)
    with pytest.raises(ValueError):
        AddArrows(1, 1)


def test_every_edit_undoes_and_redoes():
    doc, st = a3_doc()
    original = doc.snapshot()
    cmds = [
        AddVertex((50, 80)),
        AddArrows(3, 1),
        AddArrows(3, 1),
        SetFrozen([3]),
        Relabel(3, "f"),
        MoveVertices({0: (0, 0)}, {0: (-30, 40)}),
        Mutate(1),
        ClearArrows(0, 1),
        RemoveVertex(2),
    ]
    states = [doc.snapshot()]
    for c in cmds:
        st.push(c)
        states.append(doc.snapshot())
    assert doc.size == 3 and doc.labels == ["0", "1", "f"] and doc.frozen == [False, False, True]
    for k in range(len(cmds), 0, -1):
        st.undo()
        s = states[k - 1]
        assert np.array_equal(doc.matrix, s.matrix) and doc.positions == s.positions
        assert doc.frozen == s.frozen and doc.labels == s.labels
    assert np.array_equal(doc.matrix, original.matrix)
    for k in range(1, len(cmds) + 1):
        st.redo()
        s = states[k]
        assert np.array_equal(doc.matrix, s.matrix) and doc.positions == s.positions and doc.labels == s.labels
    assert not st.can_redo()


def test_remove_vertex_restores_its_arrows_in_place():
    doc, st = a3_doc()
    st.push(AddArrows(2, 0, 3))
    before = doc.matrix.copy()
    st.push(RemoveVertex(1))
    assert doc.matrix.shape == (2, 2) and doc.matrix[1, 0] == 3
    st.undo()
    assert np.array_equal(doc.matrix, before) and doc.labels == ["0", "1", "2"]


def test_mutation_matches_core_and_frozen_rows():
    rng = np.random.default_rng(3)
    n = 7
    m = np.triu(rng.integers(-2, 3, size=(n, n)), 1)
    m = m - m.T
    doc = QuiverDocument(m, positions=[(i * 10.0, 0.0) for i in range(n)])
    st = CommandStack(doc)
    st.push(SetFrozen([5, 6]))
    b = doc.b_matrix()
    assert b.shape == (7, 5)
    seq = [0, 3, 1, 4, 3, 2]
    for k in seq:
        st.push(Mutate(k))
    # document indices of mutable vertices coincide with B's columns here (0..4 mutable)
    assert np.array_equal(doc.b_matrix(), mutate_sequence(b, seq))
    with pytest.raises(ValueError):
        st.push(Mutate(5))  # frozen
    assert np.array_equal(doc.b_matrix(), mutate_sequence(b, seq))


def _fz_mutate(m: list[list[int]], k: int) -> list[list[int]]:
    """Fomin-Zelevinsky mutation on Python ints, written out entry by entry (a reference)."""
    n = len(m)
    out = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i == k or j == k:
                out[i][j] = -m[i][j]
            else:
                out[i][j] = m[i][j] + (abs(m[i][k]) * m[k][j] + m[i][k] * abs(m[k][j])) // 2
    return out


def test_mutation_is_exact_for_growing_entries():
    m = np.array([[0, 3, 0], [-3, 0, 3], [0, -3, 0]])  # mutation-infinite: entries grow doubly exponentially
    doc = QuiverDocument(m, positions=[(0, 0), (1, 0), (2, 0)])
    st = CommandStack(doc)
    ref = m.tolist()
    for step in range(9):
        k = (1, 0, 2)[step % 3]
        st.push(Mutate(k))
        ref = _fz_mutate(ref, k)
    assert [[int(x) for x in row] for row in doc.matrix] == ref
    assert max(abs(int(x)) for x in doc.matrix.flat) > 2**63  # grown past int64, still exact


def test_history_go_back_and_forward_and_branch():
    doc, st = a3_doc()
    m0 = doc.matrix.copy()
    for k in (0, 1, 2):
        st.push(Mutate(k))
    assert doc.history.sequence == [0, 1, 2] and doc.history.pointer == 3
    m3 = doc.matrix.copy()
    st.push(GoToHistory(1))
    assert np.array_equal(doc.matrix, mutate(m0, 0)) and doc.history.pointer == 1
    st.push(GoToHistory(3))
    assert np.array_equal(doc.matrix, m3)
    st.push(GoToHistory(0))
    assert np.array_equal(doc.matrix, m0)
    st.undo()
    assert np.array_equal(doc.matrix, m3) and doc.history.pointer == 3
    st.push(GoToHistory(1))
    st.push(Mutate(2))  # branch: steps after 1 are dropped
    assert doc.history.sequence == [0, 2] and doc.history.pointer == 2
    st.undo()
    assert doc.history.sequence == [0, 1, 2] and doc.history.pointer == 1


def test_structural_edit_starts_new_history_and_undo_brings_it_back():
    doc, st = a3_doc()
    st.push(Mutate(1))
    st.push(AddArrows(0, 2))
    assert doc.history.sequence == [] and doc.history.start_label == "edited"
    assert np.array_equal(doc.history.start, doc.matrix)
    st.undo()
    assert doc.history.sequence == [1] and doc.history.pointer == 1


def test_set_quiver_and_events():
    doc, st = a3_doc()
    events = []
    doc.subscribe(lambda e, info: events.append((e, info)))
    snap = QuiverSnapshot(np.array([[0, 2], [-2, 0]]), [(0, 0), (1, 1)], [False, False], ["a", "b"])
    st.push(SetQuiver(snap, start_label="Kronecker"))
    assert doc.size == 2 and doc.history.start_label == "Kronecker"
    assert events[0][0] == "reset"
    events.clear()
    st.push(Mutate(0))
    kinds = [e for e, _ in events]
    assert "mutated" in kinds and "history" in kinds
    mut = [info for e, info in events if e == "mutated"][0]
    assert mut["vertex"] == 0 and mut["pairs"] == [(0, 1)]
    st.undo()
    st.undo()
    assert doc.size == 3
    with pytest.raises(ValueError, match="skew-symmetric"):
        SetQuiver(QuiverSnapshot(np.array([[0, 1], [1, 0]]), [(0, 0), (1, 1)], [False] * 2, ["a", "b"]))
