"""Sweeps on a Dask cluster: the same job specs run as tasks of ``dask.distributed`` (Qt-free).

A sweep is a list of child specs, each with a stable key (``"dim8"``, ``"seeds 0-249"``),
and a module-level job function ``fn(spec, ctx)``.  :func:`run_sweep` runs every child
with the compute backend chosen for this run (:func:`parse_backend`):

* ``process`` (the default): one after another in this process (the panel's thread, the
  terminal), as before;
* ``local:N``: a ``distributed.LocalCluster`` of N worker processes with one thread each
  (and one torch / OpenMP thread: ``OMP_NUM_THREADS=1``), started on first use, reused by
  later runs and closed at exit;
* ``tcp://HOST:PORT`` (any Dask address) or the path of a scheduler file (``dask-scheduler
  --scheduler-file``): a cluster the user started with their own tooling (docs/cluster.md).

What crosses between the client (this process) and the workers:

* results come back as they complete (``distributed.as_completed``): ``on_result(index,
  result)`` is called for each, in completion order, so the caller can deliver a partial
  result at once; :func:`run_sweep` returns them in the children's order, so a caller that
  assembles them in that order gets the result of the in-process run (every child carries
  its own seeds; nothing depends on which worker ran it);
* ``ctx.progress`` and ``ctx.log`` of a child on a worker reach the caller's ``ctx`` through
  the scheduler's structured events (``Worker.log_event`` / ``Client.subscribe_topic``),
  at most every :data:`PROGRESS_INTERVAL_S` per task; children's ``ctx.partial`` is not
  forwarded (the caller assembles partial results from finished children);
* Cancel sets a ``distributed.Event`` that a watcher thread beside every running task
  waits on (:data:`CANCEL_POLL_S`); the task's ``ctx.check_cancelled()`` then raises, so
  running children stop at their next check, and the queued ones are cancelled
  (``Client.cancel``);
* a worker that dies mid-task costs only its tasks: the scheduler runs them again on
  another worker (a LocalCluster's nanny restarts the dead one); a task that raises is
  retried :data:`RETRIES` times (``retries=``) before its error reaches the caller;
* a scheduler that cannot be reached, or workers whose workbench / torch / numpy / Python
  versions differ from this process's, are a :class:`~workbench.errors.InputError` /
  :class:`~workbench.jobs.JobError` with the addresses and versions in the message; a
  scheduler lost mid-sweep is a :class:`SchedulerLostError` (a JobError) naming the address and
  how many children had finished; those were delivered to ``on_result`` and the error holds
  them (``results``, ``finished``), so nothing computed is lost.

Results travel through the scheduler by pickle, so children should return small results
(tables, arrays of kilobytes to megabytes); a child producing large data writes it to a
path in its spec.  Specs and ``fn`` must be importable on the workers (the same
environment: docs/cluster.md).
"""

from __future__ import annotations

import atexit
import importlib.metadata
import logging
import os
import platform
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import InputError
from workbench.jobs import JobCancelled, JobContext, JobError, spec_device

#: the environment variable naming the default backend of CLI runs (``local:2``, ``tcp://...``)
ENV = "WORKBENCH_CLUSTER"
#: times a task that raised is run again before its error reaches the caller
RETRIES = 2
#: seconds to wait for a scheduler to answer before saying it cannot be reached
CONNECT_TIMEOUT_S = 10.0
#: least seconds between two progress reports of one task (events through the scheduler)
PROGRESS_INTERVAL_S = 0.2
#: seconds a worker's watcher waits on the cancel Event per round (Cancel latency on top of
#: the job's own check interval)
CANCEL_POLL_S = 0.25
#: how often (seconds) the client looks for finished tasks, progress and Cancel
POLL_S = 0.05
#: seconds a lost scheduler may take to come back before the sweep fails
LOST_SCHEDULER_S = 15.0
#: most workers of a local cluster
MAX_LOCAL_WORKERS = 256
#: Dask configuration of the local cluster's nannies: no ``MALLOC_TRIM_THRESHOLD_=65536`` in
#: the workers' environment (Dask's default ``distributed.nanny.pre-spawn-environ``, which
#: makes glibc hand freed memory back to the system at once).  A task allocating and freeing
#: tensors of hundreds of kilobytes, as every PGD step does, then page-faults on every
#: allocation: measured for a PGD row of digits-cnn (150 images, 10 steps, one thread) in
#: fresh processes at load 10 on 2 cores, 7x the minor page faults (202,000 vs 29,000), system
#: time 0.70 s vs 0.12 s, the thread's CPU time 0.87 s vs 0.46 s: the "compute inside a worker
#: twice as slow" of docs/cluster.md.  OMP/MKL/OpenBLAS stay at one thread.
NANNY_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
#: the packages whose versions must agree between the client and every worker
VERSION_PACKAGES = ("workbench", "torch", "numpy", "distributed", "python")


