"""Plots of a sweep (pyqtgraph): success vs eps with binomial CIs and the linear prediction,
the collapse plot vs eps (dim V/dim X)^(1/q), and the collapse spread vs exponent."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt


def _colour(i: int, n: int) -> tuple[int, int, int]:
    cmap = pg.colormap.get("viridis")
    c = cmap.map(0.85 * i / max(n - 1, 1), mode="byte")
    return int(c[0]), int(c[1]), int(c[2])


def _plot(title: str, xlabel: str, ylabel: str, logx: bool = True) -> pg.PlotWidget:
    w = pg.PlotWidget(background="w")
    w.setTitle(title, color="#222", size="10pt")
    w.setLabel("bottom", xlabel)
    w.setLabel("left", ylabel)
    w.setLogMode(x=logx, y=False)
    w.showGrid(x=True, y=True, alpha=0.25)
    w.addLegend(offset=(-10, 10), labelTextColor="#222")
    w.setMinimumSize(280, 200)
    for axis in ("left", "bottom"):
        w.getAxis(axis).enableAutoSIPrefix(False)
    return w


class SweepPlots:
    """Three PlotWidgets fed with a :class:`workbench_adversarial.core.sweep.SweepTable`."""

    def __init__(self) -> None:
        self.curves = _plot(
            "success rate vs eps (dashed: linear prediction eps ||w_V||_q)", "eps", "success (correctly classified)"
        )
        self.collapse = _plot("collapse", "eps (dim V / dim X)^(1/q)", "success (correctly classified)")
        self.spread = _plot(
            "collapse spread vs exponent a",
            "exponent a in eps (dim V/dim X)^a",
            "mean spread of the curves",
            logx=False,
        )
        self.table = None

    def reset(self) -> None:
        """No sweep: empty plots."""
        self.table = None
        for w in (self.curves, self.collapse, self.spread):
            w.clear()
        self.collapse.setTitle("collapse", color="#222", size="10pt")

    def draw(self, table: Any) -> None:
        self.table = table
        for w in (self.curves, self.collapse, self.spread):
            w.clear()
        dims = table.dims()
        for i, d in enumerate(dims):
            c = table.curve(d)
            col = _colour(i, len(dims))
            pen = pg.mkPen(col, width=2)
            ok = c["eps"] > 0
            for w, xs in ((self.curves, c["eps"]), (self.collapse, c["collapse_x"])):
                x = np.log10(xs[ok])
                w.plot(xs[ok], c["rate"][ok], pen=pen, symbol="o", symbolSize=6, symbolBrush=col, name=f"dim V = {d}")
                err = pg.ErrorBarItem(
                    x=x,
                    y=c["rate"][ok],
                    top=c["ci_high"][ok] - c["rate"][ok],
                    bottom=c["rate"][ok] - c["ci_low"][ok],
                    pen=pg.mkPen(col, width=1),
                    beam=0.02,
                )
                w.addItem(err)
            if np.isfinite(c["predicted"]).any():
                self.curves.plot(
                    c["eps"][ok], c["predicted"][ok], pen=pg.mkPen(col, width=1, style=Qt.PenStyle.DashLine)
                )
        cq = table.collapse
        inv_q = 0.0 if math.isinf(table.q) else 1.0 / table.q
        if cq is not None:
            self.collapse.setTitle(
                f"collapse: spread {cq.spread_theory:.3f} at 1/q = {inv_q:.3g} "
                f"(raw eps: {cq.spread_raw:.3f}); best a = {cq.exponent_best:.3g}",
                color="#222",
                size="10pt",
            )
            ex = np.asarray(cq.exponents)
            sp = np.asarray(cq.spreads, dtype=float)
            good = np.isfinite(sp)
            self.spread.plot(ex[good], sp[good], pen=pg.mkPen("#1f77b4", width=2), name="spread")
            self.spread.addItem(
                pg.InfiniteLine(
                    pos=inv_q,
                    angle=90,
                    pen=pg.mkPen("#d62728", style=Qt.PenStyle.DashLine),
                    label="1/q",
                    labelOpts={"color": "#d62728", "position": 0.9},
                )
            )
        else:
            self.collapse.setTitle(f"collapse (1/q = {inv_q:.3g}); running…", color="#222", size="10pt")

    def data_curves(self) -> dict[str, Any]:
        t = self.table
        if t is None:
            return {}
        return {
            "columns": ["dim", "eps", "rate", "ci_low", "ci_high", "predicted", "collapse_x", "successes", "n"],
            "table": np.array(
                [
                    [c.dim, c.eps, c.rate, c.ci_low, c.ci_high, c.predicted, c.collapse_x, c.successes, c.n]
                    for c in t.cells
                ],
                dtype=float,
            ),
            "model": t.model,
            "p": t.p if math.isfinite(t.p) else "inf",
            "kind": t.kind,
            "n_input": t.n_input,
        }

    def data_spread(self) -> dict[str, Any]:
        t = self.table
        if t is None or t.collapse is None:
            return {}
        cq = t.collapse
        return {
            "exponent": np.asarray(cq.exponents),
            "spread": np.asarray(cq.spreads, dtype=float),
            "exponent_theory": cq.exponent_theory,
            "exponent_best": cq.exponent_best,
            "spread_theory": cq.spread_theory,
            "spread_raw": cq.spread_raw,
        }
