"""Jobs that run in a worker process, so their Python never competes with the GUI for the GIL
(the shell's, Qt-free; any plugin may use it).

A panel's jobs run on its QThreads, in the GUI's process.  A CPU-heavy job written in Python
(the class enumeration's BFS, the explainers' PyTorch Geometric loops) holds the GIL most of
the time, and a thread that holds it starves the GUI thread: measured with a 10 ms heartbeat
on the GUI thread, enumerating the class of D~10 on a panel thread froze the window for up
to 1.15 s.  :func:`run_in_process` runs ``fn(spec, ctx)`` in a separate Python process
instead and forwards everything a job reports.  A panel opts a job in by submitting
``in_worker_process(run_x)`` instead of ``run_x`` (``self.submit(in_worker_process(run_x),
spec, ...)``: the panel's QThread then only waits on a pipe, its GIL use is negligible) and
may call :func:`prewarm` with the job's modules when it opens.  Use it only where measurement
shows a job starves the GUI thread: a job that spends its time in numpy or torch kernels
releases the GIL already, and a worker costs a process start (0.4 s to a first tiny job at
load 6 on 2 cores), the job's own imports once per worker, and a pickle of spec, partial
results and result per job.  In use: the quiver panel's enumeration, GNN explanation and
explorer embeddings, and the PGD panel's sweep (its GUI-thread p99 stall 67-121 ms on the
panel's thread, 28-40 ms in a worker: benchmarks/bench_gui_stall.py --flows pgd).

What crosses to the worker and back:

* ``ctx.progress``, ``ctx.partial`` and ``ctx.log`` in the worker reach the caller's ``ctx``
  (the panel's progress bar, partial results, log dock);
* Cancel sets an event the worker's ``ctx.cancelled()`` reads; a job that does not stop
  within ``cancel_grace_s`` seconds (3 s) is killed and its worker replaced, so Cancel
  always ends the job;
* the worker runs at a lower priority (:data:`WORKER_NICE`): on a machine whose cores are
  all busy the scheduler serves the GUI's process first (measured with the heartbeat while
  D~10's class was enumerated at load 7-8 on 2 cores: the largest stall fell from
  0.33-0.44 s to 0.14-0.24 s);
* the result, ``JobCancelled`` or the job's exception (with the worker's traceback as its
  cause) come back to the caller, who returns or raises them as if the job had run there; a
  worker that dies (a crash, out of memory) is a :class:`~workbench.jobs.JobError` naming
  its exit code.

Specs, results and partial results cross the process boundary by pickle (they are the
plain, picklable data the job model asks for; the pickles are our own, never a user's file).
``fn`` must be a module-level function (it is sent by reference).

Workers are started with the ``spawn`` method (no ``fork`` of a process that runs Qt
threads) and kept: a finished job's worker waits for the next one (at most
:data:`MAX_IDLE` idle workers), so imports are paid once (about 1 s for the quiver core,
5-10 s more for torch and PyTorch Geometric on a loaded machine); :func:`prewarm` imports
modules in a worker ahead of its first job.  Idle workers end with the program.

Where a worker process cannot be used (a frozen application, ``sys.frozen``, whose
executable would start the whole program again; or ``WORKBENCH_WORKER_PROCESSES=0``), the
job runs in the calling thread as before.  A script that drives panels must guard its top
level with ``if __name__ == "__main__":``, as every program that spawns processes must (the
worker imports the main module).
"""

from __future__ import annotations

import atexit
import functools
import importlib
import multiprocessing
import os
import pickle
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from workbench.jobs import JobCancelled, JobContext, JobError

#: idle workers kept for the next job (more are stopped when their job ends)
MAX_IDLE = 2
#: seconds a job may run on after Cancel before its worker is killed
CANCEL_GRACE_S = 3.0
#: how often (seconds) the caller checks for Cancel while it waits for the worker
POLL_S = 0.05
#: the workers' niceness (``os.nice``): a busy machine gives the GUI's process the CPU first
WORKER_NICE = 10

_SPAWN = multiprocessing.get_context("spawn")


