"""The quiver editor's settings as one Qt-free state object (:class:`QuiverState`), the saved
form of its document, and the kept-result type of an enumerated class.

The quiver itself (matrix, positions, frozen flags, labels, mutation history) lives in
:class:`workbench_quiver.ui.model.QuiverDocument` with its command stack; the panel saves it
beside the settings (:func:`document_to_dict`, :func:`document_from_dict`).  Everything else
the panel lets a user choose is a typed field declared once here (range, choices, label,
tooltip): the editor mode and layout, the random walk and its seed, the enumeration limits,
the GNN explanation and explorer settings with their seeds, the shown tab.  The job specs are
built from these fields (:meth:`QuiverState.enumerate_spec`, :meth:`GnnSettings.explain_spec`,
:meth:`GnnSettings.embed_spec`, :meth:`GnnSettings.predict_spec`), so the same settings give
the same spec whether they come from the widgets or from a session.

State versions
--------------
1. the hand-written ``QuiverPanel.state()`` of the first release: the document keys plus
   ``mode``, ``layout``, ``show_evidence`` (restored as ``bool(value)``) and ``tab`` (ignored
   unless an index of an existing tab).
2. this module: every setting of the panel, values out of range refused with a message; the
   migration from 1 applies what version 1's restore did (``show_evidence`` as a bool, an
   unusable ``tab`` dropped) and leaves the new settings at their defaults.  Later
   additions within version 2 (a state without them keeps the current values, an older
   release ignores them): ``sequence`` (the typed mutation sequence), ``show_matrix``,
   ``gnn_model`` and ``invariant_checkpoint`` (the live prediction's classifier), and the
   Cluster tab's ``cluster_path``, ``cluster_vertices`` and ``cluster_convention``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from workbench.state import Bool, Choice, Int, PanelState, Seed, Str

from .gnn.jobs import EmbedSpec, ExplainSpec, PredictSpec, as_matrix
from .jobs import EnumerateResult, EnumerateSpec, Matrix, as_spec_matrix
from .ui.layout import LAYOUTS
from .ui.model import MutationHistory, QuiverDocument, QuiverSnapshot, check_document

#: the editor's modes (the canvas refuses others)
MODES = ("edit", "mutate", "move")
#: the side tabs, in order (the ``tab`` field is an index into this)
TABS = ("Info", "History", "Gallery", "Class", "GNN", "Explorer", "Cluster")
#: explanation methods (the same as ``gnn.explain.METHODS``, which needs torch to import)
EXPLAIN_METHODS = ("GNNExplainer", "PGExplainer", "IntegratedGradients")
METHOD_TITLES = {
    "GNNExplainer": "GNNExplainer",
    "PGExplainer": "PGExplainer",
    "IntegratedGradients": "Integrated Gradients",
}
#: the live prediction's classifiers (``PredictSpec.model``)
GNN_MODELS = ("dirgine", "invariant")
GNN_MODEL_TITLES = {"dirgine": "DirGINE (message passing)", "invariant": "S_n-invariant (2 -> 2 layers)"}
#: the explorer's built-in quiver sets: id -> (title, mutation types enumerated)
EXPLORER_SETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "D7-D9": ("D7-D9 (Vatne types)", ("D7", "D8", "D9")),
    "D10": ("D10", ("D10",)),
    "A-D-8": ("A, D, A~, D~ on 8 vertices", ("A8", "D8", "A~7,1", "A~6,2", "A~5,3", "A~4,4", "D~7")),
}
#: the explorer's embedding layers: after message-passing layer 1..4, or the head
EXPLORER_LAYERS = ("1", "2", "3", "4", "head")
#: what a vertex of the Cluster tab's exchange graph is (``core.exchange_graph.VERTEX_KINDS``,
#: repeated here so this module does not import the cluster algebra's FLINT)
CLUSTER_VERTICES = ("clusters", "labelled", "quivers")
CLUSTER_VERTEX_TITLES = {
    "clusters": "clusters (seeds up to permutation)",
    "labelled": "labelled seeds",
    "quivers": "quivers up to isomorphism",
}
#: the keys of the saved document (the same in versions 1 and 2)
DOCUMENT_KEYS = ("matrix", "positions", "frozen", "labels", "history")


def _from_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: what version 1's ``restore`` did to a saved state (see the module doc)."""
    out = dict(doc)
    if "show_evidence" in out:
        out["show_evidence"] = bool(out["show_evidence"])
    tab = out.get("tab")
    if "tab" in out and not (isinstance(tab, int) and not isinstance(tab, bool) and 0 <= tab < len(TABS)):
        del out["tab"]
    return out


