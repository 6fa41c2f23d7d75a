"""Vertex layouts for the editor (Qt-free): spring, circular, Kamada-Kawai, via networkx.

Positions are scene coordinates (pixels at zoom 1) scaled so that a typical arrow is about
``edge`` pixels long, centred on the origin.  Layouts are deterministic: ``seed`` is passed
to networkx's spring layout.
"""

from __future__ import annotations

import functools
import math

import networkx as nx
import numpy as np

from workbench.blas_threads import one_blas_thread

LAYOUTS = ("spring", "circular", "kamada-kawai", "keep")


def _graph(matrix: np.ndarray) -> nx.Graph:
    n = matrix.shape[0]
    g = nx.Graph()
    g.add_nodes_from(range(n))
    ii, jj = np.nonzero(np.triu(matrix != 0, 1))
    g.add_edges_from(zip(ii.tolist(), jj.tolist(), strict=True))
    return g


def _scaled(raw: dict[int, np.ndarray], g: nx.Graph, edge: float) -> list[tuple[float, float]]:
    n = g.number_of_nodes()
    pts = np.array([raw[i] for i in range(n)], dtype=float).reshape(n, 2)
    if n == 0:
        return []
    if n == 1:
        return [(0.0, 0.0)]
    lengths = [float(np.linalg.norm(pts[a] - pts[b])) for a, b in g.edges()]
    ref = (
        float(np.median(lengths))
        if lengths
        else float(np.median([np.linalg.norm(pts[a] - pts[b]) for a in range(n) for b in range(a + 1, n)]))
    )
    scale = edge / ref if ref > 1e-9 else 1.0
    pts = (pts - pts.mean(axis=0)) * scale
    return [(round(float(x), 2), round(float(y), 2)) for x, y in pts]


def layout_positions(
    matrix: np.ndarray,
    kind: str = "spring",
    seed: int = 0,
    edge: float = 95.0,
    current: list[tuple[float, float]] | None = None,
) -> list[tuple[float, float]]:
    """Positions for the vertices of a quiver (its underlying undirected graph).

    ``kind``: ``"spring"`` (Fruchterman-Reingold, seeded), ``"circular"``, ``"kamada-kawai"``
    (stress minimisation; good for trees such as Dynkin diagrams) or ``"keep"`` (``current``).
    """
    matrix = np.asarray(matrix)
    n = matrix.shape[0]
    if kind == "keep":
        if current is None or len(current) != n:
            raise ValueError("layout 'keep' needs the current positions")
        return list(current)
    g = _graph(matrix)
    if n == 0:
        return []
    with one_blas_thread():  # an interactive step, often on the GUI thread (workbench.blas_threads)
        return _layout(g, n, kind, seed, edge)


def _layout(g: nx.Graph, n: int, kind: str, seed: int, edge: float) -> list[tuple[float, float]]:
    if kind == "circular":
        r = edge / (2 * math.sin(math.pi / n)) if n > 2 else edge / 2
        return [
            (
                round(r * math.cos(2 * math.pi * i / n - math.pi / 2), 2),
                round(r * math.sin(2 * math.pi * i / n - math.pi / 2), 2),
            )
            for i in range(n)
        ]
    if kind == "spring":
        raw = nx.spring_layout(g, seed=seed, iterations=200)
    elif kind == "kamada-kawai":
        if nx.is_connected(g):
            raw = nx.kamada_kawai_layout(g)
        else:
            raw = nx.spring_layout(g, seed=seed, iterations=200)
    else:
        raise ValueError(f"unknown layout {kind!r}; use one of {', '.join(LAYOUTS)}")
    return _scaled(raw, g, edge)


@functools.lru_cache(maxsize=64)
def standard_layout(label: str) -> tuple[np.ndarray, tuple[tuple[float, float], ...], tuple[bool, ...]]:
    """The standard quiver of type ``label`` (e.g. ``"D~6"``) as the gallery draws it: its
    square exchange matrix (read-only), vertex positions (the lattice picture for triangle and
    Grassmannian quivers, else Kamada-Kawai) and which vertices are frozen (the extra rows of
    Gr(k, n)).  Cached: the gallery's thumbnails and loads, and the panel's default quiver,
    share one layout each, computed off the GUI thread ahead of the panel
    (:meth:`workbench_quiver.panel.QuiverPanel.prepare_in_background`).  ValueError for an
    unknown label."""
    from workbench_quiver.core.keller import keller_positions
    from workbench_quiver.core.quiver import square_matrix
    from workbench_quiver.core.standard import standard_quiver

    b = standard_quiver(label)
    m = square_matrix(b)
    m.setflags(write=False)
    lattice = keller_positions(label)
    pos = [(float(x), float(y)) for x, y in lattice] if lattice is not None else layout_positions(m, "kamada-kawai")
    frozen = tuple(i >= b.shape[1] for i in range(m.shape[0]))
    return m, tuple(pos), frozen
