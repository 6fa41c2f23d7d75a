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

from collections.abc import Iterator
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
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
from workbench.gui.theme import theme_signals

from .core.dataset import CLASS_NAMES
from .state import ConceptsState
from .ui.views import HistogramView, ProbeView, RemovalView, SparsityView, Thumb, ThumbnailGallery

#: the settings each job reads
DATA_INPUTS = ("ensemble", "data", "data_folder", "concept_folder")
PROBE_INPUTS = DATA_INPUTS
ATTRIBUTE_INPUTS = DATA_INPUTS + ("concept", "layer", "n_targets", "proj_dim", "seed")
IMAGE_INPUTS = DATA_INPUTS + ("concept", "layer", "proj_dim", "seed", "test_image")
REMOVE_INPUTS = ATTRIBUTE_INPUTS + ("rm_k", "rm_members")
#: the tabs under the probe plots
TABS = ("Attribution", "Test image", "Removal experiment")
JOBS = ("probe", "attribute", "image", "remove")
STALE = "stale: the settings have changed since"
REFERENCE = "Konz et al. 2023 (arXiv 2310.03149); TRAK (Park et al., arXiv 2303.14186) through traker"


def _enrichment(a: Any) -> str:
    """The top-attributing images' concept-positive fraction against chance, where known."""
    if not a.positives_known:
        return "the training images' concept labels are unknown (a task folder)"
    return f"top-{a.n_top} positive fraction {a.top_positive_fraction:.2f} (chance {a.chance:.2f})"


def _class_name(a: Any, label: int) -> str:
    """The name of class ``label`` of an attribution's data (the embedded classes by default)."""
    names = tuple(getattr(a, "class_names", ())) or CLASS_NAMES
    return names[label] if 0 <= label < len(names) else str(label)


def _train_thumbs(a: Any, indices: np.ndarray, images: np.ndarray, n: int) -> list[Thumb]:
    """The first ``n`` training images of ``indices`` (top or bottom attributing) as thumbnails
    with their concept score, class name and concept label."""
    cs = np.asarray(a.concept_scores, float)
    return [
        Thumb(images[j], int(i), float(cs[i]), _class_name(a, int(a.train_labels[i])), bool(a.train_positive[i]))
        for j, i in enumerate(indices[: min(n, len(images))])
    ]


def _test_thumbs(g: Any, logit: float = float("nan")) -> list[Thumb]:
    """The test images an :class:`~workbench_concepts.gallery.AttributionGallery` carries."""
    return [
        Thumb(img, int(i), logit, _class_name(g.attribution, int(c)), bool(p), kind="test")
        for img, i, c, p in zip(g.test_images, g.test_indices, g.test_labels, g.test_positive, strict=True)
    ]


