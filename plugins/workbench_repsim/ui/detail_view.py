"""Details of one heatmap cell: scatter of the top principal components of both layers and
the histogram of matched-neuron correlations.  Legends sit under the plots (never over the
points or bars); colours follow the theme."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QTextBrowser, QWidget

from .plot_style import PlotColours, legend_below, plot_colours, style_legend, style_plot_item

#: the plots' titles when nothing is shown / when a cell is shown
_TITLES = {"scatter": "top-2 PCs (B rotated onto A)", "hist": "matched-neuron correlation"}


class ValuesText(QTextBrowser):
    """The cell's values: rich text that wraps and scrolls when the details are short (a small
    window), so no line is cut off; ``text()`` / ``setText()`` as a label's."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._text = ""
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setOpenLinks(False)
        # only the background role is set (transparent, the panel's own shows): the text colour
        # keeps following the application palette, i.e. the theme (a style sheet would freeze it)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Base, QColor(0, 0, 0, 0))
        self.setPalette(pal)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's API
        self._text = text
        self.setHtml(text.replace("\n", "<br>"))

    def text(self) -> str:
        return self._text


class CellDetailView(QWidget):
    """The details of one cell.  The two plots are built when the first cell is shown (until
    then the hint takes their place): a panel that opens builds no plots it does not show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = None
        self.scatter: pg.PlotWidget | None = None
        self.hist: pg.PlotWidget | None = None
        self.scatter_legend: pg.LegendItem | None = None
        self.hist_legend: pg.LegendItem | None = None
        self.colours = plot_colours()
        self.values = ValuesText("click a heatmap cell")
        self.values.setMinimumWidth(180)
        self.values.setObjectName("cell-values")
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.addWidget(self.values, 1)

    def ensure_plots(self) -> None:
        """Build the scatter and the histogram (once)."""
        if self.scatter is not None:
            return
        self.scatter = pg.PlotWidget(title=_TITLES["scatter"])
        self.scatter_legend = legend_below(self.scatter.getPlotItem())
        self.scatter.setLabel("bottom", "PC 1")
        self.scatter.setLabel("left", "PC 2")
        self.hist = pg.PlotWidget(title=_TITLES["hist"])
        self.hist.setLabel("bottom", "correlation")
        self.hist.setLabel("left", "neurons")
        self.hist_legend = legend_below(self.hist.getPlotItem())
        self._lay.insertWidget(0, self.scatter, 2)
        self._lay.insertWidget(1, self.hist, 2)
        self.apply_colours(self.colours)

    def apply_colours(self, colours: PlotColours) -> None:
        """Backgrounds, axes, titles and legends in the theme's ``colours``."""
        self.colours = colours
        if self.scatter is None or self.hist is None:
            return
        for plot, legend in ((self.scatter, self.scatter_legend), (self.hist, self.hist_legend)):
            plot.setBackground(colours.background)
            style_plot_item(plot.getPlotItem(), colours)
            style_legend(legend, colours)
            item = plot.getPlotItem()
            item.setTitle(item.titleLabel.text, color=colours.foreground.name())

    def show_result(self, res) -> None:
        self.ensure_plots()
        assert self.scatter is not None and self.hist is not None
        self.result = res
        self.scatter.clear()
        self.scatter.plot(
            res.pcs_x[:, 0],
            res.pcs_x[:, 1],
            pen=None,
            symbol="o",
            symbolSize=4,
            symbolBrush=pg.mkBrush(31, 119, 180, 140),
            symbolPen=None,
            name=res.label_x,
        )
        if res.pcs_y.shape[1] >= 2:
            self.scatter.plot(
                res.pcs_y[:, 0],
                res.pcs_y[:, 1],
                pen=None,
                symbol="t",
                symbolSize=4,
                symbolBrush=pg.mkBrush(255, 127, 14, 140),
                symbolPen=None,
                name=res.label_y,
            )
        self.hist.clear()
        bins = np.linspace(-1, 1, 41)
        for vals, colour, name in (
            (res.matched_corr, (44, 160, 44, 150), "Hungarian"),
            (res.best_corr, (148, 103, 189, 110), "best per neuron"),
        ):
            y, x = np.histogram(vals, bins=bins)
            self.hist.plot(
                x, y, stepMode="center", fillLevel=0, brush=pg.mkBrush(*colour), pen=pg.mkPen(colour[:3]), name=name
            )
        self.scatter_legend.setVisible(True)
        self.hist_legend.setVisible(True)
        lines = [f"<b>{res.label_x}</b> vs <b>{res.label_y}</b>"]
        lines += [f"{k}: {v:.4f}" if np.isfinite(v) else f"{k}: n/a" for k, v in res.values.items()]
        self.values.setText("<br>".join(lines))

    def clear(self, text: str = "click a heatmap cell") -> None:
        """Nothing shown; ``text`` says why (a job computing the cell, its error, ...)."""
        self.result = None
        if self.scatter is not None and self.hist is not None:
            self.scatter.clear()
            self.hist.clear()
            self.scatter_legend.setVisible(False)  # an empty legend would be an empty frame
            self.hist_legend.setVisible(False)
        self.values.setText(text)

    def scatter_data(self) -> dict:
        r = self.result
        if r is None:
            return {}
        return {"pcs_a": r.pcs_x, "pcs_b": r.pcs_y, "label_a": r.label_x, "label_b": r.label_y}

    def hist_data(self) -> dict:
        r = self.result
        if r is None:
            return {}
        return {
            "matched_correlation": r.matched_corr,
            "best_correlation": r.best_corr,
            **{f"value_{k}": v for k, v in r.values.items()},
        }
