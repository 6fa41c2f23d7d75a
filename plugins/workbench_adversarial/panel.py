"""The PGD attack explorer panel: a thin Qt view over :mod:`workbench_adversarial.jobs`.

Left: model (zoo or a local TorchScript / state-dict file), data subset, norm p, eps, steps,
subspace kind and dim V, sweep grids.  Right: tabs with the example grid of a single attack
(clean | perturbation | support | adversarial), the success curves with the linear-model
overlay, the collapse plot and the collapse spread vs exponent.  Attacks and sweeps are jobs
(progress, Cancel); sweep cells are drawn as they arrive.
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
from workbench.gui.panel import Panel

from .core.data import dataset_names
from .core.subspace import KINDS
from .core.zoo import DEFAULT_MODEL, ModelRef, model_names, zoo_entry
from .jobs import TARGET_MODES, AttackSpec, SweepSpec, run_attack, run_sweep_job
from .ui.attack_grid import AttackGrid
from .ui.sweep_plots import SweepPlots

STATE_VERSION = 1
SOURCES = ("zoo", "torchscript", "state_dict")
ARCHS = ("linear", "mlp", "cnn")


def _parse_list(text: str, cast, what: str) -> tuple:
    items = [s for s in text.replace(";", ",").replace(" ", ",").split(",") if s]
    if not items:
        raise ValueError(f"{what}: give at least one value, e.g. 1, 2, 4")
    try:
        return tuple(cast(s) for s in items)
    except ValueError:
        raise ValueError(f"{what}: cannot read {text!r} as a comma-separated list of numbers") from None


def _parse_p(text: str) -> float:
    t = text.strip().lower()
    if t in ("inf", "linf", "infinity"):
        return math.inf
    try:
        v = float(t)
    except ValueError:
        raise ValueError(f"p must be a number >= 1 or 'inf', got {text!r}") from None
    if not v >= 1:
        raise ValueError(f"p must be >= 1 or 'inf', got {text!r}")
    return v


class AdversarialPanel(Panel):
    """PGD attacks restricted to subspaces; sweeps over dim V and eps; the collapse plot."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "adversarial")
        self.attack_result = None
        self.sweep_table = None
        self._build()

    # ------------------------------------------------------------------ layout ------------
    def _build(self) -> None:
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.model = QComboBox()
        self.model.addItems(model_names())
        self.model.setCurrentText(DEFAULT_MODEL)
        self.path = QLineEdit()
        self.path.setPlaceholderText("local .pt / .safetensors file")
        browse = QPushButton("…")
        browse.setMaximumWidth(28)
        browse.clicked.connect(self._browse)
        self.arch = QComboBox()
        self.arch.addItems(ARCHS)
        self.dataset = QComboBox()
        self.dataset.addItems(dataset_names())
        self.n = QSpinBox()
        self.n.setRange(1, 100000)
        self.n.setValue(150)
        self.classes = QLineEdit()
        self.classes.setPlaceholderText("all classes (or e.g. 0,3,8)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2 ** 31 - 1)
        self.p = QComboBox()
        self.p.setEditable(True)
        self.p.addItems(["2", "inf", "1", "1.5", "3"])
        self.eps = QDoubleSpinBox()
        self.eps.setDecimals(4)
        self.eps.setRange(0.0, 1000.0)
        self.eps.setSingleStep(0.05)
        self.eps.setValue(1.0)
        self.steps = QSpinBox()
        self.steps.setRange(1, 10000)
        self.steps.setValue(10)
        self.step_factor = QDoubleSpinBox()
        self.step_factor.setRange(0.01, 100.0)
        self.step_factor.setValue(2.5)
        self.step_factor.setToolTip("step size alpha = factor * eps / steps")
        self.random_start = QCheckBox("random start")
        self.random_start.setChecked(True)
        self.restarts = QSpinBox()
        self.restarts.setRange(1, 100)
        self.target = QComboBox()
        self.target.addItems(TARGET_MODES)
        self.kind = QComboBox()
        self.kind.addItems(KINDS)
        self.kind.setCurrentText("pixels")
        self.dim = QSpinBox()
        self.dim.setRange(1, 10 ** 7)
        self.dim.setValue(16)
        self.dims = QLineEdit("4, 8, 16, 32, 64")
        self.eps_list = QLineEdit("0.1, 0.2, 0.4, 0.7, 1, 1.5, 2, 3, 4")
        self.sweep_steps = QSpinBox()
        self.sweep_steps.setRange(1, 1000)
        self.sweep_steps.setValue(10)

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

        model_box = QGroupBox("Model and data")
        f = QFormLayout(model_box)
        f.addRow("source", self.source)
        f.addRow("zoo model", self.model)
        row = QHBoxLayout()
        row.addWidget(self.path)
        row.addWidget(browse)
        f.addRow("file", row)
        f.addRow("architecture", self.arch)
        f.addRow("dataset", self.dataset)
        f.addRow("test images", self.n)
        f.addRow("classes", self.classes)
        f.addRow("seed", self.seed)
        atk_box = QGroupBox("Attack")
        f = QFormLayout(atk_box)
        f.addRow("norm p", self.p)
        f.addRow("eps", self.eps)
        f.addRow("steps", self.steps)
        f.addRow("step factor", self.step_factor)
        f.addRow("", self.random_start)
        f.addRow("restarts", self.restarts)
        f.addRow("target", self.target)
        f.addRow("subspace", self.kind)
        f.addRow("dim V", self.dim)
        sw_box = QGroupBox("Sweep")
        f = QFormLayout(sw_box)
        f.addRow("dims V", self.dims)
        f.addRow("eps values", self.eps_list)
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
        self.tabs.addTab(self.grid, "Single attack")
        self.tabs.addTab(self.plots.curves, "Success curves")
        collapse_tab = QSplitter()
        collapse_tab.addWidget(self.plots.collapse)
        collapse_tab.addWidget(self.plots.spread)
        collapse_tab.setSizes([600, 300])
        self.tabs.addTab(collapse_tab, "Collapse")

        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 900])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        self.source.currentTextChanged.connect(self._source_changed)
        self.model.currentTextChanged.connect(self._model_changed)
        self._source_changed(self.source.currentText())
        self._model_changed(self.model.currentText())
        self.setMinimumSize(400, 300)

    def _source_changed(self, source: str) -> None:
        zoo = source == "zoo"
        self.model.setEnabled(zoo)
        self.path.setEnabled(not zoo)
        self.dataset.setEnabled(not zoo)
        self.arch.setEnabled(source == "state_dict")

    def _model_changed(self, name: str) -> None:
        """Show the zoo model's dataset (the dataset box matters only for user files)."""
        if self.source.currentText() == "zoo" and name in model_names():
            self.dataset.setCurrentText(zoo_entry(name).dataset)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Model file", "", "Models (*.pt *.pth *.safetensors);;All files (*)")
        if path:
            self.path.setText(path)
            if self.source.currentText() == "zoo":
                self.source.setCurrentText("state_dict" if path.endswith(".safetensors") else "torchscript")

    # ------------------------------------------------------------------ specs -------------
    def _model_ref(self) -> ModelRef:
        source = self.source.currentText()
        if source == "zoo":
            return ModelRef(kind="zoo", name=self.model.currentText())
        if not self.path.text().strip():
            raise ValueError("choose a model file (or switch the source to zoo)")
        return ModelRef(kind=source, name="", path=self.path.text().strip(),
                        arch=self.arch.currentText() if source == "state_dict" else "", dataset=self.dataset.currentText())

    def _classes(self) -> tuple[int, ...]:
        text = self.classes.text().strip()
        return _parse_list(text, int, "classes") if text else ()

    def attack_spec(self) -> AttackSpec:
        steps = self.steps.value()
        return AttackSpec(model=self._model_ref(), n=self.n.value(), classes=self._classes(), p=_parse_p(self.p.currentText()),
                          eps=self.eps.value(), steps=steps, step_size=self.step_factor.value() * self.eps.value() / steps,
                          kind=self.kind.currentText(), dim=self.dim.value(), random_start=self.random_start.isChecked(),
                          restarts=self.restarts.value(), target=self.target.currentText(), seed=self.seed.value())

    def sweep_spec(self) -> SweepSpec:
        return SweepSpec(model=self._model_ref(), n=self.n.value(), classes=self._classes(),
                         p=_parse_p(self.p.currentText()), kind=self.kind.currentText(),
                         dims=_parse_list(self.dims.text(), int, "dims V"),
                         eps_values=_parse_list(self.eps_list.text(), float, "eps values"),
                         steps=self.sweep_steps.value(), step_factor=self.step_factor.value(),
                         restarts=self.restarts.value(), random_start=self.random_start.isChecked(), seed=self.seed.value())

    # ------------------------------------------------------------------ jobs --------------
    def start(self) -> None:
        self.run_attack()

    def run_attack(self) -> None:
        try:
            spec = self.attack_spec()
        except ValueError as exc:
            self.shell.show_error("Attack settings", str(exc))
            return
        self.status.setText("attacking…")
        self.submit(run_attack, spec, title="PGD attack", on_result=self._attack_done, key="attack")

    def run_sweep(self) -> None:
        try:
            spec = self.sweep_spec()
        except ValueError as exc:
            self.shell.show_error("Sweep settings", str(exc))
            return
        self.status.setText("sweeping…")
        self.tabs.setCurrentIndex(1)
        self.submit(run_sweep_job, spec, title="PGD sweep", on_result=self._sweep_done, on_partial=self._sweep_partial,
                    key="sweep")

    def _attack_done(self, res: Any) -> None:
        self.attack_result = res
        self.grid.show_examples(res.examples, res.class_names)
        p = "inf" if math.isinf(res.p) else f"{res.p:g}"
        self.status.setText(
            f"{res.model}: l_{p}, eps {res.eps:g}, {res.kind} dim V = {res.dim}/{res.n_input}: success "
            f"{res.successes}/{res.n_correct} = {res.success_rate:.3f} (95% CI {res.ci_low:.3f}-{res.ci_high:.3f}) "
            f"of correctly classified; clean accuracy {res.clean_accuracy:.3f}; {res.seconds:.2f} s on {res.device}")

    def _sweep_partial(self, table: Any) -> None:
        self.sweep_table = table
        self.plots.draw(table)
        self.status.setText(f"sweep: {len(table.cells)} cells done")

    def _sweep_done(self, table: Any) -> None:
        self.sweep_table = table
        self.plots.draw(table)
        cq = table.collapse
        self.status.setText(f"sweep done: {len(table.cells)} cells in {table.seconds:.1f} s; collapse spread "
                            f"{cq.spread_theory:.3f} at 1/q vs {cq.spread_raw:.3f} on raw eps; best exponent "
                            f"{cq.exponent_best:.3g} (theory {cq.exponent_theory:.3g})")

    # ------------------------------------------------------------------ figures -----------
    def figures(self) -> list[FigureSource]:
        return [
            FigureSource("attack_grid", widget=self.grid, data=self.grid.data, title="PGD examples"),
            FigureSource("success_curves", widget=self.plots.curves, data=self.plots.data_curves, title="Success vs eps"),
            FigureSource("collapse", widget=self.plots.collapse, data=self.plots.data_curves, title="Collapse plot"),
            FigureSource("collapse_spread", widget=self.plots.spread, data=self.plots.data_spread,
                         title="Collapse spread vs exponent"),
        ]

    # ------------------------------------------------------------------ state -------------
    def state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION, "source": self.source.currentText(), "model": self.model.currentText(),
            "path": self.path.text(), "arch": self.arch.currentText(), "dataset": self.dataset.currentText(),
            "n": self.n.value(), "classes": self.classes.text(), "seed": self.seed.value(), "p": self.p.currentText(),
            "eps": self.eps.value(), "steps": self.steps.value(), "step_factor": self.step_factor.value(),
            "random_start": self.random_start.isChecked(), "restarts": self.restarts.value(),
            "target": self.target.currentText(), "kind": self.kind.currentText(), "dim": self.dim.value(),
            "dims": self.dims.text(), "eps_list": self.eps_list.text(), "sweep_steps": self.sweep_steps.value(),
            "tab": self.tabs.currentIndex(),
        }

    def validate_state(self, state: dict[str, Any]) -> None:
        super().validate_state(state)
        if state.get("version", STATE_VERSION) != STATE_VERSION:
            raise ValueError(f"adversarial: unsupported state version {state.get('version')!r}")
        choices = {"source": SOURCES, "arch": ARCHS, "dataset": tuple(dataset_names()), "target": TARGET_MODES, "kind": KINDS,
                   "model": tuple(model_names())}
        for key, allowed in choices.items():
            if key in state and state[key] not in allowed:
                raise ValueError(f"adversarial: {key} must be one of {', '.join(allowed)}, got {state[key]!r}")
        ints = {"n": (1, 100000), "seed": (0, 2 ** 31 - 1), "steps": (1, 10000), "restarts": (1, 100),
                "dim": (1, 10 ** 7), "sweep_steps": (1, 1000), "tab": (0, 2)}
        for key, (lo, hi) in ints.items():
            if key in state and not (isinstance(state[key], int) and lo <= state[key] <= hi):
                raise ValueError(f"adversarial: {key} must be an integer in [{lo}, {hi}], got {state[key]!r}")
        for key in ("eps", "step_factor"):
            if key in state and not (isinstance(state[key], (int, float)) and state[key] >= 0):
                raise ValueError(f"adversarial: {key} must be a number >= 0, got {state[key]!r}")
        if "p" in state:
            _parse_p(str(state["p"]))
        for key, cast in (("dims", int), ("eps_list", float)):
            if key in state:
                _parse_list(str(state[key]), cast, key)
        if state.get("classes"):
            _parse_list(str(state["classes"]), int, "classes")

    def restore(self, state: dict[str, Any]) -> None:
        self.validate_state(state)
        combos = {"source": self.source, "model": self.model, "arch": self.arch, "dataset": self.dataset,
                  "target": self.target, "kind": self.kind}
        for key, w in combos.items():
            if key in state:
                w.setCurrentText(state[key])
        if "p" in state:
            self.p.setCurrentText(str(state["p"]))
        for key, w in (("path", self.path), ("classes", self.classes), ("dims", self.dims), ("eps_list", self.eps_list)):
            if key in state:
                w.setText(str(state[key]))
        for key, w in (("n", self.n), ("seed", self.seed), ("steps", self.steps), ("restarts", self.restarts),
                       ("dim", self.dim), ("sweep_steps", self.sweep_steps)):
            if key in state:
                w.setValue(int(state[key]))
        for key, w in (("eps", self.eps), ("step_factor", self.step_factor)):
            if key in state:
                w.setValue(float(state[key]))
        if "random_start" in state:
            self.random_start.setChecked(bool(state["random_start"]))
        if "tab" in state:
            self.tabs.setCurrentIndex(int(state["tab"]))
