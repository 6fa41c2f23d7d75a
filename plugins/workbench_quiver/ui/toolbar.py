"""The quiver editor's toolbar: modes, undo/redo, random mutation and walk (steps, seed),
layout, fit, freeze and the Files menu.  Its settings widgets are bound to the panel's
:class:`~workbench_quiver.state.QuiverState`; its actions call the panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QComboBox, QMenu, QSpinBox, QToolBar, QToolButton

from workbench.gui.binding import Binder
from workbench_quiver.state import QuiverState

from .model import CommandStack

if TYPE_CHECKING:  # pragma: no cover
    from .host import QuiverHost

MODE_ACTIONS = (
    ("edit", "Edit", "E", "add vertices and arrows"),
    ("mutate", "Mutate", "M", "click a vertex to mutate at it"),
    ("move", "Move", "V", "drag vertices"),
)


class QuiverToolbar(QToolBar):
    """Buttons of the editor; ``mode_actions[mode]`` is checked with the state's mode."""

    def __init__(self, panel: QuiverHost, state: QuiverState, binder: Binder) -> None:
        super().__init__()
        self.setObjectName("quiver-toolbar")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.panel, self.state = panel, state
        self._add_modes()
        self.addSeparator()
        self._add_undo()
        self.addSeparator()
        self._add_random(binder)
        self.addSeparator()
        self._add_layout(binder)
        self.addSeparator()
        self.addWidget(self._files_button())
        state.add_callback("mode", lambda new, _old: self.mode_actions[new].setChecked(True))

    def _add_modes(self) -> None:
        self.mode_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for mode, text, key, tip in MODE_ACTIONS:
            act = QAction(text, self, checkable=True)
            act.setToolTip(f"{text} mode ({key}): {tip}")
            act.triggered.connect(lambda _c=False, m=mode: self.panel.set_mode(m))
            group.addAction(act)
            self.addAction(act)
            self.mode_actions[mode] = act
        self.mode_actions[self.state.mode].setChecked(True)

    def _add_undo(self) -> None:
        self.undo_action = self.addAction("Undo", self.panel.undo)
        self.redo_action = self.addAction("Redo", self.panel.redo)
        self.undo_action.setToolTip("Undo (Ctrl+Z)")
        self.redo_action.setToolTip("Redo (Ctrl+Shift+Z)")

    def _add_random(self, binder: Binder) -> None:
        act = self.addAction("Random \u03bc", self.panel.random_mutation)
        act.setToolTip("Mutate at a random mutable vertex (R)")
        self.walk_action = QAction("Walk", self, checkable=True)
        self.walk_action.setToolTip("Random mutation walk: one random mutation every 0.2 s (W starts/stops)")
        self.walk_action.toggled.connect(self.panel.walk_toggled)
        self.addAction(self.walk_action)
        self.walk_steps = binder.bind(self.state, "walk_steps", QSpinBox())
        self.addWidget(self.walk_steps)
        self.seed = QSpinBox()
        self.seed.setPrefix("seed ")
        self.seed.setMaximumWidth(120)
        binder.bind(self.state, "seed", self.seed)
        self.addWidget(self.seed)

    def _add_layout(self, binder: Binder) -> None:
        self.layout_combo = binder.bind(self.state, "layout", QComboBox())
        self.addWidget(self.layout_combo)
        act = self.addAction("Layout", self.panel.apply_layout)
        act.setToolTip("Lay the vertices out again (L); undoable")
        act = self.addAction("Fit", self.panel.canvas.zoom_to_fit)
        act.setToolTip("Zoom to fit (F)")
        act = self.addAction("Freeze", lambda: self.panel.canvas.toggle_frozen())
        act.setToolTip("Freeze / unfreeze the selected vertex (T; or Alt-click)")

    def _files_button(self) -> QToolButton:
        p = self.panel
        button = QToolButton()
        button.setText("Files")
        button.setToolTip("Open / save quivers (.qmu, JSON, B-matrix text, CSV), TikZ, figure export")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        menu.addAction("New (empty) quiver", p.new_quiver)
        menu.addAction("Open quiver\u2026", p._open_dialog)
        menu.addAction("Save quiver as\u2026", p._save_dialog)
        menu.addAction("Export figure (PNG/SVG/PDF)\u2026", p._export_dialog)
        menu.addSeparator()
        menu.addAction("Copy B-matrix", p.copy_b_matrix)
        menu.addAction("Copy TikZ", lambda: QGuiApplication.clipboard().setText(p.tikz()))
        button.setMenu(menu)
        return button

    def update_undo(self, stack: CommandStack) -> None:
        """Enable Undo / Redo and name what they would do."""
        self.undo_action.setEnabled(stack.can_undo())
        self.redo_action.setEnabled(stack.can_redo())
        self.undo_action.setToolTip(f"Undo {stack.undo_text()} (Ctrl+Z)")
        self.redo_action.setToolTip(f"Redo {stack.redo_text()} (Ctrl+Shift+Z)")
