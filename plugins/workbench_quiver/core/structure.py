"""Structural (polynomial-time) recognition of the mutation types A, D, A~ and D~ (Qt-free).

Every criterion looks at the blocks (biconnected components) of the underlying graph of a
connected quiver without frozen vertices and at how many blocks meet at each vertex.

* Type A (Buan-Vatne 2008, Prop. 2.4 / block decomposition): every block is a simple arrow
  or an oriented 3-cycle of simple arrows, and every vertex lies in at most two blocks.
* Type D (Vatne 2010, Types I-IV): the same, except for exactly one "puncture" core:
  Type I: a vertex c in three blocks, two of them simple arrows to leaves a, b (the fork);
  Type II: twins a, b with c -> a -> c', c -> b -> c' and c' -> c;
  Type III: an oriented 4-cycle c -> a -> c' -> b -> c, pieces glued only at c and c';
  Type IV: an oriented central cycle of length >= 3, each arrow u -> v of it with at most one
  spike w (v -> w -> u), pieces glued only at the spikes.
  Type-A pieces hang off the core at its outlets (c, c' or the spikes), which lie in at most
  one more block (they are connecting vertices of the pieces).
* Type A~ (Bastian 2011): exactly one core, a non-oriented cycle C (a double arrow when of
  length 2) with at most one spike per arrow (oriented triangle u -> v -> w -> u), type-A
  pieces glued only at the spikes.  A~(p, q): p = number of arrows of C in one direction plus
  the sizes of the pieces (spike included) on those arrows, q likewise for the other direction.
* Type D~ (two punctures that do not share arcs; Henrich 2011, He et al. arXiv 2411.07467):
  exactly two puncture cores of the Type I-IV shapes above (a vertex in four blocks that are
  all arrows to leaves counts as two forks: the star D~4), everything else type-A pieces.
  Members of the D~ class whose two punctures interact are covered by :mod:`.dtilde` (joined,
  twin spike, twin chord, double twins and triple twins cores), which the identifier tries next.

The criteria for A, D and A~ are the published characterisations; the test-suite checks all
of them, and the D~ criterion, against the enumerated classes (every member recognised, no
member of another class recognised) for every n <= 9.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .blocks import adjacency_lists, biconnected_components


@dataclass
class Core:
    """A non-type-A part of a quiver: kind is "fork", "II", "III", "IV" (D-type punctures)
    or "cycle" (the non-oriented cycle of type A~)."""

    kind: str
    vertices: list[int]
    arrows: list[tuple[int, int]]
    outlets: list[int] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


@dataclass
class Structure:
    family: str  # "A", "D", "A~", "D~"
    label: str
    cores: list[Core]
    pieces: list[dict]
    description: str


def _arrow(s: np.ndarray, i: int, j: int) -> tuple[int, int]:
    return (i, j) if s[i, j] > 0 else (j, i)


def _block_arrows(s: np.ndarray, vs: list[int]) -> list[tuple[int, int]]:
    out = []
    for x in range(len(vs)):
        for y in range(x + 1, len(vs)):
            i, j = vs[x], vs[y]
            if s[i, j] != 0:
                out.append(_arrow(s, i, j))
    return out


def _is_oriented_triangle(s: np.ndarray, a: int, b: int, c: int) -> bool:
    return abs(s[a, b]) == 1 and abs(s[b, c]) == 1 and abs(s[c, a]) == 1 and s[a, b] == s[b, c] == s[c, a]


def _cycle_order(vs: list[int], nbrs: dict[int, list[int]]) -> list[int] | None:
    """Order the vertices of a cycle (every vertex with exactly two neighbours in vs)."""
    if any(len(nbrs[v]) != 2 for v in vs):
        return None
    order = [vs[0]]
    prev, cur = None, vs[0]
    while True:
        a, b = nbrs[cur]
        nxt = a if a != prev else b
        if nxt == vs[0]:
            break
        if nxt in order:
            return None
        order.append(nxt)
        prev, cur = cur, nxt
    return order if len(order) == len(vs) else None


def _type_ii(s: np.ndarray, vs: list[int], nb: list[int]) -> Core | None:
    """Vatne Type II: twins a, b with c -> a -> c', c -> b -> c' and c' -> c (a 4-vertex block)."""
    if not all(abs(s[i, j]) <= 1 for i in vs for j in vs):
        return None
    for c in vs:
        for c2 in vs:
            if c2 == c or s[c2, c] != 1:
                continue
            ab = [v for v in vs if v not in (c, c2)]
            if all(s[c, x] == 1 and s[x, c2] == 1 for x in ab) and s[ab[0], ab[1]] == 0 and all(nb[x] == 1 for x in ab):
                return Core(
                    "II",
                    list(vs),
                    _block_arrows(s, vs),
                    outlets=[c, c2],
                    detail={"c": c, "c_prime": c2, "a": ab[0], "b": ab[1]},
                )
    return None


