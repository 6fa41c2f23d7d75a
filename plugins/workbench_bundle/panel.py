"""The Torus bundle viewer panel: a thin Qt view over the bundle jobs.

Left: model and parameters (sliders), colour mode, Chern badge, exports.  Tabs: the torus and
its image on the sphere (vispy), the Haldane phase diagram (pyqtgraph; click sets phi, m), and
the dataset browser (samples with labels and predictions, misclassified outlined in red; click
one to view it on the torus)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSlider, QSpinBox, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from workbench.gui.figures import FigureSource
from workbench.gui.panel import Panel

from . import jobs
from .core.models import DEFAULT_PARAMS, PARAM_RANGES, haldane_phase_boundary
from .ui import colors
from .ui.torus_view import SphereCanvas, TorusCanvas

STATE_VERSION = 1
SLIDER_STEPS = 400
SHIPPED = ("flux", "cnn", "mlp")


def _rgba_to_qimage(rgba: np.ndarray) -> QImage:
    a = np.ascontiguousarray(rgba)
    img = QImage(a.data, a.shape[1], a.shape[0], 4 * a.shape[1], QImage.Format.Format_RGBA8888)
    return img.copy()


class BundlePanel(Panel):
    """Line bundles on the 2-torus: Chern numbers live, phase diagram, Haldane bundle dataset."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "bundle")
        self.model = "haldane"
        self.params: dict[str, dict[str, float]] = {k: dict(v) for k, v in DEFAULT_PARAMS.items()}
        self.expressions = {"dx": "sin(kx)", "dy": "sin(ky)", "dz": "u + cos(kx) + cos(ky)"}
        self.params["custom"] = {"u": 1.0}
        self.color_mode = "curvature"
        self.view_grid = 128
        self.current_view: jobs.ViewResult | None = None
        self.viewing_sample: int | None = None
        self.dataset = None
        self.dataset_path = ""
        self.predictions: np.ndarray | None = None
        self.checkpoint = ""
        self.phase: jobs.PhaseDiagramResult | None = None
        self._sliders: dict[str, tuple[QSlider, QLabel, float, float]] = {}
        self._phase_timer = QTimer(self)
        self._phase_timer.setSingleShot(True)
        self._phase_timer.setInterval(500)
        self._phase_timer.timeout.connect(self._compute_phase)
        self._build()

    # ------------------------------------------------------------------------------ layout
    def _build(self) -> None:
        root = QHBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        root.addWidget(split)
        left = QWidget()
        lay = QVBoxLayout(left)
        box = QGroupBox("Model")
        form = QFormLayout(box)
        self.model_combo = QComboBox()
        self.model_combo.addItems(["haldane", "qwz", "bhz", "custom"])
        self.model_combo.currentTextChanged.connect(self._model_changed)
        form.addRow("model", self.model_combo)
        self.param_box = QWidget()
        self.param_form = QFormLayout(self.param_box)
        form.addRow(self.param_box)
        self.expr_edits: dict[str, QLineEdit] = {}
        self.expr_box = QWidget()
        ef = QFormLayout(self.expr_box)
        for comp in ("dx", "dy", "dz"):
            e = QLineEdit(self.expressions[comp])
            e.editingFinished.connect(self._expressions_changed)
            self.expr_edits[comp] = e
            ef.addRow(comp, e)
        form.addRow(self.expr_box)
        lay.addWidget(box)
        vbox = QGroupBox("View")
        vf = QFormLayout(vbox)
        self.mode_combo = QComboBox()
        for m in colors.COLOR_MODES:
            self.mode_combo.addItem(colors.MODE_TITLES[m], m)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        vf.addRow("colour", self.mode_combo)
        self.grid_spin = QSpinBox()
        self.grid_spin.setRange(16, 512)
        self.grid_spin.setValue(self.view_grid)
        self.grid_spin.editingFinished.connect(self._grid_changed)
        vf.addRow("grid", self.grid_spin)
        self.labels_check = QCheckBox("vortex windings")
        self.labels_check.setChecked(True)
        self.labels_check.toggled.connect(lambda _: self._draw_view())
        vf.addRow(self.labels_check)
        self.arrows_check = QCheckBox("arrows: phase of psi_2")
        self.arrows_check.toggled.connect(lambda _: self._draw_view())
        vf.addRow(self.arrows_check)
        reset = QPushButton("Reset view (R)")
        reset.clicked.connect(self._reset_views)
        QShortcut(QKeySequence("R"), self, activated=self._reset_views)
        vf.addRow(reset)
        lay.addWidget(vbox)
        self.badge = QLabel("C = ?")
        self.badge.setObjectName("chern-badge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setStyleSheet("font-size: 20pt; font-weight: bold; padding: 6px; border-radius: 6px;"
                                 "background: #eeeeee;")
        lay.addWidget(self.badge)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        lay.addStretch(1)
        split.addWidget(left)

        self.tabs = QTabWidget()
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 4)
        # torus + sphere
        tw = QWidget()
        tl = QHBoxLayout(tw)
        self.torus = TorusCanvas(self.view_grid)
        self.sphere = SphereCanvas()
        tl.addWidget(self.torus.canvas.native, 3)
        tl.addWidget(self.sphere.canvas.native, 2)
        self.tabs.addTab(tw, "Torus")
        # phase diagram
        pw = QWidget()
        pl = QVBoxLayout(pw)
        self.phase_plot = pg.PlotWidget(background="w")
        self.phase_plot.setLabel("bottom", "phi (rad)")
        self.phase_plot.setLabel("left", "m / t1")
        self.phase_img = pg.ImageItem()
        self.phase_plot.addItem(self.phase_img)
        self.bound_plus = self.phase_plot.plot(pen=pg.mkPen("k", width=2))
        self.bound_minus = self.phase_plot.plot(pen=pg.mkPen("k", width=2))
        self.phase_marker = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(255, 255, 0), pen=pg.mkPen("k"))
        self.phase_plot.addItem(self.phase_marker)
        self.phase_plot.scene().sigMouseClicked.connect(self._phase_clicked)
        pl.addWidget(self.phase_plot)
        pl.addWidget(QLabel("C of the lower band over (phi, m) at the current t1, t2 (red +1, blue -1); "
                            "lines: m = +-3 sqrt(3) t2 sin(phi).  Click to set phi and m."))
        self.phase_button = QPushButton("Recompute phase diagram")
        self.phase_button.clicked.connect(self._compute_phase)
        pl.addWidget(self.phase_button)
        self.tabs.addTab(pw, "Phase diagram")
        # dataset browser
        dw = QWidget()
        dl = QVBoxLayout(dw)
        row = QHBoxLayout()
        self.size_spin = QSpinBox()
        self.size_spin.setRange(5, 100000)
        self.size_spin.setValue(200)
        row.addWidget(QLabel("size"))
        row.addWidget(self.size_spin)
        self.variant_combo = QComboBox()
        self.variant_combo.addItems(["random", "simple", "intermediate"])
        row.addWidget(self.variant_combo)
        gen = QPushButton("Generate")
        gen.clicked.connect(self._generate)
        row.addWidget(gen)
        load = QPushButton("Load…")
        load.clicked.connect(self._load_dataset_dialog)
        row.addWidget(load)
        save = QPushButton("Save…")
        save.clicked.connect(self._save_dataset_dialog)
        row.addWidget(save)
        dl.addLayout(row)
        row2 = QHBoxLayout()
        self.clf_combo = QComboBox()
        self.clf_combo.addItems([f"shipped {a}" for a in SHIPPED] + ["checkpoint…"])
        row2.addWidget(QLabel("classifier"))
        row2.addWidget(self.clf_combo)
        pred = QPushButton("Predict")
        pred.clicked.connect(self._predict)
        row2.addWidget(pred)
        self.arch_combo = QComboBox()
        self.arch_combo.addItems(["flux", "cnn", "mlp"])
        row2.addWidget(self.arch_combo)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 200)
        self.epochs_spin.setValue(3)
        row2.addWidget(QLabel("epochs"))
        row2.addWidget(self.epochs_spin)
        train = QPushButton("Train on dataset")
        train.clicked.connect(self._train)
        row2.addWidget(train)
        dl.addLayout(row2)
        self.ds_info = QLabel("no dataset")
        dl.addWidget(self.ds_info)
        self.browser = QListWidget()
        self.browser.setViewMode(QListWidget.ViewMode.IconMode)
        self.browser.setIconSize(QSize(64, 64))
        self.browser.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.browser.setSpacing(4)
        self.browser.itemClicked.connect(self._sample_clicked)
        dl.addWidget(self.browser)
        self.tabs.addTab(dw, "Dataset")
        self._rebuild_params()
        self.setMinimumSize(400, 300)

    # ------------------------------------------------------------------------------ params
    def _rebuild_params(self) -> None:
        while self.param_form.rowCount():
            self.param_form.removeRow(0)
        self._sliders.clear()
        ranges = dict(PARAM_RANGES.get(self.model, {}))
        if self.model == "custom":
            ranges = {"u": (-3.0, 3.0)}
        for name, (lo, hi) in ranges.items():
            s = QSlider(Qt.Orientation.Horizontal)
            s.setRange(0, SLIDER_STEPS)
            v = self.params[self.model].get(name, (lo + hi) / 2)
            s.setValue(int(round((v - lo) / (hi - lo) * SLIDER_STEPS)))
            lab = QLabel(f"{v:.3f}")
            lab.setMinimumWidth(48)
            s.valueChanged.connect(lambda val, n=name: self._slider_moved(n, val))
            w = QWidget()
            h = QHBoxLayout(w)
            h.setContentsMargins(0, 0, 0, 0)
            h.addWidget(s)
            h.addWidget(lab)
            self.param_form.addRow(name, w)
            self._sliders[name] = (s, lab, lo, hi)
        self.expr_box.setVisible(self.model == "custom")

    def _slider_moved(self, name: str, val: int) -> None:
        s, lab, lo, hi = self._sliders[name]
        v = lo + (hi - lo) * val / SLIDER_STEPS
        self.params[self.model][name] = v
        lab.setText(f"{v:.3f}")
        self.viewing_sample = None
        self.request_view()
        if self.model == "haldane" and name in ("t1", "t2"):
            self._phase_timer.start()          # the phase diagram depends on t2 / t1 only

    def set_params(self, model: str, **values: float) -> None:
        """Programmatic parameter change (phase diagram clicks, sessions, tests)."""
        if model != self.model:
            self.model_combo.setCurrentText(model)
        self.params[model].update({k: float(v) for k, v in values.items()})
        for name, (s, lab, lo, hi) in self._sliders.items():
            v = self.params[model].get(name, lo)
            s.blockSignals(True)
            s.setValue(int(round((min(max(v, lo), hi) - lo) / (hi - lo) * SLIDER_STEPS)))
            s.blockSignals(False)
            lab.setText(f"{v:.3f}")
        self.viewing_sample = None
        self.request_view()

    def _model_changed(self, name: str) -> None:
        self.model = name
        self._rebuild_params()
        self.viewing_sample = None
        self.request_view()

    def _expressions_changed(self) -> None:
        self.expressions = {c: e.text() for c, e in self.expr_edits.items()}
        self.request_view()

    def _mode_changed(self) -> None:
        self.color_mode = self.mode_combo.currentData()
        self._draw_view()

    def _grid_changed(self) -> None:
        self.view_grid = self.grid_spin.value()
        self.request_view()

    def _reset_views(self) -> None:
        self.torus.reset_view()
        self.sphere.reset_view()

    # ------------------------------------------------------------------------------ jobs
    def start(self) -> None:
        self.request_view()
        self._compute_phase()

    def view_spec(self) -> jobs.ViewSpec:
        if self.viewing_sample is not None and self.dataset is not None:
            i = self.viewing_sample
            cf = self.dataset.coef_f[i].ravel()
            return jobs.ViewSpec(source="sample", coef_f_re=tuple(cf.real.tolist()), coef_f_im=tuple(cf.imag.tolist()),
                                 coef_g=tuple(self.dataset.coef_g[i].ravel().tolist()), grid=self.view_grid)
        exprs = tuple(sorted(self.expressions.items())) if self.model == "custom" else ()
        return jobs.ViewSpec(source="model", model=self.model, params=tuple(sorted(self.params[self.model].items())),
                             expressions=exprs, grid=self.view_grid)

    def request_view(self) -> None:
        self.submit(jobs.run_view, self.view_spec(), title="torus view", key="view", quiet=True,
                    on_result=self._view_ready, on_error=self._view_failed)

    def _view_failed(self, message: str, tb: str) -> None:
        self.shell.show_error("Torus view", message)
        self.info.setText(f"error: {message}")

    def _view_ready(self, res: jobs.ViewResult) -> None:
        self.current_view = res
        self._draw_view()

    def _draw_view(self) -> None:
        res = self.current_view
        if res is None:
            return
        rgba = colors.face_colors(res, self.color_mode)
        self.torus.set_face_colors(rgba)
        self.torus.set_vortices(res.zeros, self.labels_check.isChecked())
        self.torus.set_arrows(res.phase[..., 1] if self.arrows_check.isChecked() else None)
        self.sphere.set_map(res.dhat, rgba)
        self.torus.canvas.update()
        self.sphere.canvas.update()
        s = res.summary
        ok = s.get("reliable", False)
        color = {1: "#f4b6b6", -1: "#b6c8f4"}.get(int(np.sign(res.chern)), "#e6e6e6")
        exact = s.get("exact_label")
        shown = res.chern if exact is None else exact
        color = {1: "#f4b6b6", -1: "#b6c8f4"}.get(int(np.sign(shown)), "#e6e6e6")
        self.badge.setText(f"C = {shown}" + (" (exact)" if exact is not None else ("" if ok else " ?")))
        self.badge.setStyleSheet(f"font-size: 20pt; font-weight: bold; padding: 6px; border-radius: 6px;"
                                 f"background: {color};")
        gap = s.get("min_gap")
        what = "sample" if res.label == "sample" else self.model
        self.info.setText(f"{what}, {res.grid}x{res.grid} grid, max plaquette flux "
                          f"{s['max_plaquette_flux_over_pi']:.3f} pi" + (f", min gap {gap:.3g}" if gap is not None else "")
                          + ("" if ok else " - grid too coarse or gap nearly closed: result unreliable")
                          + (f"; FHS on this grid: {res.chern}; exact label from the coefficients: {exact}"
                             if res.label == "sample" else ""))
        if self.phase is not None and self.model == "haldane":
            p = self.params["haldane"]
            self.phase_marker.setData([p["phi"]], [p["m"] / max(p["t1"], 1e-9)])

    def _compute_phase(self) -> None:
        p = self.params["haldane"]
        spec = jobs.PhaseDiagramSpec(t1=1.0, t2=p["t2"] / max(p["t1"], 1e-9), n_phi=49, n_m=49, grid=20)
        self.submit(jobs.run_phase_diagram, spec, title="Haldane phase diagram", key="phase",
                    on_result=self._phase_ready)

    def _phase_ready(self, res: jobs.PhaseDiagramResult) -> None:
        self.phase = res
        lut = np.array([[60, 60, 200], [235, 235, 235], [200, 60, 60]], dtype=np.ubyte)
        self.phase_img.setImage(np.clip(res.chern, -1, 1) + 1, levels=(0, 2), lut=lut)
        dphi = res.phi[1] - res.phi[0]
        dm = res.m[1] - res.m[0]
        from PySide6.QtCore import QRectF
        self.phase_img.setRect(QRectF(res.phi[0] - dphi / 2, res.m[0] - dm / 2, dphi * len(res.phi), dm * len(res.m)))
        phi = np.linspace(-np.pi, np.pi, 400)
        b = haldane_phase_boundary(phi, res.t2)
        self.bound_plus.setData(phi, b)
        self.bound_minus.setData(phi, -b)
        self._draw_view()

    def _phase_clicked(self, ev) -> None:
        if self.phase is None:
            return
        pos = self.phase_plot.getPlotItem().vb.mapSceneToView(ev.scenePos())
        phi, m = float(pos.x()), float(pos.y())
        if not (-np.pi <= phi <= np.pi and self.phase.m[0] <= m <= self.phase.m[-1]):
            return
        self.set_params("haldane", phi=phi, m=m * self.params["haldane"]["t1"])

    # ------------------------------------------------------------------------------ dataset
    def _generate(self) -> None:
        spec = jobs.DatasetSpec(size=self.size_spin.value(), grid=32, seed=int(np.random.default_rng().integers(1 << 30)),
                                variant=self.variant_combo.currentText(),
                                balance=self.variant_combo.currentText() == "random")
        self.submit(jobs.run_dataset, spec, title="Generate Haldane bundles", key="dataset",
                    on_result=lambda ds: self.set_dataset(ds, ""))

    def set_dataset(self, ds, path: str) -> None:
        self.dataset = ds
        self.dataset_path = path
        self.predictions = None
        self._fill_browser()

    def load_dataset(self, path: str) -> None:
        self.submit(jobs.run_load_dataset, jobs.LoadDatasetSpec(path), title="Load dataset",
                    on_result=lambda ds: self.set_dataset(ds, path))

    def _load_dataset_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load Haldane bundle dataset", "", "NumPy archive (*.npz)")
        if path:
            self.load_dataset(path)

    def _save_dataset_dialog(self) -> None:
        if self.dataset is None:
            self.shell.show_error("Save dataset", "no dataset to save: generate or load one first")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save dataset", "haldane_bundles.npz", "NumPy archive (*.npz)")
        if path:
            from .core.haldane_bundle import save_dataset
            self.dataset_path = str(save_dataset(self.dataset, path))

    def _fill_browser(self, limit: int = 400) -> None:
        self.browser.clear()
        ds = self.dataset
        if ds is None:
            self.ds_info.setText("no dataset")
            return
        n = min(len(ds), limit)
        wrong = 0
        for i in range(n):
            psi2 = ds.psi[i, 1]
            rgba = (colors.hue(np.angle(psi2), np.abs(psi2)) * 255).astype(np.uint8)
            icon = QIcon(QPixmap.fromImage(_rgba_to_qimage(rgba).scaled(64, 64)))
            text = f"#{i} C={ds.labels[i]}"
            item = QListWidgetItem(icon, text)
            item.setData(Qt.ItemDataRole.UserRole, i)
            if self.predictions is not None:
                p = int(self.predictions[i])
                item.setText(text + f"\npred {p}")
                if p != ds.labels[i]:
                    wrong += 1
                    item.setBackground(QBrush(QColor(255, 120, 120)))
            self.browser.addItem(item)
        acc = ""
        if self.predictions is not None:
            acc = f"; accuracy {np.mean(self.predictions == ds.labels):.3f} ({int(np.sum(self.predictions != ds.labels))} misclassified, red)"
        self.ds_info.setText(f"{len(ds)} samples ({ds.provenance.get('variant', '?')}, grid {ds.grid}), "
                             f"classes {ds.class_counts()}" + acc + (f"; showing first {n}" if n < len(ds) else ""))

    def _checkpoint_path(self) -> str:
        choice = self.clf_combo.currentText()
        if choice.startswith("shipped"):
            from workbench_resources import resource_path
            return str(resource_path("bundle", f"{choice.split()[1]}.safetensors"))
        path, _ = QFileDialog.getOpenFileName(self, "Classifier checkpoint", "", "safetensors (*.safetensors)")
        return path

    def _predict(self) -> None:
        if self.dataset is None:
            self.shell.show_error("Predict", "no dataset: generate or load one first")
            return
        path = self._checkpoint_path()
        if path:
            self.predict_with(path)

    def predict_with(self, checkpoint: str) -> None:
        self.checkpoint = checkpoint
        self.submit(jobs.run_predict, jobs.PredictArraySpec(checkpoint, self.dataset.psi), title="Predict Chern numbers",
                    on_result=self._predicted)

    def _predicted(self, out) -> None:
        self.predictions = out[0]
        self._fill_browser()

    def _train(self) -> None:
        if self.dataset is None:
            self.shell.show_error("Train", "no dataset: generate or load one first")
            return
        from .core.haldane_bundle import save_dataset
        tmp = Path(tempfile.mkdtemp(prefix="bundle-"))
        path = self.dataset_path or str(save_dataset(self.dataset, tmp / "data.npz"))
        spec = jobs.TrainSpec(arch=self.arch_combo.currentText(), data=path, epochs=self.epochs_spin.value(),
                              out=str(tmp / f"{self.arch_combo.currentText()}.safetensors"))
        self.submit(jobs.run_train, spec, title=f"Train {spec.arch}", key="train", on_result=self._trained)

    def _trained(self, res: jobs.TrainJobResult) -> None:
        self.predictions = res.predictions
        self.checkpoint = res.checkpoint
        self.shell.log(f"{res.arch}: test accuracy {res.test_accuracy:.3f}; checkpoint {res.checkpoint}", "info", "bundle")
        self._fill_browser()

    def _sample_clicked(self, item: QListWidgetItem) -> None:
        self.show_sample(int(item.data(Qt.ItemDataRole.UserRole)))

    def show_sample(self, i: int) -> None:
        self.viewing_sample = i
        self.tabs.setCurrentIndex(0)
        self.request_view()

    # ------------------------------------------------------------------------------ sessions
    def state(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "model": self.model, "params": self.params,
                "expressions": dict(self.expressions), "color_mode": self.color_mode, "grid": self.view_grid,
                "arrows": self.arrows_check.isChecked(), "winding_labels": self.labels_check.isChecked(),
                "dataset_path": self.dataset_path, "checkpoint": self.checkpoint, "tab": self.tabs.currentIndex()}

    def validate_state(self, state: dict[str, Any]) -> None:
        super().validate_state(state)
        if state.get("model", "haldane") not in ("haldane", "qwz", "bhz", "custom"):
            raise ValueError(f"bundle: unknown model {state.get('model')!r}")
        if state.get("color_mode", "curvature") not in colors.COLOR_MODES:
            raise ValueError(f"bundle: unknown colour mode {state.get('color_mode')!r}")
        g = state.get("grid", 128)
        if not isinstance(g, int) or not 16 <= g <= 512:
            raise ValueError("bundle: grid must be an integer in 16..512")
        params = state.get("params", {})
        if not isinstance(params, dict):
            raise ValueError("bundle: params must be an object")
        for model, values in params.items():
            if not isinstance(values, dict) or not all(isinstance(v, (int, float)) for v in values.values()):
                raise ValueError(f"bundle: parameters of {model!r} must be numbers")
        from .core.expressions import ExpressionError, parse_expression
        for comp, src in state.get("expressions", {}).items():
            try:
                parse_expression(src, tuple(params.get("custom", {}).keys()))
            except ExpressionError as exc:
                raise ValueError(f"bundle: custom {comp}: {exc}") from None

    def restore(self, state: dict[str, Any]) -> None:
        self.validate_state(state)
        for model, values in state.get("params", {}).items():
            self.params.setdefault(model, {}).update({k: float(v) for k, v in values.items()})
        self.expressions.update(state.get("expressions", {}))
        for c, e in self.expr_edits.items():
            e.setText(self.expressions.get(c, ""))
        self.view_grid = int(state.get("grid", 128))
        self.grid_spin.setValue(self.view_grid)
        self.color_mode = state.get("color_mode", "curvature")
        self.mode_combo.setCurrentIndex(list(colors.COLOR_MODES).index(self.color_mode))
        self.arrows_check.setChecked(bool(state.get("arrows", False)))
        self.labels_check.setChecked(bool(state.get("winding_labels", True)))
        self.model_combo.setCurrentText(state.get("model", "haldane"))
        self.set_params(self.model)
        self.tabs.setCurrentIndex(int(state.get("tab", 0)))
        path = state.get("dataset_path", "")
        if path and Path(path).is_file():
            self.load_dataset(path)
        elif path:
            self.shell.log(f"dataset {path} of the session is missing; the browser stays empty", "warning", "bundle")
        self.checkpoint = state.get("checkpoint", "")

    # ------------------------------------------------------------------------------ figures
    def _render(self, canvas, width: int, height: int, transparent: bool) -> QImage:
        return _rgba_to_qimage(canvas.render(width, height, transparent))

    def figures(self) -> list[FigureSource]:
        def torus_data() -> dict:
            v = self.current_view
            if v is None:
                return {}
            return {"berry_flux_per_plaquette": v.curvature, "phase_psi1": v.phase[..., 0], "phase_psi2": v.phase[..., 1],
                    "sign_g": v.sign_g, "zeros_x_y_winding_g": v.zeros, "chern": v.chern, "summary": v.summary,
                    "colour_mode": self.color_mode}

        def sphere_data() -> dict:
            v = self.current_view
            return {} if v is None else {"dhat": v.dhat.reshape(-1, 3), "chern": v.chern}

        def phase_data() -> dict:
            p = self.phase
            return {} if p is None else {"phi": p.phi, "m": p.m, "chern": p.chern, "max_flux": p.max_flux, "t2": p.t2}

        def dataset_data() -> dict:
            ds = self.dataset
            if ds is None:
                return {}
            out = {"labels": ds.labels}
            if self.predictions is not None:
                out["predictions"] = self.predictions
            return out

        return [
            FigureSource("torus", widget=self.torus.canvas.native, data=torus_data, title="Line bundle on the torus",
                         render_image=lambda w, h, t: self._render(self.torus, w, h, t)),
            FigureSource("sphere", widget=self.sphere.canvas.native, data=sphere_data, title="d/|d| on the sphere",
                         render_image=lambda w, h, t: self._render(self.sphere, w, h, t)),
            FigureSource("phase_diagram", widget=self.phase_plot, data=phase_data, title="Haldane phase diagram"),
            FigureSource("dataset", widget=self.browser, data=dataset_data, title="Dataset browser"),
        ]

