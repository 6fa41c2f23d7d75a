"""Correlation of intrinsic dimension with prompt perplexity: Pearson and Spearman coefficients
with p-values and confidence intervals (scipy), per layer and per denoising step.

* Pearson: ``scipy.stats.pearsonr`` (two-sided t-test p-value); interval from Fisher's
  z-transform, ``tanh(atanh r +- z_{1-a/2} / sqrt(n - 3))`` (Fisher 1921), which is what
  ``PearsonRResult.confidence_interval`` returns.
* Spearman: ``scipy.stats.spearmanr`` (t-approximation p-value); interval from the z-transform
  with the variance ``1.06 / (n - 3)`` of Fieller, Hartley & Pearson (1957, Biometrika 44:470).
* Optionally a percentile bootstrap interval over prompts (``n_boot > 0``; pairs resampled).
* Benjamini-Hochberg adjusted p-values across a table (``scipy.stats.false_discovery_control``).

Fewer than 3 prompts, or a constant ID or perplexity, give NaN (``note`` says why): no
correlation is defined there.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as sps

METHODS = ("pearson", "spearman")


@dataclass(frozen=True)
class Correlation:
    """One correlation: coefficient ``r``, two-sided ``p_value``, interval ``[low, high]`` at
    ``level`` (``ci_method``: ``"fisher-z"``, ``"fieller"`` or ``"bootstrap"``), ``n`` pairs,
    ``p_adjusted`` (Benjamini-Hochberg within its table; NaN alone), ``note`` when undefined."""

    method: str
    r: float
    p_value: float
    low: float
    high: float
    n: int
    level: float
    ci_method: str
    p_adjusted: float = math.nan
    note: str = ""


@dataclass(frozen=True)
class CorrelationRow:
    """A correlation of one estimator's ID at one layer and step (``step = -1``: the ID averaged
    over the steps) with perplexity."""

    layer: str
    step: int
    estimator: str
    result: Correlation


@dataclass(frozen=True)
class LinearFit:
    """Least-squares line ``y = slope x + intercept`` with standard errors (``scipy.stats.linregress``)."""

    slope: float
    intercept: float
    slope_stderr: float
    intercept_stderr: float
    r: float


def fisher_interval(r: float, n: int, level: float = 0.95, variance_factor: float = 1.0) -> tuple[float, float]:
    """``tanh(atanh r -+ z sqrt(variance_factor / (n - 3)))``: Fisher's z interval (factor 1) or
    Fieller-Hartley-Pearson's for Spearman's rho (factor 1.06).  NaN for n < 4 or NaN r."""
    if n < 4 or not math.isfinite(r):
        return math.nan, math.nan
    if abs(r) >= 1:
        return float(r), float(r)
    z = math.atanh(r)
    half = sps.norm.ppf(0.5 + level / 2) * math.sqrt(variance_factor / (n - 3))
    return math.tanh(z - half), math.tanh(z + half)


def _clean(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    if xa.shape != ya.shape:
        raise ValueError(f"correlation needs pairs: {xa.size} values against {ya.size}")
    ok = np.isfinite(xa) & np.isfinite(ya)
    return xa[ok], ya[ok]


def correlate(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    method: str = "pearson",
    *,
    level: float = 0.95,
    n_boot: int = 0,
    seed: int = 0,
) -> Correlation:
    """The correlation of ``x`` (e.g. ID per prompt) with ``y`` (perplexity per prompt); pairs
    with a non-finite member are left out.  See the module docstring for the formulas."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    xa, ya = _clean(x, y)
    n = int(xa.size)
    ci_kind = "bootstrap" if n_boot else ("fisher-z" if method == "pearson" else "fieller")
    nan = Correlation(method, math.nan, math.nan, math.nan, math.nan, n, level, ci_kind)
    if n < 3:
        return replace(nan, note=f"{n} pair(s): at least 3 are needed")
    if np.ptp(xa) == 0 or np.ptp(ya) == 0:
        return replace(nan, note="constant input: the correlation is undefined")
    if method == "pearson":
        res = sps.pearsonr(xa, ya)
        r, p = float(res.statistic), float(res.pvalue)
        lo, hi = fisher_interval(r, n, level)
    else:
        res = sps.spearmanr(xa, ya)
        r, p = float(res.statistic), float(res.pvalue)
        lo, hi = fisher_interval(r, n, level, variance_factor=1.06)
    if n_boot:
        if n_boot < 10:
            raise ValueError(f"n_boot must be 0 or at least 10, got {n_boot}")
        rng = np.random.default_rng(seed)
        reps = []
        for _ in range(n_boot):
            i = rng.integers(0, n, n)
            if np.ptp(xa[i]) == 0 or np.ptp(ya[i]) == 0:
                continue
            reps.append(
                np.corrcoef(xa[i], ya[i])[0, 1] if method == "pearson" else sps.spearmanr(xa[i], ya[i]).statistic
            )
        if len(reps) >= 10:
            lo, hi = (float(v) for v in np.quantile(reps, [0.5 - level / 2, 0.5 + level / 2]))
        else:
            lo = hi = math.nan
    return Correlation(method, r, p, float(lo), float(hi), n, level, ci_kind)


