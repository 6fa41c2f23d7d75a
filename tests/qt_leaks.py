"""Find the QThreads, QTimers, pending single-shot timers and animations a test left running.

After napari's ``dangling_qthreads`` / ``dangling_qtimers`` / ``dangling_qanimations``
fixtures (napari/utils/_testsupport.py), but for every thread, timer and animation started
from Python, not only the panels' job threads:

* :func:`install` replaces ``QThread.start``, ``QTimer.start``, ``QTimer.singleShot`` and
  ``QAbstractAnimation.start`` (hence ``QPropertyAnimation``, ``QVariantAnimation`` and the
  animation groups) by wrappers that record the object and a short stack summary of where it
  was started.  Behaviour is unchanged otherwise.
* :meth:`LeakTracker.scan_tree` also finds active ``QTimer`` children of the top-level widgets
  and of the application that Python created, so a timer started from C++ (``QTimer::start``
  slot connected to a signal) is not missed; timers Qt creates for itself are not reported.
* :meth:`LeakTracker.find_leaks` gives the test a grace period (events processed, threads
  waited for, up to ``grace_s`` seconds) and returns one line per object still running.

Objects running when a test starts were either reported by the test that started them or
excused by its ``allow_leaks`` marker; each object is reported once.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractAnimation, QCoreApplication, QMetaObject, QObject, Qt, QThread, QThreadPool, QTimer

_THIS_FILE = __file__


@dataclass
class Record:
    """One thread, timer or animation started while the tracker was installed."""

    kind: str  # "QThread", "QTimer", "animation"
    where: traceback.StackSummary
    test: str
    reported: bool = False  # already named in a failure (or excused): not reported again


@dataclass(eq=False)
class PendingShot:
    """A ``QTimer.singleShot`` call whose function has not run yet."""

    msec: int
    functor: Callable[..., Any]
    context: weakref.ReferenceType[QObject] | None
    where: traceback.StackSummary
    test: str
    due: float  # time.monotonic() when Qt should call it
    reported: bool = False
    cancelled: bool = False  # a reported shot is neutralised so it cannot run in a later test


def _where() -> traceback.StackSummary:
    """The caller's stack (innermost last) without the tracker's own frames; lines read lazily."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == _THIS_FILE:
        frame = frame.f_back
    summary = traceback.StackSummary.extract(traceback.walk_stack(frame), limit=12, lookup_lines=False)
    summary.reverse()
    return summary


def _format_where(where: traceback.StackSummary) -> str:
    """The innermost frames of project code (site-packages and pytest frames left out when possible)."""
    own = [f for f in where if "site-packages" not in f.filename and "/lib/python" not in f.filename]
    frames = (own or list(where))[-3:]
    return " <- ".join(f"{_short_path(f.filename)}:{f.lineno} in {f.name}" for f in reversed(frames))


def _short_path(filename: str) -> str:
    """``filename`` relative to the working directory when it lies below it."""
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def _valid(obj: Any) -> bool:
    try:
        return obj is not None and shiboken6.isValid(obj)
    except TypeError:
        return False


def _describe_object(obj: QObject) -> str:
    name = obj.objectName()
    text = type(obj).__name__ + (f" {name!r}" if name else "")
    parent = obj.parent()
    if _valid(parent):
        pname = parent.objectName()
        text += f" (child of {type(parent).__name__}{' ' + repr(pname) if pname else ''})"
    return text


