"""Job specs (frozen, picklable) and module-level ``run_*(spec, ctx)`` functions of the
Representation similarity plugin.  Qt-free; the panel and the CLI run the same functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.jobs import JobContext, JobError, checking

from .core.validate import DegenerateInputError


def _err(exc: Exception) -> JobError:
    return JobError(str(exc))


# ------------------------------------------------------------------ heatmaps -------------------
@dataclass(frozen=True)
class HeatmapSpec:
    """Compare layers of model A and model B on the same data.

    model_a / model_b: zoo name, local model file/folder, or an .npz of layers ("" = none).
    data: "default", a text file or an image folder.  pooling: mean | last | first | tokens.
    panels: which matrices: any of "AA", "AB", "BB".
    minibatch: > 0 streams minibatch linear CKA (Nguyen et al. 2021) over batches of that many
    inputs instead of holding all activations (the measure is then minibatch CKA).
    """

    model_a: str
    model_b: str = ""
    data: str = "default"
    pooling: str = "mean"
    measure: str = "cka"
    max_samples: int = 1000
    panels: tuple[str, ...] = ("AA", "AB", "BB")
    device: str = "auto"
    seed: int = 0
    minibatch: int = 0


@dataclass
class HeatmapResult:
    """The heatmaps of one :class:`HeatmapSpec`.  ``n``: rows compared (inputs, or token rows with
    token pooling); ``pooling``: the pooling applied ("" when no side has sequences to pool);
    ``notes``: settings of the spec that were clamped or did not apply, in words."""

    measure: str
    names_a: list[str]
    names_b: list[str]
    matrices: dict[str, np.ndarray]  # "AA", "AB", "BB" -> matrix
    acts_a: list[np.ndarray] = field(default_factory=list)
    acts_b: list[np.ndarray] = field(default_factory=list)
    n: int = 0
    form: str = ""
    pooling: str = ""
    notes: list[str] = field(default_factory=list)


#: what each family's inputs are, for notes
_FAMILY_WORDS = {
    "mlp": "a digit MLP (one image per input)",
    "npz": "an .npz of activations",
    "lm": "a language model",
    "hf": "a Hugging Face language model",
}


def pooling_applies(family: str) -> bool:
    """Whether pooling means anything for a source of ``family`` (sequence models only)."""
    return family in ("lm", "hf")


def _sides(sides: list[str], total: int) -> str:
    """ "A", "B" or "A and B"; "" when the note concerns every side there is."""
    return "" if len(sides) == total else " and ".join(sides)


def _grouped(per_side: dict[str, Any]) -> dict[Any, list[str]]:
    """Sides grouped by a value each has (A and B with the same count are told once)."""
    groups: dict[Any, list[str]] = {}
    for side, value in per_side.items():
        groups.setdefault(value, []).append(side)
    return groups


def heatmap_setting_notes(spec: HeatmapSpec, families: dict[str, str]) -> list[str]:
    """Settings of ``spec`` that cannot apply to sources of ``families`` ({"A": family, "B": ...};
    "" = unknown), known before anything is computed; one note per setting, naming the sides
    only when they differ."""
    notes: list[str] = []
    if spec.minibatch > 0 and spec.measure != "cka":
        notes.append(
            f"minibatch streaming computes linear CKA only: measure '{spec.measure}' is not used "
            "(set minibatch to off for it)"
        )
    known = {side: fam for side, fam in families.items() if fam}
    npz = [side for side, fam in known.items() if fam == "npz"]
    if spec.pooling != "mean":
        unpooled = [side for side, fam in known.items() if not pooling_applies(fam)]
        if unpooled and len(known) == len(families):
            what = " and ".join(sorted({_FAMILY_WORDS[known[side]] for side in unpooled}))
            where = _sides(unpooled, len(families))
            notes.append(
                f"pooling '{spec.pooling}' does not apply{' to ' + where if where else ''}: "
                f"{what} has no token sequence to pool"
            )
    if npz and spec.data not in ("", "default"):
        notes.append(f"data does not apply to {' and '.join(npz)}: an .npz holds its own activations")
    return notes


def _heatmap_notes(spec: HeatmapSpec, sides: dict[str, Any], max_rows: int) -> list[str]:
    """:func:`heatmap_setting_notes` with what the activations showed: fewer inputs than asked,
    token rows dropped by the cap, an .npz whose row count is not the samples setting."""
    notes = heatmap_setting_notes(spec, {side: layers.family for side, layers in sides.items()})
    total = len(sides)
    npz_rows = {s: la.n for s, la in sides.items() if la.family == "npz" and la.n != spec.max_samples}
    for rows, names in _grouped(npz_rows).items():
        notes.append(
            f"samples = {spec.max_samples} does not apply to {' and '.join(names)}: an .npz is compared "
            f"on all its {rows} rows"
        )
    clamped = {s: la.n_inputs for s, la in sides.items() if la.family != "npz" and la.n_inputs < spec.max_samples}
    for count, names in _grouped(clamped).items():
        where = _sides(names, total)
        notes.append(
            f"samples clamped: the data give {where + ' ' if where else ''}{count} inputs, "
            f"not the {spec.max_samples} asked"
        )
    capped = {s: (la.n, la.rows_total) for s, la in sides.items() if la.rows_total > la.n}
    for (kept, rows), names in _grouped(capped).items():
        where = _sides(names, total)
        notes.append(
            f"token pooling: {kept} of {rows} token rows{' of ' + where if where else ''} kept "
            f"(at most {max_rows}, drawn with seed {spec.seed})"
        )
    return notes


#: token rows kept with token pooling (drawn with the spec's seed)
MAX_TOKEN_ROWS = 5000


def run_heatmap(spec: HeatmapSpec, ctx: JobContext) -> HeatmapResult:
    from .core.heatmap import similarity_heatmap
    from .core.measures import get_measure
    from .core.sources import activations, input_kind

    try:
        get_measure(spec.measure)
        if spec.minibatch > 0:
            return _run_streamed(spec, ctx)
        if spec.model_b:
            ka, kb = input_kind(spec.model_a), input_kind(spec.model_b)
            if "npz" not in (ka, kb) and ka != kb:
                raise DegenerateInputError(
                    f"model A takes {ka} inputs and model B takes {kb} inputs: they cannot see the same data"
                )
        ctx.progress(0.0, "activations of A")
        la = activations(
            spec.model_a,
            spec.data,
            spec.pooling,
            spec.max_samples,
            max_rows=MAX_TOKEN_ROWS,
            seed=spec.seed,
            device=ctx.device,
            check=ctx.check_cancelled,
        )
        lb = None
        if spec.model_b:
            ctx.progress(0.1, "activations of B")
            lb = activations(
                spec.model_b,
                spec.data,
                spec.pooling,
                spec.max_samples,
                max_rows=MAX_TOKEN_ROWS,
                seed=spec.seed,
                device=ctx.device,
                check=ctx.check_cancelled,
            )
            if lb.n != la.n:
                raise DegenerateInputError(f"A gives {la.n} samples and B gives {lb.n}: they must see the same inputs")
        sides = {"A": la} if lb is None else {"A": la, "B": lb}
        wanted = [p for p in spec.panels if p[0] in sides and p[1] in sides]  # AA; AB and BB need a B
        mats: dict[str, np.ndarray] = {}
        form = ""
        for k, p in enumerate(wanted):
            lo, hi = 0.2 + 0.8 * k / len(wanted), 0.2 + 0.8 * (k + 1) / len(wanted)
            xs, ys = sides[p[0]], sides[p[1]]

            def panel_progress(f: float, m: str, lo: float = lo, hi: float = hi, p: str = p) -> None:
                ctx.progress(lo + (hi - lo) * f, f"{p}: {m}")

            h = similarity_heatmap(
                xs.arrays,
                None if p in ("AA", "BB") else ys.arrays,
                spec.measure,
                names_a=xs.names,
                names_b=ys.names,
                progress=panel_progress,
                check_cancelled=ctx.check_cancelled,
                device=ctx.device if str(ctx.device).startswith("cuda") else "cpu",
            )
            mats[p] = h.matrix
            form = h.form
            ctx.partial((p, h.matrix, xs.names, ys.names))
        pooled = any(pooling_applies(side.family) for side in sides.values())
        return HeatmapResult(
            spec.measure,
            la.names,
            lb.names if lb else [],
            mats,
            la.arrays,
            lb.arrays if lb else [],
            la.n,
            form,
            spec.pooling if pooled else "",
            _heatmap_notes(spec, sides, MAX_TOKEN_ROWS),
        )
    except (DegenerateInputError, ValueError, OSError) as exc:
        raise _err(exc) from None


def _run_streamed(spec: HeatmapSpec, ctx: JobContext) -> HeatmapResult:
    from .core.streaming import streamed_minibatch_cka

    res = streamed_minibatch_cka(
        spec.model_a,
        spec.model_b,
        data=spec.data,
        pooling=spec.pooling,
        max_samples=spec.max_samples,
        batch_size=spec.minibatch,
        device=ctx.device,
        check=ctx.check_cancelled,
        progress=ctx.progress,
    )
    from .core.sources import source_family

    mats = {k: v for k, v in res.matrices.items() if k in spec.panels}
    families = {"A": source_family(spec.model_a), **({"B": source_family(spec.model_b)} if spec.model_b else {})}
    notes = heatmap_setting_notes(spec, families)
    if res.n < spec.max_samples and "npz" not in families.values():
        notes.append(
            f"samples clamped: the data give {res.n} rows in full batches of {spec.minibatch}, "
            f"not the {spec.max_samples} asked"
        )
    pooled = any(pooling_applies(f) for f in families.values())
    return HeatmapResult(
        f"cka-minibatch (batch {spec.minibatch})",
        res.names_a,
        res.names_b,
        mats,
        [],
        [],
        res.n,
        f"streamed, {res.batches} batches",
        spec.pooling if pooled else "",
        notes,
    )


# ------------------------------------------------------------------ one cell --------------------
@dataclass(frozen=True, eq=False)
class CellSpec:
    """Details of one heatmap cell: the two activation matrices; ``n_points`` rows, drawn with
    ``seed``, are shown in the principal-component scatter."""

    x: np.ndarray
    y: np.ndarray
    label_x: str = "A"
    label_y: str = "B"
    n_points: int = 500
    seed: int = 0


@dataclass
class CellResult:
    label_x: str
    label_y: str
    pcs_x: np.ndarray  # n_points x 2, top principal components of X
    pcs_y: np.ndarray  # same of Y after orthogonal Procrustes alignment to X's
    best_corr: np.ndarray  # per-neuron best correlation of X's neurons in Y
    matched_corr: np.ndarray  # Hungarian-matched correlations
    values: dict[str, float]


def run_cell(spec: CellSpec, ctx: JobContext) -> CellResult:
    from scipy.linalg import orthogonal_procrustes

    from .core.blocked_svd import thin_svd
    from .core.matching import match_neurons
    from .core.measures import MEASURES

    x = np.asarray(spec.x, np.float64)
    y = np.asarray(spec.y, np.float64)
    try:
        values: dict[str, float] = {}
        for k, (name, fn) in enumerate(MEASURES.items()):
            ctx.check_cancelled()
            ctx.progress(k / (len(MEASURES) + 2), name)
            try:
                with checking(ctx.keep_alive):  # heartbeat() inside the measures' long steps
                    values[name] = float(fn(x, y))
            except DegenerateInputError as exc:
                ctx.log(f"{name}: {exc}")
                values[name] = float("nan")
        keep_x, keep_y = x.std(0) > 1e-10, y.std(0) > 1e-10
        ctx.progress(len(MEASURES) / (len(MEASURES) + 2), "matching neurons")
        with checking(ctx.keep_alive):
            m = match_neurons(x[:, keep_x], y[:, keep_y])
        ctx.check_cancelled()
        ctx.progress((len(MEASURES) + 1) / (len(MEASURES) + 2), "principal components")
        xc, yc = x - x.mean(0), y - y.mean(0)
        with checking(ctx.keep_alive):  # thin_svd: row blocks, heartbeat() between them
            ux, sx, _ = thin_svd(xc)
            uy, sy, _ = thin_svd(yc)
        ctx.check_cancelled()
        px = ux[:, :2] * sx[:2]
        py = uy[:, :2] * sy[:2]
        if px.shape[1] == 2 and py.shape[1] == 2:
            r, _ = orthogonal_procrustes(py, px)
            py = py @ r
        idx = np.random.default_rng(spec.seed).choice(len(x), min(spec.n_points, len(x)), replace=False)
        ctx.progress(1.0, "done")
        return CellResult(spec.label_x, spec.label_y, px[idx], py[idx], m.best, m.matched, values)
    except (DegenerateInputError, ValueError) as exc:
        raise _err(exc) from None


# ------------------------------------------------------------------ stitching -------------------
@dataclass(frozen=True)
class StitchSpec:
    model_a: str
    model_b: str
    points: tuple[tuple[str, str], ...] = ()  # () = every stitch point of A with the same-depth point of B
    steps: int = 150
    seed: int = 0
    device: str = "cpu"
    data: str = "default"  # Hugging Face models: a text file (one input per line) or the default corpus


@dataclass
class StitchTable:
    """One row per stitch; ``notes``: settings that did not apply, in words."""

    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def own_task_data_note(data: str, what: str) -> list[str]:
    """The note that ``data`` is not used when the plugin's own models are measured on their task."""
    if data in ("", "default"):
        return []
    return [
        f"data does not apply: {what} of the plugin's own models is measured on their own task data "
        "(a text file is used for Hugging Face models)"
    ]


