"""The bundle panel's dataset tab: generation settings (size, variant, seed), Load / Save, the
classifier (shipped or a checkpoint file) with Predict, training settings with Train, and the
browser of samples (psi_2 in domain colouring, label, prediction; misclassified in red).

The settings are fields of :class:`workbench_bundle.state.BundleState` bound to the widgets;
the buttons only emit signals (the panel turns them into jobs)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.binding import Binder

from ..state import BundleState
from . import colors

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

    def __init__(self, state: BundleState, binder: Binder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.binder = state, binder
        lay = QVBoxLayout(self)
        lay.addLayout(self._dataset_row())
        lay.addLayout(self._classifier_row())
        lay.addLayout(self._train_row())
        self.info = QLabel("no dataset")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(64, 64))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setSpacing(4)
        self.list.itemClicked.connect(lambda item: self.sample_clicked.emit(int(item.data(Qt.ItemDataRole.UserRole))))
        lay.addWidget(self.list)
        state.add_callback("classifier", lambda new, _old: self._classifier_changed(new))
        self._classifier_changed(state.classifier)

    # ---- builders -----------------------------------------------------------------------------
    def _labelled(self, row: QHBoxLayout, name: str, widget: QWidget) -> QWidget:
        row.addWidget(QLabel(self.state.field(name).label))
        row.addWidget(self.binder.bind(self.state, name, widget))
        return widget

    def _button(self, row: QHBoxLayout, text: str, slot: Any, tip: str = "") -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        row.addWidget(b)
        return b

    def _dataset_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.size_spin = self._labelled(row, "dataset_size", QSpinBox())
        self.variant_combo = self._labelled(row, "dataset_variant", QComboBox())
        self.seed_spin = self._labelled(row, "dataset_seed", QSpinBox())
        self._button(row, "Generate", self.generate_requested, "generate a dataset with these settings (a job)")
        self._button(row, "Load…", self._load_dialog, "load a dataset .npz")
        self._button(row, "Save…", self._save_dialog, "save the dataset as .npz (a job)")
        row.addStretch(1)
        return row

    def _classifier_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.clf_combo = self._labelled(row, "classifier", QComboBox())
        self.checkpoint_edit = self.binder.bind(self.state, "checkpoint_file", QLineEdit())
        row.addWidget(self.checkpoint_edit, 1)
        self.checkpoint_browse = self._button(row, "…", self.browse_checkpoint, "choose a checkpoint file")
        self.checkpoint_browse.setMaximumWidth(28)
        self._button(row, "Predict", self.predict_requested, "predict the Chern numbers of the dataset (a job)")
        return row

    def _train_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.arch_combo = self._labelled(row, "train_arch", QComboBox())
        self.epochs_spin = self._labelled(row, "train_epochs", QSpinBox())
        self.train_seed_spin = self._labelled(row, "train_seed", QSpinBox())
        self.train_out_edit = self._labelled(row, "train_out", QLineEdit())
        row.setStretchFactor(self.train_out_edit, 1)
        browse = self._button(row, "…", self._browse_train_out, "choose where the trained checkpoint is written")
        browse.setMaximumWidth(28)
        self._button(row, "Train on dataset", self.train_requested, "train the classifier on the dataset (a job)")
        return row

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
        path, _ = QFileDialog.getSaveFileName(self, "Save the trained classifier to", f"{self.state.train_arch}"
                                              ".safetensors", "safetensors (*.safetensors)")
        if path:
            self.state.train_out = path

    def _classifier_changed(self, choice: str) -> None:
        self.checkpoint_edit.setEnabled(choice == "file")

    # ---- drawing ------------------------------------------------------------------------------
    def show_dataset(self, ds: Any, predicted: np.ndarray | None, note: str = "") -> None:
        """Draw the first samples of ``ds`` (a HaldaneDataset, or None) with ``predicted``
        labels (or None); ``note`` is appended to the info line."""
        self.list.clear()
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
        self.info.setText(f"{len(ds)} samples ({ds.provenance.get('variant', '?')}, grid {ds.grid}, seed "
                          f"{ds.provenance.get('seed', '?')}), classes {ds.class_counts()}" + acc
                          + (f"; showing first {n}" if n < len(ds) else "") + note)

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
        return item
