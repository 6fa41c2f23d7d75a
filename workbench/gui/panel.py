"""Base class of every dockable panel, and the services the shell offers to panels.

A panel is a thin Qt view.  It builds job specs from user actions, submits them with
:meth:`Panel.submit` (they run on the panel's own QThread), and draws the results.
Override:

* :meth:`start` - called once after the panel is docked; start embedded-default jobs here.
* :meth:`state` / :meth:`restore` - JSON-serialisable panel state for sessions.
  ``restore`` must raise ``ValueError`` with a clear message on bad state *before*
  changing anything.
* :meth:`figures` - the panel's exportable figures (:class:`workbench.gui.figures.FigureSource`).
* :meth:`validate_state` - optional check used by session loading before anything is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from workbench.gui.jobrunner import JobHandle, PanelThread

if TYPE_CHECKING:  # pragma: no cover
    from workbench.gui.figures import FigureSource
    from workbench.settings import Preferences


class ShellServices(Protocol):
    """What the main window offers to panels."""

    def preferences(self) -> "Preferences": ...

    def log(self, message: str, level: str = "info", source: str = "") -> None: ...

    def track_job(self, handle: JobHandle) -> None: ...

    def show_error(self, title: str, message: str) -> None: ...


class Panel(QWidget):
    """Base class of plugin panels."""

    #: emitted when the panel has no queued or running jobs (after having had some)
    idle = Signal()

    def __init__(self, shell: ShellServices, plugin_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shell = shell
        self.plugin_id = plugin_id
        self.setObjectName(f"panel-{plugin_id}")
        self._thread: PanelThread | None = None
        self._handles: list[JobHandle] = []
        #: set by the host between docking and calling start(); is_idle() is False meanwhile
        self.start_pending = False

    # ---- to override --------------------------------------------------------------
    def start(self) -> None:
        """Start the panel's embedded-default work (called once, after docking)."""

    def state(self) -> dict[str, Any]:
        """JSON-serialisable state for sessions."""
        return {}

    def validate_state(self, state: dict[str, Any]) -> None:
        """Raise ValueError if ``state`` cannot be restored.  Must not change anything."""
        if not isinstance(state, dict):
            raise ValueError(f"{self.plugin_id}: panel state must be a JSON object")

    def restore(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state` output."""

    def figures(self) -> list["FigureSource"]:
        """Exportable figures; the first is the one File > Export figure uses by default."""
        return []

    # ---- jobs ---------------------------------------------------------------------
    def thread(self) -> PanelThread:
        if self._thread is None:
            self._thread = PanelThread(self.plugin_id)
        return self._thread

    def submit(self, fn: Callable[[Any, Any], Any], spec: Any, *, title: str,
               on_result: Callable[[Any], None] | None = None,
               on_partial: Callable[[Any], None] | None = None,
               on_error: Callable[[str, str], None] | None = None,
               on_progress: Callable[[float, str], None] | None = None,
               key: str | None = None, quiet: bool = False) -> JobHandle:
        """Run ``fn(spec, ctx)`` on this panel's QThread.

        ``key``: a newer job with the same key cancels older ones (use it for live updates).
        ``quiet``: do not show the job in the status bar (very short interactive jobs).
        Errors go to ``on_error`` if given, else to an error dialog; both are logged.
        """
        handle = JobHandle(title, fn, spec, key, self.plugin_id)
        if on_result is not None:
            handle.finished.connect(on_result)
        if on_partial is not None:
            handle.partial.connect(on_partial)
        if on_progress is not None:
            handle.progress.connect(on_progress)

        def _failed(message: str, tb: str) -> None:
            self.shell.log(f"{title} failed: {message}", "error", self.plugin_id)
            self.shell.log(tb, "debug", self.plugin_id)
            if on_error is not None:
                on_error(message, tb)
            else:
                self.shell.show_error(f"{title} failed", message)

        handle.failed.connect(_failed)
        handle.logged.connect(lambda m: self.shell.log(m, "info", self.plugin_id))
        handle.done.connect(lambda: self._job_done(handle))
        self._handles.append(handle)
        if not quiet:
            self.shell.track_job(handle)
        prefs = self.shell.preferences()
        self.thread().submit(handle, prefs.device, prefs.threads)
        return handle

    def _job_done(self, handle: JobHandle) -> None:
        if handle in self._handles:
            self._handles.remove(handle)
        if not self._handles:
            self.idle.emit()

    def is_idle(self) -> bool:
        """True when start() has run and no job of this panel is queued or running."""
        return not self.start_pending and not self._handles

    def running_jobs(self) -> list[JobHandle]:
        return list(self._handles)

    def cancel_jobs(self) -> None:
        if self._thread is not None:
            self._thread.cancel_all()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel jobs and stop the panel's thread; True when the thread has ended."""
        if self._thread is None:
            return True
        ok = self._thread.stop(timeout_ms)
        return ok