class SchedulerLostError(JobError):
    """The scheduler went away (or stopped answering) mid-sweep.  ``results``: the sweep's
    results in the children's order, None for the children that had not finished;
    ``finished``: the indices of those that had (in the order they finished)."""

    def __init__(self, message: str, results: list[Any], finished: list[int]) -> None:
        super().__init__(message)
        self.results = results
        self.finished = finished


@dataclass(frozen=True)
class Backend:
    """Where a run's tasks execute: ``kind`` is "process", "local" (``workers`` processes on
    this machine) or "scheduler" (``address``: a Dask address or a scheduler file's path)."""

    kind: str = "process"
    workers: int = 0
    address: str = ""

    def describe(self) -> str:
        """The backend in words (status bar, logs)."""
        if self.kind == "process":
            return "this process"
        if self.kind == "local":
            return f"local cluster of {self.workers} worker process{'es' if self.workers != 1 else ''}"
        return f"Dask scheduler {self.address}"

    def text(self) -> str:
        """The backend as :func:`parse_backend` reads it (``process``, ``local:2``, an address)."""
        if self.kind == "process":
            return "process"
        if self.kind == "local":
            return f"local:{self.workers}"
        return self.address


PROCESS = Backend()


def parse_backend(text: str | None) -> Backend:
    """Read a backend: "" / "process" (this process), "local" (one worker per core),
    "local:N", a Dask address "tcp://HOST:PORT" (also tls://, ucx://, ws://, wss://, inproc://),
    or the path of an existing scheduler file (JSON written by ``dask-scheduler
    --scheduler-file``).  Anything else is an :class:`InputError` saying what is accepted."""
    t = (text or "").strip()
    if t.lower() in ("", "process", "this-process", "none", "off"):
        return PROCESS
    if t.lower() == "local" or t.lower().startswith("local:"):
        n_text = t.partition(":")[2].strip()
        if not n_text:
            return Backend("local", max(1, os.cpu_count() or 1))
        try:
            n = int(n_text)
        except ValueError:
            raise InputError(f"cluster {t!r}: the number of local workers must be an integer, as in local:2") from None
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise InputError(f"cluster {t!r}: the number of local workers must be 1 to {MAX_LOCAL_WORKERS}")
        return Backend("local", n)
    if "://" in t:
        scheme, _, rest = t.partition("://")
        if scheme not in ("tcp", "tls", "ucx", "ws", "wss", "inproc"):
            raise InputError(f"cluster {t!r}: unknown protocol {scheme!r}; use tcp://HOST:PORT")
        host, _, port = rest.rpartition(":")
        if scheme != "inproc" and (not host or not port.isdigit() or not 0 < int(port) < 65536):
            raise InputError(f"cluster {t!r}: give the scheduler as {scheme}://HOST:PORT (port 1-65535)")
        return Backend("scheduler", 0, t)
    if Path(t).is_file():
        return Backend("scheduler", 0, str(Path(t).resolve()))
    raise InputError(
        f"cluster {t!r} is not understood: use process (this process), local:N (N worker processes "
        "on this machine), tcp://HOST:PORT (a Dask scheduler) or the path of a scheduler file"
    )


