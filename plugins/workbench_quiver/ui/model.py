"""The editable quiver document behind the editor, and its undo stack (Qt-free).

The document holds every vertex of the drawing, mutable and frozen alike, in one square
skew-symmetric integer matrix ``M`` (``M[i, j] = c > 0``: ``c`` arrows ``i -> j``), with a
position, a label and a frozen flag per vertex.  The exchange matrix in Sage's convention
(``n`` mutable vertices first, then the ``m`` frozen ones as extra rows; shape
``(n + m) x n``) is :meth:`QuiverDocument.b_matrix`.  Arrows between two frozen vertices are
kept in the drawing (and transformed by mutation as in Keller's applet) but do not appear
in ``B``.

Every edit is a :class:`Command` with ``do`` / ``undo`` pushed on a :class:`CommandStack`
(the pattern of glue's command stack); mutation itself is delegated to
:func:`workbench_quiver.core.mutation.mutate` (Fomin-Zelevinsky matrix mutation, exact).
Views subscribe with :meth:`QuiverDocument.subscribe` and receive ``(event, info)`` pairs:

* ``"reset"``      - vertex set changed (add/remove/load): redraw everything;
* ``"arrows"``     - ``info["pairs"]``: unordered pairs whose entries changed;
* ``"mutated"``    - like ``"arrows"`` plus ``info["vertex"]``;
* ``"positions"``  - ``info["vertices"]``: moved vertices;
* ``"frozen"`` / ``"labels"`` - ``info["vertices"]``;
* ``"history"``    - the mutation history changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Listener = Callable[[str, dict], None]


def _as_matrix(m: Any) -> np.ndarray:
    """An integer square matrix (int64, or object dtype when entries exceed int64)."""
    arr = np.asarray(m)
    if arr.dtype == object:
        return arr.copy()
    return np.asarray(arr, dtype=np.int64).copy()


def _changed_pairs(old: np.ndarray, new: np.ndarray) -> list[tuple[int, int]]:
    """Unordered pairs ``(i, j)``, ``i < j``, whose entry differs between two matrices."""
    if old.shape != new.shape:
        n = new.shape[0]
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    diff = np.triu(old != new, 1)
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(diff), strict=True)]


@dataclass
class QuiverSnapshot:
    """A complete copy of the document's quiver (used by whole-quiver commands)."""

    matrix: np.ndarray
    positions: list[tuple[float, float]]
    frozen: list[bool]
    labels: list[str]

    def copy(self) -> QuiverSnapshot:
        return QuiverSnapshot(self.matrix.copy(), list(self.positions), list(self.frozen), list(self.labels))


@dataclass
class MutationHistory:
    """Mutations applied since the quiver was last loaded or edited.

    ``start`` is the full matrix at the start, ``sequence`` the mutated vertices (indices
    into the document) and ``pointer`` how many of them are applied now (going back in the
    history moves the pointer; a new mutation after going back drops the steps after it).
    """

    start: np.ndarray
    sequence: list[int] = field(default_factory=list)
    pointer: int = 0
    start_label: str = "start"

    def copy(self) -> MutationHistory:
        return MutationHistory(self.start.copy(), list(self.sequence), self.pointer, self.start_label)


