"""Structural recogniser for the mutation class D~_n (Qt-free), NOT YET USED FOR IDENTIFICATION.

D~_n (n >= 4, n + 1 vertices) is the class of the quivers of the triangulations of a disc with
two punctures P, Q and n - 2 marked points on its boundary (Fomin-Shapiro-Thurston; Henrich,
arXiv 0903.1924; He et al., arXiv 2411.07467, Section 6).  Every rule below is *sufficient*:
it is read off an explicit triangulation of that surface, so a quiver it accepts is D~.  It is
not (yet) complete, so :func:`.identify.identify` still uses the tables and the walk; see
docs/quiver.md for the measured coverage and the shapes that are missing.

Types recognised (each returns the same :class:`.structure.Structure` evidence as the A, D and
A~ criteria, so the canvas draws it):

* ``"separate"``: the two punctures do not share a block: two Vatne cores (Types I-IV) joined by
  type-A pieces (the criterion of :func:`.structure.analyse`).
* ``"joined"``: an arc gamma joins P and Q and no triangle is self-folded.  With the arcs at P in
  their cyclic order gamma, p_1 .. p_a and at Q gamma, q_1 .. q_b (a, b >= 1, a + b >= 3) the
  core block is the sum of the triangles
  (gamma, p_1, q_b): gamma -> p_1 -> q_b -> gamma, (gamma, p_a, q_1): p_a -> gamma -> q_1 -> p_a,
  and (P, x_i, x_{i+1}): p_i -> p_{i+1}, (Q, y_j, y_{j+1}): q_j -> q_{j+1} (arrows in opposite
  triangles cancel: for a = 1 there is no arrow between gamma and p_1), with at most one spike
  w (v -> w -> u) on each arrow u -> v of the two paths; type-A pieces are glued only at the
  spikes, which lie in at most one more block.  Two oriented cycles around P and Q through
  gamma, with the chords p_1 -> q_b and q_1 -> p_a.
* ``"twin spike"``: P lies in a self-folded triangle (loop l at x, radius r) and the triangle
  outside l has its two other sides at Q: Q's core is a Vatne Type III / IV core (an oriented
  cycle of length L >= 2 with at most one spike w, v -> w -> u, on each arrow u -> v; for L = 2
  the two arrows cancel and both spikes are present) in which one spike is replaced by the twins
  l, r (two vertices with the same two arrows v -> t -> u and in no other block).
* ``"twin chord"``: an arc gamma joins P and Q and P lies in the self-folded triangle (l, gamma):
  the arcs at Q are q_1 .. q_b (b >= 2) with the path q_1 -> .. -> q_b (at most one spike on
  each arrow), the chord q_1 -> q_b (for b = 2 it doubles the arrow: q_1 => q_2) and the twins
  q_b -> t -> q_1.
* ``"triple twins"`` (D~4 only, no pieces): c' -> c and three vertices x with c -> x -> c'
  (Vatne's Type II with a third twin; the member of the D~4 class reached from the star with
  four leaves by mutating at a leaf and then at the centre).
* ``"double twins"``: both punctures lie in self-folded triangles whose loops l_P, l_Q are sides
  of one triangle (l_P, l_Q, z): z -> {l_P, r_P} -> {l_Q, r_Q} -> z, pieces glued only at z.

Running time: the blocks (Hopcroft-Tarjan, O(V + E)) and, for the joined type, a constant
number of candidate arcs gamma per core, each checked in O(size of the core).
"""

from __future__ import annotations

import numpy as np

from .blocks import adjacency_lists, biconnected_components
from .structure import Core, Structure, _block_arrows, _is_oriented_triangle, _simple_pieces, analyse


def _is_piece_block(s: np.ndarray, bl: list[int]) -> bool:
    return (len(bl) == 2 and abs(s[bl[0], bl[1]]) == 1) or (len(bl) == 3 and _is_oriented_triangle(s, *bl))


def _local(adj: list[list[int]], vs: list[int]) -> dict[int, list[int]]:
    """Neighbours of every vertex of ``vs`` inside ``vs`` (O(sum of degrees))."""
    vset = set(vs)
    return {v: [w for w in adj[v] if w in vset] for v in vs}


