"""The Representation similarity panel: a thin Qt view over :mod:`workbench_repsim.jobs`.

Choose model A and B (zoo or a local model / .npz), the data, pooling and measure; the
A-vs-A, A-vs-B and B-vs-B heatmaps are drawn side by side; clicking a cell opens its
details.  Stitching, linear mode connectivity and the rotation test have their own tabs.
"""

from __future__ import annotations

import dataclasses
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

from .core.zoo import ZOO
from .jobs import (
    CellSpec,
    HeatmapResult,
    HeatmapSpec,
    run_cell,
    run_heatmap,
    run_lmc,
    run_rotation,
    run_stitching,
)
from .state import HEATMAP_PANELS, TABS, RepsimState
from .ui.detail_view import CellDetailView
from .ui.heatmap_view import HeatmapView

#: results the panel keeps in sessions, in drawing order
RESULTS: tuple[str, ...] = ("heatmap", "cell", "stitching", "lmc", "rotation")
#: a heatmap result whose activations take more bytes than this is kept without them (cell
#: details then need the heatmaps recomputed); the matrices are always kept
SESSION_ACTIVATIONS_LIMIT = 256 * 2 ** 20



def _short(model: str) -> str:
    """A model's name for a table cell: a zoo name as is, a local folder or file by its last part."""
    return Path(model).name if ("/" in model or "\\" in model) else model

def _for_session(res: HeatmapResult) -> HeatmapResult:
    """``res`` as kept in sessions: without its activations when they are larger than
    :data:`SESSION_ACTIVATIONS_LIMIT` bytes (the matrices are always kept)."""
    size = sum(a.nbytes for a in (*res.acts_a, *res.acts_b))
    return res if size <= SESSION_ACTIVATIONS_LIMIT else dataclasses.replace(res, acts_a=[], acts_b=[])


_ROTATION_HINT = "Insert a random rotation after a hidden layer of A (a digit MLP), retrain what follows."


