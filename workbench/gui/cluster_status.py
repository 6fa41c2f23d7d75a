"""The status bar's cluster line: backend, workers, tasks running and queued, and a link to
Dask's dashboard (when bokeh is installed), for the compute backend of Preferences > Compute.

Connecting to a scheduler (up to :data:`workbench.cluster.CONNECT_TIMEOUT_S`) and starting a
LocalCluster (seconds) happen on a background thread, :class:`ClusterPoller`, which then asks
:func:`workbench.cluster.cluster_status` every :data:`POLL_S` while a cluster backend is
chosen (it sleeps, asking nothing, while "this process" is).  What it finds reaches the GUI
thread as a queued signal; a scheduler that cannot be reached or that went away is a line
saying so (and the poller tries again every :data:`RETRY_S`), never an exception.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from workbench import cluster
from workbench.cluster import Backend

#: seconds between two questions to a connected scheduler
POLL_S = 1.5
#: seconds before connecting again to a scheduler that could not be reached or went away
RETRY_S = 5.0
#: seconds :meth:`ClusterPoller.stop` waits for the thread (it may be inside a connect)
STOP_WAIT_S = 2.0


@dataclass(frozen=True)
class ClusterState:
    """What the status bar shows: ``state`` is "off" (this process), "connecting", "ok",
    "unreachable" (the connection failed: ``message`` says why) or "lost" (the scheduler
    stopped answering); the counts are those of :func:`workbench.cluster.cluster_status`."""

    backend: Backend
    state: str
    workers: int = 0
    running: int = 0
    queued: int = 0
    dashboard: str = ""
    message: str = ""


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


class ClusterPoller:
    """A daemon thread that connects to the chosen backend and reports its state to
    ``report`` (called on that thread) on every change of backend, once connected, and every
    :data:`POLL_S` after; nothing while the backend is :data:`workbench.cluster.PROCESS`."""

    def __init__(self, report: Callable[[ClusterState], None]) -> None:
        self._report = report
        self._backend: Backend = cluster.PROCESS
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def backend(self) -> Backend:
        return self._backend

    def set_backend(self, backend: Backend) -> None:
        """Follow ``backend`` from now on (the thread starts with the first cluster backend)."""
        with self._lock:
            changed = backend != self._backend
            self._backend = backend
            if backend.kind != "process" and self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="workbench-cluster-status", daemon=True)
                self._thread.start()
        if changed:
            if backend.kind == "process":
                self._send(ClusterState(backend, "off"))
            self._wake.set()

    def stop(self) -> bool:
        """End the thread (waits up to :data:`STOP_WAIT_S`); True if it ended.  A thread still
        inside a connect ends when the connect returns and reports nothing more."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(STOP_WAIT_S)
        return not thread.is_alive()

    def _send(self, state: ClusterState) -> None:
        if not self._stop.is_set():
            self._report(state)

    def _loop(self) -> None:
        connected: Backend | None = None
        failing: Backend | None = None  # the backend whose problem is shown (retries keep it)
        while not self._stop.is_set():
            self._wake.clear()  # before reading the backend: a change after this wakes the wait below
            backend = self._backend
            if backend.kind == "process":
                connected = None
                self._wake.wait()
                continue
            if connected != backend:
                if failing != backend:
                    self._send(ClusterState(backend, "connecting", message=f"connecting to {backend.describe()}…"))
                try:
                    cluster.client_for(backend)
                except Exception as exc:  # noqa: BLE001 - shown in the status bar, retried
                    if backend == self._backend:
                        failing = backend
                        self._send(ClusterState(backend, "unreachable", message=_error_text(exc)))
                    self._wake.wait(RETRY_S)
                    continue
                connected = backend
            try:
                status = cluster.cluster_status(backend)
            except Exception as exc:  # noqa: BLE001 - a scheduler that went away mid-question
                status, why = {}, _error_text(exc)
            else:
                why = "it does not answer"
            if backend != self._backend:
                continue
            if not status:
                connected, failing = None, backend
                self._send(ClusterState(backend, "lost", message=f"lost {backend.describe()}: {why}"))
                self._wake.wait(RETRY_S)
                continue
            failing = None
            self._send(
                ClusterState(
                    backend,
                    "ok",
                    workers=int(status.get("workers", 0)),
                    running=int(status.get("running", 0)),
                    queued=int(status.get("queued", 0)),
                    dashboard=str(status.get("dashboard", "")),
                )
            )
            self._wake.wait(POLL_S)


def status_text(s: ClusterState) -> tuple[str, str]:
    """(rich text, plain tooltip) of the status bar's cluster line."""
    where = s.backend.describe()
    if s.state == "off":
        return "", ""
    if s.state == "connecting":
        return html.escape(f"Dask: connecting to {where}…"), s.message
    if s.state in ("unreachable", "lost"):
        head = "lost" if s.state == "lost" else "cannot reach" if s.backend.kind == "scheduler" else "not started"
        return f"<b>\u26a0 Dask {html.escape(s.backend.text())}: {head}</b> (sweeps cannot run there)", s.message
    workers = f"{s.workers} worker{'s' if s.workers != 1 else ''}"
    text = f"Dask {html.escape(s.backend.text())}: {workers}, {s.running} running, {s.queued} queued"
    tip = f"{where}: {workers}, {s.running} tasks running, {s.queued} queued"
    if s.dashboard:
        text += f' · <a href="{html.escape(s.dashboard, quote=True)}">dashboard</a>'
        tip += f"\nDask dashboard: {s.dashboard}"
    return text, tip


class ClusterStatusWidget(QLabel):
    """The status bar's cluster line (hidden while sweeps run in this process).
    ``problem(str)``: a backend became unreachable or was lost (the reason, once per reason)."""

    _received = Signal(object)
    problem = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cluster-status")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setOpenExternalLinks(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.setContentsMargins(6, 0, 6, 0)
        self.setMaximumWidth(520)
        #: the last state shown
        self.state: ClusterState = ClusterState(cluster.PROCESS, "off")
        self._problem = ""  # the reason last logged (a retry with the same reason is not logged again)
        self._received.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self.poller = ClusterPoller(self._from_thread)
        self.hide()

    def set_backend(self, backend: Backend) -> None:
        """Show ``backend`` (connecting to it in the background)."""
        self.poller.set_backend(backend)

    def stop(self) -> None:
        self.poller.stop()

    def _from_thread(self, state: ClusterState) -> None:
        try:
            self._received.emit(state)
        except RuntimeError:  # the widget is gone (the window closed while connecting)
            pass

    def _show(self, state: Any) -> None:
        if state.backend != self.poller.backend:
            return  # a report about the backend chosen before
        if state.state in ("unreachable", "lost") and state.message != self._problem:
            self.problem.emit(state.message)
        self._problem = state.message if state.state in ("unreachable", "lost") else ""
        self.state = state
        text, tip = status_text(state)
        if text != self.text():
            self.setText(text)
        self.setToolTip(tip)
        self.setVisible(bool(text))
