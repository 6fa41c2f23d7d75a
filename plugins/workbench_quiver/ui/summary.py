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


def _matrix(rows: tuple[tuple[int, ...], ...]) -> np.ndarray:
    a = np.array(rows, dtype=object) if rows else np.zeros((0, 0), dtype=object)
    try:
        return a.astype(np.int64) if a.size and max(abs(int(x)) for x in a.flat) < 2**62 else a
    except OverflowError:  # pragma: no cover - guarded above
        return a


def run_summary(spec: SummarySpec, ctx: Any = None) -> QuiverSummary:
    """Identify the type of the mutable part and describe the drawing (see module doc)."""
    from workbench_quiver.core.class_size import class_size
    from workbench_quiver.core.identify import identify
    from workbench_quiver.core.info import quiver_info

    full = _matrix(spec.matrix)
    n_all = full.shape[0]
    mutable = [i for i in range(n_all) if not spec.frozen[i]]
    frozen = [i for i in range(n_all) if spec.frozen[i]]
    pos = full > 0 if n_all else np.zeros((0, 0), dtype=bool)
    n_arrows = int(sum(int(x) for x in full[pos])) if n_all else 0
    max_mult = int(max((int(x) for x in full[pos]), default=0)) if n_all else 0
    if not mutable:
        return QuiverSummary(0, n_all, n_arrows, max_mult, "empty", "", True,
                             "no mutable vertex: click on the canvas to add one")
    b = full[np.ix_(mutable + frozen, mutable)]          # Sage's (n + m) x n exchange matrix
    facts = quiver_info(b)
    if ctx is not None:
        ctx.check_cancelled()
    t0 = time.perf_counter()
    res = identify(b)
    ms = (time.perf_counter() - t0) * 1e3
    ev = dict(res.evidence or {})
    glob = lambda v: mutable[int(v)]  # noqa: E731 - principal-part index -> document index
    hv = [glob(v) for v in ev.get("highlight_vertices", []) if 0 <= int(v) < len(mutable)]
    ha = [(glob(a[0]), glob(a[1])) for a in ev.get("highlight_arrows", [])
          if 0 <= int(a[0]) < len(mutable) and 0 <= int(a[1]) < len(mutable)]
    size = None
    if res.family not in ("infinite", "unknown", "product"):
        try:
            size = class_size(res.label, allow_enumeration=False)
        except ValueError:
            size = None
    g = nx.DiGraph()
    g.add_nodes_from(range(n_all))
    g.add_edges_from((int(i), int(j)) for i, j in zip(*np.nonzero(pos)))
    description = str(ev.get("description", ""))
    if res.certificate:
        description += "  Certificate: mutate at " + ", ".join(str(mutable[int(k)]) for k in res.certificate) + \
            " (document vertex numbers)."
    return QuiverSummary(
        n_mutable=len(mutable), n_frozen=len(frozen), n_arrows=n_arrows, max_multiplicity=max_mult,
        label=str(res.label), family=str(res.family or ""), finite_mutation=res.finite_mutation,
        description=description, highlight_vertices=hv, highlight_arrows=ha, class_size=size,
        sinks=[glob(v) for v in facts["sinks"]], sources=[glob(v) for v in facts["sources"]],
        acyclic=bool(facts["acyclic"]), connected=n_all == 0 or nx.is_weakly_connected(g),
        certificate=[mutable[int(k)] for k in res.certificate] if res.certificate else res.certificate,
        identify_ms=ms)