class RemoteTraceback(Exception):  # noqa: N818 - a traceback text, the cause of a re-raised error
    """The worker's traceback of an exception raised in a job (its ``__cause__``)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return self.tb


def processes_enabled() -> bool:
    """Whether jobs may run in worker processes here (see the module doc)."""
    if getattr(sys, "frozen", False):
        return False
    return os.environ.get("WORKBENCH_WORKER_PROCESSES", "1").strip().lower() not in ("0", "no", "false", "off")


# ---------------------------------------------------------------------------------- the worker
def _picklable_error(exc: BaseException) -> BaseException:
    """``exc`` if it survives a pickle round trip, else a JobError with its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any failure to pickle means: send a plain description
        return JobError(f"{type(exc).__name__}: {exc}")


def _serve(conn: Connection, cancel: Any) -> None:
    """The worker's loop: run the jobs sent on ``conn`` one after another until ``None``."""
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # no os.nice (Windows), or not permitted
        pass
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        if msg[0] == "import":
            for name in msg[1]:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - a failed warm-up import shows again in the job
                    pass
            conn.send(("imported",))
            continue
        _, fn, spec, device_request, device_preference = msg
        ctx = JobContext(
            device_request=device_request,
            device_preference=device_preference,
            on_progress=lambda f, m: conn.send(("progress", float(f), str(m))),
            on_partial=lambda r: conn.send(("partial", r)),
            on_log=lambda m: conn.send(("log", str(m))),
            cancel_event=cancel,
        )
        try:
            result = fn(spec, ctx)
            reply: tuple = ("cancelled",) if cancel.is_set() else ("result", result)
        except JobCancelled:
            reply = ("cancelled",)
        except Exception as exc:  # noqa: BLE001 - every error goes back to the caller
            reply = ("error", _picklable_error(exc), traceback.format_exc())
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
            conn.send(
                (
                    "error",
                    JobError(f"the job's result could not be sent back: {type(exc).__name__}: {exc}"),
                    traceback.format_exc(),
                )
            )


class Worker:
    """One worker process and its channel (a pipe) and cancel event."""

    def __init__(self) -> None:
        self.cancel = _SPAWN.Event()
        self.conn, child = _SPAWN.Pipe(duplex=True)
        self.process = _SPAWN.Process(
            target=_serve, args=(child, self.cancel), name="workbench-job-worker", daemon=True
        )
        self.process.start()
        child.close()
        #: modules this worker has imported (warm-up requests and the modules of its jobs)
        self.warm: set[str] = set()

    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, msg: Any) -> None:
        self.conn.send(msg)

    def stop(self, timeout_s: float = 1.0) -> None:
        """Ask the worker to end; kill it if it does not within ``timeout_s``."""
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout_s)
        if self.process.is_alive():
            self.kill()
        self.conn.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        try:
            self.conn.close()
        except OSError:
            pass


