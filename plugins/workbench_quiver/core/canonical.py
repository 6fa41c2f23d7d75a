"""Canonical forms of quivers up to vertex relabelling (exact; Qt-free).

The canonical form of a quiver is its square adjacency matrix permuted by a canonical
ordering of the vertices, serialised to bytes.  Two quivers have the same canonical form iff
they are isomorphic (equal bytes => equal permuted matrices => isomorphic; the ordering is
chosen by isomorphism-invariant rules => isomorphic quivers give equal bytes).

The ordering:

1. Colour refinement (1-dimensional Weisfeiler-Leman) on the weighted digraph with 64-bit
   hashes, vectorised over a batch of quivers.  Colours are isomorphism-invariant; a hash
   collision only makes the colouring coarser (slower), never wrong.  Frozen vertices get a
   colour with the top bit set, so they always sort after the mutable ones.
2. Vertices are sorted by colour.  If every tie is between *twins* (identical rows of the
   adjacency matrix, so swapping them is an automorphism), the permuted matrix is already
   unique: this is the vectorised fast path.
3. Otherwise the minimum (in byte order) of the permuted matrix is taken over all
   colour-sorted orderings up to twin swaps when there are few of them, else over the leaves
   of an individualisation-refinement search tree (the idea of McKay's nauty, without
   automorphism pruning except for twins).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .quiver import square_matrix, validate_b

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_K3 = np.uint64(0x165667B19E3779F9)
_K4 = np.uint64(0xD6E8FEB86659FD93)
_TOP = np.uint64(1 << 63)
_LOW = np.uint64((1 << 63) - 1)
_INDIV = np.uint64(0x27D4EB2F165667C5)
_ENUM_LIMIT = 2048


def _mix(x: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (splitmix64 style); wraps modulo 2**64."""
    x = x ^ (x >> np.uint64(31))
    x = x * _K3
    x = x ^ (x >> np.uint64(29))
    x = x * _K4
    return x ^ (x >> np.uint64(32))


def _entries_u64(x: np.ndarray) -> np.ndarray:
    if x.dtype == object:
        return np.vectorize(lambda v: int(v) % (1 << 64), otypes=[np.uint64])(x)
    return x.astype(np.int64).view(np.uint64)


def refine_colours(x: np.ndarray, colours: np.ndarray, rounds: int | None = None) -> np.ndarray:
    """Colour refinement of a batch ``x`` (L, N, N) starting from ``colours`` (L, N) uint64.

    c'(v) = mix(c(v) K1 + sum_u h(c(u), b_vu)) over all u (non-neighbours contribute
    h(c(u), 0), which is just as isomorphism-invariant), keeping the top bit of c(v) (frozen
    flag).  Runs ``rounds`` rounds, or until the number of distinct colours of every quiver
    stops growing when ``rounds`` is None.
    """
    with np.errstate(over="ignore"):
        ent = _entries_u64(x) * _K1
        c = colours
        n = x.shape[1]
        prev = None
        max_rounds = rounds if rounds is not None else n
        for _ in range(max_rounds):
            t = (c[:, None, :] ^ ent) * _K2
            t ^= t >> np.uint64(29)
            s = t.sum(axis=2, dtype=np.uint64)
            c = (_mix(c * _K1 + s) & _LOW) | (c & _TOP)
            if rounds is None:
                cnt = _distinct_counts(c)
                if prev is not None and np.array_equal(cnt, prev):
                    break
                prev = cnt
        return c


def _distinct_counts(c: np.ndarray) -> np.ndarray:
    s = np.sort(c, axis=1)
    return 1 + (s[:, 1:] != s[:, :-1]).sum(axis=1)


def initial_colours(x: np.ndarray, n_mutable: int) -> np.ndarray:
    L, N = x.shape[:2]
    c = np.zeros((L, N), dtype=np.uint64)
    if n_mutable < N:
        c[:, n_mutable:] = _TOP
    return c


