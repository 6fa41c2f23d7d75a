"""The PGD attack explorer panel: a thin Qt view over :mod:`workbench_adversarial.jobs`.

Left: model (zoo or a local TorchScript / state-dict file), data subset, norm p, eps, steps,
subspace kind and dim V (what the input size makes of it is said under the box), sweep grids.
Right: an amber banner (stale results, failed or cancelled jobs, and what the last results
warn of: dims clamped or merged, inputs without any feasible perturbation), then tabs with the
example grid of a single attack (clean | perturbation | support | adversarial), the success
curves with the linear-model overlay beside the list of sweeps (earlier ones overlaid,
dashed, when checked), the collapse plot and the collapse spread vs exponent.  Attacks and
sweeps are jobs (progress with an ETA, Cancel); sweep cells are drawn as they arrive, at
most every :data:`PARTIAL_MS`, incrementally.

The settings live in :class:`workbench_adversarial.state.AdversarialState` (Qt-free); the
widgets are bound to it and the job specs are built from it.  Kept results (sessions save
them and give them back without recomputing): the last attack, the current sweep (the last
*complete* one: a running sweep is drawn over it, and a cancelled or failed sweep never
replaces it) and the earlier sweeps with their shown flags.  A shown result whose spec the
settings no longer build is marked stale in the status line, the banner and its plot titles.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.cluster import Backend
from workbench.gui.figures import FigureSource, paint_widget
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel, figures_for_menus
from workbench.gui.theme import plot_theme, theme_signals
from workbench.worker_process import in_worker_process, prewarm

from .core.data import cached_shape
from .core.norms import p_label
from .core.subspace import dimension_note
from .jobs import (
    AttackJobResult,
    AttackSpec,
    SweepHistory,
    SweepSpec,
    few_threads,
    run_attack,
    run_sweep_one_thread,
    run_sweep_split,
    sweep_label,
)
from .state import P_PRESETS, TABS, AdversarialState
from .ui.attack_grid import AttackGrid
from .ui.figure_paint import titled
from .ui.sweep_history import SweepHistoryList
from .ui.sweep_plots import SweepPlots

#: appended to the status of a shown result whose spec the current settings no longer build
STALE = " (stale: settings changed since this was computed)"
#: the kept results, in the order the status line shows them
RESULTS = ("attack", "sweep")
#: the typed-text settings each job reads (a refused text stops the job with its message)
TEXT_INPUTS = {"attack": ("path", "classes", "p"), "sweep": ("path", "classes", "p", "dims", "eps_list")}
#: partial sweep tables are drawn at most this often (ms); the last one and the result at once
PARTIAL_MS = 250
#: earlier sweeps kept at most (the oldest are forgotten first)
MAX_EARLIER = 20


#: the panel's jobs: one torch thread each (:func:`workbench_adversarial.jobs.few_threads`).
#: The sweep runs in a worker process (workbench.worker_process): on a panel thread its
#: Python (PGD steps of small CNNs: the time is in op dispatch, with the GIL held) starved the
#: GUI thread.  bench_gui_stall.py --flows pgd, load 3.6-6.1 on 2 cores, three runs each:
#: GUI-thread p99 67-121 ms -> 28-40 ms, max 156-265 -> 126-314 ms (what is left is the
#: panel's own painting of the curves).  The attack stays on the thread (its first run loads
#: the model and data the panel shows).
ATTACK_JOB = few_threads(run_attack)
SWEEP_JOB = in_worker_process(run_sweep_one_thread)
#: what a worker imports ahead of the first sweep (when a sweep tab is first shown)
SWEEP_MODULES = ("workbench_adversarial.jobs", "sklearn.datasets")


def cluster_sweep_job(backend: Backend) -> Callable[[SweepSpec, Any], Any]:
    """The sweep on a Dask cluster (Preferences > Compute is not "this process"): on the
    panel's thread, the sweep's parts are tasks of ``backend``
    (:func:`workbench_adversarial.jobs.run_sweep_split`: partial tables as parts finish, Cancel
    within about a second); the thread itself only loads the model and data once (to know the
    dims) and waits for the parts."""
    return few_threads(functools.partial(run_sweep_split, backend=backend))


@dataclass
class _Sweep:
    table: Any
    spec: SweepSpec
    label: str
    shown: bool = True


def attack_context(res: AttackJobResult) -> str:
    """An attack in one line: model, data, norm, eps, subspace, dim V, steps, success."""
    return (
        f"{res.model} on {res.dataset}: l_{p_label(res.p)}, eps {res.eps:g}, {res.kind} V, dim V = "
        f"{res.dim} of {res.n_input}, {res.steps} steps: success {res.successes}/{res.n_correct} = "
        f"{res.success_rate:.3f}"
    )


def sweep_context(t: Any) -> str:
    """A sweep in one line: model, norm, subspace, n, steps."""
    return (
        f"{t.model}, l_{p_label(t.p)}, {t.kind} V, n = {t.n_samples} ({t.n_correct} correctly classified), "
        f"{t.steps} steps"
    )


class AdversarialPanel(Panel):
    """PGD attacks restricted to subspaces; sweeps over dim V and eps; the collapse plot."""

    state_model: AdversarialState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "adversarial")
        self.state_model = AdversarialState()
        self.attack_result: AttackJobResult | None = None
        #: the current sweep: the last complete one (None before)
        self.sweep_table: Any = None
        #: earlier complete sweeps, newest first
        self.earlier: list[_Sweep] = []
        #: per kept result: whether the current settings would compute it from other inputs
        self.stale = dict.fromkeys(RESULTS, False)
        #: per job: what happened to its last run (failed, cancelled), until one succeeds
        self.notes: dict[str, str] = {}
        self._summary: dict[str, str] = {}
        self._running: dict[str, tuple[JobHandle, str]] = {}
        self._sweeps_run = 0
        self._current_label = ""
        self._partial: tuple[Any, SweepSpec] | None = None
        self._sweep_warm = False
        self._partial_timer = QTimer(self)
        self._partial_timer.setSingleShot(True)
        self._partial_timer.setInterval(PARTIAL_MS)
        self._partial_timer.timeout.connect(self._draw_partial)
        self._status_timer = QTimer(self)  # progress messages refresh the status at most this often
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(PARTIAL_MS)
        self._status_timer.timeout.connect(self._refresh_status)
        self._build()
        theme_signals().theme_changed.connect(self._theme_changed)
        self._theme_connected = True

    # ------------------------------------------------------------------ layout ------------
    def _build_next_plot(self) -> None:
        if self.plots.build_next() is not None and not self.plots.built:
            QTimer.singleShot(1, self, self._build_next_plot)  # 1 ms, a timer: its own turn
        elif self.plots.built:
            self.figures_changed.emit()  # the shell gives the new plots their menus

    def _build(self) -> None:
        st, bind = self.state_model, self.binder.bind
        # every widget takes its range, choices and tooltip from its state field
        self.source = bind(st, "source", QComboBox())
        self.model = bind(st, "model", QComboBox())
        self.path = bind(st, "path", QLineEdit())
        browse = QPushButton("…")
        browse.setMaximumWidth(28)
        browse.clicked.connect(self._browse)
        self.arch = bind(st, "arch", QComboBox())
        self.dataset = bind(st, "dataset", QComboBox())
        self.n = bind(st, "n", QSpinBox())
        self.classes = bind(st, "classes", QLineEdit())
        self.seed = bind(st, "seed", QSpinBox())
        self.p = QComboBox()
        self.p.addItems(P_PRESETS)
        bind(st, "p", self.p)  # editable: presets or any p >= 1
        self.eps = bind(st, "eps", QDoubleSpinBox())
        self.steps = bind(st, "steps", QSpinBox())
        self.step_factor = bind(st, "step_factor", QDoubleSpinBox())
        self.random_start = bind(st, "random_start", QCheckBox(st.field("random_start").label))
        self.restarts = bind(st, "restarts", QSpinBox())
        self.target = bind(st, "target", QComboBox())
        self.kind = bind(st, "kind", QComboBox())
        self.dim = bind(st, "dim", QSpinBox())
        self.dims = bind(st, "dims", QLineEdit())
        self.eps_list = bind(st, "eps_list", QLineEdit())
        self.sweep_steps = bind(st, "sweep_steps", QSpinBox())
        #: what the input size makes of dim V (clamped, whole pixels, ignored), "" when nothing
        self.dim_hint = QLabel("")
        self.dim_hint.setWordWrap(True)
        self.dim_hint.setObjectName("dim-hint")

        self.attack_btn = QPushButton("Attack")
        self.attack_btn.setToolTip("Ctrl+Return")
        self.sweep_btn = QPushButton("Run sweep")
        self.sweep_btn.setToolTip("Ctrl+Shift+Return")
        self.cancel_btn = QPushButton("Cancel")
        self.attack_btn.clicked.connect(self.run_attack)
        self.sweep_btn.clicked.connect(self.run_sweep)
        self.cancel_btn.clicked.connect(self.cancel_jobs)
        self.add_shortcut("Ctrl+Return", self.run_attack)
        self.add_shortcut("Ctrl+Shift+Return", self.run_sweep)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("status")

        def label(name: str) -> str:
            return st.field(name).label

        model_box = QGroupBox("Model and data")
        f = QFormLayout(model_box)
        f.addRow(label("source"), self.source)
        f.addRow(label("model"), self.model)
        row = QHBoxLayout()
        row.addWidget(self.path)
        row.addWidget(browse)
        f.addRow(label("path"), row)
        for name in ("arch", "dataset", "n", "classes", "seed"):
            f.addRow(label(name), getattr(self, name))
        atk_box = QGroupBox("Attack")
        f = QFormLayout(atk_box)
        for name in ("p", "eps", "steps", "step_factor"):
            f.addRow(label(name), getattr(self, name))
        f.addRow("", self.random_start)
        for name in ("restarts", "target", "kind", "dim"):
            f.addRow(label(name), getattr(self, name))
        f.addRow(self.dim_hint)
        sw_box = QGroupBox("Sweep")
        f = QFormLayout(sw_box)
        f.addRow(label("dims"), self.dims)
        f.addRow(label("eps_list"), self.eps_list)
        f.addRow("steps", self.sweep_steps)
        buttons = QHBoxLayout()
        for b in (self.attack_btn, self.sweep_btn, self.cancel_btn):
            buttons.addWidget(b)

        left = QWidget()
        lv = QVBoxLayout(left)
        for w in (model_box, atk_box, sw_box):
            lv.addWidget(w)
        lv.addLayout(buttons)
        lv.addWidget(self.status)
        lv.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(250)

        self.grid = AttackGrid()
        self.history = SweepHistoryList()
        self.history.shown_changed.connect(self._shown_changed)
        self.history.remove_requested.connect(self._remove_sweep)
        self.history.clear_requested.connect(self._clear_earlier)
        curves_split = QSplitter()
        curves_split.addWidget(self.history)
        collapse_split = QSplitter()

        def place(name: str, widget: QWidget) -> None:
            if name == "curves":
                curves_split.insertWidget(0, widget)
                curves_split.setStretchFactor(0, 4)
                curves_split.setStretchFactor(1, 1)
                curves_split.setSizes([700, 220])
            else:
                collapse_split.addWidget(widget)
                if name == "spread":
                    collapse_split.setSizes([600, 300])

        # the three plots are made in later turns of the event loop, one per turn (made at once
        # they held the GUI thread 90-230 ms as the panel opened); using one makes the rest
        self.plots = SweepPlots(staged=True, on_built=place)
        QTimer.singleShot(1, self, self._build_next_plot)  # 1 ms, a timer: not in this turn
        curves_tab, collapse_tab = QWidget(), QWidget()
        for tab, header, body in (
            (curves_tab, self.plots.headers[0], curves_split),
            (collapse_tab, self.plots.headers[1], collapse_split),
        ):
            tl = QVBoxLayout(tab)
            tl.setContentsMargins(0, 0, 0, 0)
            tl.addWidget(header)
            tl.addWidget(body, 1)
        self.tabs = QTabWidget()
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.setUsesScrollButtons(True)
        tab_widgets: tuple[QWidget, ...] = (self.grid, curves_tab, collapse_tab)
        for widget, title in zip(tab_widgets, TABS, strict=True):
            self.tabs.addTab(widget, title)
        self.tabs.setCurrentIndex(st.tab)
        self.tabs.currentChanged.connect(lambda i: setattr(st, "tab", int(i)))
        self.tabs.currentChanged.connect(self._tab_shown)
        st.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))

        #: stale results, failed or cancelled jobs, and what the results warn of
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.banner)
        rl.addWidget(self.tabs, 1)
        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 900])
        split.setChildrenCollapsible(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        st.add_callback("source", lambda new, _old: self._source_changed(new))
        st.add_global_callback(lambda _name, _new, _old: self._settings_changed())
        self._source_changed(st.source)
        self.apply_theme()
        self.setMinimumSize(400, 300)

    def _source_changed(self, source: str) -> None:
        """Enable the widgets that matter for ``source`` (the state keeps a zoo model's dataset)."""
        zoo = source == "zoo"
        self.model.setEnabled(zoo)
        self.path.setEnabled(not zoo)
        self.dataset.setEnabled(not zoo)
        self.arch.setEnabled(source == "state_dict")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Model file", "", "Models (*.pt *.pth *.safetensors);;All files (*)"
        )
        if path:
            change: dict[str, Any] = {"path": path}
            if self.state_model.source == "zoo":
                change["source"] = "state_dict" if path.endswith(".safetensors") else "torchscript"
            self.apply_settings(change, "Model file")

    def _theme_changed(self, _theme: str) -> None:
        if not self._shut_down:
            self.apply_theme()

    def apply_theme(self) -> None:
        """Colours of the current theme for what the shell's theme does not reach: the grid's and
        the plots' own text, the banner."""
        dark = plot_theme().dark
        self.banner.setStyleSheet(
            "QLabel { background: #4a3b10; color: #ffe08a; border: 1px solid #8a6d1c; padding: 4px; }"
            if dark
            else "QLabel { background: #fff3cd; color: #5c4400; border: 1px solid #e0c060; padding: 4px; }"
        )
        self.grid.apply_theme()
        self.plots.apply_theme()

    # ------------------------------------------------------------------ specs -------------
    def attack_spec(self) -> AttackSpec:
        """The attack the current settings describe (``ValueError`` with a message if none)."""
        return self.state_model.attack_spec()

    def sweep_spec(self) -> SweepSpec:
        """The sweep the current settings describe (``ValueError`` with a message if none)."""
        return self.state_model.sweep_spec()

    # ------------------------------------------------------------------ jobs --------------
    def start(self) -> None:
        """The embedded default: attack with the current settings, unless a session has
        already put an attack result back (it is shown as it was, not recomputed)."""
        if self.kept("attack") is None:
            self.run_attack()

    def _refused_inputs(self, names: tuple[str, ...]) -> list[str]:
        """Commit what is typed in the text boxes of ``names`` (a keyboard shortcut does not end
        an edit) and return the messages of those whose text the state refused."""
        messages = []
        for link in self.binder.links:
            if link.name not in names:
                continue
            if isinstance(link.widget, QLineEdit):
                link.widget.editingFinished.emit()
            if link.widget.property("invalid"):
                messages.append(link.widget.toolTip())
        return messages

    def _spec_or_error(self, job: str, build: Any) -> Any:
        title = f"{job.capitalize()} settings"
        refused = self._refused_inputs(TEXT_INPUTS[job])
        if refused:
            self.shell.show_error(title, "\n".join(refused))
            return None
        try:
            return build()
        except ValueError as exc:
            self.shell.show_error(title, str(exc))
            return None

    def run_attack(self) -> None:
        spec = self._spec_or_error("attack", self.attack_spec)
        if spec is None:
            return
        handle = self.submit(
            ATTACK_JOB, spec, title="PGD attack", on_result=lambda res: self._attack_done(res, spec), key="attack"
        )
        self._job_started("attack", handle, "attacking…")

    def _tab_shown(self, index: int) -> None:
        """A sweep tab shown for the first time: a worker process imports torch and the data
        sets' modules ahead of the first sweep (several seconds on a busy machine)."""
        if index >= 1 and not self._sweep_warm:
            self._sweep_warm = True
            prewarm(SWEEP_MODULES)

    def run_sweep(self) -> None:
        spec = self._spec_or_error("sweep", self.sweep_spec)
        if spec is None:
            return
        try:
            backend = self.shell.preferences().backend()
        except ValueError as exc:  # a scheduler file deleted since it was chosen
            self.shell.show_error("Cannot run the sweep", f"{exc} (Preferences > Compute)")
            return
        self.state_model.tab = 1
        handle = self.submit(
            SWEEP_JOB if backend.kind == "process" else cluster_sweep_job(backend),
            spec,
            title="PGD sweep" if backend.kind == "process" else f"PGD sweep on {backend.text()}",
            on_result=lambda t: self._sweep_done(t, spec),
            on_partial=lambda t: self._sweep_partial(t, spec),
            key="sweep",
        )
        self._job_started("sweep", handle, "sweeping…")

    def _job_started(self, name: str, handle: JobHandle, text: str) -> None:
        self._running[name] = (handle, text)
        self.notes.pop(name, None)
        handle.done.connect(lambda: self._job_ended(name, handle))
        handle.failed.connect(lambda msg, _tb: self._job_note(name, handle, f"failed: {msg}"))
        handle.cancelled.connect(lambda: self._job_note(name, handle, "was cancelled"))
        handle.progress.connect(lambda f, m: self._job_progress(name, handle, text, f, m))
        self._refresh_status()

    def _job_progress(self, name: str, handle: JobHandle, text: str, fraction: float, message: str) -> None:
        if self._running.get(name, (None, ""))[0] is handle:
            self._running[name] = (handle, f"{text} {100 * fraction:.0f} %: {message}" if message else text)
            if not self._status_timer.isActive():
                self._status_timer.start()

    def _job_note(self, name: str, handle: JobHandle, what: str) -> None:
        """A failed or cancelled job: the last complete result stays (said in the banner)."""
        if self._running.get(name, (None, ""))[0] is not handle:
            return  # replaced by a newer job of the same kind
        if name == "sweep":
            done = len(self._partial[0].cells) if self._partial is not None else 0
            total = len(handle.spec.eps_values) * len(handle.spec.dims)
            kept = "the previous sweep is shown" if self.sweep_table is not None else "no sweep is shown"
            self.notes[name] = f"sweep {what} after {done} of about {total} cells; {kept}"
            self._partial = None
            self._partial_timer.stop()
            self._redraw_sweeps()
        else:
            kept = "the previous attack is shown" if self.attack_result is not None else "no attack is shown"
            self.notes[name] = f"attack {what}; {kept}"

    def _job_ended(self, name: str, handle: JobHandle) -> None:
        if self._running.get(name, (None, ""))[0] is handle:  # not a newer job of the same kind
            del self._running[name]
            self._refresh_status()

    def _attack_done(self, res: AttackJobResult, spec: AttackSpec) -> None:
        self.keep_result("attack", res, spec)
        self._show_attack(res)
        self._settings_changed()

    def _sweep_partial(self, table: Any, spec: SweepSpec) -> None:
        """A partial table: drawn over the current sweep (never kept: a cancelled or failed
        sweep must not replace the last complete one), at most every PARTIAL_MS."""
        self._partial = (table, spec)
        if not self._partial_timer.isActive():
            self._partial_timer.start()

    def _draw_partial(self) -> None:
        if self._partial is None or self._shut_down:
            return
        table, _spec = self._partial
        self._summary["sweep"] = f"sweep: {len(table.cells)} cells done"
        self.plots.draw(table, self._overlays(running=True), running=True, context=sweep_context(table))
        self._refresh_status()

    def _sweep_done(self, table: Any, spec: SweepSpec) -> None:
        self._partial = None
        self._partial_timer.stop()
        if self.sweep_table is not None:
            prev = self.kept("sweep")
            self.earlier.insert(
                0, _Sweep(self.sweep_table, prev.inputs if prev is not None else spec, self._current_label, True)
            )
            del self.earlier[MAX_EARLIER:]
        self._sweeps_run += 1
        self._current_label = sweep_label(self._sweeps_run, table, spec)
        self.keep_result("sweep", table, spec)
        self._keep_history()
        self._show_sweep(table)
        self._settings_changed()

    # ------------------------------------------------------------------ sweep history -----
    def _keep_history(self) -> None:
        e = self.earlier
        self.keep_result(
            "sweep_history",
            SweepHistory([s.table for s in e], [s.spec for s in e], [s.label for s in e], [s.shown for s in e]),
        )
        self.history.set_sweeps(
            self._current_label if self.kept("sweep") is not None else None, [s.label for s in e], [s.shown for s in e]
        )

    def _overlays(self, running: bool = False) -> list[tuple[str, Any]]:
        """(label, table) of the sweeps drawn dashed: the checked earlier ones, and the current
        one while another runs."""
        out = [(self._current_label, self.sweep_table)] if running and self.sweep_table is not None else []
        return out + [(s.label, s.table) for s in self.earlier if s.shown]

    def _shown_changed(self, shown: list[bool]) -> None:
        for s, on in zip(self.earlier, shown, strict=False):
            s.shown = bool(on)
        self._keep_history()
        self._redraw_sweeps()

    def _remove_sweep(self, index: int) -> None:
        if 0 <= index < len(self.earlier):
            del self.earlier[index]
            self._keep_history()
            self._redraw_sweeps()

    def _clear_earlier(self) -> None:
        self.earlier.clear()
        self._keep_history()
        self._redraw_sweeps()

    def _redraw_sweeps(self) -> None:
        """The current sweep with its overlays (or the running one over them)."""
        if self._partial is not None:
            self._draw_partial()
            return
        t = self.sweep_table
        self.plots.draw(t, self._overlays(), stale=self.stale["sweep"], context=sweep_context(t) if t else "")

    # ------------------------------------------------------------------ drawing -----------
    def _show_attack(self, res: AttackJobResult | None) -> None:
        self.attack_result = res
        if res is None:
            self.grid.reset()
            self._summary.pop("attack", None)
            return
        self.grid.show_examples(res.examples, res.class_names, attack_context(res), self.stale["attack"])
        p = "inf" if math.isinf(res.p) else f"{res.p:g}"
        self._summary["attack"] = (
            f"{res.model}: l_{p}, eps {res.eps:g}, {res.kind} dim V = {res.dim}/{res.n_input}: success "
            f"{res.successes}/{res.n_correct} = {res.success_rate:.3f} (95% CI {res.ci_low:.3f}-{res.ci_high:.3f}) "
            f"of correctly classified; clean accuracy {res.clean_accuracy:.3f}; {res.seconds:.2f} s on {res.device}"
        )

    def _show_sweep(self, table: Any) -> None:
        self.sweep_table = table
        if table is None:
            self.plots.reset()
            self._summary.pop("sweep", None)
            return
        self._redraw_sweeps()
        cq = table.collapse
        if cq is None:
            self._summary["sweep"] = f"sweep incomplete: {len(table.cells)} cells (stopped before the end)"
        else:
            self._summary["sweep"] = (
                f"sweep done: {len(table.cells)} cells in {table.seconds:.1f} s; collapse spread "
                f"{cq.spread_theory:.3f} at 1/q vs {cq.spread_raw:.3f} on raw eps; best exponent "
                f"{cq.exponent_best:.3g} (theory {cq.exponent_theory:.3g})"
            )

    def _settings_changed(self) -> None:
        """Mark each kept result stale whose spec differs from the one the settings build now."""
        builders = {"attack": self.state_model.attack_spec, "sweep": self.state_model.sweep_spec}
        for name in RESULTS:
            if self.kept(name) is None:
                self.stale[name] = False
                continue
            try:
                current: Any = builders[name]()
            except ValueError:  # the settings describe no job at all (e.g. no model file yet)
                current = None
            self.stale[name] = self.result_is_stale(name, current)
        if self.grid.stale != self.stale["attack"]:
            self.grid.set_header(self.grid.context, self.stale["attack"])
        if self.plots.stale != self.stale["sweep"] and self._partial is None:
            self.plots.stale = self.stale["sweep"]
            self.plots._title_all()
        self._update_dim_hint()
        self._refresh_status()

    def _update_dim_hint(self) -> None:
        """What the input size makes of dim V, once the dataset's shape is known (no dataset is
        loaded on the GUI thread for it); dim V is disabled for the full space."""
        st = self.state_model
        self.dim.setEnabled(st.kind != "full")
        try:
            shape = cached_shape(AdversarialState.effective_dataset(st.to_dict()))
        except (KeyError, ValueError):
            shape = None
        note = dimension_note(st.kind, shape, st.dim) if shape is not None and st.kind != "full" else ""
        if st.kind == "full":
            note = "dim V is ignored: the full space attacks every input dimension"
        self.dim_hint.setText(note)
        self.dim_hint.setVisible(bool(note))

    def _refresh_status(self) -> None:
        lines = [text for _handle, text in self._running.values()]
        for name in RESULTS:
            if name in self._summary:
                lines.append(self._summary[name] + (STALE if self.stale[name] else ""))
        self.status.setText("\n".join(lines))
        banner = []
        for name, what in (("attack", "the attack shown"), ("sweep", "the sweep shown")):
            if self.stale[name]:
                banner.append(
                    f"stale: {what} was computed with other settings (press "
                    f"{'Attack' if name == 'attack' else 'Run sweep'})"
                )
            if name in self.notes:
                banner.append(self.notes[name])
        res, t = self.attack_result, self.sweep_table
        banner += [f"attack: {n}" for n in (res.notes if res is not None else [])]
        banner += [f"sweep: {n}" for n in (t.notes if t is not None else [])]
        banner += self._sweep_warnings(t)
        self.banner.setText("\n".join(banner))
        self.banner.setVisible(bool(banner))

    @staticmethod
    def _sweep_warnings(t: Any) -> list[str]:
        """Where low success in a sweep is no evidence of robustness: dims V whose feasible set
        is {0} for some inputs, or where PGD did not move at least a tenth of them."""
        if t is None:
            return []
        out = []
        for d in t.dims():
            cells = [c for c in t.cells if c.dim == d]
            zero, stuck, n = max(c.zero_feasible for c in cells), max(c.stuck for c in cells), cells[0].n
            if zero:
                out.append(
                    f"sweep: at dim V = {d}, {zero} of {n} inputs have no feasible perturbation (V cap "
                    "[-x, 1 - x] = {0}, linear program): their 'robustness' says nothing about the model"
                )
            elif stuck >= max(1, n // 10):
                out.append(f"sweep: at dim V = {d}, PGD did not move {stuck} of {n} inputs at some eps")
        return out

    # ------------------------------------------------------------------ results -----------
    def results_restored(self, names: list[str]) -> None:
        """Draw the attack and the sweeps a session kept (or clear what it did not keep) and mark
        those computed with other settings than the restored ones as stale."""
        attack, sweep, hist = self.kept("attack"), self.kept("sweep"), self.kept("sweep_history")
        self.notes.clear()
        self._partial = None
        h = hist.result if hist is not None and isinstance(hist.result, SweepHistory) else SweepHistory()
        self.earlier = [
            _Sweep(t, s, lab, on) for t, s, lab, on in zip(h.tables, h.specs, h.labels, h.shown, strict=True)
        ]
        self._sweeps_run = len(self.earlier) + (1 if sweep is not None else 0)
        self._current_label = (
            sweep_label(self._sweeps_run, sweep.result, sweep.inputs)
            if sweep is not None and isinstance(sweep.inputs, SweepSpec)
            else "current sweep"
        )
        self._show_attack(attack.result if attack is not None else None)
        self.grid.finish()  # a restored session is drawn whole at once
        self._show_sweep(sweep.result if sweep is not None else None)
        self.history.set_sweeps(
            self._current_label if sweep is not None else None,
            [s.label for s in self.earlier],
            [s.shown for s in self.earlier],
        )
        self._settings_changed()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        if self._theme_connected:
            self._theme_connected = False
            theme_signals().theme_changed.disconnect(self._theme_changed)
        return super().shutdown(timeout_ms)

    # ------------------------------------------------------------------ figures -----------
    def _attack_data(self) -> dict[str, Any]:
        res = self.attack_result
        self.grid.finish()
        out = self.grid.data()
        if res is not None:
            out.update(
                model=res.model,
                dataset=res.dataset,
                p=p_label(res.p),
                eps=res.eps,
                kind=res.kind,
                dim=res.dim,
                requested_dim=res.requested_dim,
                n_input=res.n_input,
                steps=res.steps,
                step_size=res.step_size,
                n_samples=res.n_samples,
                n_correct=res.n_correct,
                successes=res.successes,
                success_rate=res.success_rate,
                ci=[res.ci_low, res.ci_high],
                n_zero_feasible=res.n_zero_feasible,
                n_stuck=res.n_stuck,
                notes=list(res.notes),
                stale=self.stale["attack"],
            )
        return out

    def _paint_grid(self, painter: Any, rect: Any) -> None:
        """The example grid, whole (rows still being made are made first)."""
        self.grid.finish()
        paint_widget(self.grid, painter, rect)

    def is_idle(self) -> bool:
        """Also False while the example grid's rows are still being made."""
        return super().is_idle() and not self.grid.building

    def figures(self) -> list[FigureSource]:
        curves_title, collapse_title, spread_title = self.plots.titles()
        plots = self.plots

        def figure(name: str, widget: Any, data: Any, i: int, title: str) -> FigureSource:
            paint = titled(widget, lambda: plots.titles()[i], lambda: plots.stale)
            return FigureSource(name, widget=widget, data=data, title=title, paint=paint)

        grid = FigureSource(
            "attack_grid",
            widget=self.grid,
            data=self._attack_data,
            paint=self._paint_grid,
            title=self.grid.context or "PGD examples",
        )
        if figures_for_menus() and not plots.built:  # the staged plots get theirs once made
            return [grid]
        return [
            grid,
            figure("success_curves", plots.curves, plots.data_curves, 0, curves_title),
            figure("collapse", plots.collapse, plots.data_curves, 1, collapse_title),
            figure("collapse_spread", plots.spread, plots.data_spread, 2, spread_title),
        ]
