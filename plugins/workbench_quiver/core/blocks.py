"""Biconnected components ("blocks") of the underlying graph of a quiver (Qt-free).

The type-A criterion of Buan-Vatne and the type D / A~ / D~ criteria are phrased in terms of
how a quiver is glued from small pieces at single vertices; those pieces are exactly the
blocks (maximal 2-connected subgraphs or bridges) of the underlying simple graph.  The
blocks are networkx's (Hopcroft-Tarjan, J. Hopcroft, R. Tarjan, CACM 16, 372 (1973); O(V + E)),
for the structure criteria (:mod:`.structure`, :mod:`.identify`) and the GNN's block features
(:mod:`workbench_quiver.gnn.features`) alike.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


def adjacency_lists(b: np.ndarray) -> list[list[int]]:
    """Neighbours of every vertex of a square skew-symmetric matrix."""
    nz = b != 0
    return [np.flatnonzero(nz[v]).tolist() for v in range(b.shape[0])]


def _graph(adj: list[list[int]]) -> nx.Graph:
    """The simple graph of symmetric adjacency lists, vertices 0..n-1.  With ascending lists
    (as :func:`adjacency_lists` gives) every vertex's neighbours stay in ascending order, so the
    depth-first search, and the order of the blocks, are those of the lists."""
    g = nx.Graph()
    g.add_nodes_from(range(len(adj)))
    g.add_edges_from((v, w) for v, nbrs in enumerate(adj) for w in nbrs if v < w)
    return g


def biconnected_components(adj: list[list[int]]) -> list[list[int]]:
    """Sorted vertex lists of the blocks (every edge lies in exactly one block), in the order
    the depth-first search from vertex 0 completes them; isolated vertices give no block."""
    return [sorted(c) for c in nx.biconnected_components(_graph(adj))]


def biconnected_component_edges(adj: list[list[int]]) -> list[list[tuple[int, int]]]:
    """Edge lists of the blocks, in the order of :func:`biconnected_components`."""
    return [list(c) for c in nx.biconnected_component_edges(_graph(adj))]
