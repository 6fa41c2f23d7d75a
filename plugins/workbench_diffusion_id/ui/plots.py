"""The plots of a diffusion intrinsic-dimension run (pyqtgraph), each with the data behind it.

* :class:`BarsView`: ID per prompt (horizontal bars with the bootstrap interval), one plot per layer,
  at one denoising step;
* :class:`ScatterView`: ID (averaged over the steps) against prompt perplexity per layer, the
  least-squares line, Pearson r and Spearman rho with their intervals in the title;
* :class:`StepsView`: ID against the denoising step, one curve per prompt (top), and the
  correlation with perplexity at every step with its interval (bottom), per layer;
* :class:`TwoNNView`: the TwoNN diagnostic of one prompt and step per layer
  (``-log(1 - F(mu))`` against ``log mu``, the kept and discarded ratios, the fitted line);
* :class:`GalleryView`: the generated images, one row per prompt.

Every view has ``draw(res, ...)``, ``reset()`` and ``data()`` (a dict of arrays and strings for
the export).  The views compute nothing but means and a least-squares line for display.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from typing import Any

import numpy as np
import pyqtgraph as pg

from ..core.stats import linear_fit
from ..jobs import RunResult


def ink() -> Any:
    """The theme's foreground colour (error bars, fitted lines): dark on light, light on dark."""
    from workbench.gui.theme import plot_theme

    return plot_theme().foreground


#: one colour per layer (readable on light and dark backgrounds)
LAYER_COLOURS = ("#4c8bd6", "#e0813a", "#4fae5c", "#d45757", "#9a7fd1", "#b5895a")


def short(text: str, width: int = 26) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    return textwrap.shorten(text, width=width, placeholder="…") or text[:width]


def step_index(res: RunResult, step: int) -> int:
    """The 0-based step index of a 1-based ``step`` (0 or out of range: the last step)."""
    n = len(res.timesteps)
    return step - 1 if 1 <= step <= n else n - 1


