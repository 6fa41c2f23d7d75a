"""A pyqtgraph heatmap with layer-name ticks, a colour bar, values printed in the cells, hover
read-out and cell clicks.

The cells are drawn as filled rectangles (:class:`CellGrid`), not as an image: on screen and
in SVG/PDF exports every cell is a sharp vector rectangle, never a smoothed, scaled bitmap.
The colour scale is set from outside (the panel shares one scale between its heatmaps); tick
labels are thinned and elided so that they never run together, whatever the size."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPaintEngine, QPainter
from PySide6.QtWidgets import QGraphicsGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .heatmap_scale import MAX_CELL_TEXT, cell_text, common_affixes, elide_middle, fit_labels, tick_step
from .plot_style import PlotColours, plot_colours, set_title, style_plot_item

#: longest tick label, in characters (the hover line names the full layer)
TICK_CHARS = 12
#: smallest cell-value font, in pixels; smaller cells print no values
MIN_VALUE_PX = 7.0
_DARK_TEXT, _LIGHT_TEXT = QColor(20, 20, 20), QColor(245, 245, 245)
#: bands of the colour bar's gradient
COLOUR_STEPS = 96
#: the marks a heatmap can carry, shown after its title
MARKS = {"": "", "stale": "stale", "computing": "computing…", "previous": "last complete result"}


class CellGrid(pg.GraphicsObject):
    """A matrix drawn cell by cell, in view coordinates (cell (i, j) covers [j, j+1] x [i, i+1]),
    with its values printed in the cells up to :data:`MAX_CELL_TEXT` x :data:`MAX_CELL_TEXT`
    (black on cells of luma above 0.5, white on darker ones; a font that follows the cell size, none below
    :data:`MIN_VALUE_PX` on screen).  Non-finite values are grey.

    Never smoothed: on screen and in PNG the cells are one image scaled without interpolation
    (cheap to repaint, whatever the size of the matrix); on an SVG or PDF painter each cell is
    a filled vector rectangle."""

    def __init__(self) -> None:
        super().__init__()
        self._rgba = np.zeros((0, 0, 4), np.uint8)
        self._image: QImage | None = None
        self._texts: list[tuple[str, QColor]] = []
        self._shape = (0, 0)

    def set_cells(self, matrix: np.ndarray | None, cmap: pg.ColorMap, levels: tuple[float, float]) -> None:
        self.prepareGeometryChange()
        self._texts, self._image = [], None
        if matrix is None or matrix.size == 0:
            self._shape = (0, 0)
            self._rgba = np.zeros((0, 0, 4), np.uint8)
            self.update()
            return
        rows, cols = matrix.shape
        self._shape = (rows, cols)
        lo, hi = levels
        norm = np.clip((np.nan_to_num(matrix, nan=lo) - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
        rgba = np.asarray(cmap.map(norm.ravel(), mode="byte"), np.uint8).reshape(rows, cols, 4).copy()
        rgba[~np.isfinite(matrix)] = (128, 128, 128, 255)
        self._rgba = np.ascontiguousarray(rgba)
        self._image = QImage(self._rgba.data, cols, rows, 4 * cols, QImage.Format.Format_RGBA8888)
        if rows <= MAX_CELL_TEXT and cols <= MAX_CELL_TEXT:
            luma = self._rgba[..., :3].astype(float) @ np.array([0.299, 0.587, 0.114]) / 255  # Rec. 601
            self._texts = [
                (cell_text(matrix[i, j]), _DARK_TEXT if luma[i, j] > 0.5 else _LIGHT_TEXT)
                for i in range(rows)
                for j in range(cols)
            ]
        self.update()

    def cell_colour(self, i: int, j: int) -> QColor:
        r, g, b, a = (int(v) for v in self._rgba[i, j])
        return QColor(r, g, b, a)

    def value_texts(self) -> list[tuple[str, QColor]]:
        """(text, colour) of each cell's printed value, row by row ([] above 12 x 12)."""
        return list(self._texts)

    def value_font_px(self) -> float:
        """The on-screen pixel size of the printed values (0: none printed, the cells being too
        small or the matrix too large)."""
        screen = self.deviceTransform_()
        if screen is None or not self._texts:
            return 0.0
        px = min(abs(screen.m11()) / 3.4, abs(screen.m22()) / 2.2, 14.0)
        return px if px >= MIN_VALUE_PX else 0.0

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._shape[1], self._shape[0])

    def paint(self, painter: QPainter, *_args) -> None:
        if self._image is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        engine = painter.paintEngine()
        if engine is not None and engine.type() in (QPaintEngine.Type.SVG, QPaintEngine.Type.Pdf):
            self._paint_vector_cells(painter)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(self.boundingRect(), self._image)
        px = self.value_font_px()
        if px:
            self._paint_values(painter, px)

    def _paint_vector_cells(self, painter: QPainter) -> None:
        """One filled rectangle per cell; each overlaps its right and lower neighbours a little,
        so vector viewers draw no hairline seams between cells."""
        painter.setPen(Qt.PenStyle.NoPen)
        rows, cols = self._shape
        eps = 0.02
        for i in range(rows):
            for j in range(cols):
                w = 1 + (eps if j < cols - 1 else 0)
                h = 1 + (eps if i < rows - 1 else 0)
                painter.fillRect(QRectF(j, i, w, h), self.cell_colour(i, j))

    def _paint_values(self, painter: QPainter, screen_px: float) -> None:
        """The values, drawn in device pixels at the cell centres (an export at twice the size
        draws them twice as large: the font follows the painter's scale against the screen's)."""
        t, screen = painter.worldTransform(), self.deviceTransform_()
        if t.m11() == 0 or t.m22() == 0 or screen is None:
            return
        factor = abs(t.m11()) / max(abs(screen.m11()), 1e-9)
        font = QFont()
        font.setPixelSize(max(1, round(screen_px * factor)))
        painter.setFont(font)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        w, h = abs(t.m11()), abs(t.m22())
        cols = self._shape[1]
        painter.save()
        painter.scale(1 / t.m11(), 1 / t.m22())  # one unit = one device pixel, text upright
        pen = None
        for k, (text, colour) in enumerate(self._texts):
            i, j = divmod(k, cols)
            if colour is not pen:
                painter.setPen(colour)
                pen = colour
            cx, cy = (j + 0.5) * t.m11(), (i + 0.5) * t.m22()
            painter.drawText(QRectF(cx - w / 2, cy - h / 2, w, h), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class _GradientStrip(pg.GraphicsWidget):
    """The colour map from low (bottom) to high (top) in :data:`COLOUR_STEPS` bands: one image
    on screen and in PNG, filled vector bands in SVG/PDF, like the cells."""

    def __init__(self, cmap: pg.ColorMap, width: int) -> None:
        super().__init__()
        self.setFixedWidth(width)
        steps = np.linspace(0.0, 1.0, COLOUR_STEPS)
        self._colours = cmap.map(steps, mode="qcolor")
        # on screen: one 1 x COLOUR_STEPS image, high values on top (one call instead of 96)
        rgba = np.ascontiguousarray(np.asarray(cmap.map(steps[::-1], mode="byte"), np.uint8).reshape(-1, 1, 4))
        self._rgba = rgba
        self._image = QImage(rgba.data, 1, COLOUR_STEPS, 4, QImage.Format.Format_RGBA8888)

    def paint(self, painter: QPainter, *_args) -> None:
        rect = self.boundingRect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        engine = painter.paintEngine()
        if engine is None or engine.type() not in (QPaintEngine.Type.SVG, QPaintEngine.Type.Pdf):
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(rect, self._image)
            return
        h = rect.height() / COLOUR_STEPS
        for k, colour in enumerate(self._colours):  # band k from the bottom, overlapping the next a little
            painter.fillRect(QRectF(rect.left(), rect.bottom() - (k + 1) * h, rect.width(), h * 1.05 + 0.5), colour)


class ColourBar(pg.GraphicsWidget):
    """A colour bar: the gradient strip and an axis of the values it stands for.  A light
    stand-in for pyqtgraph's ColorBarItem (which is a whole PlotItem, with its menus: 20 ms to
    build on the GUI thread, each) that is also drawn as vectors."""

    def __init__(self, cmap: pg.ColorMap, width: int = 12) -> None:
        super().__init__()
        layout = QGraphicsGridLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(0)
        self.setLayout(layout)
        self.strip = _GradientStrip(cmap, width)
        self.axis = pg.AxisItem("right")
        self.axis.setRange(0.0, 1.0)
        layout.addItem(self.strip, 0, 0)
        layout.addItem(self.axis, 0, 1)
        self._levels = (0.0, 1.0)

    def setLevels(self, levels: tuple[float, float]) -> None:  # noqa: N802 - ColorBarItem's API
        self._levels = (float(levels[0]), float(levels[1]))
        self.axis.setRange(*self._levels)

    def levels(self) -> tuple[float, float]:
        return self._levels


class ElidedLabel(QLabel):
    """A one-line label that elides its text to its width (full text in the tooltip), so a long
    read-out never widens the layout."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def text(self) -> str:  # the whole text, as set (what tests and callers mean)
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 20))
        super().setText(shown)


class HeatmapView(QWidget):
    """Shows one L_rows x L_cols matrix.  Emits ``cell_clicked(row, col)``."""

    cell_clicked = Signal(int, int)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.matrix: np.ndarray | None = None
        self.rows: list[str] = []
        self.cols: list[str] = []
        self.measure = ""
        self.levels: tuple[float, float] = (0.0, 1.0)
        self.mark = ""
        self._title_shown: tuple[str, str] | None = None
        self._ticks_set: tuple | None = None
        self.cmap = pg.colormap.get("viridis")
        self.colours: PlotColours = plot_colours()
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot(enableMenu=False)  # no menus to build: a heatmap neither pans nor zooms
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.cells = CellGrid()
        self.plot.addItem(self.cells)
        self.bar = ColourBar(self.cmap, width=12)
        self.plot.layout.addItem(self.bar, 2, 5)  # right of the view box, its height
        self.plot.layout.setColumnFixedWidth(4, 6)
        self.bottom_axis, self.left_axis = self.plot.getAxis("bottom"), self.plot.getAxis("left")
        self.bottom_axis.setStyle(hideOverlappingLabels=TICK_CHARS * 4)  # end labels may reach past the axis
        for axis in (self.bottom_axis, self.left_axis):
            axis.setStyle(tickLength=4)  # outwards: ticks never cover the cells (pyqtgraph's -5 points inwards)
        self._row_labels: list[str] = []
        self._col_labels: list[str] = []
        self._axis_titles: tuple[str, str] | None = None
        self._full_titles = ("layers", "layers")
        self.shown_ticks: dict[str, list[tuple[float, str]]] = {"bottom": [], "left": []}
        self.selection = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self.selection.setPen(pg.mkPen((230, 30, 30), width=2))
        self.selection.setVisible(False)
        self.plot.addItem(self.selection)
        self.hover = ElidedLabel("hover a cell")
        self.hover.setObjectName("hover")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.hover)
        self.graphics.scene().sigMouseMoved.connect(self._moved)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self.plot.vb.sigResized.connect(self._relayout)
        self.setMinimumSize(200, 200)
        self.apply_colours(self.colours)

    # ------------------------------------------------------------------ content ------------------
    def set_matrix(
        self,
        matrix: np.ndarray,
        rows: list[str],
        cols: list[str],
        measure: str,
        levels: tuple[float, float] | None = None,
    ) -> None:
        """Show ``matrix`` (rows x cols) of ``measure``, coloured on ``levels`` (default: its own
        finite range)."""
        self.matrix = np.asarray(matrix, float)
        self.rows, self.cols, self.measure = list(rows), list(cols), measure
        if levels is None:
            finite = self.matrix[np.isfinite(self.matrix)]
            levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if levels[0] == levels[1]:
                levels = (levels[0] - 0.5, levels[1] + 0.5)
        n_rows, n_cols = self.matrix.shape
        self._short_names()
        self.set_levels(levels, force=True)
        self.plot.setXRange(0, n_cols, padding=0)
        self.plot.setYRange(0, n_rows, padding=0)
        self.selection.setVisible(False)
        self.hover.setText(f"{measure}: {n_rows} x {n_cols} layers — hover a cell, click for details")
        self._update_title()
        self._relayout()

    def _short_names(self) -> None:
        """Tick labels without what all layer names share; the shared part goes into the axis
        title ("layers of B: model.layers.*.mlp")."""
        left, bottom = self.title.split(" vs ") if " vs " in self.title else ("rows", "columns")
        titles = []
        for names, side, attr in ((self.rows, left, "_row_labels"), (self.cols, bottom, "_col_labels")):
            prefix, suffix = common_affixes(names)
            setattr(self, attr, [n[len(prefix) : len(n) - len(suffix)] for n in names])
            titles.append(f"layers of {side}" + (f": {prefix}*{suffix}" if prefix or suffix else ""))
        self._full_titles = (titles[0], titles[1])
        self._set_axis_titles(*titles)

    def _set_axis_titles(self, left: str, bottom: str) -> None:
        if (left, bottom) != self._axis_titles:  # setLabel re-lays out the plot: only on a change
            self._axis_titles = (left, bottom)
            self.plot.setLabel("left", left)
            self.plot.setLabel("bottom", bottom)
            style_plot_item(self.plot, self.colours)

    def set_levels(self, levels: tuple[float, float], force: bool = False) -> None:
        """Colour the matrix on ``levels`` (low, high); the colour bar shows the same scale."""
        levels = (float(levels[0]), float(levels[1]))
        if levels == self.levels and not force:
            return
        self.levels = levels
        self.cells.set_cells(self.matrix, self.cmap, self.levels)
        self.bar.setLevels(self.levels)

    def set_mark(self, mark: str) -> None:
        """Mark the title: "" (current), "stale" (computed with other settings), "computing"
        (a partial result of a running job) or "previous" (the last complete result, kept
        after a job was cancelled or failed)."""
        if mark not in MARKS:
            raise ValueError(f"unknown heatmap mark {mark!r}")
        if mark != self.mark:
            self.mark = mark
            self._update_title()

    @property
    def stale(self) -> bool:
        return self.mark == "stale"

    def clear(self, text: str = "no data") -> None:
        """No matrix; ``text`` is shown under the plot (and as the title mark while computing)."""
        self.matrix = None
        self.rows, self.cols = [], []
        self.cells.set_cells(None, self.cmap, self.levels)
        self._ticks_set = None
        self.plot.getAxis("bottom").setTicks([[]])
        self.plot.getAxis("left").setTicks([[]])
        self.shown_ticks = {"bottom": [], "left": []}
        self.selection.setVisible(False)
        self.hover.setText(text)
        self._update_title()

    # ------------------------------------------------------------------ looks --------------------
    def apply_colours(self, colours: PlotColours) -> None:
        """Background, axes, title and colour bar in ``colours`` (the theme's)."""
        self.colours = colours
        self.graphics.setBackground(colours.background)
        style_plot_item(self.plot, colours)
        self.bar.axis.setPen(pg.mkPen(colours.foreground))
        self.bar.axis.setTextPen(pg.mkPen(colours.foreground))
        self._update_title()

    def set_mark_colours(self, colours: PlotColours) -> None:
        """Only the colours of the title's marks (after the shell re-coloured the rest)."""
        self.colours = colours
        self._update_title()

    def title_text(self) -> str:
        """The title as shown: panel name, measure and the mark."""
        text = f"{self.title} · {self.measure}" if self.measure and self.matrix is not None else self.title
        return f"{text} ({MARKS[self.mark]})" if self.mark else text

    def _update_title(self) -> None:
        c = self.colours
        colour = {"stale": c.alert, "previous": c.alert, "computing": c.muted}.get(self.mark, c.foreground)
        shown = (self.title_text(), colour.name())
        if shown != self._title_shown:  # setTitle re-lays out the plot: only on a change
            self._title_shown = shown
            set_title(self.plot, shown[0], colour)

    def _relayout(self, *_args) -> None:
        """Fit the tick labels to the current size: column labels shortened until each fits its
        cell, else shown on every k-th cell; row labels on every k-th row that keeps them apart."""
        if self.matrix is None:
            return
        rows, cols = self.matrix.shape
        vb = self.plot.vb.boundingRect()
        cell_w, cell_h = vb.width() / max(cols, 1), vb.height() / max(rows, 1)
        if cell_w <= 0 or cell_h <= 0:
            return
        font = self.bottom_axis.style.get("tickFont") or QFont()
        fm = QFontMetricsF(font)
        left, bottom = self._full_titles  # an axis title longer than its axis keeps only "layers of X"
        self._set_axis_titles(
            left if fm.horizontalAdvance(left) <= vb.height() else left.split(":")[0],
            bottom if fm.horizontalAdvance(bottom) <= vb.width() + 40 else bottom.split(":")[0],
        )
        kx, short_cols = fit_labels(self._col_labels, cell_w, fm.horizontalAdvance, gap_px=8, max_chars=TICK_CHARS)
        short_rows = [elide_middle(r, TICK_CHARS) for r in self._row_labels]
        ky = tick_step(rows, cell_h, fm.height() * 0.9, gap_px=3)
        self.shown_ticks = {
            "bottom": [(j + 0.5, short_cols[j]) for j in range(0, cols, kx)],
            "left": [(i + 0.5, short_rows[i]) for i in range(0, rows, ky)],
        }
        unlabelled_x = [(j + 0.5, "") for j in range(cols) if j % kx]
        unlabelled_y = [(i + 0.5, "") for i in range(rows) if i % ky]
        ticks = (self.shown_ticks["bottom"], unlabelled_x, self.shown_ticks["left"], unlabelled_y)
        if ticks != self._ticks_set:  # setTicks repaints the axes: only on a change
            self._ticks_set = ticks
            self.bottom_axis.setTicks([ticks[0], ticks[1]])
            self.left_axis.setTicks([ticks[2], ticks[3]])

    # ------------------------------------------------------------------ interaction --------------
    def _cell(self, scene_pos) -> tuple[int, int] | None:
        if self.matrix is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        i, j = int(np.floor(p.y())), int(np.floor(p.x()))
        if 0 <= i < self.matrix.shape[0] and 0 <= j < self.matrix.shape[1]:
            return i, j
        return None

    def hover_text(self, i: int, j: int) -> str:
        return f"{self.rows[i]} × {self.cols[j]}: {self.measure} = {self.matrix[i, j]:.4f}"

    def _moved(self, pos) -> None:
        cell = self._cell(pos)
        if cell is not None:
            self.hover.setText(self.hover_text(*cell))

    def _clicked(self, event) -> None:
        cell = self._cell(event.scenePos())
        if cell is not None:
            self.select(*cell)
            self.cell_clicked.emit(*cell)

    def select(self, i: int, j: int) -> None:
        self.selection.setRect(j, i, 1, 1)
        self.selection.setVisible(True)
        self.hover.setText(self.hover_text(i, j))

    def data(self) -> dict:
        """The matrix shown, its layer names, measure, colour scale and mark."""
        return {
            "matrix": self.matrix if self.matrix is not None else np.zeros((0, 0)),
            "rows": self.rows,
            "cols": self.cols,
            "measure": self.measure,
            "colour_scale": list(self.levels),
            "mark": MARKS[self.mark] or "current",
        }