def _stitch_task(family: str):
    from .core.data import digits_split
    from .core.stitching import classifier_task, lm_task

    if family == "mlp":
        return classifier_task(*digits_split(0))
    from .core.data import lm_windows

    tr, te = lm_windows()
    return lm_task(tr[:1500], te[:300])


def _hf_lm_pair(spec_a: str, spec_b: str, data: str, ctx: JobContext, n_train: int = 1500, n_test: int = 300):
    """Two causal LMs from local Hugging Face folders wrapped for stitching / evaluation, and
    (train, test) windows of token ids from ``data`` (a text file: its first 80 % of lines
    train, the rest test; "default": the generated corpus of the zoo's language models)."""
    from .core.hf_lm import HFStitchable, load_causal_lm, same_tokenizer, token_windows
    from .core.sources import hf_text_inputs

    ctx.progress(0.0, "loading the Hugging Face models")
    (ma, tok_a), (mb, tok_b) = load_causal_lm(spec_a), load_causal_lm(spec_b)
    if data in ("", "default"):
        from .core.corpus import generate_text
        from .core.data import EVAL_TEXT_SEED

        train_texts = generate_text(6000, 0).splitlines()
        test_texts = generate_text(1500, EVAL_TEXT_SEED).splitlines()
    else:
        lines = hf_text_inputs(data, 10**9)
        cut = max(1, int(0.8 * len(lines)))
        train_texts, test_texts = lines[:cut], lines[cut:] or lines[-1:]
    if not same_tokenizer(tok_a, tok_b, train_texts[:50]):
        raise DegenerateInputError(
            f"{spec_a} and {spec_b} tokenize the text differently: stitching and linear mode "
            "connectivity compare the models token by token and need the same tokenizer"
        )

    def positions(cfg: Any) -> int:
        return getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None) or 65

    window = max(2, min(32, positions(ma.config) - 1, positions(mb.config) - 1))
    tr = token_windows(tok_a, train_texts, window, n_train, seed=0)
    te = token_windows(tok_a, test_texts, window, n_test, seed=1)
    return HFStitchable(ma), HFStitchable(mb), tr, te


