"""Loading and saving quivers in the editor (a mixin of :class:`workbench_quiver.panel.QuiverPanel`):
the gallery, exchange matrices, files (.qmu, JSON, B-matrix text, CSV, TikZ via
:mod:`workbench_quiver.core.formats`), the clipboard and the file dialogs.  Every load is an
undoable :class:`~workbench_quiver.ui.model.SetQuiver`; bad input gets a clear error and the
current quiver stays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from workbench_quiver.core.formats import WRITE_FORMATS, read_quiver_file, to_tikz, write_b_text, write_quiver
from workbench_quiver.core.quiver import Quiver, square_matrix

from .info import pretty_label
from .layout import layout_positions, standard_layout
from .model import QuiverSnapshot, SetQuiver, check_document

if TYPE_CHECKING:  # pragma: no cover
    from workbench.gui.panel import ShellServices
    from workbench_quiver.state import QuiverState

    from .canvas import QuiverCanvas
    from .model import CommandStack, QuiverDocument

SAVE_FORMATS = WRITE_FORMATS  # suffix -> description (the Save dialog's filters)


class QuiverFilesMixin:
    """Loading and saving; the host provides ``doc``, ``stack``, ``canvas``, ``state_model``,
    ``shell`` and ``_set_status``."""

    doc: QuiverDocument
    stack: CommandStack
    canvas: QuiverCanvas
    state_model: QuiverState
    shell: ShellServices
    _set_status: Callable[[str], None]

    # ---- loading ---------------------------------------------------------------------------
    def _layout_for(self, matrix: np.ndarray) -> list[tuple[float, float]]:
        """Positions of a loaded quiver: the state's layout (Kamada-Kawai for 'keep'), seeded."""
        kind = self.state_model.layout
        if kind == "keep":
            kind = "kamada-kawai"
        return layout_positions(matrix, kind, seed=self.state_model.seed)

    def _set_snapshot(self, snap: QuiverSnapshot, text: str, start_label: str, undoable: bool = True) -> None:
        cmd = SetQuiver(snap, text=text, start_label=start_label)
        if undoable:
            self.stack.push(cmd)
        else:
            cmd.do(self.doc)
            self.stack.clear()
        self.canvas.zoom_to_fit()

    def load_standard(self, label: str, undoable: bool = True) -> None:
        """Load the gallery quiver of a type label (e.g. ``"D~6"``)."""
        try:
            m, pos, frozen = standard_layout(label)  # cached; lattice pictures for triangles and Gr(k, n)
        except ValueError as exc:
            self.shell.show_error("Gallery", str(exc))
            return
        n = m.shape[0]
        snap = QuiverSnapshot(m.copy(), list(pos), list(frozen), [str(i) for i in range(n)])
        self._set_snapshot(snap, f"load {label}", label, undoable)
        self._set_status(f"loaded the standard quiver of type {pretty_label(label)}")

    def new_quiver(self) -> None:
        """Start from an empty canvas (undoable)."""
        snap = QuiverSnapshot(np.zeros((0, 0), dtype=np.int64), [], [], [])
        self._set_snapshot(snap, "new quiver", "empty")
        self.canvas.resetTransform()
        self.canvas.centerOn(0, 0)
        self._set_status("empty canvas: click to add vertices")

    def load_matrix(self, b: Any, label: str = "matrix") -> bool:
        """Load an exchange matrix ``B`` ((n + m) x n, Sage's convention), laid out afresh;
        undoable.  Bad input gets a clear error and the current quiver stays."""
        try:
            snap = self.snapshot_from_quiver(Quiver(np.asarray(b)))
        except (ValueError, TypeError) as exc:
            self.shell.show_error("Load quiver", str(exc))
            return False
        self._set_snapshot(snap, f"load {label}", label)
        return True

    def quiver(self) -> Quiver:
        """The document as a core :class:`Quiver` (mutable vertices first; frozen-frozen arrows dropped)."""
        order = self.doc.vertex_order()
        return Quiver(
            self.doc.b_matrix(),
            labels=[self.doc.labels[i] for i in order],
            positions=np.asarray([self.doc.positions[i] for i in order], dtype=float).reshape(-1, 2),
        )

    def snapshot_from_quiver(self, q: Quiver) -> QuiverSnapshot:
        m = square_matrix(q.b)
        n_all = m.shape[0]
        pos = [(float(x), float(y)) for x, y in q.positions] if q.positions is not None else self._layout_for(m)
        labels = list(q.labels) if q.labels is not None else [str(i) for i in range(n_all)]
        frozen = [i >= q.n_mutable for i in range(n_all)]
        return QuiverSnapshot(m, pos, frozen, labels)

    def load_file(self, path: str | Path) -> bool:
        """Load a quiver from .qmu / .json / .csv (first line) / B-matrix text.

        A bad file gets a clear error and the current quiver stays."""
        path = Path(path)
        try:
            if not path.is_file():
                raise ValueError(f"{path} does not exist or is not a file")
            q = read_quiver_file(str(path))
            snap = self.snapshot_from_quiver(q)
            check_document(snap.matrix, snap.positions, snap.frozen, snap.labels)
        except (ValueError, OSError, UnicodeDecodeError, KeyError, TypeError) as exc:
            self.shell.show_error("Could not open quiver", f"{path.name}: {exc}")
            return False
        self._set_snapshot(snap, f"open {path.name}", path.name)
        self._set_status(f"opened {path}")
        return True

    # ---- saving ----------------------------------------------------------------------------
    def save_file(self, path: str | Path) -> Path:
        """Write the quiver in the format of the file's suffix (:func:`formats.write_quiver`:
        .qmu, .json, .txt, .csv, .tex; none: .txt); returns the path written."""
        path = write_quiver(path, self.quiver(), highlight=self._tikz_highlight())
        self._set_status(f"saved {path}")
        return path

    def _tikz_highlight(self) -> list[int]:
        """The evidence vertices shown on the canvas, as indices of :meth:`quiver`."""
        order = self.doc.vertex_order()
        where = {v: r for r, v in enumerate(order)}
        return [where[v] for v in self.canvas.highlight_vertices if v in where] if self.canvas.show_evidence else []

    def tikz(self) -> str:
        return to_tikz(self.quiver(), highlight=self._tikz_highlight())

    def copy_b_matrix(self) -> None:
        QGuiApplication.clipboard().setText(write_b_text(self.doc.b_matrix()))
        self._set_status("copied the B-matrix")

    # ---- dialogs ---------------------------------------------------------------------------
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open quiver",
            "",  # type: ignore[arg-type]
            "Quivers (*.qmu *.json *.txt *.csv);;All files (*)",
        )
        if path:
            self.load_file(path)

    def _save_dialog(self) -> None:
        filters = ";;".join(f"{desc} (*{suf})" for suf, desc in SAVE_FORMATS.items())
        path, chosen = QFileDialog.getSaveFileName(self, "Save quiver", "quiver.qmu", filters)  # type: ignore[arg-type]
        if not path:
            return
        if not Path(path).suffix:
            for suf, desc in SAVE_FORMATS.items():
                if chosen.startswith(desc):
                    path += suf
        try:
            self.save_file(path)
        except (ValueError, OSError) as exc:
            self.shell.show_error("Could not save quiver", str(exc))

    def _export_dialog(self) -> None:
        from workbench.gui.dialogs import export_with_dialog

        written = export_with_dialog(
            self.figures(),
            self.shell.preferences(),
            self,  # type: ignore[attr-defined,arg-type]
            self.shell.show_error,
        )
        if written:
            self._set_status("exported " + ", ".join(p.name for p in written))
