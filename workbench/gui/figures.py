"""One interface for every exportable figure: PNG (chosen DPI/size, transparent option),
SVG and PDF as vectors, plus the figure's data next to it.

A panel returns :class:`FigureSource` objects from ``Panel.figures()``.  The default
implementation paints a widget (a pyqtgraph ``PlotWidget``/``GraphicsLayoutWidget``, a
``QGraphicsView`` or any ``QWidget``) through ``QWidget.render``: on a ``QSvgGenerator`` or
``QPdfWriter`` this records vector drawing commands, so SVG and PDF are real vectors
(pyqtgraph's own SVG exporter is not used; it is broken in current releases).  OpenGL
views (vispy) override :meth:`FigureSource.image` to render off the screen at the requested
size; their SVG/PDF embed that image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QPoint, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from workbench.figure_data import write_figure_data

FORMATS = ("png", "svg", "pdf")
SCREEN_DPI = 96.0


@dataclass
class ExportOptions:
    """How to export: format, DPI (PNG), explicit pixel size (PNG, optional), transparency.

    ``fmt`` empty (the default) means: the format named by the file's suffix, PNG if it has none.
    """

    fmt: str = ""
    dpi: int = 150
    width: int = 0
    height: int = 0
    transparent: bool = False
    write_data: bool = True
    #: in the dark theme, export in the light theme's colours (white background, dark text: for
    #: papers and slides); the app switches to the light theme for the export and back
    light: bool = False


@dataclass
class FigureSource:
    """An exportable figure.

    name:   short name used for default file names.
    widget: the widget that draws it (used by the default painter and for its size).
    data:   callable returning the data behind the figure: a dict of numpy arrays, lists,
            numbers and strings (written as NPZ + JSON + CSV next to the figure).
    paint:  optional ``paint(painter, rect)`` for custom vector painting.
    render_image: optional ``render_image(width, height, transparent) -> QImage`` for
            OpenGL views that must be rendered off the screen.
    """

    name: str
    widget: QWidget | None = None
    data: Callable[[], dict[str, Any]] | None = None
    paint: Callable[[QPainter, QRectF], None] | None = None
    render_image: Callable[[int, int, bool], QImage] | None = None
    title: str = ""

    def logical_size(self) -> QSize:
        if self.widget is not None and self.widget.width() > 10:
            return self.widget.size()
        return QSize(800, 600)

    def _paint(self, painter: QPainter, rect: QRectF, transparent: bool = False) -> None:
        if self.paint is not None:
            self.paint(painter, rect)
            return
        if self.render_image is not None:
            img = self.render_image(int(rect.width()), int(rect.height()), transparent)
            painter.drawImage(rect, img)
            return
        if self.widget is None:
            raise ValueError(f"figure {self.name!r} has nothing to paint")
        paint_widget(self.widget, painter, rect, transparent)

    def image(self, width: int, height: int, transparent: bool = False) -> QImage:
        """Raster image of the figure at ``width`` x ``height`` pixels."""
        if self.render_image is not None:
            return self.render_image(width, height, transparent)
        img = QImage(width, height, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent if transparent else QColor("white"))
        painter = QPainter(img)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        try:
            self._paint(painter, QRectF(0, 0, width, height), transparent)
        finally:
            painter.end()
        return img


def paint_widget(widget: QWidget, painter: QPainter, rect: QRectF, transparent: bool = False) -> None:
    """Paint ``widget`` into ``rect`` of ``painter`` with vector commands where Qt has them.

    A ``QGraphicsView`` (pyqtgraph plots) renders its visible scene region, scaled to
    ``rect``; its background is dropped when ``transparent``.  Other widgets are rendered
    with their children through ``QWidget.render``."""
    from PySide6.QtWidgets import QGraphicsView

    if isinstance(widget, QGraphicsView):
        scene = widget.scene()
        if hasattr(scene, "prepareForPaint"):
            scene.prepareForPaint()
        brush = widget.backgroundBrush()
        if transparent:
            widget.setBackgroundBrush(Qt.BrushStyle.NoBrush)
        try:
            QGraphicsView.render(widget, painter, rect, widget.viewport().rect())
        finally:
            if transparent:
                widget.setBackgroundBrush(brush)
        return
    size = widget.size()
    painter.save()
    painter.translate(rect.topLeft())
    painter.scale(rect.width() / max(size.width(), 1), rect.height() / max(size.height(), 1))
    flags = QWidget.RenderFlag.DrawChildren
    if not transparent:
        flags |= QWidget.RenderFlag.DrawWindowBackground
    QWidget.render(widget, painter, QPoint(0, 0), QRegion(), flags)
    painter.restore()


def _png_size(fig: FigureSource, opts: ExportOptions) -> tuple[int, int]:
    size = fig.logical_size()
    if opts.width > 0 and opts.height > 0:
        return opts.width, opts.height
    scale = max(opts.dpi, 10) / SCREEN_DPI
    if opts.width > 0:
        return opts.width, max(1, round(opts.width * size.height() / size.width()))
    return max(1, round(size.width() * scale)), max(1, round(size.height() * scale))


def export_figure(fig: FigureSource, path: str | Path, opts: ExportOptions | None = None) -> list[Path]:
    """Export ``fig`` to ``path``; returns the files written.

    The format is ``opts.fmt`` when given, else the suffix of ``path`` (``fig.svg`` is an SVG),
    else PNG; a suffix that disagrees with an explicit ``opts.fmt`` is replaced.

    PNG: ``opts.width`` x ``opts.height`` pixels if given, else the on-screen size scaled by
    dpi/96, with the DPI stored in the file.  SVG/PDF: vector, at the on-screen size.
    The figure's data goes to ``<stem>.data.npz`` / ``.json`` / ``.csv`` beside it.
    """
    opts = opts or ExportOptions()
    with _export_theme(opts.light):
        return _export_figure(fig, Path(path), opts)


@contextmanager
def _export_theme(light: bool) -> Iterator[None]:
    """The light theme for the export when ``light`` and the app is in the dark theme: every
    panel recolours its figures on the theme signal, as for a switch from the menu, so the
    export shows exactly what the light theme shows; the dark theme comes back afterwards,
    also when the export fails."""
    from PySide6.QtWidgets import QApplication

    from workbench.gui.theme import apply_theme, current_theme

    app = QApplication.instance()
    if not light or current_theme() != "dark" or not isinstance(app, QApplication):
        yield
        return
    apply_theme(app, "light")
    try:
        yield
    finally:
        apply_theme(app, "dark")


def _export_figure(fig: FigureSource, path: Path, opts: ExportOptions) -> list[Path]:
    fmt = (opts.fmt or path.suffix.lstrip(".") or "png").lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if path.suffix.lower() != "." + fmt:
        path = path.with_suffix("." + fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = fig.logical_size()
    if fmt == "png":
        w, h = _png_size(fig, opts)
        img = fig.image(w, h, opts.transparent)
        dots_per_meter = round(opts.dpi / 0.0254)
        img.setDotsPerMeterX(dots_per_meter)
        img.setDotsPerMeterY(dots_per_meter)
        if not img.save(str(path)):  # the format follows the suffix, .png (set above)
            raise OSError(f"could not write {path}")
    elif fmt == "svg":
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(size)
        gen.setViewBox(QRect(0, 0, size.width(), size.height()))
        gen.setTitle(fig.title or fig.name)
        gen.setResolution(int(SCREEN_DPI))
        painter = QPainter(gen)
        try:
            if not opts.transparent:
                painter.fillRect(QRectF(0, 0, size.width(), size.height()), QColor("white"))
            fig._paint(painter, QRectF(0, 0, size.width(), size.height()), opts.transparent)
        finally:
            painter.end()
    else:  # pdf
        writer = QPdfWriter(str(path))
        writer.setResolution(int(SCREEN_DPI))
        writer.setTitle(fig.title or fig.name)
        page = QPageSize(
            QSizeF(size.width(), size.height()), QPageSize.Unit.Point, "figure", QPageSize.SizeMatchPolicy.ExactMatch
        )
        writer.setPageLayout(QPageLayout(page, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
        painter = QPainter(writer)
        try:
            target = QRectF(0, 0, writer.width(), writer.height())
            if not opts.transparent:
                painter.fillRect(target, QColor("white"))
            fig._paint(painter, target, opts.transparent)
        finally:
            painter.end()
    written = [path]
    if opts.write_data and fig.data is not None:
        written += write_figure_data(fig.data(), path.with_suffix(""))
    return written
