"""The quiver editor's side tabs: Info, History, Gallery, Class, GNN (live prediction and
explanations) and Explorer (hidden representations).  The shown tab follows the state's
``tab`` field both ways; the settings widgets of the tabs are bound to the state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget

from workbench.gui.binding import Binder
from workbench_quiver.state import TABS, QuiverState

from .class_browser import ClassBrowser
from .gallery import GalleryView
from .gnn_explain import GnnExplainWidget
from .gnn_explorer import GnnExplorerWidget
from .gnn_prediction import GnnPredictionWidget
from .history import HistoryView
from .info import InfoView
from .model import QuiverDocument


class SideTabs(QTabWidget):
    """The tabs beside the canvas, with their views as attributes."""

    def __init__(self, doc: QuiverDocument, submit: Callable[..., Any], state: QuiverState, binder: Binder) -> None:
        super().__init__()
        self.setObjectName("quiver-tabs")
        self.info = InfoView()
        binder.bind(state, "show_evidence", self.info.show_evidence)
        binder.bind(state, "enum_depth", self.info.max_depth)
        binder.bind(state, "enum_max_size", self.info.max_size)
        self.history = HistoryView(doc)
        self.gallery = GalleryView()
        self.class_browser = ClassBrowser()
        # GNN classifier: live prediction + explanations, and the hidden-representation explorer
        self.gnn_pred = GnnPredictionWidget(doc.b_matrix, submit, state)
        self.gnn_explain = GnnExplainWidget(doc.b_matrix, submit, state, binder)
        self.gnn_explorer = GnnExplorerWidget(submit, state, binder)
        gnn_tab = QSplitter(Qt.Orientation.Vertical)
        gnn_tab.setObjectName("quiver-gnn-tab")
        gnn_tab.addWidget(self.gnn_pred)
        gnn_tab.addWidget(self.gnn_explain)
        gnn_tab.setSizes([260, 420])
        views = (self.info, self.history, self.gallery, self.class_browser, gnn_tab, self.gnn_explorer)
        for view, title in zip(views, TABS, strict=True):
            self.addTab(view, title)
        self.setMinimumWidth(250)
        self.setCurrentIndex(state.tab)
        self.currentChanged.connect(lambda i: setattr(state, "tab", int(i)))
        state.add_callback("tab", lambda new, _old: self.setCurrentIndex(new))
