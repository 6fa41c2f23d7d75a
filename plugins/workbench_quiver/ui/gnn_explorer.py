"""Hidden-representation explorer: PCA scatter of a layer's graph embeddings, coloured by
family or by Vatne's D subtype, with the linear-probe accuracy; clicking a point opens that
quiver (thin view; embedding, PCA and probe run as a job; the settings live in
:class:`workbench_quiver.state.GnnSettings`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
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
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench import plaindata
from workbench.gui.binding import Binder
from workbench.gui.figures import FigureSource
from workbench_quiver.gnn.jobs import EmbedResult, EmbedSpec, run_embed
from workbench_quiver.state import GnnSettings

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
INTRO = "PCA of the classifier's graph embeddings; click a point to open its quiver."
#: the status of embeddings computed with other settings than the current ones
STALE = "stale: the explorer settings changed since these embeddings were computed (Compute again)"


class GnnExplorerWidget(QWidget):
    """PCA of graph embeddings; ``open_quiver(np.ndarray)`` is emitted with the B matrix of a
    clicked point, ``embedded(result, spec)`` with computed embeddings (the host keeps them).

    submit: the host panel's ``Panel.submit``; settings: the host's
    :class:`~workbench_quiver.state.GnnSettings` (quivers, layer, colour, points, seed,
    checkpoint), whose fields the controls are bound to with ``binder``.  Embeddings whose
    spec differs from the one the settings build now are marked stale (the colouring is a
    view setting: changing it only redraws).
    """

    open_quiver = Signal(object)
    embedded = Signal(object, object)

    def __init__(
        self, submit: Callable[..., Any], settings: GnnSettings, binder: Binder, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.submit = submit
        self.settings = settings
        self.result: EmbedResult | None = None
        self.result_spec: EmbedSpec | None = None
        #: why the shown embeddings are stale ("" when they are not, or when there are none)
        self.stale = ""
        self._text = INTRO
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(self._build_form(binder))
        row = QHBoxLayout()
        self.run_button = QPushButton("Compute")
        self.run_button.clicked.connect(self.compute)
        row.addWidget(self.run_button)
        self.info = QLabel(INTRO)
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
        settings.add_callback("explorer_colour", lambda _new, _old: self._draw())
        for name in (
            "explorer_data",
            "explorer_file",
            "explorer_layer",
            "explorer_points",
            "explorer_seed",
            "checkpoint",
        ):
            settings.add_callback(name, lambda _new, _old: self.update_stale())

    def _build_form(self, binder: Binder) -> QFormLayout:
        st = self.settings
        self.dataset = QComboBox()
        binder.bind(st, "explorer_data", self.dataset)
        self.dataset.activated.connect(self._dataset_chosen)
        self.layer = binder.bind(st, "explorer_layer", QComboBox())
        self.colour = binder.bind(st, "explorer_colour", QComboBox())
        self.points = binder.bind(st, "explorer_points", QSpinBox())
        self.seed = binder.bind(st, "explorer_seed", QSpinBox())
        form = QFormLayout()
        for name, widget in (
            ("explorer_data", self.dataset),
            ("explorer_layer", self.layer),
            ("explorer_colour", self.colour),
            ("explorer_points", self.points),
            ("explorer_seed", self.seed),
        ):
            form.addRow(st.field(name).label, widget)
        return form

    # ---- actions ---------------------------------------------------------------------------------
    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemData(index) == "file":
            path, _ = QFileDialog.getOpenFileName(self, "Dataset", self.settings.explorer_file, "GNN dataset (*.npz)")
            if path:
                self.settings.explorer_file = path

    def spec(self) -> EmbedSpec:
        """The embedding the settings describe (``ValueError`` with a message if none)."""
        return self.settings.embed_spec()

    def compute(self) -> None:
        try:
            spec = self.spec()
        except ValueError as exc:
            self.info.setText(str(exc))
            return
        self.info.setText("Computing embeddings ...")
        self.submit(
            run_embed,
            spec,
            title="GNN hidden representations",
            on_result=lambda res: self._computed(res, spec),
            on_error=lambda m, _tb="": self.info.setText(f"Failed: {m}"),
            key="gnn-embed",
        )

    def _computed(self, res: EmbedResult, spec: EmbedSpec) -> None:
        self.show_result(res, spec)
        self.embedded.emit(res, spec)

    def show_result(self, res: EmbedResult, spec: EmbedSpec) -> None:
        """Draw ``res``, the embeddings of ``spec`` (also ones restored from a session)."""
        self.result, self.result_spec = res, spec
        txt = (
            f"{len(res.types)} quivers; PC1 {res.explained[0] * 100:.0f}%, "
            f"PC2 {res.explained[1] * 100:.0f}% of variance."
        )
        if res.probe is not None:
            txt += (
                f" Linear probe for Vatne types: <b>{res.probe.test_accuracy * 100:.1f}%</b> held-out accuracy "
                f"({res.probe.n_test} quivers; the paper: 99.7%)."
            )
        self._text = txt
        self.update_stale()
        self._draw()

    def clear(self) -> None:
        """No embeddings (a session without them)."""
        self.result = self.result_spec = None
        self._text = INTRO
        self.update_stale()
        self._draw()

    def stale_reason(self) -> str:
        """Why the shown embeddings no longer match the settings ('' if they do)."""
        if self.result is None or self.result_spec is None:
            return ""
        try:
            now = replace(self.spec(), colour=self.result_spec.colour)
        except ValueError:
            return STALE
        return "" if plaindata.same(now, self.result_spec) else STALE

    def update_stale(self) -> None:
        self.stale = self.stale_reason()
        self.info.setText((f"<b>{self.stale}</b><br>" if self.stale else "") + self._text)

    def _labels(self) -> list[str]:
        r = self.result
        if r is None:
            return []
        if self.settings.explorer_colour == "vatne":
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
            it = pg.ScatterPlotItem(
                x=r.coords[idx, 0],
                y=r.coords[idx, 1],
                data=idx,
                size=6,
                pen=None,
                brush=pg.mkBrush(PALETTE[k % len(PALETTE)] + "b0"),
                name=lab,
            )
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
        self.info.setText(
            f"Opened point {i}: {self.result.types[i]}"
            + (f", Vatne type {self.result.vatne[i]}" if self.result.vatne[i] else "")
        )
        self.open_quiver.emit(b)

    # ---- host services ------------------------------------------------------------------------
    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            r = self.result
            if r is None:
                return {}
            d = {
                "pc1": r.coords[:, 0],
                "pc2": r.coords[:, 1],
                "type": list(r.types),
                "family": list(r.families),
                "vatne_type": list(r.vatne),
                "layer": r.layer,
            }
            if r.probe is not None:
                d["probe_test_accuracy"] = r.probe.test_accuracy
            return d

        return [FigureSource("gnn_embedding_pca", widget=self.plot, data=data, title="GNN hidden representation (PCA)")]
