"""Spread a new panel's first paint over event-loop turns.

A panel's first paint draws every visible plot at once: each pyqtgraph view lays out and
paints its axes (tick text, through a QPicture), which on a loaded 2-core machine costs
20-100 ms per view, so a panel with six plots froze the GUI thread for half a second when it
appeared (issue 13).  :func:`paint_in_turns` holds back the paint of a widget's plot views
and lets them paint one per event-loop turn, in reading order (top-left first).  Layout is
not affected (``setUpdatesEnabled`` only stops paint events); until its turn a view shows the
panel's background for a few tens of milliseconds.  The shell calls it when it docks a panel
opened from a click (its construction is spread over turns by
:meth:`~workbench.gui.panel.Panel.build_in_steps`); no panel needs to call it itself.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QTimer
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

PAINT_CLASSES = ("GraphicsView", "PlotWidget", "GraphicsLayoutWidget", "ImageView")


def _is_plot_view(widget: QWidget) -> bool:
    """A pyqtgraph view (GraphicsView or a subclass): the widgets whose first paint is dear."""
    for cls in type(widget).__mro__:
        if cls.__name__ in PAINT_CLASSES and cls.__module__.startswith("pyqtgraph"):
            return True
    return False


def plot_views(root: QWidget) -> list[QWidget]:
    """The pyqtgraph views under ``root`` that will be painted now (visible to the user),
    in reading order (top to bottom, then left to right)."""
    views = [w for w in root.findChildren(QAbstractScrollArea) if _is_plot_view(w) and w.isVisibleTo(root)]

    def where(w: QWidget) -> tuple[int, int]:
        p = w.mapTo(root, QPoint(0, 0))
        return (p.y(), p.x())

    return sorted(views, key=where)


class _Stager(QObject):
    """Enables the paint of the held-back views one per event-loop turn."""

    def __init__(self, views: list[QWidget], parent: QObject) -> None:
        super().__init__(parent)
        self.views = views
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(1)  # 1 ms, not 0: the paint of the last one is processed first
        self.timer.timeout.connect(self._next)

    def _next(self) -> None:
        while self.views:
            view = self.views.pop(0)
            try:
                view.setUpdatesEnabled(True)
                view.update()
            except RuntimeError:  # deleted meanwhile (the panel was closed)
                continue
            break
        if self.views:
            self.timer.start()
        else:
            self.deleteLater()

    def finish(self) -> None:
        """Let every held-back view paint now."""
        self.timer.stop()
        for view in self.views:
            try:
                view.setUpdatesEnabled(True)
            except RuntimeError:
                pass
        self.views = []


def paint_in_turns(root: QWidget) -> _Stager | None:
    """Hold back the first paint of the plot views under ``root`` and let them paint one per
    event-loop turn (the first at once).  Returns the stager (``finish()`` lets the rest paint
    at once), or None when there was nothing to hold."""
    views = plot_views(root)
    if len(views) < 2:
        return None
    for view in views[1:]:
        view.setUpdatesEnabled(False)
    stager = _Stager(views[1:], root)
    stager.timer.start()
    return stager
