"""The PGD attack explorer panel: a thin Qt view over :mod:`workbench_adversarial.jobs`.

Left: model (zoo or a local TorchScript / state-dict file), data subset, norm p, eps, steps,
subspace kind and dim V, sweep grids.  Right: tabs with the example grid of a single attack
(clean | perturbation | support | adversarial), the success curves with the linear-model
overlay, the collapse plot and the collapse spread vs exponent.  Attacks and sweeps are jobs
(progress, Cancel); sweep cells are drawn as they arrive.

The settings live in :class:`workbench_adversarial.state.AdversarialState` (Qt-free); the
widgets are bound to it and the job specs are built from it.  The last attack and the last
sweep table are kept results: sessions save them and give them back without recomputing, and
the status line marks a shown result as stale when the settings no longer build its spec.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtGui import QKeySequence, QShortcut
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

from workbench.gui.figures import FigureSource
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel

from .jobs import AttackJobResult, AttackSpec, SweepSpec, run_attack, run_sweep_job
from .state import P_PRESETS, TABS, AdversarialState
from .ui.attack_grid import AttackGrid
from .ui.sweep_plots import SweepPlots

#: appended to the status of a shown result whose spec the current settings no longer build
STALE = " (stale: settings changed since this was computed)"
#: the kept results, in the order the status line shows them
RESULTS = ("attack", "sweep")
#: the typed-text settings each job reads (a refused text stops the job with its message)
TEXT_INPUTS = {"attack": ("path", "classes", "p"), "sweep": ("path", "classes", "p", "dims", "eps_list")}


class AdversarialPanel(Panel):
    """PGD attacks restricted to subspaces; sweeps over dim V and eps; the collapse plot."""

    state_model: AdversarialState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "adversarial")
        self.state_model = AdversarialState()
        self.attack_result: AttackJobResult | None = None
        self.sweep_table: Any = None
        #: per kept result: whether the current settings would compute it from other inputs
        self.stale = dict.fromkeys(RESULTS, False)
        self._summary: dict[str, str] = {}
        self._running: dict[str, tuple[JobHandle, str]] = {}
        self._build()

    # ------------------------------------------------------------------ layout ------------
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

        self.attack_btn = QPushButton("Attack")
        self.attack_btn.setToolTip("Ctrl+Return")
        self.sweep_btn = QPushButton("Run sweep")
        self.sweep_btn.setToolTip("Ctrl+Shift+Return")
        self.cancel_btn = QPushButton("Cancel")
        self.attack_btn.clicked.connect(self.run_attack)
        self.sweep_btn.clicked.connect(self.run_sweep)
        self.cancel_btn.clicked.connect(self.cancel_jobs)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.run_attack)
        QShortcut(QKeySequence("Ctrl+Shift+Return"), self, activated=self.run_sweep)
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
        self.plots = SweepPlots()
        self.tabs = QTabWidget()
        collapse_tab = QSplitter()
        collapse_tab.addWidget(self.plots.collapse)
        collapse_tab.addWidget(self.plots.spread)
        collapse_tab.setSizes([600, 300])
        for widget, title in zip((self.grid, self.plots.curves, collapse_tab), TABS, strict=True):
            self.tabs.addTab(widget, title)
        self.tabs.setCurrentIndex(st.tab)
        self.tabs.currentChanged.connect(lambda i: setattr(st, "tab", int(i)))
        st.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))

        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 900])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        st.add_callback("source", lambda new, _old: self._source_changed(new))
        st.add_global_callback(lambda _name, _new, _old: self._settings_changed())
        self._source_changed(st.source)
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
            self.state_model.update(change)

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
            run_attack, spec, title="PGD attack", on_result=lambda res: self._attack_done(res, spec), key="attack"
        )
        self._job_started("attack", handle, "attacking…")

    def run_sweep(self) -> None:
        spec = self._spec_or_error("sweep", self.sweep_spec)
        if spec is None:
            return
        self.state_model.tab = 1
        handle = self.submit(
            run_sweep_job,
            spec,
            title="PGD sweep",
            on_result=lambda t: self._sweep_done(t, spec),
            on_partial=lambda t: self._sweep_partial(t, spec),
            key="sweep",
        )
        self._job_started("sweep", handle, "sweeping…")

    def _job_started(self, name: str, handle: JobHandle, text: str) -> None:
        self._running[name] = (handle, text)
        handle.done.connect(lambda: self._job_ended(name, handle))
        self._refresh_status()

    def _job_ended(self, name: str, handle: JobHandle) -> None:
        if self._running.get(name, (None, ""))[0] is handle:  # not a newer job of the same kind
            del self._running[name]
            self._refresh_status()

    def _attack_done(self, res: AttackJobResult, spec: AttackSpec) -> None:
        self.keep_result("attack", res, spec)
        self._show_attack(res)
        self._settings_changed()

    def _sweep_partial(self, table: Any, spec: SweepSpec) -> None:
        self.keep_result("sweep", table, spec)  # what is drawn is what a session keeps
        self._show_sweep(table, running=True)
        self._settings_changed()

    def _sweep_done(self, table: Any, spec: SweepSpec) -> None:
        self.keep_result("sweep", table, spec)
        self._show_sweep(table)
        self._settings_changed()

    # ------------------------------------------------------------------ drawing -----------
    def _show_attack(self, res: AttackJobResult | None) -> None:
        self.attack_result = res
        if res is None:
            self.grid.reset()
            self._summary.pop("attack", None)
            return
        self.grid.show_examples(res.examples, res.class_names)
        p = "inf" if math.isinf(res.p) else f"{res.p:g}"
        self._summary["attack"] = (
            f"{res.model}: l_{p}, eps {res.eps:g}, {res.kind} dim V = {res.dim}/{res.n_input}: success "
            f"{res.successes}/{res.n_correct} = {res.success_rate:.3f} (95% CI {res.ci_low:.3f}-{res.ci_high:.3f}) "
            f"of correctly classified; clean accuracy {res.clean_accuracy:.3f}; {res.seconds:.2f} s on {res.device}"
        )

    def _show_sweep(self, table: Any, running: bool = False) -> None:
        self.sweep_table = table
        if table is None:
            self.plots.reset()
            self._summary.pop("sweep", None)
            return
        self.plots.draw(table)
        cq = table.collapse
        if running:
            self._summary["sweep"] = f"sweep: {len(table.cells)} cells done"
        elif cq is None:
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
        self._refresh_status()

    def _refresh_status(self) -> None:
        lines = [text for _handle, text in self._running.values()]
        for name in RESULTS:
            if name in self._summary:
                lines.append(self._summary[name] + (STALE if self.stale[name] else ""))
        self.status.setText("\n".join(lines))

    # ------------------------------------------------------------------ results -----------
    def results_restored(self, names: list[str]) -> None:
        """Draw the attack and the sweep a session kept (or clear what it did not keep) and mark
        those computed with other settings than the restored ones as stale."""
        attack, sweep = self.kept("attack"), self.kept("sweep")
        self._show_attack(attack.result if attack is not None else None)
        self._show_sweep(sweep.result if sweep is not None else None)
        self._settings_changed()

    # ------------------------------------------------------------------ figures -----------
    def figures(self) -> list[FigureSource]:
        return [
            FigureSource("attack_grid", widget=self.grid, data=self.grid.data, title="PGD examples"),
            FigureSource(
                "success_curves", widget=self.plots.curves, data=self.plots.data_curves, title="Success vs eps"
            ),
            FigureSource("collapse", widget=self.plots.collapse, data=self.plots.data_curves, title="Collapse plot"),
            FigureSource(
                "collapse_spread",
                widget=self.plots.spread,
                data=self.plots.data_spread,
                title="Collapse spread vs exponent",
            ),
        ]
