"""What the info side panel shows about the quiver being edited, as a quiet job (Qt-free).

:func:`run_summary` identifies the mutation type of the mutable part with
:func:`workbench_quiver.core.identify.identify`, looks up the class size with
:func:`workbench_quiver.core.class_size.class_size`, and reads off sinks, sources and
acyclicity of the drawing.  Indices in the result are document indices (the editor's
vertex numbering, frozen vertices included), so the canvas can highlight the evidence.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np


@dataclass(frozen=True)
class SummarySpec:
    """The full (square, skew-symmetric) matrix of the drawing and which vertices are frozen."""

    matrix: tuple[tuple[int, ...], ...]
    frozen: tuple[bool, ...]
    device: str = "cpu"  # no torch needed; "cpu" keeps the job runner from importing it


@dataclass
class QuiverSummary:
    n_mutable: int
    n_frozen: int
    n_arrows: int                      # with multiplicity
    max_multiplicity: int
    label: str
    family: str
    finite_mutation: bool | None       # None: not decided
    description: str
    highlight_vertices: list[int] = field(default_factory=list)
    highlight_arrows: list[tuple[int, int]] = field(default_factory=list)
    class_size: int | None = None
    sinks: list[int] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    acyclic: bool = True
    connected: bool = True
    certificate: Any = None
    identify_ms: float = 0.0


def summary_spec(matrix: np.ndarray, frozen: list[bool]) -> SummarySpec:
    return SummarySpec(tuple(tuple(int(x) for x in row) for row in np.asarray(matrix).tolist()), tuple(bool(f) for f in frozen))


def run_summary(spec: SummarySpec, ctx: Any = None) -> QuiverSummary:
    """Identify the type of the mutable part and describe the drawing (see module doc)."""
    from workbench_quiver.core.class_size import class_size
    from workbench_quiver.core.identify import identify

    full = np.array(spec.matrix, dtype=object) if spec.matrix else np.zeros((0, 0), dtype=object)
    try:
        full = full.astype(np.int64)
    except OverflowError:
        pass
    n_all = full.shape[0]
    mutable = [i for i in range(n_all) if not spec.frozen[i]]
    principal = full[np.ix_(mutable, mutable)] if mutable else np.zeros((0, 0), dtype=np.int64)
    pos = full > 0 if n_all else np.zeros((0, 0), dtype=bool)
    n_arrows = int(sum(int(x) for x in full[pos])) if n_all else 0
    max_mult = int(max((int(x) for x in full[pos]), default=0)) if n_all else 0

    g = nx.DiGraph()
    g.add_nodes_from(range(n_all))
    for i, j in zip(*np.nonzero(pos)) if n_all else []:
        g.add_edge(int(i), int(j))
    sinks = [v for v in mutable if g.out_degree(v) == 0 and g.in_degree(v) > 0]
    sources = [v for v in mutable if g.in_degree(v) == 0 and g.out_degree(v) > 0]
    acyclic = nx.is_directed_acyclic_graph(g)
    connected = n_all == 0 or nx.is_weakly_connected(g)

    if not mutable:
        return QuiverSummary(0, n_all, n_arrows, max_mult, "empty", "", True,
                             "no mutable vertex: add a vertex by clicking on the canvas",
                             sinks=sinks, sources=sources, acyclic=acyclic, connected=connected)
    t0 = time.perf_counter()
    res = identify(principal)
    ms = (time.perf_counter() - t0) * 1e3
    ev = dict(res.evidence or {})
    hv = [mutable[int(v)] for v in ev.get("highlight_vertices", []) if 0 <= int(v) < len(mutable)]
    ha = []
    for a in ev.get("highlight_arrows", []):
        i, j = int(a[0]), int(a[1])
        if 0 <= i < len(mutable) and 0 <= j < len(mutable):
            ha.append((mutable[i], mutable[j]))
    try:
        size = class_size(res.label)
    except (ValueError, KeyError):
        size = None
    return QuiverSummary(
        n_mutable=len(mutable), n_frozen=n_all - len(mutable), n_arrows=n_arrows, max_multiplicity=max_mult,
        label=str(res.label), family=str(getattr(res, "family", "") or ""),
        finite_mutation=getattr(res, "finite_mutation", None), description=str(ev.get("description", "")),
        highlight_vertices=hv, highlight_arrows=ha, class_size=size, sinks=sinks, sources=sources,
        acyclic=acyclic, connected=connected, certificate=getattr(res, "certificate", None), identify_ms=ms)
