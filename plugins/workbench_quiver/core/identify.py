"""Exact mutation-type identification with evidence (Qt-free).

``identify(b)`` looks only at the mutable part of ``b`` (frozen vertices never change the
mutation type).  Per connected component, in this order:

1. one vertex: ``A1``; two vertices with ``m`` arrows: ``A2`` (m = 1), ``A~1,1`` (m = 2, the
   Kronecker quiver, affine), ``infinite`` for m >= 3 (rank-2 cluster algebra of infinite
   type; its mutation class is the quiver itself, so ``finite_mutation`` is True there);
2. an arrow of multiplicity >= 3 (n >= 3): ``infinite`` with the empty certificate
   (Fomin-Shapiro-Thurston: then the class is mutation-infinite);
3. structural criteria (:mod:`structure`): A (Buan-Vatne), D (Vatne Types I-IV), A~ (Bastian),
   D~ with two separate punctures, and (:mod:`dtilde`) the D~ types whose punctures interact
   (joined, twin spike, twin chord, double twins, triple twins); near-linear time;
4. precomputed tables (:mod:`tables`): E6-E8, E~6-E~8, E6^(1,1)-E8^(1,1), X6, X7 (the D~
   members stored there are reached only if step 3 missed one, which tests/quiver/test_dtilde.py
   shows never happens up to 11 vertices; they and the seeded mutation walk
   :func:`_search_dtilde`, no longer called here, are the tests' cross-check of :mod:`dtilde`);
5. a greedy mutation search for an arrow of multiplicity >= 3 (certificate of ``infinite``);
6. for small classes an exhaustive bounded enumeration, which either finds such an arrow
   (``infinite``) or shows the class is mutation-finite but of none of the listed types
   (``unknown``, ``finite_mutation=True``); otherwise ``unknown`` with ``finite_mutation=None``.

Small coincidences (which label wins): D3 = A3 is reported ``A3``; the Kronecker quiver is
``A~1,1``; D~4 is the 5-vertex class (star with four leaves).  Disconnected quivers get the
product of their components' labels, largest first: ``"D5 x A2 x A1"`` (family ``product``);
if a component is infinite the whole quiver is ``infinite``, if one is unknown it is
``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .canonical import canonical_batch, connected_components
from .dtilde import interacting_dtilde
from .mutation import mutate, mutate_batch
from .quiver import validate_b
from .structure import Structure, analyse

FAMILY_OF_TABLE = {
    "E6": "E",
    "E7": "E",
    "E8": "E",
    "E~6": "E~",
    "E~7": "E~",
    "E~8": "E~",
    "E6^(1,1)": "E^(1,1)",
    "E7^(1,1)": "E^(1,1)",
    "E8^(1,1)": "E^(1,1)",
    "X6": "X",
    "X7": "X",
}


@dataclass
class TypeResult:
    """The mutation type of a quiver.

    label: e.g. ``"D~7"``, ``"A~3,2"``, ``"E7^(1,1)"``, ``"infinite"``, ``"unknown"``;
    family: ``A, D, E, A~, D~, E~, E^(1,1), X, infinite, unknown`` or ``product``;
    finite_mutation: True / False / None (not decided);
    evidence: ``description``, ``highlight_vertices``, ``highlight_arrows`` plus details;
    certificate: for ``infinite``, a mutation sequence reaching an arrow of multiplicity >= 3;
    method: "structure", "table", "search", "certificate", "enumeration" or "trivial".
    """

    label: str
    family: str
    finite_mutation: bool | None
    evidence: dict[str, Any] = field(default_factory=dict)
    certificate: list[int] | None = None
    method: str = ""
    n: int = 0
    components: list[TypeResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "type": self.label,
            "family": self.family,
            "finite_mutation": self.finite_mutation,
            "method": self.method,
            "n": self.n,
            "description": self.evidence.get("description", ""),
        }
        if self.certificate is not None:
            d["certificate"] = list(self.certificate)
        if self.components:
            d["components"] = [c.to_dict() for c in self.components]
        return d


def _evidence(description: str, vertices=(), arrows=(), **detail) -> dict[str, Any]:
    ev = {
        "description": description,
        "highlight_vertices": sorted({int(v) for v in vertices}),
        "highlight_arrows": [(int(i), int(j)) for i, j in arrows],
    }
    ev.update(detail)
    return ev


def _from_structure(
    st: Structure, glob: list[int], method: str = "structure", path: list[int] | None = None
) -> TypeResult:
    g = lambda v: int(glob[v])  # noqa: E731
    if st.family == "A":
        verts = [g(v) for p in st.pieces for v in p["vertices"]] or [g(0)]
        arrows = [(g(i), g(j)) for p in st.pieces for i, j in p["arrows"]]
        pieces = [{"kind": p["kind"], "vertices": [g(v) for v in p["vertices"]]} for p in st.pieces]
        ev = _evidence(st.description, verts, arrows, pieces=pieces)
    else:
        verts, arrows, cores = [], [], []
        for c in st.cores:
            if c.kind == "cycle":  # the cycle itself is highlighted, not the spikes on it
                cyc = c.detail["cycle"]
                verts += [g(v) for v in cyc]
                arrows += [(g(i), g(j)) for i, j in c.arrows if i in cyc and j in cyc]
            else:
                verts += [g(v) for v in c.vertices]
                arrows += [(g(i), g(j)) for i, j in c.arrows]
            cores.append(
                {
                    "kind": c.kind,
                    "vatne_type": {"fork": "I"}.get(c.kind, c.kind),
                    "vertices": [g(v) for v in c.vertices],
                    "outlets": [g(v) for v in c.outlets],
                    "detail": _globalise(c.detail, g),
                }
            )
        pieces = [{"kind": p["kind"], "vertices": [g(v) for v in p["vertices"]]} for p in st.pieces]
        extra: dict[str, Any] = {"cores": cores, "pieces": pieces}
        if st.family == "D":
            extra["vatne_type"] = cores[0]["vatne_type"]
        if st.family == "D~":
            extra["puncture_types"] = [c["vatne_type"] for c in cores]
        if st.family == "A~":
            extra["cycle"] = cores[0]["detail"]["cycle"]
            extra["p"], extra["q"] = cores[0]["detail"]["p"], cores[0]["detail"]["q"]
        desc = st.description
        if path:
            desc += f" (reached by the mutation sequence {path})"
            extra["path"] = list(path)
        ev = _evidence(desc, verts, arrows, **extra)
    return TypeResult(st.label, st.family, True, ev, None, method, len(glob))


_NOT_VERTICES = {"p", "q", "forward", "spike_arrow_index", "oriented"}


def _globalise(obj: Any, g) -> Any:
    """Map the vertex indices inside a core's detail to the quiver's own numbering."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in _NOT_VERTICES:
                out[k] = (
                    {g(kk): int(vv) for kk, vv in v.items()}
                    if k == "spike_arrow_index"
                    else ([bool(x) for x in v] if isinstance(v, list) else (v if isinstance(v, bool) else int(v)))
                )
            else:
                out[g(k) if isinstance(k, (int, np.integer)) else k] = _globalise(v, g)
        return out
    if isinstance(obj, list):
        return [_globalise(v, g) if not isinstance(v, (bool, np.bool_)) else bool(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return g(obj)
    return obj


def find_infinite_certificate(
    s: np.ndarray, rng: np.random.Generator, steps: int | None = None, restarts: int = 3
) -> list[int] | None:
    """Look for a mutation sequence creating an arrow of multiplicity >= 3.

    First a greedy walk (each step takes, among all n mutations computed at once, the one with
    the largest entries, with random moves mixed in), then a uniform random walk that never
    repeats the last vertex (as in SageMath's ``is_mutation_finite``), ``steps`` steps
    (default 400 n).  Returns the sequence, or None if nothing was found (which proves
    nothing).
    """
    n = s.shape[0]
    if n < 3:
        return None
    short = _shallow_certificate(s)
    if short is not None:
        return short
    for _ in range(restarts):
        cur = s.astype(np.int64)
        path: list[int] = []
        last = -1
        for _ in range(3 * n + 10):
            batch = _all_mutations(cur)
            mx = np.abs(batch).reshape(n, -1).max(axis=1)
            if mx.max() >= 3:
                return path + [int(np.argmax(mx))]
            if rng.random() < 0.25:
                k = int(rng.integers(n))
            else:
                score = mx * 1000 + np.abs(batch).reshape(n, -1).sum(axis=1)
                if last >= 0:
                    score[last] = -1
                k = int(rng.choice(np.flatnonzero(score == score.max())))
            if k == last:
                k = (k + 1) % n
            cur = batch[k]
            path.append(k)
            last = k
    steps = steps if steps is not None else 400 * n
    cur = s.astype(np.int64)
    path = []
    last = -1
    ks = rng.integers(n - 1, size=steps)
    for k in ks:
        k = int(k)
        if k >= last >= 0:
            k += 1
        cur = mutate(cur, k)
        path.append(k)
        last = k
        if np.abs(cur).max() >= 3:
            return path
    return None


def _shallow_certificate(s: np.ndarray, budget: int = 40_000) -> list[int] | None:
    """Shortest certificate of length <= 3 (or <= 2 when n^3 exceeds ``budget``), by
    breadth-first search over mutation sequences (no vertex twice in a row)."""
    n = s.shape[0]
    level = s.astype(np.int64)[None]
    paths: list[list[int]] = [[]]
    max_depth = 3 if n**3 <= budget else 2
    for _ in range(max_depth):
        if len(level) * n > budget:
            return None
        nxt, npaths = [], []
        for k in range(n):
            keep = [i for i, p in enumerate(paths) if not p or p[-1] != k]
            if not keep:
                continue
            y = mutate_batch(level[keep], k)
            hit = np.flatnonzero(np.abs(y).reshape(len(keep), -1).max(axis=1) >= 3)
            if len(hit):
                return paths[keep[int(hit[0])]] + [k]
            nxt.append(y)
            npaths += [paths[i] + [k] for i in keep]
        level = np.concatenate(nxt)
        paths = npaths
    return None


def _all_mutations(cur: np.ndarray) -> np.ndarray:
    n = cur.shape[0]
    x = np.broadcast_to(cur, (n, n, n))
    idx = np.arange(n)
    col = cur.T  # col[k] = cur[:, k]
    row = cur  # row[k] = cur[k, :]
    out = x + (np.abs(col)[:, :, None] * row[:, None, :] + col[:, :, None] * np.abs(row)[:, None, :]) // 2
    out[idx, :, idx] = -col
    out[idx, idx, :] = -row
    return out


def _core_vertices(s: np.ndarray) -> list[int]:
    """Vertices of the blocks that are neither simple arrows nor oriented simple triangles
    (where two punctures interact), plus vertices lying in three or more blocks."""
    from .blocks import adjacency_lists, biconnected_components

    adj = adjacency_lists(s)
    out: set[int] = set()
    count = [0] * len(adj)
    for bl in biconnected_components(adj):
        for v in bl:
            count[v] += 1
        if len(bl) == 2 and abs(s[bl[0], bl[1]]) == 1:
            continue
        if len(bl) == 3 and abs(s[bl[0], bl[1]]) == 1 and s[bl[0], bl[1]] == s[bl[1], bl[2]] == s[bl[2], bl[0]]:
            continue
        out.update(bl)
    out.update(v for v in range(len(adj)) if count[v] >= 3)
    return sorted(out)


def _search_dtilde(s: np.ndarray, rng: np.random.Generator, steps: int) -> tuple[Structure, list[int]] | None:
    """Seeded random mutation walk, restricted to the non-type-A core (where the punctures
    interact), to a member that the structural criterion recognises as D~."""
    n = s.shape[0]
    cur = s.astype(np.int64)
    path: list[int] = []
    for _ in range(steps):
        core = _core_vertices(cur)
        k = int(rng.choice(core)) if core else int(rng.integers(n))
        cur = mutate(cur, k)
        path.append(k)
        if np.abs(cur).max() > 2:
            return None
        st = analyse(cur)
        if st is not None:
            return (st, path) if st.family == "D~" else None
    return None


def _bounded_enumeration(s: np.ndarray, limit: int) -> tuple[str, list[int] | None]:
    """("infinite", path) / ("finite", None) / ("undecided", None) by BFS over the class."""
    from .enumerate import mutation_class

    mc = mutation_class(s, max_size=limit, stop_abs=3)
    for i, m in enumerate(mc.members):
        if np.abs(m).max() >= 3:
            return "infinite", mc.path(i)
    if mc.complete:
        return "finite", None
    return "undecided", None


def identify_connected(
    s: np.ndarray, glob: list[int] | None = None, seed: int = 0, enumeration_limit: int = 5000
) -> TypeResult:
    """Identify a connected quiver given by its square skew-symmetric matrix (no frozen)."""
    n = s.shape[0]
    glob = list(range(n)) if glob is None else list(glob)
    g = lambda v: int(glob[v])  # noqa: E731
    if n == 1:
        return TypeResult("A1", "A", True, _evidence("a single vertex: type A1", [g(0)]), None, "trivial", 1)
    if n == 2:
        m = abs(int(s[0, 1]))
        arrow = [(g(0), g(1))] if s[0, 1] > 0 else [(g(1), g(0))]
        if m == 1:
            return TypeResult("A2", "A", True, _evidence("one arrow: type A2", [g(0), g(1)], arrow), None, "trivial", 2)
        if m == 2:
            return TypeResult(
                "A~1,1",
                "A~",
                True,
                _evidence(
                    "double arrow: the Kronecker quiver, type A~1,1 (affine)",
                    [g(0), g(1)],
                    arrow,
                    cycle=[g(0), g(1)],
                    p=1,
                    q=1,
                ),
                None,
                "trivial",
                2,
            )
        return TypeResult(
            "infinite",
            "infinite",
            True,
            _evidence(
                f"{m} arrows between two vertices: rank-2 cluster algebra of infinite type "
                "(the mutation class is this quiver alone)",
                [g(0), g(1)],
                arrow,
            ),
            [],
            "trivial",
            2,
        )
    mx = int(np.abs(s).max())
    if mx >= 3:
        i, j = (int(x) for x in np.argwhere(np.abs(s) == mx)[0])
        if s[i, j] < 0:
            i, j = j, i
        return TypeResult(
            "infinite",
            "infinite",
            False,
            _evidence(
                f"arrow {g(i)} -> {g(j)} of multiplicity {mx} >= 3 already present", [g(i), g(j)], [(g(i), g(j))]
            ),
            [],
            "certificate",
            n,
        )
    st = analyse(s)
    if st is None:
        st = interacting_dtilde(s)
    if st is not None:
        return _from_structure(st, glob)
    if n <= 11:
        from .tables import lookup

        keys, _ = canonical_batch(s[None].astype(np.int64), n)
        label = lookup(keys[0])
        if label is not None:
            family = FAMILY_OF_TABLE.get(label, "D~")
            desc = f"found in the precomputed canonical-form table of the {label} class" + (
                " (a member whose two punctures interact)" if family == "D~" else ""
            )
            return TypeResult(label, family, True, _evidence(desc, [], [], table=label), None, "table", n)
    rng = np.random.default_rng(seed)
    cert = find_infinite_certificate(s, rng)
    if cert is not None:
        return _infinite(s, cert, glob)
    if n <= 10:
        verdict, path = _bounded_enumeration(s, enumeration_limit)
        if verdict == "infinite":
            return _infinite(s, path or [], glob)
        if verdict == "finite":
            return TypeResult(
                "unknown",
                "unknown",
                True,
                _evidence(
                    "mutation-finite (the whole class was enumerated, every arrow multiplicity "
                    "<= 2) but not of a type listed here (e.g. another surface type)"
                ),
                None,
                "enumeration",
                n,
            )
    return TypeResult(
        "unknown",
        "unknown",
        None,
        _evidence(
            "no structural criterion applies, not in the tables, and the bounded searches found "
            "no arrow of multiplicity >= 3: not decided"
        ),
        None,
        "search",
        n,
    )


def _infinite(s: np.ndarray, cert: list[int], glob: list[int]) -> TypeResult:
    from .mutation import mutate_sequence

    end = mutate_sequence(s, cert)
    mx = int(np.abs(end).max())
    i, j = (int(x) for x in np.argwhere(np.abs(end) == mx)[0])
    if end[i, j] < 0:
        i, j = j, i
    seq = [int(glob[k]) for k in cert]
    return TypeResult(
        "infinite",
        "infinite",
        False,
        _evidence(
            f"mutating at {seq} gives {mx} arrows {glob[i]} -> {glob[j]} (>= 3): mutation-infinite",
            [glob[i], glob[j]],
            [(glob[i], glob[j])],
            certificate_multiplicity=mx,
        ),
        seq,
        "certificate",
        len(glob),
    )


def identify(b: Any, seed: int = 0, enumeration_limit: int = 5000) -> TypeResult:
    """Mutation type of the quiver with exchange matrix ``b`` (frozen rows are ignored)."""
    b = validate_b(b)
    n = b.shape[1]
    s = b[:n, :n]
    if n == 0:
        return TypeResult("unknown", "unknown", None, _evidence("no mutable vertices"), None, "trivial", 0)
    if s.dtype == object:
        s = s.copy()
    comps = connected_components(s)
    results = [identify_connected(s[np.ix_(c, c)], c, seed=seed, enumeration_limit=enumeration_limit) for c in comps]
    if len(results) == 1:
        return results[0]
    results.sort(key=lambda r: (-r.n, r.label))
    inf = sorted((r for r in results if r.label == "infinite"), key=lambda r: r.finite_mutation is not False)
    fm: bool | None
    if inf:
        r = inf[0]
        fm = False if r.finite_mutation is False else all(x.finite_mutation for x in results)
        return TypeResult("infinite", "infinite", fm, dict(r.evidence), r.certificate, r.method, n, results)
    if any(r.label == "unknown" for r in results):
        fm = None if any(r.finite_mutation is None for r in results) else all(r.finite_mutation for r in results)
        return TypeResult(
            "unknown",
            "unknown",
            fm,
            _evidence("disconnected; a component's type is unknown"),
            None,
            "product",
            n,
            results,
        )
    label = " x ".join(r.label for r in results)
    verts = [v for r in results for v in r.evidence.get("highlight_vertices", [])]
    arrows = [a for r in results for a in r.evidence.get("highlight_arrows", [])]
    fm = all(r.finite_mutation for r in results)
    return TypeResult(
        label,
        "product",
        fm,
        _evidence(f"disconnected: {len(results)} components, " + "; ".join(r.label for r in results), verts, arrows),
        None,
        "product",
        n,
        results,
    )
