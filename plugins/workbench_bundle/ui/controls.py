"""The bundle panel's left column: model, parameter sliders, custom expressions, view options,
the Chern badge and the info line.  While a dataset sample is shown the model box is detached
(disabled, its title says so): the sliders do not describe what the torus shows.

Every widget is bound to a field of :class:`workbench_bundle.state.BundleState` (ranges,
choices and tooltips come from the fields); the column itself holds no settings."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.binding import Binder

from ..core.models import MODELS
from ..state import EXPRESSION_COMPONENTS, BundleState, param_field
from . import look

#: positions of a parameter slider on its range
SLIDER_STEPS = 400


def _show_value(label: QLabel, new: float, _old: float) -> None:
    label.setText(f"{new:.3f}")


class ModelControls(QWidget):
    """Model, parameters, view options and the read-outs of the torus view."""

    reset_view_requested = Signal()
    update_view_requested = Signal()

    def __init__(self, state: BundleState, binder: Binder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.binder = state, binder
        #: slider of every parameter field (``haldane_t1`` ...), and the label showing its value
        self.sliders: dict[str, QSlider] = {}
        self.value_labels: dict[str, QLabel] = {}
        self.param_pages: dict[str, QWidget] = {}
        self.expr_edits: dict[str, QLineEdit] = {}
        lay = QVBoxLayout(self)
        lay.addWidget(self._model_box())
        lay.addWidget(self._view_box())
        lay.addWidget(self._readouts())
        lay.addStretch(1)
        state.add_callback("model", lambda new, _old: self._show_model(new))
        self._show_model(state.model)

    # ---- builders -----------------------------------------------------------------------------
    def _model_box(self) -> QGroupBox:
        box = self.model_box = QGroupBox("Model")
        form = QFormLayout(box)
        self.model_combo = self.binder.bind(self.state, "model", QComboBox())
        form.addRow(self.state.field("model").label, self.model_combo)
        for model in MODELS:
            self.param_pages[model] = self._param_page(model)
            form.addRow(self.param_pages[model])
        self.expr_box = QWidget()
        ef = QFormLayout(self.expr_box)
        ef.setContentsMargins(0, 0, 0, 0)
        for comp in EXPRESSION_COMPONENTS:
            edit = QLineEdit()
            self.binder.bind(self.state, f"expr_{comp}", edit)
            self.expr_edits[comp] = edit
            ef.addRow(comp, edit)
        form.addRow(self.expr_box)
        return box

    def _param_page(self, model: str) -> QWidget:
        """One slider per parameter of ``model`` (shown while it is the current model)."""
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        for name in self.state.param_names(model):
            fname = param_field(model, name)
            slider = QSlider(Qt.Orientation.Horizontal)
            self.binder.bind(self.state, fname, slider, steps=SLIDER_STEPS)
            value = QLabel(f"{self.state.get(fname):.3f}")
            value.setMinimumWidth(48)
            self.state.add_callback(fname, partial(_show_value, value))
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(slider)
            row.addWidget(value)
            form.addRow(name, row)
            self.sliders[fname], self.value_labels[fname] = slider, value
        if model == "bhz":
            self.spin_combo = self.binder.bind(self.state, "bhz_spin", QComboBox())
            form.addRow(self.state.field("bhz_spin").label, self.spin_combo)
        return page

    def _view_box(self) -> QGroupBox:
        st, bind = self.state, self.binder.bind
        box = QGroupBox("View")
        form = QFormLayout(box)
        self.mode_combo = bind(st, "color_mode", QComboBox())
        form.addRow(st.field("color_mode").label, self.mode_combo)
        self.grid_spin = QSpinBox()
        self.grid_spin.setKeyboardTracking(False)  # one view per typed number, not per digit
        bind(st, "view_grid", self.grid_spin)
        form.addRow(st.field("view_grid").label, self.grid_spin)
        self.labels_check = bind(st, "winding_labels", QCheckBox(st.field("winding_labels").label))
        self.arrows_check = bind(st, "arrows", QCheckBox(st.field("arrows").label))
        form.addRow(self.labels_check)
        form.addRow(self.arrows_check)
        buttons = QHBoxLayout()
        reset = QPushButton("Reset view (R)")
        reset.setToolTip("reset the cameras of the torus and the sphere")
        reset.clicked.connect(self.reset_view_requested)
        update = QPushButton("Update view")
        update.setToolTip("recompute the torus view from the current settings")
        update.clicked.connect(self.update_view_requested)
        buttons.addWidget(reset)
        buttons.addWidget(update)
        form.addRow(buttons)
        return box

    def _readouts(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        self.badge = QLabel("C = ?")
        self.badge.setObjectName("chern-badge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setWordWrap(True)  # "C = -2 (exact) (stale)" in a narrow column
        self._badge: tuple[str, int | None, bool] = ("C = ?", None, False)
        self.set_badge("C = ?", None)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.badge, self.info):
            lay.addWidget(widget)
        return w

    # ---- updates ------------------------------------------------------------------------------
    def _show_model(self, model: str) -> None:
        for name, page in self.param_pages.items():
            page.setVisible(name == model)
        self.expr_box.setVisible(model == "custom")

    def set_badge(self, text: str, sign: int | None, stale: bool = False, tooltip: str = "") -> None:
        """The Chern badge: ``text``, coloured by ``sign`` (None: unknown); ``stale`` greys it
        (the number is not of the current settings)."""
        self._badge = (text, sign, stale)
        self.badge.setText(text)
        self.badge.setToolTip(tooltip)
        self.badge.setStyleSheet(look.badge_style(sign, stale))

    def set_detached(self, note: str) -> None:
        """Detach the model box while the torus shows something else (``note``: what; "" to
        attach it again)."""
        self.model_box.setEnabled(not note)
        self.model_box.setTitle("Model" if not note else "Model (detached)")
        self.model_box.setToolTip(f"not shown: {note}; 'Show the model' above the torus shows it again" if note else "")

    def apply_theme(self) -> None:
        """Repaint the badge in the current theme."""
        self.set_badge(*self._badge, tooltip=self.badge.toolTip())
