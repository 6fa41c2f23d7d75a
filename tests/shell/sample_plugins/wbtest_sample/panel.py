import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSpinBox, QVBoxLayout

from wbtest_sample.jobs import HarmonicSpec, run_harmonic
from workbench.gui.figures import FigureSource
from workbench.gui.panel import Panel
from workbench.state import Int, PanelState


class SampleState(PanelState):
    """Version 2 renamed the field ``terms`` (version 1) to ``n``."""

    PLUGIN = "sample"
    VERSION = 2
    MIGRATIONS = {1: lambda d: {("n" if k == "terms" else k): v for k, v in d.items()}}

    n = Int(20, lo=1, hi=10000, label="terms")


class SamplePanel(Panel):
    def __init__(self, shell):
        super().__init__(shell, "sample")
        self.state_model = SampleState()
        layout = QVBoxLayout(self)
        self.n = self.binder.bind(self.state_model, "n", QSpinBox())
        self.label = QLabel("")
        self.plot = pg.PlotWidget(title="Harmonic partial sums")
        self.curve = self.plot.plot([], [], pen=pg.mkPen("b", width=2), symbol="o")
        layout.addWidget(self.n)
        layout.addWidget(self.label)
        layout.addWidget(self.plot)
        self.sums = []
        self.partials = 0
        self.stale = False
        self.state_model.add_callback("n", lambda new, old: self._mark_stale())

    def spec(self, delay=0.0, fail_at=-1):
        return HarmonicSpec(n=self.state_model.n, delay=delay, fail_at=fail_at)

    def start(self):
        self.compute()

    def compute(self, delay=0.0, fail_at=-1):
        spec = self.spec(delay, fail_at)
        return self.submit(
            run_harmonic,
            spec,
            title="harmonic sums",
            on_result=lambda sums: self._computed(sums, spec),
            on_partial=self._partial,
        )

    def _partial(self, sums):
        self.partials += 1

    def _computed(self, sums, spec):
        self.keep_result("sums", np.asarray(sums, dtype=np.float64), spec)
        self.show_sums(sums)

    def _mark_stale(self):
        self.stale = self.result_is_stale("sums", self.spec())
        self.label.setText(self.label.text().split(" (stale")[0] + (" (stale: n changed)" if self.stale else ""))

    def show_sums(self, sums):
        self.sums = list(sums)
        self.curve.setData(np.arange(1, len(sums) + 1), np.asarray(sums))
        self.label.setText(f"H_{len(sums)} = {sums[-1]:.4f}")
        self.stale = False

    def results_restored(self, names):
        kept = self.kept("sums")
        if kept is not None:
            self.show_sums(kept.result)
            self._mark_stale()

    def figures(self):
        return [
            FigureSource(
                "harmonic",
                widget=self.plot,
                data=lambda: {
                    "k": np.arange(1, len(self.sums) + 1),
                    "H": np.asarray(self.sums),
                    "n": self.state_model.n,
                },
            )
        ]
