"""Class enumeration in the quiver editor: the job (in a worker process, with progress,
partial classes and Cancel), the Class tab's thumbnails, loading a member, and the
enumerated class as a kept result that is marked stale when the quiver leaves the class or
the limits change.

The class is kept as an :class:`~workbench_quiver.state.EnumeratedClass` (the job's result
with the drawing it started from) under the name ``"class"``, with the
:class:`~workbench_quiver.jobs.EnumerateSpec` it was computed from.  Only a job that
finished (complete, or stopped by its limits) gives the kept class: while a job runs, its
partial classes are shown ("so far") but the kept one stays; a cancelled or failed job
never replaces it (its class is shown again), and with no class before, the cancelled
job's partial class stays shown, marked as such, and is not kept.

Progress: a count of the quivers found, with a fraction only where the total is known (the
published or tabulated class size of a quiver without frozen vertices, or, for a quiver
proven mutation-infinite, the max size the enumeration will reach).  Before an
enumeration without a depth limit of a quiver proven mutation-infinite, the user is asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from workbench.gui.jobrunner import JobHandle
from workbench.worker_process import in_worker_process
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.core.quiver import square_matrix
from workbench_quiver.jobs import EnumerateResult, EnumerateSpec, enumerated_count, run_enumerate
from workbench_quiver.state import EnumeratedClass

from .model import MutationHistory, SetQuiver

if TYPE_CHECKING:  # pragma: no cover
    from .host import QuiverHost

STALE_QUIVER = "stale: the quiver was edited since this class was enumerated"
STALE_LIMITS = "stale: the enumeration limits changed since this class was enumerated"
CLICK_HINT = "Click one to load it (its mutation path from the start is applied, so positions are kept)."
#: the enumeration job: run_enumerate in a worker process (its BFS would hold the GIL here)
ENUMERATE_JOB = in_worker_process(run_enumerate)


def member_caption(i: int, depth: int) -> str:
    """The caption of member ``i`` (0-based) in the Class tab: numbered from 1, as the status
    line that loading it writes ("class member #i+1")."""
    return f"#{i + 1} \u00b7 depth {depth}"


class EnumerationController(QObject):
    """Enumerates the class of the panel's quiver and shows it in the Class tab."""

    def __init__(self, panel: QuiverHost) -> None:
        super().__init__(panel)  # type: ignore[arg-type]  # the host is the panel, a QWidget
        self.panel = panel
        #: the class a finished job gave (the kept result) and its spec
        self.kept: EnumeratedClass | None = None
        self.spec: EnumerateSpec | None = None
        #: the class drawn in the Class tab: the kept one, or a running job's partial class,
        #: or a cancelled job's partial class when nothing was kept before
        self.shown: EnumeratedClass | None = None
        self.shown_spec: EnumerateSpec | None = None
        self._shown_job: object = None
        self.handle: JobHandle | None = None
        #: why the shown class is stale ("" when it is not, or when there is none)
        self.stale = ""
        self._header = ""
        self._progress = ""
        self._total: tuple[int, str] | None = None
        #: the question asked before an unbounded enumeration of a mutation-infinite quiver
        #: (a member so a test or a script can answer it; None when not showing)
        self.question: QMessageBox | None = None

    @property
    def result(self) -> EnumerateResult | None:
        """The shown class (complete or partial), or None."""
        return self.shown.result if self.shown is not None else None

    def running(self) -> bool:
        return self.handle is not None and not self.handle.is_done

    # ---- the job ---------------------------------------------------------------------------
    def _proven_infinite(self) -> bool:
        s = self.panel.summary
        return s is not None and s.finite_mutation is False and self.panel.live.is_current()

    def expected_total(self, spec: EnumerateSpec) -> tuple[int, str] | None:
        """(total, kind) when the number of quivers the enumeration will find is known: kind
        "of", the class size of a quiver without frozen vertices (no depth limit); kind "limit",
        the max size a proven mutation-infinite class will reach (the last BFS batch may go a
        little beyond it); None when unknown."""
        p = self.panel
        s = p.summary
        if spec.max_depth is not None or s is None or not p.live.is_current():
            return None
        if s.class_size is not None and not s.n_frozen:
            return min(int(s.class_size), spec.max_size or int(s.class_size)), "of"
        if s.finite_mutation is False and spec.max_size is not None:
            return int(spec.max_size), "limit"
        return None

    def _confirm_unbounded(self, spec: EnumerateSpec) -> bool:
        """Ask before enumerating a proven mutation-infinite class with no depth limit."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Enumerate a mutation-infinite class",
            "This quiver is mutation-infinite (proven: see the Info tab), so its class never ends. "
            f"The enumeration will run until it has found {spec.max_size:,} quivers (max size), "
            "which can take long and use much memory.\n\nSet a max depth to enumerate a "
            "neighbourhood instead. Enumerate up to the max size?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.panel,
        )  # type: ignore[arg-type]
        box.setDefaultButton(QMessageBox.StandardButton.No)
        self.question = box
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            self.question = None
            box.deleteLater()

    def enumerate(self) -> None:
        """Enumerate the class of the quiver with the state's limits (a job with Cancel)."""
        p = self.panel
        if not p.doc.mutable_vertices():
            p.shell.show_error("Enumerate class", "the quiver has no mutable vertex")
            return
        spec = p.state_model.enumerate_spec(p.doc.b_matrix())
        if spec.max_depth is None and self._proven_infinite() and not self._confirm_unbounded(spec):
            p._set_status("enumeration not started: set a max depth to enumerate a neighbourhood")
            return
        empty = EnumerateResult([], [], [], False, "running", 0.0, len(p.doc.mutable_vertices()))
        start = EnumeratedClass.of(empty, p.doc)
        self._total = self.expected_total(spec)
        p.info.set_enumerating(True)
        if self.shown is not None:  # until the first layer comes, the class shown is the previous one
            p.class_browser.header.setText(
                "<b>enumerating\u2026</b> (until its first results, the class below "
                "is the previous one) " + p.class_browser.header.text()
            )
        else:
            p.class_browser.header.setText("<b>enumerating\u2026</b>")

        def finished(result: EnumerateResult) -> None:
            if self.handle is not handle:
                return
            p.info.set_enumerating(False)
            self.show(start.with_result(result), spec, keep=True, job=handle)

        def partial(result: EnumerateResult) -> None:
            if self.handle is handle and not handle.is_done:
                self.show(start.with_result(result), spec, partial=True, job=handle)

        def failed(message: str, _tb: str) -> None:
            if self.handle is handle:
                self._ended(f"failed: {message}")
            p.shell.show_error("Enumerate class failed", message)

        handle = p.submit(
            ENUMERATE_JOB,
            spec,
            title="Enumerate mutation class",
            on_result=finished,
            on_partial=partial,
            on_progress=self._progress_of_job,
            on_error=failed,
            key="enumerate",
        )
        handle.cancelled.connect(lambda: self._ended("cancelled") if self.handle is handle else None)
        self.handle = handle

    def _progress_of_job(self, fraction: float, message: str) -> None:
        """Show a running job's progress: the count, and a fraction only of a known total."""
        if not self.running():
            return
        self.panel.info.set_count_progress(enumerated_count(message), self._total, message)

    def _ended(self, how: str) -> None:
        """A job was cancelled or failed: the kept class is shown again (the partial class of
        the job stays shown, marked, only when nothing was kept before)."""
        p = self.panel
        p.info.set_enumerating(False)
        found = len(self.shown.result) if self.shown is not None and self.shown is not self.kept else None
        if self.kept is not None and self.spec is not None:
            self.show(self.kept, self.spec)
            text = f"{how}; showing the last complete class"
        elif self.shown is not None and self.shown_spec is not None and found is not None:
            self.show(self.shown, self.shown_spec, partial_of=how)
            text = f"{how} after {found:,} quivers (partial class, not kept)"
        else:
            text = how
        p.info.set_progress(0.0, text)
        p._set_status(f"enumeration {text}")

    def cancel(self) -> None:
        if self.running():
            self.handle.cancel()  # type: ignore[union-attr]

    # ---- drawing ---------------------------------------------------------------------------
    def show(
        self,
        cls: EnumeratedClass,
        spec: EnumerateSpec,
        partial: bool = False,
        switch_tab: bool = True,
        keep: bool = False,
        partial_of: str = "",
        job: object = None,
    ) -> None:
        """Show ``cls`` as thumbnails; ``keep``: it is a finished job's class (the kept result);
        ``partial``: a running job's class so far; ``partial_of``: a cancelled or failed job's;
        ``job``: the job that found it (its classes grow: only their new members are added)."""
        if keep:
            self.kept, self.spec = cls, spec
            self.panel.keep_result("class", cls, spec)
        extends = job is not None and job is self._shown_job and self.shown is not None
        self.shown, self.shown_spec, self._shown_job = cls, spec, job
        result = cls.result
        count = len(result)
        pos = [cls.positions[v] for v in cls.order]
        frozen = [cls.frozen[v] for v in cls.order]
        depths = result.depths

        def captions(i: int) -> str:
            return member_caption(i, depths[i])

        def source(i: int) -> tuple[np.ndarray, list[tuple[float, float]], list[bool]]:
            return square_matrix(np.asarray(result.members[i])), pos, frozen

        if partial:
            state = "so far (enumerating\u2026)"
        elif partial_of:
            state = f"partial ({partial_of}; not kept)"
        else:
            state = "complete" if result.complete else f"partial ({result.stopped or 'stopped'})"
        self._header = f"<b>{count:,}</b> quivers up to isomorphism, {state}, in {result.seconds:.2f} s. " + CLICK_HINT
        self._progress = (
            "" if (partial or partial_of) else f"{count:,} quivers" + ("" if result.complete else " (partial)")
        )
        self.panel.class_browser.set_class(self._header, count, source, captions, extends=extends)
        self.update_stale()
        if keep and switch_tab:
            self.panel.tabs.setCurrentWidget(self.panel.class_browser)

    def clear(self) -> None:
        """No class (a session without one)."""
        self.kept = self.spec = self.shown = self.shown_spec = self._shown_job = None
        self.stale = self._header = self._progress = ""
        self.panel.class_browser.clear()
        if not self.running():
            self.panel.info.set_progress(0.0, "")

    def stale_reason(self) -> str:
        """Why the shown class is not the one the quiver and the limits give now ('' if it is).
        A complete class stays current while the quiver is a mutation of its start."""
        if self.shown is None or self.shown_spec is None:
            return ""
        doc = self.panel.doc
        now = self.panel.state_model.enumerate_spec(doc.b_matrix())
        if now.b != self.shown_spec.b and not (self.shown.result.complete and self.shown.contains_by_history(doc)):
            return STALE_QUIVER
        return (
            ""
            if (now.max_depth, now.max_size) == (self.shown_spec.max_depth, self.shown_spec.max_size)
            else STALE_LIMITS
        )

    def update_stale(self) -> None:
        """Mark the shown class stale (Class tab header, Info tab progress) or not."""
        self.stale = self.stale_reason()
        if self.shown is None:
            return
        self.panel.class_browser.header.setText((f"<b>{self.stale}</b>. " if self.stale else "") + self._header)
        if not self.running() and self._progress:
            text = self._progress + (" (stale)" if self.stale else "")
            self.panel.info.set_progress(1.0, text)

    # ---- members ---------------------------------------------------------------------------
    def load_member(self, i: int) -> None:
        """Load member ``i`` (0-based; caption ``#i+1``) of the shown class: the start quiver
        mutated along its path."""
        cls = self.shown
        if cls is None or not 0 <= i < len(cls.result):
            return
        start = cls.start_snapshot()
        mutable = [v for v in cls.order if not cls.frozen[v]]
        path = [mutable[int(k)] for k in cls.result.paths[i]]
        snap = start.copy()
        snap.matrix = np.asarray(mutate_sequence(start.matrix, path))
        history = MutationHistory(start.matrix.copy(), list(path), len(path), "class start")
        p = self.panel
        p.stack.push(SetQuiver(snap, text=f"load class member #{i + 1}", history=history))
        p._set_status(f"class member #{i + 1}: " + (" ".join(f"\u03bc{p.doc.labels[k]}" for k in path) or "the start"))
