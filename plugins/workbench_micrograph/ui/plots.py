"""The micrograph panel's plots (pyqtgraph): the 1-LI alpha curves with the slider's live
values, and the robustness-vs-shift scatter of every method.  Colours are mid-tones that read
on the light and the dark theme's backgrounds; axes and titles follow the theme through
:func:`workbench.gui.theme.theme_plot`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from workbench.gui.theme import plot_theme, theme_plot

#: Tableau 10 (readable on white and on the dark theme's grey)
COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def _nan_free(xs: list[float], ys: list[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(xs, float), np.asarray(ys, float)
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


class AlphaPlot(pg.PlotWidget):
    """Every metric against alpha: accuracies of the test sets and the edit set (solid, the fine
    grid), PGD l_inf / l_2 and corruption accuracy (dashed, at the coarse alphas); a vertical
    line at the slider's alpha and its live accuracies as open circles."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(240, 180)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setLabel("bottom", "alpha (0: original, 1: edited)")
        item.setLabel("left", "accuracy")
        item.setXRange(0, 1, padding=0.02)
        item.setYRange(0, 1, padding=0.02)
        item.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        # bottom left: the accuracies start high and the robustness curves stay above ~0.3 there
        self.legend = item.addLegend(offset=(10, -10), labelTextSize="8pt")
        self.line = pg.InfiniteLine(pos=0.5, angle=90, pen=pg.mkPen("#888888", width=1, style=Qt.PenStyle.DashLine))
        item.addItem(self.line)
        self.live = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#888888", width=1.5), brush=pg.mkBrush(0, 0, 0, 0))
        item.addItem(self.live)
        self._items: list[Any] = []
        self.curve: Any = None
        self.live_values: dict[str, float] = {}
        self.live_alpha = float("nan")
        self.names: list[str] = []

    def reset(self) -> None:
        self.draw(None)

    def draw(self, curve: Any) -> None:
        """Draw an :class:`~workbench_micrograph.core.evaluate.AlphaCurve` (None: clear)."""
        item = self.getPlotItem()
        for it in self._items:  # the curves drawn before (not the line and the live markers)
            item.removeItem(it)
        self._items = []
        self.legend.clear()
        self.curve = curve
        self.names = []
        if curve is None:
            item.setTitle("1-LI alpha curve: run a single-layer edit")
            self.live.setData([], [])
            return
        item.setTitle(f"1-LI of {curve.layer}")
        for i, (name, ys) in enumerate(curve.acc.items()):
            x, y = _nan_free(curve.alphas, ys)
            self._items.append(item.plot(x, y, pen=pg.mkPen(colour(i), width=2), name=f"{name} accuracy"))
            self.names.append(name)
        robust = (("PGD l_inf", curve.robust_inf), ("PGD l_2", curve.robust_2), ("corruptions", curve.corruption))
        for j, (label, ys) in enumerate(robust):
            x, y = _nan_free(curve.robust_alphas, ys)
            if len(x):
                c = colour(len(curve.acc) + j)
                plotted = item.plot(
                    x,
                    y,
                    pen=pg.mkPen(c, width=2, style=Qt.PenStyle.DashLine),
                    symbol="s",
                    symbolSize=6,
                    symbolBrush=c,
                    symbolPen=None,
                    name=label,
                )
                self._items.append(plotted)
        self._draw_live()

    def set_alpha(self, alpha: float) -> None:
        self.line.setValue(float(alpha))

    def set_live(self, alpha: float, acc: dict[str, float] | None) -> None:
        """The slider's accuracies at ``alpha`` (None: none)."""
        self.live_alpha = float(alpha)
        self.live_values = dict(acc or {})
        self._draw_live()

    def _draw_live(self) -> None:
        spots = []
        for i, name in enumerate(self.names):
            v = self.live_values.get(name)
            if v is not None and math.isfinite(v):
                spots.append({"pos": (self.live_alpha, v), "pen": pg.mkPen(colour(i), width=2)})
        self.live.setData(spots)

    def data(self) -> dict[str, Any]:
        c = self.curve
        if c is None:
            return {}
        out: dict[str, Any] = {"layer": c.layer, "alpha": np.asarray(c.alphas)}
        for name, ys in c.acc.items():
            out[f"acc_{name}"] = np.asarray(ys)
        out.update(
            robust_alpha=np.asarray(c.robust_alphas),
            pgd_linf=np.asarray(c.robust_inf),
            pgd_l2=np.asarray(c.robust_2),
            corruption_acc=np.asarray(c.corruption),
        )
        if self.live_values:
            out["live_alpha"] = self.live_alpha
            out.update({f"live_acc_{k}": v for k, v in self.live_values.items()})
        return out


