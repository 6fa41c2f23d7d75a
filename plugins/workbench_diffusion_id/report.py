"""Tables and figures of a diffusion intrinsic-dimension run (Qt-free; matplotlib's Agg backend).

:func:`write_outputs` writes into a folder:

* ``results.csv``: one row per (prompt, layer, step, estimator): prompt, perplexity, layer,
  step (1-based), timestep, estimator, id, ci_low, ci_high, error, n_points;
* ``correlations.csv``: ID against perplexity per estimator, layer and step (``step`` ``mean``:
  the ID averaged over the steps): method, r, p, p_adjusted (Benjamini-Hochberg), ci_low,
  ci_high, ci_method, n;
* ``results.json``: all of the above plus the run's settings, shapes and timesteps;
* figures (PNG, and SVG/PDF when asked): ``id_per_prompt`` (bars with intervals per layer at one
  step), ``id_vs_perplexity`` (scatter of the step-averaged ID with the regression line and the
  correlation), ``id_vs_step`` (one curve per prompt and layer), ``twonn_fit`` (the TwoNN
  diagnostic) and ``gallery`` (the images of each prompt).
"""

from __future__ import annotations

import csv
import json
import math
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .core.stats import linear_fit
from .jobs import RunResult


def _num(x: Any) -> Any:
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def table_rows(res: RunResult) -> list[dict[str, Any]]:
    """The long table: one dict per (prompt, layer, step, estimator) of the finished prompts."""
    rows = []
    for pi in range(res.done):
        for li, layer in enumerate(res.layers):
            for si in range(len(res.timesteps)):
                for e, name in enumerate(res.estimators):
                    rows.append(
                        {
                            "prompt": res.prompts[pi],
                            "perplexity": _num(res.perplexity[pi]),
                            "layer": layer,
                            "step": si + 1,
                            "timestep": _num(res.timesteps[si]),
                            "estimator": name,
                            "id": _num(res.ids[e, pi, li, si]),
                            "ci_low": _num(res.ci_low[e, pi, li, si]),
                            "ci_high": _num(res.ci_high[e, pi, li, si]),
                            "error": _num(res.errors[e, pi, li, si]),
                            "n_points": int(res.n_points[pi, li, si]),
                        }
                    )
    return rows


def correlation_rows(res: RunResult) -> list[dict[str, Any]]:
    out = []
    for row in res.correlations:
        c = row.result
        out.append(
            {
                "estimator": row.estimator,
                "layer": row.layer,
                "step": "mean" if row.step < 0 else row.step + 1,
                "method": c.method,
                "r": _num(c.r),
                "p": _num(c.p_value),
                "p_adjusted": _num(c.p_adjusted),
                "ci_low": _num(c.low),
                "ci_high": _num(c.high),
                "ci_method": c.ci_method,
                "level": c.level,
                "n": c.n,
                "note": c.note,
            }
        )
    return out


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        if not rows:
            return
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})


