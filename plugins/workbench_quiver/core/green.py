"""Framed quivers, green and red vertices, maximal green sequences (Keller) (Qt-free).

The framed quiver of ``B`` (n x n) adds a frozen copy ``i'`` of every vertex and an arrow
``i -> i'``: the exchange matrix ``[B; I]`` (the principal extension).  After mutations, its frozen
rows are the C-matrix; the mutable vertex ``k`` is *green* when its c-vector is non-negative (no
arrow from a frozen vertex into ``k``) and *red* when it is non-positive; every vertex is one or the
other (sign-coherence, Derksen-Weyman-Zelevinsky 2010).  A *maximal green sequence* mutates only
at green vertices and ends with every vertex red (Keller, On cluster theory and quantum
dilogarithm identities, 2011, §5; Brüstle-Dupont-Pérotin, On maximal green sequences, 2014).

Search: depth-first over green mutations, memoised on the framed quiver up to relabelling
(its set of c-vectors determines the seed: Nakanishi-Zelevinsky 2012, G^T = C^{-1} and
B_t = G_t^{-1} B C_t), so each state's shortest and longest completions and its number of
maximal green sequences are computed once (dynamic programming on the oriented exchange graph).
Pruning: a state whose every green continuation was cut at the length limit is remembered with the
limit it failed at.  Facts the tests check: for an acyclic quiver of finite type the shortest MGS
has length n (mutate sources) and the longest has the number of positive roots (BDP 2014, Thm 8.7
for A_n; Keller 2011); the Markov quiver has none; the Kronecker quiver has exactly one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.errors import InputError

from .mutation import mutate
from .quiver import validate_b

CONVENTIONS = ("sage", "keller")


def framed(b: Any, convention: str = "sage") -> np.ndarray:
    """The framed exchange matrix ``[B; I]`` of the mutable part of ``b`` ((2n) x n); frozen rows of
    ``b`` are dropped (they do not change c-vectors).

    ``convention="sage"``: Sage's principal extension (``b_ij > 0``: arrows ``i -> j``, so the
    frozen arrows run ``i' -> i``) and Sage's ``green_vertices()``: green when the c-vector is
    non-negative.  ``"keller"``: Keller's framed quiver (arrows ``i -> i'``; green when no arrow
    runs from a frozen vertex into it), which is Sage's principal extension of the opposite quiver
    ``-B`` negated; mutation commutes with negation, so its colours are Sage's colours of ``-B``.
    For an acyclic quiver the source sequence is maximal green in Keller's convention, the sink
    sequence in Sage's."""
    if convention not in CONVENTIONS:
        raise InputError(f"unknown green-sequence convention {convention!r}: use one of {', '.join(CONVENTIONS)}")
    b = validate_b(b)
    n = b.shape[1]
    if b.dtype == object:
        raise InputError("exchange matrix entries beyond 64 bits are not supported")
    top = b[:n].astype(np.int64)
    if convention == "keller":
        top = -top
    return np.vstack([top, np.eye(n, dtype=np.int64)])


def colours(framed_b: np.ndarray) -> list[str]:
    """``"green"`` or ``"red"`` for each mutable vertex of a framed exchange matrix ((2n) x n),
    by the sign of its c-vector."""
    n = framed_b.shape[1]
    c = framed_b[n:]
    out = []
    for k in range(n):
        col = c[:, k]
        if (col >= 0).all() and col.any():
            out.append("green")
        elif (col <= 0).all() and col.any():
            out.append("red")
        else:
            raise ArithmeticError(f"c-vector {col.tolist()} of vertex {k} is not sign-coherent")
    return out


def colours_along(b: Any, path: Sequence[int], convention: str = "keller") -> list[str]:
    """``"green"`` or ``"red"`` for each mutable vertex of the seed reached from the initial seed of
    ``b`` ((n+m) x n; frozen rows ignored) along the mutation ``path`` (mutable indices 0..n-1),
    by the signs of its c-vectors (the frozen part of the framed quiver, :func:`framed` for the
    ``convention``).  At the initial seed every vertex is green; after one mutation at ``k`` the
    vertex ``k`` is red and the others are green (its c-vector is ``-e_k``, the others gain
    non-negative multiples of ``e_k``: Keller 2011, §5)."""
    f = framed(b, convention)
    n = f.shape[1]
    for k in path:
        if not 0 <= int(k) < n:
            raise InputError(f"mutation path: {k} is not a mutable vertex (0..{n - 1})")
        f = mutate(f, int(k))
    return colours(f)


def green_vertices(framed_b: np.ndarray) -> list[int]:
    n = framed_b.shape[1]
    c = framed_b[n:]
    return [k for k in range(n) if (c[:, k] >= 0).all()]


def is_maximal_green(b: Any, seq: list[int], convention: str = "sage") -> bool:
    """True when ``seq`` mutates only at green vertices of the framed quiver of ``b`` and ends
    with every vertex red."""
    f = framed(b, convention)
    for k in seq:
        if k not in green_vertices(f):
            return False
        f = mutate(f, k)
    return not green_vertices(f)


@dataclass
class GreenSearchResult:
    """shortest / longest: maximal green sequences found (None if none); count: how many maximal
    green sequences (exact when ``complete``); lengths: sorted distinct lengths found; complete:
    the whole (finite) tree of green sequences was searched; stopped: why not; states: framed
    quivers up to relabelling visited."""

    shortest: list[int] | None
    longest: list[int] | None
    count: int
    lengths: list[int] = field(default_factory=list)
    complete: bool = True
    stopped: str = ""
    states: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "shortest": self.shortest,
            "longest": self.longest,
            "shortest_length": len(self.shortest) if self.shortest is not None else None,
            "longest_length": len(self.longest) if self.longest is not None else None,
            "count": self.count,
            "lengths": self.lengths,
            "complete": self.complete,
            "stopped": self.stopped,
            "states": self.states,
        }


