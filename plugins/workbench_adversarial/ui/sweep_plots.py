"""Plots of a sweep (pyqtgraph): success vs eps with binomial CIs and the linear prediction,
the collapse plot vs eps (dim V/dim X)^(1/q), and the collapse spread vs exponent; earlier
sweeps overlaid (dashed, lighter, no error bars).

Drawing is incremental: every curve keeps its plot items and gets new data with ``setData``
(clearing and rebuilding three plots with their error bars and legends took 0.3-1 s of the
GUI thread per sweep cell).  Legends sit in a column to the right of each plot, so they never
cover data; titles carry the context (model, norm, subspace, n) and turn red when the shown
sweep is stale; text colours come from the theme (``workbench.gui.theme``)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from workbench.gui.theme import plot_theme, theme_plot

STALE_COLOUR = "#d62728"
OVERLAY_ALPHA = 110


def _colour(dim: int, n_input: int) -> tuple[int, int, int]:
    """The colour of dim V: viridis on log dim V / log dim X, so a dim has the same colour while
    a sweep grows and in every sweep overlaid; the part of the map readable on the theme's
    background (no yellow on white, no dark purple on black)."""
    return _colour_on(dim, n_input, plot_theme().dark)


@functools.lru_cache(maxsize=4096)
def _colour_on(dim: int, n_input: int, dark: bool) -> tuple[int, int, int]:
    """:func:`_colour` on a dark or light background (cached: a partial sweep redraws every
    curve's key, and the colour map cost 12 % of a partial redraw's GUI-thread time)."""
    lo, hi = (0.3, 1.0) if dark else (0.0, 0.82)
    t = math.log(max(dim, 1)) / math.log(max(n_input, 2))
    c = pg.colormap.get("viridis").map(lo + (hi - lo) * min(max(t, 0.0), 1.0), mode="byte")
    return int(c[0]), int(c[1]), int(c[2])


class KeyLabel(pg.LabelItem):
    """A legend as one rich-text label in a column right of the plot (so it never covers a
    curve): entries (colour, dashed, text) drawn as coloured line glyphs.  pyqtgraph's
    LegendItem re-lays the plot out for every entry (30 ms each); this sets one text."""

    def __init__(self) -> None:
        super().__init__("", justify="left", size="8pt")
        self.entries: list[tuple[tuple[int, int, int], bool, str]] = []

    def set_entries(self, entries: list[tuple[tuple[int, int, int], bool, str]], force: bool = False) -> None:
        if entries == self.entries and not force:
            return
        self.entries = list(entries)
        fg = plot_theme().foreground.name()
        rows = [
            f'<span style="color: rgb{col}">{"- - -" if dashed else "—●—"}</span>'
            f'<span style="color: {fg}">&nbsp;{text}</span>'
            for col, dashed, text in entries
        ]
        self.setText("<br>".join(rows))
        width = self.item.boundingRect().width() + 8  # the layout column gets the text's width
        self.setMinimumWidth(width)
        self.setMaximumWidth(width)


class LogAxis(pg.AxisItem):
    """A log axis labelled at 1, 2 and 5 times a power of ten only: pyqtgraph labels every
    minor tick (0.5 0.6 0.7 0.8 0.9 ran together into one word)."""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        out = []
        for v in values:
            x = 10.0 ** (v * scale)
            mant = x / 10.0 ** math.floor(math.log10(x) + 1e-9)
            out.append(f"{x:g}" if any(abs(mant - m) < 1e-6 for m in (1, 2, 5)) else "")
        return out


def elastic(label: pg.LabelItem) -> pg.LabelItem:
    """Let ``label`` be narrower than its text (clipped, never widening its layout beyond the
    view): pyqtgraph's LabelItem sets its minimum width to the text's on every setText and
    every resize, so a long title pushed the plot's right part out of a narrow window."""
    update_min = label.updateMin

    def narrow() -> None:
        update_min()
        label.setMinimumWidth(1)

    label.updateMin = narrow
    narrow()
    return label


