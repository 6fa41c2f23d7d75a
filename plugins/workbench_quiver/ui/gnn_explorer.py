"""Hidden-representation explorer: PCA scatter of a layer's graph embeddings, coloured by
family or by Vatne's D subtype, with the linear-probe accuracy; clicking a point opens that
quiver (thin view; embedding, PCA and probe run as a job)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.figures import FigureSource
from workbench_quiver.gnn.jobs import EmbedResult, EmbedSpec, run_embed

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
DATASETS = {"D7-D9 (Vatne types)": ("D7", "D8", "D9"), "D10": ("D10",),
            "A, D, A~, D~ on 8 vertices": ("A8", "D8", "A~7,1", "A~6,2", "A~5,3", "A~4,4", "D~7")}


class GnnExplorerWidget(QWidget):
    """PCA of graph embeddings; ``open_quiver(np.ndarray)`` is emitted with the B matrix of a
    clicked point.

    submit: the host panel's ``Panel.submit``; checkpoint: '' = shipped default.
    """

    open_quiver = Signal(object)

    def __init__(self, submit: Callable[..., Any], checkpoint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.submit = submit
        self.checkpoint = checkpoint
        self.result: EmbedResult | None = None
        self.data_path = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        form = QFormLayout()
        self.dataset = QComboBox()
        for name in DATASETS:
            self.dataset.addItem(name)
        self.dataset.addItem("File (.npz) ...")
        self.dataset.activated.connect(self._dataset_chosen)
        self.layer = QComboBox()
        for i in range(4):
            self.layer.addItem(f"after layer {i + 1}", i)
        self.layer.addItem("head (penultimate)", -1)
        self.layer.setCurrentIndex(4)
        self.colour = QComboBox()
        self.colour.addItem("Vatne type (D)", "vatne")
        self.colour.addItem("family", "type")
        self.colour.currentIndexChanged.connect(lambda _i: self._draw())
        form.addRow("Quivers", self.dataset)
        form.addRow("Embedding", self.layer)
        form.addRow("Colour by", self.colour)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.run_button = QPushButton("Compute")
        self.run_button.clicked.connect(self.compute)
        row.addWidget(self.run_button)
        self.info = QLabel("PCA of the classifier's graph embeddings; click a point to open its quiver.")
        self.info.setWordWrap(True)
        row.addWidget(self.info, 1)
        lay.addLayout(row)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(240, 200)
        self.plot.setLabel("bottom", "PC1")
        self.plot.setLabel("left", "PC2")
        self.legend = self.plot.addLegend(offset=(5, 5))
        lay.addWidget(self.plot, 1)
        self._items: list[pg.ScatterPlotItem] = []

    # ---- actions ---------------------------------------------------------------------------------
    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemText(index).startswith("File"):
            path, _ = QFileDialog.getOpenFileName(self, "Dataset", "", "GNN dataset (*.npz)")
            self.data_path = path or ""

    def spec(self) -> EmbedSpec:
        name = self.dataset.currentText()
        types = DATASETS.get(name, ("D7", "D8", "D9"))
        data = self.data_path if name.startswith("File") else ""
        return EmbedSpec(data=data, probe_types=types, layer=int(self.layer.currentData()),
                         colour=self.colour.currentData(), checkpoint=self.checkpoint)

    def compute(self) -> None:
        self.info.setText("Computing embeddings ...")
        self.submit(run_embed, self.spec(), title="GNN hidden representations", on_result=self.set_result,
                    on_error=lambda m, _tb="": self.info.setText(f"Failed: {m}"), key="gnn-embed")

    def set_result(self, res: EmbedResult) -> None:
        self.result = res
        txt = (f"{len(res.types)} quivers; PC1 {res.explained[0] * 100:.0f}%, "
               f"PC2 {res.explained[1] * 100:.0f}% of variance.")
        if res.probe is not None:
            txt += (f" Linear probe for Vatne types: <b>{res.probe.test_accuracy * 100:.1f}%</b> held-out accuracy "
                    f"({res.probe.n_test} quivers; the paper: 99.7%).")
        self.info.setText(txt)
        self._draw()

    def _labels(self) -> list[str]:
        r = self.result
        if r is None:
            return []
        if self.colour.currentData() == "vatne":
            return [f"D type {v}" if v else f"{f} (not D)" for v, f in zip(r.vatne, r.families, strict=True)]
        return list(r.families)

    def _draw(self) -> None:
        for it in self._items:
            self.plot.removeItem(it)
        self._items = []
        self.legend.clear()
        r = self.result
        if r is None:
            return
        labels = np.array(self._labels())
        for k, lab in enumerate(sorted(set(labels.tolist()))):
            idx = np.nonzero(labels == lab)[0]
            it = pg.ScatterPlotItem(x=r.coords[idx, 0], y=r.coords[idx, 1], data=idx, size=6, pen=None,
                                    brush=pg.mkBrush(PALETTE[k % len(PALETTE)] + "b0"), name=lab)
            it.sigClicked.connect(self._clicked)
            self.plot.addItem(it)
            self._items.append(it)

    def _clicked(self, _item, points, *_args) -> None:
        if self.result is None or not len(points):
            return
        i = int(points[0].data())
        self.open_point(i)

    def open_point(self, i: int) -> None:
        """Emit ``open_quiver`` with the B matrix of point ``i``."""
        if self.result is None:
            return
        b = self.result.dataset.b(i)
        self.info.setText(f"Opened point {i}: {self.result.types[i]}"
                          + (f", Vatne type {self.result.vatne[i]}" if self.result.vatne[i] else ""))
        self.open_quiver.emit(b)

    # ---- host services ------------------------------------------------------------------------
    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            r = self.result
            if r is None:
                return {}
            d = {"pc1": r.coords[:, 0], "pc2": r.coords[:, 1], "type": list(r.types), "family": list(r.families),
                 "vatne_type": list(r.vatne), "layer": r.layer}
            if r.probe is not None:
                d["probe_test_accuracy"] = r.probe.test_accuracy
            return d
        return [FigureSource("gnn_embedding_pca", widget=self.plot, data=data, title="GNN hidden representation (PCA)")]

    def state(self) -> dict[str, Any]:
        return {"dataset": self.dataset.currentText(), "layer": int(self.layer.currentData()),
                "colour": self.colour.currentData()}

    def restore(self, state: dict[str, Any]) -> None:
        layer = state.get("layer", -1)
        if not isinstance(layer, int) or not -1 <= layer <= 3:
            raise ValueError("gnn explorer state: layer must be -1..3")
        i = self.dataset.findText(str(state.get("dataset", "")))
        if i >= 0 and not self.dataset.itemText(i).startswith("File"):
            self.dataset.setCurrentIndex(i)
        self.layer.setCurrentIndex(self.layer.findData(layer))
        j = self.colour.findData(state.get("colour", "vatne"))
        if j >= 0:
            self.colour.setCurrentIndex(j)
