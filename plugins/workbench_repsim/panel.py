"""The Representation similarity panel: a thin Qt view over :mod:`workbench_repsim.jobs`.

Choose model A and B (zoo or a local model / .npz), the data, pooling and measure; the
A-vs-A, A-vs-B and B-vs-B heatmaps are drawn side by side on one colour scale; clicking a
cell opens its details.  Stitching, linear mode connectivity and the rotation test have
their own tabs.

Never stale, never misleading: every output is drawn from a kept result (or, while a heatmap
job runs, from its partial matrices, marked "computing…"); a result whose inputs differ from
the current settings is marked stale; a cancelled or failed job never replaces the last
complete result: that result is drawn again, marked as the last complete one, and the status
line says what happened.  Settings that are clamped or do not apply are listed as notes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QScrollArea,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
)

from workbench import plaindata
from workbench.gui.figures import FigureSource
from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel
from workbench.gui.staged import paint_in_turns
from workbench.gui.theme import theme_signals

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
from .ui.captioned_figure import CaptionedFigure
from .ui.detail_view import CellDetailView
from .ui.forms import ROTATION_HINT, CompareForm, LmcPage, StitchPage
from .ui.heatmap_scale import shared_levels
from .ui.heatmap_view import HeatmapView
from .ui.plot_style import plot_colours, set_title, style_legend, style_plot_item

#: results the panel keeps in sessions, in drawing order
RESULTS: tuple[str, ...] = ("heatmap", "cell", "stitching", "lmc", "rotation")
#: a heatmap result whose activations take more bytes than this is kept without them (cell
#: details then need the heatmaps recomputed); the matrices are always kept
SESSION_ACTIVATIONS_LIMIT = 256 * 2**20
#: what the job of each result is called in status lines
JOB_TITLES = {
    "heatmap": "Similarity heatmaps",
    "cell": "Cell details",
    "stitching": "Model stitching",
    "lmc": "Linear mode connectivity",
    "rotation": "Rotation test",
}
STALE_NOTE = " — stale: the settings have changed since; run it again"


def _short(model: str) -> str:
    """A model's name for a table cell: a zoo name as is, a local folder or file by its last part."""
    return Path(model).name if ("/" in model or "\\" in model) else model


def _for_session(res: HeatmapResult) -> HeatmapResult:
    """``res`` as kept in sessions: without its activations when they are larger than
    :data:`SESSION_ACTIVATIONS_LIMIT` bytes (the matrices are always kept)."""
    size = sum(a.nbytes for a in (*res.acts_a, *res.acts_b))
    return res if size <= SESSION_ACTIVATIONS_LIMIT else dataclasses.replace(res, acts_a=[], acts_b=[])


