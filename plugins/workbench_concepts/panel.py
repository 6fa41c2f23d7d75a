"""The concept-attribution panel: a thin Qt view over :mod:`workbench_concepts.jobs` (Konz,
Godfrey, Shapiro, Tu, Kvinge, Brown 2023, arXiv 2310.03149; TRAK: Park et al., arXiv 2303.14186).

Left: the ensemble (empty: the shipped default), the concept and layer choosers, the
attribution's budget, Run probes / Attribute / Cancel, the progress bar and the status.
Right, top: probe accuracy by layer for both concepts (mean over the ensemble, band ± one
standard deviation), the chosen layer marked, and the probing-sparsity curves at the chosen
layer.  Bottom: the attribution of the chosen concept at the chosen layer: the top- and
bottom-attributing training images (score, class, concept label; click one to enlarge it)
and the histogram of every training image's concept-level score; in a second tab the removal
experiment (the paper's section 4.3) as a job: probe accuracy by layer before, after removing
the k top-attributing and after removing k random training images.

The probe job runs at start-up on the embedded default (seconds).  The attribution is a job
started by the user (minutes on the default ensemble: per-example gradients of all training
images on every member).  Only complete results are kept (sessions save them, pickle-free); a
result whose spec differs from the one the settings build now is marked stale.  Restoring a
session never starts a job.  Nothing heavy runs on the GUI thread: torch is imported by the
jobs on the panel's thread (and by the job modules when a spec is built).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
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
from workbench.gui.theme import plot_theme, theme_signals

from .core.dataset import CLASS_NAMES
from .state import ConceptsState
from .ui.views import HistogramView, ProbeView, RemovalView, SparsityView, Thumb, ThumbnailGallery

#: the settings each job reads
PROBE_INPUTS = ("ensemble",)
ATTRIBUTE_INPUTS = ("ensemble", "concept", "layer", "n_targets", "proj_dim", "seed")
REMOVE_INPUTS = ATTRIBUTE_INPUTS + ("rm_k", "rm_members")
#: the tabs under the probe plots
TABS = ("Attribution", "Removal experiment")
STALE = "stale: the settings have changed since"
REFERENCE = "Konz et al. 2023 (arXiv 2310.03149); TRAK (Park et al., arXiv 2303.14186) through traker"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ConceptsPanel(Panel):
    """Where a concept lives (probes per layer) and which training images taught it (TRAK)."""

    state_model: ConceptsState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "concepts")
        self.state_model = ConceptsState()
        self.stale = {"probe": False, "attribute": False, "remove": False}
        self._jobs: dict[str, JobHandle | None] = {"probe": None, "attribute": None, "remove": None}
        self._message = ("", False)
        self._build()
        self.state_model.add_global_callback(lambda name, _new, _old: self._settings_changed(name))
        theme_signals().theme_changed.connect(self._theme_changed)
        self._theme_connected = True
        self._draw_probes()
        self._draw_attribution()
        self._draw_removal()

    # ------------------------------------------------------------------ layout -------------
    def _build(self) -> None:
        st, bind = self.state_model, self.binder.bind

        self.ensemble = bind(st, "ensemble", QLineEdit())
        browse = QPushButton("…")
        browse.setMaximumWidth(28)
        browse.setToolTip("choose an ensemble checkpoint (.safetensors)")
        browse.clicked.connect(self._browse_ensemble)
        ens_row = QHBoxLayout()
        ens_row.addWidget(self.ensemble, 1)
        ens_row.addWidget(browse)
        self.concept = bind(st, "concept", QComboBox())
        self.layer = bind(st, "layer", QComboBox())
        choose = QGroupBox("Concept and layer")
        f = QFormLayout(choose)
        f.addRow(st.field("ensemble").label, ens_row)
        f.addRow(st.field("concept").label, self.concept)
        f.addRow(st.field("layer").label, self.layer)
        self.probe_btn = QPushButton("Run probes")
        self.probe_btn.setToolTip("fit a linear probe per layer, concept and member (Ctrl+Shift+P)")
        self.probe_btn.clicked.connect(self.run_probe)
        f.addRow(self.probe_btn)

        attr = QGroupBox("Attribution (TRAK)")
        f = QFormLayout(attr)
        for name in ("n_targets", "proj_dim", "seed", "gallery"):
            w = bind(st, name, QSpinBox())
            setattr(self, name, w)
            f.addRow(st.field(name).label, w)
        self.attribute_btn = QPushButton("Attribute")
        self.attribute_btn.setToolTip(
            "TRAK scores of the concept's probe at the layer against every training image (Ctrl+Return; "
            "minutes on the default ensemble)"
        )
        self.attribute_btn.clicked.connect(self.run_attribute)
        f.addRow(self.attribute_btn)

        removal = QGroupBox("Removal experiment")
        f = QFormLayout(removal)
        for name in ("rm_k", "rm_members"):
            w = bind(st, name, QSpinBox())
            setattr(self, name, w)
            f.addRow(st.field(name).label, w)
        self.remove_btn = QPushButton("Run removal")
        self.remove_btn.setToolTip(
            "remove the k top-attributing and k random training images, retrain, re-probe every layer "
            "(long: two retrainings per member)"
        )
        self.remove_btn.clicked.connect(self.run_remove)
        f.addRow(self.remove_btn)

        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("stop the running job; the last complete result stays (Esc)")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_run)
        self.add_shortcut("Ctrl+Return", self.run_attribute, "Attribute the concept at the layer")
        self.add_shortcut("Ctrl+Shift+P", self.run_probe, "Run the probes")
        self.add_shortcut("Escape", self.cancel_run, "Cancel the running job")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.hide()
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(choose)
        lv.addWidget(attr)
        lv.addWidget(removal)
        lv.addWidget(self.summary)
        lv.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(220)
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addWidget(scroll, 1)
        sv.addWidget(self.cancel_btn)
        sv.addWidget(self.progress)
        sv.addWidget(self.status)

        self.probe_view = ProbeView()
        self.sparsity_view = SparsityView()
        self.gallery = ThumbnailGallery()
        self.histogram = HistogramView()
        top = QSplitter()
        top.addWidget(self.probe_view)
        top.addWidget(self.sparsity_view)
        bottom = QSplitter()
        bottom.addWidget(self.gallery)
        bottom.addWidget(self.histogram)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        self.removal_view = RemovalView()
        self.tabs = QTabWidget()
        self.tabs.addTab(bottom, TABS[0])
        self.tabs.addTab(self.removal_view, TABS[1])
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(top)
        right.addWidget(self.tabs)
        split = QSplitter()
        split.addWidget(side)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([250, 950])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        self.setMinimumSize(400, 300)

    def _browse_ensemble(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Ensemble checkpoint", "", "safetensors (*.safetensors);;All (*)")
        if path:
            self.apply_settings({"ensemble": path}, "Ensemble")

    # ------------------------------------------------------------------ jobs ---------------
    def _spec(self, name: str) -> Any:
        st = self.state_model
        if name == "remove":
            return st.remove_spec()
        return st.probe_spec() if name == "probe" else st.attribute_spec()

    def _current(self, name: str) -> Any:
        try:
            return self._spec(name)
        except ValueError:
            return None

    def run_probe(self) -> JobHandle | None:
        """Probe every layer for both concepts on the ensemble (a running probe is replaced)."""
        from .jobs import run_probe

        return self._run("probe", run_probe, "concept probes")

    def run_attribute(self) -> JobHandle | None:
        """TRAK attribution of the chosen concept at the chosen layer (a running one is replaced)."""
        from .gallery import run_attribute_gallery

        st = self.state_model
        return self._run("attribute", run_attribute_gallery, f"TRAK attribution ({st.concept}, {st.layer})")

    def run_remove(self) -> JobHandle | None:
        """The removal experiment of the chosen concept and layer (a running one is replaced)."""
        from .jobs import run_remove

        st = self.state_model
        self.tabs.setCurrentIndex(TABS.index("Removal experiment"))
        return self._run("remove", run_remove, f"removal experiment ({st.concept}, {st.layer}, k = {st.rm_k})")

    def _run(self, name: str, fn: Any, title: str) -> JobHandle | None:
        self.binder.commit()
        try:
            spec = self._spec(name)
        except ValueError as exc:
            self._say(f"{name}: {exc}", error=True)
            return None
        handle = self.submit(
            fn,
            spec,
            title=title,
            on_result=lambda res: self._done(name, res, spec),
            on_progress=lambda f, m: self._progress(name, f, m),
            on_error=lambda msg, _tb: self._say(f"{title} failed: {msg}", error=True),
            key=name,
        )
        self._jobs[name] = handle
        handle.done.connect(lambda: self._ended(name, handle))
        if handle.is_done:  # a fast job can end before its done signal was connected here
            self._ended(name, handle)
            return handle
        self.cancel_btn.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setFormat(f"{name}: starting…")
        self.progress.show()
        self._say("")
        return handle

    def cancel_run(self) -> None:
        for handle in self._jobs.values():
            if handle is not None:
                handle.cancel()

    def _progress(self, name: str, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        self.progress.setFormat(f"{name}: {message}")

    def _done(self, name: str, res: Any, spec: Any) -> None:
        self.keep_result(name, res, spec)
        if name == "attribute":
            self._say(f"attribution done in {res.attribution.seconds:.0f} s")
        if name == "remove":
            self._say(f"removal experiment done in {res.seconds:.0f} s")
        self._update_stale()
        {"probe": self._draw_probes, "attribute": self._draw_attribution, "remove": self._draw_removal}[name]()

    def _ended(self, name: str, handle: JobHandle) -> None:
        if self._jobs.get(name) is not handle:
            return
        self._jobs[name] = None
        if all(h is None for h in self._jobs.values()):
            self.cancel_btn.setEnabled(False)
            self.progress.hide()
        if handle.state == "cancelled":
            self._say(f"{name} cancelled" + ("; the last complete result is shown" if self.kept(name) else ""))
        self._update_stale()
        self._draw_probes()
        self._draw_attribution()
        self._draw_removal()

    # ------------------------------------------------------------------ drawing ------------
    def probe_title(self) -> str:
        kept = self.kept("probe")
        if kept is None:
            return ""
        res = kept.result
        members = next(iter(res.concepts.values())).accuracy.shape[0]
        peaks = ", ".join(f"{n} peaks at {res.layers[int(np.argmax(c.mean()))]}" for n, c in res.concepts.items())
        return f"{members} members, mean ± std; {peaks}" + (f" [{STALE}]" if self.stale["probe"] else "")

    def _draw_probes(self) -> None:
        kept = self.kept("probe")
        if kept is None:
            text = "probing…" if self._jobs["probe"] is not None else "no probes yet: Run probes"
            self.probe_view.reset(text)
            self.sparsity_view.reset(text)
        else:
            layer = self.state_model.layer
            members = next(iter(kept.result.concepts.values())).accuracy.shape[0]
            mark = " [stale]" if self.stale["probe"] else ""
            self.probe_view.draw(kept.result, layer, f"Probe accuracy by layer ({members} members, mean ± std){mark}")
            self.sparsity_view.draw(kept.result, layer, f"Probing sparsity at {layer}{mark}")
        self._draw_summary()

    def attribution_title(self) -> str:
        kept = self.kept("attribute")
        if kept is None:
            return ""
        a = kept.result.attribution
        n_train, n_targets = a.scores.shape
        text = (
            f"{a.concept} at {a.layer}: {n_train:,} training images, {n_targets} targets; top-{a.n_top} "
            f"positive fraction {a.top_positive_fraction:.2f} (chance {a.chance:.2f})"
        )
        return text + (f" [{STALE}]" if self.stale["attribute"] else "")

    def _draw_attribution(self) -> None:
        kept = self.kept("attribute")
        if kept is None:
            text = (
                "attributing…"
                if self._jobs["attribute"] is not None
                else "no attribution yet: press Attribute (Ctrl+Return)"
            )
            self.gallery.reset(text)
            self.histogram.reset("attributing…" if self._jobs["attribute"] is not None else "no attribution yet")
            self._draw_summary()
            return
        g = kept.result
        a = g.attribution
        n = self.state_model.gallery
        cs = np.asarray(a.concept_scores, float)

        def thumbs(indices: np.ndarray, images: np.ndarray) -> list[Thumb]:
            return [
                Thumb(images[j], int(i), float(cs[i]), CLASS_NAMES[int(a.train_labels[i])], bool(a.train_positive[i]))
                for j, i in enumerate(indices[: min(n, len(images))])
            ]

        self.gallery.set_rows(
            [
                (
                    f"Top {min(n, len(g.top_images))} attributing (framed: concept positive)",
                    thumbs(a.top, g.top_images),
                ),
                (f"Bottom {min(n, len(g.bottom_images))} attributing", thumbs(a.bottom, g.bottom_images)),
            ]
        )
        mark = " [stale]" if self.stale["attribute"] else ""
        self.histogram.draw(cs, np.asarray(a.train_positive, bool), f"TRAK scores: {a.concept} at {a.layer}{mark}")
        self._draw_summary()

    def removal_title(self) -> str:
        kept = self.kept("remove")
        if kept is None:
            return ""
        from .state import LAYERS

        r = kept.result
        li = LAYERS.index(r.layer)
        d = float((r.top_k.accuracy[:, li] - r.random_k.accuracy[:, li]).mean())
        text = (
            f"{r.concept} at {r.layer}, k = {r.k}, {r.before.accuracy.shape[0]} members: top-k minus random-k "
            f"{d:+.3f} at {r.layer}; removed top-k positive fraction {r.removed_top_positive_fraction:.2f}"
        )
        return text + (f" [{STALE}]" if self.stale["remove"] else "")

    def _draw_removal(self) -> None:
        from .state import LAYERS

        kept = self.kept("remove")
        if kept is None:
            running = self._jobs["remove"] is not None
            self.removal_view.reset("removal experiment running…" if running else "no removal experiment yet")
        else:
            r = kept.result
            mark = " [stale]" if self.stale["remove"] else ""
            self.removal_view.draw(r, LAYERS, f"Removal: {r.concept} at {r.layer}, k = {r.k} (95 % CI){mark}")
        self._draw_summary()

    def _draw_summary(self) -> None:
        lines = []
        if self.kept("probe") is not None:
            lines.append(_html("Probes: " + self.probe_title()))
        if self.kept("attribute") is not None:
            lines.append(_html("Attribution: " + self.attribution_title()))
        if self.stale["attribute"] and self._jobs["attribute"] is None:
            lines.append("<i>" + _html(STALE) + "; press Attribute (Ctrl+Return)</i>")
        if self.kept("remove") is not None:
            lines.append(_html("Removal: " + self.removal_title()))
        self.summary.setText("<br>".join(lines))

    def _say(self, text: str, error: bool = False) -> None:
        self._message = (text, error)
        if text:
            self.shell.log(text, "warning" if error else "info", self.plugin_id)
        self._draw_status()

    def _draw_status(self) -> None:
        text, error = self._message
        if error:
            colour = "#ff7a6e" if plot_theme().dark else "#c0392b"
            self.status.setText(f"<span style='color:{colour}'>{_html(text)}</span>")
        else:
            self.status.setText(_html(text))

    # ------------------------------------------------------------------ state --------------
    def _update_stale(self) -> None:
        for name in ("probe", "attribute", "remove"):
            self.stale[name] = self.kept(name) is not None and self.result_is_stale(name, self._current(name))

    def _settings_changed(self, name: str) -> None:
        if self._shut_down:
            return
        self._update_stale()
        if name in ("layer", "ensemble"):
            self._draw_probes()
        if name in ATTRIBUTE_INPUTS or name == "gallery":
            self._draw_attribution()
        if name in REMOVE_INPUTS:
            self._draw_removal()

    def start(self) -> None:
        """The embedded default: the probes of the shipped ensemble (seconds), unless a session
        brought them."""
        if self.kept("probe") is None:
            self.run_probe()

    def restore(self, state: dict[str, Any]) -> None:
        """Apply a saved state; never starts a job."""
        super().restore(state)
        self._update_stale()
        self._draw_probes()
        self._draw_attribution()
        self._draw_removal()

    def results_restored(self, names: list[str]) -> None:
        """Draw what a session kept (nothing recomputed) and mark the stale results."""
        self._update_stale()
        self._draw_probes()
        self._draw_attribution()
        self._draw_removal()

    # ------------------------------------------------------------------ theme --------------
    def _theme_changed(self, _theme: str = "") -> None:
        if self._shut_down:
            return
        self.gallery.update()
        self._draw_status()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        if self._theme_connected:
            self._theme_connected = False
            theme_signals().theme_changed.disconnect(self._theme_changed)
        return super().shutdown(timeout_ms)

    # ------------------------------------------------------------------ figures ------------
    def context(self) -> dict[str, Any]:
        """What every figure's caption and data name: ensemble, concept, layer, budget, status."""
        st = self.state_model
        return {
            "ensemble": st.ensemble or "shipped default (resources/concepts/)",
            "concept": st.concept,
            "layer": st.layer,
            "n_targets": st.n_targets,
            "proj_dim": st.proj_dim,
            "seed": st.seed,
            "probe_status": "none" if self.kept("probe") is None else "stale" if self.stale["probe"] else "current",
            "attribution_status": self._status("attribute"),
            "removal_status": self._status("remove"),
            "removal_k": st.rm_k,
            "removal_members": st.rm_members,
        }

    def _status(self, name: str) -> str:
        return "none" if self.kept(name) is None else "stale" if self.stale[name] else "current"

    def caption(self, what: str) -> str:
        c = self.context()
        text = f"{what}. Ensemble: {c['ensemble']}"
        if what.startswith(("Probe", "Probing")) and self.kept("probe") is not None:
            text += f"; {self.probe_title()}; held-out accuracy of a logistic probe on pooled block outputs"
        if what.startswith(("Top", "Score")) and self.kept("attribute") is not None:
            text += f"; {self.attribution_title()}; projection dim {c['proj_dim']}, seed {c['seed']}"
        if what.startswith("Removal") and self.kept("remove") is not None:
            text += f"; {self.removal_title()}; probe accuracy by layer, mean over the retrained members"
        return f"{text}. {REFERENCE}."

    def figures(self) -> list[FigureSource]:
        from workbench.gui.captioned import CaptionedFigure

        figs = (
            ("concepts_probes", self.probe_view, "Probe accuracy by layer", self.probe_view.data),
            ("concepts_sparsity", self.sparsity_view, "Probing sparsity", self.sparsity_view.data),
            ("concepts_gallery", self.gallery, "Top and bottom attributing training images", self.gallery.data),
            ("concepts_scores", self.histogram, "Score distribution", self.histogram.data),
            ("concepts_removal", self.removal_view, "Removal experiment", self.removal_view.data),
        )

        def make(name: str, widget: QWidget, title: str, data: Any) -> FigureSource:
            def all_data() -> dict[str, Any]:
                return {**data(), **self.context(), "caption": self.caption(title)}

            return CaptionedFigure(name, widget=widget, data=all_data, title=title, caption=lambda: self.caption(title))

        return [make(*f) for f in figs]
