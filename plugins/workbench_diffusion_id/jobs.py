"""Job specs (frozen, picklable) and module-level ``run_*(spec, ctx)`` functions of the diffusion
intrinsic-dimension plugin.  Qt-free; the panel and the CLI run the same functions.

* :class:`EstimateSpec` / :func:`run_estimate`: intrinsic dimension of an n x D array (a
  ``.npy`` file or an array), several estimators on one shared neighbour graph, optional
  bootstrap intervals, the TwoNN diagnostic and ID-vs-scale / ID-vs-n curves.
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


def _load_array(path: str) -> np.ndarray:
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise JobError(f"{p}: no such file")
    try:
        a = np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise JobError(
            f"{p.name}: cannot be read without unpickling ({exc}); save a numeric array with numpy.save"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any unreadable file is bad input
        raise JobError(f"{p.name}: not a .npy file ({exc})") from None
    if not hasattr(a, "ndim"):
        raise JobError(f"{p.name}: an .npz archive; pass one n x D array saved with numpy.save")
    return a


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
            raise JobError(str(exc)) from None
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