def _same_arrows(s: np.ndarray, nbrs: dict[int, list[int]], expected: dict[tuple[int, int], int]) -> bool:
    """Whether the arrows among the vertices of ``nbrs`` are exactly ``expected`` ((i, j) -> b_ij,
    entries summed over triangles; zero entries are no arrow)."""
    want = {}
    for (x, y), m in expected.items():
        if m > 0:
            want[(x, y)] = m
        elif m < 0:
            want[(y, x)] = -m
    have = {(x, y): int(s[x, y]) for x, ys in nbrs.items() for y in ys if s[x, y] > 0}
    return have == want


def _block_spikes(s: np.ndarray, vs: list[int], nbrs: dict[int, list[int]]) -> dict[int, tuple[int, int]]:
    """Spike w -> (u, v) with u -> v -> w -> u an oriented triangle of simple arrows and u, v the
    only neighbours of w in the block."""
    out: dict[int, tuple[int, int]] = {}
    for w in vs:
        if len(nbrs[w]) != 2:
            continue
        x, y = nbrs[w]
        if abs(s[w, x]) != 1 or abs(s[w, y]) != 1 or abs(s[x, y]) != 1:
            continue
        u, v = (x, y) if s[x, y] > 0 else (y, x)
        if s[v, w] > 0 and s[w, u] > 0:
            out[int(w)] = (int(u), int(v))
    return out


def _walk(
    s: np.ndarray, nbrs: dict[int, list[int]], start: int, end: int, skip: dict[int, int], gamma: int
) -> list[int] | None:
    """The directed path start -> ... -> end inside ``rest`` (gamma and the chord arrow of each
    vertex, ``skip[v]``, excluded); None unless it is unique and simple."""
    path = [start]
    seen = {start, gamma}
    cur = start
    while cur != end:
        nxt = [x for x in nbrs[cur] if s[cur, x] > 0 and x != gamma and skip.get(cur) != x]
        if len(nxt) != 1 or (nxt[0] in seen and nxt[0] != end) or len(path) >= len(nbrs):
            return None
        cur = nxt[0]
        path.append(cur)
        seen.add(cur)
    return path


def _joined_arrows(gamma: int, pp: list[int], qq: list[int]) -> dict[tuple[int, int], int]:
    """The arrows of the joined core (spikes left out), as the sum of its triangles."""
    m: dict[tuple[int, int], int] = {}

    def arrow(x: int, y: int) -> None:
        if (y, x) in m:
            m[(y, x)] -= 1
        else:
            m[(x, y)] = m.get((x, y), 0) + 1

    for a, b, c in ((gamma, pp[0], qq[-1]), (pp[-1], gamma, qq[0])):
        arrow(a, b)
        arrow(b, c)
        arrow(c, a)
    for path in (pp, qq):
        for x, y in zip(path, path[1:], strict=False):
            arrow(x, y)
    return m


def _match_joined(s: np.ndarray, rest: list[int], adj: list[list[int]]) -> list[tuple[int, list[int], list[int]]]:
    """Every (gamma, [p_1..p_a], [q_1..q_b]) reading the block minus its spikes as a joined
    core (at most 4 per vertex of degree 4 or 2)."""
    found = []
    nbrs = _local(adj, rest)
    for g in rest:
        if len(nbrs[g]) not in (2, 4):
            continue
        outs = [v for v in nbrs[g] if s[g, v] > 0]
        ins = [v for v in nbrs[g] if s[v, g] > 0]
        if any(abs(s[g, v]) != 1 for v in outs + ins):
            continue
        tries: list[tuple[int, int, int, int]] = []  # (p1, pa, q1, qb)
        if len(outs) == 2 and len(ins) == 2:
            for p1 in outs:
                for pa in ins:
                    q1 = outs[1] if p1 == outs[0] else outs[0]
                    qb = ins[1] if pa == ins[0] else ins[0]
                    tries.append((p1, pa, q1, qb))
        elif len(outs) == 1 and len(ins) == 1:  # a = 1: gamma and p_1 share both triangles
            q1, qb = outs[0], ins[0]
            for p1 in nbrs[q1]:
                if p1 not in (g, q1, qb) and s[q1, p1] > 0 and s[p1, qb] > 0:
                    tries.append((p1, p1, q1, qb))
        for p1, pa, q1, qb in tries:
            if p1 == pa:
                pp = [p1]
            else:
                pp = _walk(s, nbrs, p1, pa, {p1: qb}, g) or []
            if not pp:
                continue
            qq = _walk(s, nbrs, q1, qb, {q1: pa}, g)
            if qq is None or len(pp) + len(qq) + 1 != len(rest) or set(pp) & set(qq):
                continue
            if len(pp) + len(qq) < 3:
                continue
            if _same_arrows(s, nbrs, _joined_arrows(g, pp, qq)):
                found.append((g, pp, qq))
    return found


