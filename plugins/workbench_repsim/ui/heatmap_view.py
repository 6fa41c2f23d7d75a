"""A pyqtgraph heatmap with layer-name ticks, a colour bar, hover read-out and cell clicks."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


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
        self.stale = False
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(title=title)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.selection = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self.selection.setPen(pg.mkPen("r", width=2))
        self.selection.setVisible(False)
        self.plot.addItem(self.selection)
        self.hover = QLabel("hover a cell")
        self.hover.setObjectName("hover")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.hover)
        self.graphics.scene().sigMouseMoved.connect(self._moved)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self.setMinimumSize(220, 220)

    def set_matrix(self, matrix: np.ndarray, rows: list[str], cols: list[str], measure: str,
                   levels: tuple[float, float] | None = None) -> None:
        self.matrix = np.asarray(matrix, float)
        self.rows, self.cols, self.measure = list(rows), list(cols), measure
        finite = self.matrix[np.isfinite(self.matrix)]
        if levels is None:
            levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if levels[0] == levels[1]:
                levels = (levels[0] - 0.5, levels[1] + 0.5)
        self.image.setImage(self.matrix, levels=levels)
        self.image.setRect(0, 0, len(cols), len(rows))
        self.bar.setLevels(levels)
        self.plot.getAxis("bottom").setTicks([[(j + 0.5, c) for j, c in enumerate(cols)]])
        self.plot.getAxis("left").setTicks([[(i + 0.5, r) for i, r in enumerate(rows)]])
        if " vs " in self.title:
            self.plot.setLabel("bottom", f"layers of {self.title.split(' vs ')[-1]}")
            self.plot.setLabel("left", f"layers of {self.title.split(' vs ')[0]}")
        self.plot.setXRange(0, len(cols), padding=0)
        self.plot.setYRange(0, len(rows), padding=0)
        self.selection.setVisible(False)
        self.hover.setText(f"{measure}: {len(rows)} x {len(cols)} layers — hover a cell, click for details")

    def set_stale(self, stale: bool) -> None:
        """Mark the plot title when the matrix shown was computed with other settings."""
        if stale != self.stale:
            self.stale = stale
            self.plot.setTitle(f"{self.title} (stale)" if stale else self.title, color="#c0392b" if stale else None)

    def clear(self) -> None:
        self.matrix = None
        self.image.clear()
        self.selection.setVisible(False)
        self.hover.setText("no data")

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
        return {"matrix": self.matrix if self.matrix is not None else np.zeros((0, 0)), "rows": self.rows,
                "cols": self.cols, "measure": self.measure}
