"""Live identification in the quiver editor: after every edit (debounced by 15 ms) the mutation
type is identified as a quiet job in a lane of its own (so it answers while an enumeration
runs) and the GNN predicts the family; both are kept results (``"summary"``, ``"prediction"``),
so a session shows them again without recomputing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import KeptResult
from workbench_quiver.jobs import QuiverSummary, SummarySpec, run_summary, summary_spec

if TYPE_CHECKING:  # pragma: no cover
    from .host import QuiverHost

#: job lane of the live identification: its own thread, so it never waits behind an enumeration
IDENTIFY_LANE = "live"


class LiveIdentification(QObject):
    """Identifies the panel's quiver after edits and shows the summary in the Info tab."""

    def __init__(self, panel: QuiverHost) -> None:
        super().__init__(panel)
        self.panel = panel
        self.summary: QuiverSummary | None = None
        self.spec: SummarySpec | None = None
        self.handle: JobHandle | None = None
        self.started = False
        self.timer = QTimer(panel)
        self.timer.setSingleShot(True)
        self.timer.setInterval(15)
        self.timer.timeout.connect(self.run)

    def current_spec(self) -> SummarySpec:
        doc = self.panel.doc
        return summary_spec(doc.matrix, doc.frozen)

    def is_current(self) -> bool:
        """Whether the shown summary is the one of the quiver on the canvas."""
        return self.summary is not None and self.spec == self.current_spec()

    def start(self) -> None:
        """The panel is docked: identify (unless a session gave this quiver's summary back)."""
        self.started = True
        self.run()

    def document_changed(self) -> None:
        """The quiver changed: its summary is pending; identify it soon (once started)."""
        if not self.is_current():
            self.summary = None
            self.panel.info.show_pending()
        if self.started:
            self.timer.start()

    def run(self) -> None:
        """Predict with the GNN and identify the quiver, each unless already shown."""
        p = self.panel
        if p.doc.size:
            p.gnn_pred.refresh()
        p.gnn_explorer.project_current()
        if self.is_current():
            return
        spec = self.current_spec()
        # a lane of its own: identification answers while an enumeration occupies the main lane
        self.handle = p.submit(
            run_summary,
            spec,
            title="Identify mutation type",
            on_result=lambda result: self._identified(result, spec),
            key="identify",
            quiet=True,
            lane=IDENTIFY_LANE,
            on_error=lambda msg, _tb: p.info.show_error(msg),
        )

    def _identified(self, result: QuiverSummary, spec: SummarySpec) -> None:
        if spec != self.current_spec():
            return  # the quiver changed meanwhile; a newer job is on its way
        self.panel.keep_result("summary", result, spec)
        self.show(result, spec)

    def show(self, result: QuiverSummary, spec: SummarySpec) -> None:
        p = self.panel
        self.summary, self.spec = result, spec
        p.info.show_summary(result, p.doc.labels)
        p.canvas.set_highlight(result.highlight_vertices, result.highlight_arrows)

    def restored(self, summary: KeptResult | None, prediction: KeptResult | None) -> None:
        """Show a session's summary and prediction if they are of the quiver shown; when both
        are, nothing is identified or predicted again."""
        p = self.panel
        if summary is not None and summary.inputs == self.current_spec():
            self.show(summary.result, summary.inputs)
        if prediction is not None and p.doc.size and prediction.inputs == p.state_model.predict_spec(p.doc.b_matrix()):
            p.gnn_pred.show_result(prediction.result, prediction.inputs)
        predicted = not p.doc.mutable_vertices() or p.gnn_pred.is_current(p.state_model.predict_spec(p.doc.b_matrix()))
        if self.is_current() and predicted:
            self.timer.stop()
        elif self.started:
            self.timer.start()
