"""The Torus bundle viewer panel: a thin Qt view over the bundle jobs.

Left (:mod:`.ui.controls`, scrolling in a small window): model and parameters (sliders),
colour mode, Chern badge, info line.  Above the tabs, an amber banner lists every result that
is stale or whose recomputation failed or was cancelled.  Tabs: the torus and its image on the
sphere (vispy, :mod:`.ui.torus_view`) with the colour key of the current colour mode, the
Haldane phase diagram (:mod:`.ui.phase_view`; a click sets phi, m), and the dataset browser
(:mod:`.ui.dataset_browser`: generate / load / save, predict, train with a progress bar and
Cancel; samples with labels and predictions, misclassified in red; click one to view it on
the torus, which detaches the model sliders until "Show the model").

The settings live in :class:`workbench_bundle.state.BundleState` (Qt-free); the widgets are
bound to it and every job spec is built from it.  The torus view, the phase diagram, the
dataset and its predictions are kept results: sessions save them and give them back without
recomputing.  One rule for all four: a result is replaced only by a complete result; when the
settings change it is marked stale (banner, greyed badge) until recomputed, and a failed or
cancelled job leaves the last complete result in place, marked with what happened.

GUI-thread work per slider step is kept small: the view job (fields, Chern number, local
refinement near a gap closing) runs on the panel's thread; a result that a newer request has
overtaken is kept but not drawn; the torus is repainted at once and the sphere a moment later
(at most every :data:`SPHERE_INTERVAL_MS`), so two software-rendered GL paints never share one
event-loop turn; while views arrive in a burst (a slider dragged: less than
:data:`SPHERE_SETTLE_MS` apart) the sphere waits until the burst ends: measured with the 10 ms
heartbeat at load 5 on 2 cores, a software-GL render of the torus draft took 42 ms of the GUI
thread and one of the sphere 32 ms, and a sphere render every 150 ms landed in the same gap as a
torus render (120-160 ms gaps).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench import plaindata
from workbench.gui.figures import FigureSource, paint_widget
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel
from workbench.gui.theme import theme_signals

from . import jobs
from .core.haldane_bundle import HaldaneDataset
from .core.models import MODELS
from .state import TABS, BundleState, param_field
from .ui import colors, look
from .ui.controls import ModelControls
from .ui.dataset_browser import DatasetBrowser, rgba_to_qimage
from .ui.phase_view import KEY as PHASE_KEY
from .ui.phase_view import PhaseDiagramView
from .ui.torus_view import SphereCanvas, TorusCanvas, prepare_glyphs

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
RESULT_TYPES = {
    "view": jobs.ViewResult,
    "phase": jobs.PhaseDiagramResult,
    "dataset": HaldaneDataset,
    "predictions": jobs.Predictions,
}
#: the sphere is redrawn at most this often while views arrive (a drag), and this long after the torus
SPHERE_INTERVAL_MS, SPHERE_DELAY_MS = 150, 30
#: views drawn less than this apart are a burst (a drag): the sphere is drawn this long after the last
SPHERE_SETTLE_MS = 250
MODEL_TITLES = {
    "haldane": "Haldane model",
    "qwz": "Qi-Wu-Zhang model",
    "bhz": "BHZ model",
    "custom": "custom two-band model",
}


def _view_fields() -> frozenset[str]:
    """The settings a torus view depends on (of any model)."""
    names = {"model", "bhz_spin", "view_grid", "viewing_sample", "expr_dx", "expr_dy", "expr_dz"}
    names |= {param_field(m, p) for m in MODELS for p in BundleState.param_names(m)}
    return frozenset(names)


VIEW_FIELDS = _view_fields()


def _fmt(value: float) -> str:
    return f"{value:.4g}"


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
        #: per result: what happened to its last recomputation (failed, cancelled), until one succeeds
        self.notes: dict[str, str] = {}
        self._running: dict[str, JobHandle] = {}
        self._view_wanted: Any = None  # the spec of the view shown or being computed
        self._drawn_view: jobs.ViewResult | None = None
        self._replaced_source = ""  # the classifier whose predictions the last ones replaced
        self._restoring = False
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._phase_timer = QTimer(self)
        self._phase_timer.setSingleShot(True)
        self._phase_timer.setInterval(500)
        self._phase_timer.timeout.connect(self._compute_phase)
        self._sphere_timer = QTimer(self)
        self._sphere_timer.setSingleShot(True)
        self._sphere_timer.timeout.connect(self._draw_sphere)
        self._sphere_pending: tuple[np.ndarray, np.ndarray] | None = None
        self._sphere_drawn_at = 0.0
        self._view_drawn_at = 0.0
        self.build_in_steps(self._build_steps())

    @classmethod
    def prepare_in_background(cls) -> None:
        """The glyphs of the torus's and the sphere's labels, rasterised ahead, off the GUI
        thread (:func:`.ui.torus_view.prepare_glyphs`; 1.6 s of the first render before)."""
        prepare_glyphs()

    def _build_steps(self) -> Iterator[None]:
        """The construction, a ``yield`` between its views (a vispy scene: 0.1-1 s on a busy
        machine; see ``Panel.build_in_steps``)."""
        yield from self._build()
        self._connect()
        self.apply_theme()
        self._update_detached()

    # ------------------------------------------------------------------------------ layout
    def _build(self) -> Iterator[None]:
        st = self.state_model
        self.controls = ModelControls(st, self.binder)
        yield
        self.torus = TorusCanvas(st.view_grid)
        yield
        self.sphere = SphereCanvas()
        yield
        self.phase_view = PhaseDiagramView()
        yield
        self.dataset_view = DatasetBrowser(st, self.binder)
        yield
        self.tabs = QTabWidget()
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.setUsesScrollButtons(True)
        for widget, title in zip((self._torus_tab(), self.phase_view, self.dataset_view), TABS, strict=True):
            self.tabs.addTab(widget, title)
        self.tabs.setCurrentIndex(st.tab)
        left = QScrollArea()
        left.setWidget(self.controls)
        left.setWidgetResizable(True)
        left.setFrameShape(QFrame.Shape.NoFrame)
        left.setMinimumWidth(self.controls.sizeHint().width() + 16)
        #: the banner of stale results and of failed or cancelled recomputations
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.status)
        rl.addWidget(self.tabs, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 4)
        split.setChildrenCollapsible(False)
        QHBoxLayout(self).addWidget(split)
        # the widgets tests and users reach most often
        self.badge, self.info = self.controls.badge, self.controls.info
        self.model_combo, self.expr_edits = self.controls.model_combo, self.controls.expr_edits
        self.phase_plot = self.phase_view.plot
        self.browser, self.ds_info = self.dataset_view.list, self.dataset_view.info
        self.setMinimumSize(400, 300)

    def _torus_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        self.sample_banner = QLabel("")
        self.sample_banner.setWordWrap(True)
        self.back_to_model = QPushButton("Show the model")
        self.back_to_model.setToolTip("leave the dataset sample: the torus shows the model of the sliders again")
        self.back_to_model.clicked.connect(lambda: setattr(self.state_model, "viewing_sample", -1))
        row = QHBoxLayout()
        row.addWidget(self.sample_banner, 1)
        row.addWidget(self.back_to_model)
        lay.addLayout(row)
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.torus.widget)
        views.addWidget(self.sphere.widget)
        views.setStretchFactor(0, 3)
        views.setStretchFactor(1, 2)
        views.setChildrenCollapsible(False)
        self.torus.widget.setMinimumSize(160, 140)
        self.sphere.widget.setMinimumSize(120, 120)
        lay.addWidget(views, 1)
        self.key = look.ColourKeyWidget()
        self.vortex_key = QLabel(colors.VORTEX_KEY + ".  Sphere: the torus mapped by d / |d|, axes d_x, d_y, d_z.")
        self.vortex_key.setWordWrap(True)
        lay.addWidget(self.key)
        lay.addWidget(self.vortex_key)
        return tab

    def _connect(self) -> None:
        st, c, d = self.state_model, self.controls, self.dataset_view
        c.reset_view_requested.connect(self._reset_views)
        c.update_view_requested.connect(lambda: self.request_view(force=True))
        self.add_shortcut("R", self._reset_views, "Reset the torus and sphere views")
        self.phase_view.clicked.connect(self._phase_clicked)
        self.phase_view.recompute_requested.connect(self._compute_phase)
        d.generate_requested.connect(self.generate)
        d.load_requested.connect(self.load_dataset)
        d.save_requested.connect(self.save_dataset)
        d.predict_requested.connect(self.predict)
        d.train_requested.connect(self.train)
        d.sample_clicked.connect(self.show_sample)
        d.cancel_requested.connect(self.cancel_dataset_jobs)
        self.tabs.currentChanged.connect(lambda i: setattr(st, "tab", int(i)))
        st.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))
        st.add_global_callback(self._state_changed)
        theme_signals().theme_changed.connect(self._theme_changed)
        self._theme_connected = True

    def _reset_views(self) -> None:
        self.torus.reset_view()
        self.sphere.reset_view()

    def _theme_changed(self, _theme: str) -> None:
        if not self._shut_down:
            self.apply_theme()

    def apply_theme(self) -> None:
        """Colours of the current theme for what the shell's theme does not reach: the vispy
        scenes, the badge, the banners, the phase diagram's lines (the plot itself too)."""
        gl = look.gl_colours()
        self.torus.set_theme(gl)
        self.sphere.set_theme(gl)
        self.controls.apply_theme()
        self.status.setStyleSheet(look.banner_style())
        self.sample_banner.setStyleSheet(look.banner_style())
        self.phase_view.apply_theme()
        self.dataset_view.metrics_view.apply_theme()
        self.key.update()

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
        if name == "viewing_sample":
            self._update_detached()
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
                self.shell.log(
                    f"dataset {path} of the session is missing; the browser stays empty", "warning", "bundle"
                )

    def _job_started(self, name: str, handle: JobHandle, what: str = "") -> None:
        """Track ``handle`` as the job recomputing result ``name``: a failure or a cancel is
        noted (the last complete result stays, marked); dataset-tab jobs drive its progress bar."""
        self._running[name] = handle
        self.notes.pop(name, None)
        handle.done.connect(lambda: self._job_ended(name, handle))
        kept = "the previous one stays" if self.kept(name) is not None else "nothing is shown"
        label = what or handle.title
        handle.failed.connect(lambda msg, _tb: self._note(name, handle, f"{label} failed: {msg} ({kept})"))
        handle.cancelled.connect(lambda: self._note(name, handle, f"{label} was cancelled ({kept})"))
        if name in ("dataset", "predictions"):
            self.dataset_view.show_job(handle.title, 0.0)
            handle.progress.connect(lambda f, m: self._job_progress(name, handle, f, m))
        if handle.is_done:  # a fast job can end before its signals were connected here
            if handle.state == "failed":
                self._note(name, handle, f"{label} failed: {handle.error} ({kept})")
            elif handle.state == "cancelled":
                self._note(name, handle, f"{label} was cancelled ({kept})")
            self._job_ended(name, handle)
            return
        self._mark_stale()

    def _note(self, name: str, handle: JobHandle, text: str) -> None:
        if self._running.get(name) is handle or (name == "view" and handle.spec is self._view_wanted):
            self.notes[name] = text
            if self._running.get(name) is not handle:  # the note came after the job's end: show it now
                self._mark_stale()

    def _job_progress(self, name: str, handle: JobHandle, fraction: float, message: str) -> None:
        if self._running.get(name) is handle:
            self.dataset_view.show_job(handle.title, fraction, message)

    def _job_ended(self, name: str, handle: JobHandle) -> None:
        if self._running.get(name) is handle:  # not a newer job of the same kind
            del self._running[name]
            if name == "view" and handle.state != "finished" and self._drawn_view is not self.current_view:
                self._draw_view()  # the wanted view did not come: show the last complete one, marked
            if not any(n in self._running for n in ("dataset", "predictions")):
                self.dataset_view.show_job("", None)
            self._mark_stale()

    def cancel_dataset_jobs(self) -> None:
        """Cancel the running dataset, prediction or training job (the Cancel of the dataset tab)."""
        for name in ("dataset", "predictions"):
            handle = self._running.get(name)
            if handle is not None:
                handle.cancel()

    def view_spec(self) -> jobs.ViewSpec:
        return self.state_model.view_spec(self.dataset)

    def request_view(self, force: bool = False) -> None:
        """Compute the torus view of the current settings (unless it is shown or on its way)."""
        spec = self.view_spec()
        if not force and self._view_wanted is not None and plaindata.same(spec, self._view_wanted):
            return
        self._view_wanted = spec
        handle = self.submit(
            jobs.run_view,
            spec,
            title="torus view",
            key="view",
            quiet=True,
            on_result=lambda res: self._view_ready(res, spec),
            on_error=self._view_failed,
        )
        self._job_started("view", handle, "the torus view of the current settings")

    def _view_failed(self, message: str, _tb: str) -> None:
        self.shell.show_error("Torus view", message)
        self.info.setText(f"error: {message}")

    def _view_ready(self, res: jobs.ViewResult, spec: jobs.ViewSpec) -> None:
        self.keep_result("view", res, spec)
        self.current_view = res
        if spec is self._view_wanted:  # else a newer request is on its way: draw that one
            self._draw_view()
        self._mark_stale()

    def _compute_phase(self) -> None:
        self._phase_timer.stop()
        spec = self.state_model.phase_spec()
        handle = self.submit(
            jobs.run_phase_diagram,
            spec,
            title="Haldane phase diagram",
            key="phase",
            on_result=lambda res: self._phase_ready(res, spec),
        )
        self._job_started("phase", handle)

    def _phase_ready(self, res: jobs.PhaseDiagramResult, spec: jobs.PhaseDiagramSpec) -> None:
        self.keep_result("phase", res, spec)
        self.phase = res
        self.phase_view.show_result(res)
        self._update_marker()
        self._mark_stale()

    def _phase_clicked(self, phi: float, m_over_t1: float) -> None:
        st = self.state_model
        m = m_over_t1 * st.get("haldane_t1")
        clamped = st.clamped("haldane_m", m)
        self.phase_view.caption.setText(
            "Click the diagram to set phi and m."
            if math.isclose(clamped, m, abs_tol=1e-9)
            else f"m = {m:.3g} is beyond the slider's range: m was set to {clamped:.3g} "
            f"(m / t1 = {clamped / st.get('haldane_t1'):.3g})."
        )
        st.update({"model": "haldane", "haldane_phi": st.clamped("haldane_phi", phi), "haldane_m": clamped})

    def _update_marker(self) -> None:
        st = self.state_model
        self.phase_view.set_marker(st.get("haldane_phi"), st.get("haldane_m") / max(st.get("haldane_t1"), 1e-9))

    # ------------------------------------------------------------------------------ dataset
    def generate(self) -> None:
        """Generate a dataset with the state's size, variant and seed (a job)."""
        spec = self.state_model.dataset_spec()
        handle = self.submit(
            jobs.run_dataset,
            spec,
            title="Generate Haldane bundles",
            key="dataset",
            on_result=lambda ds: self._dataset_ready(ds, spec, ""),
        )
        self._job_started("dataset", handle, "dataset generation")

    def load_dataset(self, path: str) -> None:
        spec = jobs.LoadDatasetSpec(path)
        handle = self.submit(
            jobs.run_load_dataset,
            spec,
            title="Load dataset",
            key="dataset",
            on_result=lambda ds: self._dataset_ready(ds, spec, path),
        )
        self._job_started("dataset", handle, f"loading {Path(path).name}")

    def _dataset_ready(self, ds: HaldaneDataset, inputs: Any, path: str) -> None:
        self.keep_result("dataset", ds, inputs)
        self.drop_result("predictions")  # they were of another dataset
        self.notes.pop("predictions", None)
        self.dataset, self.predictions, self._replaced_source = ds, None, ""
        self.apply_settings({"dataset_file": path, "viewing_sample": -1}, "Dataset file")
        self._show_dataset()
        self._update_detached()
        self._mark_stale()

    def save_dataset(self, path: str) -> None:
        """Write the dataset to ``path`` (a job: compressing a large dataset takes seconds)."""
        if self.dataset is None:
            self.shell.show_error("Save dataset", "no dataset to save: generate or load one first")
            return
        self.submit(
            jobs.run_save_dataset,
            jobs.SaveDatasetSpec(self.dataset, path),
            title="Save dataset",
            on_result=self._dataset_saved,
        )

    def _dataset_saved(self, path: str) -> None:
        self.state_model.dataset_file = path
        self._show_dataset()

    def show_sample(self, i: int) -> None:
        """View sample ``i`` of the dataset on the torus (the model sliders are detached)."""
        self.state_model.update({"viewing_sample": int(i), "tab": 0})

    def _update_detached(self) -> None:
        """The 'showing sample #i' state: banner, detached model box; or a note that the sample
        asked for is not in the dataset (the model is shown)."""
        i, ds = self.state_model.viewing_sample, self.dataset
        if i < 0:
            text = ""
        elif ds is None or i >= len(ds):
            text = (
                f"Sample #{i} is not in the dataset ({0 if ds is None else len(ds)} samples): the torus shows the "
                "model of the sliders."
            )
        else:
            pred = "" if self.predictions is None else f", predicted {int(self.predictions[i])}"
            text = (
                f"Showing dataset sample #{i} (label C = {int(ds.labels[i])}{pred}): the model settings on "
                "the left do not apply to it."
            )
        showing = i >= 0 and ds is not None and i < len(ds)
        self.controls.set_detached(f"showing dataset sample #{i}" if showing else "")
        self.sample_banner.setText(text)
        self.sample_banner.setVisible(bool(text))
        self.back_to_model.setVisible(bool(text))

    def _show_dataset(self) -> None:
        kept = self.kept("predictions")
        note, source = "", ""
        if kept is not None and self.predictions is not None:
            p = kept.result
            source = p.source + (f" (held-out accuracy {p.test_accuracy:.3f})" if p.test_accuracy is not None else "")
            if self._replaced_source and self._replaced_source != p.source:
                source += f"; they replaced those of {self._replaced_source}"
            note = f"; predicted by {p.source}"
            if p.test_accuracy is not None:
                note += f" (held-out accuracy {p.test_accuracy:.3f})"
        if self.dataset is not None and self.state_model.dataset_file:
            note += f"; file {self.state_model.dataset_file}"
        self.dataset_view.show_dataset(self.dataset, self.predictions, note, source)
        metrics = kept.result.metrics if kept is not None and self.predictions is not None else {}
        self.dataset_view.metrics_view.show_metrics(metrics or None, kept.result.source if metrics and kept else "")

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
        handle = self.submit(
            jobs.run_predict,
            jobs.PredictArraySpec(path, kept.result.psi, kept.result.fingerprint(), kept.result.labels),
            title=f"Predict with {source}",
            key="predict",
            on_result=lambda out: self._predictions_ready(
                jobs.Predictions(
                    out[0], source, dataset=str(out[1].get("dataset", "")), metrics=dict(out[1].get("metrics", {}))
                ),
                inputs,
            ),
        )
        self._job_started("predictions", handle, f"prediction with {source}")

    def predict_with(self, checkpoint: str) -> None:
        """Choose the checkpoint file ``checkpoint`` as the classifier and predict."""
        if not self.apply_settings({"classifier": "file", "checkpoint_file": checkpoint}, "Classifier file"):
            return
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
        fingerprint = kept.result.fingerprint()

        def saved(_path: str) -> None:
            handle = self.submit(
                jobs.run_train,
                spec,
                title=f"Train {spec.arch}",
                key="train",
                on_result=lambda res: self._trained(res, inputs, fingerprint),
            )
            self._job_started("predictions", handle, f"training {spec.arch}")

        handle = self.submit(
            jobs.run_save_dataset,
            jobs.SaveDatasetSpec(kept.result, data),
            title="Save the dataset for training",
            on_result=saved,
        )
        self._job_started("predictions", handle, "saving the dataset for training")

    def _trained(self, res: jobs.TrainJobResult, inputs: dict[str, Any], fingerprint: str = "") -> None:
        self.trained_checkpoint = res.checkpoint
        temporary = self._workdir is not None and Path(res.checkpoint).parent == Path(self._workdir.name)
        self.shell.log(
            f"{res.arch}: test accuracy {res.test_accuracy:.3f}; checkpoint {res.checkpoint}"
            + (" (temporary: removed when the panel closes; set 'save to' to keep it)" if temporary else ""),
            "info",
            "bundle",
        )
        self._predictions_ready(
            jobs.Predictions(
                res.predictions, f"trained {res.arch}", res.test_accuracy, dataset=fingerprint, metrics=res.metrics
            ),
            inputs,
        )

    def _predictions_ready(self, pred: jobs.Predictions, inputs: dict[str, Any]) -> None:
        kept = self.kept("dataset")
        same = kept is not None and plaindata.same(kept.inputs, inputs["dataset"])
        if kept is None or not same or not jobs.predictions_fit(pred, kept.result):
            self.shell.log("predictions of a dataset no longer shown were dropped", "warning", "bundle")
            return
        old = self.kept("predictions")
        if old is not None and old.result.source != pred.source:
            self._replaced_source = old.result.source
            self.shell.log(
                f"the dataset browser now shows the predictions of {pred.source} "
                f"(they replaced those of {old.result.source})",
                "info",
                "bundle",
            )
        self.keep_result("predictions", pred, inputs)
        self.predictions = pred.predicted
        self._show_dataset()
        self._update_detached()
        self._mark_stale()

    # ------------------------------------------------------------------------------ drawing
    def _draw_view(self) -> None:
        """Draw the kept view: the torus now, the sphere a moment later (see the module doc)."""
        res, st = self.current_view, self.state_model
        if res is None:
            return
        self._drawn_view = res
        rgba = colors.face_colors(res, st.color_mode)
        self.torus.set_face_colors(rgba)
        self.torus.set_vortices(res.zeros, st.winding_labels)
        self.torus.set_arrows(res.phase[..., 1] if st.arrows else None)
        self.torus.canvas.update()
        self._sphere_pending = (res.dhat, rgba)
        now = time.monotonic()
        burst = (now - self._view_drawn_at) * 1000 < SPHERE_SETTLE_MS
        self._view_drawn_at = now
        if burst:  # restarted by every view of the burst: the sphere follows when it ends
            self._sphere_timer.start(SPHERE_SETTLE_MS)
        elif not self._sphere_timer.isActive():
            since = (now - self._sphere_drawn_at) * 1000
            self._sphere_timer.start(int(max(SPHERE_DELAY_MS, SPHERE_INTERVAL_MS - since)))
        self.key.set_key(colors.colour_key(res, st.color_mode))
        self._show_chern(res)

    def _draw_sphere(self) -> None:
        if self._sphere_pending is None or self._shut_down:
            return
        dhat, rgba = self._sphere_pending
        self._sphere_pending = None
        self.sphere.set_map(dhat, rgba)
        self.sphere.canvas.update()
        self._sphere_drawn_at = time.monotonic()

    def _chern_text(self, res: jobs.ViewResult) -> tuple[str, int]:
        """'C = -1' with ' (exact)' for a dataset sample and ' ?' when unreliable; the sign."""
        s = res.summary
        exact = s.get("exact_label")
        shown = res.chern if exact is None else exact
        suffix = " (exact)" if exact is not None else ("" if s.get("reliable", False) else " ?")
        return f"C = {shown}{suffix}", int(np.sign(shown))

    def _show_chern(self, res: jobs.ViewResult) -> None:
        """The info line of a view (grid, flux, gap, refinement) and the badge."""
        s = res.summary
        ok = s.get("reliable", False)
        exact = s.get("exact_label")
        kept = self.kept("view")
        what = res.label
        if what == "bhz" and kept is not None:
            what = f"bhz (spin {kept.inputs.spin})"
        gap = s.get("min_gap")
        ref = s.get("refined")
        refined = ""
        if ref is not None:
            refined = (
                f"; C refined near the gap closing ({ref['patches']} patch(es), down to the spacing of a "
                f"{ref['effective_grid']} x {ref['effective_grid']} grid, {ref['points']} extra points; "
                f"the {res.grid} grid alone gives {s.get('coarse_chern')})"
            )
            if not ref["reliable"]:
                refined += f" - still unreliable: {ref['reason']}"
        elif not ok:
            refined = " - grid too coarse or gap nearly closed: result unreliable"
        self.info.setText(
            f"{what}, {res.grid}x{res.grid} grid, max plaquette flux "
            f"{s['max_plaquette_flux_over_pi']:.3f} pi"
            + (f", min gap {gap:.3g}" if gap is not None else "")
            + refined
            + (
                f"; FHS on this grid: {res.chern}; exact label from the coefficients: {exact}"
                if res.label == "sample"
                else ""
            )
        )
        self._update_badge()

    def _update_badge(self) -> None:
        res = self._drawn_view
        if res is None:
            self.controls.set_badge("C = ?", None, tooltip="no torus view computed")
            return
        text, sign = self._chern_text(res)
        stale = self.stale.get("view", False) or "view" in self.notes
        tip = (
            (
                "the Chern number of the view shown, which is not of the current settings: "
                + (self.notes.get("view") or STALE_REASONS["view"])
            )
            if stale
            else "the Chern number of the view shown"
        )
        self.controls.set_badge(text + (" (stale)" if stale else ""), sign, stale, tip)

    def _clear_view(self) -> None:
        self.torus.clear()
        self.sphere.clear()
        self._drawn_view = None
        self.key.set_key(None)
        self.controls.set_badge("C = ?", None, tooltip="no torus view computed")
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
        (not while a job recomputes it); the banner names them, with any failed or cancelled
        recomputation, and the badge greys when the view shown is not of the settings."""
        busy = set(self._running) | ({"phase"} if self._phase_timer.isActive() else set())
        lines = []
        for name in RESULTS:
            kept = self.kept(name)
            self.stale[name] = (
                kept is not None and name not in busy and self.result_is_stale(name, self.current_inputs(name))
            )
            if kept is not None and self.stale[name]:
                trained = name == "predictions" and isinstance(kept.inputs, dict) and "trained" in kept.inputs
                lines.append("stale: " + STALE_REASONS["trained" if trained else name])
            if name in self.notes and name not in busy:
                lines.append(self.notes[name])
        self.status.setText("\n".join(lines))
        self.status.setVisible(bool(lines))
        self._update_badge()
        kept = self.kept("predictions")
        stale_pred = ""
        if kept is not None and self.stale["predictions"]:
            trained = isinstance(kept.inputs, dict) and "trained" in kept.inputs
            stale_pred = (
                "the training settings changed since this classifier was trained (Train)"
                if trained
                else f"the classifier chosen now is {self._classifier_name()}, not {kept.result.source} (Predict)"
            )
        self.dataset_view.mark_stale(stale_pred)

    def _classifier_name(self) -> str:
        st = self.state_model
        return (st.checkpoint_path() or "a file") if st.classifier == "file" else f"shipped {st.classifier}"

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
        self.notes.clear()
        self._draw_view()
        self._update_marker()
        self._update_detached()
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
        fits = pred is not None and jobs.predictions_fit(pred.result, self.dataset)
        self.predictions = pred.result.predicted if pred is not None and fits else None
        self._replaced_source = ""
        self.notes.clear()
        self._show_dataset()
        if self.current_view is None:
            self._clear_view()
        else:
            self._draw_view()
        self._update_detached()
        self._mark_stale()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop the panel's jobs and remove its temporary folder."""
        if self._theme_connected:
            self._theme_connected = False
            theme_signals().theme_changed.disconnect(self._theme_changed)
        ok = super().shutdown(timeout_ms)
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        return ok

    # ------------------------------------------------------------------------------ figures
    def view_title(self) -> str:
        """What the torus and sphere figures show: model and parameters (or the sample), the
        grid, C with how it was obtained, and whether it is stale."""
        res, kept = self._drawn_view, self.kept("view")
        if res is None or kept is None:
            return "Line bundle on the torus (nothing computed)"
        spec = kept.inputs if kept.result is res else None
        text, _sign = self._chern_text(res)
        if res.label == "sample":
            i = self.state_model.viewing_sample
            what = "Haldane bundle dataset sample" + (f" #{i}" if i >= 0 else "")
        elif spec is not None:
            params = ", ".join(f"{k} = {_fmt(v)}" for k, v in spec.params)
            what = MODEL_TITLES.get(spec.model, spec.model) + (f" ({params})" if params else "")
            if spec.model == "bhz":
                what += f", spin {spec.spin}"
            if spec.model == "custom":
                what += ": " + ", ".join(f"{k} = {v}" for k, v in spec.expressions)
        else:
            what = res.label
        ref = res.summary.get("refined")
        how = f"FHS on a {res.grid} x {res.grid} grid"
        if ref is not None:
            how += f", refined near the gap closing to a {ref['effective_grid']}-grid spacing"
        if not res.summary.get("reliable", False) and res.summary.get("exact_label") is None:
            how += ", unreliable"
        stale = "  [stale: not the current settings]" if self.stale.get("view") or "view" in self.notes else ""
        return f"{what}: {text} ({how}); colour: {colors.MODE_TITLES[self.state_model.color_mode]}{stale}"

    def _gl_figure(self, canvas: Any, key: bool) -> tuple[Any, Any]:
        """(paint, render_image) of a titled GL figure with its colour key below."""

        def body_render(w: int, h: int, transparent: bool = False) -> QImage:
            return rgba_to_qimage(canvas.render(w, h, transparent))

        def colour_key() -> Any:
            return colors.colour_key(self._drawn_view, self.state_model.color_mode) if key else None

        footer = colors.VORTEX_KEY if key else "Axes: d_x (red), d_y (green), d_z (blue) of d / |d|."

        def paint(painter: QPainter, rect: QRectF) -> None:
            look.paint_titled(painter, rect, self.view_title(), look.gl_body(body_render), colour_key(), footer)

        def image(w: int, h: int, transparent: bool) -> QImage:
            img = QImage(w, h, QImage.Format.Format_ARGB32)
            img.fill(Qt.GlobalColor.transparent if transparent else look.theme().background)
            painter = QPainter(img)
            try:
                look.paint_titled(
                    painter,
                    QRectF(0, 0, w, h),
                    self.view_title(),
                    look.gl_body(lambda bw, bh: body_render(bw, bh, transparent)),
                    colour_key(),
                    footer,
                    background=not transparent,
                )
            finally:
                painter.end()
            return img

        return paint, image

    def view_metadata(self) -> dict[str, Any]:
        """The context of the torus and sphere figures, for their data files."""
        res, kept, st = self._drawn_view, self.kept("view"), self.state_model
        if res is None:
            return {}
        meta: dict[str, Any] = {
            "title": self.view_title(),
            "chern": int(res.chern),
            "grid": int(res.grid),
            "summary": res.summary,
            "colour_mode": st.color_mode,
            "stale": bool(self.stale.get("view") or "view" in self.notes),
        }
        if kept is not None and kept.result is res:
            spec = kept.inputs
            meta.update(
                source=spec.source,
                model=spec.model if spec.source == "model" else "sample",
                params=dict(spec.params),
                expressions=dict(spec.expressions),
                spin=spec.spin,
            )
            if spec.source == "sample":
                meta["sample_index"] = int(st.viewing_sample)
        return meta

    def _torus_data(self) -> dict[str, Any]:
        v = self._drawn_view
        if v is None:
            return {}
        return {
            **self.view_metadata(),
            "berry_flux_per_plaquette": v.curvature,
            "phase_psi1": v.phase[..., 0],
            "phase_psi2": v.phase[..., 1],
            "sign_g": v.sign_g,
            "zeros_x_y_winding_g": v.zeros,
        }

    def _dataset_title(self) -> str:
        ds = self.dataset
        if ds is None:
            return "Haldane bundle dataset (none loaded)"
        text = (
            f"Haldane bundle dataset: {len(ds)} samples ({ds.provenance.get('variant', '?')}, grid {ds.grid}, "
            f"seed {ds.provenance.get('seed', '?')})"
        )
        kept = self.kept("predictions")
        if kept is not None and self.predictions is not None:
            acc = float(np.mean(self.predictions == ds.labels))
            text += f"; predictions of {kept.result.source}: accuracy {acc:.3f}, misclassified in red"
        else:
            text += "; exact labels, no predictions"
        return text + ("  [stale]" if self.stale.get("dataset") or self.stale.get("predictions") else "")

    def _dataset_data(self) -> dict[str, Any]:
        ds = self.dataset
        if ds is None:
            return {}
        out: dict[str, Any] = {"title": self._dataset_title(), "labels": ds.labels, "provenance": ds.provenance}
        kept = self.kept("predictions")
        if self.predictions is not None and kept is not None:
            out["predictions"] = self.predictions
            out["predicted_by"] = kept.result.source
        return out

    def _phase_title(self) -> str:
        p, st = self.phase, self.state_model
        if p is None:
            return "Haldane phase diagram (not computed)"
        phi, m = st.get("haldane_phi"), st.get("haldane_m") / max(st.get("haldane_t1"), 1e-9)
        i = int(np.argmin(np.abs(p.phi - phi)))
        j = int(np.argmin(np.abs(p.m - m)))
        return (
            f"Haldane model: C over (phi, m / t1) at t2 / t1 = {_fmt(p.t2)} ({len(p.phi)} x {len(p.m)} points); "
            f"marker at phi = {phi:.3f}, m / t1 = {m:.3f} (C = {int(p.chern[i, j])} there)"
            + ("  [stale]" if self.stale.get("phase") else "")
        )

    def _metrics_title(self) -> str:
        view = self.dataset_view.metrics_view
        if not view.metrics:
            return "Confusion matrix and accuracy by |C| (no predictions)"
        return f"Confusion matrix and accuracy by |C|: predictions of {view.source} on {self._dataset_title()}"

    def _metrics_data(self) -> dict[str, Any]:
        view = self.dataset_view.metrics_view
        if not view.metrics:
            return {}
        m = view.metrics
        return {
            "title": self._metrics_title(),
            "confusion_true_rows_pred_cols_classes_-2..2": np.asarray(m["confusion"]),
            "abs_c": np.array([0, 1, 2]),
            "accuracy_by_abs_c": np.array([m["accuracy_by_abs_c"][str(k)] for k in range(3)]),
            "count_by_abs_c": np.array([m["counts_by_abs_c"][str(k)] for k in range(3)]),
            "accuracy": m["accuracy"],
            "source": view.source,
        }

    def figures(self) -> list[FigureSource]:
        def sphere_data() -> dict[str, Any]:
            v = self._drawn_view
            return {} if v is None else {**self.view_metadata(), "dhat": v.dhat.reshape(-1, 3)}

        def phase_data() -> dict[str, Any]:
            p = self.phase
            return (
                {}
                if p is None
                else {
                    "title": self._phase_title(),
                    "phi": p.phi,
                    "m_over_t1": p.m,
                    "chern": p.chern,
                    "max_flux": p.max_flux,
                    "t2_over_t1": p.t2,
                    "marker_phi": self.state_model.get("haldane_phi"),
                    "marker_m_over_t1": self.state_model.get("haldane_m")
                    / max(self.state_model.get("haldane_t1"), 1e-9),
                }
            )

        torus_paint, torus_image = self._gl_figure(self.torus, key=True)
        sphere_paint, sphere_image = self._gl_figure(self.sphere, key=False)
        return [
            FigureSource(
                "torus",
                widget=self.torus.widget,
                data=self._torus_data,
                title=self.view_title(),
                paint=torus_paint,
                render_image=torus_image,
            ),
            FigureSource(
                "sphere",
                widget=self.sphere.widget,
                data=sphere_data,
                title="d/|d| on the sphere: " + self.view_title(),
                paint=sphere_paint,
                render_image=sphere_image,
            ),
            FigureSource(
                "phase_diagram",
                widget=self.phase_plot,
                data=phase_data,
                title=self._phase_title(),
                paint=lambda p, r: look.paint_titled(
                    p, r, self._phase_title(), lambda pp, rr: paint_widget(self.phase_plot, pp, rr), PHASE_KEY
                ),
            ),
            FigureSource(
                "metrics",
                widget=self.dataset_view.metrics_view,
                data=self._metrics_data,
                title=self._metrics_title(),
                paint=lambda p, r: look.paint_titled(
                    p, r, self._metrics_title(), lambda pp, rr: paint_widget(self.dataset_view.metrics_view, pp, rr)
                ),
            ),
            FigureSource(
                "dataset",
                widget=self.browser,
                data=self._dataset_data,
                title=self._dataset_title(),
                paint=lambda p, r: look.paint_titled(
                    p, r, self._dataset_title(), lambda pp, rr: paint_widget(self.browser, pp, rr)
                ),
            ),
        ]
