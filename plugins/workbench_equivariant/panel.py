"""The permutation-equivariant layers panel: a thin Qt view over :mod:`workbench_equivariant.core`
and :mod:`workbench_equivariant.jobs` (Godfrey, Rawson, Brown, Kvinge 2023, arXiv 2303.06208).

Left: k, l and n with the counts (Bell(k + l) diagrams, the dimension at n: those with at most
n blocks); the live equivariance check (a random ``EquivariantLinear`` at n, its error under
random permutations, the fast product against the materialised basis and that basis's rank;
a job on the panel's "live" lane, rerun when its inputs change, the newest wins); the timing
chart's settings with Run timing / Cancel, the progress bar and the status.

Right, tabs: *Diagrams* (every diagram of k + l points drawn as two rows of dots with its
blocks as curves, grouped and ordered by number of blocks, pale where it has more than n
blocks; click one to see its orbit expansion, the coarsenings it sums, with their Möbius
values, and for small n its materialised matrices D_π and X_π as heatmaps) and *Timing* (the
fast product against the materialised orbit basis, milliseconds against n, a cancellable job
drawn point by point).

Only complete results are kept (sessions save them, pickle-free); a result whose spec differs
from the one the settings build now is marked stale.  Restoring a session never starts a job.
Nothing heavy runs on the GUI thread: torch is imported only by the jobs, on the panel's
threads; the diagrams and the small matrices are combinatorics and numpy, milliseconds.
"""

from __future__ import annotations

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
from workbench.gui.side_pane import (
    escape_html,
    progress_bar,
    set_progress,
    show_message,
    side_pane,
    status_label,
)
from workbench.gui.theme import plot_theme, theme_signals

from .core.partitions import Diagram, bell, diagrams, dimension, stirling2
from .jobs import (
    CheckResult,
    CheckSpec,
    TimingResult,
    TimingSpec,
    dirgine_size_generalisation,
    growth_exponent,
    run_check,
    run_timing,
)
from .state import TABS, EquivariantState
from .ui.diagrams import DiagramGrid, GridGroup, GridItem
from .ui.plots import MatrixView, TimingView
from .ui.training import TrainingView

#: the settings the equivariance check reads
CHECK_INPUTS = ("k", "l", "n", "seed", "permutations", "channels", "batch")
#: the settings the timing chart reads
TIMING_INPUTS = ("k", "l", "seed", "t_n_max", "t_channels", "t_batch", "t_repeats", "t_dense_mb")
#: the training's settings, in the order of its form
TRAIN_INPUTS = (
    "tr_epochs",
    "tr_hidden",
    "tr_layers",
    "tr_lr",
    "tr_batch",
    "tr_train_limit",
    "tr_eval_max",
    "tr_eval_per_family",
    "tr_time_budget",
    "tr_seed",
    "tr_device",
)
#: matrices are drawn when they have at most this many entries (n^(k+l)) and sides
MAX_HEATMAP_ENTRIES = 65_536
MAX_HEATMAP_SIDE = 1024
STALE = "stale: the settings have changed since"
REFERENCE = "Godfrey, Rawson, Brown, Kvinge 2023 (arXiv 2303.06208)"


