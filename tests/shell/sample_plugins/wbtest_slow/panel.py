"""Sleeps at import (``WBTEST_SLOW_IMPORT_S`` seconds, default 1.5; sleeping releases the GIL,
like most of a real import's file and library loading)."""

import os
import threading
import time

from PySide6.QtWidgets import QLabel, QVBoxLayout

from workbench.gui.panel import Panel

time.sleep(float(os.environ.get("WBTEST_SLOW_IMPORT_S", "1.5")))

#: one entry per constructed panel: whether an import thread was still running then
CONSTRUCTED: list[bool] = []
#: one entry per prepare_in_background call: the thread it ran on
PREPARED: list[str] = []


class SlowPanel(Panel):
    @classmethod
    def prepare_in_background(cls):
        PREPARED.append(threading.current_thread().name)

    def __init__(self, shell):
        super().__init__(shell, "slow")
        self.prepared_before = list(PREPARED)
        importer = getattr(shell, "_importer", None)
        CONSTRUCTED.append(bool(importer is not None and importer.busy))
        from wbtest_slow import lazy_dep  # a lazy import in the constructor

        self.lazy_imported_on = lazy_dep.IMPORTED_ON
        QVBoxLayout(self).addWidget(QLabel("slow panel"))
        self.started = 0

    def start(self):
        self.started += 1