# ------------------------------------------------------------------------------ clients
_lock = threading.Lock()
_clients: dict[Backend, Any] = {}
_local_clusters: dict[int, Any] = {}


def _dashboard_address() -> str | None:
    """The dashboard address ":0" (a free port) when bokeh (its optional dependency) is installed, else None."""
    try:
        importlib.metadata.version("bokeh")
    except importlib.metadata.PackageNotFoundError:
        return None
    return ":0"


def versions_here() -> dict[str, str]:
    """The versions that must agree between client and workers (:data:`VERSION_PACKAGES`),
    read from the installed distributions (torch is not imported)."""
    import workbench

    out = {"workbench": str(workbench.__version__), "python": ".".join(platform.python_version_tuple()[:2])}
    for pkg in ("torch", "numpy", "distributed"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def version_mismatches(client_versions: dict[str, str], workers: dict[str, dict[str, str]]) -> list[str]:
    """One line per worker and package whose version differs from the client's."""
    lines = []
    for addr, vs in sorted(workers.items()):
        for pkg in VERSION_PACKAGES:
            if vs.get(pkg) != client_versions.get(pkg):
                lines.append(f"{addr}: {pkg} {vs.get(pkg)} (here {client_versions.get(pkg)})")
    return lines


def check_versions(client: Any) -> None:
    """Raise :class:`JobError` when a worker's versions differ from this process's."""
    try:
        workers = client.run(versions_here)
    except Exception as exc:  # noqa: BLE001 - a worker that cannot even run the check
        raise JobError(f"could not ask the workers for their versions: {type(exc).__name__}: {exc}") from None
    bad = version_mismatches(versions_here(), workers)
    if bad:
        raise JobError(
            "the cluster's workers do not run the same environment as this workbench (install the same "
            "versions on every worker, docs/cluster.md):\n  " + "\n  ".join(bad)
        )


_at_exit = [False]
#: what a Dask nanny puts into the parent's environment before it spawns a worker
_PRE_SPAWN_KEYS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")


def _restore_environ(before: dict[str, str | None]) -> None:
    """Put ``before``'s variables back as they were (absent ones removed again)."""
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _connect(backend: Backend) -> Any:
    from distributed import Client, LocalCluster

    if not _at_exit[0]:  # registered after distributed's own handlers, so it runs before them
        atexit.register(shutdown)
        _at_exit[0] = True

    if backend.kind == "local":
        import dask

        # the nannies read their pre-spawn environment when they are made (and reuse it when
        # they restart a worker): without Dask's MALLOC_TRIM_THRESHOLD_ (see NANNY_ENVIRON)
        # and a nanny writes its pre-spawn environment (OMP/MKL/OpenBLAS = 1) into this process's
        # os.environ before spawning and leaves it there: every process the workbench starts
        # later (the process backend of enumerations and explainers) would run on one thread
        before = {k: os.environ.get(k) for k in _PRE_SPAWN_KEYS}
        try:
            with dask.config.set(NANNY_ENVIRON):
                cluster = LocalCluster(
                    n_workers=backend.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=_dashboard_address(),
                    silence_logs=logging.ERROR,
                    env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
                )
        finally:
            _restore_environ(before)
        _local_clusters[backend.workers] = cluster
        return Client(cluster, set_as_default=False)
    kw: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_S, "set_as_default": False}
    where = backend.address
    try:
        if "://" in where:
            client = Client(where, **kw)
        else:
            client = Client(scheduler_file=where, **kw)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {where} within {CONNECT_TIMEOUT_S:g} s ({type(exc).__name__}: "
            f"{exc}); start one with dask-scheduler and dask-worker (docs/cluster.md) or check the address"
        ) from None
    except ValueError as exc:  # a scheduler file that is not one
        raise InputError(f"{where} is not a Dask scheduler file: {exc}") from None
    return client


