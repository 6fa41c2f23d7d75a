"""A panel whose construction has five steps of 60 ms each (busy, as building plots is), handed
to ``Panel.build_in_steps``; every step records the event-loop turn it ran in."""

import time

from PySide6.QtWidgets import QLabel, QVBoxLayout

from workbench.gui.panel import Panel

STEP_S = 0.06
#: one list per constructed panel: the turn counter seen by each step
TURNS: list[list[int]] = []
#: a counter the test increments from a timer (event-loop turns)
TURN = [0]
#: one list per constructed panel: whether the shell had docked it, at each step
DOCKED: list[list[bool]] = []


class SteppedPanel(Panel):
    def __init__(self, shell):
        super().__init__(shell, "stepped")
        self.turns: list[int] = []
        TURNS.append(self.turns)
        self.docked: list[bool] = []
        DOCKED.append(self.docked)
        self.labels: list[QLabel] = []
        self.started = 0
        self.finished_turn = -1
        self.build_in_steps(self._steps())

    def _steps(self):
        layout = QVBoxLayout(self)
        for i in range(5):
            self.turns.append(TURN[0])
            self.docked.append("stepped" in getattr(self.shell, "panels", {}))
            t = time.perf_counter()
            while time.perf_counter() - t < STEP_S:
                pass
            label = QLabel(f"part {i}")
            layout.addWidget(label)
            self.labels.append(label)
            yield
        t = time.perf_counter()  # after the last yield: runs in the turn that ends the steps
        while time.perf_counter() - t < STEP_S:
            pass
        self.finished_turn = TURN[0]

    def start(self):
        self.started += 1