def _type_iii(s: np.ndarray, vs: list[int], nbrs: dict[int, list[int]], nb: list[int]) -> Core | None:
    """Vatne Type III: an oriented 4-cycle c -> a -> c' -> b -> c whose a, b lie in no other block."""
    order = _cycle_order(vs, nbrs)
    if order is None or any(abs(s[order[i], order[(i + 1) % 4]]) != 1 for i in range(4)):
        return None
    if len({int(np.sign(s[order[i], order[(i + 1) % 4]])) for i in range(4)}) != 1:
        return None
    for start in (0, 1):
        a, b = order[start], order[start + 2]
        c, c2 = order[start + 1], order[(start + 3) % 4]
        if nb[a] == 1 and nb[b] == 1:
            return Core(
                "III",
                list(vs),
                _block_arrows(s, vs),
                outlets=[c, c2],
                detail={"cycle": order, "c": c, "c_prime": c2, "a": a, "b": b},
            )
    return None


def _spike_candidates(s: np.ndarray, vs: list[int], nbrs: dict[int, list[int]]) -> list[int]:
    """Vertices w with exactly two neighbours u, v in the block forming an oriented simple
    triangle u -> v -> w -> u (or its reverse): the possible spikes of a cycle."""
    spikes = []
    for w in vs:
        if len(nbrs[w]) == 2:
            u, v = nbrs[w]
            if (
                abs(s[w, u]) == 1
                and abs(s[w, v]) == 1
                and s[u, v] != 0
                and np.sign(s[u, v]) == np.sign(s[v, w]) == np.sign(s[w, u])
            ):
                spikes.append(w)
    return spikes


def _double_arrow_cycle(
    s: np.ndarray, vs: list[int], nbrs: dict[int, list[int]], rest: list[int], spikes: list[int], nb: list[int]
) -> Core | None:
    """The A~ core of length 2: a double arrow u => v with one or two spikes."""
    u, v = rest
    if abs(s[u, v]) != 2 or not spikes or len(spikes) > 2:
        return None
    if any(set(nbrs[w]) != {u, v} for w in spikes) or nb[u] != 1 or nb[v] != 1:
        return None
    return Core(
        "cycle",
        list(vs),
        _block_arrows(s, vs),
        outlets=list(spikes),
        detail={"cycle": [u, v], "spikes": {int(w): [u, v] for w in spikes}, "oriented": False},
    )


def _spike_positions(order: list[int], spikes: list[int], nbrs: dict[int, list[int]]) -> dict[int, int] | None:
    """Spike -> index i of the cycle arrow (order[i], order[i+1]) it sits on; None unless every
    spike sits on a distinct arrow of the cycle."""
    L = len(order)
    pos = {v: i for i, v in enumerate(order)}
    spike_on: dict[int, int] = {}
    for w in spikes:
        u, v = nbrs[w]
        if u not in pos or v not in pos:
            return None
        i, j = pos[u], pos[v]
        if (i - j) % L == 1:
            i, j = j, i
        if (j - i) % L != 1 or i in spike_on.values():
            return None
        spike_on[int(w)] = i
    return spike_on