def _plot(xlabel: str, ylabel: str, logx: bool = True, legend: bool = True) -> pg.PlotWidget:
    w = pg.PlotWidget(axisItems={"bottom": LogAxis("bottom")} if logx else None)
    w.setLabel("bottom", xlabel)
    w.setLabel("left", ylabel)
    w.setLogMode(x=logx, y=False)
    item = w.getPlotItem()
    if legend:  # a column right of the plot: a legend never covers a curve
        key = KeyLabel()
        item.layout.addItem(key, 2, 3)
        w.key = key
        # the title spans the plot and the key's column: its width (the text's) must not force
        # the plot's column wider than the view (the layout then overflows and clips the key)
        item.layout.removeItem(item.titleLabel)
        item.layout.addItem(item.titleLabel, 0, 1, 1, 3)
    elastic(item.titleLabel)
    w.setMinimumSize(220, 180)
    for axis in ("left", "bottom"):
        ax = w.getAxis(axis)
        ax.enableAutoSIPrefix(False)
        ax.setStyle(tickTextOffset=4, tickAlpha=255, maxTickLevel=1)
        ax.setGrid(255)
    _grid_colour(w)
    return w


def _grid_colour(w: pg.PlotWidget) -> None:
    """Grid lines (and ticks) in an opaque colour between the theme's background and text:
    translucent grid lines (showGrid's alpha) made every repaint of a log-axis plot cost
    30-80 ms of the GUI thread in blending alone."""
    t = plot_theme()
    bg, fg = t.background, t.foreground
    mix = [round(0.8 * a + 0.2 * b) for a, b in zip(bg.getRgb()[:3], fg.getRgb()[:3], strict=True)]  # type: ignore[index]
    for axis in ("left", "bottom"):
        w.getAxis(axis).setTickPen(pg.mkPen(tuple(mix)))


