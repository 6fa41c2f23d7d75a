"""Jobs: picklable specs plus pure ``run(spec, ctx)`` functions.  Qt-free.

A job is a frozen dataclass of parameters (seed and device included) and a module-level
function ``run(spec, ctx) -> result``.  Both are plain, picklable data, so the same call
runs on a panel's QThread (``workbench.gui.jobrunner``), in the terminal
(:func:`run_in_terminal`) or on a cluster.

``ctx`` is a :class:`JobContext`: ``ctx.progress(fraction, message)``,
``ctx.partial(obj)``, ``ctx.log(message)``, ``ctx.cancelled()``,
``ctx.check_cancelled()`` (raises :class:`JobCancelled`) and ``ctx.device`` (a torch
device string such as ``"cpu"`` or ``"cuda:0"``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from workbench.errors import WorkbenchError


class JobCancelled(Exception):  # noqa: N818 - a cancellation, not an error (like KeyboardInterrupt)
    """Raised inside a job by :meth:`JobContext.check_cancelled` after Cancel."""


class JobError(WorkbenchError):
    """A job failed with a message meant for the user (no traceback needed).  Bad input inside
    a job is a :class:`workbench.errors.InputError`; jobs may re-raise it as a JobError."""


#: what :func:`heartbeat` calls in this thread (set by :func:`checking`); None outside a job
_HEARTBEAT: ContextVar[Callable[[], None] | None] = ContextVar("workbench_job_heartbeat", default=None)


@contextmanager
def checking(check: Callable[[], None] | None) -> Iterator[None]:
    """While the block runs (in this thread), :func:`heartbeat` calls ``check``: a job wraps a
    call into core code whose signature has no ``check`` argument (a measure of a registry
    ``fn(x, y)``), and the core's inner loops stay cancellable.  ``check`` raises
    :class:`JobCancelled` after Cancel and may report progress (a keep-alive)."""
    token = _HEARTBEAT.set(check)
    try:
        yield
    finally:
        _HEARTBEAT.reset(token)


def heartbeat() -> None:
    """Called by core code between the steps of a long computation (a block of rows, an
    iteration): inside :func:`checking` it runs the job's check (raising
    :class:`JobCancelled` after Cancel); elsewhere it does nothing.  Cheap: call it every
    0.1-0.3 s of work."""
    check = _HEARTBEAT.get()
    if check is not None:
        check()


def resolve_device(requested: str = "auto", preference: str = "auto") -> str:
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a concrete torch device string.

    ``requested`` comes from the job spec; ``"auto"`` defers to ``preference`` (the user's
    Preferences), and ``"auto"`` there means CUDA when available, else CPU.  Asking for CUDA
    where there is none raises :class:`JobError` with a clear message.
    """
    choice = requested if requested and requested != "auto" else (preference or "auto")
    if choice == "cpu":
        return "cpu"
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        if choice.startswith("cuda"):
            raise JobError("CUDA was requested but torch is not installed") from None
        return "cpu"
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice.startswith("cuda"):
        if not torch.cuda.is_available():
            raise JobError(
                "CUDA was requested (Preferences > Device) but no CUDA device is available; choose CPU or auto"
            )
        return choice
    raise JobError(f"unknown device {choice!r}: use auto, cpu or cuda")


