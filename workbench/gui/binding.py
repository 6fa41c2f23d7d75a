"""Bind the fields of a Qt-free :class:`workbench.state.PanelState` to widgets, both ways.

In the spirit of glue's ``autoconnect_callbacks_to_qt``: one helper for every panel.  The
widget takes its range, decimals, choices, tooltip and placeholder from the field's
declaration, shows the state's value, and writes the user's edits back into the state; a
change of the state (a restored session, a click on a plot) updates the widget.  Supported:

=====================  =================================================================
field                  widgets
=====================  =================================================================
``Int`` / ``Seed``     QSpinBox, QSlider (integer positions)
``Float``              QDoubleSpinBox, QSlider (``SliderScale``: ``steps`` positions on [lo, hi])
``Bool``               QCheckBox, QAbstractButton (checkable), QGroupBox (checkable)
``Choice``             QComboBox (items from the choices; editable combos accept free text)
``Str``                QLineEdit (committed on editingFinished), QComboBox (editable), QPlainTextEdit
=====================  =================================================================

A value typed into a QLineEdit that the field refuses is not written; the widget is marked
with the ``invalid`` property (styled by the theme) and the field's message is its tooltip,
so nothing silent happens.  :class:`Binder` keeps every connection so a panel can
:meth:`Binder.unbind` them all when it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QSpinBox,
    QWidget,
)

from workbench.state import Bool, Choice, Field, Float, Int, PanelState, StateError, Str


class _Link:
    """One field <-> one widget."""

    def __init__(
        self,
        state: PanelState,
        name: str,
        widget: QWidget,
        *,
        steps: int = 400,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.state, self.name, self.widget = state, name, widget
        self.field: Field = state.field(name)
        self.steps = steps
        self.on_error = on_error
        self._updating = False
        self._disconnects: list[Callable[[], None]] = []
        self._configure()
        self._show(state.get(name))
        state.add_callback(name, self._state_changed)

    # ---- state -> widget ----------------------------------------------------------------
    def _configure(self) -> None:
        f, w = self.field, self.widget
        if f.tooltip and not w.toolTip():
            w.setToolTip(f.tooltip)
        if isinstance(w, QSpinBox) and isinstance(f, Int):
            w.setRange(f.lo, f.hi)
            w.setSingleStep(f.step)
            self._connect(w.valueChanged, lambda v: self._write(int(v)))
        elif isinstance(w, QDoubleSpinBox) and isinstance(f, Float):
            w.setDecimals(f.decimals)
            w.setRange(max(f.lo, -1e300), min(f.hi, 1e300))
            w.setSingleStep(f.step)
            self._connect(w.valueChanged, lambda v: self._write(float(v)))
        elif isinstance(w, QSlider) and isinstance(f, Int):
            w.setRange(f.lo, f.hi)
            self._connect(w.valueChanged, lambda v: self._write(int(v)))
        elif isinstance(w, QSlider) and isinstance(f, Float):
            w.setRange(0, self.steps)
            self._connect(w.valueChanged, lambda v: self._write(self._from_slider(int(v))))
        elif isinstance(w, QGroupBox) and isinstance(f, Bool):
            w.setCheckable(True)
            self._connect(w.toggled, lambda v: self._write(bool(v)))
        elif isinstance(w, QAbstractButton) and isinstance(f, Bool):
            w.setCheckable(True)
            self._connect(w.toggled, lambda v: self._write(bool(v)))
        elif isinstance(w, QComboBox) and isinstance(f, Choice):
            self._fill_combo()
            self._connect(w.currentIndexChanged, lambda _i: self._write(self._combo_value()))
        elif isinstance(w, QComboBox) and isinstance(f, Str):
            w.setEditable(True)
            self._connect(w.currentTextChanged, lambda t: self._write(str(t), soft=True))
        elif isinstance(w, QLineEdit) and isinstance(f, (Str, Float, Int)):
            if isinstance(f, Str) and f.placeholder and not w.placeholderText():
                w.setPlaceholderText(f.placeholder)
            self._connect(w.editingFinished, lambda: self._write(self._line_value(w.text())))
        elif isinstance(w, QPlainTextEdit) and isinstance(f, Str):
            self._connect(w.textChanged, lambda: self._write(w.toPlainText(), soft=True))
        else:
            raise TypeError(f"cannot bind a {type(f).__name__} field ({self.name}) to a {type(w).__name__}")

    def _connect(self, signal: Any, slot: Callable[..., None]) -> None:
        signal.connect(slot)
        self._disconnects.append(lambda: signal.disconnect(slot))

    def _fill_combo(self) -> None:
        w, f = self.widget, self.field
        assert isinstance(w, QComboBox) and isinstance(f, Choice)
        w.blockSignals(True)
        w.clear()
        for value in f.choices():
            w.addItem(f.display.get(value, value), value)
        w.blockSignals(False)

    def _combo_value(self) -> str:
        w = self.widget
        assert isinstance(w, QComboBox)
        data = w.currentData()
        return str(data) if data is not None else w.currentText()

    def _line_value(self, text: str) -> Any:
        if isinstance(self.field, Int):
            try:
                return int(text.strip())
            except ValueError:
                return text
        if isinstance(self.field, Float):
            try:
                return float(text.strip())
            except ValueError:
                return text
        return text

    def _to_slider(self, value: float) -> int:
        f = self.field
        assert isinstance(f, Float)
        if not f.hi > f.lo:
            return 0
        return round((value - f.lo) / (f.hi - f.lo) * self.steps)

    def _from_slider(self, pos: int) -> float:
        f = self.field
        assert isinstance(f, Float)
        return f.lo + (f.hi - f.lo) * pos / self.steps

    def _show(self, value: Any) -> None:
        w, f = self.widget, self.field
        self._updating = True
        try:
            if isinstance(w, (QSpinBox, QDoubleSpinBox)):
                w.setValue(value)
            elif isinstance(w, QSlider):
                pos = self._to_slider(value) if isinstance(f, Float) else int(value)
                # a slider shows the nearest position; the state keeps the exact value
                w.setValue(pos)
            elif isinstance(w, (QGroupBox, QAbstractButton)):
                w.setChecked(bool(value))
            elif isinstance(w, QComboBox):
                if isinstance(f, Choice):
                    if w.count() != len(f.choices()):
                        self._fill_combo()
                    idx = w.findData(value)
                    w.setCurrentIndex(idx if idx >= 0 else w.findText(value))
                else:
                    w.setCurrentText(str(value))
            elif isinstance(w, QLineEdit):
                w.setText(str(f.to_json(value)) if not isinstance(value, str) else value)
                self._mark(None)
            elif isinstance(w, QPlainTextEdit):
                if w.toPlainText() != value:
                    w.setPlainText(value)
        finally:
            self._updating = False

    def _state_changed(self, new: Any, _old: Any) -> None:
        if isinstance(self.widget, QSlider) and isinstance(self.field, Float):
            if self._to_slider(new) == self.widget.value():
                return
        self._show(new)

    # ---- widget -> state ----------------------------------------------------------------
    def _write(self, value: Any, soft: bool = False) -> None:
        if self._updating:
            return
        try:
            setattr(self.state, self.name, value)
        except StateError as exc:
            self._mark(str(exc))
            if self.on_error is not None and not soft:
                self.on_error(str(exc))
            if not soft and not isinstance(self.widget, (QLineEdit, QPlainTextEdit, QComboBox)):
                self._show(self.state.get(self.name))
            return
        self._mark(None)

    def _mark(self, message: str | None) -> None:
        w = self.widget
        invalid = message is not None
        if bool(w.property("invalid")) != invalid:
            w.setProperty("invalid", invalid)
            w.style().unpolish(w)
            w.style().polish(w)
        w.setToolTip(message if message is not None else (self.field.tooltip or ""))

    def unbind(self) -> None:
        self.state.remove_callback(self.name, self._state_changed)
        for d in self._disconnects:
            try:
                d()
            except (RuntimeError, TypeError):  # widget already deleted
                pass
        self._disconnects.clear()


class Binder:
    """Every link of one panel: ``binder.bind(state, "eps", spin)``; ``binder.unbind()``."""

    def __init__(self, on_error: Callable[[str], None] | None = None) -> None:
        self.links: list[_Link] = []
        self.on_error = on_error

    def bind(self, state: PanelState, name: str, widget: QWidget, *, steps: int = 400) -> QWidget:
        """Bind field ``name`` to ``widget``; returns the widget (so forms can be written inline)."""
        self.links.append(_Link(state, name, widget, steps=steps, on_error=self.on_error))
        return widget

    def bind_all(self, state: PanelState, widgets: dict[str, QWidget]) -> None:
        for name, widget in widgets.items():
            self.bind(state, name, widget)

    def commit(self) -> None:
        """Write text that is typed but not yet committed (no editingFinished yet) into the
        state, so a session saved with a keyboard shortcut keeps what the user sees."""
        for link in self.links:
            w = link.widget
            if isinstance(w, QLineEdit) and w.isModified():
                link._write(link._line_value(w.text()), soft=True)
                w.setModified(False)

    def refresh_choices(self) -> None:
        """Re-read every Choice field's choices (e.g. after a zoo gained models)."""
        for link in self.links:
            if isinstance(link.field, Choice) and isinstance(link.widget, QComboBox):
                link._fill_combo()
                link._show(link.state.get(link.name))

    def unbind(self) -> None:
        for link in self.links:
            link.unbind()
        self.links.clear()


def widget_for(state: PanelState, name: str, binder: Binder, parent: QWidget | None = None) -> QWidget:
    """A default widget for field ``name`` (spin box, check box, combo or line edit), bound."""
    f = state.field(name)
    w: QWidget
    if isinstance(f, Bool):
        from PySide6.QtWidgets import QCheckBox

        w = QCheckBox(f.label, parent)
    elif isinstance(f, Int):
        w = QSpinBox(parent)
    elif isinstance(f, Float) and not f.allow_inf:
        w = QDoubleSpinBox(parent)
    elif isinstance(f, Choice):
        w = QComboBox(parent)
    else:
        w = QLineEdit(parent)
    return binder.bind(state, name, w)