def _analyse_core(s: np.ndarray, vs: list[int], nb: list[int]) -> Core | None:
    """Classify a block that is neither a simple arrow nor an oriented simple triangle: Vatne
    Types II-IV (punctures of type D) or the non-oriented cycle with spikes of type A~."""
    nbrs = {v: [w for w in vs if w != v and s[v, w] != 0] for v in vs}
    if len(vs) == 4:
        core = _type_ii(s, vs, nb) or _type_iii(s, vs, nbrs, nb)
        if core is not None:
            return core
    # central cycle with spikes (Type IV) or non-oriented cycle with spikes (A~)
    spikes = _spike_candidates(s, vs, nbrs)
    rest = [v for v in vs if v not in set(spikes)]
    if len(rest) < 2:
        return None
    if len(rest) == 2 and abs(s[rest[0], rest[1]]) == 1 and len(spikes) == 2:
        # an oriented 3-cycle with one spike: one of the two spike-like vertices lies on the cycle
        plain = [w for w in spikes if nb[w] == 1]
        if not plain:
            return None
        spikes = [w for w in spikes if w != plain[0]]
        rest = [v for v in vs if v not in set(spikes)]
    if len(rest) == 2:
        return _double_arrow_cycle(s, vs, nbrs, rest, spikes, nb)
    spike_set = set(spikes)
    order = _cycle_order(rest, {v: [w for w in nbrs[v] if w not in spike_set] for v in rest})
    if order is None:
        return None
    L = len(order)
    if any(abs(s[order[i], order[(i + 1) % L]]) != 1 for i in range(L)):
        return None
    fwd = [bool(s[order[i], order[(i + 1) % L]] > 0) for i in range(L)]
    spike_on = _spike_positions(order, spikes, nbrs)
    if spike_on is None or any(nb[v] != 1 for v in order):
        return None
    on_arrows = {w: [order[i], order[(i + 1) % L]] for w, i in spike_on.items()}
    if all(fwd) or not any(fwd):  # oriented: Vatne Type IV
        if L < 3 or (L == 3 and not spikes):
            return None
        return Core(
            "IV", list(vs), _block_arrows(s, vs), outlets=list(spikes), detail={"cycle": order, "spikes": on_arrows}
        )
    return Core(
        "cycle",
        list(vs),
        _block_arrows(s, vs),
        outlets=list(spikes),
        detail={"cycle": order, "spikes": on_arrows, "forward": fwd, "spike_arrow_index": spike_on, "oriented": False},
    )


def _hanging_size(adj: list[list[int]], w: int, blocked: set[int]) -> int:
    """Number of vertices reachable from w without entering ``blocked`` (w included)."""
    seen = {w}
    stack = [w]
    while stack:
        v = stack.pop()
        for x in adj[v]:
            if x not in seen and x not in blocked:
                seen.add(x)
                stack.append(x)
    return len(seen)


def _simple_pieces(s: np.ndarray, blocks: list[list[int]], deg: list[int]) -> tuple[list[dict], list[int]]:
    """The type-A blocks (simple arrows and oriented 3-cycles) as pieces, and for each vertex
    how many of its simple-arrow blocks end in a leaf."""
    n = s.shape[0]
    pieces: list[dict] = []
    leaf_blocks = [0] * n
    for bl in blocks:
        if len(bl) == 2 and abs(s[bl[0], bl[1]]) == 1:
            i, j = bl
            pieces.append({"kind": "arrow", "vertices": list(bl), "arrows": [_arrow(s, i, j)]})
            for x, y in ((i, j), (j, i)):
                if deg[y] == 1:
                    leaf_blocks[x] += 1
        elif len(bl) == 3 and _is_oriented_triangle(s, *bl):
            pieces.append({"kind": "triangle", "vertices": list(bl), "arrows": _block_arrows(s, bl)})
    return pieces, leaf_blocks


def _block_cores(s: np.ndarray, blocks: list[list[int]], nb: list[int]) -> list[Core] | None:
    """The cores of the blocks that are not type-A pieces; None when one fits no criterion."""
    cores = []
    for bl in blocks:
        if (len(bl) == 2 and abs(s[bl[0], bl[1]]) == 1) or (len(bl) == 3 and _is_oriented_triangle(s, *bl)):
            continue
        if len(bl) == 2:
            return None  # a lone double arrow (the Kronecker quiver is handled by the caller)
        core = _analyse_core(s, bl, nb)
        if core is None:
            return None
        cores.append(core)
    return cores


def _forks(
    s: np.ndarray, adj: list[list[int]], nb: list[int], deg: list[int], leaf_blocks: list[int]
) -> list[Core] | None:
    """Vatne Type I punctures: a vertex in three blocks, two of them arrows to leaves (a vertex
    in four blocks, all arrows to leaves, is the star D~4: two forks).  None when a vertex lies
    in more than two blocks without being such a fork."""
    n = s.shape[0]
    forks = []
    for v in range(n):
        if nb[v] <= 2:
            continue
        leaves = [x for x in adj[v] if deg[x] == 1 and abs(s[v, x]) == 1]
        if nb[v] == 3 and leaf_blocks[v] >= 2:
            pairs = [leaves[:2]]
        elif nb[v] == 4 and leaf_blocks[v] == 4 and n == 5:
            pairs = [leaves[:2], leaves[2:]]
        else:
            return None
        for a, b in pairs:
            forks.append(
                Core(
                    "fork", [v, a, b], [_arrow(s, v, a), _arrow(s, v, b)], outlets=[v], detail={"c": v, "a": a, "b": b}
                )
            )
    return forks


