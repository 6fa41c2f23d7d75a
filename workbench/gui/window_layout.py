"""The main window's dock layout: saved at exit and restored at start (Spyder's
restoreState(version) with a fallback to the default layout when the saved one does not fit)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from workbench.settings import config_dir

if TYPE_CHECKING:  # pragma: no cover
    from workbench.gui.panel import Panel
    from workbench.plugin_api import PluginRecord

#: bump when the dock layout changes incompatibly; a saved layout of another version is ignored
LAYOUT_VERSION = 1
AREAS = {
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
    "top": Qt.DockWidgetArea.TopDockWidgetArea,
    "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
}


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: str) -> QByteArray:
    return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))


class LayoutMixin(QMainWindow):
    """Dock layout save/restore.  Part of :class:`workbench.gui.main_window.MainWindow`."""

    if TYPE_CHECKING:  # attributes and methods provided by MainWindow and PanelHostMixin
        docks: dict[str, QDockWidget]
        _default_state: QByteArray

        def record(self, plugin_id: str) -> PluginRecord | None: ...

        def open_panel(self, plugin_id: str, wait: bool = True) -> Panel | None: ...

        def reset_layout(self) -> None: ...

        def _update_central(self) -> None: ...

        def log(self, message: str, level: str = "info", source: str = "") -> None: ...

    def layout_state(self) -> dict[str, Any]:
        return {
            "version": LAYOUT_VERSION,
            "state": _b64(self.saveState(LAYOUT_VERSION)),
            "geometry": _b64(self.saveGeometry()),
            "open_panels": [pid for pid, d in self.docks.items() if not d.isHidden()],
        }

    def apply_layout(self, layout: dict[str, Any], wait: bool = True) -> bool:
        """Open the layout's panels and restore docks and geometry.  False (and the default
        layout) when the saved state does not fit; never raises.  ``wait=False``: the panels
        load in the background (their docks, with a placeholder, are placed at once)."""
        try:
            if layout.get("version") != LAYOUT_VERSION:
                raise ValueError(f"layout version {layout.get('version')!r} (expected {LAYOUT_VERSION})")
            for pid in layout.get("open_panels", []):
                if (rec := self.record(pid)) is not None and rec.ok:
                    self.open_panel(pid, wait=wait)
            geometry = layout.get("geometry")
            if geometry:
                self.restoreGeometry(_unb64(geometry))
            if not self.restoreState(_unb64(layout["state"]), LAYOUT_VERSION):
                raise ValueError("Qt could not restore the saved dock state")
            self._update_central()
            return True
        except Exception as exc:  # noqa: BLE001 - any bad layout falls back to the default
            self.log(f"saved layout not restored ({exc}); using the default layout", "warning", "shell")
            self.restoreState(self._default_state, LAYOUT_VERSION)
            self._update_central()
            return False

    def layout_file(self) -> Path:
        return config_dir() / "layout.json"

    def save_layout(self) -> None:
        try:
            self.layout_file().write_text(json.dumps(self.layout_state()))
        except OSError as exc:
            self.log(f"could not save the layout: {exc}", "warning", "shell")

    def restore_layout(self, wait: bool = True) -> bool:
        """Restore the layout saved at the last exit (``wait``: see :meth:`apply_layout`)."""
        path = self.layout_file()
        if not path.exists():
            return False
        try:
            layout = json.loads(path.read_text())
            if not isinstance(layout, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            self.log(f"saved layout {path} unreadable ({exc}); using the default layout", "warning", "shell")
            return False
        return self.apply_layout(layout, wait=wait)