def step_mean(res: RunResult, e: int) -> np.ndarray:
    """``[prompt, layer]`` ID of estimator ``e`` averaged over the steps (NaN steps left out)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(res.ids[e, : res.done], axis=2)


def _short(text: str, width: int = 28) -> str:
    return textwrap.shorten(text, width=width, placeholder="…")


def _figure(nrows: int, ncols: int, w: float, h: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(w, h), squeeze=False)
    return fig, axes


def fig_id_per_prompt(res: RunResult, e: int = 0, step: int = -1) -> Any:
    """Bars of the ID of every prompt per layer at ``step`` (index; -1: the last) with intervals."""
    si = step % len(res.timesteps)
    fig, axes = _figure(1, len(res.layers), 4.2 * len(res.layers), 4.2)
    x = np.arange(res.done)
    for li, layer in enumerate(res.layers):
        ax = axes[0, li]
        v = res.ids[e, : res.done, li, si]
        lo, hi = res.ci_low[e, : res.done, li, si], res.ci_high[e, : res.done, li, si]
        err = np.vstack([v - lo, hi - v]) if np.isfinite(lo).any() else None
        ax.bar(x, v, yerr=err, capsize=3, color="#4c72b0")
        ax.set_xticks(x, [_short(p, 22) for p in res.prompts[: res.done]], rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{layer}, step {si + 1}/{len(res.timesteps)}")
        ax.set_ylabel(f"intrinsic dimension ({res.estimators[e]})")
    fig.tight_layout()
    return fig


def fig_id_vs_perplexity(res: RunResult, e: int = 0) -> Any:
    """Scatter of the step-averaged ID against perplexity per layer, regression line, Pearson r."""
    fig, axes = _figure(1, len(res.layers), 4.2 * len(res.layers), 3.8)
    ids = step_mean(res, e)
    ppl = res.perplexity[: res.done]
    for li, layer in enumerate(res.layers):
        ax = axes[0, li]
        ax.scatter(ppl, ids[:, li], color="#dd8452", zorder=3)
        fit = linear_fit(ppl, ids[:, li])
        rows = [r for r in res.correlations if r.layer == layer and r.step == -1 and r.estimator == res.estimators[e]]
        if math.isfinite(fit.slope):
            xs = np.linspace(np.nanmin(ppl), np.nanmax(ppl), 50)
            ax.plot(xs, fit.slope * xs + fit.intercept, color="#333333", lw=1)
        label = []
        for r in rows:
            c = r.result
            if math.isfinite(c.r):
                label.append(f"{c.method} {c.r:+.2f} [{c.low:+.2f}, {c.high:+.2f}], p={c.p_value:.2g}")
        ax.set_title(f"{layer}\n" + "\n".join(label), fontsize=8)
        ax.set_xlabel("prompt perplexity")
        ax.set_ylabel(f"ID averaged over steps ({res.estimators[e]})")
    fig.tight_layout()
    return fig


def fig_id_vs_step(res: RunResult, e: int = 0) -> Any:
    """ID against denoising step, one curve per prompt, one panel per layer."""
    fig, axes = _figure(1, len(res.layers), 4.6 * len(res.layers), 3.8)
    steps = np.arange(1, len(res.timesteps) + 1)
    for li, layer in enumerate(res.layers):
        ax = axes[0, li]
        for pi in range(res.done):
            ax.plot(steps, res.ids[e, pi, li], lw=1, label=_short(res.prompts[pi], 24))
        ax.set_title(layer)
        ax.set_xlabel("denoising step")
        ax.set_ylabel(f"intrinsic dimension ({res.estimators[e]})")
    axes[0, -1].legend(fontsize=6, loc="best")
    fig.tight_layout()
    return fig


def fig_twonn(res: RunResult, prompt: int = 0, step: int = -1) -> Any:
    """The TwoNN diagnostic (Facco et al. 2017): -log(1 - F(mu)) against log(mu), per layer."""
    si = step % len(res.timesteps)
    fig, axes = _figure(1, len(res.layers), 4.0 * len(res.layers), 3.6)
    for li, layer in enumerate(res.layers):
        ax = axes[0, li]
        fit = res.twonn[prompt][li][si] if prompt < len(res.twonn) else None
        if fit is not None:
            ax.scatter(fit.x, fit.y, s=12, label="kept")
            ax.scatter(fit.x_discarded, fit.y_discarded, s=12, color="#c44e52", label="discarded")
            xs = np.linspace(0, max(float(np.max(fit.x)), 1e-9), 20)
            ax.plot(xs, fit.slope * xs, color="#333333", lw=1, label=f"slope {fit.slope:.2f}")
            ax.legend(fontsize=7)
        ax.set_title(f"{layer}: {_short(res.prompts[prompt], 30)}, step {si + 1}", fontsize=8)
        ax.set_xlabel("log mu")
        ax.set_ylabel("-log(1 - F(mu))")
    fig.tight_layout()
    return fig


def fig_gallery(res: RunResult, per_prompt: int = 8) -> Any:
    """The first ``per_prompt`` images of every prompt, one row each."""
    n = min(per_prompt, max((len(im) for im in res.images), default=0))
    fig, axes = _figure(max(1, res.done), max(1, n), 0.9 * max(1, n) + 2.4, 0.95 * max(1, res.done))
    for pi in range(res.done):
        for j in range(n):
            ax = axes[pi, j]
            ax.axis("off")
            if j < len(res.images[pi]):
                ax.imshow(res.images[pi][j], interpolation="nearest")
        axes[pi, 0].set_title(_short(res.prompts[pi], 60), fontsize=7, loc="left")
    fig.tight_layout()
    return fig


FIGURES: dict[str, Callable[[RunResult], Any]] = {
    "id_per_prompt": fig_id_per_prompt,
    "id_vs_perplexity": fig_id_vs_perplexity,
    "id_vs_step": fig_id_vs_step,
    "twonn_fit": fig_twonn,
    "gallery": fig_gallery,
}


def write_tables(res: RunResult, out: str | Path, *, spec: dict[str, Any] | None = None) -> list[Path]:
    """Write ``results.csv``, ``correlations.csv`` and ``results.json`` of ``res`` into ``out``
    (created); the paths.  All numbers of the run: prompt, perplexity, layer, step, estimator,
    ID, interval, error, points; the correlations; the settings."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows, corr = table_rows(res), correlation_rows(res)
    _write_csv(folder / "results.csv", rows)
    _write_csv(folder / "correlations.csv", corr)
    doc = {
        "paper": "Kvinge, Brown & Godfrey 2023, arXiv 2302.09301",
        "settings": spec or {},
        "model": res.model,
        "lm": res.lm,
        "prompts": list(res.prompts),
        "perplexity": [_num(v) for v in res.perplexity],
        "layers": list(res.layers),
        "shapes": {k: list(v) for k, v in res.shapes.items()},
        "estimators": list(res.estimators),
        "timesteps": [_num(v) for v in res.timesteps],
        "n_images": res.n_images,
        "guidance": res.guidance,
        "seed": res.seed,
        "seconds": round(res.seconds, 2),
        "done": res.done,
        "warnings": list(res.warnings),
        "results": rows,
        "correlations": corr,
    }
    (folder / "results.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return [folder / "results.csv", folder / "correlations.csv", folder / "results.json"]


def write_outputs(
    res: RunResult,
    out: str | Path,
    *,
    formats: Sequence[str] = ("png",),
    dpi: int = 120,
    spec: dict[str, Any] | None = None,
) -> list[Path]:
    """Write the tables and the JSON (:func:`write_tables`) and the figures of ``res`` into
    ``out`` (created); the paths."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(out)
    written = write_tables(res, folder, spec=spec)
    for name, fn in FIGURES.items():
        if res.done == 0:
            break
        fig = fn(res)
        for fmt in formats:
            p = folder / f"{name}.{fmt}"
            fig.savefig(p, dpi=dpi)
            written.append(p)
        plt.close(fig)
    return written
