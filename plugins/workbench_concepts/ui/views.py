"""The concepts panel's views, each with ``reset(text)``, ``draw(...)`` and ``data()`` (the
arrays behind it, for the export); they compute nothing but what is drawn.

* :class:`ProbeView`: held-out probe accuracy against the layer, mean over the ensemble with
  its spread (± one standard deviation) for every concept; the chosen layer marked;
* :class:`SparsityView`: accuracy of the probe refitted on the top-k neurons against k at the
  chosen layer (mean ± std over members), every concept;
* :class:`HistogramView`: the concept-level TRAK scores of every training image, concept
  positives and negatives as two histograms;
* :class:`RemovalView`: the removal experiment: probe accuracy by layer before, after removing
  the k top-attributing images and after removing k random ones (mean over the retrained
  members, 95 % t-interval);
* :class:`ThumbnailGallery`: the top- and bottom-attributing training images as thumbnails with
  their score, class and concept label; click one to enlarge it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

#: a colour per concept (in CONCEPT_KINDS order) and for positives / negatives
COLOURS = ("#4c8bd6", "#e0813a", "#5aa469", "#b05fc4")
POSITIVE, NEGATIVE = "#4c8bd6", "#e0813a"


def _plot(widget: pg.PlotWidget, bottom: str, left: str) -> Any:
    p = widget.getPlotItem()
    p.setMenuEnabled(False)
    p.showGrid(x=True, y=True, alpha=0.25)
    p.setLabel("bottom", bottom)
    p.setLabel("left", left)
    return p


class ProbeView(pg.PlotWidget):
    """Probe accuracy by layer (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(220, 160)
        self.layers: tuple[str, ...] = ()
        self.curves: dict[str, dict[str, np.ndarray]] = {}
        self.kinds: dict[str, str] = {}
        self.chosen = ""
        self.message = ""
        p = _plot(self, "layer", "held-out probe accuracy")
        self.legend = p.addLegend(offset=(-10, 10))  # top right, above the curves (y up to 1.08)
        self.reset("")

    def reset(self, text: str) -> None:
        self.layers, self.curves, self.kinds, self.message = (), {}, {}, text
        p = self.getPlotItem()
        p.clear()
        p.setTitle(text, size="9pt")

    def draw(self, res: Any, chosen_layer: str, title: str) -> None:
        """``res``: a :class:`~workbench_concepts.jobs.ProbeResult`."""
        p = self.getPlotItem()
        p.clear()
        self.message = ""
        self.layers, self.chosen = tuple(res.layers), chosen_layer
        self.curves, self.kinds = {}, {}
        x = np.arange(len(self.layers), dtype=float)
        for i, (name, c) in enumerate(res.concepts.items()):
            acc = np.asarray(c.accuracy, float)
            mean, std = acc.mean(0), acc.std(0)
            self.curves[name] = {"mean": mean, "spread": std, "members": acc}
            self.kinds[name] = c.kind
            colour = COLOURS[i % len(COLOURS)]
            band = pg.FillBetweenItem(
                pg.PlotDataItem(x, mean + std), pg.PlotDataItem(x, mean - std), brush=pg.mkBrush(colour + "40")
            )
            p.addItem(band)
            p.plot(x, mean, pen=pg.mkPen(colour, width=2), symbol="o", symbolBrush=colour, name=f"{name} ({c.kind})")
        p.addLine(y=0.5, pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DashLine))
        if chosen_layer in self.layers:
            p.addLine(x=self.layers.index(chosen_layer), pen=pg.mkPen((150, 150, 150), width=1))
        ax = p.getAxis("bottom")
        ax.setTicks([list(enumerate(self.layers))])
        p.setXRange(-0.3, len(self.layers) - 0.7, padding=0)
        p.setYRange(0.4, 1.08, padding=0.0)
        p.setTitle(title, size="9pt")

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"layers": list(self.layers), "chosen_layer": self.chosen}
        for name, c in self.curves.items():
            out[f"{name}_kind"] = self.kinds[name]
            out[f"{name}_accuracy_mean"] = c["mean"]
            out[f"{name}_accuracy_std"] = c["spread"]
            out[f"{name}_accuracy_members_x_layers"] = c["members"]
        if self.message:
            out["message"] = self.message
        return out


