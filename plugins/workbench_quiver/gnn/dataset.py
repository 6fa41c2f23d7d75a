"""Mutation-class datasets for the GNN classifier and the B-matrix -> graph conversion (Qt-free).

Data of arXiv 2411.07467 (section on the GNN classifier):

* training: full mutation classes (exact enumeration, up to isomorphism) of A, D, A~ and D~ on
  7-10 vertices (A~ for every orientation split p >= q >= 1, p + q = n; D~_k has k + 1
  vertices), E6, E7, E8, E~6, E~7, E~8, and E10 to mutation depth 8;
* test: full classes on 11 vertices (A11, every A~p,q with p + q = 11, D11, D~10) and E11 to
  depth 8.

Families (the classes of the classifier) are the types without their rank:
``A, D, E, A~, D~, E~`` (:data:`workbench_quiver.gnn.FAMILIES`).

Storage (pickle-free): one ``.npz`` with the arrays

``n_nodes`` (G,) int16, ``edge_ptr`` (G+1,) int64, ``edges`` (E, 2) int16 (i, j) for ``b[i,j] > 0``,
``mult`` (E,) int64 (``b[i,j]``: that many arrows i -> j), ``label`` (G,) int8 (family index),
``type_index`` (G,) int16 into ``types``, ``depth`` (G,) int16 (mutation distance from the
standard quiver), ``types`` (T,) unicode, ``families`` (6,) unicode

and a ``.json`` beside it with the provenance (types, sizes, seed, code version, seconds).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import FAMILIES
from .features import block_features

CODE_VERSION = "quiver-gnn-data/1"


# ---------------------------------------------------------------------------------------------
# type lists


def family_of(label: str) -> str:
    """Family of a type label: ``"A~5,3" -> "A~"``, ``"E10" -> "E"``, ``"D~9" -> "D~"``."""
    for fam in ("A~", "D~", "E~"):
        if label.startswith(fam):
            return fam
    fam = label[0]
    if fam not in FAMILIES:
        raise ValueError(f"type {label!r} is not in the classifier's families {FAMILIES}")
    return fam


def types_on(n: int, families: Sequence[str] = ("A", "D", "A~", "D~")) -> list[str]:
    """Type labels with exactly ``n`` vertices in the given families (E only n >= 6, E~ n in 7..9)."""
    out: list[str] = []
    for fam in families:
        if fam == "A" and n >= 1:
            out.append(f"A{n}")
        elif fam == "D" and n >= 4:
            out.append(f"D{n}")
        elif fam == "A~" and n >= 2:
            out += [f"A~{n - q},{q}" for q in range(1, n // 2 + 1)]
        elif fam == "D~" and n >= 5:
            out.append(f"D~{n - 1}")
        elif fam == "E" and n >= 6 and n != 9:  # E9 is E~8
            out.append(f"E{n}")
        elif fam == "E~" and n in (7, 8, 9):
            out.append(f"E~{n - 1}")
    return out


def standard_b(label: str) -> np.ndarray:
    """Standard exchange matrix of ``label``; E_n for any n >= 6 is the star with arms 1, 2, n - 4
    (E9 = E~8; E_n, n >= 10, is mutation-infinite)."""
    from ..core.standard import standard_quiver, tree_quiver

    if label.startswith("E") and not label.startswith("E~") and label[1:].isdigit():
        n = int(label[1:])
        if n < 6:
            raise ValueError(f"E{n} does not exist (E_n needs n >= 6)")
        return tree_quiver((1, 2, n - 4))
    return standard_quiver(label)


def is_mutation_finite_type(label: str) -> bool:
    fam = family_of(label)
    return not (fam == "E" and int(label[1:]) >= 10)


@dataclass(frozen=True)
class DatasetRecipe:
    """Which classes to enumerate.  ``depth`` bounds mutation-infinite classes (E_n, n >= 10)."""

    sizes: tuple[int, ...] = (7, 8, 9, 10)
    families: tuple[str, ...] = ("A", "D", "A~", "D~")
    extra_types: tuple[str, ...] = ("E6", "E7", "E8", "E~6", "E~7", "E~8", "E10")
    depth: int = 8

    def types(self) -> list[str]:
        out: list[str] = []
        for n in self.sizes:
            out += types_on(n, self.families)
        for t in self.extra_types:
            if t not in out:
                out.append(t)
        return out


TRAIN_RECIPE = DatasetRecipe()
TEST_RECIPE = DatasetRecipe(sizes=(11,), extra_types=("E11",))


# ---------------------------------------------------------------------------------------------
# the dataset container


@dataclass
class QuiverDataset:
    """Quivers as edge lists with family labels; see the module docstring for the arrays."""

    n_nodes: np.ndarray
    edge_ptr: np.ndarray
    edges: np.ndarray
    mult: np.ndarray
    label: np.ndarray
    type_index: np.ndarray
    depth: np.ndarray
    types: list[str]
    provenance: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(len(self.n_nodes))

    def b(self, i: int) -> np.ndarray:
        """Exchange matrix of quiver ``i``."""
        n = int(self.n_nodes[i])
        out = np.zeros((n, n), dtype=np.int64)
        lo, hi = int(self.edge_ptr[i]), int(self.edge_ptr[i + 1])
        e = self.edges[lo:hi].astype(np.int64)
        out[e[:, 0], e[:, 1]] = self.mult[lo:hi]
        out[e[:, 1], e[:, 0]] = -self.mult[lo:hi]
        return out

    def type_of(self, i: int) -> str:
        return self.types[int(self.type_index[i])]

    def subset(self, idx: Sequence[int] | np.ndarray) -> QuiverDataset:
        idx = np.asarray(idx, dtype=np.int64)
        return from_matrices(
            [self.b(int(i)) for i in idx],
            [self.type_of(int(i)) for i in idx],
            depth=self.depth[idx],
            provenance=dict(self.provenance, subset=len(idx)),
        )

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t, c in zip(*np.unique(self.type_index, return_counts=True), strict=True):
            out[self.types[int(t)]] = int(c)
        return out


def from_matrices(
    bs: Sequence[np.ndarray],
    type_labels: Sequence[str],
    depth: Iterable[int] | None = None,
    provenance: dict | None = None,
) -> QuiverDataset:
    """Build a dataset from square exchange matrices and their type labels."""
    if len(bs) != len(type_labels):
        raise ValueError(f"{len(bs)} matrices but {len(type_labels)} labels")
    types: list[str] = []
    tindex: dict[str, int] = {}
    n_nodes = np.zeros(len(bs), dtype=np.int16)
    ptr = np.zeros(len(bs) + 1, dtype=np.int64)
    edge_chunks, mult_chunks = [], []
    tix = np.zeros(len(bs), dtype=np.int16)
    lab = np.zeros(len(bs), dtype=np.int8)
    for g, (b, t) in enumerate(zip(bs, type_labels, strict=True)):
        b = np.asarray(b)
        n = b.shape[1]
        s = b[:n, :n]
        i, j = np.nonzero(s > 0)
        edge_chunks.append(np.stack([i, j], 1).astype(np.int16))
        mult_chunks.append(np.asarray(s[i, j], dtype=np.int64))
        n_nodes[g] = n
        ptr[g + 1] = ptr[g] + len(i)
        if t not in tindex:
            tindex[t] = len(types)
            types.append(t)
        tix[g] = tindex[t]
        lab[g] = FAMILIES.index(family_of(t))
    edges = np.concatenate(edge_chunks) if edge_chunks else np.zeros((0, 2), np.int16)
    mult = np.concatenate(mult_chunks) if mult_chunks else np.zeros(0, np.int64)
    d = np.zeros(len(bs), dtype=np.int16) if depth is None else np.asarray(list(depth), dtype=np.int16)
    return QuiverDataset(n_nodes, ptr, edges, mult, lab, tix, d, types, dict(provenance or {}))


def build_dataset(
    recipe: DatasetRecipe,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    seed: int = 0,
) -> QuiverDataset:
    """Enumerate every class of ``recipe`` with the exact core (breadth-first over canonical
    forms) and collect the members.  Deterministic; ``seed`` is recorded only (enumeration
    uses no randomness).  The same as :func:`assemble_dataset` of :func:`class_members` of
    every type (what a sweep runs as one task per type, :mod:`workbench_quiver.gnn.sweeps`)."""
    t0 = time.perf_counter()
    types = recipe.types()
    weights = np.array([_cost_guess(t) for t in types], dtype=float)
    done = 0.0
    members: list[tuple[list[np.ndarray], list[int]]] = []
    for t, w in zip(types, weights, strict=True):
        if cancelled is not None and cancelled():
            raise InterruptedError("dataset build cancelled")
        base = done / weights.sum()
        span = w / weights.sum()

        def _p(f: float, msg: str, _b=base, _s=span, _t=t) -> None:
            if progress is not None:
                progress(_b + _s * f, f"{_t}: {msg}")

        members.append(class_members(t, recipe.depth, _p, cancelled))
        done += w
    ds = assemble_dataset(recipe, types, members, seed, time.perf_counter() - t0)
    if progress is not None:
        progress(1.0, f"{len(ds)} quivers")
    return ds


def class_members(
    label: str,
    depth: int,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[list[np.ndarray], list[int]]:
    """The members of the mutation class of type ``label`` (exchange matrices, in the
    enumeration's order) and their mutation depths: the whole class of a mutation-finite type,
    the members within ``depth`` mutations of the standard quiver otherwise."""
    from ..core.enumerate import mutation_class

    max_depth = None if is_mutation_finite_type(label) else depth
    mc = mutation_class(standard_b(label), max_depth=max_depth, progress=progress, cancelled=cancelled)
    if cancelled is not None and cancelled():
        raise InterruptedError("dataset build cancelled")
    if max_depth is None and not mc.complete:
        raise RuntimeError(f"enumeration of the finite class {label} did not complete ({mc.stopped})")
    return [mc.b(i) for i in range(len(mc))], [int(mc.depth[i]) for i in range(len(mc))]


def assemble_dataset(
    recipe: DatasetRecipe,
    types: list[str],
    members: Sequence[tuple[Sequence[np.ndarray], Sequence[int]]],
    seed: int,
    seconds: float,
) -> QuiverDataset:
    """The dataset of ``recipe`` from the :func:`class_members` of each of its ``types`` (in
    that order), with its provenance."""
    bs: list[np.ndarray] = []
    labels: list[str] = []
    depths: list[int] = []
    sizes: dict[str, int] = {}
    for t, (mb, md) in zip(types, members, strict=True):
        bs += list(mb)
        labels += [t] * len(mb)
        depths += list(md)
        sizes[t] = len(mb)
    ds = from_matrices(bs, labels, depths)
    ds.provenance = {
        "code_version": CODE_VERSION,
        "seed": seed,
        "recipe": asdict(recipe),
        "types": types,
        "sizes": sizes,
        "total": len(ds),
        "families": list(FAMILIES),
        "seconds": round(seconds, 2),
        "method": "exact breadth-first enumeration over canonical forms (workbench_quiver.core.enumerate); "
        "mutation-infinite classes (E_n, n >= 10) to the recipe's depth",
    }
    return ds


def _cost_guess(t: str) -> float:
    n = standard_b(t).shape[0]
    return 3.0 ** (n - 6)


# ---------------------------------------------------------------------------------------------
# random samples for sizes beyond full enumeration


def sample_by_walks(
    label: str,
    count: int,
    rng: np.random.Generator,
    walk_length: int | None = None,
    max_depth: int | None = None,
    max_tries: int | None = None,
) -> tuple[list[np.ndarray], list[int]]:
    """Up to ``count`` pairwise non-isomorphic members of the class of ``label`` reached by random
    mutation walks from its standard quiver (no immediate repeats).

    Finite classes: walks of ``walk_length`` (default 4 n) steps, i.e. close to the walk's
    stationary distribution.  Mutation-infinite classes (E_n, n >= 10): a walk length drawn
    uniformly from 1..``max_depth`` (default 8), matching the depth-8 training data.
    Returns (matrices, walk lengths)."""
    from ..core.canonical import canonical_form
    from ..core.mutation import mutate

    b0 = standard_b(label)
    n = b0.shape[0]
    finite = is_mutation_finite_type(label)
    seen: set[bytes] = set()
    out: list[np.ndarray] = []
    lens: list[int] = []
    tries = max_tries if max_tries is not None else 20 * count
    for _ in range(tries):
        if len(out) >= count:
            break
        steps = (walk_length or 4 * n) if finite else int(rng.integers(1, (max_depth or 8) + 1))
        b = b0.copy()
        last = -1
        for _s in range(steps):
            k = int(rng.integers(0, n - 1))
            if k >= last >= 0:
                k += 1
            b = mutate(b, k)
            last = k
        key = canonical_form(b)
        if key in seen:
            continue
        seen.add(key)
        out.append(b)
        lens.append(steps)
    return out, lens


def sample_size(
    n: int,
    per_family: int,
    seed: int,
    families: Sequence[str] = ("A", "D", "E", "A~", "D~"),
    cancelled: Callable[[], bool] | None = None,
) -> QuiverDataset:
    """Size-generalisation set on ``n`` vertices: ``per_family`` random members of each family
    (A~ split evenly over its orientations p + q = n) by :func:`sample_by_walks`."""
    rng = np.random.default_rng(seed)
    bs: list[np.ndarray] = []
    labels: list[str] = []
    depths: list[int] = []
    for fam in families:
        ts = types_on(n, (fam,))
        for k, t in enumerate(ts):
            if cancelled is not None and cancelled():
                raise InterruptedError("sampling cancelled")
            c = per_family // len(ts) + (1 if k < per_family % len(ts) else 0)
            if c == 0:
                continue
            m, lens = sample_by_walks(t, c, rng)
            bs += m
            labels += [t] * len(m)
            depths += lens
    ds = from_matrices(bs, labels, depths)
    ds.provenance = {
        "code_version": CODE_VERSION,
        "seed": seed,
        "n": n,
        "per_family": per_family,
        "families": list(families),
        "sizes": ds.counts(),
        "method": "random mutation walks from the standard quiver, deduplicated up to isomorphism; "
        "finite types: 4n steps; E_n (n >= 10): 1..8 steps",
    }
    return ds


# ---------------------------------------------------------------------------------------------
# saving and loading (pickle-free)

_ARRAYS = ("n_nodes", "edge_ptr", "edges", "mult", "label", "type_index", "depth")


def save_dataset(ds: QuiverDataset, path: str | Path) -> tuple[Path, Path]:
    """Write ``path`` (.npz, compressed) and ``path`` with suffix .json (provenance)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        **{k: getattr(ds, k) for k in _ARRAYS},
        types=np.array(ds.types, dtype=str),
        families=np.array(FAMILIES, dtype=str),
    )
    meta = path.with_suffix(".json")
    meta.write_text(json.dumps(ds.provenance, indent=2))
    return path, meta


