"""The dataset tab's metrics: the per-class confusion matrix (true C rows, predicted C columns,
counts written in the cells) and the accuracy by |C| as bars, of the predictions that colour the
browser.  Draws the plain dict of :func:`workbench_bundle.core.metrics.prediction_metrics`."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.theme import theme_plot


class MetricsView(QWidget):
    """Confusion matrix above the accuracy by |C|."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metrics: dict | None = None
        self.source = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel("Confusion matrix and accuracy by |C|: Predict or Train first.")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        row = QVBoxLayout()
        self.confusion_plot = pg.PlotWidget()
        self.confusion_plot.setLabel("bottom", "predicted C")
        self.confusion_plot.setLabel("left", "true C")
        self.confusion_plot.setMenuEnabled(False)
        self.confusion_plot.setMouseEnabled(False, False)
        self.image = pg.ImageItem()
        self.confusion_plot.addItem(self.image)
        self.texts: list[pg.TextItem] = []
        self.bars_plot = pg.PlotWidget()
        self.bars_plot.setLabel("bottom", "|C|")
        self.bars_plot.setLabel("left", "accuracy")
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.setMouseEnabled(False, False)
        self.bars_plot.setYRange(0, 1.05)
        self.bars = pg.BarGraphItem(x=[0, 1, 2], height=[0, 0, 0], width=0.6, brush=pg.mkBrush(70, 130, 200))
        self.bars_plot.addItem(self.bars)
        for plot in (self.confusion_plot, self.bars_plot):
            plot.setMinimumSize(160, 110)
            ticks = [[(k, str(k)) for k in range(-2, 3)]]
            plot.getAxis("bottom").setTicks(ticks if plot is self.confusion_plot else [[(k, str(k)) for k in range(3)]])
        self.confusion_plot.getAxis("left").setTicks([[(k, str(k)) for k in range(-2, 3)]])
        row.addWidget(self.confusion_plot, 3)
        row.addWidget(self.bars_plot, 2)
        lay.addLayout(row, 1)
        self.apply_theme()

    def apply_theme(self) -> None:
        for plot in (self.confusion_plot, self.bars_plot):
            theme_plot(plot)

    def show_metrics(self, metrics: dict | None, source: str = "") -> None:
        """Draw ``metrics`` (None: clear) of the predictions of ``source``."""
        self.metrics, self.source = metrics, source
        for t in self.texts:
            self.confusion_plot.removeItem(t)
        self.texts = []
        if not metrics:
            self.image.clear()
            self.bars.setOpts(height=[0, 0, 0])
            self.caption.setText("Confusion matrix and accuracy by |C|: Predict or Train first.")
            return
        conf = np.asarray(metrics["confusion"], dtype=float)
        rows = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
        # image axes: x = predicted, y = true (rows of the matrix), each cell 1 x 1 centred on C
        self.image.setImage(rows.T, levels=(0.0, 1.0), lut=_LUT)
        self.image.setRect(-2.5, -2.5, 5, 5)
        for i in range(5):
            for j in range(5):
                t = pg.TextItem(
                    str(int(conf[i, j])), anchor=(0.5, 0.5), color=(0, 0, 0) if rows[i, j] < 0.6 else (255, 255, 255)
                )
                t.setPos(j - 2, i - 2)
                self.confusion_plot.addItem(t)
                self.texts.append(t)
        self.confusion_plot.setRange(xRange=(-2.5, 2.5), yRange=(-2.5, 2.5), padding=0)
        acc = [metrics["accuracy_by_abs_c"].get(str(k), float("nan")) for k in range(3)]
        self.bars.setOpts(height=[0.0 if not np.isfinite(a) else a for a in acc])
        self.caption.setText(
            f"Predictions of {source}: accuracy {metrics['accuracy']:.3f}; by |C| = 0, 1, 2: "
            + ", ".join("n/a" if not np.isfinite(a) else f"{a:.3f}" for a in acc)
            + " (rows: true C, columns: predicted, shade: row fraction)"
        )


_LUT = np.stack([np.linspace(245, 20, 256), np.linspace(245, 60, 256), np.linspace(250, 140, 256)], axis=1).astype(
    np.ubyte
)