class RepSimPanel(Panel):
    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "repsim")
        self.state_model = RepsimState()
        self.result: HeatmapResult | None = None
        self.stitch_rows: list[dict] = []
        self.lmc = None
        self.rotation = None
        self.selected: tuple[str, int, int] | None = None
        #: kept result name -> whether it is shown although the settings now build another spec
        self.stale: dict[str, bool] = {}
        self._build()
        self.state_model.add_global_callback(lambda _name, _new, _old: self._mark_stale())

    # ------------------------------------------------------------------ layout --------------
    def _model_combo(self) -> QComboBox:
        c = QComboBox()
        c.setEditable(True)
        c.addItems(list(ZOO))
        c.setMinimumContentsLength(18)
        c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        return c

    def _build(self) -> None:
        sm, bind = self.state_model, self.binder.bind
        self.model_a = bind(sm, "model_a", self._model_combo())
        self.model_b = bind(sm, "model_b", self._model_combo())
        data = QComboBox()
        data.setEditable(True)
        data.addItem("default")
        self.data = bind(sm, "data", data)
        self.pooling = bind(sm, "pooling", QComboBox())
        self.measure = bind(sm, "measure", QComboBox())
        self.max_samples = bind(sm, "max_samples", QSpinBox())
        minibatch = QSpinBox()
        minibatch.setSpecialValueText("off")
        self.minibatch = bind(sm, "minibatch", minibatch)
        self.seed = bind(sm, "seed", QSpinBox())
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
        sl0.addWidget(QLabel("seed"))
        sl0.addWidget(self.seed, 1)
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
            v.cell_clicked.connect(lambda i, j, k=key: self._cell_clicked(k, i, j))
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
        self.stitch_steps = bind(sm, "stitch_steps", QSpinBox())
        self.stitch_seed = bind(sm, "stitch_seed", QSpinBox())
        self.stitch_btn = QPushButton("Stitch A ↔ B")
        self.stitch_btn.clicked.connect(self.run_stitching)
        self.stitch_label = QLabel("")
        self.stitch_label.setObjectName("stitch-status")
        self.stitch_label.setWordWrap(True)
        st = QWidget()
        sl = QVBoxLayout(st)
        row = QHBoxLayout()
        row.addWidget(QLabel("training steps"))
        row.addWidget(self.stitch_steps)
        row.addWidget(QLabel("seed"))
        row.addWidget(self.stitch_seed)
        row.addWidget(self.stitch_btn)
        row.addStretch(1)
        sl.addLayout(row)
        sl.addWidget(
            QLabel(
                "Affine stitching layer from a point of one model into the same-depth point of the other, "
                "trained on the task with both models frozen; penalty = stitched loss − receiver's own loss (nats)."
            )
        )
        sl.addWidget(self.stitch_label)
        sl.addWidget(self.stitch_table)

        # LMC + rotation tab
        self.lmc_plot = pg.PlotWidget(title="linear mode connectivity")
        self.lmc_plot.setBackground("w")
        self.lmc_plot.setLabel("bottom", "α  (θ = (1−α) θ_A + α θ_B)")
        self.lmc_plot.setLabel("left", "test loss (nats)")
        self.lmc_plot.addLegend(offset=(5, 5))
        self.lmc_align = bind(sm, "lmc_align", QCheckBox(sm.field("lmc_align").label))
        self.lmc_btn = QPushButton("Interpolate A → B")
        self.lmc_btn.clicked.connect(self.run_lmc)
        self.lmc_label = QLabel("")
        self.rot_layer = bind(sm, "rotation_layer", QSpinBox())
        self.rot_seed = bind(sm, "rotation_seed", QSpinBox())
        self.rot_btn = QPushButton("Rotation test on A")
        self.rot_btn.clicked.connect(self.run_rotation)
        self.rot_label = QLabel(_ROTATION_HINT)
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
        row2.addWidget(QLabel("seed"))
        row2.addWidget(self.rot_seed)
        row2.addWidget(self.rot_btn)
        row2.addStretch(1)
        ll.addLayout(row2)
        ll.addWidget(self.rot_label)

        self.tabs = QTabWidget()
        for page, title in zip((split, st, lt), TABS, strict=True):
            self.tabs.addTab(page, title)
        self.tabs.setCurrentIndex(sm.tab)
        self.tabs.currentChanged.connect(lambda i: setattr(sm, "tab", i) if i >= 0 else None)
        sm.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))

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
        path, _ = QFileDialog.getOpenFileName(
            self, "Model or activations", "", "Models and activations (*.safetensors *.npz config.json)"
        )
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
        """The heatmaps job the current settings stand for."""
        return self.state_model.heatmap_spec()

    def current_inputs(self, name: str) -> Any:
        """The inputs (job spec) that kept result ``name`` would be computed from now."""
        sm = self.state_model
        if name == "heatmap":
            return sm.heatmap_spec()
        if name == "cell":
            return self._cell_inputs(sm.heatmap_spec(), self.selected)
        if name == "stitching":
            return sm.stitch_spec()
        if name == "lmc":
            return sm.lmc_spec()
        if name == "rotation":
            return sm.rotation_spec()
        raise KeyError(f"repsim keeps no result named {name!r}")

    def _cell_inputs(self, heatmap: Any, selected: tuple[str, int, int] | None) -> dict[str, Any]:
        return {"heatmap": heatmap, "cell": list(selected) if selected else None, "seed": self.state_model.seed}

    def start(self) -> None:
        """Compute the embedded-default heatmaps (unless a session has already given them back)."""
        if self.kept("heatmap") is None:
            self.compute()

    def compute(self) -> None:
        spec = self.heatmap_spec()
        self.status.setText(f"computing {spec.measure} heatmaps …")
        self.submit(run_heatmap, spec, title="Similarity heatmaps", key="heatmap",
                    on_result=lambda res: self._heatmaps_done(res, spec),
                    on_partial=lambda part: self._heatmap_partial(part, spec.measure),
                    on_progress=lambda f, m: self.status.setText(f"{100 * f:.0f}% {m}"),
                    on_error=self._failed)

    def _failed(self, message: str, _tb: str = "") -> None:
        self.status.setText(f"error: {message}")
        self.shell.show_error("Representation similarity", message)

    def _heatmap_partial(self, part, measure: str) -> None:
        key, m, rows, cols = part
        self.views[key].set_matrix(m, rows, cols, measure)
        self.views[key].set_stale(False)

    def _heatmaps_done(self, res: HeatmapResult, spec: HeatmapSpec) -> None:
        self.keep_result("heatmap", _for_session(res), spec)
        self.drop_result("cell")
        self._show_heatmaps(res)
        self._mark_stale()
        if self.selected and self._selection_fits():
            self._cell_clicked(*self.selected)
        else:
            self.details.clear()

    def _show_heatmaps(self, res: HeatmapResult | None) -> None:
        """Draw ``res`` (None: clear) without starting anything."""
        self.result = res
        for key, v in self.views.items():
            if res is not None and key in res.matrices:
                rows = res.names_a if key[0] == "A" else res.names_b
                cols = res.names_a if key[1] == "A" else res.names_b
                v.set_matrix(res.matrices[key], rows, cols, res.measure)
            else:
                v.clear()
        self._heatmap_summary = "" if res is None else (
            f"{res.measure}: n = {res.n} inputs, {len(res.names_a)} layers in A, {len(res.names_b)} in B "
            f"({res.form} form)")
        self.status.setText(self._heatmap_summary)

    def _selection_fits(self) -> bool:
        res, sel = self.result, self.selected
        if res is None or sel is None or sel[0] not in res.matrices:
            return False
        return sel[1] < res.matrices[sel[0]].shape[0] and sel[2] < res.matrices[sel[0]].shape[1]

    def _cell_clicked(self, key: str, i: int, j: int) -> None:
        res = self.result
        if res is None or key not in res.matrices:
            return
        self.selected = (key, i, j)
        self.views[key].select(i, j)
        if not res.acts_a:
            self.drop_result("cell")
            self.details.clear()
            if res.form.startswith("streamed"):
                self.details.values.setText("cell details need the activations in memory: set minibatch to off")
            else:
                self.details.values.setText("the activations of these heatmaps were too large to be saved with the "
                                            "session: compute the heatmaps again for cell details")
            return
        xs = res.acts_a if key[0] == "A" else res.acts_b
        ys = res.acts_a if key[1] == "A" else res.acts_b
        nx = res.names_a if key[0] == "A" else res.names_b
        ny = res.names_a if key[1] == "A" else res.names_b
        kept = self.kept("heatmap")
        inputs = self._cell_inputs(kept.inputs if kept is not None else None, (key, i, j))
        spec = CellSpec(xs[i], ys[j], f"{key[0]}:{nx[i]}", f"{key[1]}:{ny[j]}", seed=self.state_model.seed)
        self.submit(run_cell, spec, title="Cell details", key="cell", quiet=True,
                    on_result=lambda r: self._cell_done(r, inputs))

    def _cell_done(self, res, inputs: dict[str, Any]) -> None:
        self.keep_result("cell", res, inputs)
        self._show_cell(res)
        self._mark_stale()

    def _show_cell(self, res) -> None:
        if res is None:
            self.details.clear()
        else:
            self.details.show_result(res)
        self._cell_text = self.details.values.text()

    def run_stitching(self) -> None:
        spec = self.state_model.stitch_spec()
        self.submit(run_stitching, spec, title="Model stitching", key="stitch", on_error=self._failed,
                    on_result=lambda table: self._stitch_done(table, spec))

    def _stitch_done(self, table, spec) -> None:
        self.keep_result("stitching", table, spec)
        self._show_stitching(table)
        self._mark_stale()

    def _show_stitching(self, table) -> None:
        rows = table.rows if table is not None else []
        self.stitch_rows = rows
        self.stitch_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [
                f"{_short(row['sender'])}:{row['point_from']}",
                f"{_short(row['receiver'])}:{row['point_to']}",
                f"{row['loss']:.4f}",
                f"{row['accuracy']:.3f}",
                f"{row['receiver_loss']:.4f}",
                f"{row['penalty']:+.4f}",
                f"{row['ls_loss']:.4f}",
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.stitch_table.setItem(r, c, item)

    def run_lmc(self) -> None:
        spec = self.state_model.lmc_spec()
        self.submit(run_lmc, spec, title="Linear mode connectivity", key="lmc", on_error=self._failed,
                    on_result=lambda res: self._lmc_done(res, spec))

    def _lmc_done(self, res, spec) -> None:
        self.keep_result("lmc", res, spec)
        self._show_lmc(res)
        self._mark_stale()

    def _show_lmc(self, res) -> None:
        self.lmc = res
        self.lmc_plot.clear()
        self._lmc_text = ""
        if res is not None:
            self.lmc_plot.setLabel("left", res.metric)
            self.lmc_plot.plot(res.alphas, res.loss, pen=pg.mkPen((214, 39, 40), width=2), symbol="o",
                               symbolBrush=pg.mkBrush(214, 39, 40), name="plain")
            self._lmc_text = f"barrier {res.barrier:.3f} nats"
            if res.loss_aligned is not None:
                self.lmc_plot.plot(res.alphas, res.loss_aligned, pen=pg.mkPen((31, 119, 180), width=2), symbol="s",
                                   symbolBrush=pg.mkBrush(31, 119, 180), name="aligned")
                self._lmc_text += f"; after alignment {res.barrier_aligned:.3f} nats"
        self.lmc_label.setText(self._lmc_text)

    def run_rotation(self) -> None:
        spec = self.state_model.rotation_spec()
        self.submit(run_rotation, spec, title="Rotation test", key="rotation", on_error=self._failed,
                    on_result=lambda r: self._rotation_done(r, spec))

    def _rotation_done(self, r, spec=None) -> None:
        self.keep_result("rotation", r, spec)
        self._show_rotation(r)
        self._mark_stale()

    def _show_rotation(self, r) -> None:
        self.rotation = r
        self._rot_text = (
            _ROTATION_HINT
            if r is None
            else (
                f"rotation after h{r.layer}: accuracy {r.acc_original:.3f} → {r.acc_rotated:.3f} (rotated) → "
                f"{r.acc_retrained:.3f} (retrained; control {r.acc_control:.3f}).  "
                f"Undo error ‖W'R − W‖/‖W‖ = {r.undo_error:.2f} "
                f"(control {r.undo_error_control:.2f}).  Next layer vs original: basis correlation {r.basis_corr:.3f} "
                f"(control {r.basis_corr_control:.3f}), CKA {r.cka:.3f} (control {r.cka_control:.3f})."
            )
        )
        self.rot_label.setText(self._rot_text)

    # ------------------------------------------------------------------ stale results -------
    def _mark_stale(self) -> None:
        """Say on each shown result whether the current settings would compute another one."""
        for name in RESULTS:
            kept = self.kept(name)
            self.stale[name] = kept is not None and kept.inputs is not None and \
                self.result_is_stale(name, self.current_inputs(name))
        note = "  — stale: the settings have changed since; run it again"
        for v in self.views.values():
            v.set_stale(self.stale["heatmap"] and v.matrix is not None)
        summary = getattr(self, "_heatmap_summary", "")
        if summary and self.status.text().startswith(summary):
            heatmap_note = note.replace("run it", "compute the heatmaps") if self.stale["heatmap"] else ""
            self.status.setText(summary + heatmap_note)
        kept = self.kept("stitching")
        if kept is None:
            self.stitch_label.setText("")
        else:
            spec = kept.inputs
            where = (f"{len(self.stitch_rows)} stitches of {_short(getattr(spec, 'model_a', '?'))} ↔ "
                     f"{_short(getattr(spec, 'model_b', '?'))}, {getattr(spec, 'steps', '?')} steps, "
                     f"seed {getattr(spec, 'seed', '?')}")
            self.stitch_label.setText(where + (note if self.stale["stitching"] else ""))
        self.lmc_plot.setTitle("linear mode connectivity" + (" (stale)" if self.stale["lmc"] else ""),
                               color="#c0392b" if self.stale["lmc"] else None)
        self.lmc_label.setText(getattr(self, "_lmc_text", "") + (note if self.stale["lmc"] else ""))
        rot = getattr(self, "_rot_text", _ROTATION_HINT)
        self.rot_label.setText(rot + (note if self.stale["rotation"] else ""))
        if self.kept("cell") is not None:
            cell = getattr(self, "_cell_text", "")
            self.details.values.setText(cell + ("<br><i>stale: the settings have changed since</i>"
                                                if self.stale["cell"] else ""))

    def stale_results(self) -> list[str]:
        """Names of the kept results the current settings would compute differently."""
        return [name for name in RESULTS if self.stale.get(name)]

    # ------------------------------------------------------------------ sessions ------------
    def state(self) -> dict[str, Any]:
        """The state model's fields and the selected heatmap cell (a view selection, not a field)."""
        return {**super().state(), "selected": list(self.selected) if self.selected else None}

    def validate_state(self, state: dict[str, Any]) -> None:
        super().validate_state(state)
        sel = state.get("selected")
        if sel is not None and (not isinstance(sel, list) or len(sel) != 3 or sel[0] not in HEATMAP_PANELS
                                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in sel[1:])):
            raise ValueError(f"repsim: selected must be null or [\"AA\"|\"AB\"|\"BB\", row, column] with row and "
                             f"column >= 0, got {sel!r}")

    def restore(self, state: dict[str, Any]) -> None:
        """Apply saved settings (validated first, all or nothing); starts no job."""
        super().restore(state)
        sel = state.get("selected")
        self.selected = (sel[0], sel[1], sel[2]) if sel else None
        self._show_selection()
        self._mark_stale()

    def _show_selection(self) -> None:
        for v in self.views.values():
            v.selection.setVisible(False)
        if self._selection_fits():
            k, i, j = self.selected
            self.views[k].select(i, j)

    def results_restored(self, names: list[str]) -> None:
        """Draw the results a session gave back (no job is started) and mark the stale ones."""
        kept = {name: self.kept(name) for name in RESULTS}
        self._show_heatmaps(kept["heatmap"].result if kept["heatmap"] else None)
        self._show_selection()
        self._show_cell(kept["cell"].result if kept["cell"] else None)
        self._show_stitching(kept["stitching"].result if kept["stitching"] else None)
        self._show_lmc(kept["lmc"].result if kept["lmc"] else None)
        self._show_rotation(kept["rotation"].result if kept["rotation"] else None)
        if kept["heatmap"] is None:
            self.status.setText("the session holds no heatmaps: press Compute heatmaps (Ctrl+Return)")
        self._mark_stale()
        if names:
            stale = self.stale_results()
            self.shell.log(f"restored {', '.join(names)} without recomputing"
                           + (f"; stale (settings differ): {', '.join(stale)}" if stale else ""),
                           "info", self.plugin_id)

    # ------------------------------------------------------------------ export --------------
    def figures(self) -> list[FigureSource]:
        figs = [FigureSource(f"repsim_heatmap_{k}", widget=v.graphics, data=v.data, title=f"{v.title} ({v.measure})")
                for k, v in self.views.items()]
        figs.append(FigureSource("repsim_cell_pcs", widget=self.details.scatter, data=self.details.scatter_data))
        figs.append(FigureSource("repsim_cell_matching", widget=self.details.hist, data=self.details.hist_data))
        # a plain widget: the shell's painter (workbench.gui.figures.paint_widget) draws it
        figs.append(FigureSource("repsim_stitching", widget=self.stitch_table, data=self._stitch_data))
        figs.append(FigureSource("repsim_lmc", widget=self.lmc_plot, data=self._lmc_data))
        return figs

    def _stitch_data(self) -> dict:
        if not self.stitch_rows:
            return {}
        keys = [
            "sender",
            "receiver",
            "point_from",
            "point_to",
            "loss",
            "accuracy",
            "receiver_loss",
            "penalty",
            "ls_loss",
        ]
        return {k: [r[k] for r in self.stitch_rows] for k in keys}

    def _lmc_data(self) -> dict:
        r = self.lmc
        if r is None:
            return {}
        d = {"alpha": r.alphas, "loss": r.loss, "barrier": r.barrier}
        if r.loss_aligned is not None:
            d.update(loss_aligned=r.loss_aligned, barrier_aligned=r.barrier_aligned)
        return d