def _notes_text(notes: list[str]) -> str:
    return "\n".join(f"note: {n}" for n in dict.fromkeys(notes))


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
        self.stale: dict[str, bool] = dict.fromkeys(RESULTS, False)
        #: result name -> its job in flight (None: none)
        self._jobs: dict[str, JobHandle | None] = dict.fromkeys(RESULTS)
        #: result name -> the line about its last job: running, cancelled or failed ("" once it finished)
        self._job_line: dict[str, str] = dict.fromkeys(RESULTS, "")
        #: result name -> whether its last job was cancelled or failed (the last complete result is shown)
        self._abandoned: dict[str, bool] = dict.fromkeys(RESULTS, False)
        #: the running heatmap job's matrices so far: panel key -> (matrix, rows, cols)
        self._partial: dict[str, tuple[np.ndarray, list[str], list[str]]] = {}
        self._cell_text = ""
        self._setting_notes: dict[str, list[str]] = {}
        self._colours = plot_colours()  # the views colour themselves when built
        self.build_in_steps(self._build_steps())

    def _build_steps(self) -> Iterator[None]:
        """The construction, a ``yield`` between its heatmap views (about 50 ms each: a
        pyqtgraph PlotItem; see ``Panel.build_in_steps``)."""
        yield from self._build()
        self.state_model.add_global_callback(lambda _name, _new, _old: self._mark_stale())
        self._mark_stale()
        theme_signals().theme_changed.connect(self._theme_changed)

    # ------------------------------------------------------------------ layout --------------
    def _build(self) -> Iterator[None]:
        sm, bind = self.state_model, self.binder.bind
        self.form = CompareForm(sm, bind)
        f = self.form
        self.model_a, self.model_b, self.data, self.pooling = f.model_a, f.model_b, f.data, f.pooling
        self.measure, self.colour_scale, self.max_samples = f.measure, f.colour_scale, f.max_samples
        self.minibatch, self.seed, self.compute_btn, self.cancel_btn = f.minibatch, f.seed, f.compute_btn, f.cancel_btn
        self.status, self.notes = f.status, f.notes
        f.browse_a.clicked.connect(lambda: self._browse_model(self.model_a))
        f.browse_b.clicked.connect(lambda: self._browse_model(self.model_b))
        f.browse_text.clicked.connect(self._browse_text)
        f.browse_images.clicked.connect(self._browse_images)

        yield
        self.views = {}
        maps = QSplitter(Qt.Orientation.Horizontal)
        maps.setChildrenCollapsible(False)
        for key, title in (("AA", "A vs A"), ("AB", "A vs B"), ("BB", "B vs B")):
            v = self.views[key] = HeatmapView(title)
            maps.addWidget(v)
            v.cell_clicked.connect(lambda i, j, k=key: self._cell_clicked(k, i, j))
            yield
        self.details = CellDetailView()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(maps)
        split.addWidget(self.details)
        split.setStretchFactor(0, 5)  # the details hold only a hint until a cell is shown (_show_cell)
        split.setStretchFactor(1, 1)
        self.heatmap_split = split

        yield
        self.stitch_page = StitchPage(sm, bind)
        self.stitch_table, self.stitch_steps, self.stitch_seed = (
            self.stitch_page.table,
            self.stitch_page.steps,
            self.stitch_page.seed,
        )
        self.stitch_btn, self.stitch_label = self.stitch_page.button, self.stitch_page.label
        self.stitch_btn.clicked.connect(self.run_stitching)
        self.lmc_page = LmcPage(sm, bind)
        p = self.lmc_page
        self.lmc_align, self.lmc_btn, self.lmc_label = p.align, p.button, p.label
        p.on_plot_built = self._lmc_plot_built
        self.rot_layer, self.rot_seed, self.rot_btn, self.rot_label = p.rot_layer, p.rot_seed, p.rot_button, p.rot_label
        self.lmc_btn.clicked.connect(self.run_lmc)
        self.rot_btn.clicked.connect(self.run_rotation)

        self.tabs = QTabWidget()
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.setUsesScrollButtons(True)
        for page, title in zip((split, self.stitch_page, self.lmc_page), TABS, strict=True):
            self.tabs.addTab(page, title)
            self.tabs.setTabToolTip(self.tabs.count() - 1, title.replace("&&", "&"))
        self.tabs.setCurrentIndex(sm.tab)
        self.tabs.currentChanged.connect(lambda i: setattr(sm, "tab", i) if i >= 0 else None)
        sm.add_callback("tab", lambda new, _old: self.tabs.setCurrentIndex(new))

        # the form scrolls (both ways) when the panel is too small for it; status and notes
        # stay outside it, always visible
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidget(self.form)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(3)
        lay.addWidget(self.form_scroll)
        lay.addWidget(self.status)
        lay.addWidget(self.notes)
        lay.addWidget(self.tabs, 1)
        self.compute_btn.clicked.connect(self.compute)
        self.cancel_btn.clicked.connect(self.cancel_jobs)
        self.add_shortcut("Ctrl+Return", self.compute)
        self.setMinimumSize(420, 360)
        self._fit_form()

    def _fit_form(self) -> None:
        """The form's scroll area at most as tall as the form (plus a horizontal scroll bar when
        the panel is narrower than the form), at least 60 px."""
        bar = self.form_scroll.horizontalScrollBar().sizeHint().height()
        need_bar = self.form_scroll.viewport().width() < self.form.minimumSizeHint().width()
        hint = self.form.sizeHint().height() + (bar if need_bar else 0) + 2
        self.form_scroll.setMaximumHeight(hint)
        # whole while the panel has room (a tall page in another tab must not squeeze it)
        self.form_scroll.setMinimumHeight(min(hint, max(60, self.height() - 320)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_form()

    # ------------------------------------------------------------------ theme ---------------
    def apply_theme(self) -> None:
        """Every plot in the current palette's colours (at construction: the panel is right in
        either theme even outside the main window)."""
        colours = plot_colours()
        for v in self.views.values():
            v.apply_colours(colours)
        self.details.apply_colours(colours)
        if self.lmc_page.plot is not None:
            self._style_lmc_plot(colours)
        self._colours = colours
        self._mark_stale()

    def _theme_changed(self, _theme: str = "") -> None:
        """After a theme switch: the shell's ``theme_all_plots`` has re-coloured backgrounds,
        axes, labels and legends; what remains are the panel's own colours (marks on titles:
        stale, computing, last complete result)."""
        colours = plot_colours()
        if colours == self._colours or self._shut_down:  # a closed panel no longer follows the theme
            return
        self._colours = colours
        for v in self.views.values():
            v.set_mark_colours(colours)
        self._lmc_title = None
        self._mark_stale()

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

    # ------------------------------------------------------------------ jobs ----------------
    def _run(
        self, name: str, fn: Any, spec: Any, done: Any, *, key: str, quiet: bool = False, partial: Any = None
    ) -> JobHandle:
        """Submit the job of result ``name``; its end (finished, failed, cancelled) is handled by
        :meth:`_job_finished` / :meth:`_job_ended`, which ignore a job a newer one replaced."""
        holder: list[JobHandle] = []
        handle = self.submit(
            fn,
            spec,
            title=JOB_TITLES[name],
            key=key,
            quiet=quiet,
            on_result=lambda res: self._job_finished(name, holder[0], res, spec, done),
            on_error=lambda message, _tb: self._job_ended(name, holder[0], f"failed: {message}", message),
            on_progress=lambda f, m: self._job_progress(name, holder[0], f, m),
            on_partial=(lambda part: partial(holder[0], part)) if partial is not None else None,
        )
        holder.append(handle)
        handle.cancelled.connect(lambda: self._job_ended(name, handle, "cancelled"))
        self._jobs[name] = handle
        self._job_line[name] = f"{JOB_TITLES[name]}: waiting to start…"
        self._mark_stale()
        return handle

    def _job_progress(self, name: str, handle: JobHandle, fraction: float, message: str) -> None:
        if handle is self._jobs[name]:
            self._job_line[name] = f"{JOB_TITLES[name]}: {100 * fraction:.0f}% {message}"
            self._show_job_line(name)

    def _job_finished(self, name: str, handle: JobHandle, res: Any, spec: Any, done: Any) -> None:
        if handle is not self._jobs[name]:
            return  # a newer job of the same result replaced it
        self._jobs[name] = None
        self._job_line[name] = ""
        self._abandoned[name] = False
        done(res, spec)
        self._mark_stale()

    def _job_ended(self, name: str, handle: JobHandle, why: str, error: str | None = None) -> None:
        """A job cancelled or failed: the last complete result of ``name`` is drawn again and
        marked as such; the job's line says what happened."""
        if handle is not self._jobs[name]:
            return
        self._jobs[name] = None
        self._abandoned[name] = True
        kept = self.kept(name)
        self._job_line[name] = f"{JOB_TITLES[name]} {why} — " + (
            "the last complete result is shown" if kept else "nothing computed to show"
        )
        if name == "heatmap":
            self._partial = {}
            self._show_heatmaps(self.result)
        elif name == "cell":
            self._show_cell(kept.result if kept else None)
        self._mark_stale()
        if error is not None and name != "cell":
            self.shell.show_error("Representation similarity", error)

    def cancel_jobs(self) -> None:
        """Cancel every job of the panel; each one's last complete result stays shown."""
        super().cancel_jobs()

    # ------------------------------------------------------------------ heatmaps ------------
    def compute(self) -> None:
        spec = self.heatmap_spec()
        self._partial = {}
        self._run("heatmap", run_heatmap, spec, self._heatmaps_done, key="heatmap", partial=self._heatmap_partial)

    def _heatmap_partial(self, handle: JobHandle, part: Any) -> None:
        if handle is not self._jobs["heatmap"]:
            return
        key, m, rows, cols = part
        self._partial[key] = (np.asarray(m, float), list(rows), list(cols))
        self._draw_partial(handle.spec)

    def _draw_partial(self, spec: HeatmapSpec) -> None:
        """The running job's matrices so far, on one scale; its other panels say "computing…"."""
        levels = shared_levels([m for m, _, _ in self._partial.values()], spec.measure, self.state_model.colour_scale)
        for key, v in self.views.items():
            if key in self._partial:
                m, rows, cols = self._partial[key]
                if v.matrix is not m:
                    v.set_matrix(m, rows, cols, spec.measure, levels)
                    v.matrix = m  # identity: drawn once
                else:
                    v.set_levels(levels)
                v.set_mark("computing")
            elif key in spec.panels:
                v.clear("computing…")
                v.set_mark("computing")
            else:
                v.clear("not computed: model B is empty")
                v.set_mark("")

    def _heatmaps_done(self, res: HeatmapResult, spec: HeatmapSpec) -> None:
        self.keep_result("heatmap", _for_session(res), spec)
        self.drop_result("cell")
        self._partial = {}
        self._show_heatmaps(res)
        if self.selected and self._selection_fits():
            self._cell_clicked(*self.selected)
        else:
            self.details.clear()

    def _show_heatmaps(self, res: HeatmapResult | None) -> None:
        """Draw ``res`` (None: clear) on one colour scale, without starting anything."""
        self.result = res
        mats = res.matrices if res is not None else {}
        levels = shared_levels(list(mats.values()), res.measure, self.state_model.colour_scale) if mats else (0.0, 1.0)
        for key, v in self.views.items():
            if key in mats:
                rows = res.names_a if key[0] == "A" else res.names_b
                cols = res.names_a if key[1] == "A" else res.names_b
                v.set_matrix(mats[key], rows, cols, res.measure, levels)
            else:
                v.clear("no data" if res is None else "not computed: model B was empty")
        self._show_selection()
        if self.isVisible():  # the three views (their cells, values and axes) paint in turns of their own
            paint_in_turns(self.heatmap_split)

    def _heatmap_summary(self) -> str:
        res, kept = self.result, self.kept("heatmap")
        if res is None:
            return ""
        spec = kept.inputs if kept is not None else None
        models = f"{_short(spec.model_a)} vs {_short(spec.model_b) or 'itself'}; " if spec is not None else ""
        rows = "token rows" if res.pooling == "tokens" else "inputs"
        pooling = f", {res.pooling} pooling" if res.pooling else ""
        return (
            f"{res.measure}: {models}n = {res.n} {rows}{pooling}, {len(res.names_a)} layers in A, "
            f"{len(res.names_b)} in B ({res.form} form)"
        )

    def _refresh_heatmaps(self) -> None:
        """Marks and the colour scale of the heatmaps shown; the status line and notes."""
        if self._partial and self._jobs["heatmap"] is not None:
            self._draw_partial(self._jobs["heatmap"].spec)
        else:
            mark = "stale" if self.stale["heatmap"] else "previous" if self._abandoned["heatmap"] else ""
            res = self.result
            if res is not None:
                levels = shared_levels(list(res.matrices.values()), res.measure, self.state_model.colour_scale)
                if any(v.matrix is not None and v.levels != levels for v in self.views.values()):
                    for v in self.views.values():
                        if v.matrix is not None:
                            v.set_levels(levels)
            for v in self.views.values():
                v.set_mark(mark if v.matrix is not None else "")
        self._heatmap_status()

    def _heatmap_status(self) -> None:
        """The heatmaps' status line (job, what is shown, stale) and notes; touches no plot."""
        lines = [self._job_line["heatmap"]] if self._job_line["heatmap"] else []
        job = self._jobs["heatmap"]
        if lines and job is not None and not plaindata.same(job.spec, self.heatmap_spec()):
            lines[0] += " — with the settings it started with, not the current ones"
        summary = self._heatmap_summary()
        if summary:
            lines.append(
                ("shown: " if lines else "")
                + summary
                + (STALE_NOTE.replace("run it", "compute the heatmaps") if self.stale["heatmap"] else "")
            )
        elif self._jobs["heatmap"] is None:
            lines.append("no heatmaps: press Compute heatmaps (Ctrl+Return)")
        self.status.setText("\n".join(lines))
        notes = list(self._setting_notes.get("heatmap", []))
        if self.result is not None:
            notes += [f"shown heatmaps: {n}" for n in self.result.notes if n not in notes]
        self.notes.setText(_notes_text(notes))
        self.notes.setVisible(bool(notes))

    # ------------------------------------------------------------------ cell details --------
    def _selection_fits(self) -> bool:
        res, sel = self.result, self.selected
        if res is None or sel is None or sel[0] not in res.matrices:
            return False
        return sel[1] < res.matrices[sel[0]].shape[0] and sel[2] < res.matrices[sel[0]].shape[1]

    def _cell_clicked(self, key: str, i: int, j: int) -> None:
        res = self.result
        if res is None or key not in res.matrices or self._partial:
            return  # nothing complete to detail (partial matrices of a running job have no activations yet)
        self.selected = (key, i, j)
        self.views[key].select(i, j)
        if not res.acts_a:
            self.drop_result("cell")
            if res.form.startswith("streamed"):
                self.details.clear("cell details need the activations in memory: set minibatch to off")
            else:
                self.details.clear(
                    "the activations of these heatmaps were too large to be saved with the "
                    "session: compute the heatmaps again for cell details"
                )
            self._cell_text = self.details.values.text()
            return
        xs = res.acts_a if key[0] == "A" else res.acts_b
        ys = res.acts_a if key[1] == "A" else res.acts_b
        nx = res.names_a if key[0] == "A" else res.names_b
        ny = res.names_a if key[1] == "A" else res.names_b
        kept = self.kept("heatmap")
        inputs = self._cell_inputs(kept.inputs if kept is not None else None, (key, i, j))
        spec = CellSpec(xs[i], ys[j], f"{key[0]}:{nx[i]}", f"{key[1]}:{ny[j]}", seed=self.state_model.seed)
        self._run("cell", run_cell, spec, lambda r, _spec: self._cell_done(r, inputs), key="cell", quiet=True)

    def _cell_done(self, res, inputs: dict[str, Any]) -> None:
        self.keep_result("cell", res, inputs)
        self._show_cell(res)

    def _show_cell(self, res) -> None:
        if res is None:
            self.details.clear()
        else:
            self.details.show_result(res)
            sizes = self.heatmap_split.sizes()
            if sum(sizes) > 0 and sizes[1] < 0.35 * sum(sizes):  # room for the plots, once they are there
                self.heatmap_split.setSizes([round(0.6 * sum(sizes)), round(0.4 * sum(sizes))])
        self._cell_text = self.details.values.text()

    def _refresh_cell(self) -> None:
        job = self._job_line["cell"]
        if self.kept("cell") is None and not job:
            return
        lines = [self._cell_text] if self.kept("cell") is not None else []
        if self.stale["cell"] and lines:
            lines.append("<i>stale: other settings or another cell since</i>")
        if job:
            lines.insert(0, f"<i>{job}</i>")
        self.details.values.setText("<br>".join(lines))

    # ------------------------------------------------------------------ stitching -----------
    def run_stitching(self) -> None:
        self._run("stitching", run_stitching, self.state_model.stitch_spec(), self._stitch_done, key="stitch")

    def _stitch_done(self, table, spec) -> None:
        self.keep_result("stitching", table, spec)
        self._show_stitching(table)

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
        self._show_job_line("stitching")

    def _stitch_caption(self) -> str:
        kept = self.kept("stitching")
        if kept is None or kept.inputs is None:
            return ""
        spec = kept.inputs
        return (
            f"{len(self.stitch_rows)} stitches of {_short(spec.model_a)} ↔ {_short(spec.model_b)}, "
            f"{spec.steps} steps, seed {spec.seed}"
        )

    # ------------------------------------------------------------------ LMC and rotation ----
    @property
    def lmc_plot(self) -> pg.PlotWidget:
        """The LMC loss plot (built on first use: the tab is hidden when the panel opens)."""
        return self.lmc_page.ensure_plot()

    def _lmc_plot_built(self, _plot: pg.PlotWidget) -> None:
        self._style_lmc_plot(plot_colours())
        self._lmc_title = None
        if self.lmc is not None:
            self._show_lmc(self.lmc)
        self._mark_stale()

    def _style_lmc_plot(self, colours: Any) -> None:
        plot = self.lmc_page.plot
        assert plot is not None
        plot.setBackground(colours.background)
        style_plot_item(plot.getPlotItem(), colours)
        style_legend(self.lmc_page.legend, colours)

    def run_lmc(self) -> None:
        self._run("lmc", run_lmc, self.state_model.lmc_spec(), self._lmc_done, key="lmc")

    def _lmc_done(self, res, spec) -> None:
        self.keep_result("lmc", res, spec)
        self._show_lmc(res)

    def _show_lmc(self, res) -> None:
        self.lmc = res
        if res is None and self.lmc_page.plot is None:
            self._show_job_line("lmc")
            return  # nothing drawn, nothing to clear
        self.lmc_plot.clear()
        if res is not None:
            self.lmc_plot.setLabel("left", res.metric)
            self.lmc_plot.plot(
                res.alphas,
                res.loss,
                pen=pg.mkPen((214, 39, 40), width=2),
                symbol="o",
                symbolBrush=pg.mkBrush(214, 39, 40),
                name="plain",
            )
            if res.loss_aligned is not None:
                self.lmc_plot.plot(
                    res.alphas,
                    res.loss_aligned,
                    pen=pg.mkPen((31, 119, 180), width=2),
                    symbol="s",
                    symbolBrush=pg.mkBrush(31, 119, 180),
                    name="aligned",
                )
            style_plot_item(self.lmc_plot.getPlotItem(), plot_colours())
        self._show_job_line("lmc")

    def _lmc_text(self) -> str:
        res = self.lmc
        if res is None:
            return ""
        text = f"barrier {res.barrier:.3f} nats"
        if res.barrier_aligned is not None:
            text += f"; after alignment {res.barrier_aligned:.3f} nats"
        kept = self.kept("lmc")
        if kept is not None and kept.inputs is not None:
            text = f"{_short(kept.inputs.model_a)} → {_short(kept.inputs.model_b)}: " + text
        return text

    def run_rotation(self) -> None:
        self._run("rotation", run_rotation, self.state_model.rotation_spec(), self._rotation_done, key="rotation")

    def _rotation_done(self, r, spec=None) -> None:
        self.keep_result("rotation", r, spec)
        self._show_rotation(r)

    def _show_rotation(self, r) -> None:
        self.rotation = r
        self._show_job_line("rotation")

    def _rotation_text(self) -> str:
        r = self.rotation
        if r is None:
            return ROTATION_HINT
        return (
            f"rotation after h{r.layer}: accuracy {r.acc_original:.3f} → {r.acc_rotated:.3f} (rotated) → "
            f"{r.acc_retrained:.3f} (retrained; control {r.acc_control:.3f}).  Undo error ‖W'R − W‖/‖W‖ = "
            f"{r.undo_error:.2f} (control {r.undo_error_control:.2f}).  Next layer vs original: basis "
            f"correlation {r.basis_corr:.3f} (control {r.basis_corr_control:.3f}), CKA {r.cka:.3f} "
            f"(control {r.cka_control:.3f})."
        )

    # ------------------------------------------------------------------ stale results -------
    def _mark_stale(self) -> None:
        """Say on each shown output whether the current settings would compute another one,
        whether a job is running for it or was cancelled / failed, and which settings will be
        clamped or not applied."""
        for name in RESULTS:
            kept = self.kept(name)
            self.stale[name] = (
                kept is not None and kept.inputs is not None and self.result_is_stale(name, self.current_inputs(name))
            )
        self._setting_notes = self.state_model.setting_notes()
        self._refresh_heatmaps()
        self._refresh_cell()
        for name in ("stitching", "lmc", "rotation"):
            self._show_job_line(name)
        colours = plot_colours()
        stale = self.stale["lmc"]
        title = (
            "linear mode connectivity" + (" (stale)" if stale else ""),
            (colours.alert if stale else colours.foreground).name(),
        )
        if self.lmc_page.plot is not None and title != getattr(self, "_lmc_title", None):  # only on a change
            self._lmc_title = title
            set_title(self.lmc_plot.getPlotItem(), title[0], colours.alert if stale else colours.foreground)

    def _show_job_line(self, name: str) -> None:
        """The status label of ``name``: its job line, what is shown, the stale mark, notes."""
        if name == "heatmap":
            self._heatmap_status()
            return
        if name == "cell":
            self._refresh_cell()
            return
        label, shown, kept_notes = {
            "stitching": (
                self.stitch_label,
                self._stitch_caption(),
                getattr(self.kept("stitching").result, "notes", []) if self.kept("stitching") else [],
            ),
            "lmc": (self.lmc_label, self._lmc_text(), getattr(self.lmc, "notes", []) if self.lmc else []),
            "rotation": (self.rot_label, self._rotation_text(), []),
        }[name]
        lines = [self._job_line[name]] if self._job_line[name] else []
        if shown:
            lines.append(
                ("shown: " if lines and self.kept(name) else "") + shown + (STALE_NOTE if self.stale[name] else "")
            )
        notes = list(self._setting_notes.get(name, []))
        notes += [n for n in kept_notes if n not in notes]
        if notes:
            lines.append(_notes_text(notes))
        label.setText("\n".join(lines))

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
        if sel is not None and (
            not isinstance(sel, list)
            or len(sel) != 3
            or sel[0] not in HEATMAP_PANELS
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in sel[1:])
        ):
            raise ValueError(
                f'repsim: selected must be null or ["AA"|"AB"|"BB", row, column] with row and column >= 0, got {sel!r}'
            )

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
        if self._selection_fits() and not self._partial:
            k, i, j = self.selected
            self.views[k].select(i, j)

    def results_restored(self, names: list[str]) -> None:
        """Draw the results a session gave back (no job is started) and mark the stale ones."""
        kept = {name: self.kept(name) for name in RESULTS}
        self._partial = {}
        self._abandoned = dict.fromkeys(RESULTS, False)
        self._job_line = dict.fromkeys(RESULTS, "")
        self._show_heatmaps(kept["heatmap"].result if kept["heatmap"] else None)
        self._show_cell(kept["cell"].result if kept["cell"] else None)
        self._show_stitching(kept["stitching"].result if kept["stitching"] else None)
        self._show_lmc(kept["lmc"].result if kept["lmc"] else None)
        self._show_rotation(kept["rotation"].result if kept["rotation"] else None)
        self._mark_stale()
        if kept["heatmap"] is None:
            self.status.setText("the session holds no heatmaps: press Compute heatmaps (Ctrl+Return)")
        if names:
            stale = self.stale_results()
            self.shell.log(
                f"restored {', '.join(names)} without recomputing"
                + (f"; stale (settings differ): {', '.join(stale)}" if stale else ""),
                "info",
                self.plugin_id,
            )

    # ------------------------------------------------------------------ export --------------
    def heatmap_context(self) -> dict[str, Any]:
        """What the heatmaps shown were computed from: models, data, measure, n, pooling, ...
        (the running job's spec while its partial matrices are shown); {} when none are."""
        job = self._jobs["heatmap"]
        if self._partial and job is not None:
            spec, res, status = job.spec, None, "computing (partial result of a running job)"
        else:
            kept = self.kept("heatmap")
            spec, res = (kept.inputs, self.result) if kept is not None else (None, None)
            status = (
                "stale (the settings have changed since)"
                if self.stale["heatmap"]
                else "last complete result (a later job was cancelled or failed)"
                if self._abandoned["heatmap"]
                else "current"
            )
        if spec is None:
            return {}
        return {
            "model_a": spec.model_a,
            "model_b": spec.model_b,
            "data": spec.data,
            "measure": res.measure if res is not None else spec.measure,
            "n": res.n if res is not None else None,
            "rows": "token rows" if spec.pooling == "tokens" else "inputs",
            "pooling": (res.pooling or "none (no token sequences)") if res is not None else spec.pooling,
            "samples_asked": spec.max_samples,
            "minibatch": spec.minibatch,
            "seed": spec.seed,
            "form": res.form if res is not None else "",
            "notes": list(res.notes) if res is not None else [],
            "status": status,
        }

    def _heatmap_caption(self, view: HeatmapView) -> str:
        c = self.heatmap_context()
        if not c or view.matrix is None:
            return ""
        n = "n not known yet" if c["n"] is None else f"n = {c['n']} {c['rows']}"
        text = (
            f"{view.title}: {c['measure']} between layers; A = {c['model_a']}; "
            f"B = {c['model_b'] or '(none)'}; {n}; pooling {c['pooling']}; data {c['data']}; "
            f"colour scale [{view.levels[0]:.3g}, {view.levels[1]:.3g}]"
        )
        return text + ("" if c["status"] == "current" else f"; {c['status']}")

    def _cell_context(self) -> dict[str, Any]:
        r = self.details.result
        if r is None:
            return {}
        kept = self.kept("cell")
        heat = kept.inputs.get("heatmap") if kept is not None and isinstance(kept.inputs, dict) else None
        c = {"cell": [r.label_x, r.label_y], "status": "stale" if self.stale["cell"] else "current"}
        if heat is not None:
            c.update(
                model_a=heat.model_a,
                model_b=heat.model_b,
                data=heat.data,
                pooling=heat.pooling,
                samples_asked=heat.max_samples,
                seed=heat.seed,
            )
        if self.result is not None:
            c["n"] = self.result.n
            c["pooling"] = self.result.pooling or "none (no token sequences)"
        return c

    def _cell_caption(self, what: str) -> str:
        c = self._cell_context()
        if not c:
            return ""
        r = self.details.result
        measure = self.state_model.measure
        value = r.values.get(measure)
        vtext = f"; {measure} = {value:.4f}" if value is not None and np.isfinite(value) else ""
        models = (
            (
                f"; A = {c.get('model_a', '?')}; B = {c.get('model_b') or '(none)'}; n = {c.get('n', '?')}; "
                f"pooling {c.get('pooling', '?')}"
            )
            if "model_a" in c
            else ""
        )
        return f"{what} of cell {r.label_x} × {r.label_y}{models}{vtext}" + (
            "; stale" if c["status"] == "stale" else ""
        )

    def figures(self) -> list[FigureSource]:
        figs: list[FigureSource] = [
            CaptionedFigure(
                f"repsim_heatmap_{k}",
                widget=v.graphics,
                title=f"{v.title} ({v.measure})",
                data=lambda v=v: {**v.data(), **self.heatmap_context()},
                caption=lambda v=v: self._heatmap_caption(v),
            )
            for k, v in self.views.items()
        ]
        if self.details.scatter is not None:  # the cell plots exist once a cell has been shown
            figs.append(
                CaptionedFigure(
                    "repsim_cell_pcs",
                    widget=self.details.scatter,
                    data=lambda: {**self.details.scatter_data(), **self._cell_context()},
                    caption=lambda: self._cell_caption("top-2 principal components"),
                )
            )
            figs.append(
                CaptionedFigure(
                    "repsim_cell_matching",
                    widget=self.details.hist,
                    data=lambda: {**self.details.hist_data(), **self._cell_context()},
                    caption=lambda: self._cell_caption("matched-neuron correlations"),
                )
            )
        # a plain widget: the shell's painter (workbench.gui.figures.paint_widget) draws it
        figs.append(
            CaptionedFigure(
                "repsim_stitching",
                widget=self.stitch_table,
                data=self._stitch_data,
                caption=lambda: self._stitch_caption() + self._stale_suffix("stitching"),
            )
        )
        if self.lmc_page.plot is not None or self.lmc is not None:  # the plot exists once shown or drawn
            figs.append(
                CaptionedFigure(
                    "repsim_lmc",
                    widget=self.lmc_plot,
                    data=self._lmc_data,
                    caption=lambda: (
                        ("linear mode connectivity, " + self._lmc_text() + self._stale_suffix("lmc"))
                        if self.lmc
                        else ""
                    ),
                )
            )
        return figs

    def _stale_suffix(self, name: str) -> str:
        return "; stale (the settings have changed since)" if self.stale.get(name) else ""

    def _spec_metadata(self, name: str) -> dict[str, Any]:
        kept = self.kept(name)
        if kept is None or kept.inputs is None:
            return {}
        meta = {k: v for k, v in dataclasses.asdict(kept.inputs).items() if not isinstance(v, np.ndarray)}
        return {
            **meta,
            "notes": list(getattr(kept.result, "notes", [])),
            "status": "stale" if self.stale.get(name) else "current",
        }

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
        return {**{k: [r[k] for r in self.stitch_rows] for k in keys}, **self._spec_metadata("stitching")}

    def _lmc_data(self) -> dict:
        r = self.lmc
        if r is None:
            return {}
        d = {"alpha": r.alphas, "loss": r.loss, "barrier": r.barrier, "metric": r.metric}
        if r.loss_aligned is not None:
            d.update(loss_aligned=r.loss_aligned, barrier_aligned=r.barrier_aligned)
        return {**d, **self._spec_metadata("lmc")}