def client_for(backend: Backend) -> Any:
    """The ``distributed.Client`` of ``backend`` (connected, or its local cluster started, on
    first use and kept for later runs; versions checked once).  Not for ``process``."""
    if backend.kind == "process":
        raise ValueError("the process backend has no client")
    with _lock:
        client = _clients.get(backend)
        if client is not None and client.status == "running":
            return client
        if client is not None:
            _close(backend)
        client = _connect(backend)
        try:
            check_versions(client)
        except JobError:
            client.close()
            raise
        _clients[backend] = client
        return client


def _close(backend: Backend) -> None:
    client = _clients.pop(backend, None)
    if client is not None:
        try:
            client.close(timeout=5)
        except Exception:  # noqa: BLE001 - closing at exit: nothing to report to
            pass
    if backend.kind == "local":
        cluster = _local_clusters.pop(backend.workers, None)
        if cluster is not None:
            try:
                cluster.close(timeout=10)
            except Exception:  # noqa: BLE001
                pass


def shutdown() -> None:
    """Close every client and every local cluster this process started (runs at exit)."""
    with _lock:
        for backend in list(_clients):
            _close(backend)
        for n in list(_local_clusters):
            _close(Backend("local", n))


def worker_count(backend: Backend) -> int:
    """How many workers run tasks: 1 for ``process``, N for ``local:N``, the workers the
    scheduler has now (connecting to it; at least 1)."""
    if backend.kind == "process":
        return 1
    if backend.kind == "local":
        return backend.workers
    return max(1, len(client_for(backend).scheduler_info(n_workers=-1).get("workers", {})))


def _scheduler_task_states(dask_scheduler: Any = None) -> dict[str, int]:
    """How many tasks the scheduler holds in each state ("queued", "processing", "no-worker",
    ...): run on the scheduler by :func:`cluster_status` (``Client.run_on_scheduler``)."""
    counts: dict[str, int] = {}
    for ts in list(dask_scheduler.tasks.values()):
        counts[ts.state] = counts.get(ts.state, 0) + 1
    return counts


def cluster_status(backend: Backend) -> dict[str, Any]:
    """Workers, running and queued tasks and the dashboard link of a connected backend (an
    empty dict for ``process`` or a backend not connected yet): for the status bar.

    ``running``: tasks executing on a worker now (the workers' heartbeats, about once a
    second); ``queued``: the other tasks not finished yet (waiting on the scheduler or on a
    worker for a free thread); ``dashboard``: the link of Dask's dashboard when bokeh is
    installed and the scheduler serves one, else "".  Asks the scheduler (milliseconds on a
    live one; an unreachable one raises an ``OSError`` / ``TimeoutError``): call it off the
    GUI thread."""
    client = _clients.get(backend)
    if backend.kind == "process" or client is None or client.status != "running":
        return {}
    info = client.scheduler_info(n_workers=-1)
    workers = info.get("workers", {})
    counts = [w.get("metrics", {}).get("task_counts") for w in workers.values()]
    if counts and all(isinstance(c, dict) for c in counts):
        running = sum(int(c.get("executing", 0)) for c in counts if c is not None)
    else:  # an older worker without task counts: what the scheduler assigned
        running = sum(len(v) for v in client.processing().values())
    try:
        states = client.run_on_scheduler(_scheduler_task_states)
        unfinished = sum(n for s, n in states.items() if s in ("queued", "processing", "no-worker", "waiting"))
    except Exception:  # noqa: BLE001 - a scheduler that cannot import the workbench: what this client submitted
        unfinished = sum(1 for f in list(client.futures.values()) if getattr(f, "status", "") == "pending")
    has_dashboard = bool(_dashboard_address()) and "dashboard" in info.get("services", {})
    return {
        "workers": len(workers),
        "running": running,
        "queued": max(0, unfinished - running),
        "dashboard": client.dashboard_link if has_dashboard else "",
        "describe": backend.describe(),
        "address": str(info.get("address", "")),
    }


# ------------------------------------------------------------------------------ worker side
#: what a task returns when it stopped after Cancel
CANCELLED = "workbench.cluster: cancelled"