class QuiverDocument:
    """An editable quiver: full skew-symmetric matrix, positions, frozen flags, labels."""

    def __init__(
        self,
        matrix: Any | None = None,
        positions: Sequence[tuple[float, float]] | None = None,
        frozen: Sequence[bool] | None = None,
        labels: Sequence[str] | None = None,
    ) -> None:
        m = _as_matrix(np.zeros((0, 0), dtype=np.int64) if matrix is None else matrix)
        n = m.shape[0]
        self.matrix: np.ndarray = m
        self.positions: list[tuple[float, float]] = (
            [tuple(map(float, p)) for p in positions] if positions is not None else [(0.0, 0.0)] * n
        )
        self.frozen: list[bool] = [bool(f) for f in frozen] if frozen is not None else [False] * n
        self.labels: list[str] = [str(s) for s in labels] if labels is not None else [str(i) for i in range(n)]
        check_document(self.matrix, self.positions, self.frozen, self.labels)
        self.history = MutationHistory(self.matrix.copy())
        self._listeners: list[Listener] = []

    # ---- observers ------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: str, **info: Any) -> None:
        for listener in list(self._listeners):
            listener(event, info)

    # ---- read access ----------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of vertices in the drawing (mutable and frozen)."""
        return int(self.matrix.shape[0])

    def mutable_vertices(self) -> list[int]:
        return [i for i in range(self.size) if not self.frozen[i]]

    def frozen_vertices(self) -> list[int]:
        return [i for i in range(self.size) if self.frozen[i]]

    def vertex_order(self) -> list[int]:
        """Document indices in the row order of :meth:`b_matrix` (mutable first, then frozen)."""
        return self.mutable_vertices() + self.frozen_vertices()

    def b_matrix(self) -> np.ndarray:
        """Exchange matrix ``B`` of shape ``(n + m) x n`` (Sage's convention)."""
        order = self.vertex_order()
        mut = self.mutable_vertices()
        return self.matrix[np.ix_(order, mut)].copy()

    def principal_part(self) -> np.ndarray:
        """The ``n x n`` skew-symmetric matrix of the mutable vertices."""
        mut = self.mutable_vertices()
        return self.matrix[np.ix_(mut, mut)].copy()

    def arrows(self) -> list[tuple[int, int, int]]:
        """``(i, j, c)``: ``c`` arrows ``i -> j`` (document indices)."""
        ii, jj = np.nonzero(self.matrix > 0)
        return [(int(i), int(j), int(self.matrix[i, j])) for i, j in zip(ii, jj, strict=True)]

    def snapshot(self) -> QuiverSnapshot:
        return QuiverSnapshot(self.matrix.copy(), list(self.positions), list(self.frozen), list(self.labels))

    # ---- primitive changes (used by commands; each emits one event) --------------
    def _apply_snapshot(self, snap: QuiverSnapshot, history: MutationHistory | None = None) -> None:
        self.matrix = snap.matrix.copy()
        self.positions = list(snap.positions)
        self.frozen = list(snap.frozen)
        self.labels = list(snap.labels)
        self.history = history.copy() if history is not None else MutationHistory(self.matrix.copy())
        self.emit("reset")
        self.emit("history")

    def _set_matrix(self, matrix: np.ndarray, event: str = "arrows", **info: Any) -> None:
        old = self.matrix
        self.matrix = matrix
        self.emit(event, pairs=_changed_pairs(old, matrix), **info)

    def _add_arrows(self, i: int, j: int, delta: int) -> None:
        m = self.matrix.copy()
        m[i, j] += delta
        m[j, i] -= delta
        self.matrix = m
        self.emit("arrows", pairs=[(min(i, j), max(i, j))])

    def _insert_vertex(
        self, index: int, pos: tuple[float, float], frozen: bool, label: str, row: np.ndarray | None = None
    ) -> None:
        n = self.size
        m = np.zeros((n + 1, n + 1), dtype=self.matrix.dtype)
        keep = [k for k in range(n + 1) if k != index]
        m[np.ix_(keep, keep)] = self.matrix
        if row is not None:
            m[index, keep] = row
            m[keep, index] = -row
        self.matrix = m
        self.positions.insert(index, (float(pos[0]), float(pos[1])))
        self.frozen.insert(index, bool(frozen))
        self.labels.insert(index, label)
        self.emit("reset")

    def _remove_vertex(self, index: int) -> None:
        keep = [k for k in range(self.size) if k != index]
        self.matrix = self.matrix[np.ix_(keep, keep)].copy()
        del self.positions[index]
        del self.frozen[index]
        del self.labels[index]
        self.emit("reset")

    def _set_positions(self, positions: dict[int, tuple[float, float]]) -> None:
        for i, p in positions.items():
            self.positions[i] = (float(p[0]), float(p[1]))
        self.emit("positions", vertices=sorted(positions))

    def move_live(self, i: int, pos: tuple[float, float]) -> None:
        """Move a vertex while it is being dragged (no undo entry; push a MoveVertices on release)."""
        self._set_positions({i: pos})

    def _set_frozen(self, vertices: Sequence[int], value: Sequence[bool]) -> None:
        for v, f in zip(vertices, value, strict=True):
            self.frozen[v] = bool(f)
        self.emit("frozen", vertices=list(vertices))

    def _set_labels(self, labels: dict[int, str]) -> None:
        for v, s in labels.items():
            self.labels[v] = s
        self.emit("labels", vertices=sorted(labels))

    def _set_history(self, history: MutationHistory) -> None:
        self.history = history.copy()
        self.emit("history")

    def _mutate(self, k: int) -> None:
        from workbench_quiver.core.mutation import mutate

        self._set_matrix(_as_matrix(mutate(self.matrix, k)), "mutated", vertex=k)

    def next_label(self) -> str:
        """The smallest non-negative integer not already used as a label (vertices are
        numbered from 0, as in SageMath and in the evidence texts of the core)."""
        used = set(self.labels)
        k = 0
        while str(k) in used:
            k += 1
        return str(k)


