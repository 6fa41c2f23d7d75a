"""The exchange graph of a cluster algebra (Qt-free): clusters as vertices, mutations as edges.

Breadth-first search over seeds, vectorised over the frontier with numpy: each seed carries its
``[B; C]`` matrix and G-matrix, both mutated tropically (no polynomials in the inner loop); a
cluster variable is identified by its g-vector (distinct cluster variables have distinct g-vectors:
Gross-Hacking-Keel-Kontsevich 2018, Thm 5.2 (skew-symmetric case)), and a cluster by the set of its
variables' g-vectors, kept as a bitmask of variable ids.  Each cluster variable's Laurent polynomial
is computed once, by the exchange relation from the first seed in which it appears.

Three graphs, by what a vertex is (``vertices``, the switch of the CLI and the Cluster tab):

* ``"clusters"`` (default): seeds up to a permutation of their cluster variables, i.e. clusters:
  the exchange graph of the cluster algebra (Fomin-Zelevinsky, Cluster algebras II, 2003);
* ``"labelled"``: labelled seeds (an ordered cluster; a mutation at position k keeps the new
  variable at position k), the labelled exchange graph, an n-regular covering of the first;
* ``"quivers"``: the exchange matrices up to isomorphism (relabelling the vertices), joined when a
  mutation takes one to the other: the mutation class as a graph (loops and repeated edges dropped).

Known counts the tests check (number of clusters, Fomin-Zelevinsky, Cluster algebras II, 2003, and
Y-systems and generalized associahedra, 2003, Prop. 3.9): A_n: Catalan C_{n+1}; D_n:
(3n-2)/n * C(2n-2, n-1); E6: 833, E7: 4160, E8: 25080.  Every vertex has degree n.  Labelled
seeds of type A_n: C_{n+1} * n!, every labelling of a triangulation of the (n+3)-gon being
reachable by flips that keep labels (Bose, Lubiw, Pathak, Verdonschot, Flipping edge-labelled
triangulations, Comput. Geom. 68, 2018).  Quivers: the mutation class sizes (A_n: Torkildsen
2008, D_n: Buan-Torkildsen 2009, as :mod:`.class_size` computes them; A4: 6, D4: 6, E6: 67).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.errors import InputError

from .laurent import Laurent, exchange
from .quiver import validate_b

#: what a vertex of the exchange graph is (see the module docstring)
VERTEX_KINDS = ("clusters", "labelled", "quivers")

#: entries of B, C or G beyond this mean an infinite type (finite types stay far below; int64 safe)
_GROWTH = 2**20


class TooManyClusters(InputError):  # noqa: N818 - the message says what to do
    """The exchange graph has more clusters than the limit (an infinite or large type)."""


@dataclass
class ExchangeGraph:
    """clusters[i]: the cluster of vertex i as a sorted tuple of variable ids (``vertices ==
    "labelled"``: in position order; ``"quivers"``: the vertex's exchange matrix in canonical
    order, flattened row by row); edges: (i, j, k) with j = mu_k(i), i < j; g_vectors[v]:
    g-vector of variable v; variables[v]: its Laurent polynomial (principal coefficients t0..
    included; ``None`` when not computed; both empty for quivers); paths[i]: a shortest mutation
    path from the initial seed to vertex i; complete: False if stopped; vertices: one of
    :data:`VERTEX_KINDS`."""

    n: int
    clusters: list[tuple[int, ...]]
    edges: list[tuple[int, int, int]]
    g_vectors: list[tuple[int, ...]]
    variables: list[Laurent | None] = field(default_factory=list)
    paths: list[tuple[int, ...]] = field(default_factory=list)
    complete: bool = True
    ring: Any = None
    vertices: str = "clusters"

    @property
    def n_vertices(self) -> int:
        return len(self.clusters)

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    def to_networkx(self) -> Any:
        """networkx Graph: node i with attributes ``cluster`` and ``path``, edges with ``vertex``."""
        import networkx as nx

        g = nx.Graph()
        for i, (c, p) in enumerate(zip(self.clusters, self.paths, strict=True)):
            g.add_node(i, cluster=c, path=p)
        g.add_edges_from((i, j, {"vertex": k}) for i, j, k in self.edges)
        return g


def _mutate_batch(x: np.ndarray, k: int) -> np.ndarray:
    """FZ matrix mutation of a batch of (rows x n) matrices at column k."""
    col = x[:, :, k]
    row = x[:, k, :]
    out = x + (np.abs(col)[:, :, None] * row[:, None, :] + col[:, :, None] * np.abs(row)[:, None, :]) // 2
    out[:, :, k] = -col
    out[:, k, :] = -row
    return out


def _unique_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(x, axis=0, return_index=True, return_inverse=True)``, fast: rows of small
    integers are packed exactly into one int64 (mixed radix) when they fit, which turns the
    lexicographic sort of rows into a sort of numbers."""
    lo = x.min(axis=0)
    radix = (x.max(axis=0) - lo + 1).astype(object)
    total = 1
    for r in radix.tolist():
        total *= int(r)
    if total >= 2**62:
        u, first, inv = np.unique(x, axis=0, return_index=True, return_inverse=True)
        return u, first, np.asarray(inv).ravel()
    weights = np.ones(x.shape[1], dtype=np.int64)
    for i in range(x.shape[1] - 2, -1, -1):
        weights[i] = weights[i + 1] * int(radix[i + 1])
    packed = (x - lo) @ weights
    _, first, inv = np.unique(packed, return_index=True, return_inverse=True)
    return x[first], first, np.asarray(inv).ravel()