class ScatterPlot(pg.PlotWidget):
    """PGD l_inf robust accuracy against the mean shifted accuracy, one point per method (with
    its spread over seeds as error bars when there is one) and its name beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(240, 180)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setLabel("bottom", "shifted accuracy (mean over shifted test sets)")
        item.setLabel("left", "PGD l_inf robust accuracy")
        item.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        self.rows: list[tuple[str, dict[str, float], dict[str, float]]] = []
        self._labels: list[pg.TextItem] = []

    def draw(self, rows: list[tuple[str, dict[str, float], dict[str, float]]], title: str = "") -> None:
        """``rows``: (method, mean row, sd row) as in :func:`~workbench_micrograph.core.evaluate.metric_row`."""
        item = self.getPlotItem()
        item.clear()
        self._labels = []
        self.rows = list(rows)
        item.setTitle(title or ("robustness vs shift" if rows else "robustness vs shift: run an edit or a comparison"))
        fg = plot_theme().foreground
        xs, ys = [], []
        for i, (name, mu, sd) in enumerate(self.rows):
            x, y = mu.get("shift_mean", math.nan), mu.get("robust_acc", math.nan)
            if not (math.isfinite(x) and math.isfinite(y)):
                continue
            xs.append(x)
            ys.append(y)
            c = colour(i)
            sx, sy = sd.get("shift_mean", 0.0), sd.get("robust_acc", 0.0)
            if (sx or sy) and math.isfinite(sx) and math.isfinite(sy):
                item.addItem(
                    pg.ErrorBarItem(
                        x=np.array([x]), y=np.array([y]), width=2 * sx, height=2 * sy, beam=0.01, pen=pg.mkPen(c)
                    )
                )
            item.addItem(
                pg.ScatterPlotItem([x], [y], size=11, brush=pg.mkBrush(c), pen=pg.mkPen(fg, width=0.8), symbol="o")
            )
            label = pg.TextItem(name, color=fg, anchor=(-0.1, 1.0))
            label.setPos(x, y)
            item.addItem(label)
            self._labels.append(label)
        if xs:
            pad = 0.03
            item.setXRange(max(0.0, min(xs) - pad), min(1.0, max(xs) + 2 * pad), padding=0.05)
            item.setYRange(max(0.0, min(ys) - pad), min(1.0, max(ys) + pad), padding=0.05)
        else:
            item.setXRange(0, 1)
            item.setYRange(0, 1)

    def retheme(self) -> None:
        """The method names in the theme's text colour (TextItems keep their colour otherwise)."""
        theme_plot(self)
        fg = plot_theme().foreground
        for label in self._labels:
            label.setColor(fg)

    def data(self) -> dict[str, Any]:
        if not self.rows:
            return {}
        return {
            "method": [r[0] for r in self.rows],
            "shifted_acc": np.asarray([r[1].get("shift_mean", math.nan) for r in self.rows]),
            "shifted_acc_sd": np.asarray([r[2].get("shift_mean", 0.0) for r in self.rows]),
            "pgd_linf": np.asarray([r[1].get("robust_acc", math.nan) for r in self.rows]),
            "pgd_linf_sd": np.asarray([r[2].get("robust_acc", 0.0) for r in self.rows]),
        }
