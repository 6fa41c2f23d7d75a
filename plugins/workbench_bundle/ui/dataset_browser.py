"""The bundle panel's dataset tab: generation settings (size, variant, seed), Load / Save, the
classifier (shipped or a checkpoint file) with Predict, training settings with Train (three
boxes side by side, scrolling sideways in a narrow window), the running job's progress bar with
Cancel, the line saying which classifier coloured the browser, and the browser of samples
(psi_2 in domain colouring, label, prediction; misclassified in red).

The settings are fields of :class:`workbench_bundle.state.BundleState` bound to the widgets;
the buttons only emit signals (the panel turns them into jobs)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.binding import Binder
from workbench.gui.reflow import ReflowRow
from workbench.gui.theme import plot_theme

from ..state import BundleState
from . import colors
from .metrics_view import MetricsView

#: samples drawn in the browser (the rest are counted in the info line)
BROWSER_LIMIT = 400


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """A QImage (copy) of an (h, w, 4) uint8 array."""
    a = np.ascontiguousarray(rgba)
    img = QImage(a.data, a.shape[1], a.shape[0], 4 * a.shape[1], QImage.Format.Format_RGBA8888)
    return img.copy()


class DatasetBrowser(QWidget):
    """Dataset settings and buttons, the info line and the sample browser."""

    generate_requested = Signal()
    load_requested = Signal(str)
    save_requested = Signal(str)
    predict_requested = Signal()
    train_requested = Signal()
    sample_clicked = Signal(int)
    cancel_requested = Signal()

    def __init__(self, state: BundleState, binder: Binder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.binder = state, binder
        lay = QVBoxLayout(self)
        group_boxes = []
        for title, build in (
            ("Dataset", self._dataset_row),
            ("Classifier", self._classifier_row),
            ("Training", self._train_row),
        ):
            box = QGroupBox(title)
            box.setLayout(build())
            group_boxes.append(box)
        # side by side where they fit, wrapped into rows in a narrow window (no sideways scroll)
        self.boxes = ReflowRow(group_boxes)
        lay.addWidget(self.boxes)
        lay.addLayout(self._job_row())
        #: which classifier's predictions colour the browser (or that none do)
        self.coloured_by = QLabel("")
        self.coloured_by.setObjectName("coloured-by")
        self.coloured_by.setWordWrap(True)
        self._coloured_text = ""
        self._stale_reason = ""
        lay.addWidget(self.coloured_by)
        self.info = QLabel("no dataset")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(64, 64))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setSpacing(4)
        self.list.itemClicked.connect(lambda item: self.sample_clicked.emit(int(item.data(Qt.ItemDataRole.UserRole))))
        #: confusion matrix and accuracy by |C| of the predictions that colour the browser, beside
        #: the browser (the settings boxes above keep their height)
        self.metrics_view = MetricsView()
        row = QHBoxLayout()
        row.addWidget(self.list, 3)
        row.addWidget(self.metrics_view, 2)
        lay.addLayout(row, 1)
        state.add_callback("classifier", lambda new, _old: self._classifier_changed(new))
        self._classifier_changed(state.classifier)

    # ---- builders -----------------------------------------------------------------------------
    def _labelled(self, form: QFormLayout, name: str, widget: QWidget) -> QWidget:
        form.addRow(self.state.field(name).label, self.binder.bind(self.state, name, widget))
        return widget

    @staticmethod
    def _button(row: QHBoxLayout, text: str, slot: Any, tip: str = "") -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        row.addWidget(b)
        return b

    @staticmethod
    def _with_browse(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        button.setMaximumWidth(28)
        row.addWidget(button)
        return row

    def _dataset_row(self) -> QFormLayout:
        form = QFormLayout()
        self.size_spin = self._labelled(form, "dataset_size", QSpinBox())
        self.variant_combo = self._labelled(form, "dataset_variant", QComboBox())
        self.seed_spin = self._labelled(form, "dataset_seed", QSpinBox())
        row = QHBoxLayout()
        self.generate_button = self._button(
            row, "Generate", self.generate_requested, "generate a dataset with these settings (a job)"
        )
        self._button(row, "Load…", self._load_dialog, "load a dataset .npz")
        self._button(row, "Save…", self._save_dialog, "save the dataset as .npz (a job)")
        form.addRow(row)
        return form

    def _classifier_row(self) -> QFormLayout:
        form = QFormLayout()
        self.clf_combo = self._labelled(form, "classifier", QComboBox())
        self.checkpoint_edit = self.binder.bind(self.state, "checkpoint_file", QLineEdit())
        self.checkpoint_browse = QPushButton("…")
        self.checkpoint_browse.setToolTip("choose a checkpoint file")
        self.checkpoint_browse.clicked.connect(self.browse_checkpoint)
        form.addRow(
            self.state.field("checkpoint_file").label, self._with_browse(self.checkpoint_edit, self.checkpoint_browse)
        )
        row = QHBoxLayout()
        self.predict_button = self._button(
            row, "Predict", self.predict_requested, "predict the Chern numbers of the dataset (a job)"
        )
        form.addRow(row)
        return form

    def _train_row(self) -> QFormLayout:
        form = QFormLayout()
        self.arch_combo = self._labelled(form, "train_arch", QComboBox())
        self.epochs_spin = self._labelled(form, "train_epochs", QSpinBox())
        self.train_seed_spin = self._labelled(form, "train_seed", QSpinBox())
        self.train_out_edit = self.binder.bind(self.state, "train_out", QLineEdit())
        browse = QPushButton("…")
        browse.setToolTip("choose where the trained checkpoint is written")
        browse.clicked.connect(self._browse_train_out)
        form.addRow(self.state.field("train_out").label, self._with_browse(self.train_out_edit, browse))
        row = QHBoxLayout()
        self.train_button = self._button(
            row, "Train on dataset", self.train_requested, "train the classifier on the dataset (a job)"
        )
        form.addRow(row)
        return form

    def _job_row(self) -> QHBoxLayout:
        """The running dataset / predict / train job: what, a determinate bar, Cancel."""
        row = QHBoxLayout()
        self.job_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("cancel the running dataset, prediction or training job")
        self.cancel_button.clicked.connect(self.cancel_requested)
        row.addWidget(self.job_label)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        self.show_job("", None)
        return row

    def show_job(self, title: str, fraction: float | None, message: str = "") -> None:
        """Show the running job ``title`` at ``fraction`` (None: no job: the row is hidden)."""
        running = fraction is not None
        for w in (self.job_label, self.progress, self.cancel_button):
            w.setVisible(running)
        if running:
            self.job_label.setText(title)
            self.progress.setValue(int(round(1000 * min(max(fraction, 0.0), 1.0))))
            self.progress.setFormat(f"{100 * fraction:.0f} %" + (f"  {message}" if message else ""))

    # ---- dialogs ------------------------------------------------------------------------------
    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load Haldane bundle dataset", "", "NumPy archive (*.npz)")
        if path:
            self.load_requested.emit(path)

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save dataset", "haldane_bundles.npz", "NumPy archive (*.npz)")
        if path:
            self.save_requested.emit(path)

    def browse_checkpoint(self) -> bool:
        """Ask for a checkpoint file; True when one was chosen (it is then the classifier)."""
        path, _ = QFileDialog.getOpenFileName(self, "Classifier checkpoint", "", "safetensors (*.safetensors)")
        if path:
            self.state.update({"classifier": "file", "checkpoint_file": path})
        return bool(path)

    def _browse_train_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the trained classifier to",
            f"{self.state.train_arch}.safetensors",
            "safetensors (*.safetensors)",
        )
        if path:
            self.state.train_out = path

    def _classifier_changed(self, choice: str) -> None:
        self.checkpoint_edit.setEnabled(choice == "file")

    # ---- drawing ------------------------------------------------------------------------------
    def show_dataset(self, ds: Any, predicted: np.ndarray | None, note: str = "", coloured_by: str = "") -> None:
        """Draw the first samples of ``ds`` (a HaldaneDataset, or None) with ``predicted``
        labels (or None); ``note`` is appended to the info line; ``coloured_by`` says which
        classifier's predictions colour the browser."""
        self.list.clear()
        if ds is None:
            self._coloured_text = ""
        elif predicted is None:
            self._coloured_text = "No predictions: the browser shows the exact labels only (Predict or Train)."
        else:
            self._coloured_text = (
                f"<b>Predictions of {coloured_by}</b>: each sample shows its label and the "
                "prediction; red background = misclassified."
            )
        self._show_coloured_by()
        if ds is None:
            self.info.setText("no dataset" + note)
            return
        n = min(len(ds), BROWSER_LIMIT)
        for i in range(n):
            self.list.addItem(self._item(ds, i, predicted))
        acc = ""
        if predicted is not None:
            wrong = int(np.sum(predicted != ds.labels))
            acc = f"; accuracy {np.mean(predicted == ds.labels):.3f} ({wrong} misclassified, red)"
        self.info.setText(
            f"{len(ds)} samples ({ds.provenance.get('variant', '?')}, grid {ds.grid}, seed "
            f"{ds.provenance.get('seed', '?')}), classes {ds.class_counts()}"
            + acc
            + (f"; showing first {n}" if n < len(ds) else "")
            + note
        )

    def mark_stale(self, reason: str) -> None:
        """Say under the "coloured by" line that the predictions shown are not of the classifier
        chosen now (``reason``; "" when they are)."""
        if reason != self._stale_reason:
            self._stale_reason = reason
            self._show_coloured_by()

    def _show_coloured_by(self) -> None:
        text = self._coloured_text
        if text and self._stale_reason:
            colour = "#ff8a80" if plot_theme().dark else "#b00020"  # red, readable on either background
            text += f'<br><span style="color: {colour}"><b>Stale:</b> {html.escape(self._stale_reason)}</span>'
        self.coloured_by.setText(text)

    @staticmethod
    def _item(ds: Any, i: int, predicted: np.ndarray | None) -> QListWidgetItem:
        psi2 = ds.psi[i, 1]
        rgba = (colors.hue(np.angle(psi2), np.abs(psi2)) * 255).astype(np.uint8)
        icon = QIcon(QPixmap.fromImage(rgba_to_qimage(rgba).scaled(64, 64)))
        text = f"#{i} C={ds.labels[i]}"
        item = QListWidgetItem(icon, text)
        item.setData(Qt.ItemDataRole.UserRole, i)
        if predicted is not None:
            p = int(predicted[i])
            item.setText(text + f"\npred {p}")
            if p != ds.labels[i]:
                item.setBackground(QBrush(QColor(255, 120, 120)))
                item.setForeground(QBrush(QColor(0, 0, 0)))  # readable on the red in either theme
        return item