class WorkerPool:
    """Idle workers waiting for jobs (thread-safe: panels' threads acquire and release)."""

    def __init__(self, max_idle: int = MAX_IDLE) -> None:
        self.max_idle = max_idle
        self._idle: list[Worker] = []
        self._lock = threading.Lock()

    def acquire(self, needs: str = "") -> Worker:
        """An idle worker (one that has imported module ``needs`` if there is one) or a new one."""
        with self._lock:
            alive = [w for w in self._idle if w.alive()]
            for w in self._idle:
                if w not in alive:
                    w.kill()
            chosen = next((w for w in alive if needs and needs in w.warm), alive[-1] if alive else None)
            self._idle = [w for w in alive if w is not chosen]
        return chosen if chosen is not None else Worker()

    def release(self, worker: Worker) -> None:
        """Give a worker back after a job that ended normally (kept or stopped)."""
        with self._lock:
            if worker.alive() and len(self._idle) < self.max_idle:
                self._idle.append(worker)
                return
        worker.stop()

    def prewarm(self, modules: Sequence[str]) -> None:
        """Import ``modules`` in an idle worker (started if there is none) ahead of its jobs;
        returns at once (the worker imports while the caller goes on)."""
        with self._lock:
            if any(all(m in w.warm for m in modules) for w in self._idle if w.alive()):
                return
            worker = self._idle.pop() if self._idle else None
        if worker is None or not worker.alive():
            worker = Worker()
        worker.send(("import", list(modules)))
        worker.warm.update(modules)
        with self._lock:
            self._idle.append(worker)

    def idle_count(self) -> int:
        with self._lock:
            return sum(w.alive() for w in self._idle)

    def shutdown(self) -> None:
        """Stop every idle worker (at exit; busy ones are daemons and end with the program)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for w in idle:
            w.stop(0.5)


POOL = WorkerPool()
atexit.register(POOL.shutdown)


# ---------------------------------------------------------------------------------- the caller
def run_in_process(
    fn: Callable[[Any, JobContext], Any],
    spec: Any,
    ctx: JobContext,
    *,
    cancel_grace_s: float = CANCEL_GRACE_S,
    pool: WorkerPool | None = None,
) -> Any:
    """``fn(spec, ctx)`` run in a worker process, reporting through ``ctx`` (see the module
    doc); in the calling thread where worker processes cannot be used."""
    if not processes_enabled():
        return fn(spec, ctx)
    pool = pool if pool is not None else POOL
    worker = pool.acquire(fn.__module__)
    outcome: tuple[str, Any] = ("killed", None)
    try:
        worker.cancel.clear()
        worker.send(("run", fn, spec, ctx.device_request, ctx.device_preference))
        worker.warm.add(fn.__module__)
        outcome = _wait(worker, ctx, cancel_grace_s)
    finally:
        if outcome[0] == "killed":
            worker.kill()  # it ignored Cancel, died, or the caller was interrupted
        else:
            pool.release(worker)
    kind, value = outcome
    if kind == "result":
        return value
    if kind in ("cancelled", "killed"):
        raise JobCancelled()
    raise value


def _wait(worker: Worker, ctx: JobContext, cancel_grace_s: float) -> tuple[str, Any]:
    """Forward the worker's messages to ``ctx`` until the job ends: ("result", value),
    ("cancelled", None), ("error", exception) with the worker reusable, or ("killed", None)
    after a job that ignored Cancel."""
    cancel_at: float | None = None
    while True:
        if ctx.cancelled():
            worker.cancel.set()
            if cancel_at is None:
                cancel_at = time.monotonic()
            elif time.monotonic() - cancel_at > cancel_grace_s:
                return "killed", None
        try:
            msg = worker.conn.recv() if worker.conn.poll(POLL_S) else None
        except (EOFError, OSError):
            worker.process.join(1.0)
            raise JobError(
                f"the worker process running this job ended unexpectedly (exit code {worker.process.exitcode})"
            ) from None
        except Exception as exc:  # noqa: BLE001 - a message that does not unpickle here
            raise JobError(f"the worker's reply could not be read: {type(exc).__name__}: {exc}") from None
        if msg is None:
            if not worker.alive():
                raise JobError(
                    f"the worker process running this job ended unexpectedly (exit code {worker.process.exitcode})"
                )
            continue
        kind = msg[0]
        if kind == "progress":
            ctx.progress(msg[1], msg[2])
        elif kind == "partial":
            ctx.partial(msg[1])
        elif kind == "log":
            ctx.log(msg[1])
        elif kind == "result":
            return "result", msg[1]
        elif kind == "cancelled":
            return "cancelled", None
        elif kind == "error":
            error: BaseException = msg[1]
            error.__cause__ = RemoteTraceback(msg[2])
            return "error", error
        # "imported": a warm-up finished before the job started


def in_worker_process(fn: Callable[[Any, JobContext], Any]) -> Callable[[Any, JobContext], Any]:
    """``fn`` as a job function that runs in a worker process (for ``Panel.submit``)."""

    @functools.wraps(fn)
    def job(spec: Any, ctx: JobContext) -> Any:
        return run_in_process(fn, spec, ctx)

    return job


def prewarm(modules: Sequence[str]) -> None:
    """Start an idle worker importing ``modules`` (nothing where processes are not used)."""
    if processes_enabled():
        POOL.prewarm(modules)
