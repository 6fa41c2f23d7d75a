import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSpinBox, QVBoxLayout

from workbench.gui.figures import FigureSource
from workbench.gui.panel import Panel
from wbtest_sample.jobs import HarmonicSpec, run_harmonic


class SamplePanel(Panel):
    def __init__(self, shell):
        super().__init__(shell, "sample")
        layout = QVBoxLayout(self)
        self.n = QSpinBox()
        self.n.setRange(1, 10000)
        self.n.setValue(20)
        self.label = QLabel("")
        self.plot = pg.PlotWidget(title="Harmonic partial sums")
        self.curve = self.plot.plot([], [], pen=pg.mkPen("b", width=2), symbol="o")
        layout.addWidget(self.n)
        layout.addWidget(self.label)
        layout.addWidget(self.plot)
        self.sums = []
        self.partials = 0

    def start(self):
        self.compute()

    def compute(self, delay=0.0, fail_at=-1):
        return self.submit(run_harmonic, HarmonicSpec(n=self.n.value(), delay=delay, fail_at=fail_at),
                           title="harmonic sums", on_result=self.show_sums, on_partial=self._partial)

    def _partial(self, sums):
        self.partials += 1

    def show_sums(self, sums):
        self.sums = list(sums)
        self.curve.setData(np.arange(1, len(sums) + 1), np.asarray(sums))
        self.label.setText(f"H_{len(sums)} = {sums[-1]:.4f}")

    def state(self):
        return {"n": self.n.value()}

    def validate_state(self, state):
        super().validate_state(state)
        if not isinstance(state.get("n"), int) or state["n"] < 1:
            raise ValueError("sample: 'n' must be a positive integer")

    def restore(self, state):
        self.validate_state(state)
        self.n.setValue(state["n"])

    def figures(self):
        return [FigureSource("harmonic", widget=self.plot,
                             data=lambda: {"k": np.arange(1, len(self.sums) + 1), "H": np.asarray(self.sums), "n": self.n.value()})]