class GnnSettings(PanelState):
    """Settings of the GNN widgets (prediction, explanation, explorer): the part of the quiver
    panel's state that :class:`workbench_quiver.ui.gnn_host.GnnDemoPanel` uses on its own.

    ``explain_seed`` seeds GNNExplainer's initial masks, PGExplainer's training quivers and
    weights, and the random arrows of the masking baseline; ``explorer_seed`` the subsample of
    points and the linear probe's train/test split.
    """

    PLUGIN = "quiver"
    VERSION = 2
    MIGRATIONS = {1: _from_v1}

    checkpoint = Str(
        "",
        label="GNN checkpoint",
        placeholder="shipped default",
        tooltip="a DirGINE checkpoint (.safetensors with its sidecar); empty: the shipped default",
    )
    gnn_model = Choice(
        "dirgine",
        choices=GNN_MODELS,
        display=GNN_MODEL_TITLES,
        label="Model",
        tooltip="the live prediction's classifier: the DirGINE message-passing network (its checkpoint "
        "above; explanations and the explorer always use it) or the S_n-invariant network on the "
        "exchange matrix (2 -> 2 equivariant layers, plugin 'equivariant')",
    )
    invariant_checkpoint = Str(
        "",
        label="Invariant checkpoint",
        placeholder="shipped default",
        tooltip="an S_n-invariant classifier checkpoint ('workbench equivariant train-quiver'); "
        "empty: the shipped default",
    )
    explain_method = Choice(
        "GNNExplainer",
        choices=EXPLAIN_METHODS,
        display=METHOD_TITLES,
        label="Method",
        tooltip="GNNExplainer and PGExplainer learn soft arrow masks; Integrated Gradients "
        "integrates the gradient along a path from the empty quiver",
    )
    explain_k = Int(
        2,
        lo=0,
        hi=20,
        label="Mask top-k arrows",
        tooltip="mask (delete) the k most important arrows and predict again; 0 = no masking",
    )
    explain_show = Bool(True, label="Show on quiver", tooltip="draw the importances on the canvas")
    explain_seed = Seed(
        0,
        label="Seed",
        tooltip="seed of the explainer's initial masks, PGExplainer's training "
        "and the random arrows of the masking baseline",
    )
    explorer_data = Choice(
        "D7-D9",
        choices=(*EXPLORER_SETS, "file"),
        label="Quivers",
        display={**{k: v[0] for k, v in EXPLORER_SETS.items()}, "file": "File (.npz) ..."},
        tooltip="the quivers embedded: a built-in set of mutation classes or a dataset file",
    )
    explorer_file = Str(
        "",
        label="Dataset file",
        placeholder="GNN dataset (.npz)",
        tooltip="a dataset written by 'workbench quiver dataset' (used with Quivers = File)",
    )
    explorer_layer = Choice(
        "head",
        choices=EXPLORER_LAYERS,
        label="Embedding",
        display={**{k: f"after layer {k}" for k in EXPLORER_LAYERS[:-1]}, "head": "head (penultimate)"},
        tooltip="the pooled representation after this message-passing layer",
    )
    explorer_colour = Choice(
        "vatne", choices=("vatne", "type"), label="Colour by", display={"vatne": "Vatne type (D)", "type": "family"}
    )
    explorer_points = Int(
        3000,
        lo=10,
        hi=200_000,
        step=100,
        label="Max points",
        tooltip="a random subsample (with the seed) of at most this many quivers",
    )
    explorer_seed = Seed(0, label="Seed", tooltip="seed of the subsample of points and of the probe's train/test split")

    # ---- job specs ----------------------------------------------------------------------------
    def predict_spec(self, b: Any) -> PredictSpec:
        """The live prediction of the exchange matrix ``b``."""
        if self.gnn_model == "invariant":
            return PredictSpec(b=as_matrix(b), checkpoint=self.invariant_checkpoint, model="invariant")
        return PredictSpec(b=as_matrix(b), checkpoint=self.checkpoint)

    def explain_spec(self, b: Any) -> ExplainSpec:
        """The explanation of the prediction of ``b`` these settings describe."""
        return ExplainSpec(
            b=as_matrix(b),
            method=self.explain_method,
            k=self.explain_k,
            checkpoint=self.checkpoint,
            seed=self.explain_seed,
        )

    def embed_spec(self) -> EmbedSpec:
        """The explorer's embedding; ``ValueError`` when a file is chosen but none is given."""
        if self.explorer_data == "file":
            path = self.explorer_file.strip()
            if not path:
                raise ValueError("choose a dataset file (.npz) for the explorer, or a built-in set of quivers")
            data, types = path, EXPLORER_SETS["D7-D9"][1]
        else:
            data, types = "", EXPLORER_SETS[self.explorer_data][1]
        layer = -1 if self.explorer_layer == "head" else int(self.explorer_layer) - 1
        return EmbedSpec(
            data=data,
            probe_types=types,
            layer=layer,
            colour=self.explorer_colour,
            max_points=self.explorer_points,
            checkpoint=self.checkpoint,
            seed=self.explorer_seed,
        )