class SparsityView(pg.PlotWidget):
    """Probing sparsity at one layer (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(220, 160)
        self.layer = ""
        self.ks: np.ndarray = np.zeros(0)
        self.curves: dict[str, dict[str, np.ndarray]] = {}
        self.message = ""
        p = _plot(self, "neurons kept k (top |w| of the full probe)", "held-out accuracy")
        p.setLogMode(x=True, y=False)
        self.legend = p.addLegend(offset=(-10, 10))  # top right, above the curves (y up to 1.08)
        self.reset("")

    def reset(self, text: str) -> None:
        self.curves, self.message, self.ks = {}, text, np.zeros(0)
        p = self.getPlotItem()
        p.clear()
        p.setTitle(text, size="9pt")

    def draw(self, res: Any, layer: str, title: str) -> None:
        """``res``: a ``ProbeResult``; curves at ``layer`` (k beyond the layer's width omitted)."""
        p = self.getPlotItem()
        p.clear()
        self.message, self.layer, self.curves = "", layer, {}
        li = list(res.layers).index(layer)
        for i, (name, c) in enumerate(res.concepts.items()):
            ks = np.asarray(c.sparsity_k, float)
            s = np.asarray(c.sparsity, float)[:, li, :]  # members x k
            ok = np.isfinite(s).all(0)
            mean, std = s[:, ok].mean(0), s[:, ok].std(0)
            self.ks = ks
            self.curves[name] = {"k": ks[ok], "mean": mean, "spread": std, "full": np.asarray(c.accuracy)[:, li]}
            colour = COLOURS[i % len(COLOURS)]
            p.addItem(pg.ErrorBarItem(x=np.log10(ks[ok]), y=mean, height=2 * std, pen=pg.mkPen(colour), beam=0.03))
            p.plot(ks[ok], mean, pen=pg.mkPen(colour, width=2), symbol="o", symbolBrush=colour, name=name)
            full = float(np.asarray(c.accuracy)[:, li].mean())
            p.addLine(y=full, pen=pg.mkPen(colour, style=Qt.PenStyle.DashLine))
        if self.ks.size:
            p.getAxis("bottom").setTicks([[(float(np.log10(k)), f"{int(k)}") for k in self.ks]])
        p.addLine(y=0.5, pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DotLine))
        p.setYRange(0.4, 1.08, padding=0.0)
        p.setTitle(title, size="9pt")

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"layer": self.layer}
        for name, c in self.curves.items():
            out[f"{name}_k"] = c["k"]
            out[f"{name}_accuracy_mean"] = c["mean"]
            out[f"{name}_accuracy_std"] = c["spread"]
            out[f"{name}_full_probe_accuracy_members"] = c["full"]
        if self.message:
            out["message"] = self.message
        return out