class LeakTracker:
    """Records what Python starts and says what is still running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: weakref.WeakKeyDictionary[QObject, Record] = weakref.WeakKeyDictionary()
        self._shots: set[PendingShot] = set()
        self.current_test = ""
        self._originals: dict[str, Any] = {}

    # ------------------------------------------------------------------ recording
    def record(self, obj: QObject, kind: str) -> None:
        """Remember ``obj`` as started now (a restart replaces the earlier record)."""
        rec = Record(kind, _where(), self.current_test)
        with self._lock:
            self._records[obj] = rec

    def install(self) -> None:
        """Wrap the start methods of QThread, QTimer and QAbstractAnimation, and QTimer.singleShot."""
        if self._originals:
            return
        tracker = self
        thread_start, timer_start = QThread.start, QTimer.start
        anim_start, single_shot = QAbstractAnimation.start, QTimer.singleShot
        self._originals = {"thread": thread_start, "timer": timer_start, "anim": anim_start, "shot": single_shot}

        def start_thread(self: QThread, *args: Any, **kwargs: Any) -> None:
            tracker.record(self, "QThread")
            return thread_start(self, *args, **kwargs)

        def start_timer(self: QTimer, *args: Any, **kwargs: Any) -> None:
            tracker.record(self, "QTimer")
            return timer_start(self, *args, **kwargs)

        def start_animation(self: QAbstractAnimation, *args: Any, **kwargs: Any) -> None:
            tracker.record(self, "animation")
            return anim_start(self, *args, **kwargs)

        def single_shot_wrapper(msec: int, *args: Any) -> None:
            # Only the (functor) and (context, functor) forms are tracked; the SLOT-string
            # forms go to Qt unchanged.
            if len(args) == 1 and callable(args[0]):
                context, functor = None, args[0]
            elif len(args) == 2 and isinstance(args[0], QObject) and callable(args[1]):
                context, functor = args
            else:
                return single_shot(msec, *args)
            shot = PendingShot(
                int(msec),
                functor,
                weakref.ref(context) if context is not None else None,
                _where(),
                tracker.current_test,
                time.monotonic() + int(msec) / 1000,
            )

            def fire(*a: Any) -> Any:
                with tracker._lock:
                    tracker._shots.discard(shot)
                if shot.cancelled:
                    return None
                return functor(*a)

            with tracker._lock:
                tracker._shots.add(shot)
            if context is None:
                return single_shot(msec, fire)
            return single_shot(msec, context, fire)

        QThread.start = start_thread
        QTimer.start = start_timer
        QAbstractAnimation.start = start_animation
        QTimer.singleShot = staticmethod(single_shot_wrapper)

    def uninstall(self) -> None:
        """Put the original Qt methods back."""
        if not self._originals:
            return
        QThread.start = self._originals["thread"]
        QTimer.start = self._originals["timer"]
        QAbstractAnimation.start = self._originals["anim"]
        QTimer.singleShot = staticmethod(self._originals["shot"])
        self._originals = {}

    def scan_tree(self, excuse: bool = False) -> None:
        """Record active QTimers among the children of the top-level widgets and of the application
        that Python created but did not start through :meth:`install`'s wrappers (Qt's own
        internal timers are left out).  ``excuse``: record them as
        already reported (used when a test starts, for what earlier tests left behind)."""
        app = QCoreApplication.instance()
        if app is None:
            return
        # Collect garbage first and keep the collector off while walking the object trees: a
        # collection triggered while findChildren wraps the children can delete a Python-owned
        # QObject of the tree being walked (a segfault seen once in CI, in the teardown after
        # a test whose job worker was killed).
        gc.collect()
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._scan_roots(app, excuse)
        finally:
            if enabled:
                gc.enable()

    def _scan_roots(self, app: QCoreApplication, excuse: bool) -> None:
        roots: list[QObject] = [app]
        top_level = getattr(app, "topLevelWidgets", None)
        if top_level is not None:
            roots += top_level()
        for root in roots:
            if not _valid(root):
                continue
            for timer in root.findChildren(QTimer):
                # a timer Qt created itself (QStatusBar's message timeout, ...) is Qt's business
                if not _valid(timer) or not timer.isActive() or not shiboken6.createdByPython(timer):
                    continue
                with self._lock:
                    known = self._records.get(timer)
                if known is None:
                    origin = f"<child of {type(root).__name__} {root.objectName()!r}>"
                    where = traceback.StackSummary.from_list([(origin, 0, "not started from Python", None)])
                    with self._lock:
                        self._records[timer] = Record("QTimer", where, self.current_test, reported=excuse)

    # ------------------------------------------------------------------ checking
    def running(self) -> list[tuple[QObject | PendingShot, Record | PendingShot]]:
        """Objects still running that were not reported yet; forgets the ones that stopped."""
        out: list[tuple[QObject | PendingShot, Record | PendingShot]] = []
        with self._lock:
            items = list(self._records.items())
            shots = list(self._shots)
        for obj, rec in items:
            if not _valid(obj):
                with self._lock:
                    self._records.pop(obj, None)
                continue
            if rec.kind == "QThread":
                alive = obj.isRunning()
            elif rec.kind == "QTimer":
                alive = obj.isActive()
            else:
                alive = obj.state() != QAbstractAnimation.State.Stopped
            if not alive:
                with self._lock:
                    self._records.pop(obj, None)
            elif not rec.reported:
                out.append((obj, rec))
        for shot in shots:
            if shot.context is not None and not _valid(shot.context()):
                with self._lock:  # Qt drops a single shot whose context object was deleted
                    self._shots.discard(shot)
            elif not shot.reported:
                out.append((shot, shot))
        return out

    def find_leaks(self, grace_s: float = 1.0) -> list[str]:
        """Process events and wait up to ``grace_s`` seconds for threads, timers, single shots and
        animations to finish; return a description of each one still running."""
        app = QCoreApplication.instance()
        pool = QThreadPool.globalInstance()
        deadline = time.monotonic() + grace_s
        self.scan_tree()
        while True:
            if app is not None:
                app.processEvents()
            left = self.running()
            busy_pool = pool.activeThreadCount()
            if (not left and not busy_pool) or time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        lines = [self._describe(obj, rec) for obj, rec in left]
        if busy_pool and not pool.waitForDone(0):
            lines.append(f"QThreadPool.globalInstance(): {busy_pool} runnable(s) still active")
        return lines

    def _describe(self, obj: Any, rec: Any) -> str:
        started = _format_where(rec.where)
        origin = f", started at {started}" if started else ""
        if rec.test and rec.test != self.current_test:
            origin += f" during {rec.test}"
        if isinstance(rec, PendingShot):
            name = getattr(rec.functor, "__qualname__", repr(rec.functor))
            late = max(0.0, rec.due - time.monotonic())
            return f"QTimer.singleShot({rec.msec} ms, {name}) not fired yet (due in {late:.1f} s){origin}"
        if rec.kind == "QThread":
            return f"QThread {_describe_object(obj)} still running{origin}"
        if rec.kind == "QTimer":
            mode = "single-shot" if obj.isSingleShot() else "repeating"
            return f"QTimer {_describe_object(obj)} active ({obj.interval()} ms, {mode}){origin}"
        target = getattr(obj, "targetObject", lambda: None)()
        prop = getattr(obj, "propertyName", lambda: b"")()
        on = f" on {type(target).__name__}.{bytes(prop).decode(errors='replace')}" if _valid(target) else ""
        return f"animation {_describe_object(obj)}{on} running{origin}"

    def stop_leaks(self) -> None:
        """Stop what :meth:`find_leaks` reported and mark it reported, so that one leak fails one
        test only: timers and animations stopped, threads asked to quit and waited for (5 s),
        pending single shots neutralised."""
        for obj, rec in self.running():
            rec.reported = True
            if isinstance(rec, PendingShot):
                rec.cancelled = True
            elif rec.kind == "QThread":
                stop = getattr(obj, "stop", None)
                if callable(stop):
                    stop(5000)
                else:
                    obj.requestInterruption()
                    obj.quit()
                    obj.wait(5000)
            elif obj.thread() == QThread.currentThread():
                obj.stop()
            else:  # a timer or animation living in another thread is stopped by that thread
                QMetaObject.invokeMethod(obj, "stop", Qt.ConnectionType.QueuedConnection)

    def excuse_running(self) -> None:
        """Mark everything running now as reported (a test marked ``allow_leaks``)."""
        for _obj, rec in self.running():
            rec.reported = True


TRACKER = LeakTracker()
