"""Class enumeration in the quiver editor: the job (progress, partial classes, Cancel), the
Class tab's thumbnails, loading a member, and the enumerated class as a kept result that is
marked stale when the quiver leaves the class or the limits change.

The class is kept as an :class:`~workbench_quiver.state.EnumeratedClass` (the job's result
with the drawing it started from) under the name ``"class"``, with the
:class:`~workbench_quiver.jobs.EnumerateSpec` it was computed from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject

from workbench.gui.jobrunner import JobHandle
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.core.quiver import square_matrix
from workbench_quiver.jobs import EnumerateResult, EnumerateSpec, run_enumerate
from workbench_quiver.state import EnumeratedClass

from .model import MutationHistory, SetQuiver

if TYPE_CHECKING:  # pragma: no cover
    from .host import QuiverHost

STALE_QUIVER = "stale: the quiver was edited since this class was enumerated"
STALE_LIMITS = "stale: the enumeration limits changed since this class was enumerated"
CLICK_HINT = "Click one to load it (its mutation path from the start is applied, so positions are kept)."


class EnumerationController(QObject):
    """Enumerates the class of the panel's quiver and shows it in the Class tab."""

    def __init__(self, panel: QuiverHost) -> None:
        super().__init__(panel)
        self.panel = panel
        self.kept: EnumeratedClass | None = None
        self.spec: EnumerateSpec | None = None
        self.handle: JobHandle | None = None
        #: why the shown class is stale ("" when it is not, or when there is none)
        self.stale = ""
        self._header = ""
        self._progress = ""

    @property
    def result(self) -> EnumerateResult | None:
        """The shown class (complete or partial), or None."""
        return self.kept.result if self.kept is not None else None

    def running(self) -> bool:
        return self.handle is not None and not self.handle.is_done

    # ---- the job ---------------------------------------------------------------------------
    def enumerate(self) -> None:
        """Enumerate the class of the quiver with the state's limits (a job with Cancel)."""
        p = self.panel
        if not p.doc.mutable_vertices():
            p.shell.show_error("Enumerate class", "the quiver has no mutable vertex")
            return
        spec = p.state_model.enumerate_spec(p.doc.b_matrix())
        empty = EnumerateResult([], [], [], False, "running", 0.0, len(p.doc.mutable_vertices()))
        start = EnumeratedClass.of(empty, p.doc)
        p.info.set_enumerating(True)
        p.class_browser.set_class("enumerating\u2026", 0, None, [])

        def finished(result: EnumerateResult) -> None:
            p.info.set_enumerating(False)
            self.show(start.with_result(result), spec)

        def failed(message: str, _tb: str) -> None:
            p.info.set_enumerating(False)
            p.info.set_progress(0.0, "failed")
            p.shell.show_error("Enumerate class failed", message)

        handle = p.submit(
            run_enumerate,
            spec,
            title="Enumerate mutation class",
            on_result=finished,
            on_partial=lambda r: self.show(start.with_result(r), spec, partial=True),
            on_progress=p.info.set_progress,
            on_error=failed,
            key="enumerate",
        )
        handle.cancelled.connect(self._cancelled)
        self.handle = handle

    def _cancelled(self) -> None:
        self.panel.info.set_enumerating(False)
        if self.kept is not None and self.spec is not None:
            self.show(self.kept, self.spec)
        self.panel.info.set_progress(0.0, "cancelled")

    def cancel(self) -> None:
        if self.running():
            self.handle.cancel()  # type: ignore[union-attr]

    # ---- drawing ---------------------------------------------------------------------------
    def show(self, cls: EnumeratedClass, spec: EnumerateSpec, partial: bool = False, switch_tab: bool = True) -> None:
        """Show ``cls`` as thumbnails and keep it (a partial class too: what is drawn is what a
        session keeps)."""
        self.kept, self.spec = cls, spec
        self.panel.keep_result("class", cls, spec)
        result = cls.result
        count = len(result)
        pos = [cls.positions[v] for v in cls.order]
        frozen = [cls.frozen[v] for v in cls.order]
        captions = [f"#{i} \u00b7 depth {result.depths[i]}" for i in range(count)]

        def source(i: int) -> tuple[np.ndarray, list[tuple[float, float]], list[bool]]:
            return square_matrix(np.asarray(result.members[i])), pos, frozen

        if partial:
            state = "so far (enumerating\u2026)"
        else:
            state = "complete" if result.complete else f"partial ({result.stopped or 'stopped'})"
        self._header = f"<b>{count:,}</b> quivers up to isomorphism, {state}, in {result.seconds:.2f} s. " + CLICK_HINT
        self._progress = "" if partial else f"{count:,} quivers" + ("" if result.complete else " (partial)")
        self.panel.class_browser.set_class(self._header, count, source, captions)
        self.update_stale()
        if not partial and switch_tab:
            self.panel.tabs.setCurrentWidget(self.panel.class_browser)

    def clear(self) -> None:
        """No class (a session without one)."""
        self.kept = self.spec = None
        self.stale = self._header = self._progress = ""
        self.panel.class_browser.clear()
        if not self.running():
            self.panel.info.set_progress(0.0, "")

    def stale_reason(self) -> str:
        """Why the shown class is not the one the quiver and the limits give now ('' if it is).
        A complete class stays current while the quiver is a mutation of its start."""
        if self.kept is None or self.spec is None:
            return ""
        doc = self.panel.doc
        now = self.panel.state_model.enumerate_spec(doc.b_matrix())
        if now.b != self.spec.b and not (self.kept.result.complete and self.kept.contains_by_history(doc)):
            return STALE_QUIVER
        return "" if (now.max_depth, now.max_size) == (self.spec.max_depth, self.spec.max_size) else STALE_LIMITS

    def update_stale(self) -> None:
        """Mark the shown class stale (Class tab header, Info tab progress) or not."""
        self.stale = self.stale_reason()
        if self.kept is None:
            return
        self.panel.class_browser.header.setText((f"<b>{self.stale}</b>. " if self.stale else "") + self._header)
        if not self.running():
            text = self._progress + (" (stale)" if self.stale and self._progress else "")
            self.panel.info.set_progress(1.0 if self._progress else 0.0, text)

    # ---- members ---------------------------------------------------------------------------
    def load_member(self, i: int) -> None:
        """Load member ``i`` of the shown class: the start quiver mutated along its path."""
        cls = self.kept
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
