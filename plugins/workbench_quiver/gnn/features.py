"""Size-independent structural vertex features of a quiver (Qt-free).

The classification theorems for the mutation classes of type A (Buan-Vatne 2008), D (Vatne
2010), A~ (Bastian 2011) and D~ (Henrich 2011; arXiv 2411.07467) are statements about how a
quiver decomposes into *blocks*: single arrows, oriented and non-oriented triangles, oriented
or non-oriented cycles of any length (the central cycle of Vatne's Type IV, the
non-oriented cycle of A~), glued at vertices.  A message-passing network of depth 4 sees only
a radius-4 neighbourhood, so it cannot tell a long cycle from a long path; the biconnected
components of the underlying simple graph can.  Every feature below is a *count of blocks at
a vertex*, which does not grow with the number of vertices, so the features mean the same on
7 and on 20 vertices (the point of size generalisation).

Per vertex v (columns of :func:`block_features`):

0. 1 (a constant: the paper's input)
1. bridges at v (blocks that are a single edge)
2. oriented triangles at v (3-cycles i -> j -> k -> i)
3. non-oriented triangles at v
4. oriented cycles of length >= 4 through v (blocks that are an oriented cycle)
5. non-oriented cycles of length >= 4 through v
6. other blocks at v (biconnected, not a cycle: chords, glued cycles)

Arrow multiplicities are edge features of the network, not vertex features.
"""

from __future__ import annotations

import numpy as np

N_BLOCK_FEATURES = 7
FEATURE_NAMES = ("one", "bridges", "oriented triangles", "non-oriented triangles",
                 "oriented long cycles", "non-oriented long cycles", "other blocks")


def _biconnected_blocks(n: int, adj: list[list[int]]) -> list[list[tuple[int, int]]]:
    """Edge sets of the biconnected components (Hopcroft-Tarjan, iterative)."""
    disc = [-1] * n
    low = [0] * n
    blocks: list[list[tuple[int, int]]] = []
    stack: list[tuple[int, int]] = []
    t = 0
    for root in range(n):
        if disc[root] >= 0:
            continue
        disc[root] = low[root] = t
        t += 1
        it = [(root, -1, iter(adj[root]))]
        while it:
            v, parent, nbrs = it[-1]
            advanced = False
            for w in nbrs:
                if disc[w] < 0:
                    disc[w] = low[w] = t
                    t += 1
                    stack.append((v, w))
                    it.append((w, v, iter(adj[w])))
                    advanced = True
                    break
                if w != parent and disc[w] < disc[v]:
                    stack.append((v, w))
                    low[v] = min(low[v], disc[w])
            if advanced:
                continue
            it.pop()
            if it:
                u = it[-1][0]
                low[u] = min(low[u], low[v])
                if low[v] >= disc[u]:
                    block = []
                    while True:
                        e = stack.pop()
                        block.append(e)
                        if e == (u, v):
                            break
                    blocks.append(block)
    return blocks


def block_features(b: np.ndarray) -> np.ndarray:
    """(n, 7) float32 block-count features of the square skew-symmetric matrix ``b``
    (mutable part only; ``b[i, j] > 0`` means arrows ``i -> j``)."""
    s = np.asarray(b)[: b.shape[1], : b.shape[1]]
    n = s.shape[0]
    out = np.zeros((n, N_BLOCK_FEATURES), dtype=np.float32)
    out[:, 0] = 1.0
    if n == 0:
        return out
    nz = s != 0
    adj = [list(np.nonzero(nz[i])[0]) for i in range(n)]
    for block in _biconnected_blocks(n, adj):
        verts = sorted({x for e in block for x in e})
        if len(block) == 1:
            col = 1
        elif len(block) == len(verts):  # a cycle: every vertex has degree 2 in the block
            oriented = all(sum(1 for w in verts if s[v, w] > 0) == 1 for v in verts)
            if len(verts) == 3:
                col = 2 if oriented else 3
            else:
                col = 4 if oriented else 5
        else:
            col = 6
        out[verts, col] += 1.0
    return out
