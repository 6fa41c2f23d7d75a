"""Context menus on plots: Copy image, Copy data (CSV), Export… for any figure.

:func:`install_plot_context_menu` puts the three actions on a figure's widget:

* pyqtgraph views (``PlotWidget``, ``GraphicsLayoutWidget``): into pyqtgraph's own right-click
  menu (the scene's part of it, under the view box's entries), replacing pyqtgraph's
  "Export..." (its SVG exporter is broken in current releases; ours writes the data too);
* other widgets that leave the mouse to Qt (tables, lists, plain widgets): a right-click menu
  of their own;
* widgets that handle mouse buttons themselves (an editor canvas, an OpenGL view whose
  right-drag zooms) are left alone: a menu there would fight their own right-click.

The main window installs it on every figure a panel returns from ``figures()`` when the panel
is opened and whenever it becomes idle, so panels need no code for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from workbench.figure_data import figure_data_csv
from workbench.gui.figures import FigureSource

#: property set on a widget once its menu is installed (installing twice changes nothing)
INSTALLED = "workbench_plot_menu"
_MOUSE_HANDLERS = ("mousePressEvent", "mouseReleaseEvent", "contextMenuEvent")


def handles_mouse_itself(widget: QWidget) -> bool:
    """Whether a Python class of ``widget`` (other than pyqtgraph's) overrides a mouse or
    context-menu handler, i.e. the widget uses the right button for something of its own."""
    for cls in type(widget).__mro__:
        module = cls.__module__ or ""
        if module.startswith(("PySide6", "shiboken6", "pyqtgraph")) or cls is object:
            continue
        if any(name in vars(cls) for name in _MOUSE_HANDLERS):
            return True
    return False


def _is_pyqtgraph_view(widget: QWidget) -> bool:
    try:
        from pyqtgraph import GraphicsView
    except ImportError:  # pragma: no cover
        return False
    return isinstance(widget, GraphicsView)


def copy_image(fig: FigureSource, scale: float = 2.0) -> None:
    """Put the figure on the clipboard as an image (``scale`` x its size on screen)."""
    size = fig.logical_size()
    image = fig.image(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
    QGuiApplication.clipboard().setImage(image)


def copy_data(fig: FigureSource) -> str:
    """Put the figure's data on the clipboard as CSV text; returns the text ("" without data)."""
    text = figure_data_csv(fig.data()) if fig.data is not None else ""
    QGuiApplication.clipboard().setText(text)
    return text


def plot_menu_actions(
    widget: QWidget, source: Callable[[], FigureSource | None], export: Callable[[FigureSource], Any] | None
) -> list[QAction]:
    """The three actions (parented to ``widget``), each asking ``source`` for the current figure."""

    def run(what: Callable[[FigureSource], Any]) -> None:
        fig = source()
        if fig is not None:
            what(fig)

    copy_img = QAction("Copy image", widget)
    copy_img.setObjectName("plot-copy-image")
    copy_img.triggered.connect(lambda _=False: run(copy_image))
    copy_csv = QAction("Copy data (CSV)", widget)
    copy_csv.setObjectName("plot-copy-data")
    copy_csv.triggered.connect(lambda _=False: run(copy_data))
    actions = [copy_img, copy_csv]
    if export is not None:
        exp = QAction("Export\u2026", widget)
        exp.setObjectName("plot-export")
        exp.triggered.connect(lambda _=False: run(export))
        actions.append(exp)
    return actions


def install_plot_context_menu(
    widget: QWidget,
    figure_source: FigureSource | Callable[[], FigureSource | None],
    export: Callable[[FigureSource], Any] | None = None,
) -> bool:
    """Give ``widget`` the Copy image / Copy data (CSV) / Export… menu of ``figure_source``
    (a figure, or a callable returning the current one).  ``export(fig)`` runs the export
    dialog (omit it for no Export entry).  True when the menu is there (now or before); False
    for a widget that handles the mouse itself or set a context-menu policy of its own."""
    if widget.property(INSTALLED):
        return True
    source: Callable[[], FigureSource | None] = (
        (lambda: figure_source) if isinstance(figure_source, FigureSource) else figure_source
    )
    if _is_pyqtgraph_view(widget):
        scene: Any = widget.scene()  # type: ignore[attr-defined]  # a pyqtgraph GraphicsView
        actions = plot_menu_actions(widget, source, export)
        kept = [a for a in getattr(scene, "contextMenu", []) if a.text().rstrip(".\u2026") != "Export"]
        scene.contextMenu = kept + actions
        widget.setProperty(INSTALLED, True)
        return True
    if handles_mouse_itself(widget) or widget.contextMenuPolicy() != Qt.ContextMenuPolicy.DefaultContextMenu:
        return False
    actions = plot_menu_actions(widget, source, export)
    origin = widget.viewport() if isinstance(widget, QAbstractScrollArea) else widget

    def show_menu(pos: QPoint) -> None:
        menu = QMenu(widget)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions(actions)
        menu.popup(origin.mapToGlobal(pos))

    widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    widget.customContextMenuRequested.connect(show_menu)
    widget.setProperty(INSTALLED, True)
    return True