class _Budget(Exception):  # noqa: N818 - control flow, never escapes
    pass


@dataclass
class _Entry:
    min_path: list[int] | None
    max_path: list[int] | None
    count: int
    lengths: frozenset[int]
    cut: bool  # some continuation was cut at the length limit
    limit: int  # the remaining length it was computed with


def maximal_green_sequences(
    b: Any,
    max_length: int | None = None,
    max_states: int = 200_000,
    check: Callable[[int], None] | None = None,
    convention: str = "sage",
) -> GreenSearchResult:
    """Search the maximal green sequences of the quiver ``b`` (frozen rows ignored).

    max_length: longest sequence considered (default ``4 * n * n + 8``; mutation-infinite quivers
    have infinite green sequences, so the search needs a bound); max_states: distinct framed
    quivers visited before stopping (the result then holds what was found); ``check(states)``
    is called every 256 states (a job's cancellation check, may raise); convention: see
    :func:`framed`."""
    f0 = framed(b, convention)
    n = f0.shape[1]
    if n == 0:
        raise InputError("the quiver has no mutable vertices")
    limit = int(max_length) if max_length is not None else 4 * n * n + 8
    if limit < 0:
        raise InputError(f"max_length must be >= 0, got {max_length}")
    memo: dict[bytes, _Entry] = {}
    states = [0]  # framed quivers expanded (a cell: the recursion updates it)

    def canon(f: np.ndarray) -> tuple[bytes, list[int]]:
        """The memo key (the c-vectors in sorted order) and that order: a state reached again
        with its vertices relabelled by sigma has the same key, and its sequences are the stored
        ones relabelled by sigma (mutation keeps vertex labels), so paths are memoised in
        sorted-position form."""
        c = f[n:].T
        order = np.lexsort(c.T[::-1])
        return np.ascontiguousarray(c[order]).tobytes(), order.tolist()

    def relabel(e: _Entry, perm: list[int]) -> _Entry:
        def mp(path: list[int] | None) -> list[int] | None:
            return None if path is None else [perm[k] for k in path]

        return _Entry(mp(e.min_path), mp(e.max_path), e.count, e.lengths, e.cut, e.limit)

    def store(kk: bytes, order: list[int], e: _Entry) -> _Entry:
        rank = [0] * n
        for r, k in enumerate(order):
            rank[k] = r
        memo[kk] = relabel(e, rank)
        return e

    def lookup(f: np.ndarray) -> _Entry | None:
        kk, order = canon(f)
        e = memo.get(kk)
        return None if e is None else relabel(e, order)

    def visit(f: np.ndarray, remaining: int) -> _Entry:
        kk, order = canon(f)
        e = memo.get(kk)
        if e is not None and (not e.cut or e.limit >= remaining):
            return relabel(e, order)
        greens = green_vertices(f)
        if not greens:
            return store(kk, order, _Entry([], [], 1, frozenset({0}), False, remaining))
        if remaining == 0:
            return store(kk, order, _Entry(None, None, 0, frozenset(), True, remaining))
        if e is None:
            states[0] += 1
            if states[0] > max_states:
                raise _Budget()
            if check is not None and states[0] % 256 == 0:
                check(states[0])
        best_min: list[int] | None = None
        best_max: list[int] | None = None
        count = 0
        lengths: set[int] = set()
        cut = False
        for k in greens:
            sub = visit(mutate(f, k), remaining - 1)
            cut = cut or sub.cut
            if sub.min_path is None or sub.max_path is None:
                continue
            count += sub.count
            lengths.update(x + 1 for x in sub.lengths)
            if best_min is None or len(sub.min_path) + 1 < len(best_min):
                best_min = [k, *sub.min_path]
            if best_max is None or len(sub.max_path) + 1 > len(best_max):
                best_max = [k, *sub.max_path]
        return store(kk, order, _Entry(best_min, best_max, count, frozenset(lengths), cut, remaining))

    import sys

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 4 * limit + 1000))
    try:
        root = visit(f0, limit)
        complete = not root.cut
        stopped = "" if complete else f"green sequences longer than {limit} were cut (max_length)"
    except _Budget:
        root = _best_partial(f0, lookup)
        complete = False
        stopped = f"stopped after {max_states} framed quivers (max_states)"
    finally:
        sys.setrecursionlimit(old_limit)
    return GreenSearchResult(
        root.min_path,
        root.max_path,
        root.count,
        sorted(root.lengths),
        complete,
        stopped,
        states[0],
    )


def _best_partial(f0: np.ndarray, lookup: Callable[[np.ndarray], _Entry | None]) -> _Entry:
    """After the state budget ran out: the best sequences through fully searched states, found by
    walking from the root through memoised children (``lookup``: the memo entry of a state in its
    own labels, or None)."""
    e = lookup(f0)
    if e is not None:
        return e
    f = f0
    prefix: list[int] = []
    for _ in range(10_000):
        greens = green_vertices(f)
        if not greens:
            return _Entry(prefix, prefix, 1, frozenset({len(prefix)}), True, 0)
        for k in greens:
            child = lookup(mutate(f, k))
            if child is not None and child.min_path is not None and child.max_path is not None:
                mn = [*prefix, k, *child.min_path]
                mx = [*prefix, k, *child.max_path]
                return _Entry(mn, mx, child.count, frozenset({len(mn), len(mx)}), True, 0)
        prefix.append(greens[0])
        f = mutate(f, greens[0])
    return _Entry(None, None, 0, frozenset(), True, 0)