def _same_depth(pa: list[str], pb: list[str]) -> list[tuple[str, str]]:
    """Each stitch point of A paired with B's point at the same relative depth."""
    return [(p, pb[round(i * (len(pb) - 1) / max(1, len(pa) - 1))]) for i, p in enumerate(pa)]


def _stitch_table(res, notes: list[str] | None = None) -> StitchTable:
    return StitchTable([{**r.__dict__, "penalty": r.penalty} for r in res], notes or [])


def run_stitching(spec: StitchSpec, ctx: JobContext) -> StitchTable:
    """Stitch A into B and B into A.  Random only through ``spec.seed`` (the minibatches of the
    stitching layer's training, an explicit generator); torch's process-wide generator is not
    touched (jobs on other panel threads share it)."""
    from .core.sources import load_model_source
    from .core.stitching import lm_task, stitch_both

    try:
        ma, fa = load_model_source(spec.model_a)
        mb, fb = load_model_source(spec.model_b)
        if fa == fb == "hf":
            ma, mb, tr, te = _hf_lm_pair(spec.model_a, spec.model_b, spec.data, ctx)
            pa, pb = ma.stitch_points()[1:], mb.stitch_points()[1:]  # the embeddings are trivial to stitch
            if not pa or not pb:
                raise DegenerateInputError("stitching needs models with at least two transformer blocks")
            res = stitch_both(
                ma,
                mb,
                list(spec.points) or _same_depth(pa, pb),
                lm_task(tr, te),
                names=(spec.model_a, spec.model_b),
                steps=spec.steps,
                seed=spec.seed,
                check=ctx.check_cancelled,
                progress=ctx.progress,
            )
            return _stitch_table(res)
        if "hf" in (fa, fb):
            raise DegenerateInputError(
                "cannot stitch a Hugging Face model with one of the plugin's own models: they read different tokens"
            )
        if fa != fb:
            raise DegenerateInputError(f"cannot stitch a {fa} model into a {fb} model: they solve different tasks")
        points = list(spec.points)
        if not points:
            points = _same_depth(ma.stitch_points(), mb.stitch_points())
            if fa == "lm":
                points = points[1:]  # resid0 (the embedding) is trivial to stitch
        ctx.progress(0.0, "preparing data")
        task = _stitch_task(fa)
        ctx.check_cancelled()
        res = stitch_both(
            ma,
            mb,
            points,
            task,
            names=(spec.model_a, spec.model_b),
            steps=spec.steps,
            seed=spec.seed,
            check=ctx.check_cancelled,
            progress=ctx.progress,
        )
        return _stitch_table(res, own_task_data_note(spec.data, "stitching"))
    except (DegenerateInputError, ValueError) as exc:
        raise _err(exc) from None