def exchange_graph(
    b: Any,
    max_clusters: int = 200_000,
    variables: bool = True,
    check: Callable[[int], None] | None = None,
    vertices: str = "clusters",
) -> ExchangeGraph:
    """The exchange graph of the cluster algebra of ``b`` ((n+m) x n; frozen rows only enter the
    cluster variables).  ``variables``: also compute every cluster variable's Laurent polynomial.
    ``check(count)`` is called between frontier blocks (a job's cancellation check).
    ``vertices``: ``"clusters"`` (seeds up to permuting their variables), ``"labelled"``
    (labelled seeds) or ``"quivers"`` (exchange matrices up to isomorphism).  Raises
    :class:`TooManyClusters` beyond ``max_clusters`` vertices."""
    from .cluster_algebra import ClusterRing

    if vertices not in VERTEX_KINDS:
        raise InputError(f"unknown exchange-graph vertices {vertices!r}: use {', '.join(VERTEX_KINDS)}")
    b = validate_b(b)
    if vertices == "quivers":
        return _quiver_graph(b, max_clusters, check)
    labelled = vertices == "labelled"
    if b.dtype == object:
        raise InputError("exchange matrix entries beyond 64 bits: not of finite type")
    n, m = b.shape[1], b.shape[0] - b.shape[1]
    if n == 0:
        raise InputError("the quiver has no mutable vertices")
    if n > 60:
        raise InputError(f"{n} mutable vertices: the exchange graph search supports at most 60")
    ring = ClusterRing.create(n, m)
    start = np.vstack([b.astype(np.int64), np.eye(n, dtype=np.int64)])
    gvecs: list[tuple[int, ...]] = [tuple(int(v) for v in row) for row in np.eye(n, dtype=np.int64)]
    gid: dict[tuple[int, ...], int] = {g: i for i, g in enumerate(gvecs)}
    recipe: list[tuple[list[int], list[int], int]] = []  # (parent cluster ids, column k, k) per new variable

    def key_of(ids: np.ndarray) -> np.ndarray:
        """Clusters as hashable byte strings: the sorted variable ids of each row (labelled: as they are)."""
        srt = np.ascontiguousarray((ids if labelled else np.sort(ids, axis=1)).astype(np.int32))
        return srt.view(f"V{4 * n}").ravel()

    f_ids = np.arange(n, dtype=np.int64)[None]
    index: dict[bytes, int] = {key_of(f_ids).tolist()[0]: 0}
    clusters: list[tuple[int, ...]] = [tuple(range(n))]
    paths: list[tuple[int, ...]] = [()]
    edge_blocks: list[np.ndarray] = []
    f_mat = start[None]
    f_g = np.eye(n, dtype=np.int64)[None]
    f_idx = np.zeros(1, dtype=np.int64)
    while len(f_idx):
        if check is not None:
            check(len(clusters))
        if np.abs(f_mat).max() > _GROWTH or np.abs(f_g).max() > _GROWTH:
            raise TooManyClusters(
                f"exchange-matrix or g-vector entries beyond {_GROWTH} after {len(clusters)} clusters: "
                "the cluster algebra is not of finite type"
            )
        nxt_mat, nxt_g, nxt_ids, nxt_idx = [], [], [], []
        for k in range(n):
            ck = f_mat[:, n + m :, k]
            pos = (ck >= 0).all(axis=1)
            if not (pos | (ck <= 0).all(axis=1)).all():
                raise ArithmeticError("a c-vector is not sign-coherent")
            eps = np.where(pos, 1, -1)
            w = np.maximum(-eps[:, None] * f_mat[:, :n, k], 0)
            gk = -f_g[:, :, k] + np.einsum("lji,li->lj", f_g, w)
            uniq, first, inv = _unique_rows(gk)
            vid = np.empty(len(uniq), dtype=np.int64)
            for u, (g, row) in enumerate(zip(uniq.tolist(), first.tolist(), strict=True)):
                gt = tuple(g)
                v = gid.get(gt)
                if v is None:
                    v = len(gvecs)
                    gid[gt] = v
                    gvecs.append(gt)
                    # how to compute it once the search has finished (an infinite type stops
                    # the search before any polynomial is formed, and they grow exponentially)
                    recipe.append((f_ids[row].tolist(), f_mat[row, :, k].tolist(), k))
                vid[u] = v
            new_ids = f_ids.copy()
            new_ids[:, k] = vid[np.asarray(inv).ravel()]
            keys = key_of(new_ids).tolist()
            target = np.empty(len(keys), dtype=np.int64)
            take = []
            for row, key in enumerate(keys):
                j = index.get(key)
                if j is None:
                    j = len(clusters)
                    if j >= max_clusters:
                        what = "labelled seeds" if labelled else "clusters"
                        raise TooManyClusters(
                            f"more than {max_clusters} {what}: the cluster algebra is not of finite type "
                            "or larger than the limit (raise max_clusters)"
                        )
                    index[key] = j
                    clusters.append(())
                    paths.append((*paths[int(f_idx[row])], k))
                    take.append(row)
                target[row] = j
            # an edge {a, b} (a < b) is kept from a's side only: every seed is expanded once
            keep = f_idx < target
            edge_blocks.append(np.stack([f_idx[keep], target[keep], np.full(int(keep.sum()), k)], axis=1))
            if take:
                t = np.asarray(take)
                mat_t = _mutate_batch(f_mat[t], k)
                g_t = f_g[t].copy()
                g_t[:, :, k] = gk[t]
                nxt_mat.append(mat_t)
                nxt_g.append(g_t)
                nxt_ids.append(new_ids[t])
                nxt_idx.append(target[t])
                for r, j in zip(t.tolist(), target[t].tolist(), strict=True):
                    ids_r = new_ids[r].tolist()
                    clusters[j] = tuple(ids_r if labelled else sorted(ids_r))
        if not nxt_idx:
            break
        f_mat = np.concatenate(nxt_mat)
        f_g = np.concatenate(nxt_g)
        f_ids = np.concatenate(nxt_ids)
        f_idx = np.concatenate(nxt_idx)
    all_edges = np.concatenate(edge_blocks) if edge_blocks else np.zeros((0, 3), dtype=np.int64)
    edges = [tuple(e) for e in all_edges.tolist()]
    polys: list[Laurent | None] = [Laurent.variable(ring.ctx, i) for i in range(n)] if variables else [None] * n
    for ids, column, k in recipe:
        if not variables:
            polys.append(None)
            continue
        if check is not None and len(polys) % 64 == 0:
            check(len(clusters))
        polys.append(exchange(ring.ctx, [polys[i] for i in ids], column, k))  # type: ignore[misc]
    return ExchangeGraph(n, clusters, edges, gvecs, polys, paths, True, ring, vertices)