def linear_fit(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> LinearFit:
    """The regression line of ``y`` on ``x`` (for the scatter plot); NaN when undefined."""
    xa, ya = _clean(x, y)
    if xa.size < 2 or np.ptp(xa) == 0:
        return LinearFit(math.nan, math.nan, math.nan, math.nan, math.nan)
    res = sps.linregress(xa, ya)
    return LinearFit(
        float(res.slope), float(res.intercept), float(res.stderr), float(res.intercept_stderr), float(res.rvalue)
    )


def adjust_table(rows: Sequence[CorrelationRow]) -> list[CorrelationRow]:
    """``rows`` with Benjamini-Hochberg adjusted p-values within each (estimator, method)."""
    out = list(rows)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(out):
        if math.isfinite(row.result.p_value):
            groups.setdefault((row.estimator, row.result.method), []).append(i)
    for idx in groups.values():
        adj = sps.false_discovery_control([out[i].result.p_value for i in idx], method="bh")
        for i, a in zip(idx, adj, strict=True):
            out[i] = replace(out[i], result=replace(out[i].result, p_adjusted=float(a)))
    return out


def correlation_table(
    ids: np.ndarray,
    perplexity: Sequence[float] | np.ndarray,
    *,
    layers: Sequence[str],
    estimator: str,
    steps: Sequence[int] | None = None,
    methods: Sequence[str] = METHODS,
    level: float = 0.95,
    include_mean: bool = True,
) -> list[CorrelationRow]:
    """Correlations of ``ids[prompt, layer, step]`` (one estimator) with ``perplexity[prompt]``
    for every layer and step, plus (``include_mean``) the ID averaged over steps (``step -1``);
    p-values adjusted across the table (Benjamini-Hochberg)."""
    arr = np.asarray(ids, dtype=float)
    if arr.ndim != 3:
        raise ValueError(f"ids must be prompts x layers x steps, got shape {arr.shape}")
    ppl = np.asarray(perplexity, dtype=float).ravel()
    if ppl.size != arr.shape[0]:
        raise ValueError(f"{arr.shape[0]} prompts of IDs but {ppl.size} perplexities")
    if len(layers) != arr.shape[1]:
        raise ValueError(f"{arr.shape[1]} layers of IDs but {len(layers)} layer names")
    step_ids = list(range(arr.shape[2])) if steps is None else [int(s) for s in steps]
    if len(step_ids) != arr.shape[2]:
        raise ValueError(f"{arr.shape[2]} steps of IDs but {len(step_ids)} step numbers")
    rows = []
    for li, layer in enumerate(layers):
        cols = [(s, arr[:, li, j]) for j, s in enumerate(step_ids)]
        if include_mean:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a prompt with no finite ID: NaN
                cols.append((-1, np.nanmean(arr[:, li, :], axis=1)))
        for step, col in cols:
            for m in methods:
                rows.append(CorrelationRow(str(layer), int(step), estimator, correlate(col, ppl, m, level=level)))
    return adjust_table(rows)
