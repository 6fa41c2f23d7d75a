"""Cold start of the main window, with every plugin installed, against a bare PySide6 window.

Each measurement is a fresh process: interpreter start, imports, plugin discovery, window
shown and its first events processed (interactive).  Target: under 1.5 s on a 2-core CPU.
Run under a display (xvfb-run ... env QT_QPA_PLATFORM=xcb).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

WORKBENCH = """
import sys
from workbench.gui.app import make_app
from workbench.gui.main_window import MainWindow
app = make_app()
w = MainWindow(interactive=False, restore_layout=False)
w.show()
app.processEvents()
assert "torch" not in sys.modules, "torch imported at start-up"
print(len(w.records))
"""

ANCHOR = """
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication([])
w = QMainWindow(); w.setCentralWidget(QLabel("hello")); w.menuBar().addMenu("File"); w.show()
app.processEvents()
"""


def cold_start(code: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    anchor = cold_start(ANCHOR)
    wb = cold_start(WORKBENCH)
    print(f"cold start, bare PySide6 window (anchor): {anchor:.3f} s")
    print(
        f"cold start, workbench main window:        {wb:.3f} s  ratio {wb / anchor:.2f}x anchor  "
        f"(target < 1.5 s: {'met' if wb < 1.5 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
