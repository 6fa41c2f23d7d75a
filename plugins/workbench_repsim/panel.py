"""The Representation similarity panel: a thin Qt view over :mod:`workbench_repsim.jobs`.

Choose model A and B (zoo or a local model / .npz), the data, pooling and measure; the
A-vs-A, A-vs-B and B-vs-B heatmaps are drawn side by side; clicking a cell opens its
details.  Stitching, linear mode connectivity and the rotation test have their own tabs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.figures import FigureSource
from workbench.gui.panel import Panel

from .core.measure_names import MEASURE_NAMES
from .core.zoo import DEFAULT_A, DEFAULT_B, ZOO
from .jobs import (
    CellSpec,
    HeatmapSpec,
    LMCSpec,
    RotationSpec,
    StitchSpec,
    run_cell,
    run_heatmap,
    run_lmc,
    run_rotation,
    run_stitching,
)
from .ui.detail_view import CellDetailView
from .ui.heatmap_view import HeatmapView

POOLINGS = ("mean", "last", "first", "tokens")
STATE_VERSION = 1


def _widget_painter(widget: QWidget):
    """``paint(painter, rect)`` drawing a plain widget (and its children) scaled into ``rect``."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QRegion

    def paint(painter, rect) -> None:
        size = widget.size()
        painter.save()
        painter.translate(rect.topLeft())
        painter.scale(rect.width() / max(size.width(), 1), rect.height() / max(size.height(), 1))
        widget.render(painter, QPoint(0, 0), QRegion(), QWidget.RenderFlag.DrawChildren)
        painter.restore()

    return paint



def _short(model: str) -> str:
    """A model's name for a table cell: a zoo name as is, a local folder or file by its last part."""
    return Path(model).name if ("/" in model or "\\" in model) else model

