"""Cheap structural facts about a quiver for the info panel (Qt-free)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .quiver import validate_b


def is_acyclic(s: np.ndarray) -> bool:
    """True iff the directed graph (i -> j when s[i, j] > 0) has no oriented cycle (Kahn)."""
    N = s.shape[0]
    pos = s > 0
    indeg = pos.sum(axis=0).astype(int)
    stack = [v for v in range(N) if indeg[v] == 0]
    seen = 0
    while stack:
        v = stack.pop()
        seen += 1
        for w in np.flatnonzero(pos[v]):
            indeg[w] -= 1
            if indeg[w] == 0:
                stack.append(int(w))
    return seen == N


def quiver_info(b: Any) -> dict[str, Any]:
    """n, m, number of arrows (with multiplicity), sinks and sources of the mutable part,
    whether the mutable part is acyclic, the largest multiplicity."""
    b = validate_b(b)
    n = b.shape[1]
    s = b[:n, :n]
    out_deg = (s > 0).sum(axis=1)
    in_deg = (s < 0).sum(axis=1)
    return {
        "n": int(n),
        "m": int(b.shape[0] - n),
        "arrows": int(np.clip(b, 0, None).sum()) + int(np.abs(b[n:]).sum()),
        "arrows_mutable": int(np.clip(s, 0, None).sum()),
        "sinks": [int(v) for v in range(n) if out_deg[v] == 0 and in_deg[v] > 0],
        "sources": [int(v) for v in range(n) if in_deg[v] == 0 and out_deg[v] > 0],
        "acyclic": bool(is_acyclic(s)),
        "max_multiplicity": int(np.abs(s).max()) if n else 0,
    }
