"""Job specs (frozen, picklable) and module-level ``run_*(spec, ctx)`` functions of the diffusion
intrinsic-dimension plugin.  Qt-free; the panel and the CLI run the same functions.

* :class:`EstimateSpec` / :func:`run_estimate`: intrinsic dimension of an n x D array (a
  ``.npy`` file or an array), several estimators on one shared neighbour graph, optional
  bootstrap intervals, the TwoNN diagnostic and ID-vs-scale / ID-vs-n curves.
* :class:`RunSpec` / :func:`run_diffusion_id`: the paper's experiment: images per prompt from a
  Stable Diffusion pipeline, the bottleneck and the latents captured at every step, their
  intrinsic dimension per (prompt, layer, step) with bootstrap intervals, prompt perplexity under
  a causal language model, and the correlations (:class:`RunResult`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.jobs import JobContext, JobError

from .core.intrinsic_dim import (
    DEFAULT_ESTIMATORS,
    BootstrapCI,
    IDEstimate,
    ScaleCurve,
    SizeCurve,
    TwoNNFit,
    bootstrap_ci,
    estimate,
    estimator_info,
    id_vs_n,
    id_vs_scale,
    neighbours_needed,
    prepare,
    twonn_fit,
)
from .core.knn import DuplicatePointsWarning
from .core.stats import CorrelationRow, correlation_table


def _load_array(path: str) -> np.ndarray:
    """The n x D array of an .npy file (never unpickled); JobError naming the file otherwise
    (missing, an .npz, object dtype, corrupt or truncated: :func:`workbench.array_files.load_npy`)."""
    from workbench.array_files import load_npy
    from workbench.errors import InputError

    try:
        return load_npy(path, what="n x D array")
    except InputError as exc:
        raise JobError(str(exc)) from None


@dataclass(frozen=True)
class EstimateSpec:
    """Estimate the intrinsic dimension of one point cloud.

    ``path``: a ``.npy`` file (n x D, no pickles), or ``data`` given directly (then ``path``
    is ""); ``estimators``: names with parameter overrides ``((name, ((key, value), ...)), ...)``;
    ``n_boot``: bootstrap replicates per estimator (0: none); ``level``: their confidence level;
    ``curves``: also the TwoNN fit, Gride's ID against scale and MLE's ID against n.
    """

    path: str = ""
    data: np.ndarray | None = field(default=None, compare=False)
    estimators: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = tuple((e, ()) for e in DEFAULT_ESTIMATORS)
    n_boot: int = 0
    level: float = 0.95
    curves: bool = False
    seed: int = 0
    device: str = "auto"


@dataclass(frozen=True)
class EstimateResult:
    """Estimates (one per estimator, in order), their intervals (``None`` without bootstrap),
    and the diagnostic curves (``None`` unless asked for)."""

    estimates: tuple[IDEstimate, ...]
    intervals: tuple[BootstrapCI | None, ...]
    n_input: int
    n_points: int
    twonn: TwoNNFit | None = None
    scale: ScaleCurve | None = None
    size: SizeCurve | None = None
    warnings: tuple[str, ...] = ()


def run_estimate(spec: EstimateSpec, ctx: JobContext) -> EstimateResult:
    """Run :class:`EstimateSpec`: progress per estimator, a partial :class:`EstimateResult` after
    each, cancel checks between neighbour-search blocks and bootstrap replicates."""
    X = spec.data if spec.data is not None else _load_array(spec.path)
    names = [(estimator_info(n).name, dict(p)) for n, p in spec.estimators]
    if not names:
        raise JobError("no estimator chosen")
    if spec.n_boot and spec.n_boot < 10:
        raise JobError(f"bootstrap replicates: at least 10 (or 0 for none), got {spec.n_boot}")
    if not 0 < spec.level < 1:
        raise JobError(f"confidence level must be in (0, 1), got {spec.level}")
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always", DuplicatePointsWarning)
        try:
            n0 = np.asarray(X).shape[0] if np.ndim(X) == 2 else 0
            kmax = max([neighbours_needed(n, p, max(n0, 3)) for n, p in names] + [0])
            ctx.progress(0.0, "nearest neighbours")
            prep = prepare(X, k=kmax, device=ctx.device, cancel=ctx.check_cancelled)
        except ValueError as exc:
            raise JobError(f"{spec.path}: {exc}" if spec.path and spec.data is None else str(exc)) from None
        caught += [str(w.message) for w in rec if issubclass(w.category, DuplicatePointsWarning)]
    for msg in caught:
        ctx.log(msg)
    ests: list[IDEstimate] = []
    cis: list[BootstrapCI | None] = []
    steps = len(names) + (3 if spec.curves else 0)
    for j, (name, p) in enumerate(names):
        ctx.check_cancelled()
        ctx.progress(j / steps, f"{name}")
        try:
            ests.append(estimate(prep, name, params=p, cancel=ctx.check_cancelled))
            cis.append(
                bootstrap_ci(
                    prep,
                    name,
                    params=p,
                    n_boot=spec.n_boot,
                    level=spec.level,
                    seed=spec.seed + j,
                    cancel=ctx.check_cancelled,
                )
                if spec.n_boot
                else None
            )
        except ValueError as exc:
            raise JobError(f"{name}: {exc}") from None
        ctx.partial(EstimateResult(tuple(ests), tuple(cis), prep.n_input, prep.n, warnings=tuple(caught)))
    fit = scale = size = None
    if spec.curves:
        ctx.progress(len(names) / steps, "TwoNN fit")
        fit = twonn_fit(prep, cancel=ctx.check_cancelled)
        ctx.progress((len(names) + 1) / steps, "ID against scale")
        if prep.n >= 5:
            scale = id_vs_scale(prep, "gride", cancel=ctx.check_cancelled)
        ctx.progress((len(names) + 2) / steps, "ID against n")
        if prep.n >= 24:
            size = id_vs_n(prep, "mle", repeats=3, seed=spec.seed, cancel=ctx.check_cancelled)
    ctx.progress(1.0, "done")
    return EstimateResult(tuple(ests), tuple(cis), prep.n_input, prep.n, fit, scale, size, tuple(caught))


def finite_or_none(x: float) -> float | None:
    """``x`` for JSON (strict JSON has no NaN or infinity: those become ``None``)."""
    return float(x) if x is not None and math.isfinite(float(x)) else None


# ------------------------------------------------------------------ the diffusion run ---------
@dataclass(frozen=True)
class RunSpec:
    """Generate images for every prompt, capture layers at every denoising step, estimate the
    intrinsic dimension of each (prompt, layer, step) point cloud (one point per image), and
    correlate it with the prompts' perplexity (Kvinge, Brown & Godfrey 2023).

    ``model`` / ``lm``: ``"default"`` (the embedded models) or a local folder (a Stable
    Diffusion 1.x/2.x pipeline; a causal language model).  ``layers``: ``"mid_block"`` (the UNet
    bottleneck), ``"latents"`` (x_t) and any UNet module name.  ``estimators``: names with
    parameter overrides.  ``n_boot``: bootstrap replicates of every estimate (0: no intervals).
    ``threads``: torch CPU threads for the run (0: leave torch's setting).
    """

    prompts: tuple[str, ...]
    model: str = "default"
    lm: str = "default"
    n_images: int = 16
    steps: int = 20
    guidance: float = 5.0
    seed: int = 0
    layers: tuple[str, ...] = ("mid_block", "latents")
    estimators: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = tuple((e, ()) for e in DEFAULT_ESTIMATORS)
    n_boot: int = 50
    level: float = 0.95
    batch_size: int = 16
    thumbnail: int = 128
    device: str = "auto"
    dtype: str = "auto"
    threads: int = 0


@dataclass(frozen=True)
class RunResult:
    """Everything a run measured (plain data).  Arrays are indexed ``[estimator, prompt, layer,
    step]``: ``ids`` (intrinsic dimension), ``ci_low`` / ``ci_high`` (bootstrap interval, NaN
    without), ``errors`` (Gride's standard error, else NaN); ``n_points[prompt, layer, step]``:
    distinct points used; ``perplexity[prompt]``; ``timesteps[step]``; ``images[prompt]``:
    ``(n, h, w, 3)`` uint8 thumbnails; ``twonn[prompt][layer][step]``: the TwoNN fit data;
    ``correlations``: ID against perplexity per estimator, layer and step (``step -1``: ID
    averaged over steps); ``done``: prompts finished (a partial result has fewer)."""

    prompts: tuple[str, ...]
    perplexity: np.ndarray
    layers: tuple[str, ...]
    shapes: dict[str, tuple[int, ...]]
    estimators: tuple[str, ...]
    timesteps: np.ndarray
    ids: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    errors: np.ndarray
    n_points: np.ndarray
    images: tuple[np.ndarray, ...]
    twonn: tuple[tuple[tuple[TwoNNFit | None, ...], ...], ...]
    correlations: tuple[CorrelationRow, ...]
    done: int
    model: str
    lm: str
    n_images: int
    guidance: float
    seed: int
    seconds: float
    warnings: tuple[str, ...] = ()


def _thumbs(images: np.ndarray, side: int) -> np.ndarray:
    """Images at most ``side`` pixels on a side (box-filtered by an integer factor)."""
    if images.size == 0 or max(images.shape[1:3]) <= side:
        return images
    f = int(np.ceil(max(images.shape[1:3]) / side))
    n, h, w, c = images.shape
    h2, w2 = h // f, w // f
    return images[:, : h2 * f, : w2 * f].reshape(n, h2, f, w2, f, c).mean(axis=(2, 4)).round().astype(np.uint8)


def _check_run(spec: RunSpec) -> list[str]:
    prompts = [p.strip() for p in spec.prompts]
    if not prompts or any(not p for p in prompts):
        raise JobError("give at least one prompt; empty prompts are not allowed")
    if spec.n_images < 3:
        raise JobError(f"images per prompt: at least 3 (an intrinsic dimension needs 3 points), got {spec.n_images}")
    if not 1 <= spec.steps <= 1000:
        raise JobError(f"denoising steps must be in [1, 1000], got {spec.steps}")
    if not 0 <= spec.guidance <= 50:
        raise JobError(f"guidance must be in [0, 50], got {spec.guidance}")
    if not spec.layers:
        raise JobError("choose at least one layer")
    if spec.n_boot and spec.n_boot < 10:
        raise JobError(f"bootstrap replicates: at least 10 (or 0 for none), got {spec.n_boot}")
    for name, _ in spec.estimators:
        try:
            estimator_info(name)
        except ValueError as exc:
            raise JobError(str(exc)) from None
    return prompts


def _correlations(
    ids: np.ndarray, ppl: np.ndarray, done: int, layers: tuple[str, ...], estimators: tuple[str, ...], level: float
) -> tuple[CorrelationRow, ...]:
    if done < 3:
        return ()
    rows: list[CorrelationRow] = []
    for e, name in enumerate(estimators):
        rows += correlation_table(ids[e, :done], ppl[:done], layers=list(layers), estimator=name, level=level)
    return tuple(rows)


def run_diffusion_id(spec: RunSpec, ctx: JobContext) -> RunResult:
    """Run :class:`RunSpec`.  Progress: perplexity, then per prompt its denoising (per UNet call,
    with the images it covers) and its estimates; a partial :class:`RunResult` after every
    prompt; cancel checks before every UNet call, between neighbour-search blocks and between
    estimates."""
    import time

    import torch

    from .core.default_model import resolve_lm, resolve_model
    from .core.perplexity import load_lm, perplexities
    from .core.pipeline import generate, load_pipeline

    prompts = _check_run(spec)
    t0 = time.monotonic()
    threads_before = torch.get_num_threads()
    if spec.threads:
        torch.set_num_threads(spec.threads)
    try:
        ctx.progress(0.0, "loading the language model")
        try:
            lm, tok = load_lm(resolve_lm(spec.lm), device="cpu")
            ppl = perplexities(lm, tok, prompts, cancel=ctx.check_cancelled)
        except ValueError as exc:
            raise JobError(str(exc)) from None
        del lm
        ctx.progress(0.01, "loading the diffusion model")
        try:
            pipe = load_pipeline(resolve_model(spec.model), device=ctx.device, dtype=spec.dtype)
        except ValueError as exc:
            raise JobError(str(exc)) from None
        names = tuple(estimator_info(n).name for n, _ in spec.estimators)
        params = [dict(p) for _, p in spec.estimators]
        P, L, E = len(prompts), len(spec.layers), len(names)
        S = None
        ids = ci_lo = ci_hi = errs = npts = None
        images: list[np.ndarray] = []
        twonn: list[tuple[tuple[TwoNNFit | None, ...], ...]] = []
        shapes: dict[str, tuple[int, ...]] = {}
        timesteps = np.zeros(0)
        caught: list[str] = []

        for pi, prompt in enumerate(prompts):
            base = 0.02 + 0.98 * pi / P

            def progress(done: int, total: int, _pi: int = pi, _base: float = base) -> None:
                per_batch = total // max(1, int(np.ceil(spec.n_images / spec.batch_size)))
                b = (done - 1) // max(1, per_batch)
                lo, hi = b * spec.batch_size + 1, min(spec.n_images, (b + 1) * spec.batch_size)
                ctx.progress(
                    _base + 0.98 / P * 0.8 * done / total,
                    f"prompt {_pi + 1}/{P}: images {lo}-{hi} of {spec.n_images}, step "
                    f"{(done - 1) % max(1, per_batch) + 1}/{per_batch}",
                )

            try:
                gen = generate(
                    pipe,
                    prompt,
                    n_images=spec.n_images,
                    steps=spec.steps,
                    guidance=spec.guidance,
                    seed=spec.seed,
                    layers=spec.layers,
                    batch_size=spec.batch_size,
                    progress=progress,
                    cancel=ctx.check_cancelled,
                )
            except (ValueError, RuntimeError) as exc:
                raise JobError(f"prompt {pi + 1} ({prompt!r}): {exc}") from None
            if ids is None:
                S = len(gen.timesteps)
                ids, ci_lo, ci_hi, errs = (np.full((E, P, L, S), np.nan) for _ in range(4))
                npts = np.zeros((P, L, S), dtype=np.int64)
                timesteps = gen.timesteps.astype(np.float64)
                shapes = dict(gen.shapes)
            assert S is not None and ids is not None and ci_lo is not None and ci_hi is not None
            assert errs is not None and npts is not None
            images.append(_thumbs(gen.images, spec.thumbnail))
            fits_p: list[tuple[TwoNNFit | None, ...]] = []
            for li, layer in enumerate(spec.layers):
                fits_l: list[TwoNNFit | None] = []
                acts = gen.activations[layer]
                for si in range(S):
                    ctx.check_cancelled()
                    ctx.progress(
                        base + 0.98 / P * (0.8 + 0.2 * (li * S + si) / (L * S)),
                        f"prompt {pi + 1}/{P}: intrinsic dimension of {layer}, step {si + 1}/{S}",
                    )
                    X = acts[si]
                    with warnings.catch_warnings(record=True) as rec:
                        warnings.simplefilter("always")
                        try:
                            kmax = max(
                                [neighbours_needed(n, p, X.shape[0]) for n, p in zip(names, params, strict=True)] + [0]
                            )
                            prep = prepare(X, k=kmax, device="cpu", cancel=ctx.check_cancelled)
                        except ValueError as exc:
                            caught.append(f"{prompt!r}, {layer}, step {si + 1}: {exc}")
                            fits_l.append(None)
                            continue
                        npts[pi, li, si] = prep.n
                        for e, (name, p) in enumerate(zip(names, params, strict=True)):
                            try:
                                est = estimate(prep, name, params=p, cancel=ctx.check_cancelled)
                                ids[e, pi, li, si], errs[e, pi, li, si] = est.id, est.error
                                if spec.n_boot:
                                    ci = bootstrap_ci(
                                        prep,
                                        name,
                                        params=p,
                                        n_boot=spec.n_boot,
                                        level=spec.level,
                                        seed=spec.seed + si,
                                        cancel=ctx.check_cancelled,
                                    )
                                    ci_lo[e, pi, li, si], ci_hi[e, pi, li, si] = ci.low, ci.high
                            except ValueError as exc:
                                caught.append(f"{prompt!r}, {layer}, step {si + 1}, {name}: {exc}")
                        try:
                            fits_l.append(twonn_fit(prep))
                        except ValueError:
                            fits_l.append(None)
                    for w in rec:
                        if issubclass(w.category, DuplicatePointsWarning):
                            caught.append(f"{prompt!r}, {layer}, step {si + 1}: {w.message}")
                fits_p.append(tuple(fits_l))
            twonn.append(tuple(fits_p))
            done = pi + 1
            ctx.partial(
                RunResult(
                    prompts=tuple(prompts),
                    perplexity=ppl,
                    layers=tuple(spec.layers),
                    shapes=shapes,
                    estimators=names,
                    timesteps=timesteps,
                    ids=ids.copy(),
                    ci_low=ci_lo.copy(),
                    ci_high=ci_hi.copy(),
                    errors=errs.copy(),
                    n_points=npts.copy(),
                    images=tuple(images),
                    twonn=tuple(twonn),
                    correlations=_correlations(ids, ppl, done, tuple(spec.layers), names, spec.level),
                    done=done,
                    model=spec.model,
                    lm=spec.lm,
                    n_images=spec.n_images,
                    guidance=spec.guidance,
                    seed=spec.seed,
                    seconds=time.monotonic() - t0,
                    warnings=tuple(caught),
                )
            )
            del gen
        for msg in caught[:20]:
            ctx.log(msg)
        assert ids is not None and ci_lo is not None and ci_hi is not None and errs is not None and npts is not None
        ctx.progress(1.0, "done")
        return RunResult(
            prompts=tuple(prompts),
            perplexity=ppl,
            layers=tuple(spec.layers),
            shapes=shapes,
            estimators=names,
            timesteps=timesteps,
            ids=ids,
            ci_low=ci_lo,
            ci_high=ci_hi,
            errors=errs,
            n_points=npts,
            images=tuple(images),
            twonn=tuple(twonn),
            correlations=_correlations(ids, ppl, P, tuple(spec.layers), names, spec.level),
            done=P,
            model=spec.model,
            lm=spec.lm,
            n_images=spec.n_images,
            guidance=spec.guidance,
            seed=spec.seed,
            seconds=time.monotonic() - t0,
            warnings=tuple(caught),
        )
    finally:
        if spec.threads:
            torch.set_num_threads(threads_before)


# ------------------------------------------------------------------ the module picker --------
@dataclass(frozen=True)
class ModulesSpec:
    """List the UNet's named modules of a pipeline (``"default"``: the embedded model) down to
    ``max_depth`` dotted levels, for the layer picker; no weights are loaded."""

    model: str = "default"
    max_depth: int = 3


@dataclass(frozen=True)
class ModulesResult:
    """``names[i]`` is a module of class ``classes[i]``; ``model`` the folder they come from."""

    model: str
    names: tuple[str, ...]
    classes: tuple[str, ...]


def run_modules(spec: ModulesSpec, ctx: JobContext) -> ModulesResult:
    """Run :class:`ModulesSpec` (:func:`workbench_diffusion_id.core.pipeline.list_unet_modules`)."""
    from .core.default_model import resolve_model
    from .core.pipeline import list_unet_modules

    ctx.progress(0.0, "reading the UNet's configuration")
    try:
        mods = list_unet_modules(resolve_model(spec.model), spec.max_depth)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    return ModulesResult(spec.model, tuple(n for n, _ in mods), tuple(c for _, c in mods))
