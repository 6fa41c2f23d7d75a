"""The quiver editor's side tabs: Info, History, Gallery, Class, GNN (live prediction and
explanations), Explorer (hidden representations) and Cluster (the cluster algebra).  The shown tab follows the state's
``tab`` field both ways; the settings widgets of the tabs are bound to the state.

Small windows: the tab titles elide (with their full names as tooltips) instead of hiding
tabs behind scroll arrows, and the tabs with forms (Info, GNN, Explorer) scroll when the
window is too low for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QTabWidget, QWidget

from workbench.gui.binding import Binder
from workbench_quiver.state import TABS, QuiverState

from .class_browser import ClassBrowser
from .cluster_tab import ClusterTab
from .gallery import GalleryView
from .gnn_explain import GnnExplainWidget
from .gnn_explorer import GnnExplorerWidget
from .gnn_prediction import GnnPredictionWidget
from .history import HistoryView
from .info import InfoView
from .model import QuiverDocument


def scrolling(widget: QWidget, name: str) -> QScrollArea:
    """``widget`` in a scroll area that resizes it (scroll bars only when it does not fit)."""
    area = QScrollArea()
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class SideTabs(QTabWidget):
    """The tabs beside the canvas, with their views as attributes."""

    def __init__(
        self,
        doc: QuiverDocument,
        submit: Callable[..., Any],
        state: QuiverState,
        binder: Binder,
        in_steps: bool = False,
    ) -> None:
        """``in_steps``: the views are made by :meth:`build_steps`, which the caller runs (the
        panel's stepped construction); else at once."""
        super().__init__()
        self.setObjectName("quiver-tabs")
        self._args = (doc, submit, state, binder)
        if not in_steps:
            for _ in self.build_steps():
                pass

    def build_steps(self) -> Iterator[None]:
        """Make the tabs' views, a ``yield`` after each heavy one (the GNN and cluster tabs make
        pyqtgraph plots: 40-150 ms each on a busy machine)."""
        doc, submit, state, binder = self._args
        self.info = InfoView()
        binder.bind(state, "show_evidence", self.info.show_evidence)
        binder.bind(state, "enum_depth", self.info.max_depth)
        binder.bind(state, "enum_max_size", self.info.max_size)
        self.history = HistoryView(doc)
        self.gallery = GalleryView()
        self.class_browser = ClassBrowser()
        # GNN classifier: live prediction + explanations, and the hidden-representation explorer
        yield
        self.gnn_pred = GnnPredictionWidget(doc.b_matrix, submit, state, binder=binder)
        yield
        self.gnn_explain = GnnExplainWidget(doc.b_matrix, submit, state, binder)
        yield
        self.gnn_explorer = GnnExplorerWidget(submit, state, binder, current_b=doc.b_matrix)
        yield
        # the cluster algebra: seeds, maximal green sequences, exchange graphs
        self.cluster = ClusterTab(doc, submit, state, binder)
        yield
        gnn_tab = QSplitter(Qt.Orientation.Vertical)
        gnn_tab.setObjectName("quiver-gnn-tab")
        gnn_tab.addWidget(self.gnn_pred)
        gnn_tab.addWidget(self.gnn_explain)
        gnn_tab.setSizes([260, 420])
        self.info.setMinimumHeight(self.info.minimumSizeHint().height())
        gnn_tab.setMinimumHeight(560)
        self.gnn_explorer.setMinimumHeight(420)
        views = (
            scrolling(self.info, "quiver-info-scroll"),
            self.history,
            self.gallery,
            self.class_browser,
            scrolling(gnn_tab, "quiver-gnn-scroll"),
            scrolling(self.gnn_explorer, "quiver-explorer-scroll"),
            self.cluster,
        )
        bar = self.tabBar()
        bar.setElideMode(Qt.TextElideMode.ElideRight)
        bar.setUsesScrollButtons(False)
        for i, (view, title) in enumerate(zip(views, TABS, strict=True)):
            self.addTab(view, title)
            self.setTabToolTip(i, title)
        self.setMinimumWidth(250)
        self.setCurrentIndex(state.tab)
        self.currentChanged.connect(lambda i: setattr(state, "tab", int(i)))
        state.add_callback("tab", lambda new, _old: self.setCurrentIndex(new))
