"""Base class of every dockable panel, and the services the shell offers to panels.

A panel is a thin Qt view.  It builds job specs from user actions, submits them with
:meth:`Panel.submit` (they run on the panel's own QThread, one per lane), and draws the results.
Override:

* :meth:`start` - called once after the panel is docked; start embedded-default jobs here.
* ``self.state_model`` - the panel's Qt-free :class:`workbench.state.PanelState`; widgets are
  bound to it with ``self.binder`` (:mod:`workbench.gui.binding`).  :meth:`state`,
  :meth:`validate_state` and :meth:`restore` are derived from it; a panel with more to save
  (a document, a selection) extends them and calls ``super()``.  ``restore`` raises
  ``ValueError`` with a clear message on bad state *before* changing anything, and never
  starts background work.
* results - :meth:`keep_result` stores a computed result with the inputs (the job spec) it was
  computed from; sessions save kept results (pickle-free, :mod:`workbench.plaindata`) and give
  them back through :meth:`restore_results`, after which :meth:`results_restored` redraws them
  and marks as stale those whose inputs differ from what the panel would compute now
  (:meth:`result_is_stale`).
* :meth:`figures` - the panel's exportable figures (:class:`workbench.gui.figures.FigureSource`).
* :meth:`validate_state` - optional check used by session loading before anything is applied.

Two habits keep the GUI thread's turns short (issue 13: no stall above 100 ms):

* :meth:`build_in_steps` - a constructor that builds several plots hands the rest of its
  construction to the base class as a generator with a ``yield`` between heavy widgets; opened
  from a click, the shell runs one step per event-loop turn behind the "loading" placeholder;
  constructed directly (tests, sessions, scripts) the steps run at once.
* :meth:`redraw_later` - a job's result and its ``done`` signal arrive in the same turn and
  often both redraw; ``redraw_later(fn)`` runs each queued redraw once, one per turn, and
  :meth:`is_idle` stays False until they have run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QAbstractAnimation, QTimer, Signal
from PySide6.QtWidgets import QWidget

from workbench import plaindata
from workbench.gui.binding import Binder
from workbench.gui.jobrunner import JobHandle, PanelThread
from workbench.state import PanelState

if TYPE_CHECKING:  # pragma: no cover
    from workbench.gui.figures import FigureSource
    from workbench.settings import Preferences


class ShellServices(Protocol):
    """What the main window offers to panels."""

    def preferences(self) -> Preferences: ...

    def log(self, message: str, level: str = "info", source: str = "") -> None: ...

    def track_job(self, handle: JobHandle) -> None: ...

    def show_error(self, title: str, message: str) -> None: ...


@dataclass
class KeptResult:
    """A computed result and the inputs (a job spec, plain data) it was computed from."""

    result: Any
    inputs: Any = None


_DEFER_BUILD = [False]


@contextmanager
def deferred_build() -> Iterator[None]:
    """While active, a panel constructed calling :meth:`Panel.build_in_steps` keeps its steps
    for the shell (``Panel.pending_build``) instead of running them (the shell's click path)."""
    before = _DEFER_BUILD[0]
    _DEFER_BUILD[0] = True
    try:
        yield
    finally:
        _DEFER_BUILD[0] = before


_LISTING_FOR_MENUS = [False]


@contextmanager
def listing_for_menus() -> Iterator[None]:
    """While active, the shell is calling :meth:`Panel.figures` only to give the figures'
    widgets their context menus (see :func:`figures_for_menus`)."""
    before = _LISTING_FOR_MENUS[0]
    _LISTING_FOR_MENUS[0] = True
    try:
        yield
    finally:
        _LISTING_FOR_MENUS[0] = before


def figures_for_menus() -> bool:
    """True while the shell lists a panel's figures for their context menus: a panel whose
    plots are made lazily may leave out those not made yet instead of making them in that turn
    (they get their menus once made: emit :attr:`Panel.figures_changed`).  Exports and other
    callers of ``figures()`` get every figure."""
    return _LISTING_FOR_MENUS[0]


class Panel(QWidget):
    """Base class of plugin panels."""

    #: the panel's Qt-free state; set by subclasses in ``__init__`` before binding widgets
    state_model: PanelState | None = None

    #: emitted when the panel has no queued or running jobs (after having had some)
    idle = Signal()
    #: emitted when ``figures()`` has widgets it did not have (plots made lazily): the shell
    #: gives them their context menus
    figures_changed = Signal()

    def __init__(self, shell: ShellServices, plugin_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shell = shell
        self.plugin_id = plugin_id
        self.setObjectName(f"panel-{plugin_id}")
        #: worker threads by lane ("" is the panel's main lane); see :meth:`submit`
        self._threads: dict[str, PanelThread] = {}
        self._handles: list[JobHandle] = []
        #: set by the host between docking and calling start(); is_idle() is False meanwhile
        self.start_pending = False
        #: binds ``state_model`` fields to widgets; refused edits are shown in the status bar
        self.binder = Binder(on_error=lambda msg: self.shell.log(msg, "warning", self.plugin_id))
        self._kept: dict[str, KeptResult] = {}
        #: set by :meth:`shutdown`: the panel is closed, nothing new runs in it
        self._shut_down = False
        #: the rest of the construction, when the shell runs it one step per turn
        self.pending_build: Iterator[Any] | None = None
        self._redraws: list[Callable[[], Any]] = []
        self._redraw_timer: QTimer | None = None

    # ---- construction and redraws in short turns ------------------------------------
    @classmethod
    def prepare_in_background(cls) -> None:
        """Pure computation its constructor or first paint will need, done ahead (no widgets,
        no Qt): the shell runs it on the import thread, after the panel's module is imported
        and before the constructor runs on the GUI thread (a click's background open).  Its
        results go into the panel's own caches; an exception only costs the head start.
        Default: nothing."""

    def build_in_steps(self, steps: Iterator[Any]) -> None:
        """Finish construction with ``steps`` (a generator yielding between heavy widgets):
        at once, or, under the shell's :func:`deferred_build`, one step per event-loop turn
        before the panel is docked."""
        if _DEFER_BUILD[0]:
            self.pending_build = steps
            return
        for _ in steps:
            pass

    def finish_build(self) -> None:
        """Run what is left of a deferred construction now."""
        steps, self.pending_build = self.pending_build, None
        if steps is not None:
            for _ in steps:
                pass

    def redraw_later(self, *fns: Callable[[], Any]) -> None:
        """Queue redraws: each distinct ``fn`` runs once, one per event-loop turn, in the
        order first queued (a redraw queued twice before it ran runs once)."""
        for fn in fns:
            if fn not in self._redraws:
                self._redraws.append(fn)
        if self._redraw_timer is None:
            self._redraw_timer = QTimer(self)
            self._redraw_timer.setSingleShot(True)
            self._redraw_timer.setInterval(1)  # a timer, not a call posted into this same turn
            self._redraw_timer.timeout.connect(self._run_redraw)
        if self._redraws and not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _run_redraw(self) -> None:
        if self._shut_down or not self._redraws:
            self._redraws.clear()
            return
        fn = self._redraws.pop(0)
        try:
            fn()
        finally:
            if self._redraws and self._redraw_timer is not None:
                self._redraw_timer.start()
            elif not self._handles:
                self.idle.emit()

    def flush_redraws(self) -> None:
        """Run every queued redraw now (before an export or a session save)."""
        while self._redraws and not self._shut_down:
            self._redraws.pop(0)()

    # ---- to override --------------------------------------------------------------
    def start(self) -> None:
        """Start the panel's embedded-default work (called once, after docking)."""

    def state(self) -> dict[str, Any]:
        """JSON-serialisable state for sessions (default: the state model's fields, after
        committing text still being typed)."""
        self.binder.commit()
        return self.state_model.to_dict() if self.state_model is not None else {}

    def validate_state(self, state: dict[str, Any]) -> None:
        """Raise ValueError if ``state`` cannot be restored.  Must not change anything."""
        if not isinstance(state, dict):
            raise ValueError(f"{self.plugin_id}: panel state must be a JSON object")
        if self.state_model is not None:
            self.state_model.validate(state)

    def restore(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state` output (default: validate, then apply the state model's
        fields all at once).  Never starts background work."""
        self.validate_state(state)
        if self.state_model is not None:
            self.state_model.restore(state)

    def session_snapshot(self) -> Any:
        """Everything :meth:`session_rollback` needs to undo a session load that failed in
        another panel (default: the state and the kept results).  A panel with more than its
        state to lose (an undo stack) extends both."""
        return (self.state(), self.results())

    def session_rollback(self, snapshot: Any) -> None:
        """Put back what :meth:`session_snapshot` returned."""
        state, kept = snapshot
        self.restore(state)
        self.restore_results(kept)

    def add_shortcut(self, keys: str, slot: Callable[[], Any], what: str = "") -> Any:
        """A keyboard shortcut of this panel: active while the focus is in the panel (Qt's
        WidgetWithChildrenShortcut), so panels can share keys such as Ctrl+Return (window-wide
        shortcuts with the same keys are ambiguous: Qt runs neither); ``what`` describes it in
        Help > Keyboard shortcuts."""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence, QShortcut

        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        if what:
            shortcut.setWhatsThis(what)
        shortcut.activated.connect(slot)
        return shortcut

    def apply_settings(self, values: dict[str, Any], title: str = "Settings") -> bool:
        """``state_model.update(values)`` for a change the user asked for outside a bound widget
        (a file chosen, a click in a plot): a refused change (a value out of range, a rule across
        fields) is shown to the user with its reason and changes nothing; True when applied."""
        from workbench.state import StateError

        if self.state_model is None:
            raise TypeError(f"panel {self.plugin_id} has no state model")
        try:
            self.state_model.update(values)
        except StateError as exc:
            self.shell.show_error(title, str(exc))
            return False
        return True

    # ---- results kept in sessions ---------------------------------------------------
    def keep_result(self, name: str, result: Any, inputs: Any = None) -> None:
        """Remember ``result`` (plain data) under ``name``, computed from ``inputs``."""
        self._kept[name] = KeptResult(result, inputs)

    def drop_result(self, name: str) -> None:
        self._kept.pop(name, None)

    def kept(self, name: str) -> KeptResult | None:
        return self._kept.get(name)

    def results(self) -> dict[str, KeptResult]:
        """Results to save in sessions (default: every kept result)."""
        return dict(self._kept)

    def restore_results(self, results: dict[str, KeptResult]) -> None:
        """Put results saved in a session back (after :meth:`restore`); never recomputes."""
        self._kept = dict(results)
        self.results_restored(sorted(results))

    def results_restored(self, names: list[str]) -> None:
        """Redraw restored results; override.  Use :meth:`result_is_stale` to mark those whose
        inputs no longer match the panel's settings."""

    def result_is_stale(self, name: str, current_inputs: Any) -> bool:
        """Whether kept result ``name`` was computed from inputs other than ``current_inputs``."""
        kept = self._kept.get(name)
        return kept is not None and not plaindata.same(kept.inputs, current_inputs)

    def figures(self) -> list[FigureSource]:
        """Exportable figures; the first is the one File > Export figure uses by default."""
        return []

    # ---- jobs ---------------------------------------------------------------------
    def job_thread(self, lane: str = "") -> PanelThread:
        """The worker thread of ``lane`` (created on first use).  Not ``QObject.thread()``."""
        if lane not in self._threads:
            self._threads[lane] = PanelThread(f"{self.plugin_id}-{lane}" if lane else self.plugin_id)
        return self._threads[lane]

    def submit(
        self,
        fn: Callable[[Any, Any], Any],
        spec: Any,
        *,
        title: str,
        on_result: Callable[[Any], None] | None = None,
        on_partial: Callable[[Any], None] | None = None,
        on_error: Callable[[str, str], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        key: str | None = None,
        quiet: bool = False,
        lane: str = "",
    ) -> JobHandle:
        """Run ``fn(spec, ctx)`` on one of this panel's QThreads (the one of ``lane``).

        ``key``: a newer job with the same key cancels older ones (use it for live updates).
        ``quiet``: do not show the job in the status bar (very short interactive jobs).
        ``lane``: jobs of one lane run one after another on one thread; another lane has a
        thread of its own, so a quick live job (``lane="live"``) need not wait behind a long one.
        Errors go to ``on_error`` if given, else to an error dialog; both are logged.
        """
        handle = JobHandle(title, fn, spec, key, self.plugin_id)
        if self._shut_down:
            # a callback arriving after close (a queued signal, a timer of a plugin's own):
            # refused, so the closed panel's thread is not started again
            handle.cancel()
            handle.state = "cancelled"
            self.shell.log(f"{title}: not started, the panel is closed", "debug", self.plugin_id)
            return handle
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
        self.job_thread(lane).submit(handle, prefs.device, prefs.threads)
        return handle

    def _job_done(self, handle: JobHandle) -> None:
        if handle in self._handles:
            self._handles.remove(handle)
        if not self._handles and not self._redraws:
            self.idle.emit()

    def is_idle(self) -> bool:
        """True when start() has run, no job of this panel is queued or running and no redraw
        is queued (:meth:`redraw_later`)."""
        return not self.start_pending and not self._handles and not self._redraws

    def running_jobs(self) -> list[JobHandle]:
        return list(self._handles)

    def cancel_jobs(self) -> None:
        for thread in self._threads.values():
            thread.cancel_all()

    def stop_timers(self) -> None:
        """Stop every QTimer and animation among the panel's children (any depth): a debounce or
        a walk must not fire into a closed panel, and an animation must not run on after it."""
        for timer in self.findChildren(QTimer):
            timer.stop()
        for animation in self.findChildren(QAbstractAnimation):
            animation.stop()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel jobs, stop the panel's timers and animations and its threads; True when every
        thread has ended.  Later :meth:`submit` calls are refused."""
        self._shut_down = True
        self._redraws.clear()
        self.stop_timers()
        self.binder.unbind()
        self.cancel_jobs()  # every lane at once, then wait for each thread
        return all([thread.stop(timeout_ms) for thread in self._threads.values()])