class HistogramView(pg.PlotWidget):
    """Concept-level TRAK scores, positives and negatives (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(220, 140)
        self.scores: np.ndarray = np.zeros(0)
        self.positive: np.ndarray = np.zeros(0, bool)
        self.edges: np.ndarray = np.zeros(0)
        self.message = ""
        p = _plot(self, "TRAK score (mean over targets)", "training images")
        self.legend = p.addLegend(offset=(-10, 10))
        self.reset("")

    def reset(self, text: str) -> None:
        self.scores, self.positive, self.edges, self.message = np.zeros(0), np.zeros(0, bool), np.zeros(0), text
        p = self.getPlotItem()
        p.clear()
        p.setTitle(text, size="9pt")

    def draw(self, scores: np.ndarray, positive: np.ndarray, title: str, bins: int = 40) -> None:
        p = self.getPlotItem()
        p.clear()
        self.message = ""
        self.scores, self.positive = np.asarray(scores, float), np.asarray(positive, bool)
        self.edges = np.histogram_bin_edges(self.scores, bins=bins)
        for mask, name, colour in (
            (self.positive, "concept positives", POSITIVE),
            (~self.positive, "negatives", NEGATIVE),
        ):
            counts, _ = np.histogram(self.scores[mask], bins=self.edges)
            p.plot(self.edges, counts, stepMode="center", pen=pg.mkPen(colour, width=2), name=f"{name} ({mask.sum()})")
        p.setTitle(title, size="9pt")

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scores": self.scores, "concept_positive": self.positive, "bin_edges": self.edges}
        if self.edges.size:
            out["positive_counts"] = np.histogram(self.scores[self.positive], bins=self.edges)[0]
            out["negative_counts"] = np.histogram(self.scores[~self.positive], bins=self.edges)[0]
        if self.message:
            out["message"] = self.message
        return out


class RemovalView(pg.PlotWidget):
    """Before / top-k removed / random-k removed (see the module docstring)."""

    ARMS = (
        ("before", "before", "#808080"),
        ("top_k", "top-k removed", "#c0392b"),
        ("random_k", "random-k removed", "#4c8bd6"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(220, 140)
        self.layers: tuple[str, ...] = ()
        self.arms: dict[str, dict[str, np.ndarray]] = {}
        self.message = ""
        p = _plot(self, "layer", "held-out probe accuracy")
        self.legend = p.addLegend(offset=(-10, 10))  # top right, above the curves (y up to 1.08)
        self.reset("")

    def reset(self, text: str) -> None:
        self.layers, self.arms, self.message = (), {}, text
        p = self.getPlotItem()
        p.clear()
        p.setTitle(text, size="9pt")

    def draw(self, res: Any, layers: tuple[str, ...], title: str) -> None:
        """``res``: a :class:`~workbench_concepts.jobs.RemoveResult`."""
        p = self.getPlotItem()
        p.clear()
        self.message, self.layers, self.arms = "", tuple(layers), {}
        x = np.arange(len(self.layers), dtype=float)
        for j, (attr, name, colour) in enumerate(self.ARMS):
            arm = getattr(res, attr)
            mean, ci = np.asarray(arm.mean(), float), np.asarray(arm.ci_half(), float)
            self.arms[attr] = {"mean": mean, "ci95": ci, "members": np.asarray(arm.accuracy, float)}
            xs = x + (j - 1) * 0.06
            p.addItem(pg.ErrorBarItem(x=xs, y=mean, height=2 * np.nan_to_num(ci), pen=pg.mkPen(colour), beam=0.05))
            p.plot(xs, mean, pen=pg.mkPen(colour, width=2), symbol="o", symbolBrush=colour, name=name)
        p.addLine(y=0.5, pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DashLine))
        if res.layer in self.layers:
            p.addLine(x=self.layers.index(res.layer), pen=pg.mkPen((150, 150, 150), width=1))
        p.getAxis("bottom").setTicks([list(enumerate(self.layers))])
        p.setXRange(-0.3, len(self.layers) - 0.7, padding=0)
        p.setYRange(0.4, 1.08, padding=0.0)
        p.setTitle(title, size="9pt")

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"layers": list(self.layers)}
        for attr, c in self.arms.items():
            out[f"{attr}_accuracy_mean"] = c["mean"]
            out[f"{attr}_accuracy_ci95_half"] = c["ci95"]
            out[f"{attr}_accuracy_members_x_layers"] = c["members"]
        if self.message:
            out["message"] = self.message
        return out


@dataclass(frozen=True)
class Thumb:
    """One gallery image: uint8 H x W x 3, its index (in the training set, or the test set
    when ``kind`` is ``"test"``), score (a test image's: the probe's logit), class name,
    concept label."""

    image: np.ndarray
    index: int
    score: float
    class_name: str
    positive: bool
    kind: str = "train"


class ThumbnailGallery(QWidget):
    """Two rows of thumbnails (top and bottom attributing) with a caption each; the clicked one
    is drawn enlarged on the right."""

    clicked = Signal(int)

    THUMB = 64
    CAPTION = 30
    GAP = 6

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(260, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.rows: list[tuple[str, list[Thumb]]] = []
        self.selected = -1
        self.message = ""
        self._rects: list[tuple[QRect, int]] = []
        self.setAutoFillBackground(True)

    def reset(self, text: str) -> None:
        self.rows, self.selected, self.message = [], -1, text
        self.update()

    def set_rows(self, rows: list[tuple[str, list[Thumb]]]) -> None:
        self.rows, self.message = rows, ""
        self.selected = 0 if rows and rows[0][1] else -1
        self.update()

    def thumbs(self) -> list[Thumb]:
        return [t for _, ts in self.rows for t in ts]

    def sizeHint(self) -> QSize:
        return QSize(640, 2 * (self.THUMB + self.CAPTION + 24) + 20)

    def _layout(self) -> tuple[int, int]:
        """(thumbnail side, left width) fitted to the widget; the enlarged image takes the rest."""
        n = max((len(ts) for _, ts in self.rows), default=1)
        rows = max(len(self.rows), 1)
        big = min(self.height() - 2 * self.GAP, max(96, self.width() // 4))
        left = max(120, self.width() - big - 3 * self.GAP)
        side = int(max(24, min(self.THUMB * 1.5, (left - self.GAP) / max(n, 1) - self.GAP)))
        side = min(side, max(24, (self.height() - self.GAP - rows * (self.CAPTION + 24)) // rows))
        return side, left

    @staticmethod
    def _qimage(img: np.ndarray) -> QImage:
        arr = np.ascontiguousarray(img, dtype=np.uint8)
        h, w = arr.shape[:2]
        return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        fg = pal.color(pal.ColorRole.Text)
        painter.fillRect(self.rect(), pal.color(pal.ColorRole.Base))
        painter.setPen(fg)
        self._rects = []
        if not self.rows:
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.message)
            painter.end()
            return
        side, left = self._layout()
        font = painter.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        painter.setFont(font)
        y = self.GAP
        k = 0
        for title, thumbs in self.rows:
            painter.setPen(fg)
            painter.drawText(QRect(self.GAP, y, left, 18), int(Qt.AlignmentFlag.AlignLeft), title)
            y += 18
            for j, t in enumerate(thumbs):
                x = self.GAP + j * (side + self.GAP)
                r = QRect(x, y, side, side)
                painter.drawImage(r, self._qimage(t.image))
                if t.positive:
                    painter.setPen(QColor(POSITIVE))
                    painter.drawRect(r.adjusted(-2, -2, 1, 1))
                if k == self.selected:
                    painter.setPen(fg)
                    painter.drawRect(r.adjusted(-3, -3, 2, 2))
                painter.setPen(fg)
                cap = QRect(x - 2, y + side + 1, side + 4, self.CAPTION)
                fm = painter.fontMetrics()
                name = fm.elidedText(t.class_name, Qt.TextElideMode.ElideRight, side + 4)
                head = f"#{t.index}" if t.kind == "test" else f"{t.score:.3g}"
                painter.drawText(cap, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), f"{head}\n{name}")
                self._rects.append((r, k))
                k += 1
            y += side + self.CAPTION + 6
        sel = self.thumbs()[self.selected] if 0 <= self.selected < len(self.thumbs()) else None
        if sel is not None:
            big = min(self.height() - 3 * self.GAP - 40, self.width() - left - 2 * self.GAP)
            if big > 40:
                bx = left + self.GAP
                painter.drawImage(QRect(bx, self.GAP, big, big), self._qimage(sel.image))
                label = "concept positive" if sel.positive else "concept negative"
                painter.drawText(
                    QRect(bx, self.GAP + big + 2, big, 40),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap),
                    f"test image {sel.index}: {sel.class_name}, {label}"
                    + (f"; probe logit {sel.score:.4g}" if np.isfinite(sel.score) else "; chosen for Attribute image")
                    if sel.kind == "test"
                    else f"training image {sel.index}: {sel.class_name}, {label}; score {sel.score:.4g}",
                )
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for r, k in self._rects:
            if r.contains(event.position().toPoint()):
                self.selected = k
                self.update()
                self.clicked.emit(k)
                return
        super().mousePressEvent(event)

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for title, thumbs in self.rows:
            key = title.split()[0].lower()
            out[f"{key}_index"] = np.array([t.index for t in thumbs], dtype=np.int64)
            out[f"{key}_score"] = np.array([t.score for t in thumbs], dtype=float)
            out[f"{key}_class"] = [t.class_name for t in thumbs]
            out[f"{key}_concept_positive"] = np.array([t.positive for t in thumbs], dtype=bool)
            out[f"{key}_set"] = [t.kind for t in thumbs]
        if self.message:
            out["message"] = self.message
        return out