class JobContext:
    """What a running job may use.  Thread-safe to call from the job's thread.

    Callbacks are optional; the GUI runner wires them to Qt signals, the CLI to a terminal
    progress bar.  Progress callbacks are throttled to ``min_interval`` seconds (the final
    ``progress(1.0)`` always goes through).

    ``device`` is the torch device string.  Pass it fixed (``device="cpu"``), or leave it out and
    give ``device_request`` (the spec's ``"auto" | "cpu" | "cuda"``) and ``device_preference``
    (the user's): it is then resolved on first use, so jobs that never touch torch never import it.
    """

    def __init__(
        self,
        device: str | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        on_partial: Callable[[Any], None] | None = None,
        on_log: Callable[[str], None] | None = None,
        cancel_event: threading.Event | None = None,
        min_interval: float = 0.05,
        device_request: str = "auto",
        device_preference: str = "auto",
    ) -> None:
        self._device = device
        self.device_request = device_request
        self.device_preference = device_preference
        self.on_progress = on_progress
        self.on_partial = on_partial
        self.on_log = on_log
        self.cancel_event = cancel_event if cancel_event is not None else threading.Event()
        self.min_interval = min_interval
        self._last_progress = 0.0
        self.fraction = 0.0
        self.message = ""

    @property
    def device(self) -> str:
        """The torch device for this job (resolved on first access; see :func:`resolve_device`)."""
        if self._device is None:
            self._device = resolve_device(self.device_request, self.device_preference)
        return self._device

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1] with a short message."""
        self.fraction = float(min(max(fraction, 0.0), 1.0))
        if message:
            self.message = message
        now = time.monotonic()
        if self.on_progress is not None and (self.fraction >= 1.0 or now - self._last_progress >= self.min_interval):
            self._last_progress = now
            self.on_progress(self.fraction, self.message)

    def partial(self, result: Any) -> None:
        """Deliver a partial result (drawn by the view as it arrives)."""
        if self.on_partial is not None:
            self.on_partial(result)

    def log(self, message: str) -> None:
        """Write a line to the log dock (GUI) or stderr (CLI)."""
        if self.on_log is not None:
            self.on_log(message)

    def cancelled(self) -> bool:
        """True once the user pressed Cancel."""
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the user pressed Cancel."""
        if self.cancel_event.is_set():
            raise JobCancelled()

    def cancel(self) -> None:
        self.cancel_event.set()

    def keep_alive(self, message: str = "") -> None:
        """Raise :class:`JobCancelled` after Cancel, else re-report the current progress
        (with ``message`` if given): a job's heartbeat inside a long step."""
        self.check_cancelled()
        self.progress(self.fraction, message or self.message)


def spec_device(spec: Any) -> str:
    """The device a spec asks for (``spec.device`` if present, else ``"auto"``)."""
    return str(getattr(spec, "device", "auto") or "auto")


class TerminalProgress:
    """A one-line progress bar on stderr for headless runs (silent when not a TTY unless forced)."""

    def __init__(self, title: str, stream: Any = None, enabled: bool | None = None) -> None:
        self.title = title
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.start = time.monotonic()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(round(fraction * width))
        elapsed = time.monotonic() - self.start
        bar = "#" * filled + "." * (width - filled)
        line = f"\r{self.title} [{bar}] {fraction * 100:5.1f}% {elapsed:6.1f}s {message[:40]:<40}"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def sigint_cancels(ctx: JobContext, stream: Any = None) -> Iterator[None]:
    """While the block runs, the first Ctrl-C (SIGINT) sets ``ctx``'s cancel flag, so the job
    stops at its next :meth:`JobContext.check_cancelled`, and says so on ``stream`` (stderr);
    a second Ctrl-C raises :class:`KeyboardInterrupt` at once.  The previous handler is put back
    afterwards.  Outside the main thread (where Python cannot set signal handlers), or when
    SIGINT is ignored (a background job), nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if ctx.cancelled():
            raise KeyboardInterrupt
        ctx.cancel()
        out = stream if stream is not None else sys.stderr
        print("\ncancelling at the job's next check (Ctrl-C again to interrupt now)", file=out, flush=True)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        # None: the handler was not set from Python; Python's own is the sensible default
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def run_in_terminal(
    fn: Callable[[Any, JobContext], Any],
    spec: Any,
    *,
    title: str = "",
    quiet: bool = False,
    on_partial: Callable[[Any], None] | None = None,
    preference: str | None = None,
) -> Any:
    """Run a job synchronously in the terminal, with a progress bar on stderr.

    The first Ctrl-C sets the cancel flag (:func:`sigint_cancels`): the job stops at its next
    check and :class:`JobCancelled` is raised (also when the job returned without checking,
    as on a panel's thread); a second Ctrl-C raises :class:`KeyboardInterrupt`.  Returns the
    job's result; raises what the job raised.
    """
    pref = preference if preference is not None else os.environ.get("WORKBENCH_DEVICE", "auto")
    bar = TerminalProgress(title or getattr(fn, "__name__", "job"), enabled=None if not quiet else False)
    ctx = JobContext(
        device_request=spec_device(spec),
        device_preference=pref,
        on_progress=bar,
        on_partial=on_partial,
        on_log=(lambda m: print(m, file=sys.stderr)) if not quiet else None,
        min_interval=0.1,
    )
    try:
        with sigint_cancels(ctx):
            result = fn(spec, ctx)
    except KeyboardInterrupt:
        ctx.cancel()
        raise
    finally:
        bar.close()
    if ctx.cancelled():
        raise JobCancelled()
    return result