def _joined_reading(
    s: np.ndarray, rest: list[int], spikes: dict[int, tuple[int, int]], adj: list[list[int]]
) -> tuple[int, list[int], list[int], dict[int, list[int]]] | None:
    """The first joined reading of ``rest`` whose spikes all sit on distinct path arrows."""
    for g, pp, qq in _match_joined(s, rest, adj):
        path_arrows = {(x, y) for path in (pp, qq) for x, y in zip(path, path[1:], strict=False)}
        on_arrow: dict[int, list[int]] = {}
        for w, (u, v) in spikes.items():
            if (u, v) not in path_arrows or [u, v] in on_arrow.values():
                break
            on_arrow[w] = [u, v]
        else:
            return g, pp, qq, on_arrow
    return None


def _joined(s: np.ndarray) -> Structure | None:
    n = s.shape[0]
    adj = adjacency_lists(s)
    blocks = biconnected_components(adj)
    nb = [0] * n
    for bl in blocks:
        for v in bl:
            nb[v] += 1
    if max(nb) > 2:
        return None
    cores = [bl for bl in blocks if not _is_piece_block(s, bl)]
    if len(cores) != 1:
        return None
    core = cores[0]
    nbrs = _local(adj, core)
    cand = _block_spikes(s, core, nbrs)
    outlets = [v for v in core if nb[v] == 2]
    deg = [len(a) for a in adj]
    pieces, _ = _simple_pieces(s, blocks, deg)
    twin = _twin_types(s, core, nb, adj)
    if twin is not None:
        kind, det, outs = twin
        if any(v not in outs for v in outlets):
            return None
        return Structure(
            "D~",
            f"D~{n - 1}",
            [Core(kind, list(core), _block_arrows(s, core), outlets=list(outs), detail=det)],
            pieces,
            f"type D~{n - 1}, {kind}: " + _twin_text(kind, det) + f"; type-A pieces glued at the outlets {list(outs)}",
        )
    # a spike is taken as a spike only when both its neighbours are not spikes themselves; two
    # spike candidates on one arrow: one of them may be the arc gamma (joined with a = 1)
    cand = {w: uv for w, uv in cand.items() if uv[0] not in cand and uv[1] not in cand}
    by_arrow: dict[tuple[int, int], list[int]] = {}
    for w, uv in cand.items():
        by_arrow.setdefault(uv, []).append(w)
    if any(len(ws) > 2 for ws in by_arrow.values()):
        return None
    shared = [ws for ws in by_arrow.values() if len(ws) == 2]
    choices: list[set[int]] = [set()]
    for ws in shared:
        choices = [c | {w} for c in choices for w in ws]
    for keep in choices:
        spikes = {w: uv for w, uv in cand.items() if w not in keep}
        if any(v not in spikes for v in outlets):
            continue
        rest = [v for v in core if v not in spikes]
        hit = _joined_reading(s, rest, spikes, adj)
        if hit is not None:
            break
    else:
        return None
    g, pp, qq, on_arrow = hit
    c = Core(
        "joined",
        list(core),
        _block_arrows(s, core),
        outlets=sorted(spikes),
        detail={"arc": g, "cycle_p": [g, *pp], "cycle_q": [g, *qq], "spikes": on_arrow},
    )
    return Structure(
        "D~",
        f"D~{n - 1}",
        [c],
        pieces,
        f"type D~{n - 1}, joined punctures: the arc {g} joins them; oriented cycles {[g, *pp]} and "
        f"{[g, *qq]} through it with the chords {pp[0]} -> {qq[-1]} and {qq[0]} -> {pp[-1]}, "
        f"{len(spikes)} spike(s); type-A pieces glued at the spikes",
    )