class QuiverState(GnnSettings):
    """Settings of the quiver editor (plugin ``quiver``); see the module doc.

    ``seed`` seeds the panel's random generator: random mutations (R), random walks (W) and
    spring layouts, so the same seed repeats the same sequence from a fresh panel.
    """

    mode = Choice("edit", choices=MODES, label="mode", tooltip="edit: draw; mutate: click to mutate; move: drag")
    layout = Choice(
        "spring",
        choices=LAYOUTS,
        label="layout",
        tooltip="Layout applied by 'Layout' (L); 'keep' keeps positions when loading",
    )
    walk_steps = Int(25, lo=1, hi=10_000, label="walk steps", tooltip="number of steps of the random walk")
    seed = Seed(0, label="random seed", tooltip="seed of random mutations, random walks and spring layouts")
    show_evidence = Bool(True, label="Highlight evidence on the canvas")
    enum_depth = Int(
        0,
        lo=0,
        hi=200,
        label="max depth",
        tooltip="Largest mutation distance from this quiver to enumerate (all: the whole class)",
    )
    enum_max_size = Int(
        200_000,
        lo=1,
        hi=5_000_000,
        step=10_000,
        label="max size",
        tooltip="stop the enumeration once this many quivers are known (mutation-infinite classes never end otherwise)",
    )
    tab = Int(0, lo=0, hi=len(TABS) - 1, label="tab", tooltip="the side tab shown: " + ", ".join(TABS))
    sequence = Str(
        "",
        label="mutation sequence",
        placeholder="mutation sequence, e.g. 1 3 2 1",
        tooltip="vertex labels to mutate at, in order (Play mutates along them, Step one at a time)",
    )
    show_matrix = Bool(True, label="B-matrix", tooltip="show the B-matrix beside the canvas (edit it by typing)")
    cluster_path = Str(
        "",
        label="cluster path",
        placeholder="mutation path from this quiver (vertex labels), e.g. 1 3 2",
        tooltip="Vertex labels of mutable vertices, in order; empty: the initial seed x0..x{n-1}",
    )
    cluster_vertices = Choice(
        "clusters",
        choices=CLUSTER_VERTICES,
        display=CLUSTER_VERTEX_TITLES,
        label="vertices",
        tooltip="what a vertex of the exchange graph is: a cluster (seeds up to permuting their cluster "
        "variables: the exchange graph of the cluster algebra, A_n has Catalan C_{n+1}), a labelled seed "
        "(ordered cluster), or a quiver up to isomorphism (the mutation class)",
    )
    cluster_convention = Choice(
        "keller",
        choices=("keller", "sage"),
        label="framing",
        tooltip="Framed quiver: Keller's (arrows i -> i', green: no arrow from a frozen vertex into it) or "
        "Sage's principal extension (green: c-vector >= 0 in Sage's B)",
    )

    def enumerate_spec(self, b: Any) -> EnumerateSpec:
        """The enumeration of the class of ``b`` with these limits (depth 0 = no depth limit)."""
        return EnumerateSpec(b=as_spec_matrix(b), max_depth=self.enum_depth or None, max_size=self.enum_max_size)


# ---- the document -------------------------------------------------------------------------------
def _int_rows(m: Any) -> list[list[int]]:
    return [[int(x) for x in row] for row in np.asarray(m)]


def document_to_dict(doc: QuiverDocument) -> dict[str, Any]:
    """The document keys of the panel state (JSON; exact integers of any size)."""
    h = doc.history
    return {
        "matrix": _int_rows(doc.matrix),
        "positions": [[float(x), float(y)] for x, y in doc.positions],
        "frozen": list(doc.frozen),
        "labels": list(doc.labels),
        "history": {
            "start": _int_rows(h.start),
            "sequence": list(h.sequence),
            "pointer": h.pointer,
            "start_label": h.start_label,
        },
    }


