"""Switching theme at run time repaints every pyqtgraph plot of the open panels (background,
axes, titles, legends) without panel code, keeps colours a panel chose itself, applies to
panels opened later, and tells panels through theme_changed."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from workbench.gui.theme import apply_theme, current_theme, plot_theme, theme_plot, theme_signals
from workbench.settings import Preferences


def rgb(colour) -> tuple[int, int, int]:
    c = pg.mkColor(colour)
    return c.red(), c.green(), c.blue()


def _look(plot: pg.PlotWidget) -> dict:
    item = plot.getPlotItem()
    axis = item.getAxis("left")
    return {
        "background": rgb(plot.backgroundBrush().color()),
        "axis": rgb(axis.pen().color()),
        "ticks": rgb(axis.textPen().color()),
        "title": rgb(item.titleLabel.opts["color"]),
    }


@pytest.fixture(autouse=True)
def _light_again():
    yield
    apply_theme(QApplication.instance(), "light")


def test_switching_theme_repaints_an_open_panels_plot(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    panel.plot.getPlotItem().setLabel("left", "H_k")
    legend = panel.plot.addLegend()
    legend.addItem(panel.curve, "partial sums")
    light = _look(panel.plot)
    assert light["background"] == (255, 255, 255)  # the sample plot never set one: pyqtgraph's black was replaced
    changed = []
    theme_signals().theme_changed.connect(changed.append)
    main_window.set_preferences(Preferences(theme="dark"))  # Preferences… > Theme: dark
    assert changed == ["dark"] and current_theme() == "dark"
    dark = _look(panel.plot)
    colours = plot_theme()
    assert dark == {
        "background": rgb(colours.background),
        "axis": rgb(colours.foreground),
        "ticks": rgb(colours.foreground),
        "title": rgb(colours.foreground),
    }
    assert colours.dark and dark != light
    axis = panel.plot.getPlotItem().getAxis("left")
    assert axis.labelStyle["color"] == colours.foreground.name()
    assert rgb(legend.opts["labelTextColor"]) == rgb(colours.foreground)
    assert legend.opts["brush"].color().lightnessF() < 0.5
    main_window.set_preferences(Preferences(theme="light"))
    assert _look(panel.plot) == light and changed == ["dark", "light"]


def test_a_colour_the_panel_chose_is_kept(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    panel.plot.setTitle("stale", color="#c0392b")
    panel.plot.getPlotItem().getAxis("bottom").setPen(pg.mkPen("#1f77b4"))
    main_window.set_preferences(Preferences(theme="dark"))
    assert rgb(panel.plot.getPlotItem().titleLabel.opts["color"]) == (0xC0, 0x39, 0x2B)
    assert rgb(panel.plot.getPlotItem().getAxis("bottom").pen().color()) == (0x1F, 0x77, 0xB4)
    assert rgb(panel.plot.getPlotItem().getAxis("left").pen().color()) == rgb(plot_theme().foreground)


def test_a_panel_opened_in_dark_theme_is_dark(main_window, qtbot):
    main_window.set_preferences(Preferences(theme="dark"))
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert QColor(panel.plot.backgroundBrush().color()).lightnessF() < 0.5
    fresh = pg.PlotWidget()  # plots a panel creates later follow pyqtgraph's new defaults
    qtbot.addWidget(fresh)
    assert rgb(fresh.backgroundBrush().color()) == rgb(plot_theme().background)


def test_theme_plot_on_a_layout_widget(qtbot):
    apply_theme(QApplication.instance(), "dark")
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    plot = view.addPlot(title="layout")
    view.setBackground("w")
    theme_plot(view)
    assert rgb(view.backgroundBrush().color()) == rgb(plot_theme().background)
    assert rgb(plot.getAxis("bottom").textPen().color()) == rgb(plot_theme().foreground)


@pytest.mark.parametrize("pid", ["repsim", "adversarial", "micrograph", "equivariant", "concepts"])
def test_first_party_plots_follow_the_theme_switch(main_window, qtbot, pid):
    panel = main_window.open_panel(pid)
    qtbot.waitUntil(panel.is_idle, timeout=240000)
    main_window.set_preferences(Preferences(theme="dark"))
    views = [f.widget for f in panel.figures() if isinstance(f.widget, pg.GraphicsView)]
    assert views
    for view in views:
        assert QColor(view.backgroundBrush().color()).lightnessF() < 0.5, type(view).__name__