def check_document(matrix: np.ndarray, positions: Sequence, frozen: Sequence, labels: Sequence) -> None:
    """Raise ValueError naming what is wrong with a document's parts."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"the quiver matrix must be square, got shape {matrix.shape}")
    n = matrix.shape[0]
    if n and not np.array_equal(matrix, -matrix.T):
        bad = np.argwhere(matrix != -matrix.T)[0]
        raise ValueError(
            f"the quiver matrix must be skew-symmetric: entry ({bad[0]}, {bad[1]}) = {matrix[bad[0], bad[1]]}"
            f" but ({bad[1]}, {bad[0]}) = {matrix[bad[1], bad[0]]}"
        )
    if n and np.any(np.diag(matrix) != 0):
        raise ValueError("the quiver matrix must have a zero diagonal (no loops)")
    for name, seq in (("positions", positions), ("frozen flags", frozen), ("labels", labels)):
        if len(seq) != n:
            raise ValueError(f"{n} vertices but {len(seq)} {name}")


# ---- commands --------------------------------------------------------------------------
class Command:
    """One undoable edit.  ``do`` applies it (also used for redo), ``undo`` reverts it."""

    text = "edit"
    #: whether the edit changes the quiver's structure (resets the mutation history)
    structural = True

    def do(self, doc: QuiverDocument) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def undo(self, doc: QuiverDocument) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class AddVertex(Command):
    def __init__(
        self, pos: tuple[float, float], frozen: bool = False, label: str | None = None, index: int | None = None
    ) -> None:
        self.pos, self.frozen, self.label, self.index = pos, frozen, label, index
        self.text = "add vertex"

    def do(self, doc: QuiverDocument) -> None:
        if self.label is None:
            self.label = doc.next_label()
        if self.index is None:
            self.index = doc.size
        doc._insert_vertex(self.index, self.pos, self.frozen, self.label)

    def undo(self, doc: QuiverDocument) -> None:
        doc._remove_vertex(self.index)


class RemoveVertex(Command):
    def __init__(self, index: int) -> None:
        self.index = index
        self.text = "remove vertex"
        self._saved: tuple | None = None

    def do(self, doc: QuiverDocument) -> None:
        i = self.index
        keep = [k for k in range(doc.size) if k != i]
        self._saved = (doc.matrix[i, keep].copy(), doc.positions[i], doc.frozen[i], doc.labels[i])
        self.text = f"remove vertex {doc.labels[i]}"
        doc._remove_vertex(i)

    def undo(self, doc: QuiverDocument) -> None:
        row, pos, frozen, label = self._saved
        doc._insert_vertex(self.index, pos, frozen, label, row=row)


class AddArrows(Command):
    """Draw ``delta`` arrows ``i -> j``: ``B[i, j] += delta``, ``B[j, i] -= delta``.

    With ``delta = 1`` this is Keller's rule: a new arrow, one more arrow on an existing
    ``i -> j`` arrow, or one fewer on an existing ``j -> i`` arrow.
    """

    def __init__(self, i: int, j: int, delta: int = 1) -> None:
        if i == j:
            raise ValueError("a quiver has no loops: an arrow needs two different vertices")
        self.i, self.j, self.delta = i, j, delta
        self.text = "add arrow" if delta > 0 else "remove arrow"

    def do(self, doc: QuiverDocument) -> None:
        doc._add_arrows(self.i, self.j, self.delta)

    def undo(self, doc: QuiverDocument) -> None:
        doc._add_arrows(self.i, self.j, -self.delta)


class ClearArrows(Command):
    """Remove every arrow between two vertices."""

    def __init__(self, i: int, j: int) -> None:
        self.i, self.j = i, j
        self.text = "remove arrows"
        self._old = 0

    def do(self, doc: QuiverDocument) -> None:
        self._old = doc.matrix[self.i, self.j]
        doc._add_arrows(self.i, self.j, -self._old)

    def undo(self, doc: QuiverDocument) -> None:
        doc._add_arrows(self.i, self.j, self._old)


class MoveVertices(Command):
    structural = False

    def __init__(
        self, old: dict[int, tuple[float, float]], new: dict[int, tuple[float, float]], text: str = "move"
    ) -> None:
        self.old, self.new, self.text = dict(old), dict(new), text

    def do(self, doc: QuiverDocument) -> None:
        doc._set_positions(self.new)

    def undo(self, doc: QuiverDocument) -> None:
        doc._set_positions(self.old)


class SetFrozen(Command):
    def __init__(self, vertices: Sequence[int], value: bool | None = None) -> None:
        self.vertices = list(vertices)
        self.value = value  # None: toggle each
        self._old: list[bool] = []
        self.text = "freeze / unfreeze"

    def do(self, doc: QuiverDocument) -> None:
        self._old = [doc.frozen[v] for v in self.vertices]
        new = [(not f) if self.value is None else self.value for f in self._old]
        doc._set_frozen(self.vertices, new)

    def undo(self, doc: QuiverDocument) -> None:
        doc._set_frozen(self.vertices, self._old)


class Relabel(Command):
    structural = False

    def __init__(self, vertex: int, label: str) -> None:
        self.vertex, self.label = vertex, label
        self._old = ""
        self.text = f"rename vertex to {label}"

    def do(self, doc: QuiverDocument) -> None:
        self._old = doc.labels[self.vertex]
        doc._set_labels({self.vertex: self.label})

    def undo(self, doc: QuiverDocument) -> None:
        doc._set_labels({self.vertex: self._old})


class Mutate(Command):
    """Mutation at a mutable vertex ``k`` (an involution, so undo mutates again)."""

    structural = False

    def __init__(self, k: int) -> None:
        self.k = k
        self.text = f"mutate at {k + 1}"
        self._history: MutationHistory | None = None

    def do(self, doc: QuiverDocument) -> None:
        if doc.frozen[self.k]:
            raise ValueError(f"vertex {doc.labels[self.k]} is frozen and cannot be mutated")
        self.text = f"mutate at {doc.labels[self.k]}"
        self._history = doc.history.copy()
        doc._mutate(self.k)
        h = doc.history.copy()
        del h.sequence[h.pointer :]
        h.sequence.append(self.k)
        h.pointer = len(h.sequence)
        doc._set_history(h)

    def undo(self, doc: QuiverDocument) -> None:
        doc._mutate(self.k)
        doc._set_history(self._history)


class GoToHistory(Command):
    """Move to step ``step`` of the mutation history by applying mutations (exact)."""

    structural = False

    def __init__(self, step: int) -> None:
        self.step = step
        self.text = f"go to history step {step}"
        self._from = 0

    def _walk(self, doc: QuiverDocument, frm: int, to: int) -> None:
        from workbench_quiver.core.mutation import mutate

        m = doc.matrix
        seq = doc.history.sequence
        if to < frm:
            for k in reversed(seq[to:frm]):
                m = mutate(m, k)
        else:
            for k in seq[frm:to]:
                m = mutate(m, k)
        doc._set_matrix(_as_matrix(m), "arrows")
        h = doc.history.copy()
        h.pointer = to
        doc._set_history(h)

    def do(self, doc: QuiverDocument) -> None:
        if not 0 <= self.step <= len(doc.history.sequence):
            raise ValueError(f"history step {self.step} does not exist")
        self._from = doc.history.pointer
        self._walk(doc, self._from, self.step)

    def undo(self, doc: QuiverDocument) -> None:
        self._walk(doc, self.step, self._from)


class SetQuiver(Command):
    """Replace the whole quiver (load, gallery, class member, layout): undoable."""

    def __init__(
        self,
        snapshot: QuiverSnapshot,
        text: str = "load quiver",
        start_label: str = "start",
        keep_history: bool = False,
        history: MutationHistory | None = None,
    ) -> None:
        check_document(snapshot.matrix, snapshot.positions, snapshot.frozen, snapshot.labels)
        self.new = snapshot.copy()
        self.history = history.copy() if history is not None else None
        self.text = text
        self.start_label = start_label
        self.keep_history = keep_history
        self.structural = not keep_history
        self._old: QuiverSnapshot | None = None
        self._old_history: MutationHistory | None = None

    def do(self, doc: QuiverDocument) -> None:
        self._old = doc.snapshot()
        self._old_history = doc.history.copy()
        if self.history is not None:
            history = self.history.copy()
        elif self.keep_history:
            history = doc.history.copy()
        else:
            history = MutationHistory(self.new.matrix.copy(), start_label=self.start_label)
        doc._apply_snapshot(self.new, history)

    def undo(self, doc: QuiverDocument) -> None:
        doc._apply_snapshot(self._old, self._old_history)


class CommandStack:
    """Undo/redo stack of :class:`Command` objects acting on one document.

    A structural command (anything that changes the quiver other than by mutation, moving or
    renaming) also starts a new mutation history at the edited quiver; undo restores the old one.
    """

    def __init__(self, doc: QuiverDocument, limit: int = 1000) -> None:
        self.doc = doc
        self.limit = limit
        self._undo: list[tuple[Command, MutationHistory | None]] = []
        self._redo: list[tuple[Command, MutationHistory | None]] = []
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _apply(self, cmd: Command) -> MutationHistory | None:
        before = self.doc.history.copy() if cmd.structural and not isinstance(cmd, SetQuiver) else None
        cmd.do(self.doc)
        if before is not None:
            self.doc._set_history(MutationHistory(self.doc.matrix.copy(), start_label="edited"))
        return before

    def push(self, cmd: Command) -> Command:
        """Apply ``cmd`` and record it.  Raises (changing nothing) if the command is invalid."""
        before = self._apply(cmd)
        self._undo.append((cmd, before))
        del self._undo[: -self.limit]
        self._redo.clear()
        self._changed()
        return cmd

    def undo(self) -> Command | None:
        if not self._undo:
            return None
        cmd, before = self._undo.pop()
        cmd.undo(self.doc)
        if before is not None:
            self.doc._set_history(before)
        self._redo.append((cmd, before))
        self._changed()
        return cmd

    def redo(self) -> Command | None:
        if not self._redo:
            return None
        cmd, _ = self._redo.pop()
        before = self._apply(cmd)
        self._undo.append((cmd, before))
        self._changed()
        return cmd

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_text(self) -> str:
        return self._undo[-1][0].text if self._undo else ""

    def redo_text(self) -> str:
        return self._redo[-1][0].text if self._redo else ""

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._changed()

    def snapshot(self) -> tuple[list, list]:
        """The undo and redo entries as they are now (copies of the lists; the commands are
        shared: a command is never changed once recorded, except by its own do/undo)."""
        return list(self._undo), list(self._redo)

    def restore_snapshot(self, snapshot: tuple[list, list]) -> None:
        """Put back what :meth:`snapshot` returned, on the document it was taken from (as it
        was then: the caller restores the document first)."""
        undo, redo = snapshot
        self._undo, self._redo = list(undo), list(redo)
        self._changed()
