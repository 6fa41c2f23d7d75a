"""Biconnected components ("blocks") of the underlying graph of a quiver (Qt-free).

The type-A criterion of Buan-Vatne and the type D / A~ / D~ criteria are phrased in terms of
how a quiver is glued from small pieces at single vertices; those pieces are exactly the
blocks (maximal 2-connected subgraphs or bridges) of the underlying simple graph.
Hopcroft-Tarjan, iterative, O(V + E).
"""

from __future__ import annotations

import numpy as np


def adjacency_lists(b: np.ndarray) -> list[list[int]]:
    """Neighbours of every vertex of a square skew-symmetric matrix."""
    nz = b != 0
    return [np.flatnonzero(nz[v]).tolist() for v in range(b.shape[0])]


def biconnected_components(adj: list[list[int]]) -> list[list[int]]:
    """Vertex sets of the blocks (every edge lies in exactly one block); isolated vertices
    give no block."""
    n = len(adj)
    disc = [-1] * n
    low = [0] * n
    out: list[list[int]] = []
    t = 0
    for root in range(n):
        if disc[root] != -1 or not adj[root]:
            continue
        disc[root] = low[root] = t
        t += 1
        edge_stack: list[tuple[int, int]] = []
        stack = [(root, -1, iter(adj[root]))]
        while stack:
            v, parent, it = stack[-1]
            advanced = False
            for w in it:
                if disc[w] == -1:
                    edge_stack.append((v, w))
                    disc[w] = low[w] = t
                    t += 1
                    stack.append((w, v, iter(adj[w])))
                    advanced = True
                    break
                if w != parent and disc[w] < disc[v]:
                    edge_stack.append((v, w))
                    if disc[w] < low[v]:
                        low[v] = disc[w]
            if advanced:
                continue
            stack.pop()
            if stack:
                u = stack[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
                if low[v] >= disc[u]:
                    comp = set()
                    while edge_stack:
                        e = edge_stack.pop()
                        comp.update(e)
                        if e == (u, v):
                            break
                    out.append(sorted(comp))
    return out
