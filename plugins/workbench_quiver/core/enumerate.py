"""Mutation-class enumeration: breadth-first search over canonical forms (Qt-free).

Every member is stored as the exchange matrix actually reached by mutation (in the start
quiver's vertex labelling), together with its parent and the vertex mutated, so the path
``mutate_sequence(start, path(i))`` reproduces member ``i`` exactly.  Deduplication uses
:func:`canonical.canonical_batch` on whole BFS layers at once (one batch per mutated vertex);
mutating a member back at the vertex that produced it is skipped (it gives the parent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .canonical import canonical_batch, canonical_form, connected_components
from .mutation import SAFE_ABS, mutate_batch
from .quiver import square_matrix, validate_b


@dataclass
class MutationClass:
    """The (possibly partial) mutation class of ``start`` up to isomorphism.

    members[i]: square skew-symmetric matrix ((n+m) x (n+m)) reached by ``path(i)``;
    keys[i]: its canonical form; parent[i], via[i]: BFS tree (member ``i`` = mutation of
    member ``parent[i]`` at vertex ``via[i]``); depth[i]: mutation distance from the start.
    complete: False when stopped by ``max_depth``, ``max_size`` or cancellation.
    """

    start: np.ndarray
    n_mutable: int
    members: list[np.ndarray] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    via: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    complete: bool = True
    stopped: str = ""
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.members)

    def b(self, i: int) -> np.ndarray:
        """Member ``i`` as an ``(n+m) x n`` exchange matrix."""
        m = self.members[i][:, : self.n_mutable]
        return m.copy() if m.dtype == object else m.astype(np.int64)

    def matrices(self) -> list[np.ndarray]:
        return [self.b(i) for i in range(len(self))]

    def paths(self) -> list[list[int]]:
        """The mutation sequence of every member (parents come before children: one pass)."""
        out: list[list[int]] = []
        for i, p in enumerate(self.parent):
            out.append([] if p < 0 else out[p] + [self.via[i]])
        return out

    def path(self, i: int) -> list[int]:
        """Mutation sequence from the start quiver to member ``i``."""
        seq = []
        while self.parent[i] >= 0:
            seq.append(self.via[i])
            i = self.parent[i]
        return seq[::-1]


#: target seconds of work between two Cancel checks (the adaptive chunk aims at it)
CHUNK_SECONDS = 0.05
#: largest chunk of quivers mutated and canonicalised at once
MAX_CHUNK = 65536


def _keys_for(y: np.ndarray, n: int, connected: bool, cache: dict | None = None) -> list[bytes]:
    if connected:
        return canonical_batch(y, n, cache=cache)[0]
    return [canonical_form(m[:, :n]) for m in y]


def mutation_class(
    b: np.ndarray,
    max_depth: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    max_size: int | None = None,
    partial: Callable[[MutationClass], None] | None = None,
    stop_abs: int | None = None,
) -> MutationClass:
    """Breadth-first enumeration of the mutation class of ``b`` up to isomorphism.

    max_depth: stop after this many mutation steps from the start; max_size: stop once this
    many members are known (mutation-infinite classes never end otherwise).  ``progress``
    receives (fraction, message) with fraction = expanded / discovered members;
    ``cancelled()`` is polled between batches (and the result is returned partial, with
    ``complete=False``); ``partial`` receives the class after every BFS layer; ``stop_abs``:
    stop (``complete=False``) as soon as a member has an entry of at least this absolute value.
    """
    t0 = time.perf_counter()
    b = validate_b(b)
    n = b.shape[1]
    s = square_matrix(b)
    N = s.shape[0]
    connected = N <= 1 or len(connected_components(s)) == 1
    mc = MutationClass(start=b.copy(), n_mutable=n)
    key0 = _keys_for(s[None].astype(np.int64) if s.dtype != object else s[None], n, connected)[0]
    mc.members.append(s)
    mc.keys.append(key0)
    mc.parent.append(-1)
    mc.via.append(-1)
    mc.depth.append(0)
    seen = {key0: 0}
    slow_cache: dict = {}
    chunk = max(64, 400_000 // max(N * N, 1))
    frontier = [0]
    d = 0
    last = time.monotonic()
    while frontier and n > 0:
        if max_depth is not None and d >= max_depth:
            mc.complete = False
            mc.stopped = f"max_depth={max_depth}"
            break
        x = np.stack([mc.members[i] for i in frontier])
        if x.dtype != object and x.size:
            mx = int(np.abs(x).max())
            if mx > SAFE_ABS:
                x = x.astype(object)
            elif mx <= 8:
                x = x.astype(np.int8)  # |b| <= 8 keeps every mutated entry within int8
            else:
                x = x.astype(np.int64)
        via_f = np.array([mc.via[i] for i in frontier])
        new_frontier: list[int] = []
        # chunks adapt to their cost (exact object-array entries of a mutation-infinite class
        # are 100x slower than int8): each takes about CHUNK_SECONDS, so Cancel is seen in time
        if x.dtype == object:
            chunk = 4
        for k in range(n):
            idx = np.nonzero(via_f != k)[0]
            c0 = 0
            while c0 < len(idx):
                if cancelled is not None and cancelled():
                    mc.complete = False
                    mc.stopped = "cancelled"
                    mc.seconds = time.perf_counter() - t0
                    return mc
                started = time.perf_counter()
                sel = idx[c0 : c0 + chunk]
                c0 += len(sel)
                y = mutate_batch(x[sel], k, n)
                keys = _keys_for(y, n, connected, slow_cache)
                for j, key in enumerate(keys):
                    if key not in seen:
                        seen[key] = len(mc.members)
                        new_frontier.append(len(mc.members))
                        mc.members.append(y[j])
                        mc.keys.append(key)
                        mc.parent.append(frontier[sel[j]])
                        mc.via.append(k)
                        mc.depth.append(d + 1)
                        if stop_abs is not None and np.abs(y[j]).max() >= stop_abs:
                            mc.complete = False
                            mc.stopped = f"entry >= {stop_abs}"
                            mc.seconds = time.perf_counter() - t0
                            return mc
                if max_size is not None and len(mc.members) >= max_size:
                    mc.complete = False
                    mc.stopped = f"max_size={max_size}"
                    mc.seconds = time.perf_counter() - t0
                    return mc
                took = time.perf_counter() - started
                if took > 2 * CHUNK_SECONDS and chunk > 1:
                    chunk = max(1, chunk // 2)
                elif took < CHUNK_SECONDS / 4 and chunk < MAX_CHUNK:
                    chunk *= 2
                if progress is not None and time.monotonic() - last > 0.1:
                    last = time.monotonic()
                    done = len(mc.members) - len(new_frontier) - len(frontier) + (k + 1) * len(frontier) / n
                    progress(min(done / max(len(mc.members), 1), 0.999), f"{len(mc.members)} quivers, depth {d + 1}")
        frontier = new_frontier
        d += 1
        if partial is not None:
            partial(mc)
    mc.seconds = time.perf_counter() - t0
    if progress is not None:
        progress(1.0, f"{len(mc.members)} quivers")
    return mc