def _twin_text(kind: str, det: dict) -> str:
    if kind == "triple twins":
        return f"three twins {det['twins']} over the arrow {det['c_prime']} -> {det['c']}"
    if kind == "double twins":
        return (
            f"twins {det['twins_p']} and {det['twins_q']} in the triangle with {det['z']} (two self-folded triangles)"
        )
    if kind == "twin spike":
        return (
            f"oriented cycle {det['cycle']} with the twins {det['twins']} on the arrow {det['twin_arrow']} "
            f"(a self-folded triangle) and {len(det['spikes'])} spike(s)"
        )
    return (
        f"path {det['path']} closed by a chord, with the twins {det['twins']} over it and {len(det['spikes'])} spike(s)"
    )


def _twins(s: np.ndarray, core: list[int], adj: list[list[int]]) -> list[list[int]]:
    """Classes (of size >= 2) of pairwise non-adjacent vertices of the core with the same row
    of ``s`` (the same arrows to every other vertex)."""
    groups: dict[tuple, list[int]] = {}
    for v in core:
        groups.setdefault(tuple(sorted((w, int(s[v, w])) for w in adj[v])), []).append(v)
    return [g for g in groups.values() if len(g) >= 2]


def _spiked_cycle(
    s: np.ndarray, rest: list[int], nb: list[int], oriented: bool, u: int, v: int, adj: list[list[int]]
) -> tuple[list[int], dict[int, list[int]]] | None:
    """``rest`` as a cycle through the arrow u -> v with at most one spike on each of its other
    arrows (pieces only at spikes): oriented (u -> v -> ... -> u) or, when ``oriented`` is
    False, the path u -> ... -> v closed by the chord u -> v.  Returns (cycle from u, spikes)."""
    nbrs = _local(adj, rest)
    spikes = _block_spikes(s, rest, nbrs)
    spikes = {w: uv for w, uv in spikes.items() if uv[0] not in spikes and uv[1] not in spikes}
    spikes = {w: uv for w, uv in spikes.items() if w not in (u, v) and set(uv) != {u, v}}
    cyc = [x for x in rest if x not in spikes]
    if any(nb[x] != 1 for x in cyc):
        return None
    cset = set(cyc)
    # walk from v (oriented) or from u (path) along arrows, avoiding the arrow u -> v
    start, stop = (v, u) if oriented else (u, v)
    order = [start]
    cur = start
    while cur != stop:
        nxt = [y for y in nbrs[cur] if y in cset and s[cur, y] > 0 and (cur, y) != (u, v)]
        if len(nxt) != 1 or len(order) > len(cyc):
            return None
        cur = nxt[0]
        order.append(cur)
    if len(order) != len(cyc) or len(set(order)) != len(order):
        return None
    arrows = list(zip(order, order[1:], strict=False)) + [(u, v)]
    if not _same_arrows(s, _local(adj, cyc), {a: 1 for a in arrows}):
        return None
    on: dict[int, list[int]] = {}
    path_arrows = set(arrows) - {(u, v)}
    for w, (a, b) in spikes.items():
        if (a, b) not in path_arrows or [a, b] in on.values():
            return None
        on[w] = [a, b]
    return (order if oriented else order), on