class SweepPlots:
    """Three PlotWidgets fed with :class:`workbench_adversarial.core.sweep.SweepTable` objects.

    With ``staged=True`` the plots are made one at a time by :meth:`build_next` (the panel calls
    it from successive turns of the event loop: the three PlotWidgets took 90-230 ms of the GUI
    thread in one piece when the panel opened); ``on_built(name, widget)`` is called as each is
    made, and any use of a plot that is not made yet makes the rest at once."""

    PLOTS: tuple[tuple[str, tuple[str, str], dict[str, bool]], ...] = (
        ("curves", ("eps", "success (correctly classified)"), {}),
        ("collapse", ("eps (dim V / dim X)^(1/q)", "success (correctly classified)"), {}),
        ("spread", ("a in eps (dim V/dim X)^a", "mean spread of the curves"), {"logx": False, "legend": False}),
    )

    def __init__(self, staged: bool = False, on_built: Any = None) -> None:
        self._widgets: dict[str, pg.PlotWidget] = {}
        self.on_built = on_built
        self.table: Any = None
        self.overlays: list[tuple[str, Any]] = []
        self.running = False
        self.stale = False
        self.context = ""
        self._items: dict[tuple, list[Any]] = {}
        self._drawn: dict[tuple, bytes] = {}  # the data each curve shows (unchanged: not set again)
        self._titles: tuple[str, ...] = ()
        #: the context of the sweep shown (model, norm, subspace, n), word-wrapped above the plots
        self.headers = [QLabel(""), QLabel("")]
        for header in self.headers:
            header.setWordWrap(True)
        self._spread_curve: Any = None
        self._spread_line: pg.InfiniteLine | None = None
        if not staged:
            self.complete()

    # ---- the plots, made one at a time -----------------------------------------------------
    def build_next(self) -> str | None:
        """Make the next plot not made yet; its name, or None when all three are made."""
        for name, labels, kw in self.PLOTS:
            if name not in self._widgets:
                w = self._widgets[name] = _plot(*labels, **kw)
                theme_plot(w)  # made after the shell themed the panel: in the current theme
                if hasattr(w, "key"):
                    w.key.set_entries(w.key.entries, force=True)
                if name == "spread":
                    self._spread_curve = w.plot([], [])
                if len(self._widgets) == len(self.PLOTS):
                    self._title_all(force=True)
                if self.on_built is not None:
                    self.on_built(name, w)
                return name
        return None

    def complete(self) -> None:
        """Make every plot not made yet."""
        while self.build_next() is not None:
            pass

    @property
    def built(self) -> bool:
        return len(self._widgets) == len(self.PLOTS)

    def _get(self, name: str) -> pg.PlotWidget:
        if name not in self._widgets:
            self.complete()
        return self._widgets[name]

    @property
    def curves(self) -> pg.PlotWidget:
        return self._get("curves")

    @property
    def collapse(self) -> pg.PlotWidget:
        return self._get("collapse")

    @property
    def spread(self) -> pg.PlotWidget:
        return self._get("spread")

    # ---- drawing -----------------------------------------------------------------------------
    def reset(self) -> None:
        """No sweep: empty plots."""
        self.draw(None)

    def draw(
        self,
        table: Any,
        overlays: list[tuple[str, Any]] | tuple = (),
        *,
        running: bool = False,
        stale: bool = False,
        context: str = "",
    ) -> None:
        """Show ``table`` (None: nothing) with ``overlays`` ((label, table) of earlier sweeps)."""
        self.table, self.overlays = table, list(overlays)
        self.running, self.stale, self.context = running, stale, context
        wanted: set[tuple] = set()
        if table is not None:
            for d in table.dims():
                key: tuple = ("main", d)
                wanted.add(key)
                self._draw_curve(key, table.curve(d), _colour(d, table.n_input), overlay=False)
        for j, (_label, t) in enumerate(self.overlays):
            for d in t.dims():
                key = ("overlay", j, id(t), d)
                wanted.add(key)
                self._draw_curve(key, t.curve(d), _colour(d, t.n_input), overlay=True)
        entries = []
        if table is not None:
            entries += [(_colour(d, table.n_input), False, f"dim V = {d}") for d in table.dims()]
        entries += [((128, 128, 128), True, f"{label.split(' ')[0]} (earlier)") for label, _t in self.overlays]
        if table is not None and np.isfinite([c.predicted for c in table.cells]).any():
            entries.append(((128, 128, 128), True, "linear prediction (dotted)"))
        for w in (self.curves, self.collapse):
            w.key.set_entries(entries)
        for key in [k for k in self._items if k not in wanted]:
            self._drawn.pop(key, None)
            for plot, item in zip(
                (self.curves, self.collapse, self.curves, self.curves, self.collapse),
                self._items.pop(key),
                strict=False,
            ):
                if item is not None:
                    plot.removeItem(item)
        self._draw_spread(None if running or table is None else table.collapse, table)
        self._title_all()

    def _draw_curve(self, key: tuple, c: dict[str, np.ndarray], col: tuple[int, int, int], overlay: bool) -> None:
        """One dim V of a sweep: markers and line in both plots, error bars and the dashed linear
        prediction (not for overlays), created once and updated with setData afterwards."""
        items = self._items.get(key)
        if items is None:
            alpha = OVERLAY_ALPHA if overlay else 255
            pen = pg.mkPen(
                (*col, alpha),
                width=1.5 if overlay else 2,
                style=Qt.PenStyle.DashLine if overlay else Qt.PenStyle.SolidLine,
            )
            kw = {
                "pen": pen,
                "symbol": "t" if overlay else "o",
                "symbolSize": 5 if overlay else 6,
                "symbolBrush": (*col, alpha),
                "symbolPen": None,
            }
            line_c = pg.PlotDataItem(**kw)
            line_k = pg.PlotDataItem(**kw)
            self.curves.addItem(line_c)
            self.collapse.addItem(line_k)
            err_c = err_k = pred = None
            if not overlay:
                err_c = pg.ErrorBarItem(pen=pg.mkPen(col, width=1), beam=0.02)
                err_k = pg.ErrorBarItem(pen=pg.mkPen(col, width=1), beam=0.02)
                pred = pg.PlotDataItem(pen=pg.mkPen(col, width=1, style=Qt.PenStyle.DotLine))
                self.curves.addItem(err_c)
                self.collapse.addItem(err_k)
                self.curves.addItem(pred)
            items = [line_c, line_k, err_c, pred, err_k]
            self._items[key] = items
        signature = b"".join(np.ascontiguousarray(c[k]).tobytes() for k in sorted(c))
        if self._drawn.get(key) == signature:
            return  # a partial table changes one curve at a time: the others stay as drawn
        self._drawn[key] = signature
        line_c, line_k, err_c, pred, err_k = items
        ok = c["eps"] > 0
        rate = c["rate"][ok]
        for line, err, xs in ((line_c, err_c, c["eps"][ok]), (line_k, err_k, c["collapse_x"][ok])):
            line.setData(xs, rate)
            if err is not None:
                err.setData(x=np.log10(xs), y=rate, top=c["ci_high"][ok] - rate, bottom=rate - c["ci_low"][ok])
        if pred is not None:
            finite = ok & np.isfinite(c["predicted"])
            pred.setData(c["eps"][finite], c["predicted"][finite])

    def _draw_spread(self, cq: Any, table: Any) -> None:
        if cq is None:
            if self._spread_curve is None:  # the plot is not made yet: nothing to clear
                return
            if self._spread_curve.xData is not None and len(self._spread_curve.xData):
                self._spread_curve.setData([], [])  # (only once: a partial sweep has no spread)
            if self._spread_line is not None:
                self.spread.removeItem(self._spread_line)
                self._spread_line = None
            return
        self._get("spread")  # made now if it was not yet (it sets _spread_curve)
        ex, sp = np.asarray(cq.exponents), np.asarray(cq.spreads, dtype=float)
        good = np.isfinite(sp)
        self._spread_curve.setData(ex[good], sp[good], pen=pg.mkPen("#1f77b4", width=2))
        inv_q = 0.0 if math.isinf(table.q) else 1.0 / table.q
        if self._spread_line is None:
            self._spread_line = pg.InfiniteLine(
                angle=90,
                pen=pg.mkPen(STALE_COLOUR, width=2, style=Qt.PenStyle.DashLine),
                label="1/q",
                labelOpts={"color": STALE_COLOUR, "position": 0.9},
            )
            self.spread.addItem(self._spread_line)
        self._spread_line.setPos(inv_q)

    # ---- titles --------------------------------------------------------------------------------
    def titles(self, context: bool = True) -> tuple[str, str, str]:
        """The titles of the three plots: the context (unless not ``context``: on screen it is the
        header above the plots), what they show, running / stale."""
        t = self.table
        ctx = f"{self.context}: " if self.context and context else ""
        if t is None:
            return ("success rate vs eps (no sweep)", "collapse (no sweep)", "collapse spread vs exponent (no sweep)")
        inv_q = 0.0 if math.isinf(t.q) else 1.0 / t.q
        state = "  [running]" if self.running else ("  [stale: settings changed]" if self.stale else "")
        over = f"; {len(self.overlays)} earlier sweep(s) dashed" if self.overlays else ""
        curves = f"{ctx}success vs eps (dotted: linear prediction eps ||w_V||_q){over}{state}"
        cq = t.collapse
        if cq is not None and not self.running:
            collapse = (
                f"{ctx}collapse: spread {cq.spread_theory:.3f} at 1/q = {inv_q:.3g} (raw eps: "
                f"{cq.spread_raw:.3f}); best a = {cq.exponent_best:.3g}{state}"
            )
        else:
            collapse = f"{ctx}collapse (1/q = {inv_q:.3g}){state}"
        spread = f"{ctx}spread vs exponent a (dashed: 1/q = {inv_q:.3g}){state}"
        return curves, collapse, spread

    def _title_all(self, force: bool = False) -> None:
        colour = STALE_COLOUR if self.stale else plot_theme().foreground.name()
        titles = (colour, *self.titles())
        if titles == self._titles and not force:
            return
        self._titles = titles
        for (name, _, _), title in zip(self.PLOTS, self.titles(context=False), strict=True):
            if name in self._widgets:  # the plots made so far (the rest get it when all are made)
                self._widgets[name].setTitle(title, color=colour, size="9pt")  # clipped when too wide
        state = "  [running]" if self.running else ("  [stale: settings changed]" if self.stale else "")
        for header in self.headers:
            header.setText((self.context or "no sweep") + state)
            header.setStyleSheet(f"color: {STALE_COLOUR};" if self.stale else "")

    def apply_theme(self) -> None:
        """Re-colour after a theme switch: the shell's theme_plot, then the titles."""
        for key in list(self._items):  # their colours depend on the theme: made again
            for plot, item in zip(
                (self.curves, self.collapse, self.curves, self.curves, self.collapse),
                self._items.pop(key),
                strict=False,
            ):
                if item is not None:
                    plot.removeItem(item)
        self._drawn.clear()
        if self.table is not None or self.overlays:
            self.draw(self.table, self.overlays, running=self.running, stale=self.stale, context=self.context)
        for w in list(self._widgets.values()):  # those made so far; later ones are themed when made
            theme_plot(w)
            _grid_colour(w)
            if hasattr(w, "key"):
                w.key.set_entries(w.key.entries, force=True)  # its text colour
        self._title_all(force=True)

    # ---- data ----------------------------------------------------------------------------------
    @staticmethod
    def _table_array(t: Any) -> np.ndarray:
        return np.array(
            [
                [
                    c.dim,
                    c.eps,
                    c.rate,
                    c.ci_low,
                    c.ci_high,
                    c.predicted,
                    c.collapse_x,
                    c.successes,
                    c.n,
                    c.stuck,
                    c.zero_feasible,
                ]
                for c in t.cells
            ],
            dtype=float,
        )

    def _meta(self, t: Any) -> dict[str, Any]:
        return {
            "model": t.model,
            "p": t.p if math.isfinite(t.p) else "inf",
            "q": t.q if math.isfinite(t.q) else "inf",
            "kind": t.kind,
            "n_input": t.n_input,
            "n_samples": t.n_samples,
            "n_correct": t.n_correct,
            "clean_accuracy": t.clean_accuracy,
            "steps": t.steps,
            "step_factor": t.step_factor,
            "ci_method": t.ci_method,
            "dims": t.dims(),
            "notes": list(t.notes),
            "complete": t.collapse is not None,
        }

    def data_curves(self) -> dict[str, Any]:
        t = self.table
        if t is None:
            return {}
        out: dict[str, Any] = {
            "title": self.titles()[0],
            "stale": self.stale,
            "running": self.running,
            **self._meta(t),
            "columns": [
                "dim",
                "eps",
                "rate",
                "ci_low",
                "ci_high",
                "predicted",
                "collapse_x",
                "successes",
                "n",
                "stuck",
                "zero_feasible",
            ],
            "table": self._table_array(t),
        }
        for j, (label, ov) in enumerate(self.overlays):
            out[f"overlay_{j + 1}_label"] = label
            out[f"overlay_{j + 1}_table"] = self._table_array(ov)
        return out

    def data_spread(self) -> dict[str, Any]:
        t = self.table
        if t is None or t.collapse is None:
            return {}
        cq = t.collapse
        return {
            "title": self.titles()[2],
            "stale": self.stale,
            **self._meta(t),
            "exponent": np.asarray(cq.exponents),
            "spread": np.asarray(cq.spreads, dtype=float),
            "exponent_theory": cq.exponent_theory,
            "exponent_best": cq.exponent_best,
            "spread_theory": cq.spread_theory,
            "spread_raw": cq.spread_raw,
        }
