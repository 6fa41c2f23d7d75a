"""The main window's panel host: opening panels lazily into docks, tracking which one the
user works in, closing them, tabifying and resetting the dock layout."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QWidget

from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel
from workbench.gui.window_layout import AREAS, LAYOUT_VERSION
from workbench.plugin_api import PluginRecord, resolve

if TYPE_CHECKING:  # pragma: no cover
    from PySide6.QtCore import QByteArray, Signal
    from PySide6.QtGui import QAction

    from workbench.gui.log_dock import LogDock
    from workbench.gui.welcome import WelcomePage


class PanelHostMixin(QMainWindow):
    """Panels in docks.  Part of :class:`workbench.gui.main_window.MainWindow`."""

    if TYPE_CHECKING:  # attributes set by MainWindow.__init__
        records: list[PluginRecord]
        panels: dict[str, Panel]
        docks: dict[str, QDockWidget]
        view_actions: dict[str, QAction]
        welcome: WelcomePage
        log_dock: LogDock
        panel_opened: Signal
        _last_panel: str | None
        _default_state: QByteArray

        def log(self, message: str, level: str = "info", source: str = "") -> None: ...

        def show_error(self, title: str, message: str) -> None: ...

    def record(self, plugin_id: str) -> PluginRecord | None:
        return next((r for r in self.records if r.id == plugin_id), None)

    def show_plugin_error(self, rec: PluginRecord) -> None:
        last = rec.error.strip().splitlines()[-1] if rec.error else ""
        message = f"The plugin {rec.name!r} ({rec.source}) could not be loaded.\n\n{last}"
        self.show_error("Plugin failed to load", message + "\n\nThe full traceback is in the log (View > Log).")

    def open_panel(self, plugin_id: str) -> Panel | None:
        """Show the panel, building it (and importing its module) on first use."""
        if plugin_id in self.docks:
            dock = self.docks[plugin_id]
            dock.show()
            dock.raise_()
            self._last_panel = plugin_id
            return self.panels[plugin_id]
        rec = self.record(plugin_id)
        if rec is None or not rec.ok:
            if rec is not None:
                self.show_plugin_error(rec)
            else:
                self.log(f"no plugin with id {plugin_id!r} is installed", "warning", "shell")
            return None
        t0 = time.perf_counter()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            if rec.loaded.needs_torch:
                from workbench.torch_setup import prepare_torch

                prepare_torch()
            factory = resolve(rec.loaded.panel)
            panel = factory(self)
            if not isinstance(panel, Panel):
                raise TypeError(f"{rec.loaded.panel} returned {type(panel).__name__}, not a workbench Panel")
        except Exception:  # noqa: BLE001 - a broken plugin must not break the app
            import traceback

            rec.error = traceback.format_exc()
            act = self.view_actions.get(plugin_id)
            if act is not None:
                act.blockSignals(True)
                act.setChecked(False)
                act.setCheckable(False)
                act.setText(f"⚠ {rec.title} (failed to load)")
                act.blockSignals(False)
                act.triggered.connect(lambda _=False, r=rec: self.show_plugin_error(r))
            self.log(f"panel {plugin_id!r} failed to open:\n{rec.error}", "error", "shell")
            self.show_plugin_error(rec)
            return None
        finally:
            QApplication.restoreOverrideCursor()
        dock = QDockWidget(rec.title, self)
        dock.setObjectName(f"dock-{plugin_id}")
        dock.setWidget(panel)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        if rec.loaded.icon:
            try:
                from workbench_resources import resource_path

                icon_file = resource_path(rec.loaded.icon)
                if icon_file.exists():
                    dock.setWindowIcon(QIcon(str(icon_file)))
            except ImportError:  # pragma: no cover
                pass
        area = AREAS[rec.loaded.dock_area]
        siblings = [d for pid, d in self.docks.items() if self.dockWidgetArea(d) == area and not d.isFloating()]
        self.addDockWidget(area, dock)
        if siblings:
            self.tabifyDockWidget(siblings[-1], dock)
        self.docks[plugin_id] = dock
        self.panels[plugin_id] = panel
        act = self.view_actions.get(plugin_id)
        dock.visibilityChanged.connect(lambda _vis, pid=plugin_id: self._sync_action(pid))
        dock.installEventFilter(self)
        if act is not None:
            act.blockSignals(True)
            act.setChecked(True)
            act.blockSignals(False)
        dock.show()
        dock.raise_()
        self._last_panel = plugin_id
        self._update_central()
        self.log(f"opened panel {rec.title} in {time.perf_counter() - t0:.2f} s", "info", "shell")
        panel.start_pending = True
        QTimer.singleShot(0, lambda: self._start_panel(plugin_id))
        self.panel_opened.emit(plugin_id)
        return panel

    def _start_panel(self, plugin_id: str) -> None:
        panel = self.panels.get(plugin_id)
        if panel is None:
            return
        try:
            panel.start_pending = False
            panel.start()
        except Exception as exc:  # noqa: BLE001
            import traceback

            self.log(f"panel {plugin_id} failed to start:\n{traceback.format_exc()}", "error", plugin_id)
            self.show_error(f"{plugin_id}: start-up failed", f"{type(exc).__name__}: {exc}")

    def _toggle_panel(self, plugin_id: str, checked: bool) -> None:
        if checked:
            self.open_panel(plugin_id)
        elif plugin_id in self.docks:
            self.docks[plugin_id].hide()
            self._update_central()

    def _sync_action(self, plugin_id: str) -> None:
        act = self.view_actions.get(plugin_id)
        dock = self.docks.get(plugin_id)
        if act is None or dock is None:
            return
        act.blockSignals(True)
        act.setChecked(not dock.isHidden())
        act.blockSignals(False)
        self._update_central()

    def _update_central(self) -> None:
        any_open = any(not d.isHidden() for d in self.docks.values())
        self.welcome.setVisible(not any_open)

    def eventFilter(self, obj: Any, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Close, QEvent.Type.Hide):
            QTimer.singleShot(0, self._update_central)
        return super().eventFilter(obj, event)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        w = new
        while w is not None:
            if isinstance(w, Panel):
                self._last_panel = w.plugin_id
                return
            w = w.parentWidget()

    def current_panel(self) -> Panel | None:
        """The panel the user last worked in (focus), else any visible one."""
        if self._last_panel in self.docks and not self.docks[self._last_panel].isHidden():
            return self.panels[self._last_panel]
        for pid, dock in self.docks.items():
            if not dock.isHidden() and not dock.visibleRegion().isEmpty():
                return self.panels[pid]
        for pid, dock in self.docks.items():
            if not dock.isHidden():
                return self.panels[pid]
        return None

    def tabify_all(self) -> None:
        docks = [d for d in self.docks.values() if not d.isHidden()]
        for d in docks:
            d.setFloating(False)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
        for d in docks[1:]:
            self.tabifyDockWidget(docks[0], d)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for rec in self.records:
            dock = self.docks.get(rec.id)
            if dock is not None:
                dock.setFloating(False)
                self.addDockWidget(AREAS[rec.loaded.dock_area], dock)
        self.tabify_all()
        self.log_dock.hide()
        self._update_central()

    def _close_panels(self, ids: list[str]) -> None:
        for pid in ids:
            panel = self.panels.pop(pid, None)
            dock = self.docks.pop(pid, None)
            if panel is not None:
                panel.shutdown()
            if dock is not None:
                self.removeDockWidget(dock)
                dock.deleteLater()
            act = self.view_actions.get(pid)
            if act is not None:
                act.blockSignals(True)
                act.setChecked(False)
                act.blockSignals(False)
        self._update_central()

    def running_jobs(self) -> list[JobHandle]:
        jobs: list[JobHandle] = []
        for panel in self.panels.values():
            jobs += [h for h in panel.running_jobs() if not h.is_done]
        return jobs
