"""Grid of examples: clean image | perturbation | its support | adversarial image, one row per
example, titled with labels, predictions and confidences (pyqtgraph).  A header row carries the
attack's context (model, norm, eps, subspace, dim V, success), red when the shown attack is
stale; text colours come from the theme.

The grid's cells (a ViewBox, an image and a caption each: 24 of them, with their labels) are
made once and then updated in place; the first time they are made one row per event-loop turn
(made at once they held the GUI thread 0.3-0.7 s when the first attack arrived, issue 13)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from workbench.gui.theme import plot_theme, theme_plot

from .sweep_plots import elastic

STALE_COLOUR = "#d62728"

COLUMNS = ("clean", "perturbation (red +, blue -)", "V (grey) and support of delta (white)", "adversarial")


def _to_display(img: np.ndarray) -> np.ndarray:
    """(C, H, W) in [0, 1] -> array for ImageItem (W, H) or (W, H, 3), x-major."""
    if img.shape[0] == 1:
        return img[0].T
    rgb = np.zeros(img.shape[1:] + (3,), dtype=np.float32)
    rgb[..., : min(3, img.shape[0])] = np.moveaxis(img[:3], 0, -1)
    return np.transpose(rgb, (1, 0, 2))


def _diverging(delta: np.ndarray) -> np.ndarray:
    """Perturbation as RGB: red positive, blue negative (summed over channels), white 0."""
    d = delta.sum(axis=0)
    m = float(np.abs(d).max()) or 1.0
    t = d / m
    rgb = np.ones(d.shape + (3,), dtype=np.float32)
    rgb[..., 1] = 1 - np.abs(t)
    rgb[..., 0] = np.where(t < 0, 1 + t, 1.0)
    rgb[..., 2] = np.where(t > 0, 1 - t, 1.0)
    return np.transpose(rgb, (1, 0, 2))


class AttackGrid(pg.GraphicsLayoutWidget):
    """Draws the ``examples`` dict of :class:`workbench_adversarial.jobs.AttackJobResult`."""

    def __init__(self, max_rows: int = 6) -> None:
        super().__init__()
        self.max_rows = max_rows
        self.examples: dict[str, np.ndarray] = {}
        self.class_names: list[str] = []
        self.context = ""
        self.stale = False
        self.header: pg.LabelItem | None = None
        #: per built row: its four (image item, caption label) cells
        self._rows: list[list[tuple[pg.ImageItem, pg.LabelItem]]] = []
        self._column_labels: list[pg.LabelItem] = []
        self._target_rows = 0
        self._row_timer = QTimer(self)
        self._row_timer.setSingleShot(True)
        self._row_timer.setInterval(1)
        self._row_timer.timeout.connect(self._build_row)
        self.setMinimumSize(320, 240)
        self.reset()

    @staticmethod
    def _fg() -> str:
        return plot_theme().foreground.name()

    def _message(self, text: str) -> None:
        self._clear_cells()
        self.addLabel(text, color=self._fg())

    def _clear_cells(self) -> None:
        self._row_timer.stop()
        self.clear()
        self.header = None
        self._rows, self._column_labels, self._target_rows = [], [], 0

    @property
    def building(self) -> bool:
        """Rows of the grid are still being made (one per event-loop turn)."""
        return len(self._rows) < self._target_rows

    def reset(self) -> None:
        """No examples: the hint to run an attack."""
        self.examples, self.class_names, self.context, self.stale = {}, [], "", False
        self._message("Run an attack to see clean / perturbation / adversarial examples")

    def set_header(self, context: str, stale: bool) -> None:
        """The context line above the examples (red with a note when ``stale``)."""
        self.context, self.stale = context, stale
        if self.header is not None:
            text = context + ("  [stale: settings changed]" if stale else "")
            self.header.setText(text, color=STALE_COLOUR if stale else self._fg(), size="9pt")

    def apply_theme(self) -> None:
        """Re-colour after a theme switch (the shell's theme_plot, then this grid's own text)."""
        if self.examples:
            self.show_examples(self.examples, self.class_names, self.context, self.stale)
        else:
            self.reset()
        theme_plot(self)

    def show_examples(
        self, examples: dict[str, np.ndarray], class_names: list[str], context: str = "", stale: bool = False
    ) -> None:
        self.examples = examples
        self.class_names = class_names
        n = min(self.max_rows, len(examples.get("label", [])))
        if n == 0:
            self._message("no examples")
            return
        fg = self._fg()
        if self.header is None or self._target_rows != n:  # a new layout: header, columns, rows
            self._clear_cells()
            self.header = elastic(self.addLabel("", row=0, col=0, colspan=len(COLUMNS)))  # clipped, never widens
            for c, name in enumerate(COLUMNS):
                self._column_labels.append(self.addLabel(f"<b>{name}</b>", row=1, col=c, color=fg))
            self._target_rows = n
        else:
            for c, label in enumerate(self._column_labels):
                label.setText(f"<b>{COLUMNS[c]}</b>", color=fg)
        self.set_header(context, stale)
        for r in range(len(self._rows)):  # the rows made already: updated in place
            self._fill_row(r)
        if self.building:
            self._build_row()  # the first now, the rest in the next turns

    def _row_content(self, r: int) -> tuple[tuple[np.ndarray, ...], tuple[str, ...]]:
        names = self.class_names or [str(i) for i in range(100)]
        ex = {k: v[r] for k, v in self.examples.items()}
        mode = "success" if ex["success"] else "not broken"
        titles = (
            f"y={names[int(ex['label'])]} pred {names[int(ex['clean_pred'])]} ({ex['clean_conf']:.2f})",
            f"|delta|max {np.abs(ex['delta']).max():.3f}",
            f"{int((np.abs(ex['delta']) > 1e-7).sum())} of {int(ex['support'].sum())} used",
            f"pred {names[int(ex['adv_pred'])]} ({ex['adv_conf']:.2f}) {mode}",
        )
        images = (
            _to_display(ex["clean"]),
            _diverging(ex["delta"]),
            _to_display(np.clip(ex["support"] * 0.35 + (np.abs(ex["delta"]) > 1e-7) * 0.65, 0, 1)),
            _to_display(ex["adversarial"]),
        )
        return images, titles

    def _fill_row(self, r: int) -> None:
        images, titles = self._row_content(r)
        fg = self._fg()
        for (item, label), img, title in zip(self._rows[r], images, titles, strict=True):
            item.setImage(img, levels=(0, 1))
            label.setText(title, size="8pt", color=fg)

    def _build_row(self) -> None:
        """Make the next row's cells (one per event-loop turn until the grid is whole)."""
        if not self.building:
            return
        r = len(self._rows)
        images, titles = self._row_content(r)
        fg = self._fg()
        cells = []
        for c, (img, title) in enumerate(zip(images, titles, strict=True)):
            vb = self.addViewBox(row=2 + 2 * r, col=c, lockAspect=True, enableMouse=False, enableMenu=False)
            vb.invertY(True)
            item = pg.ImageItem(img, levels=(0, 1))
            vb.addItem(item)
            cells.append((item, self.addLabel(title, row=3 + 2 * r, col=c, size="8pt", color=fg)))
        self._rows.append(cells)
        if self.building:
            self._row_timer.start()

    def finish(self) -> None:
        """Make the rows still to be made now (before an export)."""
        while self.building:
            self._build_row()
        self._row_timer.stop()

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: np.asarray(v) for k, v in self.examples.items()}
        out["class_names"] = list(self.class_names)
        out["title"] = self.context + ("  [stale: settings changed]" if self.stale else "")
        return out
