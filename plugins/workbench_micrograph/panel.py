"""The micrograph editing panel: a thin Qt view over :mod:`workbench_micrograph.jobs`.

Left (a scroll area): the data (embedded default or a folder), the model (shipped or a file),
the edit method with its settings, robustness and comparison settings, and the buttons.
Right, four tabs: the micrograph browser (set, class and correct / wrong filters, thumbnails
with the original -> edited prediction, the selected image at full resolution with the
rewrite's painted region); the results table (the edits run here or the comparison of every
method, mean ± sd over seeds; CSV / Markdown / LaTeX / JSON); the 1-LI tab (a live alpha
slider whose accuracies are computed off the GUI thread from cached activations, latest
wins, over the alpha curves of the last single-layer edit); the robustness-vs-shift scatter.

Never stale, never misleading: every output is drawn from a kept result; a result whose
inputs differ from what the settings would compute now is marked stale; a cancelled or
failed job never replaces the last complete result (a comparison's partial rows are shown
while it runs and the last complete table comes back if it stops).  Sessions keep the edit,
the comparison, the edits' table, the predictions, the live alpha values and the painted
region (:meth:`Panel.keep_result`).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.figures import FigureSource
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel
from workbench.gui.side_pane import progress_bar, set_progress, side_pane, status_label
from workbench.gui.theme import plot_theme, theme_plot, theme_signals

from .core.data import DataRef
from .core.specs import ModelRef
from .jobs import (
    EditSpec,
    LiveAlphaSpec,
    LoadDataSpec,
    PredictSpec,
    browser_sets,
    in_app,
    run_compare,
    run_edit,
    run_live_alpha,
    run_load_data,
    run_predict,
)
from .state import METHOD_NAMES, TABS, MicrographState
from .ui.browser import MicrographBrowser  # at module level: imported off the GUI thread (pyqtgraph, 0.6 s)
from .ui.plots import AlphaPlot, ScatterPlot

#: the kept results, in the order the status line shows them
RESULTS = ("edit", "comparison", "predictions")
STALE = " — stale: the settings have changed since; run it again"
#: the settings of each method shown under the method (one_li adds its base's)
METHOD_FIELDS = {
    "full_ft": ("ft_steps", "ft_lr"),
    "surgical": ("surgical_block", "surgical_steps", "surgical_lr"),
    "surgical_best": ("sweep_steps", "surgical_steps", "surgical_lr"),
    "last_layer": ("last_steps", "last_lr", "last_reinit"),
    "lowrank": ("lowrank_layer", "rank", "lowrank_steps", "lowrank_lr"),
    "rewrite": ("rewrite_layer", "rewrite_ridge"),
    "one_li": ("one_li_base", "one_li_layer", "alpha_auto", "alpha"),
}
#: the settings that change the data or the model (predictions of others are not shown)
DATA_AND_MODEL = (
    "data_source",
    "folder",
    "banner",
    "tile",
    "pool",
    "split_seed",
    "model_source",
    "model_path",
    "width",
)
GRADIENT_METHODS = ("full_ft", "surgical", "surgical_best", "last_layer", "lowrank")
_tokens = itertools.count(1)


class MicrographPanel(Panel):
    """Adapt an SEM micrograph classifier to a shift by editing it; what it costs in robustness."""

    state_model: MicrographState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "micrograph")
        self.state_model = MicrographState()
        #: the loaded data set (not saved in sessions: reloaded from the settings) and its spec
        self.data: Any = None
        self.data_spec: DataRef | None = None
        self.data_error = ""
        self.stale = dict.fromkeys(RESULTS, False)
        self._running: dict[str, tuple[JobHandle, str]] = {}
        self._live_token = ""
        self._live_pending = False
        self._compare_partial: Any = None
        self._last_message = ("", False)
        self.build_in_steps(self._build_steps())

    def _build_steps(self) -> Iterator[None]:
        """The construction, a ``yield`` between its views (see ``Panel.build_in_steps``)."""
        yield from self._build()
        self.state_model.add_global_callback(lambda name, _new, _old: self._settings_changed(name))
        theme_signals().theme_changed.connect(self._theme_changed)
        self._method_changed()
        yield
        self._draw_all()

    # ------------------------------------------------------------------ layout -------------
    def _build(self) -> Iterator[None]:
        st, bind = self.state_model, self.binder.bind

        def label(name: str) -> str:
            return st.field(name).label

        def widget(name: str) -> QWidget:
            f = type(st).__dict__[name]
            kind = type(f).__name__
            if kind == "Bool":
                return bind(st, name, QCheckBox(label(name)))
            if kind in ("Int", "Seed"):
                return bind(st, name, QSpinBox())
            if kind == "Float":
                return bind(st, name, QDoubleSpinBox())
            if kind == "Choice":
                return bind(st, name, QComboBox())
            return bind(st, name, QLineEdit())

        self.w: dict[str, QWidget] = {}

        def row(form: QFormLayout, name: str) -> None:
            self.w[name] = widget(name)
            if isinstance(self.w[name], QCheckBox):
                form.addRow("", self.w[name])
            else:
                form.addRow(label(name), self.w[name])

        data_box = QGroupBox("Data")
        data_column = QVBoxLayout(data_box)
        f = QFormLayout()
        data_column.addLayout(f)
        row(f, "data_source")
        self.w["folder"] = widget("folder")
        browse = QPushButton("…")
        browse.setMaximumWidth(28)
        browse.setToolTip("choose the image folder")
        browse.clicked.connect(self._browse_folder)
        line = QHBoxLayout()
        line.addWidget(self.w["folder"])
        line.addWidget(browse)
        f.addRow(label("folder"), line)
        for name in ("banner", "tile", "pool", "split_seed"):
            row(f, name)
        self.load_btn = QPushButton("Load data")
        self.load_btn.setToolTip("load the data set for the browser (Ctrl+L)")
        self.load_btn.clicked.connect(self.load_data)
        f.addRow("", self.load_btn)
        self.data_label = QLabel("")
        self.data_label.setWordWrap(True)
        self.data_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # below the form, not a spanning form row: QFormLayout gave the wrapped text the height
        # of a wider line and cut its first and last lines in a 1024 x 700 window
        data_column.addWidget(self.data_label)

        model_box = QGroupBox("Model")
        f = QFormLayout(model_box)
        row(f, "model_source")
        self.w["model_path"] = widget("model_path")
        mbrowse = QPushButton("…")
        mbrowse.setMaximumWidth(28)
        mbrowse.setToolTip("choose a checkpoint, state dict or TorchScript file")
        mbrowse.clicked.connect(self._browse_model)
        line = QHBoxLayout()
        line.addWidget(self.w["model_path"])
        line.addWidget(mbrowse)
        f.addRow(label("model_path"), line)
        row(f, "width")

        edit_box = QGroupBox("Edit")
        f = QFormLayout(edit_box)
        for name in ("method", "k", "domains", "replay", "seed"):
            row(f, name)
        self.method_form = QFormLayout()
        seen: set[str] = set()
        for names in METHOD_FIELDS.values():
            for name in names:
                if name not in seen:
                    seen.add(name)
                    row(self.method_form, name)
        f.addRow(self.method_form)
        self.mask_label = QLabel("")
        self.mask_label.setWordWrap(True)
        f.addRow(self.mask_label)

        rob_box = QGroupBox("Robustness and comparison")
        f = QFormLayout(rob_box)
        for name in ("eps_inf", "eps_2", "pgd_steps", "n_robust", "n_corrupt", "seeds", "device"):
            row(f, name)

        self.edit_btn = QPushButton("Edit")
        self.edit_btn.setToolTip("run the chosen edit and measure it (Ctrl+Return)")
        self.edit_btn.clicked.connect(self.run_edit)
        self.compare_btn = QPushButton("Compare all")
        self.compare_btn.setToolTip("every method and the unedited model over the seeds (Ctrl+Shift+Return)")
        self.compare_btn.clicked.connect(self.run_compare)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("stop the running jobs; the last complete results stay")
        self.cancel_btn.clicked.connect(self.cancel_jobs)
        self.add_shortcut("Ctrl+Return", self.run_edit)
        self.add_shortcut("Ctrl+Shift+Return", self.run_compare)
        self.add_shortcut("Ctrl+L", self.load_data)
        self.progress = progress_bar(hidden=False)
        self.status = status_label()

        buttons = QHBoxLayout()
        for b in (self.edit_btn, self.compare_btn, self.cancel_btn):
            buttons.addWidget(b)
        side = side_pane((data_box, model_box, edit_box, rob_box), (buttons, self.progress, self.status), min_width=270)

        # ---- tabs ----
        from .ui.results_table import ResultsTable  # imports torch (core.evaluate): not at module level

        yield
        self.browser = MicrographBrowser()
        bind(st, "filter_domain", self.browser.set_combo)
        bind(st, "filter_class", self.browser.class_combo)
        bind(st, "filter_correct", self.browser.show_combo)
        self.browser.set_combo.lineEdit().setPlaceholderText("source (the first set)")
        self.browser.class_combo.lineEdit().setPlaceholderText("all classes")
        self.browser.view.mask_changed.connect(self._mask_painted)
        self.browser.clear_mask.clicked.connect(self.clear_mask)

        yield
        self.table = ResultsTable()
        self.w["table_source"] = bind(st, "table_source", QComboBox())
        self.table_note = QLabel("")
        self.table_note.setWordWrap(True)
        table_tab = QWidget()
        tv = QVBoxLayout(table_tab)
        top = QHBoxLayout()
        top.addWidget(QLabel("show"))
        top.addWidget(self.w["table_source"])
        top.addStretch(1)
        for fmt, text in (("csv", "CSV…"), ("markdown", "Markdown…"), ("latex", "LaTeX…"), ("json", "JSON…")):
            b = QPushButton(text)
            b.setToolTip(f"save the table shown as {fmt}")
            b.clicked.connect(lambda _c=False, fmt=fmt: self._save_table_dialog(fmt))
            top.addWidget(b)
        tv.addLayout(top)
        tv.addWidget(self.table, 1)
        tv.addWidget(self.table_note)

        yield
        self.alpha_plot = AlphaPlot()
        self.alpha_slider = QSlider(Qt.Orientation.Horizontal)
        bind(st, "alpha", self.alpha_slider, steps=100)
        self.alpha_slider.setToolTip(
            "1-LI: move the edited layer from the original (0) to the edited weights (1); every accuracy "
            "is recomputed off the GUI thread from cached activations (the newest position wins)"
        )
        self.alpha_value = QLabel("")
        self.live_label = QLabel("")
        self.live_label.setWordWrap(True)
        alpha_tab = QWidget()
        av = QVBoxLayout(alpha_tab)
        line = QHBoxLayout()
        line.addWidget(QLabel("alpha"))
        line.addWidget(self.alpha_slider, 1)
        line.addWidget(self.alpha_value)
        av.addLayout(line)
        av.addWidget(self.live_label)
        av.addWidget(self.alpha_plot, 1)

        yield
        self.scatter = ScatterPlot()
        self.scatter_note = QLabel("")
        self.scatter_note.setWordWrap(True)
        scatter_tab = QWidget()
        scv = QVBoxLayout(scatter_tab)
        scv.addWidget(self.scatter, 1)
        scv.addWidget(self.scatter_note)

        yield
        self.tabs = QTabWidget()
        for w, title in zip((self.browser, table_tab, alpha_tab, scatter_tab), TABS, strict=True):
            self.tabs.addTab(w, title)
        self.tabs.setCurrentIndex(st.tab)
        self.tabs.currentChanged.connect(lambda i: setattr(st, "tab", int(i)))
        st.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))

        split = QSplitter()
        split.addWidget(side)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([310, 900])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        self.setMinimumSize(400, 300)
        self.w["show"] = self.browser.show_combo
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(15)
        self._live_timer.timeout.connect(self._submit_live)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Micrograph folder (holding source/ and the shifted domains)")
        if path:
            self.apply_settings({"folder": path, "data_source": "folder"}, "Image folder")

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Model file", "", "Models (*.safetensors *.pt *.pth);;All files (*)"
        )
        if path:
            self.apply_settings({"model_path": path, "model_source": "file"}, "Model file")

    def _method_changed(self) -> None:
        """Show the settings of the chosen method (for 1-LI also those of its base)."""
        st = self.state_model
        shown = set(METHOD_FIELDS[st.method])
        if st.method == "one_li":
            shown |= set(METHOD_FIELDS[st.one_li_base])
        for names in METHOD_FIELDS.values():
            for name in names:
                self.method_form.setRowVisible(self.w[name], name in shown)
        self.w["alpha"].setEnabled(not st.alpha_auto)
        base = st.one_li_base if st.method == "one_li" else st.method
        self.w["replay"].setEnabled(base in GRADIENT_METHODS)
        folder = st.data_source == "folder"
        for name in ("folder", "banner", "tile", "pool", "split_seed"):
            self.w[name].setEnabled(folder)
        self.w["model_path"].setEnabled(st.model_source == "file")
        self.w["width"].setEnabled(st.model_source == "file")

    # ------------------------------------------------------------------ specs ---------------
    @property
    def mask(self) -> np.ndarray | None:
        kept = self.kept("mask")
        return None if kept is None else np.asarray(kept.result, bool)

    def _spec_mask(self) -> np.ndarray | None:
        """The painted region as the rewrite gets it (None: the whole image)."""
        m = self.mask
        return m if m is not None and m.any() else None

    def edit_spec(self) -> EditSpec:
        return self.state_model.edit_spec(self._spec_mask())

    def compare_spec(self) -> Any:
        return self.state_model.compare_spec(self._spec_mask())

    def predict_spec(self) -> PredictSpec:
        edit = self.kept("edit")
        same = edit is not None and not self.stale["edit"]
        return PredictSpec(
            self.state_model.data_ref(),
            self.state_model.model_ref(),
            edit.result.edited if same else None,
            self.state_model.device,
        )

    def current_inputs(self, name: str) -> Any:
        try:
            if name == "edit":
                return self.edit_spec()
            if name == "comparison":
                return self.compare_spec()
            if name == "predictions":
                return (self.state_model.data_ref(), self.state_model.model_ref())
        except ValueError:
            return None
        return None

    # ------------------------------------------------------------------ jobs ----------------
    def start(self) -> None:
        """The embedded default: load the data (and predict), unless it is there already."""
        if self.data is None:
            self.load_data()

    def _spec_or_error(self, title: str, build: Any) -> Any:
        self.binder.commit()
        refused = [
            link.widget.toolTip()
            for link in self.binder.links
            if isinstance(link.widget, QLineEdit) and link.widget.property("invalid")
        ]
        if refused:
            self._message(f"{title}: " + "; ".join(refused), error=True)
            return None
        try:
            self.state_model.check(self.state_model.to_dict())
            return build()
        except ValueError as exc:
            self._message(f"{title}: {exc}", error=True)
            return None

    def _message(self, text: str, error: bool = False) -> None:
        """A message in the status line (and the log); errors in the theme's alert colour."""
        self._last_message = (text, error)
        self.shell.log(text, "warning" if error else "info", self.plugin_id)
        self._refresh_status()

    def _track(self, name: str, handle: JobHandle, text: str) -> None:
        self._running[name] = (handle, text)
        handle.progress.connect(lambda f, m, name=name: self._progress(name, f, m))
        handle.done.connect(lambda: self._job_ended(name, handle))
        self._refresh_status()

    def _progress(self, name: str, fraction: float, message: str) -> None:
        if name in self._running:
            set_progress(self.progress, fraction, f"{name}: {message}")

    def _job_ended(self, name: str, handle: JobHandle) -> None:
        if self._running.get(name, (None, ""))[0] is handle:
            del self._running[name]
            kept = self.kept("edit")
            if handle.state == "cancelled" and name == "edit" and kept is not None and self._not_measured(kept.result):
                self._message(
                    "edit cancelled: its accuracies are kept; not measured: "
                    + "; ".join(self._not_measured(kept.result))
                    + " (Edit again to measure them)"
                )
            elif handle.state == "cancelled":
                self._message(f"{name} cancelled; the last complete result is still shown")
            if name == "comparison" and handle.state != "finished":
                self._compare_partial = None
                self._draw_table()
            if not self._running:
                self.progress.setValue(0)
                self.progress.setFormat("")
            self._refresh_status()

    def _failed(self, name: str) -> Any:
        def failed(message: str, _tb: str) -> None:
            self._message(f"{name} failed: {message}", error=True)

        return failed

    def load_data(self) -> JobHandle | None:
        """Load the data set of the settings for the browser; a bad folder leaves what is loaded."""
        spec = self._spec_or_error("data", lambda: LoadDataSpec(self.state_model.data_ref()))
        if spec is None:
            return None

        def loaded(data: Any) -> None:
            self.data, self.data_spec, self.data_error = data, spec.data, ""
            self._show_data()
            self._last_message = ("", False)
            self.predict()

        def failed(message: str, _tb: str) -> None:
            self.data_error = message
            self._message(f"data not loaded: {message}", error=True)
            self._show_data()

        handle = self.submit(
            run_load_data, spec, title="load micrographs", on_result=loaded, on_error=failed, key="load"
        )
        self._track("data", handle, f"loading {spec.data.label()}…")
        return handle

    def predict(self) -> JobHandle | None:
        spec = self._spec_or_error("predictions", self.predict_spec)
        if spec is None:
            return None
        inputs = (spec.data, spec.model)

        def done(pred: Any) -> None:
            self.keep_result("predictions", pred, inputs)
            self._settings_changed("")
            self._draw_browser()

        handle = self.submit(
            in_app(run_predict),
            spec,
            title="predict micrographs",
            on_result=done,
            on_error=self._failed("predictions"),
            key="predict",
            lane="predict",  # not behind an edit's robustness evaluation on the main lane
        )
        self._track("predictions", handle, "predicting…")
        return handle

    def run_edit(self) -> JobHandle | None:
        """The edit of the settings.  Its accuracies arrive first (a partial result: the table's
        rows, the alpha curve's accuracies, the browser's predictions, the live slider), then
        its robustness step by step; Cancel keeps what has arrived."""
        spec = self._spec_or_error("edit", self.edit_spec)
        if spec is None:
            return None
        first = [True]

        def arrived(res: Any) -> None:
            self._edit_arrived(res, spec, first=bool(first and first.pop()))

        handle = self.submit(
            in_app(run_edit),
            spec,
            title=f"edit ({spec.method.name})",
            on_result=arrived,
            on_partial=arrived,
            on_error=self._failed("edit"),
            key="edit",
        )
        self._track("edit", handle, f"editing with {spec.method.name}…")
        return handle

    def run_compare(self) -> JobHandle | None:
        spec = self._spec_or_error("comparison", self.compare_spec)
        if spec is None:
            return None
        self.state_model.update({"table_source": "comparison", "tab": 1})
        handle = self.submit(
            in_app(run_compare),
            spec,
            title="compare edits",
            on_result=lambda res: self._compare_done(res, spec),
            on_partial=self._compare_partial_arrived,
            on_error=self._failed("comparison"),
            key="compare",
        )
        self._track("comparison", handle, "comparing every method…")
        return handle

    # ------------------------------------------------------------------ results -------------
    def _edit_arrived(self, res: Any, spec: EditSpec, first: bool) -> None:
        """An edit's result, partial or final.  The first of a job brings the new edited model:
        the live slider starts over, the browser's predictions are recomputed."""
        self.keep_result("edit", res, spec)
        rows = dict(self.kept("edit_rows").result) if self._edit_rows_current() else {}
        rows["unedited"] = res.row_before
        rows[res.method] = res.row_after
        self.keep_result("edit_rows", rows, {"data": spec.data, "model": spec.model})
        if first:
            self.keep_result("live", None)
            self._live_token = ""
            self._last_message = ("", False)  # e.g. an earlier edit's cancel note: this edit replaces it
        self._settings_changed("")
        if not first:  # robustness arrived: the table, the scatter, the curves, the status
            self._draw_table()
            self._draw_curve()
            return
        self._draw_all()
        self.predict()
        if res.layer:
            self.request_live()

    @staticmethod
    def _not_measured(res: Any) -> list[str]:
        """What of an edit's robustness is still nan (not measured yet, or cancelled)."""
        out = []
        if math.isnan(res.row_before["robust_acc"]):
            out.append("the original's robustness")
        if math.isnan(res.row_after["robust_acc"]):
            out.append("the edited model's robustness")
        c = res.curve
        if c is not None:
            missing = [f"{a:.2f}" for a, v in zip(c.robust_alphas, c.robust_inf, strict=True) if math.isnan(v)]
            if missing:
                out.append("1-LI robustness at alpha " + ", ".join(missing))
        return out

    def _edit_rows_current(self) -> bool:
        kept = self.kept("edit_rows")
        if kept is None:
            return False
        return not self.result_is_stale(
            "edit_rows", {"data": self.state_model.data_ref(), "model": self.state_model.model_ref()}
        )

    def _compare_partial_arrived(self, res: Any) -> None:
        self._compare_partial = res
        self._draw_table()

    def _compare_done(self, res: Any, spec: Any) -> None:
        self._compare_partial = None
        self.keep_result("comparison", res, spec)
        self._settings_changed("")
        self._draw_all()

    # ---- the live 1-LI slider ----
    def _live_source(self) -> tuple[Any, Any] | None:
        edit = self.kept("edit")
        if edit is None or not edit.result.layer or edit.inputs is None:
            return None
        return edit.result, edit.inputs

    def request_live(self) -> None:
        """Ask for the accuracies at the slider's alpha (coalesced; the newest request wins)."""
        if self._live_source() is None:
            return
        self._live_timer.start()

    def _submit_live(self) -> JobHandle | None:
        src = self._live_source()
        if src is None:
            return None
        res, spec = src
        if not self._live_token:
            self._live_token = f"edit-{next(_tokens)}"
        alpha = float(self.state_model.alpha)
        live = LiveAlphaSpec(
            token=self._live_token,
            edited=self._live_target(res),
            layer=res.layer,
            alpha=alpha,
            data=spec.data,
            model=spec.model,
            edit_k=spec.k,
            domains=spec.domains,
            seed=spec.seed,
            device=spec.device,
        )
        self.live_label.setText(f"computing alpha = {alpha:.2f}…")
        return self.submit(
            in_app(run_live_alpha),
            live,
            title="1-LI alpha",
            on_result=self._live_done,
            on_error=self._failed("1-LI"),
            key="live-alpha",
            lane="live",
            quiet=True,
        )

    @staticmethod
    def _live_target(res: Any) -> ModelRef:
        """The model 1-LI runs toward: the edit itself (for a 1-LI edit, its base edit is not
        kept; the interpolation runs toward the 1-LI model, alpha then being relative to it)."""
        return res.edited

    def _live_done(self, live: Any) -> None:
        self.keep_result("live", live)
        self._draw_live()

    # ------------------------------------------------------------------ stale ---------------
    def _settings_changed(self, name: str) -> None:
        if name in ("method", "one_li_base", "alpha_auto", "data_source", "model_source"):
            self._method_changed()
        if name == "alpha":
            self.alpha_value.setText(f"{self.state_model.alpha:.2f}")
            self.alpha_plot.set_alpha(self.state_model.alpha)
            self.request_live()
        if name in ("filter_domain", "filter_class", "filter_correct"):
            self._draw_browser()
        if name == "table_source":
            self._draw_table()
        for r in RESULTS:
            kept = self.kept(r)
            self.stale[r] = kept is not None and self.result_is_stale(r, self.current_inputs(r))
        self._refresh_status()
        if name not in ("alpha", "tab", "filter_domain", "filter_class", "filter_correct", "table_source", ""):
            self._draw_notes()
            self._update_data_label()
        if name in DATA_AND_MODEL:
            self._draw_browser()  # predictions of other inputs are not shown

    def _refresh_status(self) -> None:
        lines = [text for _h, text in self._running.values()]
        msg, error = self._last_message
        edit = self.kept("edit")
        if edit is not None:
            r = edit.result
            lines.append(
                f"edit {r.method}"
                + (f" of {r.layer}" if r.layer else "")
                + f": source {r.row_after['source_acc']:.3f}, "
                f"shifted {r.row_after['shift_mean']:.3f} (was {r.row_before['shift_mean']:.3f}), "
                + self._robust_text(r)
                + f"; {r.seconds:.1f} s"
                + (STALE if self.stale["edit"] else "")
            )
        comp = self.kept("comparison")
        if comp is not None:
            c = comp.result
            stale = STALE if self.stale["comparison"] else ""
            lines.append(f"comparison: {c.done}/{c.total} runs, {c.seconds:.0f} s" + stale)
        html = [_html(x) for x in lines]
        if msg:
            colour = ("#ff7a6e" if plot_theme().dark else "#c0392b") if error else plot_theme().foreground.name()
            html.append(f"<span style='color:{colour}'>{_html(msg)}</span>")
        self.status.setText("<br>".join(html))

    def _robust_text(self, r: Any) -> str:
        missing = self._not_measured(r)
        after, before = r.row_after["robust_acc"], r.row_before["robust_acc"]
        text = f"PGD l_inf {after:.3f}" if not math.isnan(after) else "PGD l_inf -"
        text += f" (was {before:.3f})" if not math.isnan(before) else ""
        if missing:
            running = "edit" in self._running
            text += ("; measuring " if running else "; not measured: ") + "; ".join(missing)
        return text

    # ------------------------------------------------------------------ drawing -------------
    def _draw_all(self) -> None:
        self._show_data(redraw=False)
        self._draw_browser()
        self._draw_table()
        self._draw_curve()
        self._draw_live()
        self._draw_notes()
        self._refresh_status()

    def _show_data(self, redraw: bool = True) -> None:
        """The loaded data into the browser (its sets, classes, tile grids) and its summary."""
        self._update_data_label()
        d = self.data
        if d is not None:
            self.browser.set_data(browser_sets(d), d.class_names, d.tiles)
            self._fill_filter_choices()
        if redraw:
            self._draw_browser()

    def _update_data_label(self) -> None:
        d = self.data
        if d is None:
            self.data_label.setText(self.data_error and f"<b>not loaded</b>: {_html(self.data_error)}")
            return
        n_shift = ", ".join(f"{k} {len(v)}" for k, v in d.shifted.items())
        text = (
            f"{d.description or d.origin}: {d.num_classes} classes, {len(d.train)} train / {len(d.test)} test "
            f"source images; shifted test: {n_shift or 'none'}; images {d.image_shape[2]} x {d.image_shape[1]} px"
        )
        if d.warnings:
            text += f"; {len(d.warnings)} note(s): " + "; ".join(d.warnings[:3])
        if self.data_spec is not None and self.data_spec != self._data_ref_or_none():
            text += " (the data settings have changed since: Load data)"
        text = _html(text)
        if self.data_error:
            text = f"<b>last load failed</b>: {_html(self.data_error)}<br>still shown: " + text
        self.data_label.setText(text)

    def _data_ref_or_none(self) -> DataRef | None:
        try:
            return self.state_model.data_ref()
        except ValueError:
            return None

    def _fill_filter_choices(self) -> None:
        b, st = self.browser, self.state_model
        for combo, items, value in (
            (b.set_combo, list(b.sets), st.filter_domain),
            (b.class_combo, [""] + list(b.class_names), st.filter_class),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.setCurrentText(value)
            combo.blockSignals(False)

    def _draw_browser(self) -> None:
        b = self.browser
        pred = self.kept("predictions")
        if pred is not None and self.data is not None and not self.stale["predictions"]:
            p = pred.result
            b.set_predictions(p.before, p.after if p.after else None)
        else:
            b.set_predictions(None, None)
        st = self.state_model
        b.set_filters(st.filter_domain, st.filter_class, st.filter_correct)
        b.view.set_mask(self.mask)
        b.refresh()

    def _table_rows(self) -> tuple[list[Any], tuple[str, ...], int, str]:
        """(rows, shifted domains, seeds, what they are) of the table shown."""
        if self.state_model.table_source == "comparison":
            c = self._compare_partial or (self.kept("comparison").result if self.kept("comparison") else None)
            if c is None:
                return [], (), 1, "no comparison yet: Compare all"
            names = [m for m in c.methods if m in c.mean]
            seeds = max((len(v) for v in c.per_seed.values()), default=1)
            what = f"comparison, {c.done}/{c.total} runs" + (" (running)" if c is self._compare_partial else "")
            if c is not self._compare_partial and self.stale["comparison"]:
                what += STALE
            return [(m, c.mean[m], c.std[m]) for m in names], tuple(c.shifted), seeds, what
        kept = self.kept("edit_rows")
        if kept is None:
            return [], (), 1, "no edit yet: Edit"
        rows = kept.result
        shifted = self.data.shifted_domains if self.data is not None else _shifted_of(rows)
        names = ["unedited"] + [m for m in METHOD_NAMES if m in rows]
        what = "edits run here (the last of each method, one seed)"
        if not self._edit_rows_current():
            what += STALE
        return [(n, rows[n], {}) for n in names if n in rows], tuple(shifted), 1, what

    def _draw_table(self) -> None:
        rows, shifted, seeds, what = self._table_rows()
        self.table.show_rows(rows, shifted, seeds)
        self.table_note.setText(what)
        self.scatter.draw(rows, "robustness vs shift: " + what.split(STALE)[0] if rows else "")
        self.scatter_note.setText(
            "Each point is a method: x the mean accuracy on the shifted test sets, y the PGD l_inf robust "
            "accuracy on source test images (2303.00046: constrained edits should keep more robustness)."
            + (STALE if STALE in what else "")
        )

    def _draw_curve(self) -> None:
        edit = self.kept("edit")
        curve = edit.result.curve if edit is not None else None
        self.alpha_plot.draw(curve)
        self.alpha_plot.set_alpha(self.state_model.alpha)
        self.alpha_value.setText(f"{self.state_model.alpha:.2f}")
        self.alpha_slider.setEnabled(edit is not None and bool(edit.result.layer))

    def _draw_live(self) -> None:
        kept = self.kept("live")
        live = kept.result if kept is not None else None
        if live is None:
            self.alpha_plot.set_live(self.state_model.alpha, None)
            edit = self.kept("edit")
            self.live_label.setText(
                "run a single-layer edit (low rank, surgical on a layer, rewrite, last layer, 1-LI) to move "
                "its layer with the slider"
                if edit is None or not edit.result.layer
                else f"1-LI of {edit.result.layer}: move the slider"
            )
            return
        self.alpha_plot.set_live(live.alpha, live.acc)
        parts = ", ".join(f"{k} {v:.3f}" for k, v in live.acc.items())
        n = sum(live.n.values())
        self.live_label.setText(
            f"alpha {live.alpha:.2f} ({live.layer}): {parts}; {n} images in {1000 * live.seconds:.0f} ms"
        )

    def _draw_notes(self) -> None:
        m = self.mask
        painted = int(m.sum()) if m is not None else 0
        if self.state_model.method in ("rewrite", "one_li"):
            self.mask_label.setText(
                f"rewrite region: {painted} painted pixels (Browser tab: paint region)"
                if painted
                else "rewrite region: the whole image (paint a region in the Browser tab)"
            )
            st = self.state_model
            self.mask_label.setVisible(st.method == "rewrite" or st.one_li_base == "rewrite")
        else:
            self.mask_label.setVisible(False)

    # ---- mask ----
    def _mask_painted(self) -> None:
        m = self.browser.view.mask
        self.keep_result("mask", None if m is None else m.copy())
        self._settings_changed("mask")

    def clear_mask(self) -> None:
        self.drop_result("mask")
        self.browser.view.set_mask(None)
        self._settings_changed("mask")

    # ---- theme ----
    def _theme_changed(self, _theme: str = "") -> None:
        if self._shut_down:
            return
        theme_plot(self.alpha_plot)
        self.scatter.retheme()
        self._refresh_status()

    # ------------------------------------------------------------------ sessions ------------
    def results_restored(self, names: list[str]) -> None:
        """Draw what a session kept (nothing recomputed) and mark the stale results."""
        self._live_token = ""
        self._compare_partial = None
        self._settings_changed("")
        self._draw_all()

    # ------------------------------------------------------------------ exports -------------
    def context(self) -> dict[str, Any]:
        """What every figure's caption and data names: model, data, shift, method, layer, alpha, n."""
        st = self.state_model
        edit = self.kept("edit")
        ctx: dict[str, Any] = {
            "model": st.model_ref().label(),
            "data": st.data_ref().label() if st.data_source == "default" else st.folder,
            "shift": ", ".join(self.data.shifted_domains) if self.data is not None else "",
        }
        if edit is not None:
            r, spec = edit.result, edit.inputs
            ctx.update(
                method=r.method,
                layer=r.layer or "several",
                k=spec.k if spec is not None else "",
                seed=spec.seed if spec is not None else "",
                edit_images=len(r.edit_names),
            )
            ctx["status"] = "stale" if self.stale["edit"] else "current"
        live = self.kept("live")
        if live is not None and live.result is not None:
            ctx["alpha"] = round(live.result.alpha, 3)
            ctx["n"] = sum(live.result.n.values())
        return ctx

    def _caption(self, what: str) -> str:
        c = self.context()
        parts = [what, f"model {c['model']}", f"data {c['data']}"]
        if c.get("shift"):
            parts.append(f"shift {c['shift']}")
        if "method" in c:
            parts.append(f"edit {c['method']} of {c['layer']} (k = {c['k']} per class, seed {c['seed']})")
        if "alpha" in c:
            parts.append(f"alpha {c['alpha']:.2f}, n = {c['n']} images")
        if c.get("status") == "stale":
            parts.append("stale: the settings have changed since")
        return "; ".join(parts)

    def _browser_caption(self) -> str:
        b = self.browser
        n = len(b.sets.get(b.current_set, ())) if b.sets else 0
        return self._caption(f"micrograph {b.current_set} (n = {n}), painted region in red")

    def _table_caption(self) -> str:
        _rows, _shifted, seeds, what = self._table_rows()
        return self._caption(f"results table: {what}; {seeds} seed(s)")

    def figures(self) -> list[FigureSource]:
        from workbench.gui.captioned import captioned_figures

        def scatter_caption() -> str:
            return self._caption("robustness vs shift (" + self._table_rows()[3].split(STALE)[0] + ")")

        def alpha_caption() -> str:
            return self._caption("1-LI alpha curves")

        figs = (
            ("micrograph_image", self.browser.view, "Micrograph", self.browser.data, self._browser_caption),
            ("micrograph_table", self.table, "Results table", self.table.data, self._table_caption),
            ("micrograph_alpha", self.alpha_plot, "1-LI alpha curves", self.alpha_plot.data, alpha_caption),
            ("micrograph_scatter", self.scatter, "Robustness vs shift", self.scatter.data, scatter_caption),
        )
        return list(captioned_figures(figs, self.context))

    # ---- table files ----
    def table_text(self, fmt: str) -> str:
        """The table shown as csv, markdown, latex or json (json: the rows with the context)."""
        if fmt == "json":
            d = self.table.data()
            rows = [
                {"method": m, **{k: _num(v[i]) for k, v in d.items() if isinstance(v, list) and k != "method"}}
                for i, m in enumerate(d["method"])
            ]
            return json.dumps({"methods": rows, "seeds": d["seeds"], **_plain(self.context())}, indent=1) + "\n"
        return self.table.text(fmt)

    def save_table(self, path: str | Path, fmt: str) -> Path:
        p = Path(path)
        p.write_text(self.table_text(fmt), encoding="utf-8")
        return p

    def _save_table_dialog(self, fmt: str) -> None:
        ext = {"csv": "csv", "markdown": "md", "latex": "tex", "json": "json"}[fmt]
        path, _ = QFileDialog.getSaveFileName(self, f"Save the table ({fmt})", f"micrograph-table.{ext}")
        if path:
            try:
                self._message(f"table written to {self.save_table(path, fmt)}")
            except OSError as exc:
                self._message(f"{path}: cannot write the table ({exc})", error=True)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _num(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, (str, int, float)) else str(v)) for k, v in d.items()}


def _shifted_of(rows: dict[str, dict[str, float]]) -> tuple[str, ...]:
    """The shifted domains named by a row's keys (when the data is not loaded)."""
    row = next(iter(rows.values()), {})
    skip = {"source_acc", "edit_acc", "robust_acc", "corruption_acc"}
    return tuple(k[: -len("_acc")] for k in row if k.endswith("_acc") and k not in skip)