def _twin_types(
    s: np.ndarray, core: list[int], nb: list[int], adj: list[list[int]]
) -> tuple[str, dict, list[int]] | None:
    """(type, detail, outlets) for the twin spike, twin chord and double twins cores."""
    groups = _twins(s, core, adj)
    cset = set(core)
    # double arrow q_1 => q_2 with the twins and at most one spike over it (twin chord, b = 2)
    dbl = [(x, y) for x in core for y in adj[x] if s[x, y] == 2]
    if dbl:
        if len(dbl) != 1:
            return None
        u, v = dbl[0]
        over = [x for x in core if x not in (u, v)]
        if not over or len(core) not in (4, 5) or any(s[v, x] != 1 or s[x, u] != 1 for x in over):
            return None
        if any({y for y in adj[x] if y in cset} != {u, v} for x in over) or nb[u] != 1 or nb[v] != 1:
            return None
        glued = [x for x in over if nb[x] == 2]
        if len(glued) > 1 or len(over) - len(glued) < 2:
            return None
        twins = [x for x in over if x not in glued][:2]
        spike = [x for x in over if x not in twins]
        det = {"path": [u, v], "twins": twins, "spikes": {w: [u, v] for w in spike}}
        return "twin chord", det, spike
    if len(groups) == 2 and len(core) == 5 and all(len(g) == 2 for g in groups):
        a, b = groups
        z = [x for x in core if x not in a and x not in b][0]
        if s[z, a[0]] < 0:
            a, b = b, a
        ok = all(s[z, x] == 1 for x in a) and all(s[x, z] == 1 for x in b)
        ok = ok and all(s[x, y] == 1 for x in a for y in b) and all(nb[x] == 1 for x in a + b)
        if ok:
            return "double twins", {"z": z, "twins_p": a, "twins_q": b}, [z]
        return None
    if len(core) == 5 and len(groups) == 1 and len(groups[0]) == 3 and all(nb[x] == 1 for x in core):
        (c,) = [x for x in core if s[x, groups[0][0]] > 0]
        (c2,) = [x for x in core if s[groups[0][0], x] > 0]
        if s[c2, c] == 1 and all(s[c, x] == 1 and s[x, c2] == 1 for x in groups[0]):
            return "triple twins", {"c": c, "c_prime": c2, "twins": list(groups[0])}, []
        return None
    pairs = [g for g in groups if len(g) == 2 and all(len(adj[x]) == 2 for x in g)]
    if len(pairs) != 1 or any(len(g) > 2 for g in groups if g not in pairs):
        return None
    t1, t2 = pairs[0]
    if nb[t1] != 1 or nb[t2] != 1:
        return None
    x, y = (int(w) for w in np.flatnonzero(s[t1]))
    if abs(s[t1, x]) != 1 or abs(s[t1, y]) != 1:
        return None
    v, u = (x, y) if s[x, t1] > 0 else (y, x)  # v -> t -> u
    if not (s[v, t1] > 0 and s[t1, u] > 0) or u not in cset or v not in cset:
        return None
    rest = [w for w in core if w not in (t1, t2)]
    if s[u, v] == 0:  # L = 2: u -> c' -> v, the arrows between u and v cancel
        mids = [w for w in rest if w not in (u, v)]
        if len(mids) != 1 or s[u, mids[0]] != 1 or s[mids[0], v] != 1 or nb[u] != 1 or nb[v] != 1:
            return None
        det = {"cycle": [u, v], "twins": [t1, t2], "spikes": {mids[0]: [v, u]}, "twin_arrow": [u, v]}
        return "twin spike", det, mids
    if s[u, v] != 1:
        return None
    for oriented in (True, False):
        got = _spiked_cycle(s, rest, nb, oriented, u, v, adj)
        if got is not None:
            order, on = got
            if oriented and len(order) < 3:
                continue
            if not oriented and len(order) < 3:
                continue
            if oriented:
                det = {"cycle": order, "twins": [t1, t2], "spikes": on, "twin_arrow": [u, v]}
                return "twin spike", det, sorted(on)
            det = {"path": order, "twins": [t1, t2], "spikes": on}
            return "twin chord", det, sorted(on)
    return None


def _connected(s: np.ndarray) -> bool:
    adj = adjacency_lists(s)
    seen = {0}
    stack = [0]
    while stack:
        for w in adj[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == s.shape[0]


def recognise_dtilde(s: np.ndarray) -> Structure | None:
    """The D~ evidence of a connected quiver (square skew-symmetric ``s``, no frozen vertices)
    when one of the sufficient rules of this module applies; None otherwise (which does not
    prove that ``s`` is not D~)."""
    n = s.shape[0]
    if n < 5 or np.abs(s).max() > 2 or not _connected(s):
        return None
    st = analyse(s)
    if st is not None:
        if st.family != "D~":
            return None
        for core in st.cores:
            core.detail.setdefault("dtilde_type", "separate")
        return st
    return interacting_dtilde(s)


def interacting_dtilde(s: np.ndarray) -> Structure | None:
    """The joined / twin / triple-twin D~ types alone (the quiver's punctures interact); the
    caller has already tried :func:`.structure.analyse`."""
    if s.shape[0] < 5 or np.abs(s).max() > 2 or not _connected(s):
        return None
    return _joined(s)
