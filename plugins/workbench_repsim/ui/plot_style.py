"""Colours of the panel's pyqtgraph plots taken from the Qt palette, so that they follow the
light and dark themes (pyqtgraph's own defaults are a fixed black or white background).

:func:`plot_colours` reads the palette; :func:`style_plot_item` / :func:`style_legend` apply
the colours to a plot that already exists (called again on a theme switch)."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class PlotColours:
    """background: plot area and around it; foreground: axes, ticks, titles; muted: secondary
    text ("computing…"); alert: a stale mark, readable on the background."""

    background: QColor
    foreground: QColor
    muted: QColor
    alert: QColor

    @property
    def dark(self) -> bool:
        return self.background.lightnessF() < 0.5


def plot_colours(palette: QPalette | None = None) -> PlotColours:
    """The plot colours of ``palette`` (default: the application's)."""
    pal = palette if palette is not None else QApplication.palette()
    bg = QColor(pal.color(QPalette.ColorRole.Base))
    fg = QColor(pal.color(QPalette.ColorRole.Text))
    muted = QColor(pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
    if abs(muted.lightnessF() - bg.lightnessF()) < 0.25:  # some palettes leave Disabled = Text's
        muted = QColor.fromHslF(0, 0, 0.6 if bg.lightnessF() < 0.5 else 0.45)
    dark = bg.lightnessF() < 0.5
    return PlotColours(bg, fg, muted, QColor(255, 120, 110) if dark else QColor(192, 57, 43))


def style_plot_item(plot: pg.PlotItem, colours: PlotColours) -> None:
    """Axes, tick labels, axis labels and the title of ``plot`` in ``colours``."""
    fg = colours.foreground
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(fg))
        axis.setTextPen(pg.mkPen(fg))
        if axis.labelText or axis.labelUnits:
            axis.labelStyle = {**axis.labelStyle, "color": fg.name()}
            axis._updateLabel()


def legend_below(plot: pg.PlotItem, columns: int = 2) -> pg.LegendItem:
    """A legend in its own row under ``plot``'s bottom axis, outside the data area, so it never
    covers points or curves; items plotted with ``name=`` join it."""
    legend = pg.LegendItem(colCount=columns, verticalSpacing=-4, horSpacing=18)
    legend.layout.setContentsMargins(4, 0, 4, 0)
    plot.layout.addItem(legend, 5, 1)
    plot.layout.setRowMaximumHeight(5, 26)
    plot.legend = legend
    return legend


def style_legend(legend: pg.LegendItem | None, colours: PlotColours) -> None:
    """Frame, background and label colour of ``legend`` (its existing entries included)."""
    if legend is None:
        return
    bg = QColor(colours.background)
    bg.setAlpha(210)
    legend.setBrush(pg.mkBrush(bg))
    legend.setPen(pg.mkPen(colours.muted))
    legend.setLabelTextColor(colours.foreground)


def set_title(plot: pg.PlotItem, text: str, colour: QColor) -> None:
    """The title of ``plot`` in ``colour`` (pyqtgraph keeps the colour per call)."""
    plot.setTitle(text, color=colour.name())