def _quiver_graph(b: np.ndarray, max_vertices: int, check: Callable[[int], None] | None) -> ExchangeGraph:
    """The mutation class of ``b`` up to isomorphism as a graph (breadth first; vertex 0 is ``b``)."""
    from .canonical import canonical_form_with_perm
    from .mutation import mutate
    from .quiver import square_matrix

    n = b.shape[1]
    if n == 0:
        raise InputError("the quiver has no mutable vertices")

    def vertex(mat: np.ndarray) -> tuple[bytes, tuple[int, ...]]:
        key, perm = canonical_form_with_perm(mat)
        canon = square_matrix(mat)[perm][:, perm][:, :n]
        return key, tuple(int(v) for v in canon.ravel().tolist())

    key0, canon0 = vertex(b)
    index = {key0: 0}
    mats, clusters = [b], [canon0]
    paths: list[tuple[int, ...]] = [()]
    edges: set[tuple[int, int, int]] = set()
    seen_pairs: set[tuple[int, int]] = set()
    head = 0
    while head < len(mats):
        if check is not None and head % 64 == 0:
            check(len(mats))
        here = mats[head]
        for k in range(n):
            nxt = mutate(here, k)
            if nxt.dtype == object or np.abs(nxt).max() > _GROWTH:
                raise TooManyClusters(
                    f"exchange-matrix entries beyond {_GROWTH} after {len(mats)} quivers: the quiver is "
                    "mutation-infinite"
                )
            key, canon = vertex(nxt)
            j = index.get(key)
            if j is None:
                j = len(mats)
                if j >= max_vertices:
                    raise TooManyClusters(
                        f"more than {max_vertices} quivers up to isomorphism: the mutation class is infinite "
                        "or larger than the limit (raise max_clusters)"
                    )
                index[key] = j
                mats.append(nxt)
                clusters.append(canon)
                paths.append((*paths[head], k))
            pair = (min(head, j), max(head, j))
            if j != head and pair not in seen_pairs:
                seen_pairs.add(pair)
                edges.add((pair[0], pair[1], k))
        head += 1
    return ExchangeGraph(n, clusters, sorted(edges), [], [], paths, True, None, "quivers")


