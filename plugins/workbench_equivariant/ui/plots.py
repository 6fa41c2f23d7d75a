"""The equivariant panel's plots (pyqtgraph), each with the data behind it.

* :class:`MatrixView`: the materialised n^l x n^k matrices of one diagram basis element D_π
  and of the orbit basis element X_π side by side (rows: output multi-index J, columns: input
  multi-index I, both in C order), ones in colour, zeros in the background;
* :class:`TimingView`: milliseconds per product against n on log-log axes, the fast
  diagram-basis product and the materialised orbit basis.

Every view has ``draw(...)``, ``reset(text)`` and ``data()`` (a dict of arrays and strings for
the export); they compute nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyqtgraph as pg

FAST_COLOUR = "#4c8bd6"
DENSE_COLOUR = "#e0813a"


def _ink() -> Any:
    from workbench.gui.theme import plot_theme

    return plot_theme()


class MatrixView(pg.GraphicsLayoutWidget):
    """D_π and X_π as images (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(200, 160)
        self.matrices: dict[str, np.ndarray] = {}
        self.titles: dict[str, str] = {}
        self.message = ""
        self._vertical = False
        self._plots: dict[str, tuple[Any, Any]] = {}
        self.reset("")

    def _lut(self) -> np.ndarray:
        theme = _ink()
        bg = theme.background
        zero = (bg.red(), bg.green(), bg.blue(), 255)
        grid = pg.mkColor(FAST_COLOUR if not theme.dark else "#7fb0ea")
        one = (grid.red(), grid.green(), grid.blue(), 255)
        return np.array([zero, one], dtype=np.ubyte)

    def reset(self, text: str) -> None:
        self.clear()
        self._plots = {}
        self.matrices, self.titles, self.message = {}, {}, text
        p = self.addPlot()
        p.setMenuEnabled(False)
        p.hideAxis("bottom")
        p.hideAxis("left")
        p.setTitle(text or "click a diagram")

    def _ensure(self, names: tuple[str, ...], vertical: bool) -> None:
        """One plot with an image per matrix, built once (a PlotItem takes ~60 ms to build) and
        rebuilt only when the names or the arrangement change."""
        for _ in self._ensure_steps(names, vertical):
            pass

    def prepare_steps(self, names: tuple[str, ...]) -> Iterator[None]:
        """Make the plots of ``names`` ahead, a ``yield`` after each (a panel's stepped
        construction: two PlotItems in one turn took 131 ms)."""
        yield from self._ensure_steps(names, self._wants_vertical())

    def _ensure_steps(self, names: tuple[str, ...], vertical: bool) -> Iterator[None]:
        if tuple(self._plots) == names and vertical == self._vertical:
            return
        self.clear()
        self._plots = {}
        self._vertical = vertical
        for i, name in enumerate(names):
            if i:
                yield
            p = self.addPlot(row=i if vertical else 0, col=0 if vertical else i)
            p.setMenuEnabled(False)
            img = pg.ImageItem(axisOrder="row-major")
            p.addItem(img)
            p.invertY(True)
            p.setLabel("bottom", "I (input index)")
            p.setLabel("left", "J (output index)")
            for side in ("bottom", "left"):
                p.getAxis(side).enableAutoSIPrefix(False)
            self._plots[name] = (p, img)

    def draw(self, matrices: dict[str, np.ndarray], titles: dict[str, str]) -> None:
        """``matrices``: name -> 0/1 matrix (n^l x n^k); ``titles``: name -> plot title."""
        self._ensure(tuple(matrices), self._wants_vertical())
        self.matrices, self.titles, self.message = dict(matrices), dict(titles), ""
        lut = self._lut()
        for name, m in matrices.items():
            p, img = self._plots[name]
            p.setTitle(titles.get(name, name), size="9pt")
            img.setImage(np.asarray(m, dtype=float), levels=(0.0, 1.0), lut=lut)
            rows, cols = m.shape
            p.setRange(xRange=(0, cols), yRange=(0, rows), padding=0)

    def _wants_vertical(self) -> bool:
        """One above the other when the view is narrow (the two titles and axes need ~380 px side
        by side) or much taller than wide."""
        return self.width() < 380 or self.height() > 1.3 * self.width()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if getattr(self, "matrices", None) and self._wants_vertical() != self._vertical:
            self.draw(self.matrices, self.titles)

    def retheme(self) -> None:
        if self.matrices:
            self.draw(self.matrices, self.titles)

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: np.asarray(m) for name, m in self.matrices.items()}
        out.update({f"{name}_title": t for name, t in self.titles.items()})
        if self.message:
            out["message"] = self.message
        return out