class _Throttle:
    """Forwards a task's progress as events at most every :data:`PROGRESS_INTERVAL_S`."""

    def __init__(self, send: Callable[[float, str], None]) -> None:
        self.send = send
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self.last >= PROGRESS_INTERVAL_S:
            self.last = now
            self.send(float(fraction), str(message))


def run_task(
    fn: Callable[[Any, JobContext], Any],
    spec: Any,
    index: int,
    topic: str,
    cancel_name: str,
    device_preference: str,
) -> Any:
    """What a worker runs for one child: ``fn(spec, ctx)`` with a ``ctx`` whose progress and
    log go to the client as events on ``topic`` and whose cancel flag follows the
    ``distributed.Event`` ``cancel_name`` (a watcher thread waits on it while the task runs)."""
    from distributed import Event, get_client, get_worker

    worker = get_worker()
    flag = threading.Event()
    done = threading.Event()
    # the worker's client, passed explicitly: the Event is waited on in another thread
    cancel = Event(cancel_name, client=get_client())

    def watch() -> None:
        # a task shorter than CANCEL_POLL_S asks the scheduler nothing (queued ones are
        # cancelled by the client); a longer one waits on the Event round after round
        if done.wait(CANCEL_POLL_S):
            return
        while not done.is_set():
            try:
                if cancel.wait(timeout=CANCEL_POLL_S):
                    flag.set()
                    return
            except Exception:  # noqa: BLE001 - the client went away: the run is over
                flag.set()
                return

    threading.Thread(target=watch, name="workbench-cancel-watch", daemon=True).start()

    def send_progress(f: float, m: str) -> None:
        worker.log_event(topic, ["progress", index, f, m])

    ctx = JobContext(
        device_request=spec_device(spec),
        device_preference=device_preference,
        on_progress=_Throttle(send_progress),
        on_log=lambda m: worker.log_event(topic, ["log", index, 0.0, str(m)]),
        cancel_event=flag,
        min_interval=0.0,
    )
    try:
        result = fn(spec, ctx)
        return CANCELLED if flag.is_set() else result
    except JobCancelled:
        return CANCELLED  # a result, not an error: a cancelled task is not retried
    finally:
        done.set()


# ------------------------------------------------------------------------------ the caller
def _child_context(ctx: JobContext, spec: Any, report: Callable[[float, str], None]) -> JobContext:
    return JobContext(
        device_request=spec_device(spec),
        device_preference=ctx.device_preference,
        on_progress=report,
        on_log=ctx.log,
        cancel_event=ctx.cancel_event,
        min_interval=0.0,
    )


def run_sweep(
    fn: Callable[[Any, JobContext], Any],
    children: Sequence[tuple[str, Any]],
    ctx: JobContext,
    backend: Backend = PROCESS,
    *,
    on_result: Callable[[int, Any], None] | None = None,
    retries: int = RETRIES,
) -> list[Any]:
    """``fn(spec, child_ctx)`` for every ``(key, spec)`` of ``children`` on ``backend``; the
    results in the children's order.

    ``on_result(index, result)`` is called as each child finishes (completion order; on the
    calling thread).  ``ctx``'s progress covers the whole sweep (finished children plus the
    running ones' own progress); Cancel of ``ctx`` stops running children at their next check,
    drops queued ones and raises :class:`JobCancelled`.  An error of a child (after
    ``retries``) cancels the rest and is raised here."""
    keys = [k for k, _ in children]
    if len(set(keys)) != len(keys):
        raise ValueError(f"sweep keys must be unique, got {keys}")
    n = len(children)
    results: list[Any] = [None] * n
    if n == 0:
        return results
    if backend.kind == "process":
        for i, (key, spec) in enumerate(children):
            ctx.check_cancelled()

            def report(f: float, m: str, i: int = i, key: str = key) -> None:
                ctx.progress((i + f) / n, f"{key}: {m}" if m else key)

            results[i] = fn(spec, _child_context(ctx, spec, report))
            ctx.check_cancelled()
            if on_result is not None:
                on_result(i, results[i])
            ctx.progress((i + 1) / n, f"{i + 1}/{n} done")
        return results
    return _run_on_cluster(fn, children, ctx, client_for(backend), on_result, retries, results)


