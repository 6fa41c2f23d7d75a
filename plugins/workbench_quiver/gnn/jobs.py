"""GNN jobs: frozen-dataclass specs and module-level ``run_*(spec, ctx)`` functions (Qt-free).

The panel's GNN widgets submit these with ``Panel.submit``; the CLI runs them with
``workbench.jobs.run_in_terminal``.  Failures meant for the user raise ``JobError``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.jobs import JobCancelled, JobContext, JobError

from . import FAMILIES

Matrix = tuple[tuple[int, ...], ...]


def as_matrix(b: Any) -> Matrix:
    """Hashable, picklable form of an exchange matrix for specs."""
    return tuple(tuple(int(x) for x in row) for row in np.asarray(b))


def _square(b: Matrix) -> np.ndarray:
    from ..core.quiver import validate_b

    try:
        arr = validate_b(np.array(b, dtype=object) if b else np.zeros((0, 0), dtype=np.int64))
    except ValueError as exc:
        raise JobError(f"invalid quiver: {exc}") from None
    n = arr.shape[1]
    return np.asarray(arr[:n, :n], dtype=np.int64)


def _checkpoint(path: str, device: str = "cpu"):
    from .checkpoint import CheckpointError
    from .predictor import get_checkpoint

    try:
        return get_checkpoint(path or None, device)
    except CheckpointError as exc:
        raise JobError(str(exc)) from None


def _reraise_cancel(exc: InterruptedError) -> None:
    raise JobCancelled() from exc


#: torch intra-op threads of the prediction, explanation and embedding jobs (see one_thread)
GNN_JOB_THREADS = 1


@contextlib.contextmanager
def one_thread(n: int = GNN_JOB_THREADS) -> Iterator[None]:
    """Run torch with ``n`` intra-op threads inside the block (the previous number after it).

    The classifier's graphs have a few dozen vertices: each op is microseconds of work, and
    splitting it over OpenMP threads costs more in hand-offs than it gives.  Where cores are
    busy (the GUI thread, other panels' jobs, other programs) a descheduled OpenMP worker
    makes every op wait at its barrier while the others spin: measured on 2 cores at load 7,
    GNNExplainer on D~6 took 60.7 s with torch's default 2 threads and 3.0 s with one,
    Integrated Gradients 12.9 s and 0.8 s (the "23 s in the app against 6.7 s headless" of
    issue 13; in the app the GUI thread is one more busy core)."""
    import torch

    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


# ---------------------------------------------------------------------------------------------
# dataset


@dataclass(frozen=True)
class DatasetSpec:
    """Build a dataset: ``split`` "train" (the paper's training recipe), "test" (11 vertices) or
    "custom" (``sizes``, ``families``, ``extra_types``, ``depth``); written to ``out`` (.npz + .json)."""

    out: str
    split: str = "train"
    sizes: tuple[int, ...] = (7, 8, 9, 10)
    families: tuple[str, ...] = ("A", "D", "A~", "D~")
    extra_types: tuple[str, ...] = ("E6", "E7", "E8", "E~6", "E~7", "E~8", "E10")
    depth: int = 8
    seed: int = 0


@dataclass
class DatasetResult:
    path: str
    meta_path: str
    counts: dict[str, int]
    total: int
    seconds: float


def recipe_of(spec: DatasetSpec):
    from .dataset import TEST_RECIPE, TRAIN_RECIPE, DatasetRecipe, types_on

    if spec.split == "train":
        return TRAIN_RECIPE
    if spec.split == "test":
        return TEST_RECIPE
    if spec.split != "custom":
        raise JobError(f"unknown split {spec.split!r}: train, test or custom")
    for f in spec.families:
        if f not in FAMILIES:
            raise JobError(f"unknown family {f!r}: choose from {', '.join(FAMILIES)}")
    r = DatasetRecipe(
        sizes=tuple(spec.sizes), families=tuple(spec.families), extra_types=tuple(spec.extra_types), depth=spec.depth
    )
    if not any(types_on(n, r.families) for n in r.sizes) and not r.extra_types:
        raise JobError("the dataset recipe selects no mutation type")
    return r


def run_dataset(spec: DatasetSpec, ctx: JobContext) -> DatasetResult:
    from .dataset import build_dataset, save_dataset

    recipe = recipe_of(spec)
    try:
        ds = build_dataset(
            recipe, progress=lambda f, m: ctx.progress(0.98 * f, m), cancelled=ctx.cancelled, seed=spec.seed
        )
    except InterruptedError as exc:
        _reraise_cancel(exc)
    except ValueError as exc:
        raise JobError(f"cannot build the dataset: {exc}") from None
    try:
        p, m = save_dataset(ds, spec.out)
    except OSError as exc:
        raise JobError(f"cannot write {spec.out}: {exc}") from None
    ctx.progress(1.0, f"{len(ds)} quivers")
    return DatasetResult(str(p), str(m), ds.counts(), len(ds), float(ds.provenance.get("seconds", 0.0)))


@dataclass(frozen=True)
class DeepWalkSpec:
    """The deep-walk test set of :func:`.deepwalk.sample_deepwalk` (issue 21), written to ``out``."""

    out: str
    sizes: tuple[int, ...] = tuple(range(11, 21))
    families: tuple[str, ...] = ("A", "D", "A~", "D~")
    per_family: int = 1000
    walk: tuple[int, int] = (50, 400)
    seed: int = 0


@dataclass
class DeepWalkResult:
    path: str
    meta_path: str
    counts: dict[str, int]
    total: int
    short: dict[str, int]
    seconds: float


def run_deepwalk(spec: DeepWalkSpec, ctx: JobContext) -> DeepWalkResult:
    from .dataset import save_dataset
    from .deepwalk import sample_deepwalk

    try:
        ds = sample_deepwalk(
            spec.sizes,
            spec.per_family,
            spec.seed,
            spec.families,
            spec.walk,
            progress=lambda f, m: ctx.progress(0.98 * f, m),
            cancelled=ctx.cancelled,
        )
    except InterruptedError as exc:
        _reraise_cancel(exc)
    except ValueError as exc:
        raise JobError(f"cannot sample the deep-walk set: {exc}") from None
    try:
        p, m = save_dataset(ds, spec.out)
    except OSError as exc:
        raise JobError(f"cannot write {spec.out}: {exc}") from None
    ctx.progress(1.0, f"{len(ds)} quivers")
    prov = ds.provenance
    return DeepWalkResult(str(p), str(m), ds.counts(), len(ds), dict(prov["short"]), float(prov["seconds"]))


# ---------------------------------------------------------------------------------------------
# training


@dataclass(frozen=True)
class TrainSpec:
    """Train DirGINE on ``data`` (an .npz from ``run_dataset``; empty = build the paper's training
    set), evaluate on ``test_data`` (optional), write the checkpoint to ``out``."""

    out: str
    data: str = ""
    test_data: str = ""
    epochs: int = 30
    time_budget_s: float = 600.0
    batch_size: int = 256
    lr: float = 5e-3
    patience: int = 6
    seed: int = 0
    feature_set: str = "blocks"
    pooling: str = "meanmax"
    hidden: int = 32
    layers: int = 4
    threads: int = 1
    device: str = "auto"


@dataclass
class TrainResult:
    checkpoint: str
    history: dict
    test_accuracy: float | None
    test_per_type: dict[str, float] = field(default_factory=dict)


@dataclass
class EpochUpdate:
    """Partial result after every epoch (the validation curve)."""

    epoch: int
    train_loss: list[float]
    val_loss: list[float]
    val_acc: list[float]


def _load_data(path: str):
    from .dataset import load_dataset

    try:
        return load_dataset(path)
    except ValueError as exc:
        raise JobError(str(exc)) from None


def run_train(spec: TrainSpec, ctx: JobContext) -> TrainResult:
    from .checkpoint import save_checkpoint
    from .dataset import TRAIN_RECIPE, build_dataset, n_node_features
    from .model import ModelConfig
    from .train import TrainConfig, evaluate, train_model

    try:
        if spec.data:
            ds = _load_data(spec.data)
        else:
            ds = build_dataset(
                TRAIN_RECIPE, progress=lambda f, m: ctx.progress(0.1 * f, m), cancelled=ctx.cancelled, seed=spec.seed
            )
        test = _load_data(spec.test_data) if spec.test_data else None
        mc = ModelConfig(
            in_dim=n_node_features(spec.feature_set),
            hidden=spec.hidden,
            layers=spec.layers,
            pooling=spec.pooling,
            feature_set=spec.feature_set,
        )
        tc = TrainConfig(
            epochs=spec.epochs,
            batch_size=spec.batch_size,
            lr=spec.lr,
            patience=spec.patience,
            seed=spec.seed,
            time_budget_s=spec.time_budget_s,
            threads=spec.threads,
        )

        def on_epoch(h):
            ctx.partial(EpochUpdate(len(h.train_loss), list(h.train_loss), list(h.val_loss), list(h.val_acc)))
            ctx.log(
                f"epoch {len(h.train_loss)}: train loss {h.train_loss[-1]:.4f}, val loss {h.val_loss[-1]:.4f}, "
                f"val acc {h.val_acc[-1]:.4f}"
            )

        model, hist = train_model(
            ds,
            mc,
            tc,
            ctx.device,
            progress=lambda f, m: ctx.progress(0.1 + 0.8 * f, m),
            cancelled=ctx.cancelled,
            on_epoch=on_epoch,
        )
        ev = evaluate(model, test, ctx.device, cancelled=ctx.cancelled) if test is not None else None
    except InterruptedError as exc:
        _reraise_cancel(exc)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    meta = {
        "data": {"train": ds.provenance, "test": test.provenance if test is not None else None},
        "seed": spec.seed,
        "train_config": tc.to_dict(),
        "history": hist.to_dict(),
        "metrics": {
            "test_accuracy": ev.accuracy if ev else None,
            "test_per_type": ev.per_type if ev else {},
            "test_confusion": ev.confusion if ev else None,
        },
        "command": f"workbench quiver train --data {spec.data or '(built)'} --test {spec.test_data or '-'} "
        f"--out {spec.out} --epochs {spec.epochs} --seed {spec.seed}",
    }
    try:
        w, _ = save_checkpoint(model, spec.out, meta)
    except OSError as exc:
        raise JobError(f"cannot write the checkpoint {spec.out}: {exc}") from None
    ctx.progress(1.0, "trained")
    return TrainResult(str(w), hist.to_dict(), ev.accuracy if ev else None, ev.per_type if ev else {})


# ---------------------------------------------------------------------------------------------
# prediction


@dataclass(frozen=True)
class PredictSpec:
    """Family probabilities of one quiver, with its exact type for comparison."""

    b: Matrix
    checkpoint: str = ""
    exact: bool = True
    device: str = "cpu"
    #: "dirgine" (:mod:`.model`) or "invariant" (the S_n-invariant network of
    #: ``workbench_equivariant.core.quiver_invariant``; ``checkpoint`` then names one of those)
    model: str = "dirgine"


@dataclass
class PredictResult:
    probabilities: dict[str, float]
    predicted: str
    exact_label: str = ""
    exact_family: str = ""
    agrees: bool | None = None  # None: the exact family is outside the classifier's six
    seconds: float = 0.0


def predict_one(
    b: np.ndarray, checkpoint: str = "", exact: bool = True, device: str = "cpu", model: str = "dirgine"
) -> PredictResult:
    from .checkpoint import CheckpointError
    from .predictor import invariant_probabilities, probabilities

    t0 = time.perf_counter()
    if b.shape[1] == 0:
        raise JobError("the quiver has no mutable vertices")
    if model not in ("dirgine", "invariant"):
        raise JobError(f"unknown GNN model {model!r}: choose 'dirgine' or 'invariant'")
    try:
        if model == "invariant":
            p = invariant_probabilities([b], checkpoint or None, device)[0]
        else:
            p = probabilities([b], checkpoint or None, device)[0]
    except (CheckpointError, ValueError) as exc:
        raise JobError(str(exc)) from None
    probs = {f: float(v) for f, v in zip(FAMILIES, p, strict=True)}
    pred = FAMILIES[int(np.argmax(p))]
    label = fam = ""
    agrees = None
    if exact:
        from ..core.identify import identify

        r = identify(b)
        label, fam = r.label, r.family
        agrees = (fam == pred) if fam in FAMILIES else None
    return PredictResult(probs, pred, label, fam, agrees, time.perf_counter() - t0)


def run_predict(spec: PredictSpec, ctx: JobContext) -> PredictResult:
    with one_thread():
        device = "cpu" if spec.device == "cpu" else ctx.device
        return predict_one(_square(spec.b), spec.checkpoint, spec.exact, device, spec.model)


# ---------------------------------------------------------------------------------------------
# explanation


@dataclass(frozen=True)
class ExplainSpec:
    """Explain the prediction of one quiver with ``method`` and run the top-``k`` masking
    experiment (``k = 0``: no masking).

    Budgets (each bounded, none open-ended): GNNExplainer ``epochs`` optimisation steps;
    Integrated Gradients 25 path steps; PGExplainer first trains its mask predictor for
    ``pg_epochs`` epochs over ``b`` and at most ``pg_train_quivers - 1`` random mutants of it
    (mutants with an entry of 1000 or more are left out), i.e. at most ``pg_epochs *
    pg_train_quivers`` = 480 training steps by default, with progress after every step
    (measured: about 65 ms a step for a 6-vertex quiver on one thread of a loaded 2-core
    machine, 31 s in all); the masking experiment ``1 + n_random`` forward passes."""

    b: Matrix
    method: str = "GNNExplainer"
    k: int = 2
    checkpoint: str = ""
    seed: int = 0
    epochs: int = 100
    pg_train_quivers: int = 48
    pg_epochs: int = 10
    n_random: int = 20
    device: str = "cpu"


@dataclass
class ExplainResult:
    """overlay, masking and ``agreement``: an :class:`.agreement.Agreement` of the overlay's
    top-|E| arrows with the evidence E the exact recogniser draws, or a sentence saying why
    there is none (:data:`NO_EVIDENCE`).  Not stored in sessions (their results keep the
    declared fields, so older sessions still load): None for a restored explanation."""

    overlay: Any  # overlay.ExplanationOverlay
    masking: Any | None  # explain.MaskingResult
    seconds: float
    agreement: Any | None = field(default=None, init=False, compare=False)


def run_explain(spec: ExplainSpec, ctx: JobContext) -> ExplainResult:
    from .explain import METHODS

    t0 = time.perf_counter()
    if spec.method not in METHODS:
        raise JobError(f"unknown explanation method {spec.method!r}: choose from {', '.join(METHODS)}")
    b = _square(spec.b)
    if b.shape[1] == 0:
        raise JobError("the quiver has no mutable vertices")
    if not np.any(b > 0):
        raise JobError("the quiver has no arrows: there is nothing to explain")
    import copy

    ck = _checkpoint(spec.checkpoint)
    model = copy.deepcopy(ck.model)  # explainers set masks on the layers: keep the shared model clean
    ctx.progress(0.05, spec.method)
    with one_thread():
        overlay, masking = _explain(spec, b, model, ctx)
    ctx.check_cancelled()
    agreement = evidence_agreement(overlay, b)
    ctx.progress(1.0, "explained")
    res = ExplainResult(overlay, masking, time.perf_counter() - t0)
    res.agreement = agreement if agreement is not None else NO_EVIDENCE
    return res


#: ExplainResult.agreement where the exact recogniser draws no evidence arrows in the quiver
NO_EVIDENCE = "none to compare: the exact recogniser draws no evidence arrows in this quiver"


def evidence_agreement(overlay: Any, b: np.ndarray) -> Any | None:
    """The :class:`.agreement.Agreement` (k = |E|) of ``overlay`` with the exact evidence of
    ``b``; None when the recogniser draws no evidence in ``b`` itself (no structural type, or an
    "infinite" certificate found after mutations)."""
    from ..core.identify import identify
    from .agreement import evidence_of, top_k_agreement

    r = identify(b)
    if r.certificate or "path" in r.evidence:
        return None  # the drawn arrow belongs to a mutated quiver, not to this one
    ev, label = evidence_of(b, r)
    if not ev or not overlay.edge_importance:
        return None
    return top_k_agreement(overlay.edge_importance, ev, None, label)


def _explain(spec: ExplainSpec, b: np.ndarray, model: Any, ctx: JobContext) -> tuple[Any, Any]:
    """The explanation and the masking experiment of :func:`run_explain` (see ExplainSpec)."""
    from .explain import explain, mask_top_k, train_pgexplainer

    pg = None
    if spec.method == "PGExplainer":
        # PGExplainer learns one mask predictor from a set of quivers: random mutants of this one
        from ..core.mutation import mutate

        rng = np.random.default_rng(spec.seed)
        train_bs = [b]
        n = b.shape[1]
        for _ in range(spec.pg_train_quivers - 1):
            c = b.copy()
            for _s in range(int(rng.integers(1, 2 * n + 1))):
                c = mutate(c, int(rng.integers(0, n)))
            if int(np.abs(c).max()) < 1000:
                train_bs.append(c)
        ctx.progress(0.1, f"training PGExplainer on {len(train_bs)} quivers, {spec.pg_epochs} epochs")
        try:
            pg = train_pgexplainer(
                model,
                train_bs,
                epochs=spec.pg_epochs,
                seed=spec.seed,
                cancelled=ctx.cancelled,
                progress=lambda f, m: ctx.progress(0.1 + 0.8 * f, m),
            )
        except InterruptedError as exc:
            _reraise_cancel(exc)
    ctx.check_cancelled()
    ctx.progress(0.9 if pg is not None else 0.6, "explaining")
    overlay = explain(model, b, spec.method, seed=spec.seed, epochs=spec.epochs, pg_explainer=pg)
    masking = None
    if spec.k > 0:
        ctx.check_cancelled()
        ctx.progress(0.95 if pg is not None else 0.8, f"masking the top {spec.k} arrows")
        masking = mask_top_k(model, b, overlay, spec.k, spec.n_random, spec.seed)
        overlay.masked = list(masking.masked)
    return overlay, masking


# ---------------------------------------------------------------------------------------------
# hidden representations


@dataclass(frozen=True)
class EmbedSpec:
    """PCA of the graph embeddings after ``layer`` over a dataset, and a linear probe.

    data: an .npz dataset, or empty for the D-type classes ``probe_types`` (enumerated);
    colour: "type" (family) or "vatne" (D subtypes I-IV from the exact core);
    max_points: random subsample for the scatter and the probe.
    """

    data: str = ""
    probe_types: tuple[str, ...] = ("D7", "D8", "D9")
    layer: int = -1
    colour: str = "vatne"
    max_points: int = 3000
    checkpoint: str = ""
    seed: int = 0
    device: str = "cpu"


@dataclass
class EmbedResult:
    coords: np.ndarray  # (G, 2)
    explained: np.ndarray  # PC1, PC2 variance fractions
    families: list[str]
    types: list[str]
    vatne: list[str]  # "" where not D
    colour: str
    layer: int
    probe: Any | None  # embed.ProbeResult (Vatne types) or None
    dataset: Any  # dataset.QuiverDataset of the points (to open a quiver)
    seconds: float = 0.0
    pca_mean: np.ndarray | None = None  # (d,): the PCA's centre (None: embeddings of an older release)
    pca_components: np.ndarray | None = None  # (2, d): PC1, PC2 (coords = (z - mean) @ components.T)


def run_embed(spec: EmbedSpec, ctx: JobContext) -> EmbedResult:
    from .dataset import DatasetRecipe, build_dataset
    from .embed import graph_embeddings, linear_probe, pca_2d, vatne_types

    t0 = time.perf_counter()
    if spec.colour not in ("type", "vatne"):
        raise JobError(f"colour must be 'type' or 'vatne', got {spec.colour!r}")
    ck = _checkpoint(spec.checkpoint)
    try:
        if spec.data:
            ds = _load_data(spec.data)
        else:
            ds = build_dataset(
                DatasetRecipe(sizes=(), families=(), extra_types=tuple(spec.probe_types)),
                progress=lambda f, m: ctx.progress(0.3 * f, m),
                cancelled=ctx.cancelled,
            )
        if len(ds) > spec.max_points:
            rng = np.random.default_rng(spec.seed)
            ds = ds.subset(np.sort(rng.choice(len(ds), spec.max_points, replace=False)))
        ctx.progress(0.35, "embedding")
        with one_thread():
            z = graph_embeddings(ck.model, ds, spec.layer, cancelled=ctx.cancelled)
        ctx.progress(0.5, "Vatne types")
        bs = [ds.b(i) for i in range(len(ds))]
        is_d = [FAMILIES[int(lab)] == "D" for lab in ds.label]
        vat = [""] * len(ds)
        d_idx = [i for i, f in enumerate(is_d) if f]
        for k, t in zip(d_idx, vatne_types([bs[i] for i in d_idx], ctx.cancelled), strict=True):
            vat[k] = t
    except InterruptedError as exc:
        _reraise_cancel(exc)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(0.85, "PCA and probe")
    pca = pca_2d(z)
    probe = None
    lab_idx = [i for i, v in enumerate(vat) if v]
    if len({vat[i] for i in lab_idx}) >= 2:
        probe = linear_probe(z[lab_idx], [vat[i] for i in lab_idx], seed=spec.seed)
    ctx.progress(1.0, "done")
    return EmbedResult(
        pca.coords,
        pca.explained,
        [FAMILIES[int(x)] for x in ds.label],
        [ds.type_of(i) for i in range(len(ds))],
        vat,
        spec.colour,
        spec.layer,
        probe,
        ds,
        time.perf_counter() - t0,
        np.asarray(pca.mean, dtype=np.float64),
        np.asarray(pca.components, dtype=np.float64),
    )


@dataclass(frozen=True)
class ProjectSpec:
    """Where one quiver ``b`` lies in an explorer's PCA plane: its embedding after ``layer``
    (as :class:`EmbedSpec`) projected on the PCA of those embeddings (``mean``, ``components``
    from an :class:`EmbedResult`)."""

    b: Matrix
    layer: int
    mean: tuple[float, ...]
    components: tuple[tuple[float, ...], ...]
    checkpoint: str = ""
    device: str = "cpu"


def project_spec(b: Any, embedded: EmbedResult, checkpoint: str = "") -> ProjectSpec | None:
    """The projection of ``b`` on the PCA of ``embedded`` (None when it has no PCA axes)."""
    if embedded.pca_mean is None or embedded.pca_components is None:
        return None
    return ProjectSpec(
        as_matrix(b),
        int(embedded.layer),
        tuple(float(x) for x in embedded.pca_mean),
        tuple(tuple(float(x) for x in row) for row in embedded.pca_components),
        checkpoint,
    )


def run_project(spec: ProjectSpec, ctx: JobContext) -> tuple[float, float]:
    """(PC1, PC2) of the quiver: ``(z - mean) @ components.T`` with ``z`` its pooled embedding."""
    import torch

    from .dataset import to_data

    b = _square(spec.b)
    if b.shape[1] == 0:
        raise JobError("the quiver has no mutable vertices")
    ck = _checkpoint(spec.checkpoint)
    n_layers = ck.model.config.layers
    if not -1 <= spec.layer < n_layers:
        raise JobError(f"the embedding layer must be -1 (head) or 0..{n_layers - 1}, got {spec.layer}")
    d = to_data(b, ck.model.config.feature_set)
    ck.model.eval()
    with one_thread(), torch.no_grad():
        embs = ck.model.graph_embeddings(d.x, d.edge_index, d.edge_attr)
    z = embs[spec.layer if spec.layer >= 0 else len(embs) - 1][0].cpu().numpy().astype(np.float64)
    mean, comps = np.asarray(spec.mean), np.asarray(spec.components)
    if comps.shape != (2, z.shape[0]) or mean.shape != z.shape:
        raise JobError("these embeddings come from another classifier (their PCA does not fit): Compute again")
    xy = (z - mean) @ comps.T
    return float(xy[0]), float(xy[1])