class TimingView(pg.PlotWidget):
    """Milliseconds per product against n (log-log), fast and dense."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(200, 160)
        self.result: Any = None
        p = self.getPlotItem()
        p.setMenuEnabled(False)
        p.setLogMode(x=True, y=True)
        p.showGrid(x=True, y=True, alpha=0.25)
        p.setLabel("bottom", "n (set size)")
        p.setLabel("left", "time per product (ms)")
        self.legend = p.addLegend(offset=(10, 10))
        self.reset("no timing yet: press Run timing (Ctrl+Shift+Return)")

    def reset(self, text: str) -> None:
        self.result = None
        p = self.getPlotItem()
        p.clear()
        p.setTitle(text)

    def draw(self, res: Any, title: str) -> None:
        """``res``: a :class:`~workbench_equivariant.jobs.TimingResult` (complete or partial)."""
        self.result = res
        p = self.getPlotItem()
        p.clear()
        n = np.asarray(res.ns, float)
        for values, name, colour, symbol in (
            (res.fast_ms, "fast (diagram basis)", FAST_COLOUR, "o"),
            (res.dense_ms, "dense orbit basis", DENSE_COLOUR, "s"),
        ):
            t = np.asarray(values, float)
            ok = np.isfinite(t) & (t > 0)
            if ok.any():
                p.plot(
                    n[ok],
                    t[ok],
                    pen=pg.mkPen(colour, width=2),
                    symbol=symbol,
                    symbolBrush=colour,
                    symbolPen=None,
                    symbolSize=7,
                    name=name,
                )
        p.setTitle(title)
        self._log_ticks(n, np.concatenate([np.asarray(res.fast_ms, float), np.asarray(res.dense_ms, float)]))

    def _log_ticks(self, n: np.ndarray, t: np.ndarray) -> None:
        """Plain tick labels on the log axes (the measured n; 1-2-5 per decade of ms) instead of
        pyqtgraph's "2·10¹" (in log mode tick positions are log10 values)."""
        p = self.getPlotItem()
        p.getAxis("bottom").setTicks([[(math.log10(v), f"{v:g}") for v in n if v > 0]])
        t = t[np.isfinite(t) & (t > 0)]
        if not len(t):
            p.getAxis("left").setTicks(None)
            return
        lo, hi = math.floor(math.log10(t.min())), math.ceil(math.log10(t.max()))
        values = [m * 10.0**e for e in range(lo, hi + 1) for m in (1, 2, 5)]
        major = [(math.log10(v), f"{v:g}") for v in values]
        p.getAxis("left").setTicks([major, []])

    def data(self) -> dict[str, Any]:
        r = self.result
        if r is None:
            return {}
        fast, dense = np.asarray(r.fast_ms, float), np.asarray(r.dense_ms, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = dense / fast
        return {
            "n": np.asarray(r.ns),
            "fast_ms": fast,
            "dense_ms": dense,
            "dense_over_fast": ratio,
            "max_rel_diff": np.asarray(r.max_rel_diff, float),
            "notes": [x or "" for x in r.notes],
            "k": r.k,
            "l": r.l,
            "channels": r.channels,
            "batch": r.batch,
            "device": r.device,
        }


def fmt_ms(t: float) -> str:
    return "-" if not math.isfinite(t) else f"{t:.3g} ms"