def _run_on_cluster(
    fn: Callable[[Any, JobContext], Any],
    children: Sequence[tuple[str, Any]],
    ctx: JobContext,
    client: Any,
    on_result: Callable[[int, Any], None] | None,
    retries: int,
    results: list[Any],
) -> list[Any]:
    from distributed import Event, KilledWorker, as_completed

    n = len(children)
    run_id = uuid.uuid4().hex[:12]
    topic = f"workbench-progress-{run_id}"
    cancel_name = f"workbench-cancel-{run_id}"
    events: queue.SimpleQueue[Any] = queue.SimpleQueue()
    client.subscribe_topic(topic, events.put)
    name = getattr(fn, "__name__", "job")
    futures = [
        client.submit(
            run_task,
            fn,
            spec,
            i,
            topic,
            cancel_name,
            ctx.device_preference,
            key=f"{name}/{key}/{run_id}",
            retries=retries,
            pure=False,
        )
        for i, (key, spec) in enumerate(children)
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    running: dict[int, float] = {}
    done = 0
    finished: list[int] = []
    lost_since: float | None = None
    address = client.scheduler.address
    ctx.progress(0.0, f"{n} tasks submitted to {address}")

    def lost() -> SchedulerLostError:
        return SchedulerLostError(
            f"lost the Dask scheduler at {address} after {done} of {n} tasks: the {done} finished "
            "were kept; start the scheduler again (or check the network) and run the sweep again",
            list(results),
            list(finished),
        )

    def report(message: str) -> None:
        ctx.progress((done + sum(running.values())) / n, message)

    def stop_all() -> None:
        try:
            Event(cancel_name, client=client).set()
            client.cancel(futures)
        except Exception:  # noqa: BLE001 - a lost scheduler: nothing left to stop
            pass

    ac = as_completed(futures, loop=client.loop)
    try:
        while not ac.is_empty():
            while True:
                try:
                    _, msg = events.get_nowait()
                except queue.Empty:
                    break
                kind, i, f, m = msg
                if kind == "progress" and 0 <= i < n and results[i] is None:
                    running[i] = min(max(float(f), 0.0), 1.0)
                    report(f"{children[i][0]}: {m}" if m else children[i][0])
                elif kind == "log":
                    ctx.log(f"{children[i][0]}: {m}")
            if ctx.cancelled():
                stop_all()
                raise JobCancelled()
            if client.status != "running":
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > LOST_SCHEDULER_S:
                    stop_all()
                    raise lost()
            else:
                lost_since = None
            if not ac.has_ready():
                time.sleep(POLL_S)
                continue
            for fut in ac.next_batch(block=False):
                i = index[fut.key]
                if fut.status != "finished":
                    exc = fut.exception() if fut.status == "error" else None
                    stop_all()
                    if isinstance(exc, JobCancelled):
                        raise JobCancelled()
                    if isinstance(exc, KilledWorker):
                        raise JobError(
                            f"task {children[i][0]} killed its workers {exc.last_worker and 'repeatedly'}: "
                            "it may run out of memory; run fewer workers or a smaller task"
                        ) from None
                    if exc is None and client.status != "running":
                        # the client gave up reconnecting: its futures end as cancelled
                        raise lost()
                    if exc is None:
                        raise JobError(f"task {children[i][0]} was cancelled by the scheduler ({fut.status})")
                    raise exc
                value = fut.result()
                if isinstance(value, str) and value == CANCELLED:
                    stop_all()
                    raise JobCancelled()
                results[i] = value
                running.pop(i, None)
                done += 1
                finished.append(i)
                if on_result is not None:
                    on_result(i, results[i])
                report(f"{done}/{n} tasks done")
    finally:
        try:
            client.unsubscribe_topic(topic)
        except Exception:  # noqa: BLE001 - a lost scheduler
            pass
    return results


def empty_job(spec: Any, ctx: JobContext) -> Any:
    """A job that does nothing and returns its spec (measures the per-task overhead)."""
    return spec