class RepSimPanel(Panel):
    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "repsim")
        self.result = None          # HeatmapResult
        self.stitch_rows: list[dict] = []
        self.lmc = None
        self.rotation = None
        self.selected: tuple[str, int, int] | None = None
        self._build()

    # ------------------------------------------------------------------ layout --------------
    def _model_combo(self) -> QComboBox:
        c = QComboBox()
        c.setEditable(True)
        c.addItems(list(ZOO))
        c.setMinimumContentsLength(18)
        c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        return c

    def _build(self) -> None:
        self.model_a = self._model_combo()
        self.model_b = self._model_combo()
        self.model_a.setCurrentText(DEFAULT_A)
        self.model_b.setCurrentText(DEFAULT_B)
        self.data = QComboBox()
        self.data.setEditable(True)
        self.data.addItem("default")
        self.pooling = QComboBox()
        self.pooling.addItems(POOLINGS)
        self.measure = QComboBox()
        self.measure.addItems(MEASURE_NAMES)
        self.max_samples = QSpinBox()
        self.max_samples.setRange(10, 100000)
        self.max_samples.setValue(500)
        self.minibatch = QSpinBox()
        self.minibatch.setRange(0, 100000)
        self.minibatch.setSpecialValueText("off")
        self.minibatch.setToolTip("stream minibatch linear CKA (Nguyen et al. 2021) over batches of this many inputs; "
                                  "activations are never held in full (cell details need it off)")
        self.compute_btn = QPushButton("Compute heatmaps")
        self.compute_btn.setToolTip("Ctrl+Return")
        self.cancel_btn = QPushButton("Cancel")
        self.status = QLabel("")
        self.status.setObjectName("status")
        browse_a = QPushButton("…")
        browse_b = QPushButton("…")
        browse_text = QPushButton("Text file…")
        browse_img = QPushButton("Image folder…")
        for b in (browse_a, browse_b):
            b.setMaximumWidth(28)
            b.setToolTip("choose a local model folder, .safetensors or .npz of layer activations")
        browse_a.clicked.connect(lambda: self._browse_model(self.model_a))
        browse_b.clicked.connect(lambda: self._browse_model(self.model_b))
        browse_text.clicked.connect(self._browse_text)
        browse_img.clicked.connect(self._browse_images)

        box = QGroupBox("Compare")
        grid = QGridLayout(box)
        grid.addWidget(QLabel("Model A"), 0, 0)
        grid.addWidget(self.model_a, 0, 1)
        grid.addWidget(browse_a, 0, 2)
        grid.addWidget(QLabel("Model B"), 0, 3)
        grid.addWidget(self.model_b, 0, 4)
        grid.addWidget(browse_b, 0, 5)
        grid.addWidget(QLabel("Data"), 1, 0)
        grid.addWidget(self.data, 1, 1)
        dl = QHBoxLayout()
        dl.addWidget(browse_text)
        dl.addWidget(browse_img)
        grid.addLayout(dl, 1, 3, 1, 3)
        grid.addWidget(QLabel("Pooling"), 2, 0)
        grid.addWidget(self.pooling, 2, 1)
        grid.addWidget(QLabel("Measure"), 2, 3)
        grid.addWidget(self.measure, 2, 4)
        grid.addWidget(QLabel("Samples"), 3, 0)
        sl0 = QHBoxLayout()
        sl0.addWidget(self.max_samples, 1)
        sl0.addWidget(QLabel("minibatch"))
        sl0.addWidget(self.minibatch, 1)
        grid.addLayout(sl0, 3, 1)
        bl = QHBoxLayout()
        bl.addWidget(self.compute_btn)
        bl.addWidget(self.cancel_btn)
        grid.addLayout(bl, 3, 3, 1, 3)
        grid.addWidget(self.status, 4, 0, 1, 6)

        self.views = {"AA": HeatmapView("A vs A"), "AB": HeatmapView("A vs B"), "BB": HeatmapView("B vs B")}
        maps = QWidget()
        ml = QHBoxLayout(maps)
        ml.setContentsMargins(0, 0, 0, 0)
        for key, v in self.views.items():
            ml.addWidget(v)
            v.cellClicked.connect(lambda i, j, k=key: self._cell_clicked(k, i, j))
        self.details = CellDetailView()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(maps)
        split.addWidget(self.details)
        split.setSizes([420, 260])

        # stitching tab
        self.stitch_table = QTableWidget(0, 7)
        self.stitch_table.setHorizontalHeaderLabels(["from", "to", "stitched loss", "stitched acc.", "receiver loss",
                                                     "penalty", "LS-init loss"])
        self.stitch_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.stitch_steps = QSpinBox()
        self.stitch_steps.setRange(10, 5000)
        self.stitch_steps.setValue(150)
        self.stitch_btn = QPushButton("Stitch A ↔ B")
        self.stitch_btn.clicked.connect(self.run_stitching)
        st = QWidget()
        sl = QVBoxLayout(st)
        row = QHBoxLayout()
        row.addWidget(QLabel("training steps"))
        row.addWidget(self.stitch_steps)
        row.addWidget(self.stitch_btn)
        row.addStretch(1)
        sl.addLayout(row)
        sl.addWidget(QLabel("Affine stitching layer from a point of one model into the same-depth point of the other, "
                            "trained on the task with both models frozen; penalty = stitched loss − receiver's own loss (nats)."))
        sl.addWidget(self.stitch_table)

        # LMC + rotation tab
        self.lmc_plot = pg.PlotWidget(title="linear mode connectivity")
        self.lmc_plot.setBackground("w")
        self.lmc_plot.setLabel("bottom", "α  (θ = (1−α) θ_A + α θ_B)")
        self.lmc_plot.setLabel("left", "test loss (nats)")
        self.lmc_plot.addLegend(offset=(5, 5))
        self.lmc_align = QCheckBox("permutation-align B to A")
        self.lmc_align.setChecked(True)
        self.lmc_btn = QPushButton("Interpolate A → B")
        self.lmc_btn.clicked.connect(self.run_lmc)
        self.lmc_label = QLabel("")
        self.rot_layer = QSpinBox()
        self.rot_layer.setRange(1, 2)
        self.rot_btn = QPushButton("Rotation test on A")
        self.rot_btn.clicked.connect(self.run_rotation)
        self.rot_label = QLabel("Insert a random rotation after a hidden layer of A (a digit MLP), retrain what follows.")
        self.rot_label.setWordWrap(True)
        self.rot_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lt = QWidget()
        ll = QVBoxLayout(lt)
        row = QHBoxLayout()
        row.addWidget(self.lmc_align)
        row.addWidget(self.lmc_btn)
        row.addWidget(self.lmc_label, 1)
        ll.addLayout(row)
        ll.addWidget(self.lmc_plot, 1)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("after hidden layer"))
        row2.addWidget(self.rot_layer)
        row2.addWidget(self.rot_btn)
        row2.addStretch(1)
        ll.addLayout(row2)
        ll.addWidget(self.rot_label)

        self.tabs = QTabWidget()
        self.tabs.addTab(split, "Heatmaps")
        self.tabs.addTab(st, "Stitching")
        self.tabs.addTab(lt, "Mode connectivity && rotation")

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(box)
        lay.addWidget(self.tabs, 1)
        self.compute_btn.clicked.connect(self.compute)
        self.cancel_btn.clicked.connect(self.cancel_jobs)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.compute)
        self.setMinimumSize(420, 360)

    # ------------------------------------------------------------------ actions -------------
    def _browse_model(self, combo: QComboBox) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Model or activations", "", "Models and activations (*.safetensors *.npz config.json)")
        if path:
            if Path(path).name == "config.json":
                path = str(Path(path).parent)
            combo.setCurrentText(path)

    def _browse_text(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Text file", "", "Text (*.txt *.md *.*)")
        if path:
            self.data.setCurrentText(path)

    def _browse_images(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Image folder")
        if path:
            self.data.setCurrentText(path)

    def heatmap_spec(self) -> HeatmapSpec:
        b = self.model_b.currentText().strip()
        return HeatmapSpec(model_a=self.model_a.currentText().strip(), model_b=b, data=self.data.currentText().strip() or "default",
                           pooling=self.pooling.currentText(), measure=self.measure.currentText(),
                           max_samples=self.max_samples.value(), panels=("AA", "AB", "BB") if b else ("AA",),
                           minibatch=self.minibatch.value())

    def start(self) -> None:
        self.compute()

    def compute(self) -> None:
        spec = self.heatmap_spec()
        self.status.setText(f"computing {spec.measure} heatmaps …")
        self.submit(run_heatmap, spec, title="Similarity heatmaps", key="heatmap", on_result=self._heatmaps_done,
                    on_partial=self._heatmap_partial, on_progress=lambda f, m: self.status.setText(f"{100 * f:.0f}% {m}"),
                    on_error=self._failed)

    def _failed(self, message: str, _tb: str = "") -> None:
        self.status.setText(f"error: {message}")
        self.shell.show_error("Representation similarity", message)

    def _heatmap_partial(self, part) -> None:
        key, m, rows, cols = part
        self.views[key].set_matrix(m, rows, cols, self.measure.currentText())

    def _heatmaps_done(self, res) -> None:
        self.result = res
        for key, v in self.views.items():
            if key in res.matrices:
                rows = res.names_a if key[0] == "A" else res.names_b
                cols = res.names_a if key[1] == "A" else res.names_b
                v.set_matrix(res.matrices[key], rows, cols, res.measure)
            else:
                v.clear()
        self.status.setText(f"{res.measure}: n = {res.n} inputs, {len(res.names_a)} layers in A, "
                            f"{len(res.names_b)} in B ({res.form} form)")
        if self.selected and self.selected[0] in res.matrices:
            k, i, j = self.selected
            if i < res.matrices[k].shape[0] and j < res.matrices[k].shape[1]:
                self._cell_clicked(k, i, j)

    def _cell_clicked(self, key: str, i: int, j: int) -> None:
        res = self.result
        if res is None or key not in res.matrices:
            return
        self.selected = (key, i, j)
        self.views[key].select(i, j)
        if not res.acts_a:
            self.details.clear()
            self.details.values.setText("cell details need the activations in memory: set minibatch to off")
            return
        xs = res.acts_a if key[0] == "A" else res.acts_b
        ys = res.acts_a if key[1] == "A" else res.acts_b
        nx = res.names_a if key[0] == "A" else res.names_b
        ny = res.names_a if key[1] == "A" else res.names_b
        spec = CellSpec(xs[i], ys[j], f"{key[0]}:{nx[i]}", f"{key[1]}:{ny[j]}")
        self.submit(run_cell, spec, title="Cell details", key="cell", on_result=self.details.show_result, quiet=True)

    def run_stitching(self) -> None:
        spec = StitchSpec(self.model_a.currentText().strip(), self.model_b.currentText().strip(), steps=self.stitch_steps.value(),
                          data=self.data.currentText().strip() or "default")
        self.submit(run_stitching, spec, title="Model stitching", key="stitch", on_result=self._stitch_done, on_error=self._failed)

    def _stitch_done(self, table) -> None:
        self.stitch_rows = table.rows
        self.stitch_table.setRowCount(len(table.rows))
        for r, row in enumerate(table.rows):
            cells = [f"{_short(row['sender'])}:{row['point_from']}", f"{_short(row['receiver'])}:{row['point_to']}", f"{row['loss']:.4f}",
                     f"{row['accuracy']:.3f}", f"{row['receiver_loss']:.4f}", f"{row['penalty']:+.4f}", f"{row['ls_loss']:.4f}"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.stitch_table.setItem(r, c, item)

    def run_lmc(self) -> None:
        spec = LMCSpec(self.model_a.currentText().strip(), self.model_b.currentText().strip(), align=self.lmc_align.isChecked(),
                       data=self.data.currentText().strip() or "default")
        self.submit(run_lmc, spec, title="Linear mode connectivity", key="lmc", on_result=self._lmc_done, on_error=self._failed)

    def _lmc_done(self, res) -> None:
        self.lmc = res
        self.lmc_plot.clear()
        self.lmc_plot.setLabel("left", res.metric)
        self.lmc_plot.plot(res.alphas, res.loss, pen=pg.mkPen((214, 39, 40), width=2), symbol="o",
                          symbolBrush=pg.mkBrush(214, 39, 40), name="plain")
        text = f"barrier {res.barrier:.3f} nats"
        if res.loss_aligned is not None:
            self.lmc_plot.plot(res.alphas, res.loss_aligned, pen=pg.mkPen((31, 119, 180), width=2), symbol="s",
                              symbolBrush=pg.mkBrush(31, 119, 180), name="aligned")
            text += f"; after alignment {res.barrier_aligned:.3f} nats"
        self.lmc_label.setText(text)

    def run_rotation(self) -> None:
        spec = RotationSpec(self.model_a.currentText().strip(), self.rot_layer.value())
        self.submit(run_rotation, spec, title="Rotation test", key="rotation", on_result=self._rotation_done, on_error=self._failed)

    def _rotation_done(self, r) -> None:
        self.rotation = r
        self.rot_label.setText(
            f"rotation after h{r.layer}: accuracy {r.acc_original:.3f} → {r.acc_rotated:.3f} (rotated) → "
            f"{r.acc_retrained:.3f} (retrained; control {r.acc_control:.3f}).  Undo error ‖W'R − W‖/‖W‖ = {r.undo_error:.2f} "
            f"(control {r.undo_error_control:.2f}).  Next layer vs original: basis correlation {r.basis_corr:.3f} "
            f"(control {r.basis_corr_control:.3f}), CKA {r.cka:.3f} (control {r.cka_control:.3f}).")

    # ------------------------------------------------------------------ sessions ------------
    def state(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "model_a": self.model_a.currentText(), "model_b": self.model_b.currentText(),
                "data": self.data.currentText(), "pooling": self.pooling.currentText(),
                "measure": self.measure.currentText(), "max_samples": self.max_samples.value(),
                "minibatch": self.minibatch.value(),
                "tab": self.tabs.currentIndex(), "selected": list(self.selected) if self.selected else None,
                "stitch_steps": self.stitch_steps.value(), "lmc_align": self.lmc_align.isChecked()}

    def validate_state(self, state: dict[str, Any]) -> None:
        super().validate_state(state)
        if state.get("version", STATE_VERSION) != STATE_VERSION:
            raise ValueError(f"repsim: unknown state version {state.get('version')!r}")
        for key in ("model_a", "model_b", "data"):
            if key in state and not isinstance(state[key], str):
                raise ValueError(f"repsim: {key} must be a string")
        if state.get("pooling", "mean") not in POOLINGS:
            raise ValueError(f"repsim: pooling must be one of {POOLINGS}")
        if state.get("measure", "cka") not in MEASURE_NAMES:
            raise ValueError(f"repsim: unknown measure {state.get('measure')!r}")
        ms = state.get("max_samples", 500)
        if not isinstance(ms, int) or not 10 <= ms <= 100000:
            raise ValueError("repsim: max_samples must be an integer in [10, 100000]")
        mb = state.get("minibatch", 0)
        if not isinstance(mb, int) or not 0 <= mb <= 100000:
            raise ValueError("repsim: minibatch must be an integer in [0, 100000]")
        sel = state.get("selected")
        if sel is not None and (not isinstance(sel, list) or len(sel) != 3 or sel[0] not in ("AA", "AB", "BB")
                                or not all(isinstance(v, int) for v in sel[1:])):
            raise ValueError("repsim: selected must be [\"AA\"|\"AB\"|\"BB\", row, col]")

    def restore(self, state: dict[str, Any]) -> None:
        self.validate_state(state)
        self.model_a.setCurrentText(state.get("model_a", DEFAULT_A))
        self.model_b.setCurrentText(state.get("model_b", DEFAULT_B))
        self.data.setCurrentText(state.get("data", "default"))
        self.pooling.setCurrentText(state.get("pooling", "mean"))
        self.measure.setCurrentText(state.get("measure", "cka"))
        self.max_samples.setValue(state.get("max_samples", 500))
        self.minibatch.setValue(state.get("minibatch", 0))
        self.tabs.setCurrentIndex(int(state.get("tab", 0)))
        self.stitch_steps.setValue(int(state.get("stitch_steps", 150)))
        self.lmc_align.setChecked(bool(state.get("lmc_align", True)))
        sel = state.get("selected")
        self.selected = (sel[0], sel[1], sel[2]) if sel else None
        self.compute()

    # ------------------------------------------------------------------ export --------------
    def figures(self) -> list[FigureSource]:
        figs = [FigureSource(f"repsim_heatmap_{k}", widget=v.graphics, data=v.data, title=f"{v.title} ({v.measure})")
                for k, v in self.views.items()]
        figs.append(FigureSource("repsim_cell_pcs", widget=self.details.scatter, data=self.details.scatter_data))
        figs.append(FigureSource("repsim_cell_matching", widget=self.details.hist, data=self.details.hist_data))
        figs.append(FigureSource("repsim_stitching", widget=self.stitch_table, data=self._stitch_data,
                                 paint=_widget_painter(self.stitch_table)))
        figs.append(FigureSource("repsim_lmc", widget=self.lmc_plot, data=self._lmc_data))
        return figs

    def _stitch_data(self) -> dict:
        if not self.stitch_rows:
            return {}
        keys = ["sender", "receiver", "point_from", "point_to", "loss", "accuracy", "receiver_loss", "penalty", "ls_loss"]
        return {k: [r[k] for r in self.stitch_rows] for k in keys}

    def _lmc_data(self) -> dict:
        r = self.lmc
        if r is None:
            return {}
        d = {"alpha": r.alphas, "loss": r.loss, "barrier": r.barrier}
        if r.loss_aligned is not None:
            d.update(loss_aligned=r.loss_aligned, barrier_aligned=r.barrier_aligned)
        return d
