"""The main window: menus, the services panels use (preferences, log, errors, job tracking)
and closing.  The rest lives in one mixin per job: :mod:`window_panels` (panels in docks),
:mod:`window_layout` (dock layout), :mod:`window_sessions` (sessions, autosave),
:mod:`window_dialogs` (preferences, About, export)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMessageBox

from workbench.gui.cluster_status import ClusterStatusWidget
from workbench.gui.job_status import JobStatusWidget
from workbench.gui.jobrunner import JobHandle
from workbench.gui.jobs_dock import JobsDock
from workbench.gui.log_dock import LogDock
from workbench.gui.panel import Panel
from workbench.gui.toast import Toast
from workbench.gui.welcome import WelcomePage
from workbench.gui.window_dialogs import DialogsMixin
from workbench.gui.window_layout import AREAS, LAYOUT_VERSION, LayoutMixin
from workbench.gui.window_panels import PanelHostMixin
from workbench.gui.window_sessions import SessionMixin
from workbench.plugin_api import PluginRecord, discover_plugins
from workbench.settings import Preferences, load_preferences

__all__ = ["AREAS", "LAYOUT_VERSION", "MainWindow"]


class MainWindow(PanelHostMixin, LayoutMixin, SessionMixin, DialogsMixin, QMainWindow):
    """The workbench window.  ``interactive=False`` suppresses modal questions (tests, screenshots)."""

    panel_opened = Signal(str)
    #: a job that ran longer than this (s) and ended while its panel was out of sight is announced
    long_job_s = 5.0

    def __init__(
        self, records: list[PluginRecord] | None = None, *, interactive: bool = True, restore_layout: bool = True
    ) -> None:
        super().__init__()
        self.setWindowTitle("ML research workbench")
        self.setObjectName("workbench-main")
        self.interactive = interactive
        # headless plugins (jobs and CLI only, no panel) are not listed in the window
        self.records = [r for r in (records if records is not None else discover_plugins()) if r.has_panel]
        self.prefs, pref_warnings = load_preferences()
        self.panels: dict[str, Panel] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.view_actions: dict[str, QAction] = {}
        self.job_widgets: dict[int, JobStatusWidget] = {}
        self.errors_shown: list[tuple[str, str]] = []
        self.session_path: Path | None = None
        self._last_panel: str | None = None
        self._closing = False
        self._init_panel_host()
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AnimatedDocks
        )
        self.welcome = WelcomePage(self)
        self.setCentralWidget(self.welcome)
        self.log_dock = LogDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()
        self.jobs_dock = JobsDock(self._panel_title, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_dock)
        self.tabifyDockWidget(self.log_dock, self.jobs_dock)
        self.jobs_dock.hide()
        self.toast = Toast(self)
        self._build_menus()
        self.statusBar().showMessage("Ready", 3000)
        #: the compute backend's line (Preferences > Compute); connects in the background
        self.cluster_status = ClusterStatusWidget(self)
        self.cluster_status.problem.connect(lambda why: self.log(f"compute backend: {why}", "warning", "shell"))
        self.statusBar().addPermanentWidget(self.cluster_status)
        self._apply_compute_backend()
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
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        if restore_layout:
            # the saved panels load in the background: the window answers while torch imports
            QTimer.singleShot(0, lambda: self.restore_layout(wait=False))

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self._add_action(file_menu, "Open session…", self.open_session_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("menu-recent")
        self.recent_menu.aboutToShow.connect(lambda: self.fill_recent_menu(self.recent_menu))
        self.fill_recent_menu(self.recent_menu)
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
                act.setToolTip(rec.loaded.summary)
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
        jobs_action = self.jobs_dock.toggleViewAction()
        jobs_action.setText("Jobs")
        jobs_action.setObjectName("view-jobs")
        jobs_action.setShortcut(QKeySequence("Ctrl+J"))
        self.view_menu.addAction(jobs_action)
        self.view_menu.addSeparator()
        self._add_action(self.view_menu, "Tabify all panels", self.tabify_all)
        self._add_action(self.view_menu, "Reset layout", self.reset_layout)
        help_menu = mb.addMenu("&Help")
        self._add_action(help_menu, "Keyboard shortcuts…", self.shortcuts_dialog, "F1")
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

    def _panel_title(self, plugin_id: str) -> str:
        rec = self.record(plugin_id)
        return rec.title if rec is not None else plugin_id

    def track_job(self, handle: JobHandle) -> None:
        widget = JobStatusWidget(handle)
        self.job_widgets[handle.id] = widget
        self.statusBar().addPermanentWidget(widget)
        self.jobs_dock.track(handle)
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
            self._announce_if_unseen(handle)

        handle.done.connect(_done)

    def _announce_if_unseen(self, handle: JobHandle) -> None:
        """A long job ended while its panel was hidden, behind another tab, or the window
        minimised: say so in the status bar and a toast (click: show the panel)."""
        if self._closing or handle.state not in ("finished", "failed") or handle.elapsed() <= self.long_job_s:
            return
        owner = handle.owner
        if self._in_front(owner) and self.isVisible() and not self.isMinimized():
            return
        where = self._panel_title(owner)
        if handle.state == "finished":
            text = f"\u2713 {handle.title} finished in {where} ({handle.elapsed():.1f} s)"
        else:
            text = f"\u2717 {handle.title} failed in {where}: {handle.error.splitlines()[0] if handle.error else ''}"
        self.statusBar().showMessage(text, 10000)
        action = (lambda: self.open_panel(owner, wait=False)) if owner in self.docks else None
        self.toast.show_message(text, action)
        self.log(f"announced: {text}", "debug", "shell")

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Cancel every job and wait for every panel thread; stop the window's timers (autosave,
        job clocks) and the panels'; save the layout."""
        self._closing = True
        self._loading.clear()  # imports still running are ignored when they end
        self._ready.clear()
        self._autosave_timer.stop()
        self.cluster_status.stop()
        self.save_layout()
        for panel in self.panels.values():
            panel.cancel_jobs()
        for pid, panel in self.panels.items():
            if not panel.shutdown(30000):
                self.log(f"panel {pid} did not stop within 30 s", "error", "shell")
        # the status bar's job clocks: their jobs' done signals may never be delivered now
        for widget in self.job_widgets.values():
            widget.stop()
        self.jobs_dock.stop()
        self.toast.dismiss()
        self.finish_autosave()  # a write still running must not recreate the file after this
        self.autosave_file().unlink(missing_ok=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        jobs = self.running_jobs()
        if jobs and self.interactive:
            names = "\n".join(f"• {h.title}" for h in jobs[:10])
            answer = QMessageBox.question(
                self, "Jobs are running", f"{len(jobs)} job(s) are still running:\n{names}\n\nCancel them and quit?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.shutdown()
        event.accept()
