"""Light and dark themes (Fusion style with a palette) and pyqtgraph plots that follow them.

* :func:`apply_theme` sets the application's palette, pyqtgraph's default colours for plots
  created afterwards, re-colours every pyqtgraph plot already on screen
  (:func:`theme_all_plots`) and emits :attr:`ThemeSignals.theme_changed` (``theme_signals()``)
  for what the shell cannot reach: vispy canvases, badges, colours a panel chose itself.
* :func:`theme_plot` colours one ``PlotWidget`` / ``GraphicsLayoutWidget`` (background, axes,
  tick and axis labels, titles, legends) from the palette: background = ``Base``, text and
  axes = ``Text``.  It only replaces colours that a theme or pyqtgraph gives by default (white,
  black, pyqtgraph's grey, either palette's colours): a title a panel painted red for "stale"
  keeps its red.  The main window applies it to every panel it opens.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

THEMES = ("light", "dark")


class ThemeSignals(QObject):
    """``theme_changed(str)``: emitted by :func:`apply_theme` after the palette and every
    pyqtgraph plot have changed; connect a panel's own repaint (vispy canvases, badges) to it."""

    theme_changed = Signal(str)


_signals: ThemeSignals | None = None


def theme_signals() -> ThemeSignals:
    """The application-wide :class:`ThemeSignals` (created on first use, owned by the app)."""
    global _signals
    if _signals is None:
        _signals = ThemeSignals(QApplication.instance())
    return _signals


def current_theme() -> str:
    """The theme last applied ("light" before any)."""
    app = QApplication.instance()
    value = app.property("workbench_theme") if app is not None else None
    return value if value in THEMES else "light"


def dark_palette() -> QPalette:
    pal = QPalette()
    base, window, text = QColor(35, 35, 38), QColor(45, 45, 48), QColor(220, 220, 220)
    pal.setColor(QPalette.ColorRole.Window, window)
    pal.setColor(QPalette.ColorRole.WindowText, text)
    pal.setColor(QPalette.ColorRole.Base, base)
    pal.setColor(QPalette.ColorRole.AlternateBase, window)
    pal.setColor(QPalette.ColorRole.ToolTipBase, window)
    pal.setColor(QPalette.ColorRole.ToolTipText, text)
    pal.setColor(QPalette.ColorRole.Text, text)
    pal.setColor(QPalette.ColorRole.Button, window)
    pal.setColor(QPalette.ColorRole.ButtonText, text)
    pal.setColor(QPalette.ColorRole.Highlight, QColor(42, 130, 218))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    pal.setColor(QPalette.ColorRole.Link, QColor(90, 160, 255))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(120, 120, 120))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(120, 120, 120))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(120, 120, 120))
    return pal


def light_palette(app: QApplication) -> QPalette:
    return app.style().standardPalette()


@dataclass(frozen=True)
class PlotTheme:
    """Plot colours of a palette: background (``Base``), foreground (``Text``: axes, ticks,
    titles, legend text), legend background (the background, slightly transparent) and frame."""

    background: QColor
    foreground: QColor
    legend_background: QColor
    legend_frame: QColor

    @property
    def dark(self) -> bool:
        return self.background.lightnessF() < 0.5


def plot_theme(palette: QPalette | None = None) -> PlotTheme:
    """The :class:`PlotTheme` of ``palette`` (default: the application's)."""
    pal = palette if palette is not None else QApplication.palette()
    bg = QColor(pal.color(QPalette.ColorRole.Base))
    fg = QColor(pal.color(QPalette.ColorRole.Text))
    legend_bg = QColor(bg)
    legend_bg.setAlpha(210)
    frame = QColor.fromHslF(0, 0, 0.45 if bg.lightnessF() < 0.5 else 0.6)
    return PlotTheme(bg, fg, legend_bg, frame)


def _default_colours() -> set[tuple[int, int, int]]:
    """RGB of every colour a theme or pyqtgraph uses by default (these may be replaced)."""
    colours = {(0, 0, 0), (255, 255, 255), (150, 150, 150), (128, 128, 128)}
    app = QApplication.instance()
    palettes = [dark_palette()] + ([light_palette(app)] if isinstance(app, QApplication) else [])
    for pal in palettes:
        for role in (
            QPalette.ColorRole.Base,
            QPalette.ColorRole.Text,
            QPalette.ColorRole.Window,
            QPalette.ColorRole.WindowText,
        ):
            c = pal.color(role)
            colours.add((c.red(), c.green(), c.blue()))
    for name in ("background", "foreground"):
        try:
            import pyqtgraph as pg

            c = pg.mkColor(pg.getConfigOption(name))
            colours.add((c.red(), c.green(), c.blue()))
        except Exception:  # noqa: BLE001 - pyqtgraph absent or an odd option value
            pass
    return colours


