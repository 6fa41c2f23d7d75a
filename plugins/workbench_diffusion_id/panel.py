"""The diffusion prompt intrinsic-dimension panel: a thin Qt view over
:mod:`workbench_diffusion_id.jobs` (Kvinge, Brown & Godfrey 2023, arXiv 2302.09301).

Left: the prompt list editor, the generation settings (model, language model, images per prompt,
steps, guidance, seed), the layers (with a picker listing the UNet's modules), the estimators and
their intervals, Run / Cancel and the status.  Right: tabs with ID per prompt (bars with CIs per
layer), ID vs perplexity (scatter, regression line, r and rho with CIs), ID vs denoising step
(curves per prompt and the correlation per step), the TwoNN fit diagnostic, and the gallery of
generated images.  Export table writes every number (CSV and JSON).

A run is a job (progress per prompt and image, Cancel); its partial result after every prompt is
drawn as it comes.  Only a finished run is kept (sessions save it, pickle-free): a cancelled or
failed run puts the last complete result back on screen.  When the settings no longer build the
kept run's spec, a banner says the plots are stale.  The settings live in
:class:`workbench_diffusion_id.state.DiffusionIDState`; ``start()`` only lists the embedded
model's UNet modules (a run of the default takes a minute or more on a CPU: it starts when the
user presses Run).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.figures import FigureSource
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel
from workbench.gui.side_pane import progress_bar, set_progress, status_label
from workbench.gui.theme import theme_signals
from workbench.worker_process import in_worker_process

from .jobs import ModulesResult, ModulesSpec, RunResult, RunSpec, run_diffusion_id, run_modules
from .state import TABS, DiffusionIDState, parse_names
from .ui.plots import BarsView, GalleryView, ScatterView, StepsView, TwoNNView, step_index
from .ui.prompt_editor import PromptEditor

#: the banner over the plots when the settings no longer build the shown run's spec
#: the module listing that runs as the panel opens runs in a worker process: importing
#: diffusers and transformers (9 s) on a thread of the GUI's process held the GIL long enough
#: to freeze the window 0.2-0.37 s at a time (measured at load 10 on 2 cores).  A run stays on
#: the panel's thread: it spends its time in torch kernels, and in a worker (niced) it took
#: more than twice as long on a busy machine
MODULES_JOB = in_worker_process(run_modules)
RUN_JOB = run_diffusion_id

STALE = "Stale: the settings changed since this run was computed. Run again (Ctrl+Return) to update the plots."
#: the typed-text settings a run reads (a refused text stops the run with its message)
TEXT_INPUTS = ("prompts", "model", "lm", "layers", "estimators")


class DiffusionIDPanel(Panel):
    """Intrinsic dimension of a diffusion model's bottleneck and latents per prompt vs perplexity."""

    state_model: DiffusionIDState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "diffusion_id")
        self.state_model = DiffusionIDState()
        #: the run on screen (a partial one while a run is going)
        self.result: RunResult | None = None
        self.modules: ModulesResult | None = None
        self.stale = False
        self._running: JobHandle | None = None
        self._modules_job: JobHandle | None = None
        self.build_in_steps(self._build_steps())

    def _build_steps(self) -> Iterator[None]:
        """The construction, a ``yield`` between its views (see ``Panel.build_in_steps``)."""
        yield from self._build()
        theme_signals().theme_changed.connect(self._theme_changed)
        self._theme_connected = True

    # ------------------------------------------------------------------ layout ------------
    def _build(self) -> Iterator[None]:
        st, bind = self.state_model, self.binder.bind

        def label(name: str) -> str:
            return st.field(name).label

        self.editor = PromptEditor(self.shell.show_error)
        bind(st, "prompts", self.editor.text)
        prompts_box = QGroupBox("Prompts")
        QVBoxLayout(prompts_box).addWidget(self.editor)

        self.model = QComboBox()
        bind(st, "model", self.model)
        self.model.addItem("default")
        self.model.setCurrentText(st.model)
        self.model_browse = QPushButton("…")
        self.model_browse.setMaximumWidth(28)
        self.model_browse.setToolTip("choose a Stable Diffusion 1.x/2.x diffusers folder")
        self.model_browse.clicked.connect(lambda: self._browse("model", "Diffusion pipeline folder"))
        self.lm = QComboBox()
        bind(st, "lm", self.lm)
        self.lm.addItem("default")
        self.lm.setCurrentText(st.lm)
        self.lm_browse = QPushButton("…")
        self.lm_browse.setMaximumWidth(28)
        self.lm_browse.setToolTip("choose a causal language model folder (transformers, safetensors)")
        self.lm_browse.clicked.connect(lambda: self._browse("lm", "Language model folder"))
        self.n_images = bind(st, "n_images", QSpinBox())
        self.steps = bind(st, "steps", QSpinBox())
        self.guidance = bind(st, "guidance", QDoubleSpinBox())
        self.seed = bind(st, "seed", QSpinBox())
        self.batch_size = bind(st, "batch_size", QSpinBox())
        self.device = QComboBox()
        bind(st, "device", self.device)
        self.threads = bind(st, "threads", QSpinBox())
        gen_box = QGroupBox("Generation")
        f = QFormLayout(gen_box)
        for name, w, b in (("model", self.model, self.model_browse), ("lm", self.lm, self.lm_browse)):
            row = QHBoxLayout()
            row.addWidget(w, 1)
            row.addWidget(b)
            f.addRow(label(name), row)
        for name in ("n_images", "steps", "guidance", "seed", "batch_size", "device", "threads"):
            f.addRow(label(name), getattr(self, name))

        self.layers = bind(st, "layers", QLineEdit())
        self.module_pick = QComboBox()
        self.module_pick.setToolTip("the UNet's modules (dotted names); Add puts the chosen one in the layers")
        self.module_pick.setMinimumContentsLength(14)
        self.module_add = QPushButton("Add")
        self.module_add.setMaximumWidth(56)
        self.module_add.clicked.connect(self.add_module)
        self.module_list_btn = QPushButton("List")
        self.module_list_btn.setMaximumWidth(56)
        self.module_list_btn.setToolTip("list the UNet modules of the chosen model")
        self.module_list_btn.clicked.connect(self.list_modules)
        self.estimators = bind(st, "estimators", QLineEdit())
        self.n_boot = bind(st, "n_boot", QSpinBox())
        self.level = bind(st, "level", QDoubleSpinBox())
        est_box = QGroupBox("Layers and estimators")
        f = QFormLayout(est_box)
        f.addRow(label("layers"), self.layers)
        row = QHBoxLayout()
        row.addWidget(QLabel("UNet module"))
        row.addWidget(self.module_pick, 1)
        row.addWidget(self.module_add)
        row.addWidget(self.module_list_btn)
        f.addRow(row)
        for name in ("estimators", "n_boot", "level"):
            f.addRow(label(name), getattr(self, name))

        self.run_btn = QPushButton("Run")
        self.run_btn.setToolTip("generate, capture and estimate (Ctrl+Return)")
        self.run_btn.clicked.connect(self.run)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("stop the run; the last complete result stays (Esc)")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_run)
        self.export_btn = QPushButton("Export table…")
        self.export_btn.setToolTip("every number of the shown run: results.csv, correlations.csv, results.json")
        self.export_btn.clicked.connect(self._export_dialog)
        self.add_shortcut("Ctrl+Return", self.run)
        self.add_shortcut("Escape", self.cancel_run, "Cancel the run")
        buttons = QHBoxLayout()
        for b in (self.run_btn, self.cancel_btn, self.export_btn):
            buttons.addWidget(b)
        self.progress = progress_bar(with_text=False)
        self.status = status_label()

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(prompts_box, 1)
        lv.addWidget(gen_box)
        lv.addWidget(est_box)
        lv.addLayout(buttons)
        lv.addWidget(self.progress)
        lv.addWidget(self.status)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(300)
        for combo in (self.model, self.lm, self.module_pick, self.device):
            # long folder names and module names must not widen the settings column
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)

        # ---- right: the view choices, the stale banner, the plots ----
        self.view_estimator = bind(st, "view_estimator", QComboBox())
        self.view_step = QSpinBox()
        self.view_step.setSpecialValueText("last")
        bind(st, "view_step", self.view_step)
        self.view_prompt = bind(st, "view_prompt", QSpinBox())
        view_row = QHBoxLayout()
        for name in ("view_estimator", "view_step", "view_prompt"):
            view_row.addWidget(QLabel(label(name)))
            view_row.addWidget(getattr(self, name))
        view_row.addStretch(1)
        self.banner = QLabel(STALE)
        self.banner.setObjectName("stale_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("QLabel#stale_banner { background: #f2c14e; color: #202020; padding: 4px; }")
        self.banner.hide()

        yield
        self.bars = BarsView()
        yield
        self.scatter = ScatterView()
        yield
        self.steps_view = StepsView()
        yield
        self.twonn = TwoNNView()
        yield
        self.gallery = GalleryView()
        yield
        self.tabs = QTabWidget()
        views: list[QWidget] = [self.bars, self.scatter, self.steps_view, self.twonn, self.gallery]
        for widget, title in zip(views, TABS, strict=True):
            self.tabs.addTab(widget, title)
        self.tabs.setCurrentIndex(st.tab)
        self.tabs.currentChanged.connect(lambda i: setattr(st, "tab", int(i)))
        st.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addLayout(view_row)
        rv.addWidget(self.banner)
        rv.addWidget(self.tabs, 1)

        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(0, 0)
        split.setSizes([390, 810])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        for name in ("view_estimator", "view_step", "view_prompt"):
            st.add_callback(name, lambda _new, _old: self._draw())
        st.add_global_callback(lambda name, _new, _old: self._settings_changed(name))
        self.setMinimumSize(400, 300)

    def _browse(self, name: str, title: str) -> None:
        path = QFileDialog.getExistingDirectory(self, title, "")
        if path:
            combo = self.model if name == "model" else self.lm
            if combo.findText(path) < 0:
                combo.addItem(path)
            setattr(self.state_model, name, path)

    def _theme_changed(self, _theme: str = "") -> None:
        """The palette and pyqtgraph's axes follow the theme by themselves; redraw so the plot
        items pick up the new defaults."""
        self._draw()

    # ------------------------------------------------------------------ jobs --------------
    def start(self) -> None:
        """List the chosen model's UNet modules for the picker (cheap: no weights are loaded).
        A run starts only when asked: the default takes a minute or more on a CPU."""
        if self.result is None and self.kept("run") is None:
            self.status.setText("Press Run (Ctrl+Return) to generate images and estimate their intrinsic dimension.")
        self.list_modules()

    def list_modules(self) -> None:
        spec = ModulesSpec(model=self.state_model.model.strip() or "default")
        self._modules_job = self.submit(
            MODULES_JOB,
            spec,
            title="list UNet modules",
            on_result=self._modules_listed,
            on_error=lambda msg, _tb: self._modules_failed(msg),
            key="modules",
            quiet=True,
            # the run's lane: two threads importing transformers / diffusers for the first time
            # at once can fail ("cannot import name ..." from the lazy module)
        )

    def _modules_listed(self, res: ModulesResult) -> None:
        self.modules = res
        self.module_pick.clear()
        for name, cls in zip(res.names, res.classes, strict=True):
            self.module_pick.addItem(f"{name}  ({cls})", name)
        idx = self.module_pick.findData("mid_block")
        if idx >= 0:
            self.module_pick.setCurrentIndex(idx)

    def _modules_failed(self, message: str) -> None:
        self.modules = None
        self.module_pick.clear()
        self.module_pick.setToolTip(f"no modules listed: {message}")

    def add_module(self) -> None:
        name = self.module_pick.currentData()
        if not name:
            return
        try:
            layers = parse_names(self.state_model.layers)
        except ValueError:
            layers = []
        if name not in layers:
            self.state_model.layers = ",".join([*layers, str(name)])

    def _refused_inputs(self) -> list[str]:
        """Commit what is typed (a shortcut does not end an edit) and return the messages of the
        text settings the state refused."""
        self.binder.commit()
        messages = []
        for link in self.binder.links:
            if link.name in TEXT_INPUTS and link.widget.property("invalid"):
                messages.append(f"{link.field.label}: {link.widget.toolTip()}")
        return messages

    def run_spec(self) -> RunSpec:
        """The run the current settings describe (``ValueError`` with a message if none)."""
        return self.state_model.run_spec()

    def run(self) -> JobHandle | None:
        """Start a run with the current settings (a running one is cancelled first)."""
        refused = self._refused_inputs()
        if refused:
            self.shell.show_error("Run settings", "\n".join(refused))
            return None
        try:
            spec = self.run_spec()
        except ValueError as exc:
            self.shell.show_error("Run settings", str(exc))
            return None
        handle = self.submit(
            RUN_JOB,
            spec,
            title="diffusion ID run",
            on_result=lambda res: self._run_done(res, spec),
            on_partial=self._run_partial,
            on_progress=self._progress,
            on_error=lambda msg, _tb: self._run_failed(msg),
            key="run",
        )
        self._running = handle
        handle.done.connect(lambda: self._run_ended(handle))
        self.run_btn.setText("Restart")
        self.cancel_btn.setEnabled(True)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"running: {len(spec.prompts)} prompts x {spec.n_images} images x {spec.steps} steps…")
        return handle

    def cancel_run(self) -> None:
        if self._running is not None:
            self._running.cancel()

    def _progress(self, fraction: float, message: str) -> None:
        set_progress(self.progress, fraction)
        self.status.setText(message)

    def _run_partial(self, res: RunResult) -> None:
        self.result = res
        self._draw()

    def _run_done(self, res: RunResult, spec: RunSpec) -> None:
        self.keep_result("run", res, spec)
        self.result = res
        self._draw()
        self.status.setText(self._summary(res))
        self._settings_changed()

    def _run_failed(self, message: str) -> None:
        self.shell.show_error("Diffusion ID run failed", message)
        self._back_to_kept(f"run failed: {message}")

    def _run_ended(self, handle: JobHandle) -> None:
        if self._running is not handle:  # a newer run replaced it
            return
        self._running = None
        self.run_btn.setText("Run")
        self.cancel_btn.setEnabled(False)
        self.progress.hide()
        if handle.state == "cancelled":
            self._back_to_kept("cancelled")

    def _back_to_kept(self, why: str) -> None:
        """Show the last complete run again (a partial one is never kept)."""
        kept = self.kept("run")
        self.result = kept.result if kept is not None else None
        self._draw()
        if self.result is not None:
            self.status.setText(f"{why}; showing the last complete run. {self._summary(self.result)}")
        else:
            self.status.setText(f"{why}; no complete run yet.")
        self._settings_changed()

    # ------------------------------------------------------------------ drawing -----------
    def _estimator_index(self, res: RunResult) -> int:
        name = self.state_model.view_estimator
        return res.estimators.index(name) if name in res.estimators else 0

    def _draw(self) -> None:
        res = self.result
        if res is None or res.done == 0:
            for v in (self.bars, self.scatter, self.steps_view, self.twonn, self.gallery):
                v.reset()
            return
        st = self.state_model
        e = self._estimator_index(res)
        self.bars.draw(res, e, st.view_step)
        self.scatter.draw(res, e)
        self.steps_view.draw(res, e)
        self.twonn.draw(res, st.view_prompt, st.view_step)
        self.gallery.draw(res)

    @staticmethod
    def _summary(res: RunResult) -> str:
        lines = [
            f"{res.done} prompts x {res.n_images} images x {len(res.timesteps)} steps in {res.seconds:.1f} s "
            f"(model {res.model}, LM {res.lm})"
        ]
        for row in res.correlations:
            if row.step == -1 and row.estimator == res.estimators[0] and row.result.method == "pearson":
                c = row.result
                lines.append(f"{row.layer}: {row.estimator} vs perplexity r = {c.r:+.2f} [{c.low:+.2f}, {c.high:+.2f}]")
        if res.warnings:
            lines.append(f"{len(res.warnings)} warning(s), e.g. {res.warnings[0]}")
        return "\n".join(lines)

    def _settings_changed(self, name: str = "") -> None:
        """Show the stale banner when the kept run's spec differs from the one the settings build."""
        if name.startswith("view_") or name == "tab":
            return
        if self.kept("run") is None or self._running is not None:
            self.stale = False
        else:
            try:
                current: Any = self.run_spec()
            except ValueError:
                current = None
            self.stale = self.result_is_stale("run", current)
        self.banner.setVisible(self.stale)
        if name == "model":
            self.list_modules()

    # ------------------------------------------------------------------ results -----------
    def results_restored(self, names: list[str]) -> None:
        """Draw the run a session kept (or clear the plots) and mark it stale if the restored
        settings no longer build its spec."""
        kept = self.kept("run")
        self.result = kept.result if kept is not None else None
        self._draw()
        self.status.setText(self._summary(self.result) if self.result is not None else "")
        self._settings_changed()

    def export_table(self, folder: str | Path) -> list[Path]:
        """Write the shown run's numbers (results.csv, correlations.csv, results.json) into ``folder``."""
        from dataclasses import asdict

        from .report import write_tables

        if self.result is None:
            raise ValueError("nothing to export: no run yet")
        kept = self.kept("run")
        spec = kept.inputs if kept is not None and kept.result is self.result else None
        settings = {k: v for k, v in asdict(spec).items() if k != "prompts"} if spec is not None else {}
        return write_tables(self.result, folder, spec=settings)

    def _export_dialog(self) -> None:
        if self.result is None:
            self.shell.show_error("Export table", "nothing to export: no run yet")
            return
        folder = QFileDialog.getExistingDirectory(self, "Export the numbers into a folder", "")
        if folder:
            try:
                written = self.export_table(folder)
            except (OSError, ValueError) as exc:
                self.shell.show_error("Export table", str(exc))
                return
            self.shell.log(f"wrote {', '.join(p.name for p in written)} to {folder}", "info", self.plugin_id)

    # ------------------------------------------------------------------ figures -----------
    def caption(self, what: str) -> str:
        """What a figure shows: model, language model, images, steps, estimator, step."""
        res = self.result
        if res is None:
            return ""
        st = self.state_model
        est = res.estimators[self._estimator_index(res)]
        si = step_index(res, st.view_step) + 1
        stale = " [stale: the settings have changed since]" if self.stale else ""
        partial = f" [partial: {res.done} of {len(res.prompts)} prompts]" if res.done < len(res.prompts) else ""
        return (
            f"{what}. Model {res.model}; LM {res.lm}; {res.n_images} images per prompt, "
            f"{len(res.timesteps)} denoising steps, guidance {res.guidance:g}, seed {res.seed}; estimator {est}"
            + (f"; step {si}" if what in ("ID per prompt", "TwoNN fit") else "")
            + f"{partial}{stale}. Kvinge et al. 2023 (arXiv 2302.09301)."
        )

    def figures(self) -> list[FigureSource]:
        from workbench.gui.captioned import captioned_figures

        views = (self.bars, self.scatter, self.steps_view, self.twonn, self.gallery)
        names = ("id_per_prompt", "id_vs_perplexity", "id_vs_step", "twonn_fit", "gallery")
        figs = [(name, view, title, view.data) for name, view, title in zip(names, views, TABS, strict=True)]
        return list(captioned_figures(figs, dict, self.caption))

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        if self._theme_connected:
            self._theme_connected = False
            theme_signals().theme_changed.disconnect(self._theme_changed)
        return super().shutdown(timeout_ms)