def load_dataset(path: str | Path) -> QuiverDataset:
    """Load a dataset written by :func:`save_dataset` (``allow_pickle=False``); a missing,
    corrupt or incomplete file raises ``ValueError`` naming what is wrong."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"dataset file {path} does not exist")
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - zipfile.BadZipFile, OSError, EOFError, ValueError (pickled content)
        raise ValueError(f"dataset file {path} is not a readable .npz archive: {exc}") from None
    if not hasattr(z, "files"):
        raise ValueError(f"dataset file {path} holds a single array, not a dataset archive")
    with z:
        missing = [k for k in _ARRAYS + ("types", "families") if k not in z.files]
        if missing:
            raise ValueError(f"dataset file {path} lacks the arrays {missing}; was it written by save_dataset?")
        try:
            arrs = {k: z[k] for k in _ARRAYS}
            types = [str(t) for t in z["types"]]
            fams = tuple(str(f) for f in z["families"])
        except Exception as exc:  # noqa: BLE001 - truncated members (zlib.error, EOFError), pickled object arrays
            raise ValueError(f"dataset file {path} is corrupt: {exc}") from None
    if fams != FAMILIES:
        raise ValueError(f"dataset {path} uses families {fams}, this classifier uses {FAMILIES}")
    g = len(arrs["n_nodes"])
    if (
        len(arrs["edge_ptr"]) != g + 1
        or int(arrs["edge_ptr"][-1]) != len(arrs["edges"])
        or len(arrs["mult"]) != len(arrs["edges"])
    ):
        raise ValueError(f"dataset {path} is inconsistent: edge pointers do not match the edge arrays")
    meta = path.with_suffix(".json")
    prov = {}
    if meta.exists():
        from workbench.errors import InputError, parse_json, read_text

        try:
            prov = parse_json(read_text(meta, "dataset provenance JSON"), str(meta))
        except InputError:
            prov = {"warning": f"unreadable provenance {meta.name}"}
    return QuiverDataset(types=types, provenance=prov, **arrs)


# ---------------------------------------------------------------------------------------------
# conversion to torch_geometric


N_EDGE_FEATURES = 4
FEATURE_SETS = ("constant", "blocks")


def edge_features(mult: np.ndarray) -> np.ndarray:
    """Edge features of arrows with multiplicity m: [1{m=1}, 1{m=2}, 1{m>=3}, log(m)]."""
    m = np.asarray(mult, dtype=np.float64)
    return np.stack([m == 1, m == 2, m >= 3, np.log(np.maximum(m, 1.0))], 1).astype(np.float32)


def node_features(b: np.ndarray, feature_set: str) -> np.ndarray:
    """Vertex input features: ``"constant"`` (the paper: all ones) or ``"blocks"``
    (:func:`features.block_features`)."""
    n = b.shape[1]
    if feature_set == "constant":
        return np.ones((n, 1), dtype=np.float32)
    if feature_set == "blocks":
        return block_features(b)
    raise ValueError(f"unknown feature set {feature_set!r}: choose from {FEATURE_SETS}")


def n_node_features(feature_set: str) -> int:
    return 1 if feature_set == "constant" else 7


def to_data(b: np.ndarray, feature_set: str = "blocks", y: int | None = None):
    """A ``torch_geometric.data.Data`` for the mutable part of exchange matrix ``b``:
    ``edge_index`` (2, E) with one edge i -> j per pair with ``b[i, j] > 0`` and ``edge_attr``
    (:func:`edge_features` of ``b[i, j]``), ``x`` from :func:`node_features`."""
    import torch
    from torch_geometric.data import Data

    b = np.asarray(b)
    n = b.shape[1]
    s = b[:n, :n]
    i, j = np.nonzero(s > 0)
    mult = np.asarray(s[i, j], dtype=np.float64)
    d = Data(
        x=torch.from_numpy(node_features(s, feature_set)),
        edge_index=torch.from_numpy(np.stack([i, j]).astype(np.int64)),
        edge_attr=torch.from_numpy(edge_features(mult)),
        num_nodes=n,
    )
    if y is not None:
        d.y = torch.tensor([int(y)], dtype=torch.long)
    return d


# ---------------------------------------------------------------------------------------------
# packed tensors: fast batching without per-graph Data objects


@dataclass
class PackedGraphs:
    """All graphs of a dataset as flat arrays (node features computed once), for fast batches.

    ``x`` (N, F) vertex features, ``node_ptr`` (G+1,), ``edges`` (E, 2) local indices,
    ``edge_attr`` (E, 4), ``edge_ptr`` (G+1,), ``y`` (G,).
    """

    x: np.ndarray
    node_ptr: np.ndarray
    edges: np.ndarray
    edge_attr: np.ndarray
    edge_ptr: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(len(self.y))

    def batch(self, idx: np.ndarray, device: str = "cpu"):
        """(x, edge_index, edge_attr, batch, y) torch tensors for graphs ``idx``."""
        import torch

        idx = np.asarray(idx, dtype=np.int64)
        n0, n1 = self.node_ptr[idx], self.node_ptr[idx + 1]
        e0, e1 = self.edge_ptr[idx], self.edge_ptr[idx + 1]
        nn_, ne = n1 - n0, e1 - e0
        node_sel = _ranges(n0, nn_)
        edge_sel = _ranges(e0, ne)
        offsets = np.repeat(np.cumsum(nn_) - nn_, ne)
        ei = (self.edges[edge_sel].astype(np.int64) + offsets[:, None]).T
        bvec = np.repeat(np.arange(len(idx)), nn_)
        t = lambda a, dt: torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=device)  # noqa: E731
        return (
            t(self.x[node_sel], torch.float32),
            t(ei, torch.long),
            t(self.edge_attr[edge_sel], torch.float32),
            t(bvec, torch.long),
            t(self.y[idx], torch.long),
        )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for every (s, l)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    rep = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return rep + np.arange(total)


def pack(ds: QuiverDataset, feature_set: str = "blocks", cancelled: Callable[[], bool] | None = None) -> PackedGraphs:
    """Node and edge features of every graph of ``ds`` (edges as stored: i -> j, b[i,j] > 0)."""
    G = len(ds)
    node_ptr = np.zeros(G + 1, dtype=np.int64)
    node_ptr[1:] = np.cumsum(ds.n_nodes.astype(np.int64))
    if feature_set == "constant":
        x = np.ones((int(node_ptr[-1]), 1), dtype=np.float32)
    else:
        x = np.zeros((int(node_ptr[-1]), n_node_features(feature_set)), dtype=np.float32)
        for g in range(G):
            if cancelled is not None and g % 2000 == 0 and cancelled():
                raise InterruptedError("feature computation cancelled")
            x[node_ptr[g] : node_ptr[g + 1]] = node_features(ds.b(g), feature_set)
    return PackedGraphs(
        x=x,
        node_ptr=node_ptr,
        edges=np.asarray(ds.edges),
        edge_attr=edge_features(ds.mult),
        edge_ptr=np.asarray(ds.edge_ptr, dtype=np.int64),
        y=np.asarray(ds.label, dtype=np.int64),
    )
