"""Opening a panel without freezing the window: its module is imported off the GUI thread.

:class:`PanelImporter` imports a plugin's panel module (``"module:Class"``) and, for torch
panels, :func:`workbench.torch_setup.prepare_torch` on a plain Python thread; imports run one
at a time (a process-wide lock), and the result (the factory, or the traceback) comes back to
the GUI thread as a queued Qt signal.  The GUI thread never waits for that thread.

:class:`LoadingPlaceholder` is what the dock shows meanwhile: "Loading <title>… importing
torch" with a busy bar, or the error when the import failed.

Modules a panel's constructor imported on the GUI thread are remembered in the configuration
folder (``panel_imports.json``) and imported ahead of it, in the background, the next times.

After the imports, :func:`gc.freeze` moves every object then alive (hundreds of thousands once
torch, torch_geometric and captum are imported) to the permanent generation: the cyclic
collector would otherwise walk them all in each full collection, about 0.5 s on the GUI
thread at unpredictable moments (Python documentation of ``gc.freeze``).
"""

from __future__ import annotations

import gc
import html
import importlib
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from workbench.plugin_api import PluginRecord, resolve
from workbench.settings import config_dir

#: one import at a time: two threads importing the same packages can meet in importlib's
#: per-module locks (a concurrent circular import then hands out a half-initialised module)
IMPORT_LOCK = threading.Lock()


#: modules never imported ahead of a constructor off the GUI thread: Qt bindings and the
#: Qt-backed parts of plotting libraries may create QObjects at import
NOT_AHEAD = ("PySide6", "shiboken6", "pyqtgraph", "vispy.app", "matplotlib.backends", "__main__")
MAX_LEARNED = 3000


def learned_imports_file() -> Path:
    return config_dir() / "panel_imports.json"


def learned_imports(plugin_id: str) -> list[str]:
    """The modules ``plugin_id``'s constructor imported on the GUI thread the last times it
    was built (:func:`learn_imports`), to be imported ahead of it in the background."""
    try:
        data = json.loads(learned_imports_file().read_text())
    except (OSError, ValueError):
        return []
    names = data.get(plugin_id, []) if isinstance(data, dict) else []
    return [n for n in names if isinstance(n, str) and n.isascii() and not n.startswith(NOT_AHEAD)]


def learn_imports(plugin_id: str, modules: list[str]) -> None:
    """Remember ``modules`` (imported while the panel was built on the GUI thread) for next time."""
    fresh = [m for m in modules if not m.startswith(NOT_AHEAD)]
    if not fresh:
        return
    path = learned_imports_file()
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    known = [m for m in data.get(plugin_id, []) if isinstance(m, str)]
    seen = set(known)
    data[plugin_id] = (known + [m for m in fresh if m not in seen])[:MAX_LEARNED]
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
    except OSError:  # a read-only configuration folder only costs the head start
        pass


def import_panel_factory(rec: PluginRecord, ahead: bool = False) -> Callable[..., Any]:
    """Import what opening ``rec``'s panel needs and return its factory (any thread).

    ``ahead`` (the background path): also import the modules its constructor imported on the
    GUI thread before (:func:`learned_imports`: a library the panel imports lazily, scipy for a
    graph layout say, would otherwise be imported on the GUI thread, seconds with PySide6's
    import hook reading each new module's source).  A learned module that fails to import is
    skipped; then the panel class's ``prepare_in_background()``.  Takes :data:`IMPORT_LOCK`;
    freezes the objects alive afterwards (module docstring)
    and pauses the cyclic collector meanwhile: the imports allocate hundreds of thousands of
    objects, which set off full collections on this thread with the GIL held (4 of them, up to
    369 ms, while the PGD panel opened at load 5 on 2 cores: the GUI thread waited)."""
    with IMPORT_LOCK:
        collecting = gc.isenabled()
        gc.disable()
        try:
            if rec.loaded.needs_torch:
                from workbench.torch_setup import prepare_torch

                prepare_torch()
            factory = resolve(rec.loaded.panel)
            if ahead:
                for name in learned_imports(rec.id):
                    if name not in sys.modules:
                        try:
                            importlib.import_module(name)
                        except BaseException:  # noqa: BLE001 - only a head start; the constructor imports what it needs
                            pass
                prepare = getattr(factory, "prepare_in_background", None)
                if callable(prepare):  # a Panel's (workbench.gui.panel.Panel.prepare_in_background)
                    try:
                        prepare()
                    except Exception:  # noqa: BLE001 - only a head start; the constructor computes what it needs
                        pass
        finally:
            gc.freeze()  # before the collector runs again: its first pass would walk everything made meanwhile
            if collecting:
                gc.enable()
    return factory


class PanelImporter(QObject):
    """Imports panel modules on background threads; ``imported(plugin_id, token, error)`` is
    emitted (queued to the GUI thread) when one is done, ``error`` being "" on success."""

    imported = Signal(str, int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.factories: dict[int, Callable[..., Any]] = {}
        self.seconds: dict[int, float] = {}
        self._running = 0
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        """Whether an import thread is still running."""
        with self._lock:
            return self._running > 0

    def start(self, rec: PluginRecord, token: int) -> None:
        with self._lock:
            self._running += 1
        thread = threading.Thread(target=self._run, args=(rec, token), name=f"import-{rec.id}", daemon=True)
        thread.start()

    def _run(self, rec: PluginRecord, token: int) -> None:
        t0 = time.perf_counter()
        error = ""
        try:
            self.factories[token] = import_panel_factory(rec, ahead=True)
        except BaseException:  # noqa: BLE001 - a broken plugin must not break the app
            error = traceback.format_exc()
        self.seconds[token] = time.perf_counter() - t0
        with self._lock:
            self._running -= 1
        try:
            self.imported.emit(rec.id, token, error)
        except RuntimeError:  # the window was deleted meanwhile
            pass


class LoadingPlaceholder(QWidget):
    """Shown in a panel's dock while its modules are imported, or when that failed."""

    def __init__(self, rec: PluginRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"loading-{rec.id}")
        what = "importing torch" if rec.loaded.needs_torch else "importing its modules"
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.label = QLabel(f"Loading {rec.title}\u2026 {what}")
        self.label.setObjectName("loading-label")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy indicator
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(320)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.failed = False

    def show_building(self) -> None:
        self.label.setText(self.label.text().split("\u2026")[0] + "\u2026 building the panel")

    def show_error(self, title: str, error: str) -> None:
        """The import failed: say so in place of the panel (the traceback is in the log)."""
        last = error.strip().splitlines()[-1] if error.strip() else "unknown error"
        self.failed = True
        self.bar.hide()
        self.label.setText(
            f"<b>{html.escape(title)} could not be opened.</b><br><br>{html.escape(last)}<br><br>"
            "The full traceback is in the log (View > Log)."
        )