# ------------------------------------------------------------------ LMC ------------------------
@dataclass(frozen=True)
class LMCSpec:
    model_a: str
    model_b: str
    align: bool = True
    n_alphas: int = 11
    data: str = "default"  # Hugging Face models: a text file (one input per line) or the default corpus


@dataclass
class LMCCurves:
    """Loss along the weight interpolation; ``notes``: settings that did not apply, in words."""

    alphas: np.ndarray
    loss: np.ndarray
    loss_aligned: np.ndarray | None
    barrier: float
    barrier_aligned: float | None
    metric: str
    notes: list[str] = field(default_factory=list)


#: the note when permutation alignment is asked for language models
ALIGN_NOT_APPLIED = (
    "permutation-align is not applied: it is implemented for the digit MLPs only, "
    "so the language models' path is shown without alignment"
)


def lmc_setting_notes(spec: LMCSpec, families: tuple[str, str]) -> list[str]:
    """Settings of ``spec`` that cannot apply to models of ``families`` ("" = unknown), known
    before anything is computed."""
    notes = []
    if spec.align and any(f in ("lm", "hf") for f in families):
        notes.append(ALIGN_NOT_APPLIED)
    if "hf" not in families and all(families):
        notes += own_task_data_note(spec.data, "the loss")
    return notes


