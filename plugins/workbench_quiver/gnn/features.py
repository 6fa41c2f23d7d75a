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

from ..core.blocks import adjacency_lists, biconnected_component_edges

N_BLOCK_FEATURES = 7
FEATURE_NAMES = (
    "one",
    "bridges",
    "oriented triangles",
    "non-oriented triangles",
    "oriented long cycles",
    "non-oriented long cycles",
    "other blocks",
)


def block_features(b: np.ndarray) -> np.ndarray:
    """(n, 7) float32 block-count features of the square skew-symmetric matrix ``b``
    (mutable part only; ``b[i, j] > 0`` means arrows ``i -> j``)."""
    s = np.asarray(b)[: b.shape[1], : b.shape[1]]
    n = s.shape[0]
    out = np.zeros((n, N_BLOCK_FEATURES), dtype=np.float32)
    out[:, 0] = 1.0
    if n == 0:
        return out
    for block in biconnected_component_edges(adjacency_lists(s)):
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
