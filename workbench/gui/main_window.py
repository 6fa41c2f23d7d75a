"""The main window: dockable plugin panels, View menu, status bar with jobs, log dock,
sessions with autosave, layout save/restore, figure export, preferences and About."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench import __version__
from workbench.gui.job_status import JobStatusWidget
from workbench.gui.jobrunner import JobHandle
from workbench.gui.log_dock import LogDock
from workbench.gui.panel import Panel
from workbench.plugin_api import PluginRecord, discover_plugins, resolve
from workbench.session import SessionError, make_session, read_results, read_session, write_session
from workbench.settings import Preferences, config_dir, load_preferences, save_preferences

#: bump when the dock layout changes incompatibly; a saved layout of another version is ignored
LAYOUT_VERSION = 1
AREAS = {"left": Qt.DockWidgetArea.LeftDockWidgetArea, "right": Qt.DockWidgetArea.RightDockWidgetArea,
         "top": Qt.DockWidgetArea.TopDockWidgetArea, "bottom": Qt.DockWidgetArea.BottomDockWidgetArea}


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: str) -> QByteArray:
    return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))


class WelcomePage(QWidget):
    """Shown while no panel is open: one card per installed panel."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(f"<h2>ML research workbench {__version__}</h2>"
                       "<p>Open a panel to start. Panels dock, tab and float; the View menu lists them all.</p>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        for rec in window.records:
            text = rec.title if rec.ok else f"{rec.title} (failed to load)"
            summary = rec.manifest.summary if rec.ok else "See the log (View > Log) for the error."
            button = QPushButton(f"{text}\n{summary}")
            button.setObjectName(f"welcome-{rec.id}")
            button.setStyleSheet("QPushButton { text-align: left; padding: 10px 14px; font-size: 11pt; }")
            if rec.ok and rec.manifest.icon:
                try:
                    from workbench_resources import resource_path

                    icon_file = resource_path(rec.manifest.icon)
                    if icon_file.exists():
                        button.setIcon(QIcon(str(icon_file)))
                        button.setIconSize(button.iconSize() * 2)
                except ImportError:  # pragma: no cover
                    pass
            if rec.ok:
                button.setToolTip(f"Open the {rec.title} panel")
                button.clicked.connect(lambda _=False, pid=rec.id: window.open_panel(pid))
            else:
                button.clicked.connect(lambda _=False, r=rec: window.show_plugin_error(r))
            button.setFixedWidth(640)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    """The workbench window.  ``interactive=False`` suppresses modal questions (tests, screenshots)."""

    panel_opened = Signal(str)

    def __init__(self, records: list[PluginRecord] | None = None, *, interactive: bool = True,
                 restore_layout: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("ML research workbench")
        self.setObjectName("workbench-main")
        self.interactive = interactive
        self.records = records if records is not None else discover_plugins()
        self.prefs, pref_warnings = load_preferences()
        self.panels: dict[str, Panel] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.view_actions: dict[str, QAction] = {}
        self.job_widgets: dict[int, JobStatusWidget] = {}
        self.errors_shown: list[tuple[str, str]] = []
        self.session_path: Path | None = None
        self._last_panel: str | None = None
        self._closing = False
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AnimatedDocks)
        self.welcome = WelcomePage(self)
        self.setCentralWidget(self.welcome)
        self.log_dock = LogDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()
        self._build_menus()
        self.statusBar().showMessage("Ready", 3000)
        self.resize(1400, 900)
        self._default_state = self.saveState(LAYOUT_VERSION)
        for w in pref_warnings:
            self.log(w, "warning", "shell")
        for rec in self.records:
            if not rec.ok:
                self.log(f"plugin {rec.name!r} failed to load:\n{rec.error}", "error", "shell")
        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self.autosave)
        self._apply_autosave_interval()
        QApplication.instance().focusChanged.connect(self._focus_changed)
        if restore_layout:
            QTimer.singleShot(0, self.restore_layout)

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self._add_action(file_menu, "Open session…", self.open_session_dialog, QKeySequence.StandardKey.Open)
        self._add_action(file_menu, "Save session", self.save_session_action, QKeySequence.StandardKey.Save)
        self._add_action(file_menu, "Save session as…", self.save_session_as, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        self.export_action = self._add_action(file_menu, "Export figure…", self.export_figure_dialog, "Ctrl+E")
        file_menu.addSeparator()
        self._add_action(file_menu, "Preferences…", self.preferences_dialog, QKeySequence.StandardKey.Preferences)
        file_menu.addSeparator()
        self._add_action(file_menu, "Quit", self.close, QKeySequence.StandardKey.Quit)
        self.view_menu = mb.addMenu("&View")
        for rec in self.records:
            if rec.ok:
                act = QAction(rec.title, self)
                act.setCheckable(True)
                act.setObjectName(f"view-{rec.id}")
                act.setToolTip(rec.manifest.summary)
                act.toggled.connect(lambda checked, pid=rec.id: self._toggle_panel(pid, checked))
            else:
                act = QAction(f"⚠ {rec.title} (failed to load)", self)
                act.setObjectName(f"view-{rec.id}")
                act.setToolTip(rec.error.strip().splitlines()[-1] if rec.error else "")
                act.triggered.connect(lambda _=False, r=rec: self.show_plugin_error(r))
            self.view_actions[rec.id] = act
            self.view_menu.addAction(act)
        self.view_menu.addSeparator()
        log_action = self.log_dock.toggleViewAction()
        log_action.setText("Log")
        log_action.setShortcut(QKeySequence("Ctrl+L"))
        self.view_menu.addAction(log_action)
        self.view_menu.addSeparator()
        self._add_action(self.view_menu, "Tabify all panels", self.tabify_all)
        self._add_action(self.view_menu, "Reset layout", self.reset_layout)
        help_menu = mb.addMenu("&Help")
        self._add_action(help_menu, "About…", self.about_dialog)

    def _add_action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(lambda _=False: slot())
        menu.addAction(act)
        return act

    # ------------------------------------------------------------ services for panels
    def preferences(self) -> Preferences:
        return self.prefs

    def log(self, message: str, level: str = "info", source: str = "") -> None:
        self.log_dock.log(message, level, source)

    def show_error(self, title: str, message: str) -> None:
        self.errors_shown.append((title, message))
        self.log(f"{title}: {message}", "error", "shell")
        if self.interactive and not self._closing:
            QMessageBox.critical(self, title, message)
        else:
            self.statusBar().showMessage(f"{title}: {message}", 10000)

    def track_job(self, handle: JobHandle) -> None:
        widget = JobStatusWidget(handle)
        self.job_widgets[handle.id] = widget
        self.statusBar().addPermanentWidget(widget)
        self.log(f"started: {handle.title}", "info", handle.owner)

        def _done() -> None:
            w = self.job_widgets.pop(handle.id, None)
            if w is not None:
                w.stop()
                self.statusBar().removeWidget(w)
                w.deleteLater()
            took = f" in {handle.elapsed():.1f} s" if handle.started_at else ""
            level = "error" if handle.state == "failed" else "info"
            self.log(f"{handle.state}: {handle.title}{took}", level, handle.owner)

        handle.done.connect(_done)

    # ------------------------------------------------------------------ panels
    def record(self, plugin_id: str) -> PluginRecord | None:
        return next((r for r in self.records if r.id == plugin_id), None)

    def show_plugin_error(self, rec: PluginRecord) -> None:
        message = f"The plugin {rec.name!r} ({rec.source}) could not be loaded.\n\n{rec.error.strip().splitlines()[-1] if rec.error else ''}"
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
            if rec.manifest.needs_torch:
                from workbench.torch_setup import prepare_torch

                prepare_torch()
            factory = resolve(rec.manifest.panel)
            panel = factory(self)
            if not isinstance(panel, Panel):
                raise TypeError(f"{rec.manifest.panel} returned {type(panel).__name__}, not a workbench Panel")
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
        if rec.manifest.icon:
            try:
                from workbench_resources import resource_path

                icon_file = resource_path(rec.manifest.icon)
                if icon_file.exists():
                    dock.setWindowIcon(QIcon(str(icon_file)))
            except ImportError:  # pragma: no cover
                pass
        area = AREAS[rec.manifest.dock_area]
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
                self.addDockWidget(AREAS[rec.manifest.dock_area], dock)
        self.tabify_all()
        self.log_dock.hide()
        self._update_central()

    # ------------------------------------------------------------------ layout
    def layout_state(self) -> dict[str, Any]:
        return {"version": LAYOUT_VERSION, "state": _b64(self.saveState(LAYOUT_VERSION)),
                "geometry": _b64(self.saveGeometry()),
                "open_panels": [pid for pid, d in self.docks.items() if not d.isHidden()]}

    def apply_layout(self, layout: dict[str, Any]) -> bool:
        """Open the layout's panels and restore docks and geometry.  False (and the default
        layout) when the saved state does not fit; never raises."""
        try:
            if layout.get("version") != LAYOUT_VERSION:
                raise ValueError(f"layout version {layout.get('version')!r} (expected {LAYOUT_VERSION})")
            for pid in layout.get("open_panels", []):
                if self.record(pid) is not None and self.record(pid).ok:
                    self.open_panel(pid)
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

    def restore_layout(self) -> bool:
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
        return self.apply_layout(layout)

    # ------------------------------------------------------------------ sessions
    def session_document(self) -> dict[str, Any]:
        panels = {}
        for pid, panel in self.panels.items():
            try:
                panels[pid] = panel.state()
            except Exception as exc:  # noqa: BLE001
                self.log(f"panel {pid} could not save its state: {exc}", "error", pid)
        return make_session(self.layout_state(), panels)

    def session_results(self) -> dict[str, dict[str, Any]]:
        """Every open panel's kept results (``{panel: {name: KeptResult}}``)."""
        out: dict[str, dict[str, Any]] = {}
        for pid, panel in self.panels.items():
            try:
                out[pid] = panel.results()
            except Exception as exc:  # noqa: BLE001 - one panel's failure must not lose the session
                self.log(f"panel {pid} could not save its results: {exc}", "error", pid)
        return out

    def save_session(self, path: str | Path) -> None:
        doc = self.session_document()
        write_session(doc, path, self.session_results())
        self.session_path = Path(path)
        self.log(f"session saved to {path}", "info", "shell")
        self.statusBar().showMessage(f"Session saved to {path}", 5000)

    def load_session(self, path: str | Path) -> bool:
        """Load a session, all or nothing: on any error nothing changes and a message says why."""
        try:
            doc = read_session(path)
            results = read_results(doc, path)
            self.apply_session(doc, results)
        except SessionError as exc:
            self.show_error("Cannot open session", str(exc))
            return False
        self.session_path = Path(path)
        self.log(f"session loaded from {path}", "info", "shell")
        return True

    def apply_session(self, doc: dict[str, Any], results: dict[str, dict[str, tuple[Any, Any]]] | None = None) -> None:
        """Apply a read session: every panel's state, then its kept results, then the layout;
        all or nothing (a failure restores what was there)."""
        from workbench.gui.panel import KeptResult

        results = results or {}
        panels_state: dict[str, dict] = doc.get("panels", {})
        stray = [pid for pid in results if pid not in panels_state]
        if stray:
            raise SessionError(f"the session has results for panels it does not open: {', '.join(stray)}")
        missing = [pid for pid in panels_state if self.record(pid) is None or not self.record(pid).ok]
        if missing:
            raise SessionError(f"the session needs panels that are not installed or failed to load: {', '.join(missing)}")
        newly_opened = [pid for pid in panels_state if pid not in self.panels]
        for pid in newly_opened:
            if self.open_panel(pid) is None:
                self._close_panels(newly_opened)
                raise SessionError(f"the panel {pid!r} could not be opened")
        try:
            for pid, state in panels_state.items():
                self.panels[pid].validate_state(state)
        except Exception as exc:  # noqa: BLE001
            self._close_panels(newly_opened)
            raise SessionError(f"panel {pid!r}: {exc}") from None
        snapshot = {pid: self.panels[pid].state() for pid in panels_state}
        kept_before = {pid: self.panels[pid].results() for pid in panels_state}
        done: list[str] = []
        try:
            for pid, state in panels_state.items():
                panel = self.panels[pid]
                panel.restore(state)
                done.append(pid)
                panel.restore_results({name: KeptResult(r, i) for name, (r, i) in results.get(pid, {}).items()})
        except Exception as exc:  # noqa: BLE001 - roll back what was applied
            for prev in done:
                try:
                    self.panels[prev].restore(snapshot[prev])
                    self.panels[prev].restore_results(kept_before[prev])
                except Exception:  # noqa: BLE001
                    pass
            try:
                self.panels[pid].restore(snapshot[pid])
            except Exception:  # noqa: BLE001
                pass
            self._close_panels(newly_opened)
            raise SessionError(f"panel {pid!r} could not restore its state: {exc}") from None
        layout = doc.get("layout") or {}
        if layout.get("state"):
            self.apply_layout(layout)

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

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", str(Path.home()), "Workbench session (*.wbsession *.json)")
        if path:
            self.load_session(path)

    def save_session_action(self) -> None:
        if self.session_path is None:
            self.save_session_as()
        else:
            self._save_session_guarded(self.session_path)

    def save_session_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session", str(Path.home() / "analysis.wbsession"),
                                              "Workbench session (*.wbsession *.json)")
        if path:
            self._save_session_guarded(Path(path))

    def _save_session_guarded(self, path: Path) -> None:
        try:
            self.save_session(path)
        except (OSError, ValueError, TypeError) as exc:
            self.show_error("Cannot save session", f"{path}: {exc}")

    def autosave_file(self) -> Path:
        return config_dir() / "autosave.wbsession"

    def autosave(self) -> None:
        if not self.panels:
            return
        try:
            write_session(self.session_document(), self.autosave_file(), self.session_results())
        except (OSError, ValueError, TypeError) as exc:
            self.log(f"autosave failed: {exc}", "warning", "shell")

    def _apply_autosave_interval(self) -> None:
        if self.prefs.autosave_seconds > 0:
            self._autosave_timer.start(self.prefs.autosave_seconds * 1000)
        else:
            self._autosave_timer.stop()

    def offer_recovery(self) -> None:
        """After a crash the autosave file is still there: offer to restore it."""
        path = self.autosave_file()
        if not path.exists():
            return
        if self.interactive:
            answer = QMessageBox.question(self, "Recover session",
                                          "The workbench did not close normally last time. Restore the autosaved session?")
            if answer == QMessageBox.StandardButton.Yes:
                self.load_session(path)
        path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ dialogs
    def preferences_dialog(self) -> None:
        from workbench.gui.dialogs import PreferencesDialog

        dlg = PreferencesDialog(self.prefs, self)
        if dlg.exec():
            self.set_preferences(dlg.preferences())

    def set_preferences(self, prefs: Preferences) -> None:
        from workbench.gui.theme import apply_theme

        prefs, warnings = prefs.validated()
        for w in warnings:
            self.log(w, "warning", "shell")
        self.prefs = prefs
        save_preferences(prefs)
        apply_theme(QApplication.instance(), prefs.theme)
        self._apply_autosave_interval()
        self.log(f"preferences: {prefs}", "info", "shell")

    def about_dialog(self) -> None:
        from workbench.gui.dialogs import AboutDialog, version_report
        from workbench.jobs import JobError, resolve_device

        try:
            device = resolve_device("auto", self.prefs.device)
        except JobError as exc:
            device = f"unavailable ({exc})"
        AboutDialog(version_report(device), self).exec()

    def export_figure_dialog(self) -> None:
        from workbench.gui.dialogs import ExportDialog

        panel = self.current_panel()
        if panel is None:
            self.show_error("Nothing to export", "Open a panel first (View menu).")
            return
        figures = panel.figures()
        if not figures:
            self.show_error("Nothing to export", f"The panel {panel.plugin_id!r} has no figure to export yet.")
            return
        dlg = ExportDialog(figures, self.prefs, str(Path.cwd()), self)
        if dlg.exec():
            fig, path, opts = dlg.result_options()
            self.export_figure(fig, path, opts)

    def export_figure(self, fig: Any, path: Path, opts: Any) -> list[Path]:
        from workbench.gui.figures import export_figure

        try:
            written = export_figure(fig, path, opts)
        except Exception as exc:  # noqa: BLE001
            self.show_error("Export failed", f"{path}: {exc}")
            return []
        self.log("exported " + ", ".join(str(p) for p in written), "info", "shell")
        self.statusBar().showMessage(f"Exported {written[0]}", 5000)
        return written

    # ------------------------------------------------------------------ closing
    def running_jobs(self) -> list[JobHandle]:
        jobs: list[JobHandle] = []
        for panel in self.panels.values():
            jobs += [h for h in panel.running_jobs() if not h.is_done]
        return jobs

    def shutdown(self) -> None:
        """Cancel every job and wait for every panel thread; save the layout."""
        self._closing = True
        self._autosave_timer.stop()
        self.save_layout()
        for panel in self.panels.values():
            panel.cancel_jobs()
        for pid, panel in self.panels.items():
            if not panel.shutdown(30000):
                self.log(f"panel {pid} did not stop within 30 s", "error", "shell")
        self.autosave_file().unlink(missing_ok=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        jobs = self.running_jobs()
        if jobs and self.interactive:
            names = "\n".join(f"• {h.title}" for h in jobs[:10])
            answer = QMessageBox.question(self, "Jobs are running",
                                          f"{len(jobs)} job(s) are still running:\n{names}\n\nCancel them and quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.shutdown()
        event.accept()