def _is_default(colour: Any, defaults: set[tuple[int, int, int]]) -> bool:
    if colour is None:
        return True
    try:
        import pyqtgraph as pg

        c = pg.mkColor(colour)
    except Exception:  # noqa: BLE001 - not a colour pyqtgraph understands: leave it
        return False
    return (c.red(), c.green(), c.blue()) in defaults


def theme_plot(plot_widget: Any, theme: PlotTheme | None = None) -> None:
    """Colour a pyqtgraph view (``PlotWidget``, ``GraphicsLayoutWidget``, any ``GraphicsView``)
    after ``theme`` (default: the palette's): its background, every axis (line, ticks, tick
    labels, axis label), every title or label item and every legend, where their colour is a
    default one (module docstring).  ``TextItem`` annotations keep their colours."""
    import pyqtgraph as pg

    theme = theme or plot_theme()
    defaults = _default_colours()
    fg, fg_name = theme.foreground, theme.foreground.name()
    if isinstance(plot_widget, pg.GraphicsView):
        if _is_default(plot_widget.backgroundBrush().color(), defaults):
            plot_widget.setBackground(theme.background)
        scene = plot_widget.scene()
    else:
        scene = plot_widget.scene() if hasattr(plot_widget, "scene") else None
    if scene is None:
        return
    for item in scene.items():
        if isinstance(item, pg.AxisItem):
            if _is_default(item.pen().color(), defaults):
                item.setPen(pg.mkPen(fg))
            if _is_default(item.textPen().color(), defaults):
                item.setTextPen(pg.mkPen(fg))  # also the axis label's colour
            item.picture = None  # tick labels are cached in a picture: draw them again
            item.update()
        elif isinstance(item, pg.LegendItem):
            brush = item.opts.get("brush")
            if brush is None or brush.style() == 0 or _is_default(brush.color(), defaults):
                item.setBrush(pg.mkBrush(theme.legend_background))
            pen = item.opts.get("pen")
            if pen is None or pen.style() == 0 or _is_default(pen.color(), defaults):
                item.setPen(pg.mkPen(theme.legend_frame))
            if _is_default(item.opts.get("labelTextColor"), defaults):
                item.setLabelTextColor(fg)
        elif isinstance(item, pg.LabelItem):
            if _is_default(item.opts.get("color"), defaults):
                item.setText(item.text, color=fg_name)


def set_pyqtgraph_defaults(theme: PlotTheme | None = None) -> None:
    """pyqtgraph's default background and foreground for plots created from now on (only when
    pyqtgraph is already imported: the theme never imports it)."""
    if "pyqtgraph" not in sys.modules:
        return
    import pyqtgraph as pg

    theme = theme or plot_theme()
    pg.setConfigOptions(background=theme.background, foreground=theme.foreground)


def theme_all_plots(roots: list[QWidget] | None = None, theme: PlotTheme | None = None) -> int:
    """:func:`theme_plot` on every pyqtgraph view among ``roots`` and their children (default:
    every top-level widget, so every open panel); returns how many were coloured."""
    if "pyqtgraph" not in sys.modules:
        return 0
    import pyqtgraph as pg

    theme = theme or plot_theme()
    set_pyqtgraph_defaults(theme)
    if roots is None:
        app = QApplication.instance()
        roots = list(app.topLevelWidgets()) if isinstance(app, QApplication) else []
    views: list[Any] = []
    for root in roots:
        if isinstance(root, pg.GraphicsView):
            views.append(root)
        views += root.findChildren(pg.GraphicsView)
    for view in dict.fromkeys(views):  # once each, in order
        theme_plot(view, theme)
    return len(views)


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch the application to ``theme`` ("light" or "dark"): palette, pyqtgraph defaults,
    every pyqtgraph plot on screen, then ``theme_signals().theme_changed``."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if theme == "dark" else light_palette(app))
    app.setProperty("workbench_theme", theme)
    colours = plot_theme(app.palette())
    theme_all_plots(None, colours)
    theme_signals().theme_changed.emit(theme)