def _permute(x: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """x[g][perm[g]][:, perm[g]] for a batch."""
    g = np.arange(len(perm))[:, None, None]
    return x[g, perm[:, :, None], perm[:, None, :]]


def _to_bytes(mat: np.ndarray, n_mutable: int) -> bytes:
    """Serialise a canonically ordered square matrix (header: sizes and entry width)."""
    N = mat.shape[0]
    head = f"{n_mutable},{N - n_mutable}:".encode()
    if mat.dtype != object:
        m = int(np.abs(mat).max()) if mat.size else 0
        if m <= 127:
            return head + b"b" + mat.astype(np.int8).tobytes()
        return head + b"q" + mat.astype(np.int64).tobytes()
    return head + b"o" + ",".join(format(int(v), "x") for v in mat.flat).encode()


def _twin_free_ties(sorted_mat: np.ndarray, sorted_col: np.ndarray) -> np.ndarray:
    """Per quiver: True iff every pair of equal adjacent colours belongs to identical rows."""
    ties = sorted_col[:, 1:] == sorted_col[:, :-1]
    same = np.all(sorted_mat[:, 1:, :] == sorted_mat[:, :-1, :], axis=2)
    return ~np.any(ties & ~same, axis=1)


def canonical_batch(
    x: np.ndarray, n_mutable: int, rounds: int = 3, cache: dict | None = None
) -> tuple[list[bytes], np.ndarray]:
    """Canonical forms of a batch of square skew-symmetric matrices (L, N, N).

    Returns (list of canonical bytes, array (L, N) of canonical orderings: position p of the
    canonical form holds original vertex perm[g, p]).  ``cache`` (a dict kept by the caller,
    e.g. for one enumeration) remembers slow-path results by colour-sorted matrix.
    """
    L, N = x.shape[:2]
    if L == 0:
        return [], np.zeros((0, N), dtype=np.int64)
    col = refine_colours(x, initial_colours(x, n_mutable), rounds)
    perm = np.argsort(col, axis=1, kind="stable")
    scol = np.take_along_axis(col, perm, axis=1)
    pm = _permute(x, perm)
    fast = _twin_free_ties(pm, scol)
    keys: list[bytes] = [b""] * L
    if x.dtype != object and L > 0:
        mx = int(np.abs(x).max()) if x.size else 0
    else:
        mx = None
    head = f"{n_mutable},{N - n_mutable}:".encode()
    if mx is not None and mx <= 127:
        flat = pm.astype(np.int8).reshape(L, -1)
        for g in np.nonzero(fast)[0]:
            keys[g] = head + b"b" + flat[g].tobytes()
    else:
        for g in np.nonzero(fast)[0]:
            keys[g] = _to_bytes(pm[g], n_mutable)
    for g in np.nonzero(~fast)[0]:
        ck = None
        if cache is not None and x.dtype != object:
            ck = pm[g].tobytes() + scol[g].tobytes()
            hit = cache.get(ck)
            if hit is not None:
                keys[g] = hit[0]
                perm[g] = perm[g][hit[1]]
                continue
        key, q = _canonical_slow(pm[g], scol[g], n_mutable)
        keys[g] = key
        perm[g] = perm[g][q]
        if cache is not None and ck is not None:
            cache[ck] = (key, q)
    return keys, perm


def _cells(colours: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(colours, kind="stable")
    sc = colours[order]
    bounds = np.nonzero(sc[1:] != sc[:-1])[0] + 1
    return np.split(order, bounds)


def _twin_classes(mat: np.ndarray, cell: np.ndarray) -> list[list[int]]:
    groups: dict[bytes, list[int]] = {}
    for v in cell:
        groups.setdefault(mat[v].tobytes() if mat.dtype != object else repr(list(mat[v])).encode(), []).append(int(v))
    return list(groups.values())


def _count_orderings(mat: np.ndarray, cells: list[np.ndarray]) -> int:
    total = 1
    for cell in cells:
        if len(cell) > 1:
            tw = _twin_classes(mat, cell)
            total *= math.factorial(len(cell)) // math.prod(math.factorial(len(t)) for t in tw)
            if total > _ENUM_LIMIT:
                return total
    return total


def _multiset_orderings(groups: list[list[int]]):
    """All distinct sequences of the twin classes (each class's members interchangeable)."""
    labels = []
    for gi, g in enumerate(groups):
        labels += [gi] * len(g)
    seen = set()
    for p in itertools.permutations(labels):
        if p in seen:
            continue
        seen.add(p)
        its = [iter(g) for g in groups]
        yield [next(its[gi]) for gi in p]


def _canonical_slow(mat: np.ndarray, colours: np.ndarray, n_mutable: int) -> tuple[bytes, np.ndarray]:
    cells = _cells(colours)
    if _count_orderings(mat, cells) <= _ENUM_LIMIT:
        per_cell = [list(_multiset_orderings(_twin_classes(mat, c))) if len(c) > 1 else [[int(c[0])]] for c in cells]
        perms = np.array([sum(choice, []) for choice in itertools.product(*per_cell)], dtype=np.int64)
        return _best_of(mat, perms, n_mutable)
    best: list = [None, None, None]
    _ir_search(mat, colours, n_mutable, best)
    return best[0], best[1]


def _best_of(mat: np.ndarray, perms: np.ndarray, n_mutable: int) -> tuple[bytes, np.ndarray]:
    K = len(perms)
    pm = _permute(np.broadcast_to(mat, (K,) + mat.shape), perms)
    if mat.dtype != object:
        flat = pm.reshape(K, -1)
        # lexicographic minimum: sort rows with lexsort on reversed columns
        idx = np.lexsort(flat.T[::-1])[0]
        return _to_bytes(pm[idx], n_mutable), perms[idx]
    cands = [(_to_bytes(pm[i], n_mutable), i) for i in range(K)]
    key, i = min(cands)
    return key, perms[i]


def _ir_search(mat: np.ndarray, colours: np.ndarray, n_mutable: int, best: list) -> None:
    """Individualisation-refinement: branch on the first non-singleton cell (smallest colour),
    one representative per twin class; leaves are discrete colourings, compared entrywise."""
    cells = _cells(colours)
    target = next((c for c in cells if len(c) > 1), None)
    if target is None:
        perm = np.argsort(colours, kind="stable")
        pm = mat[perm][:, perm]
        flat = [int(v) for v in pm.flat]
        if best[0] is None or flat < best[2]:
            best[0], best[1], best[2] = _to_bytes(pm, n_mutable), perm, flat
        return
    with np.errstate(over="ignore"):
        for group in _twin_classes(mat, target):
            v = group[0]
            c2 = colours.copy()
            c2[v] = (_mix(c2[v] ^ _INDIV) & _LOW) | (c2[v] & _TOP)
            c2 = refine_colours(mat[None], c2[None], None)[0]
            _ir_search(mat, c2, n_mutable, best)


def canonical_form_with_perm(b: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Canonical bytes of an exchange matrix and the canonical vertex ordering."""
    b = validate_b(b)
    n = b.shape[1]
    s = square_matrix(b)
    if s.shape[0] == 0:
        return b"0,0:b", np.zeros(0, dtype=np.int64)
    comps = connected_components(s)
    if len(comps) > 1:
        return _canonical_disconnected(s, n, comps)
    keys, perms = canonical_batch(s[None], n, rounds=3)
    return keys[0], perms[0]


def canonical_form(b: np.ndarray) -> bytes:
    """Canonical form (bytes) of a quiver: equal iff the quivers are isomorphic
    (isomorphisms map mutable to mutable and frozen to frozen vertices)."""
    return canonical_form_with_perm(b)[0]


def canonical_matrix(b: np.ndarray) -> np.ndarray:
    """The exchange matrix relabelled into canonical vertex order."""
    b = validate_b(b)
    _, perm = canonical_form_with_perm(b)
    s = square_matrix(b)[perm][:, perm]
    return s[:, : b.shape[1]]


def connected_components(s: np.ndarray) -> list[list[int]]:
    """Connected components of the underlying graph of a square matrix, sorted by first vertex."""
    N = s.shape[0]
    adj = [np.nonzero(s[v])[0].tolist() for v in range(N)]
    seen = [False] * N
    comps = []
    for v in range(N):
        if seen[v]:
            continue
        stack, comp = [v], []
        seen[v] = True
        while stack:
            u = stack.pop()
            comp.append(u)
            for w in adj[u]:
                if not seen[w]:
                    seen[w] = True
                    stack.append(w)
        comps.append(sorted(comp))
    return comps


def _canonical_disconnected(s: np.ndarray, n: int, comps: list[list[int]]) -> tuple[bytes, np.ndarray]:
    """Canonicalise components separately and order them by (mutable count, frozen count, key).

    The result is the block-diagonal arrangement: mutable vertices of all components first
    (component order), then frozen ones, so the canonical ordering still puts frozen last.
    """
    parts = []
    for comp in comps:
        vs = np.array(comp)
        mut = vs[vs < n]
        fro = vs[vs >= n]
        order = np.concatenate([mut, fro])
        sub = s[np.ix_(order, order)]
        sub_keys, sub_perms = canonical_batch(sub[None], len(mut), rounds=3)
        parts.append((len(mut), len(fro), sub_keys[0], order[sub_perms[0]], len(mut)))
    parts.sort(key=lambda t: (t[0], t[1], t[2]))
    mut_order = np.concatenate([p[3][: p[4]] for p in parts]).astype(np.int64)
    fro_order = np.concatenate([p[3][p[4] :] for p in parts]).astype(np.int64)
    perm = np.concatenate([mut_order, fro_order])
    key = b"|".join(p[2] for p in parts)
    return f"{n},{s.shape[0] - n}:D".encode() + key, perm
