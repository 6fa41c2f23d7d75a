"""The main window's sessions: save and open (all or nothing, with the panels' kept results),
the periodic crash-recovery autosave, and the offer to recover after a crash."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox

from workbench.recent import add_recent_session, clear_recent_sessions, recent_sessions
from workbench.session import SessionError, make_session, read_results, read_session, write_session
from workbench.settings import config_dir

if TYPE_CHECKING:  # pragma: no cover
    from PySide6.QtWidgets import QDockWidget

    from workbench.gui.panel import Panel
    from workbench.plugin_api import PluginRecord
    from workbench.settings import Preferences


class _AutosaveBridge(QObject):
    """Carries an autosave's outcome from its writer thread to the GUI thread ("" when it
    succeeded, else the error)."""

    done = Signal(str)


class SessionMixin(QMainWindow):
    """Sessions and autosave.  Part of :class:`workbench.gui.main_window.MainWindow`."""

    if TYPE_CHECKING:  # attributes and methods provided by MainWindow and the other mixins
        panels: dict[str, Panel]
        docks: dict[str, QDockWidget]
        prefs: Preferences
        interactive: bool
        session_path: Path | None
        _autosave_timer: QTimer
        _autosave_error: str | None

        def record(self, plugin_id: str) -> PluginRecord | None: ...

        def open_panel(self, plugin_id: str, wait: bool = True) -> Panel | None: ...

        def _close_panels(self, ids: list[str]) -> None: ...

        def layout_state(self) -> dict[str, Any]: ...

        def apply_layout(self, layout: dict[str, Any]) -> bool: ...

        def log(self, message: str, level: str = "info", source: str = "") -> None: ...

        def show_error(self, title: str, message: str) -> None: ...

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
        add_recent_session(path)
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
        if Path(path).resolve() != self.autosave_file().resolve():
            add_recent_session(path)
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
        missing = [pid for pid in panels_state if (rec := self.record(pid)) is None or not rec.ok]
        if missing:
            raise SessionError(
                "the session needs panels that are not installed or failed to load: " + ", ".join(missing)
            )
        # a panel still loading in the background (a menu click) is finished now; only docks
        # this session adds are closed again when it fails
        newly_opened = [pid for pid in panels_state if pid not in self.docks]
        for pid in panels_state:
            if pid not in self.panels and self.open_panel(pid, wait=True) is None:
                self._close_panels(newly_opened)
                raise SessionError(f"the panel {pid!r} could not be opened")
        try:
            for pid, state in panels_state.items():
                self.panels[pid].validate_state(state)
        except Exception as exc:  # noqa: BLE001
            self._close_panels(newly_opened)
            raise SessionError(f"panel {pid!r}: {exc}") from None
        snapshot = {pid: self.panels[pid].session_snapshot() for pid in panels_state}
        done: list[str] = []
        try:
            for pid, state in panels_state.items():
                panel = self.panels[pid]
                panel.restore(state)
                done.append(pid)
                panel.restore_results({name: KeptResult(r, i) for name, (r, i) in results.get(pid, {}).items()})
        except Exception as exc:  # noqa: BLE001 - roll back what was applied
            for prev in dict.fromkeys([*done, pid]):  # the failing panel too, once
                try:
                    self.panels[prev].session_rollback(snapshot[prev])
                except Exception as rb_exc:  # noqa: BLE001 - report, keep rolling back the others
                    self.log(f"panel {prev} could not roll back: {rb_exc}", "error", prev)
            self._close_panels(newly_opened)
            raise SessionError(f"panel {pid!r} could not restore its state: {exc}") from None
        layout = doc.get("layout") or {}
        if layout.get("state"):
            self.apply_layout(layout)

    def fill_recent_menu(self, menu: QMenu) -> None:
        """File > Open recent: the recent sessions that still exist (missing files pruned)."""
        menu.clear()
        paths = recent_sessions()
        for i, path in enumerate(paths, 1):
            act = menu.addAction(f"&{i % 10}  {path.name}   \u2014 {path.parent}")
            act.setToolTip(str(path))
            act.setData(str(path))
            act.triggered.connect(lambda _=False, p=path: self.load_session(p))
        if not paths:
            menu.addAction("No recent sessions").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear recent sessions")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(lambda _=False: clear_recent_sessions())

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open session", str(Path.home()), "Workbench session (*.wbsession *.json)"
        )
        if path:
            self.load_session(path)

    def save_session_action(self) -> None:
        if self.session_path is None:
            self.save_session_as()
        else:
            self._save_session_guarded(self.session_path)

    def save_session_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save session", str(Path.home() / "analysis.wbsession"), "Workbench session (*.wbsession *.json)"
        )
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
        """Write the crash-recovery session off the GUI thread: the panels' states and kept
        results are gathered here (references, no copies: kept results are never changed in
        place), encoded, hashed and written by a background thread, so a panel holding large
        results (a bundle dataset of tens of MB) does not freeze the window every interval.  At
        most one write runs at a time (a tick while one runs is skipped); a failure is reported
        on the GUI thread, once per distinct problem."""
        if not self.panels:
            return
        running = getattr(self, "_autosave_thread", None)
        if running is not None and running.is_alive():
            return
        bridge = getattr(self, "_autosave_bridge", None)
        if bridge is None:
            bridge = self._autosave_bridge = _AutosaveBridge(self)
            bridge.done.connect(self._autosave_done)
        doc, results, path = self.session_document(), self.session_results(), self.autosave_file()

        def write() -> None:
            try:
                write_session(doc, path, results)
            except (OSError, ValueError, TypeError) as exc:
                bridge.done.emit(str(exc))
            else:
                bridge.done.emit("")

        thread = threading.Thread(target=write, name="workbench-autosave", daemon=True)
        self._autosave_thread = thread
        thread.start()

    def finish_autosave(self, timeout_s: float = 60.0) -> bool:
        """Wait for an autosave write still running (and deliver its outcome); True when none
        is left running."""
        thread = getattr(self, "_autosave_thread", None)
        if thread is not None:
            thread.join(timeout_s)
        QCoreApplication.sendPostedEvents()  # the write's outcome, queued to this thread
        return thread is None or not thread.is_alive()

    def _autosave_done(self, error: str) -> None:
        if not error:
            self._autosave_error = None
            return
        # crash recovery is lost while this lasts: say so once per distinct problem, not silently
        message = f"autosave failed: {error}. Crash recovery is not available until this is fixed."
        self.log(message, "error", "shell")
        if getattr(self, "_autosave_error", None) != error:
            self._autosave_error = error
            self.show_error("Autosave failed", message)

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
            answer = QMessageBox.question(
                self,
                "Recover session",
                "The workbench did not close normally last time. Restore the autosaved session?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.load_session(path)
        path.unlink(missing_ok=True)
