"""The Torus bundle viewer panel: a thin Qt view over the bundle jobs.

Left (:mod:`.ui.controls`): model and parameters (sliders), colour mode, Chern badge, status.
Tabs: the torus and its image on the sphere (vispy, :mod:`.ui.torus_view`), the Haldane phase
diagram (:mod:`.ui.phase_view`; a click sets phi, m), and the dataset browser
(:mod:`.ui.dataset_browser`: generate / load / save, predict, train; samples with labels and
predictions, misclassified in red; click one to view it on the torus).

The settings live in :class:`workbench_bundle.state.BundleState` (Qt-free); the widgets are
bound to it and every job spec is built from it.  The torus view, the phase diagram, the
dataset and its predictions are kept results: sessions save them (the dataset's arrays in the
results npz) and give them back without recomputing, and the status line marks a result as
stale when the settings no longer build the inputs it was computed from.  Dataset saving and
training run as jobs; training writes into a temporary folder of the panel (the dataset file
it reads, and the checkpoint unless "save to" names one) that is removed on shutdown.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QTabWidget, QWidget

from workbench import plaindata
from workbench.gui.figures import FigureSource
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel

from . import jobs
from .core.haldane_bundle import HaldaneDataset
from .core.models import MODELS
from .state import TABS, BundleState, param_field
from .ui import colors
from .ui.controls import ModelControls
from .ui.dataset_browser import DatasetBrowser, rgba_to_qimage
from .ui.phase_view import PhaseDiagramView
from .ui.torus_view import SphereCanvas, TorusCanvas

#: the kept results, in the order the status line lists them
RESULTS = ("view", "phase", "dataset", "predictions")
#: what the status line says of a stale result
STALE_REASONS = {
    "view": "torus view: the settings changed since it was computed (Update view)",
    "phase": "phase diagram: t2 / t1 changed since it was computed (Recompute phase diagram)",
    "dataset": "dataset: the generation settings changed since it was generated (Generate)",
    "predictions": "predictions: the classifier changed since they were computed (Predict)",
    "trained": "predictions: the training settings changed since the classifier was trained (Train)",
}
#: settings that only change how the torus view is drawn
REDRAW_FIELDS = ("color_mode", "winding_labels", "arrows")
#: the result types a session may give back
RESULT_TYPES = {"view": jobs.ViewResult, "phase": jobs.PhaseDiagramResult, "dataset": HaldaneDataset,
                "predictions": jobs.Predictions}


def _view_fields() -> frozenset[str]:
    """The settings a torus view depends on (of any model)."""
    names = {"model", "bhz_spin", "view_grid", "viewing_sample", "expr_dx", "expr_dy", "expr_dz"}
    names |= {param_field(m, p) for m in MODELS for p in BundleState.param_names(m)}
    return frozenset(names)


VIEW_FIELDS = _view_fields()


class BundlePanel(Panel):
    """Line bundles on the 2-torus: Chern numbers live, phase diagram, Haldane bundle dataset."""

    state_model: BundleState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "bundle")
        self.state_model = BundleState()
        self.current_view: jobs.ViewResult | None = None
        self.phase: jobs.PhaseDiagramResult | None = None
        self.dataset: HaldaneDataset | None = None
        self.predictions: np.ndarray | None = None
        #: the checkpoint of the last classifier trained in the panel ("" before)
        self.trained_checkpoint = ""
        #: per kept result: whether the current settings would compute it from other inputs
        self.stale = dict.fromkeys(RESULTS, False)
        self._running: dict[str, JobHandle] = {}
        self._view_wanted: Any = None  # the spec of the view shown or being computed
        self._restoring = False
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._phase_timer = QTimer(self)
        self._phase_timer.setSingleShot(True)
        self._phase_timer.setInterval(500)
        self._phase_timer.timeout.connect(self._compute_phase)
        self._build()
        self._connect()

    # ------------------------------------------------------------------------------ layout
    def _build(self) -> None:
        st = self.state_model
        self.controls = ModelControls(st, self.binder)
        self.torus = TorusCanvas(st.view_grid)
        self.sphere = SphereCanvas()
        self.phase_view = PhaseDiagramView()
        self.dataset_view = DatasetBrowser(st, self.binder)
        torus_tab = QWidget()
        tl = QHBoxLayout(torus_tab)
        tl.addWidget(self.torus.canvas.native, 3)
        tl.addWidget(self.sphere.canvas.native, 2)
        self.tabs = QTabWidget()
        for widget, title in zip((torus_tab, self.phase_view, self.dataset_view), TABS, strict=True):
            self.tabs.addTab(widget, title)
        self.tabs.setCurrentIndex(st.tab)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.controls)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 4)
        QHBoxLayout(self).addWidget(split)
        # the widgets tests and users reach most often
        self.badge, self.info, self.status = self.controls.badge, self.controls.info, self.controls.status
        self.model_combo, self.expr_edits = self.controls.model_combo, self.controls.expr_edits
        self.phase_plot = self.phase_view.plot
        self.browser, self.ds_info = self.dataset_view.list, self.dataset_view.info
        self.setMinimumSize(400, 300)

    def _connect(self) -> None:
        st, c, d = self.state_model, self.controls, self.dataset_view
        c.reset_view_requested.connect(self._reset_views)
        c.update_view_requested.connect(lambda: self.request_view(force=True))
        QShortcut(QKeySequence("R"), self, self._reset_views)
        self.phase_view.clicked.connect(self._phase_clicked)
        self.phase_view.recompute_requested.connect(self._compute_phase)
        d.generate_requested.connect(self.generate)
        d.load_requested.connect(self.load_dataset)
        d.save_requested.connect(self.save_dataset)
        d.predict_requested.connect(self.predict)
        d.train_requested.connect(self.train)
        d.sample_clicked.connect(self.show_sample)
        self.tabs.currentChanged.connect(lambda i: setattr(st, "tab", int(i)))
        st.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))
        st.add_global_callback(self._state_changed)

    def _reset_views(self) -> None:
        self.torus.reset_view()
        self.sphere.reset_view()

    # ------------------------------------------------------------------------------ settings
    @property
    def model(self) -> str:
        return self.state_model.model

    @property
    def params(self) -> dict[str, dict[str, float]]:
        """Every model's parameters by name (a copy; change them with :meth:`set_params`)."""
        return {m: self.state_model.params(m) for m in MODELS}

    def set_params(self, model: str, **values: float) -> None:
        """Switch to ``model`` and set some of its parameters (phase diagram clicks, tests)."""
        self.state_model.update({"model": model, **{param_field(model, k): float(v) for k, v in values.items()}})

    def _state_changed(self, name: str, _new: Any, _old: Any) -> None:
        """React to a changed setting (not while a session is restored: restore starts nothing)."""
        if self._restoring:
            return
        st = self.state_model
        if name in st.model_inputs() and st.viewing_sample >= 0:
            st.viewing_sample = -1  # a model setting changed: the torus shows the model again
        if name in REDRAW_FIELDS:
            self._draw_view()
        elif name in VIEW_FIELDS:
            self.request_view()
        if name in ("haldane_t1", "haldane_t2"):
            self._phase_timer.start()  # the phase diagram depends on t2 / t1 only (debounced)
        if name in ("haldane_t1", "haldane_phi", "haldane_m"):
            self._update_marker()
        self._mark_stale()

    # ------------------------------------------------------------------------------ jobs
    def start(self) -> None:
        """The embedded defaults: the torus view and the phase diagram, unless a session has
        already put them back (they are shown as they were, not recomputed); a dataset file a
        version-1 session named is loaded when the session kept no dataset."""
        if self.kept("view") is None:
            self.request_view(force=True)
        if self.kept("phase") is None:
            self._compute_phase()
        path = self.state_model.dataset_file.strip()
        if self.kept("dataset") is None and path:
            if Path(path).is_file():
                self.load_dataset(path)
            else:
                self.shell.log(f"dataset {path} of the session is missing; the browser stays empty", "warning",
                               "bundle")

    def _job_started(self, name: str, handle: JobHandle) -> None:
        self._running[name] = handle
        handle.done.connect(lambda: self._job_ended(name, handle))
        self._mark_stale()

    def _job_ended(self, name: str, handle: JobHandle) -> None:
        if self._running.get(name) is handle:  # not a newer job of the same kind
            del self._running[name]
            self._mark_stale()

    def view_spec(self) -> jobs.ViewSpec:
        return self.state_model.view_spec(self.dataset)

    def request_view(self, force: bool = False) -> None:
        """Compute the torus view of the current settings (unless it is shown or on its way)."""
        spec = self.view_spec()
        if not force and self._view_wanted is not None and plaindata.same(spec, self._view_wanted):
            return
        self._view_wanted = spec
        handle = self.submit(jobs.run_view, spec, title="torus view", key="view", quiet=True,
                             on_result=lambda res: self._view_ready(res, spec), on_error=self._view_failed)
        self._job_started("view", handle)

    def _view_failed(self, message: str, _tb: str) -> None:
        self.shell.show_error("Torus view", message)
        self.info.setText(f"error: {message}")

    def _view_ready(self, res: jobs.ViewResult, spec: jobs.ViewSpec) -> None:
        self.keep_result("view", res, spec)
        self.current_view = res
        self._draw_view()
        self._mark_stale()

    def _compute_phase(self) -> None:
        self._phase_timer.stop()
        spec = self.state_model.phase_spec()
        handle = self.submit(jobs.run_phase_diagram, spec, title="Haldane phase diagram", key="phase",
                             on_result=lambda res: self._phase_ready(res, spec))
        self._job_started("phase", handle)

    def _phase_ready(self, res: jobs.PhaseDiagramResult, spec: jobs.PhaseDiagramSpec) -> None:
        self.keep_result("phase", res, spec)
        self.phase = res
        self.phase_view.show_result(res)
        self._update_marker()
        self._mark_stale()

    def _phase_clicked(self, phi: float, m_over_t1: float) -> None:
        st = self.state_model
        st.update({"model": "haldane", "haldane_phi": st.clamped("haldane_phi", phi),
                   "haldane_m": st.clamped("haldane_m", m_over_t1 * st.get("haldane_t1"))})

    def _update_marker(self) -> None:
        st = self.state_model
        self.phase_view.set_marker(st.get("haldane_phi"), st.get("haldane_m") / max(st.get("haldane_t1"), 1e-9))

    # ------------------------------------------------------------------------------ dataset
    def generate(self) -> None:
        """Generate a dataset with the state's size, variant and seed (a job)."""
        spec = self.state_model.dataset_spec()
        handle = self.submit(jobs.run_dataset, spec, title="Generate Haldane bundles", key="dataset",
                             on_result=lambda ds: self._dataset_ready(ds, spec, ""))
        self._job_started("dataset", handle)

    def load_dataset(self, path: str) -> None:
        spec = jobs.LoadDatasetSpec(path)
        handle = self.submit(jobs.run_load_dataset, spec, title="Load dataset", key="dataset",
                             on_result=lambda ds: self._dataset_ready(ds, spec, path))
        self._job_started("dataset", handle)

    def _dataset_ready(self, ds: HaldaneDataset, inputs: Any, path: str) -> None:
        self.keep_result("dataset", ds, inputs)
        self.drop_result("predictions")  # they were of another dataset
        self.dataset, self.predictions = ds, None
        self.state_model.update({"dataset_file": path, "viewing_sample": -1})
        self._show_dataset()
        self._mark_stale()

    def save_dataset(self, path: str) -> None:
        """Write the dataset to ``path`` (a job: compressing a large dataset takes seconds)."""
        if self.dataset is None:
            self.shell.show_error("Save dataset", "no dataset to save: generate or load one first")
            return
        self.submit(jobs.run_save_dataset, jobs.SaveDatasetSpec(self.dataset, path), title="Save dataset",
                    on_result=self._dataset_saved)

    def _dataset_saved(self, path: str) -> None:
        self.state_model.dataset_file = path
        self._show_dataset()

    def show_sample(self, i: int) -> None:
        """View sample ``i`` of the dataset on the torus."""
        self.state_model.update({"viewing_sample": int(i), "tab": 0})

    def _show_dataset(self) -> None:
        kept = self.kept("predictions")
        note = ""
        if kept is not None and self.predictions is not None:
            p = kept.result
            note = f"; predicted by {p.source}"
            if p.test_accuracy is not None:
                note += f" (held-out accuracy {p.test_accuracy:.3f})"
        if self.dataset is not None and self.state_model.dataset_file:
            note += f"; file {self.state_model.dataset_file}"
        self.dataset_view.show_dataset(self.dataset, self.predictions, note)

    # ------------------------------------------------------------------------------ classifiers
    def predict(self) -> None:
        """Predict the dataset's Chern numbers with the chosen classifier (a job)."""
        kept, st = self.kept("dataset"), self.state_model
        if kept is None:
            self.shell.show_error("Predict", "no dataset: generate or load one first")
            return
        if st.classifier == "file" and not st.checkpoint_file.strip() and not self.dataset_view.browse_checkpoint():
            return
        path = st.checkpoint_path()
        source = path if st.classifier == "file" else f"shipped {st.classifier}"
        inputs = {"dataset": kept.inputs, **st.classifier_inputs()}
        handle = self.submit(jobs.run_predict, jobs.PredictArraySpec(path, kept.result.psi),
                             title="Predict Chern numbers", key="predict",
                             on_result=lambda out: self._predictions_ready(jobs.Predictions(out[0], source), inputs))
        self._job_started("predictions", handle)

    def predict_with(self, checkpoint: str) -> None:
        """Choose the checkpoint file ``checkpoint`` as the classifier and predict."""
        self.state_model.update({"classifier": "file", "checkpoint_file": checkpoint})
        self.predict()

    def _work_dir(self) -> Path:
        """The panel's temporary folder (created on first use, removed by :meth:`shutdown`)."""
        if self._workdir is None:
            self._workdir = tempfile.TemporaryDirectory(prefix="workbench-bundle-")
        return Path(self._workdir.name)

    def train(self) -> None:
        """Train the chosen architecture on the dataset (saved into the panel's temporary
        folder first, as a job), then show its predictions."""
        kept, st = self.kept("dataset"), self.state_model
        if kept is None:
            self.shell.show_error("Train", "no dataset: generate or load one first")
            return
        work = self._work_dir()
        data = str(work / "dataset.npz")
        spec = st.train_spec(data, st.train_out.strip() or str(work / f"{st.train_arch}.safetensors"))
        inputs = {"dataset": kept.inputs, "trained": st.train_inputs()}

        def saved(_path: str) -> None:
            handle = self.submit(jobs.run_train, spec, title=f"Train {spec.arch}", key="train",
                                 on_result=lambda res: self._trained(res, inputs))
            self._job_started("predictions", handle)

        handle = self.submit(jobs.run_save_dataset, jobs.SaveDatasetSpec(kept.result, data),
                             title="Save the dataset for training", on_result=saved)
        self._job_started("predictions", handle)

    def _trained(self, res: jobs.TrainJobResult, inputs: dict[str, Any]) -> None:
        self.trained_checkpoint = res.checkpoint
        temporary = self._workdir is not None and Path(res.checkpoint).parent == Path(self._workdir.name)
        self.shell.log(f"{res.arch}: test accuracy {res.test_accuracy:.3f}; checkpoint {res.checkpoint}"
                       + (" (temporary: removed when the panel closes; set 'save to' to keep it)" if temporary
                          else ""), "info", "bundle")
        self._predictions_ready(jobs.Predictions(res.predictions, f"trained {res.arch}", res.test_accuracy), inputs)

    def _predictions_ready(self, pred: jobs.Predictions, inputs: dict[str, Any]) -> None:
        kept = self.kept("dataset")
        same = kept is not None and plaindata.same(kept.inputs, inputs["dataset"])
        if kept is None or not same or len(pred.predicted) != len(kept.result):
            self.shell.log("predictions of a dataset no longer shown were dropped", "warning", "bundle")
            return
        self.keep_result("predictions", pred, inputs)
        self.predictions = pred.predicted
        self._show_dataset()
        self._mark_stale()

    # ------------------------------------------------------------------------------ drawing
    def _draw_view(self) -> None:
        res, st = self.current_view, self.state_model
        if res is None:
            return
        rgba = colors.face_colors(res, st.color_mode)
        self.torus.set_face_colors(rgba)
        self.torus.set_vortices(res.zeros, st.winding_labels)
        self.torus.set_arrows(res.phase[..., 1] if st.arrows else None)
        self.sphere.set_map(res.dhat, rgba)
        self.torus.canvas.update()
        self.sphere.canvas.update()
        self._show_chern(res)

    def _show_chern(self, res: jobs.ViewResult) -> None:
        """The badge (C, exact for a dataset sample) and the info line of a view."""
        s = res.summary
        ok = s.get("reliable", False)
        exact = s.get("exact_label")
        shown = res.chern if exact is None else exact
        colour = {1: "#f4b6b6", -1: "#b6c8f4"}.get(int(np.sign(shown)), "#e6e6e6")
        self.controls.set_badge(f"C = {shown}" + (" (exact)" if exact is not None else ("" if ok else " ?")), colour)
        kept = self.kept("view")
        what = res.label
        if what == "bhz" and kept is not None:
            what = f"bhz (spin {kept.inputs.spin})"
        gap = s.get("min_gap")
        self.info.setText(f"{what}, {res.grid}x{res.grid} grid, max plaquette flux "
                          f"{s['max_plaquette_flux_over_pi']:.3f} pi"
                          + (f", min gap {gap:.3g}" if gap is not None else "")
                          + ("" if ok else " - grid too coarse or gap nearly closed: result unreliable")
                          + (f"; FHS on this grid: {res.chern}; exact label from the coefficients: {exact}"
                             if res.label == "sample" else ""))

    def _clear_view(self) -> None:
        self.torus.clear()
        self.sphere.clear()
        self.controls.set_badge("C = ?", "#eeeeee")
        self.info.setText("no torus view was kept: press Update view to compute it")

    # ------------------------------------------------------------------------------ results
    def current_inputs(self, name: str) -> Any:
        """The inputs result ``name`` would be computed from now (compared with the kept ones)."""
        st, kept = self.state_model, self.kept(name)
        if name == "view":
            return self.view_spec()
        if name == "phase":
            return st.phase_spec()
        if name == "dataset":
            if kept is not None and isinstance(kept.inputs, jobs.LoadDatasetSpec):
                return kept.inputs  # a file is what it is: not stale
            return st.dataset_spec()
        dataset = self.kept("dataset")
        base = {"dataset": dataset.inputs if dataset is not None else None}
        if kept is not None and isinstance(kept.inputs, dict) and "trained" in kept.inputs:
            return {**base, "trained": st.train_inputs()}
        return {**base, **st.classifier_inputs()}

    def _mark_stale(self) -> None:
        """Mark each kept result stale whose inputs differ from what the settings give now
        (not while a job recomputes it); the status line names them."""
        busy = set(self._running) | ({"phase"} if self._phase_timer.isActive() else set())
        lines = []
        for name in RESULTS:
            kept = self.kept(name)
            self.stale[name] = (kept is not None and name not in busy
                                and self.result_is_stale(name, self.current_inputs(name)))
            if kept is not None and self.stale[name]:
                trained = name == "predictions" and isinstance(kept.inputs, dict) and "trained" in kept.inputs
                lines.append("stale: " + STALE_REASONS["trained" if trained else name])
        self.status.setText("\n".join(lines))

    def restore(self, state: dict[str, Any]) -> None:
        """Apply a saved state (all or nothing); starts no job, and cancels those still running
        so that none of them replaces what the session gives back."""
        self.validate_state(state)
        self._phase_timer.stop()
        self.cancel_jobs()
        self._restoring = True
        try:
            self.state_model.restore(state)
        finally:
            self._restoring = False
        self._draw_view()
        self._update_marker()
        self._mark_stale()

    def results_restored(self, names: list[str]) -> None:
        """Draw what a session kept (and clear what it did not), without recomputing."""
        for name in names:
            kept, expected = self.kept(name), RESULT_TYPES.get(name)
            if kept is None or expected is None or not isinstance(kept.result, expected):
                raise ValueError(f"bundle: the session's result {name!r} is not a {getattr(expected, '__name__', '?')}")
        view, phase, ds, pred = (self.kept(n) for n in RESULTS)
        self.current_view = view.result if view is not None else None
        self._view_wanted = view.inputs if view is not None else None
        self.phase = phase.result if phase is not None else None
        self.phase_view.show_result(self.phase)
        self._update_marker()
        self.dataset = ds.result if ds is not None else None
        fits = pred is not None and self.dataset is not None and len(pred.result.predicted) == len(self.dataset)
        self.predictions = pred.result.predicted if pred is not None and fits else None
        self._show_dataset()
        if self.current_view is None:
            self._clear_view()
        else:
            self._draw_view()
        self._mark_stale()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop the panel's jobs and remove its temporary folder."""
        ok = super().shutdown(timeout_ms)
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        return ok

    # ------------------------------------------------------------------------------ figures
    def _render(self, canvas: Any, width: int, height: int, transparent: bool) -> QImage:
        return rgba_to_qimage(canvas.render(width, height, transparent))

    def _torus_data(self) -> dict[str, Any]:
        v = self.current_view
        if v is None:
            return {}
        return {"berry_flux_per_plaquette": v.curvature, "phase_psi1": v.phase[..., 0], "phase_psi2": v.phase[..., 1],
                "sign_g": v.sign_g, "zeros_x_y_winding_g": v.zeros, "chern": v.chern, "summary": v.summary,
                "colour_mode": self.state_model.color_mode}

    def _dataset_data(self) -> dict[str, Any]:
        ds = self.dataset
        if ds is None:
            return {}
        out: dict[str, Any] = {"labels": ds.labels}
        if self.predictions is not None:
            out["predictions"] = self.predictions
        return out

    def figures(self) -> list[FigureSource]:
        def sphere_data() -> dict[str, Any]:
            v = self.current_view
            return {} if v is None else {"dhat": v.dhat.reshape(-1, 3), "chern": v.chern}

        def phase_data() -> dict[str, Any]:
            p = self.phase
            return {} if p is None else {"phi": p.phi, "m": p.m, "chern": p.chern, "max_flux": p.max_flux, "t2": p.t2}

        return [
            FigureSource("torus", widget=self.torus.canvas.native, data=self._torus_data,
                         title="Line bundle on the torus",
                         render_image=lambda w, h, t: self._render(self.torus, w, h, t)),
            FigureSource("sphere", widget=self.sphere.canvas.native, data=sphere_data, title="d/|d| on the sphere",
                         render_image=lambda w, h, t: self._render(self.sphere, w, h, t)),
            FigureSource("phase_diagram", widget=self.phase_plot, data=phase_data, title="Haldane phase diagram"),
            FigureSource("dataset", widget=self.browser, data=self._dataset_data, title="Dataset browser"),
        ]