def run_lmc(spec: LMCSpec, ctx: JobContext) -> LMCCurves:
    from .core.data import digits_split
    from .core.lmc import lmc_curve
    from .core.sources import load_model_source

    try:
        ma, fa = load_model_source(spec.model_a)
        mb, fb = load_model_source(spec.model_b)
        if fa == fb == "hf":
            return _hf_lmc(spec, ctx)
        if "hf" in (fa, fb) or ma.config != mb.config:
            raise DegenerateInputError(
                "linear mode connectivity needs two of the plugin's models with the same architecture "
                f"({spec.model_a} and {spec.model_b} differ)"
            )
        if fa == "mlp":
            xtr, _, xte, yte = digits_split(0)
            ctx.progress(0.1, "plain path")
            plain = lmc_curve(ma, mb, xte, yte, n_alphas=spec.n_alphas)
            ctx.check_cancelled()
            al = lmc_curve(ma, mb, xte, yte, align=True, x_align=xtr, n_alphas=spec.n_alphas) if spec.align else None
            return LMCCurves(
                plain.alphas,
                plain.loss,
                al.loss if al else None,
                plain.barrier,
                al.barrier if al else None,
                "test cross-entropy (nats)",
                lmc_setting_notes(spec, (fa, fb)),
            )
        from .core.data import lm_windows

        curves = _lm_path(ma, mb, lm_windows()[1][:300], spec, ctx, "test loss (nats/char)")
        curves.notes = lmc_setting_notes(spec, (fa, fb))
        return curves
    except (DegenerateInputError, ValueError) as exc:
        raise _err(exc) from None