def _matrix(rows: Any, what: str) -> np.ndarray:
    """A saved square integer matrix: int64 when it fits, else an object array of Python ints."""
    a = np.array(rows, dtype=object)
    if a.size == 0:
        return np.zeros((0, 0), dtype=np.int64)
    if a.ndim != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in a.flat):
        raise ValueError(f"quiver: '{what}' must be a square list of integer rows")
    try:
        return a.astype(np.int64)
    except OverflowError:
        return a


def document_from_dict(state: dict[str, Any]) -> tuple[QuiverSnapshot, MutationHistory]:
    """The document a panel state holds; ``ValueError`` naming what is wrong (nothing changes)."""
    try:
        m = _matrix(state["matrix"], "matrix")
        positions = [tuple(p) for p in state["positions"]]
        if not all(
            len(p) == 2 and all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in p)
            for p in positions
        ):
            raise ValueError("quiver: 'positions' must be [x, y] pairs of finite numbers")
        frozen, labels = list(state["frozen"]), list(state["labels"])
        if not all(isinstance(f, bool) for f in frozen) or not all(isinstance(s, str) for s in labels):
            raise ValueError("quiver: 'frozen' must be booleans and 'labels' strings")
        check_document(m, positions, frozen, labels)
        h = state.get("history", {})
        if not isinstance(h, dict):
            raise ValueError("quiver: 'history' must be an object")
        start = _matrix(h.get("start", state["matrix"]), "history start")
        if start.shape != m.shape:
            raise ValueError("quiver: the history's start quiver has a different number of vertices")
        seq = list(h.get("sequence", []))
        if not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < m.shape[0] for k in seq):
            raise ValueError("quiver: history sequence holds an invalid vertex")
        pointer = h.get("pointer", 0)
        if isinstance(pointer, bool) or not isinstance(pointer, int) or not 0 <= pointer <= len(seq):
            raise ValueError("quiver: history pointer out of range")
    except KeyError as exc:
        raise ValueError(f"quiver: state lacks {exc}") from None
    except TypeError as exc:
        raise ValueError(f"quiver: malformed state ({exc})") from None
    snap = QuiverSnapshot(m, [(float(x), float(y)) for x, y in positions], frozen, labels)
    return snap, MutationHistory(start, seq, pointer, str(h.get("start_label", "start")))


# ---- kept results -------------------------------------------------------------------------------
@dataclass
class EnumeratedClass:
    """An enumerated class with the drawing it started from (plain data, kept in sessions).

    ``result``: the job's :class:`~workbench_quiver.jobs.EnumerateResult` (member ``i`` is
    reached from the start by ``result.paths[i]``, in mutable-vertex indices); ``start``,
    ``positions``, ``frozen``, ``labels``: the drawing at the start (the members are drawn with
    its positions, and loading a member mutates it along the path); ``order``: the document
    vertices in the row order of B; ``history_start``: the start of the document's mutation
    history then (a quiver whose history starts there is a mutation of the start).
    """

    result: EnumerateResult
    start: Matrix
    positions: tuple[tuple[float, float], ...]
    frozen: tuple[bool, ...]
    labels: tuple[str, ...]
    order: tuple[int, ...]
    history_start: Matrix

    @classmethod
    def of(cls, result: EnumerateResult, doc: QuiverDocument) -> EnumeratedClass:
        """The class ``result`` enumerated from the document as it is now."""
        return cls(
            result,
            as_spec_matrix(doc.matrix),
            tuple((float(x), float(y)) for x, y in doc.positions),
            tuple(doc.frozen),
            tuple(doc.labels),
            tuple(doc.vertex_order()),
            as_spec_matrix(doc.history.start),
        )

    def with_result(self, result: EnumerateResult) -> EnumeratedClass:
        return replace(self, result=result)

    def start_snapshot(self) -> QuiverSnapshot:
        return QuiverSnapshot(
            _matrix([list(r) for r in self.start], "class start"),
            list(self.positions),
            list(self.frozen),
            list(self.labels),
        )

    def contains_by_history(self, doc: QuiverDocument) -> bool:
        """Whether ``doc`` is the start mutated: its history starts at the start or where the
        start's history did (a loaded member starts at the start), with the same frozen
        vertices; then it belongs to the class."""
        return (
            doc.size == len(self.frozen)
            and tuple(doc.frozen) == self.frozen
            and as_spec_matrix(doc.history.start) in (self.history_start, self.start)
        )
