"""Runs job functions on a panel's own QThread and reports back through Qt signals.

Each panel owns one :class:`PanelThread`; jobs submitted to it run one after another in
that thread.  The worker never touches a widget: it only emits signals, which Qt queues to
the GUI thread.  Cancellation is cooperative (``ctx.check_cancelled()`` in the job).
"""

from __future__ import annotations

import itertools
import queue
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from workbench.gcfreeze import collector_paused_on_first_run, freeze_new_imports
from workbench.jobs import JobCancelled, JobContext, JobError, spec_device

_job_ids = itertools.count(1)
_LIVE_THREADS: weakref.WeakSet[PanelThread] = weakref.WeakSet()


def live_threads() -> list[PanelThread]:
    """Panel threads that are still running (used by the test fixture that catches leaks)."""
    return [t for t in list(_LIVE_THREADS) if t.isRunning()]


class JobHandle(QObject):
    """The GUI-side handle of one submitted job.

    Signals (all delivered in the GUI thread): ``progress(float, str)``, ``partial(object)``,
    ``finished(object)`` with the result, ``failed(str, str)`` with message and traceback,
    ``cancelled()``, and ``done()`` after any of the last three.
    """

    started = Signal()
    progress = Signal(float, str)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    done = Signal()
    logged = Signal(str)

    def __init__(
        self, title: str, fn: Callable[[Any, JobContext], Any], spec: Any, key: str | None, owner: str
    ) -> None:
        super().__init__()
        self.id = next(_job_ids)
        self.title = title
        self.fn = fn
        self.spec = spec
        self.key = key
        self.owner = owner
        self.cancel_event = threading.Event()
        self.state = "queued"  # queued, running, finished, failed, cancelled
        self.submitted_at = time.monotonic()
        self.started_at: float | None = None
        #: time.monotonic() when it finished, failed or was cancelled (None before)
        self.finished_at: float | None = None
        self.fraction = 0.0
        self.message = ""
        self.result: Any = None
        self.error: str = ""
        self.progress.connect(self._remember_progress)

    def _remember_progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message

    def cancel(self) -> None:
        """Ask the job to stop; a queued job is dropped, a running one stops at its next check."""
        self.cancel_event.set()

    @property
    def is_done(self) -> bool:
        return self.state in ("finished", "failed", "cancelled")

    def elapsed(self) -> float:
        """Seconds it has run (until it ended, once it has); 0 before it started."""
        if self.started_at is None:
            return 0.0
        return (self.finished_at if self.finished_at is not None else time.monotonic()) - self.started_at

    def waited(self) -> float:
        """Seconds it waited in its queue before it started (or until now / until dropped)."""
        end = (
            self.started_at
            if self.started_at is not None
            else (self.finished_at if self.finished_at is not None else time.monotonic())
        )
        return end - self.submitted_at


@dataclass
class _Item:
    handle: JobHandle
    device_pref: str
    threads: int = 0
    extra: dict = field(default_factory=dict)


class PanelThread(QThread):
    """One worker thread per panel; runs queued jobs in order."""

    job_started = Signal(object)
    job_done = Signal(object)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(f"jobs-{name}")
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._current: JobHandle | None = None
        self._pending: list[JobHandle] = []
        self._lock = threading.Lock()
        _LIVE_THREADS.add(self)

    # --- GUI thread API -------------------------------------------------------------
    def submit(self, handle: JobHandle, device_pref: str = "auto", threads: int = 0) -> JobHandle:
        if handle.key is not None:
            with self._lock:
                for other in self._pending + ([self._current] if self._current else []):
                    if other is not None and other.key == handle.key and not other.is_done:
                        other.cancel()
        with self._lock:
            self._pending.append(handle)
        if not self.isRunning():
            self.start()
        self._queue.put(_Item(handle, device_pref, threads))
        return handle

    def cancel_all(self) -> None:
        with self._lock:
            for h in self._pending + ([self._current] if self._current else []):
                if h is not None:
                    h.cancel()

    def stop(self, timeout_ms: int = 10000) -> bool:
        """Cancel everything, end the loop and wait for the thread.  True if it ended."""
        self.cancel_all()
        if self.isRunning():
            self._queue.put(None)
            return self.wait(timeout_ms)
        return True

    # --- worker thread --------------------------------------------------------------
    def run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            handle = item.handle
            with self._lock:
                if handle in self._pending:
                    self._pending.remove(handle)
                self._current = handle
            try:
                self._run_one(item)
            finally:
                freeze_new_imports()  # a job's imports: kept out of every later full collection
                with self._lock:
                    self._current = None
                if handle.finished_at is None:
                    handle.finished_at = time.monotonic()
                self.job_done.emit(handle)
                handle.done.emit()

    def _run_one(self, item: _Item) -> None:
        handle = item.handle
        if handle.cancel_event.is_set():
            handle.state = "cancelled"
            handle.finished_at = time.monotonic()
            handle.cancelled.emit()
            return
        handle.state = "running"
        handle.started_at = time.monotonic()
        handle.started.emit()
        self.job_started.emit(handle)
        try:
            if item.threads and item.threads > 0:
                try:
                    import torch

                    torch.set_num_threads(int(item.threads))
                except ImportError:  # pragma: no cover
                    pass
            if "torch" in sys.modules:
                from workbench.torch_setup import hide_triton_without_cuda

                hide_triton_without_cuda()
            ctx = JobContext(
                device_request=spec_device(handle.spec),
                device_preference=item.device_pref,
                on_progress=lambda f, m: handle.progress.emit(float(f), str(m)),
                on_partial=handle.partial.emit,
                on_log=lambda m: handle.logged.emit(str(m)),
                cancel_event=handle.cancel_event,
            )
            fn_key = f"{getattr(handle.fn, '__module__', '')}.{getattr(handle.fn, '__qualname__', repr(handle.fn))}"
            with collector_paused_on_first_run(fn_key):  # its imports (workbench.gcfreeze)
                result = handle.fn(handle.spec, ctx)
            if handle.cancel_event.is_set():
                raise JobCancelled()
        except JobCancelled:
            handle.state = "cancelled"
            handle.finished_at = time.monotonic()
            handle.cancelled.emit()
        except JobError as exc:
            handle.state = "failed"
            handle.finished_at = time.monotonic()
            handle.error = str(exc)
            handle.failed.emit(str(exc), traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - a job's exception must never kill the app
            handle.state = "failed"
            handle.finished_at = time.monotonic()
            handle.error = f"{type(exc).__name__}: {exc}"
            handle.failed.emit(handle.error, traceback.format_exc())
        else:
            freeze_new_imports()  # before the result's redraw on the GUI thread allocates (workbench.gcfreeze)
            handle.state = "finished"
            handle.finished_at = time.monotonic()
            handle.result = result
            # the job's own last message: JobContext passes reports on at most every 50 ms, so
            # the last one passed on may be older
            handle.progress.emit(1.0, ctx.message or "done")
            handle.finished.emit(result)
