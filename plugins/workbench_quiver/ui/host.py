"""What the quiver editor's ui/ controllers need of the panel that hosts them.

The controllers (:mod:`.live`, :mod:`.enumeration_tab`, :mod:`.toolbar`, :mod:`.shortcuts`)
live below the panel (``ui`` must not import ``workbench_quiver.panel``: the
``plugin-layers`` contract of import-linter).  They are given the panel itself, typed as
:class:`QuiverHost`: the views, the document and the actions they call.  Only for type
checkers; nothing here runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from PySide6.QtWidgets import QTabWidget

    from workbench.gui.jobrunner import JobHandle
    from workbench.gui.panel import ShellServices
    from workbench_quiver.jobs import QuiverSummary
    from workbench_quiver.state import QuiverState

    from .canvas import QuiverCanvas
    from .class_browser import ClassBrowser
    from .gnn_explain import GnnExplainWidget
    from .gnn_explorer import GnnExplorerWidget
    from .gnn_prediction import GnnPredictionWidget
    from .info import InfoView
    from .live import LiveIdentification
    from .model import CommandStack, QuiverDocument
    from .toolbar import QuiverToolbar


class QuiverHost(Protocol):
    """The quiver panel as its ui/ controllers see it (a QWidget: controllers parent to it)."""

    doc: QuiverDocument
    stack: CommandStack
    canvas: QuiverCanvas
    state_model: QuiverState
    shell: ShellServices
    toolbar: QuiverToolbar
    tabs: QTabWidget
    info: InfoView
    class_browser: ClassBrowser
    gnn_pred: GnnPredictionWidget
    gnn_explain: GnnExplainWidget
    gnn_explorer: GnnExplorerWidget
    live: LiveIdentification

    @property
    def summary(self) -> QuiverSummary | None: ...

    def submit(self, fn: Callable[[Any, Any], Any], spec: Any, **kwargs: Any) -> JobHandle: ...

    def keep_result(self, name: str, result: Any, inputs: Any = None) -> None: ...

    def _set_status(self, text: str) -> None: ...

    # actions of the toolbar and the shortcuts
    def set_mode(self, mode: str) -> None: ...

    def undo(self) -> None: ...

    def redo(self) -> None: ...

    def random_mutation(self) -> int | None: ...

    def walk_toggled(self, on: bool) -> None: ...

    def apply_layout(self, kind: str | None = None) -> None: ...

    def new_quiver(self) -> None: ...

    def copy_b_matrix(self) -> None: ...

    def tikz(self) -> str: ...

    def _open_dialog(self) -> None: ...

    def _save_dialog(self) -> None: ...

    def _export_dialog(self) -> None: ...