def _scroll(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # no width flicker
    return area


def _without_out(spec: Any) -> Any:
    """A training spec without its checkpoint path: what the trained model depends on."""
    from dataclasses import replace

    return replace(spec, out="")


class EquivariantPanel(Panel):
    """S_n-equivariant linear layers in the partition algebra's diagram basis."""

    state_model: EquivariantState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "equivariant")
        self.state_model = EquivariantState()
        #: the check on screen (the kept one) and the timing on screen (partial while running)
        self.check_result: CheckResult | None = None
        self.check_error = ""
        self.timing_result: TimingResult | None = None
        self.stale = {"check": False, "timing": False, "train": False}
        self._check_job: JobHandle | None = None
        self._timing_job: JobHandle | None = None
        self._train_job: JobHandle | None = None
        self.train_error = ""
        self._restoring = False
        self._message = ("", False)
        self.build_in_steps(self._build_steps())

    def _build_steps(self) -> Iterator[None]:
        """The construction, a ``yield`` between its views (see ``Panel.build_in_steps``)."""
        yield from self._build()
        self.state_model.add_global_callback(lambda name, _new, _old: self._settings_changed(name))
        theme_signals().theme_changed.connect(self._theme_changed)
        self._theme_connected = True
        yield
        yield from self.matrix.prepare_steps(("D", "X"))  # the two matrix plots, a turn each
        yield
        self._draw_diagrams()
        yield
        self._draw_check()
        self._draw_timing()
        yield
        self._draw_train()  # makes the training plot (a PlotItem)
        yield  # the shell docks the panel in a turn of its own

    # ------------------------------------------------------------------ layout -------------
    def _build(self) -> Iterator[None]:
        st, bind = self.state_model, self.binder.bind

        def label(name: str) -> str:
            return st.field(name).label

        self.k = bind(st, "k", QSpinBox())
        self.l = bind(st, "l", QSpinBox())
        self.n = bind(st, "n", QSpinBox())
        self.counts = QLabel("")
        self.counts.setObjectName("counts")
        self.counts.setWordWrap(True)
        self.counts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        maps_box = QGroupBox("Maps (R^n)^⊗k → (R^n)^⊗l")
        f = QFormLayout(maps_box)
        for name in ("k", "l", "n"):
            f.addRow(label(name), getattr(self, name))
        f.addRow(self.counts)

        self.live = bind(st, "live", QCheckBox(label("live")))
        self.seed = bind(st, "seed", QSpinBox())
        self.permutations = bind(st, "permutations", QSpinBox())
        self.channels = bind(st, "channels", QSpinBox())
        self.batch = bind(st, "batch", QSpinBox())
        self.check_btn = QPushButton("Check")
        self.check_btn.setToolTip("run the equivariance check now (Ctrl+Return)")
        self.check_btn.clicked.connect(self.run_check)
        self.check_label = QLabel("")
        self.check_label.setObjectName("check_result")
        self.check_label.setWordWrap(True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        check_box = QGroupBox("Equivariance check")
        f = QFormLayout(check_box)
        row = QHBoxLayout()
        row.addWidget(self.live)
        row.addStretch(1)
        row.addWidget(self.check_btn)
        f.addRow(row)
        for name in ("seed", "permutations", "channels", "batch"):
            f.addRow(label(name), getattr(self, name))
        f.addRow(self.check_label)

        self.t_n_max = bind(st, "t_n_max", QSpinBox())
        self.t_channels = bind(st, "t_channels", QSpinBox())
        self.t_batch = bind(st, "t_batch", QSpinBox())
        self.t_repeats = bind(st, "t_repeats", QSpinBox())
        self.t_dense_mb = bind(st, "t_dense_mb", QSpinBox())
        timing_box = QGroupBox("Timing: fast vs materialised orbit basis")
        f = QFormLayout(timing_box)
        for name in ("t_n_max", "t_channels", "t_batch", "t_repeats", "t_dense_mb"):
            f.addRow(label(name), getattr(self, name))

        self.timing_btn = QPushButton("Run timing")
        self.timing_btn.setToolTip(
            "time the fast product and the materialised orbit basis against n (Ctrl+Shift+Return)"
        )
        self.timing_btn.clicked.connect(self.run_timing)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("stop the running job; the last complete result stays (Esc)")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_run)
        self.add_shortcut("Ctrl+Return", self.run_check, "Run the equivariance check")
        self.add_shortcut("Ctrl+Shift+Return", self.run_timing, "Run the timing chart")
        self.add_shortcut("Escape", self.cancel_run, "Cancel the running job")
        buttons = QHBoxLayout()
        buttons.addWidget(self.timing_btn)
        buttons.addWidget(self.cancel_btn)
        self.progress = progress_bar()
        self.status = status_label()
        side = side_pane((maps_box, check_box, timing_box), (buttons, self.progress, self.status), min_width=250)

        # ---- the Diagrams tab: the gallery | the selected diagram's expansion over its matrices
        yield
        self.gallery = DiagramGrid()
        self.gallery.clicked.connect(self.select)
        self.expansion = DiagramGrid()
        self.expansion.clicked.connect(self.select)
        yield
        self.matrix = MatrixView()
        self.gallery_scroll = _scroll(self.gallery)
        self.expansion_scroll = _scroll(self.expansion)
        detail = QSplitter(Qt.Orientation.Vertical)
        detail.addWidget(self.expansion_scroll)
        detail.addWidget(self.matrix)
        detail.setSizes([300, 300])
        diagrams_tab = QSplitter()
        diagrams_tab.addWidget(self.gallery_scroll)
        diagrams_tab.addWidget(detail)
        diagrams_tab.setStretchFactor(0, 1)
        diagrams_tab.setStretchFactor(1, 1)
        diagrams_tab.setSizes([450, 450])

        # ---- the Timing tab
        yield
        self.timing = TimingView()
        self.timing_note = QLabel("")
        self.timing_note.setObjectName("timing_note")
        self.timing_note.setWordWrap(True)
        self.timing_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        timing_tab = QWidget()
        tv = QVBoxLayout(timing_tab)
        tv.setContentsMargins(2, 2, 2, 2)
        tv.addWidget(self.timing, 1)
        tv.addWidget(self.timing_note)

        # ---- the Train quiver classifier tab: its settings | loss, accuracy and accuracy by n
        train_form = QFormLayout()
        for name in TRAIN_INPUTS:
            field = st.field(name)
            kind = type(field).__name__
            w: QWidget = QDoubleSpinBox() if kind == "Float" else QComboBox() if kind == "Choice" else QSpinBox()
            setattr(self, name, bind(st, name, w))
            train_form.addRow(label(name), w)
        for name, tip, slot in (
            ("tr_data", "choose a dataset .npz (workbench quiver dataset)", self._browse_data),
            ("tr_out", "choose where the checkpoint (.safetensors) is written", self._browse_checkpoint),
        ):
            line = bind(st, name, QLineEdit())
            setattr(self, name, line)
            browse = QPushButton("…")
            browse.setMaximumWidth(28)
            browse.setToolTip(tip)
            browse.clicked.connect(slot)
            path_row = QHBoxLayout()
            path_row.addWidget(line, 1)
            path_row.addWidget(browse)
            train_form.addRow(label(name), path_row)
        self.train_btn = QPushButton("Train")
        self.train_btn.setToolTip(
            "train the S_n-invariant quiver classifier and measure it on larger quivers (Ctrl+Shift+T)"
        )
        self.train_btn.clicked.connect(self.run_train)
        self.train_cancel_btn = QPushButton("Cancel")
        self.train_cancel_btn.setToolTip("stop the training; the last complete run stays (Esc)")
        self.train_cancel_btn.setEnabled(False)
        self.train_cancel_btn.clicked.connect(self.cancel_run)
        self.add_shortcut("Ctrl+Shift+T", self.run_train, "Train the quiver classifier")
        train_buttons = QHBoxLayout()
        train_buttons.addWidget(self.train_btn)
        train_buttons.addWidget(self.train_cancel_btn)
        self.train_progress = progress_bar()
        self.train_note = status_label("train_note")
        intro = QLabel(
            "An S_n-invariant network on the exchange matrix B (2 → 2 layers, then 2 → 0) predicting the "
            "mutation-class family, trained on the quiver panel's DirGINE training set (7-10 vertices) and "
            "measured on larger quivers."
        )
        intro.setWordWrap(True)
        train_scroll = side_pane(
            (intro, train_form, train_buttons, self.train_progress, self.train_note), min_width=230
        )
        yield
        self.training = TrainingView()
        train_tab = QSplitter()
        train_tab.addWidget(train_scroll)
        train_tab.addWidget(self.training)
        train_tab.setStretchFactor(0, 0)
        train_tab.setStretchFactor(1, 1)
        train_tab.setSizes([280, 620])

        yield
        self.tabs = QTabWidget()
        for w, title in zip((diagrams_tab, timing_tab, train_tab), TABS, strict=True):
            self.tabs.addTab(w, title)
        self.tabs.setCurrentIndex(st.tab)
        self.tabs.currentChanged.connect(lambda i: setattr(st, "tab", int(i)))
        st.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))

        self.side = side  # the settings of the Diagrams and Timing tabs: hidden beside the training's own
        st.add_callback("tab", lambda new, _old: self._show_side(new))
        self._show_side(st.tab)
        split = QSplitter()
        split.addWidget(side)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([290, 910])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        self.setMinimumSize(400, 300)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(150)
        self._check_timer.timeout.connect(self.run_check)

    def _show_side(self, tab: int) -> None:
        self.side.setVisible(tab != TABS.index("Train quiver classifier"))

    # ------------------------------------------------------------------ the diagrams -------
    def diagram_list(self) -> tuple[Diagram, ...]:
        st = self.state_model
        return diagrams(st.k, st.l)

    def selected_index(self) -> int:
        """The selected diagram's index, clamped to the diagrams of the current k and l."""
        return min(self.state_model.selected, len(self.diagram_list()) - 1)

    def selected_diagram(self) -> Diagram:
        return self.diagram_list()[self.selected_index()]

    def select(self, index: int) -> None:
        """Show diagram ``index`` (of :func:`~.core.partitions.diagrams`) in the detail views."""
        self.apply_settings({"selected": int(index)}, "Select a diagram")

    def counts_text(self) -> str:
        st = self.state_model
        k, l, n = st.k, st.l, st.n  # noqa: E741
        m = k + l
        dims = ", ".join(str(dimension(k, l, j)) for j in range(1, m + 1))
        full = f"independent (full rank) from n = {m}" if n < m else "all independent at this n"
        return (
            f"Bell({m}) = {bell(m)} diagrams; {dimension(k, l, n)} with at most n = {n} blocks: the dimension of "
            f"the S_n-equivariant maps at n = {n} ({full}). Dimension for n = 1..{m}: {dims}."
        )

    def _draw_diagrams(self) -> None:
        st = self.state_model
        k, l, n = st.k, st.l, st.n  # noqa: E741
        ds = self.diagram_list()
        groups: list[GridGroup] = []
        for j in range(0, k + l + 1):
            items = [GridItem(d, d.label(), d.num_blocks > n, i) for i, d in enumerate(ds) if d.num_blocks == j]
            if not items:
                continue
            title = f"{j} block{'s' if j != 1 else ''}: S({k + l}, {j}) = {stirling2(k + l, j)}"
            if j > n:
                title += f" (more than n = {n} blocks: linearly dependent on the others at this n)"
            groups.append(GridGroup(title, items))
        self.gallery.set_groups(groups, self.selected_index())
        self.counts.setText(self.counts_text())
        self._draw_detail()

    def _draw_detail(self) -> None:
        """The selected diagram's orbit expansion and its matrices."""
        st = self.state_model
        n = st.n
        ds = self.diagram_list()
        index = {d: i for i, d in enumerate(ds)}
        i = self.selected_index()
        d = ds[i]
        self.gallery.set_selected(i)
        coarse = sorted(d.coarsenings(), key=lambda sm: (-sm[0].num_blocks, index[sm[0]]))
        items = [GridItem(s, f"{s.label()}\nμ = {mu:+d}", s.num_blocks > n, index[s]) for s, mu in coarse]
        title = (
            f"π = {d.label()} ({d.num_blocks} blocks). D_π = Σ X_σ over its {len(coarse)} coarsenings σ ≥ π "
            "(blocks of π merged); under each, μ(π, σ): X_π = Σ μ(π, σ) D_σ. Pale: more than n blocks, X_σ = 0 "
            f"at n = {n}. Click one to select it."
        )
        self.expansion.set_groups([GridGroup(title, items)], i)
        entries = n ** (d.k + d.l)
        if entries > MAX_HEATMAP_ENTRIES or max(n**d.k, n**d.l) > MAX_HEATMAP_SIDE:
            self.matrix.reset(
                f"matrices not drawn: n^(k+l) = {entries:,} entries at n = {n} "
                f"(drawn up to {MAX_HEATMAP_ENTRIES:,}); choose a smaller n"
            )
            return
        from .core.materialise import diagram_matrix, orbit_matrix

        D, X = diagram_matrix(d, n), orbit_matrix(d, n)
        shape = f"{n**d.l} × {n**d.k}"
        x_title = f"X_π ({shape}): {int(X.sum())} ones" if X.any() else f"X_π = 0 ({d.num_blocks} > n blocks)"
        self.matrix.draw({"D": D, "X": X}, {"D": f"D_π ({shape}): {int(D.sum())} ones", "X": x_title})

    # ------------------------------------------------------------------ the check ----------
    def check_spec(self) -> CheckSpec:
        return self.state_model.check_spec()

    def run_check(self) -> JobHandle | None:
        """The equivariance check of the current settings (on the live lane; the newest wins)."""
        self._check_timer.stop()
        try:
            spec = self.check_spec()
        except ValueError as exc:
            self.check_error = str(exc)
            self._draw_check()
            return None
        self.check_error = ""
        handle = self.submit(
            run_check,
            spec,
            title="equivariance check",
            on_result=lambda res: self._check_done(res, spec),
            on_error=lambda msg, _tb: self._check_failed(msg),
            key="check",
            quiet=True,
            lane="live",
        )
        self._check_job = handle
        handle.done.connect(lambda: self._check_ended(handle))
        if handle.is_done:  # a fast job can end before its done signal was connected here
            self._check_ended(handle)
        self._draw_check()
        return handle

    def _check_done(self, res: CheckResult, spec: CheckSpec) -> None:
        self.keep_result("check", res, spec)
        self.check_result = res
        self._update_stale()
        self._draw_check()

    def _check_failed(self, message: str) -> None:
        self.check_error = message
        self._draw_check()

    def _check_ended(self, handle: JobHandle) -> None:
        if self._check_job is handle:
            self._check_job = None
            self._update_stale()
            self._draw_check()

    def check_text(self) -> str:
        """The check's result in words (plain text)."""
        res = self.check_result
        if res is None:
            return ""
        text = (
            f"({res.k}, {res.l}) at n = {res.n}: equivariance error {res.equivariance_error:.1e} "
            "(max |f(gx) − g f(x)| / max |f(x)|, float32, random permutations g)"
        )
        if res.rank is not None and res.fast_vs_materialised_error is not None:
            text += (
                f"; fast vs materialised {res.fast_vs_materialised_error:.1e} (float64); rank of the materialised "
                f"diagram basis {res.rank} of {res.diagrams} (dimension {res.dimension})"
            )
        elif res.note:
            text += f"; {res.note}"
        return text

    def _draw_check(self) -> None:
        dark = plot_theme().dark
        good, bad = ("#6fcf7f", "#ff7a6e") if dark else ("#1e7b34", "#c0392b")
        lines = []
        if self.check_error:
            lines.append(f"<span style='color:{bad}'>{escape_html(self.check_error)}</span>")
        res = self.check_result
        if res is not None:
            ok = res.equivariance_error < 1e-5
            colour = good if ok else bad
            lines.append(f"<span style='color:{colour}'>{escape_html(self.check_text())}</span>")
            if self.stale["check"]:
                lines.append(
                    "<i>"
                    + escape_html(STALE)
                    + ("; checking…" if self._check_job else "; press Check (Ctrl+Return)")
                    + "</i>"
                )
        elif self._check_job is not None:
            lines.append("checking…")
        elif not self.check_error:
            lines.append("no check yet: press Check (Ctrl+Return)")
        self.check_label.setText("<br>".join(lines))

    # ------------------------------------------------------------------ the timing ---------
    def timing_spec(self) -> TimingSpec:
        return self.state_model.timing_spec()

    def run_timing(self) -> JobHandle | None:
        """Start the timing chart of the current settings (a running one is replaced)."""
        try:
            spec = self.timing_spec()
        except ValueError as exc:
            self._say(f"timing: {exc}", error=True)
            return None
        self.state_model.tab = TABS.index("Timing")
        handle = self.submit(
            run_timing,
            spec,
            title=f"equivariant timing ({spec.k} -> {spec.l})",
            on_result=lambda res: self._timing_done(res, spec),
            on_partial=self._timing_partial,
            on_progress=self._progress,
            on_error=lambda msg, _tb: self._timing_failed(msg),
            key="timing",
        )
        self._timing_job = handle
        handle.done.connect(lambda: self._timing_ended(handle))
        if handle.is_done:  # a fast job can end before its done signal was connected here
            self._timing_ended(handle)
            return handle
        self.cancel_btn.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setFormat("timing: starting…")
        self.progress.show()
        self._say("")
        self._update_stale()
        self._draw_timing()
        return handle

    def cancel_run(self) -> None:
        """Cancel the timing and the training (the live check stops by itself; it is short)."""
        for handle in (self._timing_job, self._train_job):
            if handle is not None:
                handle.cancel()

    def _progress(self, fraction: float, message: str) -> None:
        set_progress(self.progress, fraction, f"timing: {message}")

    def _timing_partial(self, res: TimingResult) -> None:
        if self._timing_job is not None:
            self.timing_result = res
            self._draw_timing()

    def _timing_done(self, res: TimingResult, spec: TimingSpec) -> None:
        self.keep_result("timing", res, spec)
        self.timing_result = res
        self._say(f"timing done in {res.seconds:.1f} s")
        self._update_stale()
        self._draw_timing()

    def _timing_failed(self, message: str) -> None:
        self._say(f"timing failed: {message}", error=True)

    def _timing_ended(self, handle: JobHandle) -> None:
        if self._timing_job is not handle:
            return
        self._timing_job = None
        self.cancel_btn.setEnabled(False)
        self.progress.hide()
        if handle.state != "finished":
            kept = self.kept("timing")
            self.timing_result = kept.result if kept is not None else None
            if handle.state == "cancelled":
                self._say("timing cancelled; the last complete chart is shown" if kept else "timing cancelled")
        self._update_stale()
        self._draw_timing()

    def timing_title(self) -> str:
        r = self.timing_result
        if r is None:
            return ""
        e_fast, e_dense = growth_exponent(r.ns, r.fast_ms), growth_exponent(r.ns, r.dense_ms)
        parts = [f"k = {r.k} → l = {r.l}, {r.channels} channels in and out, batch {r.batch}, {r.device}"]
        if np.isfinite(e_fast):
            parts.append(f"fast ~ n^{e_fast:.1f}")
        if np.isfinite(e_dense):
            parts.append(f"dense ~ n^{e_dense:.1f}")
        return "; ".join(parts)

    def _draw_timing(self) -> None:
        r = self.timing_result
        if r is None:
            self.timing.reset("no timing yet: press Run timing (Ctrl+Shift+Return)")
            self.timing_note.setText("")
            return
        self.timing.draw(r, self.timing_title())
        fast, dense = np.asarray(r.fast_ms, float), np.asarray(r.dense_ms, float)
        both = np.isfinite(fast) & np.isfinite(dense) & (fast > 0)
        lines = []
        if both.any():
            i = int(np.flatnonzero(both)[-1])
            lines.append(
                f"at n = {r.ns[i]}: fast {fast[i]:.3g} ms, dense {dense[i]:.3g} ms ({dense[i] / fast[i]:.1f}x); "
                f"largest |fast − dense| / |fast| {np.nanmax(np.asarray(r.max_rel_diff, float)):.1e} (float32)"
            )
        lines += [x for x in r.notes if x]
        running = self._timing_job is not None
        if running:
            lines.append(f"running: {len(r.ns)} n measured so far")
        elif self.stale["timing"]:
            lines.append(STALE + "; Run timing again (Ctrl+Shift+Return)")
        lines.append(
            "Forward only, the best of the repeats; the diagram basis costs O(n^k + n^(bottom blocks)) per "
            "element, the dense orbit basis O(n^(k+l)) (paper, Thm. 5.5). Times from this machine, this run."
        )
        self.timing_note.setText("\n".join(lines))

    # ------------------------------------------------------------------ the training -------
    def train_spec(self) -> Any:
        return self.state_model.train_spec()

    def _browse_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Quiver dataset", "", "datasets (*.npz);;All files (*)")
        if path:
            self.apply_settings({"tr_data": path}, "Training data")

    def _browse_checkpoint(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Write the trained classifier to", "", "safetensors (*.safetensors);;All files (*)"
        )
        if path:
            self.apply_settings({"tr_out": path}, "Checkpoint")

    def run_train(self) -> JobHandle | None:
        """Train the classifier with the current settings (a running training is replaced)."""
        self.binder.commit()
        try:
            spec = self.train_spec()
        except ValueError as exc:
            self.train_error = f"training settings: {exc}"
            self._draw_train_note()
            return None
        from .classifier import run_train_quiver

        self.state_model.tab = TABS.index("Train quiver classifier")
        self.train_error = ""
        handle = self.submit(
            run_train_quiver,
            spec,
            title="train the quiver classifier",
            on_result=lambda res: self._train_done(res, spec),
            on_progress=self._train_progress,
            on_error=lambda msg, _tb: self._train_failed(msg),
            key="train",
            lane="train",  # not behind a timing chart
        )
        self._train_job = handle
        handle.done.connect(lambda: self._train_ended(handle))
        if handle.is_done:  # a fast job can end before its done signal was connected here
            self._train_ended(handle)
            return handle
        self.train_cancel_btn.setEnabled(True)
        self.train_progress.setValue(0)
        self.train_progress.setFormat("starting…")
        self.train_progress.show()
        self._update_stale()
        self._draw_train_note()
        return handle

    def _train_progress(self, fraction: float, message: str) -> None:
        set_progress(self.train_progress, fraction, message)

    def _train_done(self, res: Any, spec: Any) -> None:
        self.keep_result("train", res, _without_out(spec))  # where the weights went is not an input
        self._update_stale()
        self._draw_train()

    def _train_failed(self, message: str) -> None:
        self.train_error = f"training failed: {message}"
        self._draw_train_note()

    def _train_ended(self, handle: JobHandle) -> None:
        if self._train_job is not handle:
            return
        self._train_job = None
        self.train_cancel_btn.setEnabled(False)
        self.train_progress.hide()
        if handle.state == "cancelled":
            self.train_error = "training cancelled" + ("; the last complete run is shown" if self.kept("train") else "")
        self._update_stale()
        self._draw_train()

    def train_summary(self) -> str:
        kept = self.kept("train")
        if kept is None:
            return ""
        r = kept.result
        acc = ", ".join(f"{n}: {a:.3f}" for n, a in sorted(r.accuracy_by_n.items()))
        last = r.history[-1] if r.history else {}
        text = (
            f"{getattr(r, 'train_size', 0):,} training quivers, {len(r.history)} epochs, "
            f"last loss {last.get('loss', float('nan')):.4f}, validation accuracy "
            f"{getattr(r, 'val_accuracy', last.get('accuracy', float('nan'))):.3f}, "
            f"{getattr(r, 'seconds', 0.0):.0f} s; accuracy by n: {acc or '-'}"
        )
        return text + (f"; checkpoint {r.checkpoint}" if r.checkpoint else "")

    def references(self) -> dict[str, dict[int, float]]:
        """The curves drawn beside ours: the shipped DirGINE's size generalisation and the
        published one (arXiv 2411.07467), n -> accuracy as a fraction."""
        from .classifier import PAPER_SIZE_GENERALISATION

        return {
            "DirGINE shipped here": dirgine_size_generalisation(),
            "DirGINE, arXiv 2411.07467": {n: a / 100.0 for n, a in PAPER_SIZE_GENERALISATION.items()},
        }

    def _draw_train(self) -> None:
        kept = self.kept("train")
        if kept is None:
            self.training.reset("no training yet: press Train (Ctrl+Shift+T)")
        else:
            data = getattr(kept.inputs, "data", "")
            trained_on = Path(data).name if data else "the DirGINE's training set, 7-10 vertices"
            self.training.draw(kept.result, self.references(), "S_n-invariant quiver classifier", trained_on)
        self._draw_train_note()

    def _draw_train_note(self) -> None:
        lines = []
        if self.train_error:
            colour = "#ff7a6e" if plot_theme().dark else "#c0392b"
            lines.append(f"<span style='color:{colour}'>{escape_html(self.train_error)}</span>")
        if self._train_job is not None:
            lines.append("training… (the curves are drawn when it ends)")
        summary = self.train_summary()
        if summary:
            lines.append(escape_html(summary))
            if self.stale["train"] and self._train_job is None:
                lines.append("<i>" + escape_html(STALE) + "; Train again (Ctrl+Shift+T)</i>")
        self.train_note.setText("<br>".join(lines))

    # ------------------------------------------------------------------ state --------------
    def _say(self, text: str, error: bool = False) -> None:
        self._message = (text, error)
        if text:
            self.shell.log(text, "warning" if error else "info", self.plugin_id)
        self._draw_status()

    def _draw_status(self) -> None:
        show_message(self.status, *self._message)

    def _current(self, name: str) -> Any:
        try:
            if name == "check":
                return self.check_spec()
            return self.timing_spec() if name == "timing" else _without_out(self.train_spec())
        except ValueError:
            return None

    def _update_stale(self) -> None:
        for name in ("check", "timing", "train"):
            self.stale[name] = self.kept(name) is not None and self.result_is_stale(name, self._current(name))

    def _settings_changed(self, name: str) -> None:
        if self._shut_down:
            return
        if name in ("k", "l", "n", "selected"):
            if name == "selected":
                self._draw_detail()
            else:
                self._draw_diagrams()
        self._update_stale()
        if name in CHECK_INPUTS:
            if self.state_model.live and not self._restoring:
                self._check_timer.start()
            self._draw_check()
        elif name == "live" and self.state_model.live and self.stale["check"] and not self._restoring:
            self._check_timer.start()
        if name in TIMING_INPUTS:
            self._draw_timing()
        if name in TRAIN_INPUTS or name in ("tr_data", "tr_out"):
            self._draw_train_note()

    def is_idle(self) -> bool:
        """No job queued or running, and no live check waiting for its debounce to end."""
        return super().is_idle() and not self._check_timer.isActive()

    def start(self) -> None:
        """The embedded default: one equivariance check of the default settings (a second or
        two, most of it importing torch on the live lane), unless a session brought one."""
        if self.kept("check") is None:
            self.run_check()

    def restore(self, state: dict[str, Any]) -> None:
        """Apply a saved state; never starts a job (a live check waits for the next edit)."""
        self._restoring = True
        try:
            super().restore(state)
        finally:
            self._restoring = False
        self._check_timer.stop()
        self._update_stale()
        self._draw_check()
        self._draw_timing()
        self._draw_train_note()

    def results_restored(self, names: list[str]) -> None:
        """Draw what a session kept (nothing recomputed) and mark the stale results."""
        kept = self.kept("check")
        self.check_result = kept.result if kept is not None else None
        self.check_error = ""
        kept = self.kept("timing")
        if self._timing_job is None:
            self.timing_result = kept.result if kept is not None else None
        self._update_stale()
        self._draw_check()
        self._draw_timing()
        self._draw_train()

    # ------------------------------------------------------------------ theme --------------
    def _theme_changed(self, _theme: str = "") -> None:
        if self._shut_down:
            return
        self.matrix.retheme()
        self.gallery.update()
        self.expansion.update()
        self._draw_check()
        self._draw_status()
        self._draw_train_note()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        if self._theme_connected:
            self._theme_connected = False
            theme_signals().theme_changed.disconnect(self._theme_changed)
        return super().shutdown(timeout_ms)

    # ------------------------------------------------------------------ figures ------------
    def context(self) -> dict[str, Any]:
        """What every figure's caption and data name: k, l, n, the counts, the selected diagram,
        the check's numbers."""
        st = self.state_model
        d = self.selected_diagram()
        ctx: dict[str, Any] = {
            "k": st.k,
            "l": st.l,
            "n": st.n,
            "diagrams": bell(st.k + st.l),
            "dimension": dimension(st.k, st.l, st.n),
            "selected": d.label(),
        }
        res = self.check_result
        if res is not None:
            ctx.update(
                check_k=res.k,
                check_l=res.l,
                check_n=res.n,
                equivariance_error=res.equivariance_error,
                fast_vs_materialised_error=res.fast_vs_materialised_error
                if res.fast_vs_materialised_error is not None
                else "",
                rank=res.rank if res.rank is not None else "",
                check_status="stale" if self.stale["check"] else "current",
            )
        return ctx

    def caption(self, what: str) -> str:
        st = self.state_model
        c = self.context()
        text = (
            f"{what}. Maps (R^n)^⊗{st.k} → (R^n)^⊗{st.l}: {c['diagrams']} diagrams, dimension {c['dimension']} "
            f"at n = {st.n}"
        )
        if what.startswith(("Orbit expansion", "Materialised")):
            text += f"; diagram π = {c['selected']}"
        if what.startswith("Quiver") and self.kept("train") is not None:
            text += f"; {self.train_summary()}" + (f" [{STALE}]" if self.stale["train"] else "")
        if what.startswith("Timing") and self.timing_result is not None:
            text += f"; {self.timing_title()}" + (f" [{STALE}]" if self.stale["timing"] else "")
            if self._timing_job is not None:
                text += " [partial: still running]"
        return f"{text}. {REFERENCE}."

    def figures(self) -> list[FigureSource]:
        from workbench.gui.captioned import captioned_figures

        figs = (
            ("equivariant_diagrams", self.gallery, "Partition diagrams", self.gallery.data),
            ("equivariant_expansion", self.expansion, "Orbit expansion of the selected diagram", self.expansion.data),
            ("equivariant_matrices", self.matrix, "Materialised matrices D_π and X_π", self.matrix.data),
            ("equivariant_timing", self.timing, "Timing: fast product vs materialised orbit basis", self.timing.data),
            ("equivariant_training", self.training, "Quiver classifier training", self.training.data),
        )
        return list(captioned_figures(figs, self.context, self.caption))
