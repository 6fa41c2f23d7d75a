"""The panel's forms: the Compare box (models, data, pooling, measure, colour scale, samples,
Compute/Cancel, status and notes) and the Stitching and Mode-connectivity pages, each bound to
the state's fields by the panel's binder.  Widgets only; the panel wires the actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.zoo import ZOO
from .plot_style import legend_below

Bind = Callable[[Any, str, QWidget], QWidget]

STITCH_COLUMNS = ["from", "to", "stitched loss", "stitched acc.", "receiver loss", "penalty", "LS-init loss"]
ROTATION_HINT = "Insert a random rotation after a hidden layer of A (a digit MLP), retrain what follows."


def _model_combo() -> QComboBox:
    c = QComboBox()
    c.setEditable(True)
    c.addItems(list(ZOO))
    c.setMinimumContentsLength(14)
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    return c


def note_label(name: str) -> QLabel:
    """A word-wrapped, selectable label for status lines and notes."""
    label = QLabel("")
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class CompareForm(QGroupBox):
    """What is compared and how.  ``status`` (the job line and the shown result) and ``notes``
    (settings clamped or not applied) are laid out by the panel, outside the form's scroll area."""

    def __init__(self, sm: Any, bind: Bind) -> None:
        super().__init__("Compare")
        self.model_a = bind(sm, "model_a", _model_combo())
        self.model_b = bind(sm, "model_b", _model_combo())
        data = QComboBox()
        data.setEditable(True)
        data.addItem("default")
        data.setMinimumContentsLength(12)
        data.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.data = bind(sm, "data", data)
        self.pooling = bind(sm, "pooling", QComboBox())
        self.measure = bind(sm, "measure", QComboBox())
        self.colour_scale = bind(sm, "colour_scale", QComboBox())
        self.max_samples = bind(sm, "max_samples", QSpinBox())
        minibatch = QSpinBox()
        minibatch.setSpecialValueText("off")
        self.minibatch = bind(sm, "minibatch", minibatch)
        self.seed = bind(sm, "seed", QSpinBox())
        self.compute_btn = QPushButton("Compute heatmaps")
        self.compute_btn.setToolTip("Ctrl+Return")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("cancel every running job of this panel; the last complete results stay")
        self.browse_a, self.browse_b = QPushButton("…"), QPushButton("…")
        for b in (self.browse_a, self.browse_b):
            b.setMaximumWidth(28)
            b.setToolTip("choose a local model folder, .safetensors or .npz of layer activations")
        self.browse_text, self.browse_images = QPushButton("Text file…"), QPushButton("Image folder…")
        self.status = note_label("status")
        self.notes = note_label("notes")
        self._lay_out()

    def _lay_out(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setVerticalSpacing(3)
        grid.addWidget(QLabel("Model A"), 0, 0)
        grid.addWidget(self.model_a, 0, 1)
        grid.addWidget(self.browse_a, 0, 2)
        grid.addWidget(QLabel("Model B"), 0, 3)
        grid.addWidget(self.model_b, 0, 4)
        grid.addWidget(self.browse_b, 0, 5)
        grid.addWidget(QLabel("Data"), 1, 0)
        grid.addWidget(self.data, 1, 1)
        files = QHBoxLayout()
        files.addWidget(self.browse_text)
        files.addWidget(self.browse_images)
        files.addStretch(1)
        grid.addLayout(files, 1, 3, 1, 3)
        grid.addWidget(QLabel("Pooling"), 2, 0)
        grid.addWidget(self.pooling, 2, 1)
        grid.addWidget(QLabel("Measure"), 2, 3)
        measure = QHBoxLayout()
        measure.addWidget(self.measure, 2)
        measure.addWidget(QLabel("colours"))
        measure.addWidget(self.colour_scale, 1)
        grid.addLayout(measure, 2, 4, 1, 2)
        grid.addWidget(QLabel("Samples"), 3, 0)
        samples = QHBoxLayout()
        samples.addWidget(self.max_samples, 1)
        samples.addWidget(QLabel("minibatch"))
        samples.addWidget(self.minibatch, 1)
        samples.addWidget(QLabel("seed"))
        samples.addWidget(self.seed, 1)
        grid.addLayout(samples, 3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.compute_btn)
        buttons.addWidget(self.cancel_btn)
        grid.addLayout(buttons, 3, 3, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)


class StitchPage(QWidget):
    """Stitching settings, its status line and the table."""

    def __init__(self, sm: Any, bind: Bind) -> None:
        super().__init__()
        self.table = QTableWidget(0, len(STITCH_COLUMNS))
        self.table.setHorizontalHeaderLabels(STITCH_COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.steps = bind(sm, "stitch_steps", QSpinBox())
        self.seed = bind(sm, "stitch_seed", QSpinBox())
        self.button = QPushButton("Stitch A ↔ B")
        self.label = note_label("stitch-status")
        explain = QLabel(
            "Affine stitching layer from a point of one model into the same-depth point of the other, "
            "trained on the task with both models frozen; penalty = stitched loss − receiver's own "
            "loss (nats)."
        )
        explain.setWordWrap(True)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("training steps"))
        row.addWidget(self.steps)
        row.addWidget(QLabel("seed"))
        row.addWidget(self.seed)
        row.addWidget(self.button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(explain)
        lay.addWidget(self.label)
        lay.addWidget(self.table, 1)


class LmcPage(QWidget):
    """Linear mode connectivity (settings, status, the loss curves with the legend under the
    plot) and the rotation test.  The plot is built when the page is first shown or a curve
    is drawn (:meth:`ensure_plot`): opening the panel builds no plot of a hidden tab."""

    def __init__(self, sm: Any, bind: Bind) -> None:
        super().__init__()
        self.plot: pg.PlotWidget | None = None
        self.legend: pg.LegendItem | None = None
        #: called with the plot once it is built (the panel styles it and draws what it has)
        self.on_plot_built: Callable[[pg.PlotWidget], None] | None = None
        self.align = bind(sm, "lmc_align", QCheckBox(sm.field("lmc_align").label))
        self.button = QPushButton("Interpolate A → B")
        self.label = note_label("lmc-status")
        self.rot_layer = bind(sm, "rotation_layer", QSpinBox())
        self.rot_seed = bind(sm, "rotation_seed", QSpinBox())
        self.rot_button = QPushButton("Rotation test on A")
        self.rot_label = note_label("rotation-status")
        self.rot_label.setText(ROTATION_HINT)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.align)
        row.addWidget(self.button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.label)
        self._plot_slot = QVBoxLayout()
        lay.addLayout(self._plot_slot, 1)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("after hidden layer"))
        row2.addWidget(self.rot_layer)
        row2.addWidget(QLabel("seed"))
        row2.addWidget(self.rot_seed)
        row2.addWidget(self.rot_button)
        row2.addStretch(1)
        lay.addLayout(row2)
        lay.addWidget(self.rot_label)

    def ensure_plot(self) -> pg.PlotWidget:
        """The loss plot, built on first use."""
        if self.plot is None:
            self.plot = pg.PlotWidget(title="linear mode connectivity")
            self.plot.setLabel("bottom", "α  (θ = (1−α) θ<sub>A</sub> + α θ<sub>B</sub>)")
            self.plot.setLabel("left", "test loss (nats)")
            self.legend = legend_below(self.plot.getPlotItem())
            self._plot_slot.addWidget(self.plot)
            if self.on_plot_built is not None:
                self.on_plot_built(self.plot)
        return self.plot

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.ensure_plot()