class ConceptsPanel(Panel):
    """Where a concept lives (probes per layer) and which training images taught it (TRAK)."""

    state_model: ConceptsState

    def __init__(self, shell: Any) -> None:
        super().__init__(shell, "concepts")
        self.state_model = ConceptsState()
        self.stale = {name: False for name in JOBS}
        self._jobs: dict[str, JobHandle | None] = {name: None for name in JOBS}
        self._message = ("", False)
        self.build_in_steps(self._build_steps())

    def _build_steps(self) -> Iterator[None]:
        """The construction, a ``yield`` between its plots (see ``Panel.build_in_steps``)."""
        yield from self._build()
        self.state_model.add_global_callback(lambda name, _new, _old: self._settings_changed(name))
        self._enable_folders()
        theme_signals().theme_changed.connect(self._theme_changed)
        self._theme_connected = True
        yield
        self._draw_all()

    def _draw_all(self) -> None:
        self._draw_probes()
        self._draw_attribution()
        self._draw_image()
        self._draw_removal()

    # ------------------------------------------------------------------ layout -------------
    def _build(self) -> Iterator[None]:
        st, bind = self.state_model, self.binder.bind

        self.ensemble = bind(st, "ensemble", QLineEdit())
        browse = QPushButton("…")
        browse.setMaximumWidth(28)
        browse.setToolTip("choose an ensemble checkpoint (.safetensors)")
        browse.clicked.connect(self._browse_ensemble)
        ens_row = QHBoxLayout()
        ens_row.addWidget(self.ensemble, 1)
        ens_row.addWidget(browse)
        self.data = bind(st, "data", QComboBox())
        self.data_folder = bind(st, "data_folder", QLineEdit())
        self.concept_folder = bind(st, "concept_folder", QLineEdit())
        folder_rows = []
        for name, title in (
            ("data_folder", "Task image folder (one sub-folder per class)"),
            ("concept_folder", "Concept folder (positives/ and negatives/)"),
        ):
            pick = QPushButton("…")
            pick.setMaximumWidth(28)
            pick.setToolTip(f"choose the {st.field(name).label}")
            pick.clicked.connect(lambda _=False, n=name, t=title: self._browse_folder(n, t))
            row = QHBoxLayout()
            row.addWidget(getattr(self, name), 1)
            row.addWidget(pick)
            folder_rows.append((name, row, pick))
        self._folder_widgets = [w for name, _, pick in folder_rows for w in (getattr(self, name), pick)]
        self.concept = bind(st, "concept", QComboBox())
        self.layer = bind(st, "layer", QComboBox())
        choose = QGroupBox("Data, concept and layer")
        f = QFormLayout(choose)
        f.addRow(st.field("ensemble").label, ens_row)
        f.addRow(st.field("data").label, self.data)
        for name, row, _ in folder_rows:
            f.addRow(st.field(name).label, row)
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
        self.test_image = bind(st, "test_image", QSpinBox())
        f.addRow(st.field("test_image").label, self.test_image)
        self.image_btn = QPushButton("Attribute image")
        self.image_btn.setToolTip(
            "TRAK scores of the probe's output on the chosen test image alone (pick one in the gallery's row "
            "of test images; Ctrl+Shift+Return)"
        )
        self.image_btn.clicked.connect(self.run_image)
        f.addRow(self.image_btn)

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
        self.add_shortcut("Ctrl+Shift+Return", self.run_image, "Attribute the chosen test image")
        self.add_shortcut("Escape", self.cancel_run, "Cancel the running job")
        self.progress = progress_bar()
        self.status = status_label()
        self.summary = status_label("summary")
        side = side_pane(
            (choose, attr, removal, self.summary), (self.cancel_btn, self.progress, self.status), min_width=220
        )

        yield
        self.probe_view = ProbeView()
        yield
        self.sparsity_view = SparsityView()
        yield
        self.gallery = ThumbnailGallery()
        self.gallery.clicked.connect(self._gallery_clicked)
        self.image_gallery = ThumbnailGallery()
        self.histogram = HistogramView()
        yield
        top = QSplitter()
        top.addWidget(self.probe_view)
        top.addWidget(self.sparsity_view)
        bottom = QSplitter()
        bottom.addWidget(self.gallery)
        bottom.addWidget(self.histogram)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        self.removal_view = RemovalView()
        yield
        self.tabs = QTabWidget()
        self.tabs.addTab(bottom, TABS[0])
        self.tabs.addTab(self.image_gallery, TABS[1])
        self.tabs.addTab(self.removal_view, TABS[2])
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

    def _browse_folder(self, name: str, title: str) -> None:
        path = QFileDialog.getExistingDirectory(self, title, getattr(self.state_model, name))
        if path:
            self.apply_settings({name: path, "data": "folders"}, title.split(" (")[0])

    def _enable_folders(self) -> None:
        on = self.state_model.data == "folders"
        for w in self._folder_widgets:
            w.setEnabled(on)

    def _browse_ensemble(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Ensemble checkpoint", "", "safetensors (*.safetensors);;All (*)")
        if path:
            self.apply_settings({"ensemble": path}, "Ensemble")

    # ------------------------------------------------------------------ jobs ---------------
    def _gallery_clicked(self, k: int) -> None:
        """A click on a test image of the attribution gallery chooses it for Attribute image."""
        thumbs = self.gallery.thumbs()
        if 0 <= k < len(thumbs) and thumbs[k].kind == "test":
            self.apply_settings({"test_image": thumbs[k].index}, "Test image")

    def _spec(self, name: str) -> Any:
        st = self.state_model
        if name == "remove":
            return st.remove_spec()
        if name == "image":
            return st.image_spec()
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

    def run_image(self) -> JobHandle | None:
        """TRAK attribution of the probe's output on the chosen test image (a running one is replaced)."""
        from .gallery import run_attribute_gallery

        st = self.state_model
        self.tabs.setCurrentIndex(TABS.index("Test image"))
        return self._run(
            "image", run_attribute_gallery, f"TRAK attribution of test image {st.test_image} ({st.concept}, {st.layer})"
        )

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
        set_progress(self.progress, fraction, f"{name}: {message}")

    def _done(self, name: str, res: Any, spec: Any) -> None:
        self.keep_result(name, res, spec)
        if name in ("attribute", "image"):
            self._say(f"attribution done in {res.attribution.seconds:.0f} s")
        if name == "remove":
            self._say(f"removal experiment done in {res.seconds:.0f} s")
        self._update_stale()
        draw = {
            "probe": (self._draw_probe_accuracy, self._draw_probe_sparsity),  # two turns: 0.17 s in one
            "attribute": (self._draw_attribution,),
            "image": (self._draw_image,),
        }
        self.redraw_later(*draw.get(name, (self._draw_removal,)))

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
        self.redraw_later(
            self._draw_probe_accuracy,
            self._draw_probe_sparsity,
            self._draw_attribution,
            self._draw_image,
            self._draw_removal,
        )

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
        self._draw_probe_accuracy()
        self._draw_probe_sparsity()

    def _draw_probe_accuracy(self) -> None:
        kept = self.kept("probe")
        if kept is None:
            self.probe_view.reset("probing…" if self._jobs["probe"] is not None else "no probes yet: Run probes")
        else:
            members = next(iter(kept.result.concepts.values())).accuracy.shape[0]
            mark = " [stale]" if self.stale["probe"] else ""
            title = f"Probe accuracy by layer ({members} members, mean ± std){mark}"
            self.probe_view.draw(kept.result, self.state_model.layer, title)
        self._draw_summary()

    def _draw_probe_sparsity(self) -> None:
        kept = self.kept("probe")
        if kept is None:
            self.sparsity_view.reset("probing…" if self._jobs["probe"] is not None else "no probes yet: Run probes")
        else:
            layer = self.state_model.layer
            mark = " [stale]" if self.stale["probe"] else ""
            self.sparsity_view.draw(kept.result, layer, f"Probing sparsity at {layer}{mark}")

    def attribution_title(self) -> str:
        kept = self.kept("attribute")
        if kept is None:
            return ""
        a = kept.result.attribution
        n_train, n_targets = a.scores.shape
        text = f"{a.concept} at {a.layer}: {n_train:,} training images, {n_targets} targets; " + _enrichment(a)
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

        def thumbs(indices: np.ndarray, images: np.ndarray) -> list[Thumb]:
            return _train_thumbs(a, indices, images, n)

        self.gallery.set_rows(
            [
                (
                    f"Top {min(n, len(g.top_images))} attributing (framed: concept positive)",
                    thumbs(a.top, g.top_images),
                ),
                (f"Bottom {min(n, len(g.bottom_images))} attributing", thumbs(a.bottom, g.bottom_images)),
                ("Test images (click one to choose it for Attribute image)", _test_thumbs(g)),
            ]
        )
        mark = " [stale]" if self.stale["attribute"] else ""
        self.histogram.draw(
            np.asarray(a.concept_scores, float),
            np.asarray(a.train_positive, bool),
            f"TRAK scores: {a.concept} at {a.layer}{mark}",
        )
        self._draw_summary()

    def image_title(self) -> str:
        kept = self.kept("image")
        if kept is None:
            return ""
        a = kept.result.attribution
        label = ("concept positive" if a.test_positive else "concept negative") if a.positives_known else "test image"
        text = (
            f"test image {a.test_image} ({_class_name(a, a.test_label)}, {label}), {a.concept} probe at {a.layer}: "
            f"mean logit {a.probe_logit:+.2f}; " + _enrichment(a)
        )
        return text + (f" [{STALE}]" if self.stale["image"] else "")

    def _draw_image(self) -> None:
        kept = self.kept("image")
        if kept is None:
            running = self._jobs["image"] is not None
            self.image_gallery.reset(
                "attributing the test image…"
                if running
                else "no test image attributed yet: choose one (the test image box, or click one in the Attribution "
                "tab's row of test images) and press Attribute image (Ctrl+Shift+Return)"
            )
            self._draw_summary()
            return
        g = kept.result
        a = g.attribution
        n = self.state_model.gallery

        def thumbs(indices: np.ndarray, images: np.ndarray) -> list[Thumb]:
            return _train_thumbs(a, indices, images, n)

        test = _test_thumbs(g, a.probe_logit)
        mark = " [stale]" if self.stale["image"] else ""
        self.image_gallery.set_rows(
            [
                (f"Test image {a.test_image}: the {a.concept} probe's logit at {a.layer} attributed{mark}", test),
                (f"Top {min(n, len(g.top_images))} attributing training images", thumbs(a.top, g.top_images)),
                (f"Bottom {min(n, len(g.bottom_images))} attributing", thumbs(a.bottom, g.bottom_images)),
            ]
        )
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
            f"{d:+.3f} at {r.layer}"
            + (
                f"; removed top-k positive fraction {r.removed_top_positive_fraction:.2f}"
                if np.isfinite(r.removed_top_positive_fraction)
                else ""
            )
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
            lines.append(escape_html("Probes: " + self.probe_title()))
        if self.kept("attribute") is not None:
            lines.append(escape_html("Attribution: " + self.attribution_title()))
        if self.stale["attribute"] and self._jobs["attribute"] is None:
            lines.append("<i>" + escape_html(STALE) + "; press Attribute (Ctrl+Return)</i>")
        if self.kept("image") is not None:
            lines.append(escape_html("Test image: " + self.image_title()))
        if self.kept("remove") is not None:
            lines.append(escape_html("Removal: " + self.removal_title()))
        self.summary.setText("<br>".join(lines))

    def _say(self, text: str, error: bool = False) -> None:
        self._message = (text, error)
        if text:
            self.shell.log(text, "warning" if error else "info", self.plugin_id)
        self._draw_status()

    def _draw_status(self) -> None:
        show_message(self.status, *self._message)

    # ------------------------------------------------------------------ state --------------
    def _update_stale(self) -> None:
        for name in JOBS:
            self.stale[name] = self.kept(name) is not None and self.result_is_stale(name, self._current(name))

    def _settings_changed(self, name: str) -> None:
        if self._shut_down:
            return
        self._update_stale()
        if name == "data":
            self._enable_folders()
        if name == "layer" or name in PROBE_INPUTS:
            self._draw_probes()
        if name in ATTRIBUTE_INPUTS or name == "gallery":
            self._draw_attribution()
        if name in IMAGE_INPUTS or name == "gallery":
            self._draw_image()
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
        self._draw_all()

    def results_restored(self, names: list[str]) -> None:
        """Draw what a session kept (nothing recomputed) and mark the stale results."""
        self._update_stale()
        self._draw_all()

    # ------------------------------------------------------------------ theme --------------
    def _theme_changed(self, _theme: str = "") -> None:
        if self._shut_down:
            return
        self.gallery.update()
        self.image_gallery.update()
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
            "test_image": st.test_image,
            "test_image_attribution_status": self._status("image"),
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
        if what.startswith("Test image") and self.kept("image") is not None:
            text += f"; {self.image_title()}; projection dim {c['proj_dim']}, seed {c['seed']}"
        if what.startswith("Removal") and self.kept("remove") is not None:
            text += f"; {self.removal_title()}; probe accuracy by layer, mean over the retrained members"
        return f"{text}. {REFERENCE}."

    def figures(self) -> list[FigureSource]:
        from workbench.gui.captioned import captioned_figures

        figs = (
            ("concepts_probes", self.probe_view, "Probe accuracy by layer", self.probe_view.data),
            ("concepts_sparsity", self.sparsity_view, "Probing sparsity", self.sparsity_view.data),
            ("concepts_gallery", self.gallery, "Top and bottom attributing training images", self.gallery.data),
            ("concepts_scores", self.histogram, "Score distribution", self.histogram.data),
            (
                "concepts_test_image",
                self.image_gallery,
                "Test image and its top and bottom attributing training images",
                self.image_gallery.data,
            ),
            ("concepts_removal", self.removal_view, "Removal experiment", self.removal_view.data),
        )
        return list(captioned_figures(figs, self.context, self.caption))