def _affine_a(cyc: Core, adj: list[list[int]], pieces: list[dict], n: int) -> Structure | None:
    """Type A~(p, q) from its one non-oriented cycle (Bastian): p counts the cycle's arrows in
    one direction plus the sizes of the pieces hanging at spikes on those arrows, q the rest."""
    order = cyc.detail["cycle"]
    blocked = set(cyc.vertices)
    if len(order) == 2:
        sizes = [_hanging_size(adj, w, blocked - {w}) for w in cyc.detail["spikes"]]
        p, q = 1 + sizes[0], 1 + sum(sizes[1:])
    else:
        fwd = cyc.detail["forward"]
        p = sum(fwd)
        q = len(fwd) - p
        for w, i in cyc.detail["spike_arrow_index"].items():
            size = _hanging_size(adj, w, blocked - {w})
            if fwd[i]:
                p += size
            else:
                q += size
    p, q = max(p, q), min(p, q)
    if p + q != n:
        return None
    cyc.detail["p"], cyc.detail["q"] = p, q
    return Structure(
        "A~",
        f"A~{p},{q}",
        [cyc],
        pieces,
        f"type A~({p},{q}) (Bastian): non-oriented cycle of length {len(order)} with "
        f"{len(cyc.detail['spikes'])} spike(s); type-A pieces glued at the spikes",
    )


def analyse(s: np.ndarray) -> Structure | None:
    """Recognise types A, D, A~ and (non-interacting) D~ of a connected quiver given by its
    square skew-symmetric matrix ``s`` (no frozen vertices).  Returns None when none applies."""
    n = s.shape[0]
    if n == 0:
        return None
    if n == 1:
        return Structure("A", "A1", [], [], "a single vertex")
    if np.abs(s).max() > 2:
        return None
    adj = adjacency_lists(s)
    blocks = biconnected_components(adj)
    nb = [0] * n
    for bl in blocks:
        for v in bl:
            nb[v] += 1
    deg = [len(a) for a in adj]
    pieces, leaf_blocks = _simple_pieces(s, blocks, deg)
    cores = _block_cores(s, blocks, nb)
    if cores is None:
        return None
    # a core touches the rest of the quiver only at its outlets
    if any(v not in c.outlets and nb[v] != 1 for c in cores for v in c.vertices):
        return None
    forks = _forks(s, adj, nb, deg, leaf_blocks)
    if forks is None:
        return None
    defects = [c for c in cores if c.kind != "cycle"] + forks
    cycles = [c for c in cores if c.kind == "cycle"]
    if cycles:
        if len(cycles) != 1 or defects:
            return None
        return _affine_a(cycles[0], adj, pieces, n)
    if not defects:
        return Structure(
            "A",
            f"A{n}",
            [],
            pieces,
            f"type A{n} (Buan-Vatne): {len(pieces)} blocks (simple arrows and oriented 3-cycles), "
            "every vertex in at most two",
        )
    if len(defects) == 1 and n >= 4:
        d = defects[0]
        return Structure(
            "D",
            f"D{n}",
            defects,
            pieces,
            f"type D{n}, Vatne Type {'I' if d.kind == 'fork' else d.kind}: "
            + _core_text(d)
            + "; the rest are type-A pieces",
        )
    if len(defects) == 2 and n >= 5:
        return Structure(
            "D~",
            f"D~{n - 1}",
            defects,
            pieces,
            f"type D~{n - 1}: two punctures, "
            + " and ".join(f"Type {'I' if d.kind == 'fork' else d.kind} ({_core_text(d)})" for d in defects)
            + ", joined by type-A pieces",
        )
    return None


def _core_text(d: Core) -> str:
    if d.kind == "fork":
        return f"fork at vertex {d.detail['c']} with leaves {d.detail['a']}, {d.detail['b']}"
    if d.kind == "II":
        return (
            f"twins {d.detail['a']}, {d.detail['b']} in two triangles over the arrow "
            f"{d.detail['c_prime']} -> {d.detail['c']}"
        )
    if d.kind == "III":
        return f"oriented 4-cycle {d.detail['cycle']}"
    if d.kind == "IV":
        return f"oriented central cycle {d.detail['cycle']} with {len(d.detail['spikes'])} spike(s)"
    return d.kind