def quiver_vertex(clusters: Sequence[Sequence[int]], b: Any) -> int | None:
    """The vertex of a ``"quivers"`` exchange graph holding the exchange matrix ``b`` (``None``
    if absent): ``b`` relabelled into canonical order and compared with ``clusters``."""
    from .canonical import canonical_form_with_perm
    from .quiver import square_matrix

    b = validate_b(b)
    _, perm = canonical_form_with_perm(b)
    canon = tuple(int(v) for v in square_matrix(b)[perm][:, perm][:, : b.shape[1]].ravel().tolist())
    for i, c in enumerate(clusters):
        if tuple(c) == canon:
            return i
    return None


def seed_vertex(clusters: Sequence[Sequence[int]], edges: Sequence[Sequence[int]], path: Sequence[int]) -> int:
    """The vertex of the exchange graph (``clusters``, ``edges`` as in :class:`ExchangeGraph`) of the
    seed reached from the initial seed (vertex 0, variables ``0..n-1`` in positions ``0..n-1``)
    along the labelled mutation ``path`` (positions 0..n-1).

    Clusters are unordered, so the walk keeps the labelled cluster (variable id per position):
    mutating at position ``k`` removes the variable there, and the neighbour reached is the one
    whose cluster lacks it (every variable of a cluster is exchanged along exactly one edge).
    Raises :class:`InputError` if the path leaves the graph (an incomplete graph)."""
    n = len(clusters[0]) if clusters else 0
    nbrs: dict[int, list[int]] = {}
    for e in edges:
        a, b = int(e[0]), int(e[1])
        nbrs.setdefault(a, []).append(b)
        nbrs.setdefault(b, []).append(a)
    here, ids = 0, list(range(n))
    for k in path:
        if not 0 <= int(k) < n:
            raise InputError(f"mutation path: {k} is not a mutable vertex (0..{n - 1})")
        gone = ids[int(k)]
        cur = set(clusters[here])
        for j in nbrs.get(here, []):
            if gone not in clusters[j]:
                (new,) = set(clusters[j]) - cur
                here, ids[int(k)] = j, new
                break
        else:
            raise InputError("the mutation path leaves the exchange graph (it is incomplete)")
    return here


def layout_positions(
    n_vertices: int, edges: Sequence[Sequence[int]], method: str = "auto", seed: int = 0
) -> np.ndarray:
    """Positions (``n_vertices`` x 2, in [-1, 1]) for drawing a graph with networkx:
    ``"kamada-kawai"`` (Kamada-Kawai 1989, good for a few hundred vertices), ``"spring"``
    (Fruchterman-Reingold 1991, seeded) or ``"auto"`` (Kamada-Kawai up to 400 vertices)."""
    import networkx as nx

    if method not in ("auto", "kamada-kawai", "spring"):
        raise InputError(f"unknown layout {method!r}: use auto, kamada-kawai or spring")
    g = nx.Graph()
    g.add_nodes_from(range(n_vertices))
    g.add_edges_from((int(e[0]), int(e[1])) for e in edges)
    if n_vertices <= 1:
        return np.zeros((n_vertices, 2))
    if method == "kamada-kawai" or (method == "auto" and n_vertices <= 400):
        pos = nx.kamada_kawai_layout(g)
    else:
        pos = nx.spring_layout(g, seed=seed)
    out = np.array([pos[i] for i in range(n_vertices)], dtype=float)
    out -= out.mean(axis=0)
    scale = float(np.abs(out).max()) or 1.0
    return out / scale