def _hf_lmc(spec: LMCSpec, ctx: JobContext) -> LMCCurves:
    """The interpolation path between two Hugging Face causal LMs of the same architecture."""
    from .core.hf_lm import HFStitchable

    sa, sb, _, te = _hf_lm_pair(spec.model_a, spec.model_b, spec.data, ctx)
    ma, mb = sa.model, sb.model
    ka, kb = ma.state_dict(), mb.state_dict()
    if ka.keys() != kb.keys() or any(ka[k].shape != kb[k].shape for k in ka):
        raise DegenerateInputError(
            f"linear mode connectivity needs two models of the same architecture: the weights of "
            f"{spec.model_a} and {spec.model_b} differ in names or shapes"
        )
    curves = _lm_path(ma, mb, te, spec, ctx, "test loss (nats/token)", wrap=HFStitchable)
    curves.notes = lmc_setting_notes(spec, ("hf", "hf"))
    return curves


def _lm_path(
    ma, mb, windows: np.ndarray, spec: LMCSpec, ctx: JobContext, metric: str, wrap: Callable[[Any], Any] = lambda m: m
) -> LMCCurves:
    """Next-token loss on ``windows`` along the weight interpolation between two language models
    (``wrap`` makes a model return logits from token ids); no permutation alignment."""
    from .core.lmc import interpolate, path_barrier
    from .core.training import eval_lm

    alphas = np.linspace(0, 1, spec.n_alphas)
    losses = []
    for k, a in enumerate(alphas):
        ctx.check_cancelled()
        losses.append(eval_lm(wrap(interpolate(ma, mb, float(a))), windows)[0])
        ctx.progress((k + 1) / len(alphas), f"alpha {a:.2f}")
    losses_arr = np.array(losses)
    if spec.align:
        ctx.log(ALIGN_NOT_APPLIED)
    return LMCCurves(alphas, losses_arr, None, path_barrier(alphas, losses_arr), None, metric)


# ------------------------------------------------------------------ rotation test --------------
@dataclass(frozen=True)
class RotationSpec:
    model: str = "mlp-w64-s0"
    layer: int = 1
    epochs: int = 20
    seed: int = 0


def run_rotation(spec: RotationSpec, ctx: JobContext):
    from .core.data import digits_split
    from .core.rotation import rotation_test
    from .core.sources import load_model_source

    try:
        m, fam = load_model_source(spec.model)
        if fam != "mlp":
            raise DegenerateInputError("the rotation test is implemented for the digit MLPs")
        ctx.progress(0.1, "retraining after rotation")
        return rotation_test(m, spec.layer, *digits_split(0), epochs=spec.epochs, seed=spec.seed)
    except (DegenerateInputError, ValueError) as exc:
        raise _err(exc) from None
