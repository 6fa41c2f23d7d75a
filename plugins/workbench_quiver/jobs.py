"""Quiver jobs: picklable frozen-dataclass specs and module-level ``run_*(spec, ctx)``
functions calling the Qt-free core.  Used by the panel (on its QThread) and by the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.jobs import JobCancelled, JobContext, JobError

Matrix = tuple[tuple[int, ...], ...]


def as_spec_matrix(b: Any) -> Matrix:
    """A B-matrix as a hashable tuple of tuples (the form specs hold)."""
    return tuple(tuple(int(x) for x in row) for row in np.asarray(b))


def _validated(b: Matrix) -> np.ndarray:
    from .core.quiver import validate_b

    try:
        if len(b) == 0:
            raise ValueError("the quiver has no vertices")
        return validate_b(
            np.array(b, dtype=object)
            if any(abs(int(x)) >= 2**62 for r in b for x in r)
            else np.array(b, dtype=np.int64)
        )
    except ValueError as exc:
        raise JobError(f"invalid quiver: {exc}") from None


# --------------------------------------------------------------------------- enumerate


@dataclass(frozen=True)
class EnumerateSpec:
    """Breadth-first enumeration of the mutation class of ``b`` (up to isomorphism)."""

    b: Matrix
    max_depth: int | None = None
    max_size: int | None = 200_000
    device: str = "cpu"


@dataclass
class EnumerateResult:
    """members: exchange matrices ((n+m) x n, start labelling); paths: mutation sequences
    from the start; depths; complete: False if stopped early (why in ``stopped``).

    Plain data (:mod:`workbench.plaindata`, so sessions keep it): ``members`` is stored as one
    ``(count, n+m, n)`` int64 array when every entry fits in 64 bits (``members[i]`` is member
    ``i``), else as nested tuples of Python ints (exact; ``np.asarray(members[i])`` gives an
    object array); paths and depths as lists of ints."""

    members: Any
    paths: list[list[int]]
    depths: list[int]
    complete: bool
    stopped: str
    seconds: float
    n_mutable: int
    label: str = ""

    def __post_init__(self) -> None:
        self.members = _stacked_members(self.members)
        self.paths = [[int(k) for k in p] for p in self.paths]
        self.depths = [int(d) for d in self.depths]

    def __len__(self) -> int:
        return len(self.members)


def _stacked_members(members: Any) -> Any:
    """``members`` as one int64 array of shape (count, rows, cols) when they fit, else as
    nested tuples of Python ints."""
    if isinstance(members, np.ndarray) and members.dtype == np.int64 and members.ndim == 3:
        return members
    mats = [np.asarray(m) for m in members]
    if not mats:
        return np.zeros((0, 0, 0), dtype=np.int64)
    if all(m.dtype != object for m in mats):
        return np.stack([m.astype(np.int64) for m in mats])
    stacked = np.stack(mats).astype(object)
    if int(np.abs(stacked).max(initial=0)) < 2**63:
        return stacked.astype(np.int64)
    # entries are Python ints already (exact); tolist() unpacks them in C
    return tuple(tuple(map(tuple, m)) for m in stacked.tolist())


#: members packed between two Cancel checks by :func:`_enumerate_result` (about 0.05 s)
PACK_CHUNK = 4096
#: the most members packed for the partial result sent after Cancel (more would delay the
#: cancellation by seconds: 58,000 members of a mutation-infinite class took 1.3-3.1 s)
CANCEL_PARTIAL_MAX = 16384


def _enumerate_result(mc, label: str = "", check: Callable[[], None] | None = None) -> EnumerateResult:
    """The class ``mc`` as plain data, packed in chunks of :data:`PACK_CHUNK` members with
    ``check()`` (Cancel) between them; the same result as ``EnumerateResult(mc.matrices(),
    mc.paths(), ...)`` (members stacked as :func:`_stacked_members` does)."""
    count = len(mc.members)
    paths: list[list[int]] = []
    chunks: list[np.ndarray] = []
    peak = 0
    for c0 in range(0, count, PACK_CHUNK):
        if check is not None:
            check()
        c1 = min(count, c0 + PACK_CHUNK)
        for i in range(c0, c1):
            p = mc.parent[i]
            paths.append([] if p < 0 else paths[p] + [int(mc.via[i])])
        mats = [mc.b(i) for i in range(c0, c1)]
        if all(m.dtype != object for m in mats):
            chunks.append(np.stack([m.astype(np.int64) for m in mats]))
        else:
            chunk = np.stack(mats).astype(object)
            peak = max(peak, int(np.abs(chunk).max(initial=0)))
            chunks.append(chunk)
    members: Any
    if not chunks:
        members = np.zeros((0, 0, 0), dtype=np.int64)
    elif peak < 2**63:
        members = np.concatenate([c.astype(np.int64) for c in chunks])
    else:  # exact Python ints, as nested tuples
        rows: list[tuple] = []
        for c in chunks:
            if check is not None:
                check()
            rows.extend(tuple(map(tuple, m)) for m in c.astype(object).tolist())
        members = tuple(rows)
    res = EnumerateResult([], [], [], mc.complete, mc.stopped, mc.seconds, mc.n_mutable, label)
    res.members, res.paths, res.depths = members, paths, [int(d) for d in mc.depth]
    return res


def run_enumerate(spec: EnumerateSpec, ctx: JobContext) -> EnumerateResult:
    """Enumerate with progress and Cancel; partial results after every BFS layer (and the
    partial class is delivered through ``ctx.partial`` before a cancellation is raised)."""
    from .core.enumerate import mutation_class

    b = _validated(spec.b)
    mc = mutation_class(
        b,
        max_depth=spec.max_depth,
        max_size=spec.max_size,
        progress=ctx.progress,
        cancelled=ctx.cancelled,
        partial=lambda m: ctx.partial(_enumerate_result(m, check=ctx.check_cancelled)),
    )
    if mc.stopped == "cancelled":
        # the class as far as it got (every finished BFS layer already went out as a partial);
        # skipped when it would take long to pack (exact entries beyond int64, a large class)
        if len(mc.members) <= CANCEL_PARTIAL_MAX and all(m.dtype != object for m in mc.members[-64:]):
            ctx.partial(_enumerate_result(mc))
        raise JobCancelled()
    res = _enumerate_result(mc)
    ctx.progress(1.0, f"{len(res)} quivers" + ("" if res.complete else f" (stopped: {res.stopped})"))
    return res


def enumerated_count(message: str) -> int | None:
    """The number of quivers found so far, from a progress message of :func:`run_enumerate`
    (``"1234 quivers, depth 5"``, the core's wording); None for other messages."""
    head = message.split(" ", 1)[0].replace(",", "")
    return int(head) if head.isdigit() and message[len(message.split(" ", 1)[0]) :].startswith(" quivers") else None


@dataclass(frozen=True)
class ClassByTypeSpec:
    """Enumerate the class of a type label from its standard quiver."""

    label: str
    max_size: int | None = 2_000_000
    device: str = "cpu"


def run_class_by_type(spec: ClassByTypeSpec, ctx: JobContext) -> EnumerateResult:
    from .core.standard import normalise_label, standard_quiver

    try:
        label = normalise_label(spec.label)
        b = standard_quiver(label)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    res = run_enumerate(EnumerateSpec(as_spec_matrix(b), None, spec.max_size), ctx)
    res.label = label
    return res


# --------------------------------------------------------------------------- identify


@dataclass(frozen=True)
class IdentifySpec:
    b: Matrix
    seed: int = 0
    with_class_size: bool = True
    device: str = "cpu"


@dataclass
class IdentifyResult:
    """The type (``type_result``: core.identify.TypeResult), the class size when known
    without enumeration, and the cheap facts of :func:`core.info.quiver_info`."""

    type_result: Any
    class_size: int | None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.type_result.label


def run_identify(spec: IdentifySpec, ctx: JobContext) -> IdentifyResult:
    from .core.class_size import class_size
    from .core.identify import identify
    from .core.info import quiver_info

    b = _validated(spec.b)
    ctx.check_cancelled()
    tr = identify(b, seed=spec.seed)
    size = None
    if spec.with_class_size and tr.family not in ("infinite", "unknown", "product"):
        size = class_size(tr.label, allow_enumeration=False)
    return IdentifyResult(tr, size, quiver_info(b))


# --------------------------------------------------------------------------- editor summary
#
# What the editor's info side panel shows about the quiver being drawn, recomputed as a quiet
# job after every edit: the mutation type of the mutable part (core.identify.identify), its
# class size when known without enumeration (core.class_size.class_size), and sinks, sources,
# acyclicity and connectedness of the drawing.  Indices in the result are document indices
# (the editor's vertex numbering, frozen vertices included), so the canvas can highlight the
# evidence.


@dataclass(frozen=True)
class SummarySpec:
    """The full (square, skew-symmetric) matrix of the drawing and which vertices are frozen."""

    matrix: Matrix
    frozen: tuple[bool, ...]
    device: str = "cpu"  # no torch needed; "cpu" keeps the job runner from importing it


@dataclass
class QuiverSummary:
    """The info panel's facts; vertex indices are document indices."""

    n_mutable: int
    n_frozen: int
    n_arrows: int  # with multiplicity
    max_multiplicity: int
    label: str
    family: str
    finite_mutation: bool | None  # None: not decided
    description: str
    highlight_vertices: list[int] = field(default_factory=list)
    highlight_arrows: list[tuple[int, int]] = field(default_factory=list)
    class_size: int | None = None
    sinks: list[int] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    acyclic: bool = True
    connected: bool = True
    certificate: Any = None
    identify_ms: float = 0.0  # wall time of identify(), milliseconds


def summary_spec(matrix: Any, frozen: list[bool]) -> SummarySpec:
    """The spec of the drawing ``matrix`` (square, document order) with ``frozen`` flags."""
    return SummarySpec(as_spec_matrix(matrix), tuple(bool(f) for f in frozen))


def _document_matrix(rows: Matrix) -> np.ndarray:
    """int64 when every entry fits, else an object array of Python ints."""
    a = np.array(rows, dtype=object) if rows else np.zeros((0, 0), dtype=object)
    return a.astype(np.int64) if a.size and max(abs(int(x)) for x in a.flat) < 2**62 else a


def run_summary(spec: SummarySpec, ctx: JobContext) -> QuiverSummary:
    """Identify the type of the mutable part and describe the drawing (see the section note)."""
    import networkx as nx

    from .core.class_size import class_size
    from .core.identify import identify
    from .core.info import quiver_info

    full = _document_matrix(spec.matrix)
    n_all = full.shape[0]
    mutable = [i for i in range(n_all) if not spec.frozen[i]]
    frozen = [i for i in range(n_all) if spec.frozen[i]]
    pos = full > 0 if n_all else np.zeros((0, 0), dtype=bool)
    n_arrows = int(sum(int(x) for x in full[pos])) if n_all else 0
    max_mult = int(max((int(x) for x in full[pos]), default=0)) if n_all else 0
    if not mutable:
        return QuiverSummary(
            0, n_all, n_arrows, max_mult, "empty", "", True, "no mutable vertex: click on the canvas to add one"
        )
    b = full[np.ix_(mutable + frozen, mutable)]  # Sage's (n + m) x n exchange matrix
    facts = quiver_info(b)
    ctx.check_cancelled()
    t0 = time.perf_counter()
    res = identify(b)
    ms = (time.perf_counter() - t0) * 1e3
    ev = dict(res.evidence or {})

    def glob(v: Any) -> int:
        """Principal-part index -> document index."""
        return mutable[int(v)]

    hv = [glob(v) for v in ev.get("highlight_vertices", []) if 0 <= int(v) < len(mutable)]
    ha = [
        (glob(a[0]), glob(a[1]))
        for a in ev.get("highlight_arrows", [])
        if 0 <= int(a[0]) < len(mutable) and 0 <= int(a[1]) < len(mutable)
    ]
    size = None
    if res.family not in ("infinite", "unknown", "product"):
        try:
            size = class_size(res.label, allow_enumeration=False)
        except ValueError:
            size = None
    g = nx.DiGraph()
    g.add_nodes_from(range(n_all))
    g.add_edges_from((int(i), int(j)) for i, j in zip(*np.nonzero(pos), strict=True))
    description = str(ev.get("description", ""))
    if res.certificate:
        description += (
            "  Certificate: mutate at "
            + ", ".join(str(mutable[int(k)]) for k in res.certificate)
            + " (document vertex numbers)."
        )
    return QuiverSummary(
        n_mutable=len(mutable),
        n_frozen=len(frozen),
        n_arrows=n_arrows,
        max_multiplicity=max_mult,
        label=str(res.label),
        family=str(res.family or ""),
        finite_mutation=res.finite_mutation,
        description=description,
        highlight_vertices=hv,
        highlight_arrows=ha,
        class_size=size,
        sinks=[glob(v) for v in facts["sinks"]],
        sources=[glob(v) for v in facts["sources"]],
        acyclic=bool(facts["acyclic"]),
        connected=n_all == 0 or nx.is_weakly_connected(g),
        certificate=[mutable[int(k)] for k in res.certificate] if res.certificate else res.certificate,
        identify_ms=ms,
    )


# --------------------------------------------------------------------------- random walk


@dataclass(frozen=True)
class RandomWalkSpec:
    """``steps`` random mutations (never the same vertex twice in a row)."""

    b: Matrix
    steps: int = 20
    seed: int = 0
    device: str = "cpu"


@dataclass
class RandomWalkResult:
    sequence: list[int]
    matrices: list[np.ndarray]  # after each step
    max_abs_entry: int


def run_random_walk(spec: RandomWalkSpec, ctx: JobContext) -> RandomWalkResult:
    from .core.mutation import mutate

    b = _validated(spec.b)
    n = b.shape[1]
    if n == 0:
        raise JobError("the quiver has no mutable vertex")
    rng = np.random.default_rng(spec.seed)
    seq, mats, last = [], [], -1
    cur = b
    for step in range(spec.steps):
        ctx.check_cancelled()
        k = int(rng.integers(n))
        if n > 1 and k == last:
            k = (k + 1 + int(rng.integers(n - 1))) % n
        cur = mutate(cur, k)
        seq.append(k)
        mats.append(cur)
        last = k
        ctx.progress((step + 1) / max(spec.steps, 1), f"step {step + 1}")
    mx = max((int(np.abs(m).max()) for m in mats), default=int(np.abs(b).max()) if b.size else 0)
    return RandomWalkResult(seq, mats, mx)


# --------------------------------------------------------------------------- equivalence, size


@dataclass(frozen=True)
class EquivalenceSpec:
    b1: Matrix
    b2: Matrix
    max_class: int = 50_000
    device: str = "cpu"


def run_equivalence(spec: EquivalenceSpec, ctx: JobContext) -> tuple[bool | None, str]:
    from .core.equivalence import mutation_equivalent

    return mutation_equivalent(_validated(spec.b1), _validated(spec.b2), max_class=spec.max_class)


# --------------------------------------------------------------------------- classify many


@dataclass(frozen=True)
class ClassifySpec:
    """Identify every quiver of a JSON-lines / benchmark-CSV file."""

    path: str
    seed: int = 0
    device: str = "cpu"


def run_classify(spec: ClassifySpec, ctx: JobContext) -> list[dict[str, Any]]:
    from .core.formats import read_quiver_list
    from .core.identify import identify

    try:
        mats = read_quiver_list(spec.path)
    except (OSError, ValueError) as exc:  # the message names the file
        raise JobError(str(exc)) from None
    out = []
    for i, b in enumerate(mats):
        ctx.check_cancelled()
        d = identify(b, seed=spec.seed).to_dict()
        d = {"index": i, **d}
        out.append(d)
        ctx.progress((i + 1) / len(mats), f"{i + 1}/{len(mats)}")
    return out


# --------------------------------------------------------------------------- cluster algebra


@dataclass(frozen=True)
class ClusterSeedSpec:
    """The seed reached from the initial seed of ``b`` along ``path`` (Sage's conventions)."""

    b: Matrix
    path: tuple[int, ...] = ()
    device: str = "cpu"


def run_cluster_seed(spec: ClusterSeedSpec, ctx: JobContext) -> dict[str, Any]:
    """Cluster variables, g-, c-, d-vectors and F-polynomials after ``spec.path``
    (:meth:`.core.cluster_algebra.ClusterSeed.to_dict`), plus LaTeX of the cluster variables."""
    from .core.cluster_algebra import ClusterSeed

    b = _validated(spec.b)
    try:
        seed = ClusterSeed.initial(b)
        for i, k in enumerate(spec.path):
            ctx.check_cancelled()
            seed = seed.mutate(k)
            ctx.progress((i + 1) / max(len(spec.path), 1), f"mutation {i + 1}/{len(spec.path)}")
    except ValueError as exc:
        raise JobError(str(exc)) from None
    d = seed.to_dict()
    d["latex"] = [v.to_latex() for v in seed.cluster()]
    d["fractions"] = [list(v.fraction_parts()) for v in seed.cluster()]
    d["green"] = [k for k, c in enumerate(d["c_vectors"]) if min(c) >= 0]
    return d


@dataclass(frozen=True)
class GreenSequenceSpec:
    """Maximal green sequence search (:func:`.core.green.maximal_green_sequences`)."""

    b: Matrix
    max_length: int | None = None
    max_states: int = 200_000
    convention: str = "sage"
    device: str = "cpu"


def run_green_sequences(spec: GreenSequenceSpec, ctx: JobContext) -> Any:
    """The shortest and longest maximal green sequences found, their number and lengths
    (a :class:`.core.green.GreenSearchResult`); cancellable, progress in states visited."""
    from .core.green import maximal_green_sequences

    b = _validated(spec.b)

    def check(states: int) -> None:
        ctx.check_cancelled()
        ctx.progress(min(states / max(spec.max_states, 1), 0.99), f"{states} framed quivers")

    try:
        res = maximal_green_sequences(
            b, max_length=spec.max_length, max_states=spec.max_states, check=check, convention=spec.convention
        )
    except ValueError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(1.0, f"{res.states} framed quivers")
    return res


@dataclass(frozen=True)
class ExchangeGraphSpec:
    """The exchange graph of ``b``, every cluster variable computed; ``vertices``: clusters
    (default), labelled seeds or quivers up to isomorphism (:data:`.core.exchange_graph.VERTEX_KINDS`)."""

    b: Matrix
    max_clusters: int = 200_000
    variables: bool = True
    expected: int | None = None  # the known number of clusters, for the progress bar
    device: str = "cpu"
    vertices: str = "clusters"


@dataclass
class ExchangeGraphResult:
    """Plain data of an exchange graph: clusters (sorted variable ids per vertex), edges
    ``(i, j, k)`` with ``j = mu_k(i)``, g-vectors and cluster variables (Sage strings, principal
    coefficients set to 1) per variable id, a shortest mutation path to each vertex; vertices:
    what a vertex is (clusters, labelled seeds, quivers: then ``clusters`` holds canonical
    exchange matrices, :class:`.core.exchange_graph.ExchangeGraph`)."""

    n: int
    clusters: list[tuple[int, ...]]
    edges: list[tuple[int, int, int]]
    g_vectors: list[tuple[int, ...]]
    variables: list[str]
    paths: list[tuple[int, ...]]
    vertices: str = "clusters"

    @property
    def n_vertices(self) -> int:
        return len(self.clusters)

    @property
    def n_edges(self) -> int:
        return len(self.edges)


def run_exchange_graph(spec: ExchangeGraphSpec, ctx: JobContext) -> ExchangeGraphResult:
    from .core.exchange_graph import exchange_graph

    b = _validated(spec.b)

    def check(count: int) -> None:
        ctx.check_cancelled()
        total = spec.expected or spec.max_clusters
        ctx.progress(min(count / max(total, 1), 0.99), f"{count} clusters")

    try:
        g = exchange_graph(
            b, max_clusters=spec.max_clusters, variables=spec.variables, check=check, vertices=spec.vertices
        )
    except ValueError as exc:
        raise JobError(str(exc)) from None
    names: list[str] = []
    if spec.variables and g.ring is not None:
        ring = g.ring
        ones = {i: 1 for i in ring.principal}
        keep = list(range(ring.n + ring.m))
        for v in g.variables:
            names.append(v.specialise(ones).project(ring.plain_ctx, keep).to_str() if v is not None else "")
    ctx.progress(1.0, f"{g.n_vertices} clusters")
    return ExchangeGraphResult(g.n, g.clusters, g.edges, g.g_vectors, names, g.paths, g.vertices)


#: the most clusters the Cluster tab draws (a drawing of more is unreadable and slow to lay out)
DRAW_LIMIT = 2_000


@dataclass(frozen=True)
class ExchangeGraphDrawingSpec:
    """The exchange graph of ``b`` laid out for drawing (:func:`.core.exchange_graph.layout_positions`);
    refused beyond ``max_clusters`` clusters."""

    b: Matrix
    max_clusters: int = DRAW_LIMIT
    layout: str = "auto"
    seed: int = 0
    device: str = "cpu"
    vertices: str = "clusters"


@dataclass
class ExchangeGraphDrawing:
    """clusters, edges ``(i, j, k)`` and shortest mutation paths (from vertex 0, the initial seed)
    as in :class:`ExchangeGraphResult`; positions: (vertices x 2) in [-1, 1]."""

    n: int
    clusters: list[tuple[int, ...]]
    edges: list[tuple[int, int, int]]
    paths: list[tuple[int, ...]]
    positions: np.ndarray
    vertices: str = "clusters"

    @property
    def n_vertices(self) -> int:
        return len(self.clusters)

    @property
    def n_edges(self) -> int:
        return len(self.edges)


def run_exchange_graph_drawing(spec: ExchangeGraphDrawingSpec, ctx: JobContext) -> ExchangeGraphDrawing:
    from .core.exchange_graph import TooManyClusters, exchange_graph, layout_positions

    b = _validated(spec.b)

    def check(count: int) -> None:
        ctx.check_cancelled()
        ctx.progress(min(0.5 * count / max(spec.max_clusters, 1), 0.5), f"{count} clusters")

    try:
        g = exchange_graph(b, max_clusters=spec.max_clusters, variables=False, check=check, vertices=spec.vertices)
    except TooManyClusters:
        what = {"clusters": "clusters", "labelled": "labelled seeds", "quivers": "quivers"}.get(spec.vertices, "")
        raise JobError(
            f"more than {spec.max_clusters} {what} (or not of finite type): too many to draw; "
            "the Exchange graph button counts up to 200,000"
        ) from None
    except ValueError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(0.6, f"laying out {g.n_vertices} clusters")
    try:
        pos = layout_positions(g.n_vertices, g.edges, spec.layout, spec.seed)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(1.0, f"{g.n_vertices} clusters")
    return ExchangeGraphDrawing(g.n, g.clusters, g.edges, g.paths, pos, g.vertices)
