"""The quiver classifier's training plots (pyqtgraph), with the data behind them.

:class:`TrainingView`: the mean training loss and the validation accuracy per epoch (top), and
the accuracy on held-out quiver sizes n (bottom: ours, and reference curves the caller gives,
dashed: the shipped DirGINE's, the published ones).  ``draw(res, references, title)``,
``reset(text)`` and ``data()``; nothing is computed here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg

from .plots import DENSE_COLOUR, FAST_COLOUR

REFERENCE_STYLES = (("#4fae5c", "t"), ("#9a7fd1", "s"), ("#d45757", "d"))


class TrainingView(pg.GraphicsLayoutWidget):
    """Loss and validation accuracy per epoch; accuracy by held-out size n."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(240, 200)
        self.result: Any = None
        self.references: dict[str, dict[int, float]] = {}
        self.reset("no training yet: press Train (Ctrl+Shift+T)")

    def reset(self, text: str) -> None:
        self.clear()
        self.result, self.references = None, {}
        p = self.addPlot()
        p.setMenuEnabled(False)
        p.hideAxis("bottom")
        p.hideAxis("left")
        p.setTitle(text)

    def draw(
        self, res: Any, references: dict[str, dict[int, float]], title: str, trained_on: str = "7-10 vertices"
    ) -> None:
        """``res``: a ``TrainQuiverResult``; ``references``: name -> (n -> accuracy as a
        fraction), drawn dashed beside ours (e.g. the shipped DirGINE, the paper's)."""
        self.clear()
        self.result, self.references = res, {k: dict(v) for k, v in references.items() if v}
        epochs = np.array([h["epoch"] for h in res.history], float)
        loss = np.array([h["loss"] for h in res.history], float)
        acc = np.array([h["accuracy"] for h in res.history], float)
        self.addLabel(title, row=0, col=0, colspan=2, size="9pt")
        for col, (values, name, colour) in enumerate(
            ((loss, "training loss", FAST_COLOUR), (acc, "validation accuracy", DENSE_COLOUR))
        ):
            p = self.addPlot(row=1, col=col)
            p.setMenuEnabled(False)
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setTitle(name, size="9pt")
            p.setLabel("bottom", "epoch")
            ok = np.isfinite(values)
            if ok.any():
                p.plot(
                    epochs[ok],
                    values[ok],
                    pen=pg.mkPen(colour, width=2),
                    symbol="o",
                    symbolSize=5,
                    symbolBrush=colour,
                    symbolPen=None,
                )
        p = self.addPlot(row=2, col=0, colspan=2)
        p.setMenuEnabled(False)
        p.showGrid(x=True, y=True, alpha=0.25)
        p.setTitle(f"accuracy on held-out sizes (trained on {trained_on})", size="9pt")
        p.setLabel("bottom", "n (vertices)")
        p.setLabel("left", "accuracy")
        p.addLegend(offset=(-10, -10))
        ns = np.array(sorted(res.accuracy_by_n), float)
        ours = np.array([res.accuracy_by_n[int(n)] for n in ns], float)
        if len(ns):
            p.plot(
                ns,
                ours,
                pen=pg.mkPen(FAST_COLOUR, width=2),
                symbol="o",
                symbolSize=7,
                symbolBrush=FAST_COLOUR,
                symbolPen=None,
                name="S_n-invariant network (this run)",
            )
        dash = pg.QtCore.Qt.PenStyle.DashLine
        for (name, table), (colour, symbol) in zip(self.references.items(), REFERENCE_STYLES, strict=False):
            rn = np.array(sorted(table), float)
            ra = np.array([table[int(n)] for n in rn], float)
            p.plot(
                rn,
                ra,
                pen=pg.mkPen(colour, width=1.5, style=dash),
                symbol=symbol,
                symbolSize=6,
                symbolBrush=colour,
                symbolPen=None,
                name=name,
            )
        p.setYRange(0.0, 1.02, padding=0)

    def data(self) -> dict[str, Any]:
        r = self.result
        if r is None:
            return {}
        ns = sorted(r.accuracy_by_n)
        out: dict[str, Any] = {
            "epoch": np.array([h["epoch"] for h in r.history], float),
            "loss": np.array([h["loss"] for h in r.history], float),
            "validation_accuracy": np.array([h["accuracy"] for h in r.history], float),
            "n": np.array(ns, float),
            "accuracy_by_n": np.array([r.accuracy_by_n[n] for n in ns], float),
            "checkpoint": r.checkpoint,
        }
        for i, (name, table) in enumerate(self.references.items()):
            out[f"reference{i}_name"] = name
            out[f"reference{i}_n"] = np.array(sorted(table), float)
            out[f"reference{i}_accuracy"] = np.array([table[n] for n in sorted(table)], float)
        return out
