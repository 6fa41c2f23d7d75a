"""Hidden-representation explorer: PCA scatter of a layer's graph embeddings, coloured by
family or by Vatne's D subtype, with the linear-probe accuracy; clicking a point opens that
quiver; the quiver on the canvas is drawn as a star where its own embedding projects onto
the same PCA plane (thin view; embedding, PCA and probe run as a job in a worker process,
the projection as a quick job; the settings live in
:class:`workbench_quiver.state.GnnSettings`).

The colour key sits beside the plot, outside the data; a running or failed computation says
so in its own status line and never replaces the shown embeddings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench import plaindata
from workbench.gui.binding import Binder
from workbench.gui.figures import FigureSource
from workbench.worker_process import in_worker_process
from workbench_quiver.gnn.jobs import EmbedResult, EmbedSpec, ProjectSpec, project_spec, run_embed, run_project
from workbench_quiver.state import GnnSettings

#: the embedding job: run_embed in a worker process (it enumerates classes in Python)
EMBED_JOB = in_worker_process(run_embed)
CURRENT = "#e12d39"

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
    #: (PC1, PC2) of the quiver on the canvas and its ProjectSpec (the host keeps both)
    projected = Signal(object, object)

    def __init__(
        self,
        submit: Callable[..., Any],
        settings: GnnSettings,
        binder: Binder,
        parent: QWidget | None = None,
        current_b: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.submit = submit
        self.settings = settings
        #: the quiver to mark in the plane (None: no marker)
        self.current_b = current_b
        #: (PC1, PC2) of the current quiver, and the spec it was projected with
        self.current_xy: tuple[float, float] | None = None
        self._project_spec: ProjectSpec | None = None
        self.handle: Any = None
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
        self.status = QLabel("")
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        lay.addLayout(row)
        self.info = QLabel(INTRO)
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(240, 200)
        self.plot.setLabel("bottom", "PC1")
        self.plot.setLabel("left", "PC2")
        # the colour key beside the view box, in the plot's own layout: it never covers points
        plot_item = self.plot.getPlotItem()
        self.legend = pg.LegendItem()
        plot_item.layout.addItem(self.legend, 2, 3)
        plot_item.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        lay.addWidget(self.plot, 1)
        self._items: list[pg.ScatterPlotItem] = []
        self._marker: pg.ScatterPlotItem | None = None
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
        self.status.setText("Computing embeddings\u2026")
        self.run_button.setEnabled(False)
        handle = self.submit(
            EMBED_JOB,
            spec,
            title="GNN hidden representations",
            on_result=lambda res: self._computed(res, spec, handle),
            on_progress=lambda f, m: self._progressed(f, m, handle),
            on_error=lambda m, _tb="": self._ended(handle, f"failed: {m}"),
            key="gnn-embed",
        )
        handle.cancelled.connect(lambda: self._ended(handle, "cancelled"))
        self.handle = handle

    def _progressed(self, fraction: float, message: str, handle: Any) -> None:
        if handle is self.handle and not handle.is_done:
            self.status.setText(f"Computing embeddings: {message} ({fraction * 100:.0f}%)")

    def _ended(self, handle: Any, how: str) -> None:
        """A computation failed or was cancelled: said in the status line; the shown
        embeddings stay (they are still the last complete ones)."""
        if handle is not self.handle:
            return
        self.run_button.setEnabled(True)
        self.status.setText(
            f"Computation {how}" + (" (the last complete embeddings stay shown)." if self.result is not None else ".")
        )

    def _computed(self, res: EmbedResult, spec: EmbedSpec, handle: Any = None) -> None:
        if handle is not None and handle is not self.handle:
            return
        self.run_button.setEnabled(True)
        self.status.setText(f"Computed in {res.seconds:.1f} s.")
        self.show_result(res, spec)
        self.embedded.emit(res, spec)

    # ---- the current quiver in the plane ---------------------------------------------------
    def project_current(self) -> None:
        """Mark the current quiver where its embedding projects (a quick job); no marker when
        there are no embeddings, no quiver, or the embeddings have no PCA axes."""
        b = self.current_b() if self.current_b is not None else None
        spec = None
        if self.result is not None and b is not None and np.asarray(b).size and np.asarray(b).shape[1]:
            spec = project_spec(b, self.result, self.result_spec.checkpoint if self.result_spec else "")
        if spec is None:
            self._project_spec, self.current_xy = None, None
            self._draw_marker()
            return
        if spec == self._project_spec:
            return
        self._project_spec = spec
        self.current_xy = None
        self._draw_marker()
        self.submit(
            run_project,
            spec,
            title="GNN: project the quiver on the PCA",
            quiet=True,
            lane="live",
            key="gnn-project",
            on_result=lambda xy: self._projected(xy, spec),
            on_error=lambda m, _tb="": self.status.setText(f"The quiver could not be placed: {m}"),
        )

    def _projected(self, xy: tuple[float, float], spec: ProjectSpec) -> None:
        if spec == self._project_spec:
            self.show_projection(xy, spec)
            self.projected.emit(self.current_xy, spec)

    def show_projection(self, xy: tuple[float, float], spec: ProjectSpec) -> None:
        """Mark the quiver at ``xy``, its projection by ``spec`` (also one kept in a session)."""
        self._project_spec = spec
        self.current_xy = (float(xy[0]), float(xy[1]))
        self._draw_marker()

    def _draw_marker(self) -> None:
        if self._marker is not None:
            self.plot.removeItem(self._marker)
            self.legend.removeItem(self._marker)
            self._marker = None
        if self.current_xy is None or self.result is None:
            self._fit_legend()
            return
        x, y = self.current_xy
        self._marker = pg.ScatterPlotItem(
            x=[x],
            y=[y],
            symbol="star",
            size=18,
            pen=pg.mkPen("k", width=1),
            brush=pg.mkBrush(CURRENT),
            name="the quiver on the canvas",
        )
        self._marker.setZValue(10)
        self.plot.addItem(self._marker)
        self.legend.addItem(self._marker, "the quiver on the canvas")
        self._fit_legend()

    def _fit_legend(self) -> None:
        """The colour key exactly as large as its entries (in the plot's layout it would else
        stretch over the whole height)."""
        lay = self.legend.layout
        w, h = lay.preferredWidth(), lay.preferredHeight()
        self.legend.setMinimumSize(w, h)
        self.legend.setMaximumSize(w, h)

    def show_result(self, res: EmbedResult, spec: EmbedSpec, project: bool = True) -> None:
        """Draw ``res``, the embeddings of ``spec`` (also ones restored from a session);
        ``project``: place the current quiver in the plane (a quick job) now."""
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
        self._project_spec, self.current_xy = None, None
        self._draw()
        if project:
            self.project_current()

    def clear(self) -> None:
        """No embeddings (a session without them)."""
        self.result = self.result_spec = None
        self._text = INTRO
        self.update_stale()
        self._draw()
        self.project_current()

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
            self._draw_marker()
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
            self.legend.addItem(it, lab)
            self._items.append(it)
        self._draw_marker()

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
    def context(self) -> dict[str, Any]:
        """What the shown embeddings are of: the quivers, the layer, colouring, points, seed."""
        r, spec = self.result, self.result_spec
        if r is None or spec is None:
            return {}
        data = spec.data or ", ".join(spec.probe_types)
        layer = "head (penultimate)" if spec.layer < 0 else f"after layer {spec.layer + 1}"
        return {
            "quivers": data,
            "embedding_layer": layer,
            "colour_by": spec.colour,
            "n_points": len(r.types),
            "max_points": spec.max_points,
            "explorer_seed": spec.seed,
            "checkpoint": spec.checkpoint or "shipped default",
            "stale": self.stale,
        }

    def figure_title(self) -> str:
        c = self.context()
        if not c:
            return "GNN hidden representation (PCA; not computed)"
        title = (
            f"GNN hidden representation (PCA) of {c['n_points']} quivers ({c['quivers']}), "
            f"embedding {c['embedding_layer']}, coloured by {c['colour_by']}"
        )
        return title + (f" [{self.stale}]" if self.stale else "")

    def figures(self) -> list[FigureSource]:
        def data() -> dict[str, Any]:
            r = self.result
            if r is None:
                return {}
            d = {
                **self.context(),
                "pc1": r.coords[:, 0],
                "pc2": r.coords[:, 1],
                "type": list(r.types),
                "family": list(r.families),
                "vatne_type": list(r.vatne),
                "layer": r.layer,
            }
            if r.probe is not None:
                d["probe_test_accuracy"] = r.probe.test_accuracy
            if self.current_xy is not None:
                d["current_quiver_pc1"], d["current_quiver_pc2"] = self.current_xy
            return d

        return [FigureSource("gnn_embedding_pca", widget=self.plot, data=data, title=self.figure_title())]