def step_mean(res: RunResult, e: int) -> np.ndarray:
    """``[prompt, layer]`` ID of estimator ``e`` averaged over the steps (finished prompts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(res.ids[e, : res.done], axis=2)


def _correlation_text(res: RunResult, layer: str, step: int, estimator: str, sep: str = "<br>") -> str:
    parts = []
    for row in res.correlations:
        if row.layer == layer and row.step == step and row.estimator == estimator:
            c = row.result
            sym = "r" if c.method == "pearson" else "ρ"
            if math.isfinite(c.r):
                parts.append(f"{sym} = {c.r:+.2f} [{c.low:+.2f}, {c.high:+.2f}], p = {c.p_value:.2g}")
            else:
                parts.append(f"{sym}: undefined {c.note}".strip())
    return sep.join(parts) if parts else "correlation: needs 3 prompts"


class _LayerGrid(pg.GraphicsLayoutWidget):
    """A row (or rows) of PlotItems, one per layer, rebuilt when the layers change."""

    rows = 1

    def __init__(self) -> None:
        super().__init__()
        self.plots: list[list[pg.PlotItem]] = []
        self.layers: tuple[str, ...] = ()
        self.res: RunResult | None = None
        self.setMinimumSize(200, 160)

    def _ensure(self, layers: tuple[str, ...]) -> None:
        if layers == self.layers and self.plots:
            for row in self.plots:
                for p in row:
                    p.clear()
            return
        self.clear()
        self.layers = layers
        self.plots = []
        for r in range(self.rows):
            row = []
            for c in range(max(1, len(layers))):
                p = self.addPlot(row=r, col=c)
                p.showGrid(x=True, y=True, alpha=0.25)
                p.setMenuEnabled(False)
                for side in ("bottom", "left"):  # log mu of 0.02 is not "20 (x0.001)"
                    p.getAxis(side).enableAutoSIPrefix(False)
                row.append(p)
            self.plots.append(row)

    def reset(self) -> None:
        self.res = None
        self.clear()
        self.plots = []
        self.layers = ()
        p = self.addPlot()
        p.setMenuEnabled(False)
        p.setTitle("no run yet: press Run (Ctrl+Return)")
        p.hideAxis("bottom")
        p.hideAxis("left")
        self.plots = []


class BarsView(_LayerGrid):
    """ID per prompt (bars with intervals), one plot per layer, at one step."""

    def __init__(self) -> None:
        super().__init__()
        self.e, self.si = 0, 0
        self.reset()

    def draw(self, res: RunResult, e: int, step: int) -> None:
        self.res, self.e, self.si = res, e, step_index(res, step)
        self._ensure(res.layers)
        y = np.arange(res.done)
        ticks = [[(i, f"{i + 1}. {short(res.prompts[i])}") for i in range(res.done)]]
        for li, layer in enumerate(res.layers):
            p = self.plots[0][li]
            v = res.ids[e, : res.done, li, self.si]
            lo, hi = res.ci_low[e, : res.done, li, self.si], res.ci_high[e, : res.done, li, self.si]
            colour = LAYER_COLOURS[li % len(LAYER_COLOURS)]
            ok = np.isfinite(v)
            p.addItem(
                pg.BarGraphItem(
                    x0=np.zeros(ok.sum()), y=y[ok], width=v[ok], height=0.7, brush=colour, pen=pg.mkPen(None)
                )
            )
            has_ci = ok & np.isfinite(lo) & np.isfinite(hi)
            if has_ci.any():
                p.addItem(
                    pg.ErrorBarItem(
                        x=v[has_ci],
                        y=y[has_ci],
                        left=(v - lo)[has_ci],
                        right=(hi - v)[has_ci],
                        beam=0.25,
                        pen=pg.mkPen(ink(), width=1.5),
                    )
                )
            p.getViewBox().invertY(True)
            p.getAxis("left").setTicks(ticks if li == 0 else [[(i, str(i + 1)) for i in range(res.done)]])
            p.setLabel("bottom", f"intrinsic dimension ({res.estimators[e]})")
            p.setTitle(f"{layer} {res.shapes.get(layer, '')}, step {self.si + 1}/{len(res.timesteps)}")
            p.setYRange(-0.6, max(res.done, 1) - 0.4, padding=0)
            p.enableAutoRange(axis="x")

    def data(self) -> dict[str, Any]:
        res = self.res
        if res is None:
            return {}
        e, si = self.e, self.si
        return {
            "prompt": list(res.prompts[: res.done]),
            "layer": list(res.layers),
            "step": si + 1,
            "estimator": res.estimators[e],
            "id": res.ids[e, : res.done, :, si],
            "ci_low": res.ci_low[e, : res.done, :, si],
            "ci_high": res.ci_high[e, : res.done, :, si],
        }


class ScatterView(_LayerGrid):
    """ID averaged over steps against perplexity, the least-squares line and the correlations."""

    def __init__(self) -> None:
        super().__init__()
        self.e = 0
        self.reset()

    def draw(self, res: RunResult, e: int) -> None:
        self.res, self.e = res, e
        self._ensure(res.layers)
        ids = step_mean(res, e)
        ppl = np.asarray(res.perplexity[: res.done], dtype=float)
        for li, layer in enumerate(res.layers):
            p = self.plots[0][li]
            colour = LAYER_COLOURS[li % len(LAYER_COLOURS)]
            y = ids[:, li]
            ok = np.isfinite(y) & np.isfinite(ppl)
            if not ok.any():
                p.setTitle(f"{layer}: no finite ID yet")
                continue
            p.addItem(
                pg.ScatterPlotItem(
                    x=ppl[ok],
                    y=y[ok],
                    size=9,
                    brush=colour,
                    pen=pg.mkPen(None),
                    data=[res.prompts[i] for i in np.nonzero(ok)[0]],
                    hoverable=True,
                    tip=lambda x, y, data: f"{data}\nperplexity {x:.1f}, ID {y:.2f}",
                )
            )
            if ok.sum() >= 3:
                fit = linear_fit(ppl[ok], y[ok])
                if math.isfinite(fit.slope):
                    xs = np.linspace(float(ppl[ok].min()), float(ppl[ok].max()), 2)
                    p.plot(xs, fit.slope * xs + fit.intercept, pen=pg.mkPen(ink(), width=1.5))
            p.setLabel("bottom", "prompt perplexity (surrogate LM)" if res.lm == "default" else "prompt perplexity")
            p.setLabel("left", f"ID averaged over steps ({res.estimators[e]})")
            p.setTitle(f"{layer}<br><small>{_correlation_text(res, layer, -1, res.estimators[e])}</small>")

    def data(self) -> dict[str, Any]:
        res = self.res
        if res is None:
            return {}
        ids = step_mean(res, self.e)
        out: dict[str, Any] = {
            "prompt": list(res.prompts[: res.done]),
            "perplexity": np.asarray(res.perplexity[: res.done], dtype=float),
            "estimator": res.estimators[self.e],
        }
        for li, layer in enumerate(res.layers):
            out[f"id_mean_{layer}"] = ids[:, li]
            out[f"correlation_{layer}"] = _correlation_text(res, layer, -1, res.estimators[self.e], sep="; ")
        return out


class StepsView(_LayerGrid):
    """ID against step per prompt (top row) and its correlation with perplexity per step (bottom)."""

    rows = 2
    MAX_LEGEND = 12

    def __init__(self) -> None:
        super().__init__()
        self.e = 0
        self.reset()

    def draw(self, res: RunResult, e: int) -> None:
        self.res, self.e = res, e
        self._ensure(res.layers)
        steps = np.arange(1, len(res.timesteps) + 1)
        name = res.estimators[e]
        for li, layer in enumerate(res.layers):
            top, bottom = self.plots[0][li], self.plots[1][li]
            if li == 0 and res.done <= self.MAX_LEGEND:
                top.addLegend(offset=(-4, 4), labelTextSize="7pt")
            for pi in range(res.done):
                colour = pg.intColor(pi, hues=max(res.done, 1), values=1, maxValue=230, minValue=230)
                top.plot(
                    steps,
                    res.ids[e, pi, li],
                    pen=pg.mkPen(colour, width=1.5),
                    name=f"{pi + 1}. {short(res.prompts[pi], 22)}" if li == 0 else None,
                )
            top.setTitle(f"{layer}: ID per prompt")
            top.setLabel("left", f"ID ({name})")
            for method, colour in (("pearson", "#4c8bd6"), ("spearman", "#e0813a")):
                rows = sorted(
                    (
                        r
                        for r in res.correlations
                        if r.layer == layer and r.estimator == name and r.step >= 0 and r.result.method == method
                    ),
                    key=lambda r: r.step,
                )
                if not rows:
                    continue
                x = np.array([r.step + 1 for r in rows], dtype=float)
                r_ = np.array([r.result.r for r in rows])
                lo = np.array([r.result.low for r in rows])
                hi = np.array([r.result.high for r in rows])
                band_ok = np.isfinite(lo) & np.isfinite(hi)
                if band_ok.sum() >= 2:
                    c_lo = bottom.plot(x[band_ok], lo[band_ok], pen=pg.mkPen(None))
                    c_hi = bottom.plot(x[band_ok], hi[band_ok], pen=pg.mkPen(None))
                    fill = pg.mkColor(colour)
                    fill.setAlpha(50)
                    bottom.addItem(pg.FillBetweenItem(c_lo, c_hi, brush=fill))
                bottom.plot(
                    x,
                    r_,
                    pen=pg.mkPen(colour, width=2),
                    symbol="o",
                    symbolSize=5,
                    symbolBrush=colour,
                    symbolPen=None,
                )
            bottom.addLine(y=0, pen=pg.mkPen(ink(), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
            bottom.setYRange(-1, 1, padding=0.05)
            bottom.setTitle(f"{layer}: correlation with perplexity<br><small>blue r, orange ρ, band: CI</small>")
            bottom.setLabel("bottom", "denoising step")
            bottom.setXLink(top)

    def data(self) -> dict[str, Any]:
        res = self.res
        if res is None:
            return {}
        name = res.estimators[self.e]
        out: dict[str, Any] = {
            "prompt": list(res.prompts[: res.done]),
            "step": np.arange(1, len(res.timesteps) + 1),
            "timestep": np.asarray(res.timesteps),
            "estimator": name,
        }
        for li, layer in enumerate(res.layers):
            out[f"id_{layer}"] = res.ids[self.e, : res.done, li]
            for method in ("pearson", "spearman"):
                rows = sorted(
                    (
                        r
                        for r in res.correlations
                        if r.layer == layer and r.estimator == name and r.step >= 0 and r.result.method == method
                    ),
                    key=lambda r: r.step,
                )
                out[f"{method}_{layer}"] = np.array([[r.result.r, r.result.low, r.result.high] for r in rows])
        return out


class TwoNNView(_LayerGrid):
    """The TwoNN fit (Facco et al. 2017) of one prompt and step, per layer."""

    def __init__(self) -> None:
        super().__init__()
        self.prompt, self.si = 0, 0
        self.reset()

    def draw(self, res: RunResult, prompt: int, step: int) -> None:
        self.res = res
        self.prompt = min(max(prompt, 0), max(res.done - 1, 0))
        self.si = step_index(res, step)
        self._ensure(res.layers)
        for li, layer in enumerate(res.layers):
            p = self.plots[0][li]
            fit = res.twonn[self.prompt][li][self.si] if self.prompt < len(res.twonn) else None
            p.setLabel("bottom", "log μ (ratio of 2nd to 1st neighbour distance)")
            p.setLabel("left", "−log(1 − F(μ))")
            if fit is None or not len(fit.x):
                p.setTitle(f"{layer}: no fit (too few distinct points)")
                continue
            if res.done <= 1 or li == 0:
                p.addLegend(offset=(4, 4), labelTextSize="7pt")
            p.addItem(
                pg.ScatterPlotItem(
                    x=fit.x, y=fit.y, size=6, brush="#4c8bd6", pen=pg.mkPen(None), name=f"kept ({len(fit.x)})"
                )
            )
            if len(fit.x_discarded):
                p.addItem(
                    pg.ScatterPlotItem(
                        x=fit.x_discarded,
                        y=fit.y_discarded,
                        size=6,
                        brush="#d45757",
                        pen=pg.mkPen(None),
                        name=f"discarded ({len(fit.x_discarded)})",
                    )
                )
            xmax = max(float(np.max(fit.x)) if len(fit.x) else 0.0, 1e-9)
            xs = np.array([0.0, xmax])
            p.plot(xs, fit.slope * xs, pen=pg.mkPen(ink(), width=1.5), name=f"slope d = {fit.slope:.2f}")
            p.setTitle(f"{layer}: prompt {self.prompt + 1} “{short(res.prompts[self.prompt], 30)}”, step {self.si + 1}")

    def data(self) -> dict[str, Any]:
        res = self.res
        if res is None or self.prompt >= len(res.twonn):
            return {}
        out: dict[str, Any] = {"prompt": res.prompts[self.prompt], "step": self.si + 1}
        for li, layer in enumerate(res.layers):
            fit = res.twonn[self.prompt][li][self.si]
            if fit is not None:
                out[f"{layer}_log_mu"] = fit.x
                out[f"{layer}_minus_log_1_minus_F"] = fit.y
                out[f"{layer}_log_mu_discarded"] = fit.x_discarded
                out[f"{layer}_slope"] = fit.slope
        return out


def mosaic(images: tuple[np.ndarray, ...], per_row: int, pad: int = 2) -> np.ndarray:
    """One RGB image (uint8) with ``images[i][:per_row]`` as row ``i``, ``pad`` pixels apart."""
    if not images or per_row < 1:
        return np.zeros((1, 1, 3), np.uint8)
    h = max(im.shape[1] for im in images if len(im)) if any(len(im) for im in images) else 1
    w = max(im.shape[2] for im in images if len(im)) if any(len(im) for im in images) else 1
    out = np.full((len(images) * (h + pad) + pad, per_row * (w + pad) + pad, 3), 128, np.uint8)
    for i, row in enumerate(images):
        for j, im in enumerate(row[:per_row]):
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            out[y : y + im.shape[0], x : x + im.shape[1]] = im[..., :3]
    return out


class GalleryView(pg.PlotWidget):
    """The generated images of every prompt (one row each, the first ``per_row``)."""

    def __init__(self, per_row: int = 16) -> None:
        super().__init__()
        self.per_row = per_row
        self.res: RunResult | None = None
        self.image = pg.ImageItem()
        self.addItem(self.image)
        self.getViewBox().invertY(True)
        self.getViewBox().setAspectLocked(True)
        self.hideAxis("bottom")
        self.setMenuEnabled(False)
        self.setMinimumSize(200, 160)
        self.reset()

    def reset(self) -> None:
        self.res = None
        self.image.clear()
        self.setTitle("no images yet")
        self.getAxis("left").setTicks([[]])

    def draw(self, res: RunResult) -> None:
        self.res = res
        imgs = res.images[: res.done]
        n = min(self.per_row, max((len(im) for im in imgs), default=0))
        m = mosaic(imgs, n)
        self.image.setImage(m.transpose(1, 0, 2), levels=(0, 255))
        h = (m.shape[0] - 2) / max(len(imgs), 1)
        self.getAxis("left").setTicks(
            [[(2 + (i + 0.5) * h, f"{i + 1}. {short(res.prompts[i], 30)}") for i in range(len(imgs))]]
        )
        self.setTitle(f"first {n} of {res.n_images} images per prompt (seed {res.seed} + i)")
        self.getViewBox().autoRange(padding=0.01)

    def data(self) -> dict[str, Any]:
        res = self.res
        if res is None:
            return {}
        return {"prompt": list(res.prompts[: res.done]), "images": np.stack(res.images[: res.done])}
