"""The micrograph browser: thumbnails of one image set filtered by class and by correct / wrong,
each with the original (and edited) model's prediction and confidence; the selected image at
full resolution (wheel: zoom, drag: pan) with the rewrite's region painted over it, and for a
tiled folder the tile's place in its file's grid.

Qt only: the images, labels and probabilities arrive as numpy arrays from the panel's jobs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

#: thumbnails drawn at most (a filter shows the others)
MAX_THUMBS = 400
#: overlay colour of the painted region
MASK_RGBA = (255, 60, 40, 110)


def grey_image(a: np.ndarray) -> QImage:
    """A QImage (8-bit grey) of ``a`` (H, W) in [0, 1]; the array is copied."""
    u8 = np.ascontiguousarray((np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
    h, w = u8.shape
    return QImage(u8.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def mask_image(mask: np.ndarray) -> QImage:
    """A QImage (ARGB) of ``mask`` (H, W) bool: the painted pixels in :data:`MASK_RGBA`."""
    h, w = mask.shape
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[mask] = MASK_RGBA
    rgba = np.ascontiguousarray(rgba)
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


class ImageView(QGraphicsView):
    """One micrograph at full resolution: wheel zooms about the cursor, dragging pans; with
    ``painting`` on, the left button paints the region and the right button erases it
    (a disc of ``brush`` pixels).  ``mask_changed`` after every stroke."""

    mask_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.image_item = QGraphicsPixmapItem()
        self.mask_item = QGraphicsPixmapItem()
        self.mask_item.setZValue(1)
        self.scene().addItem(self.image_item)
        self.scene().addItem(self.mask_item)
        self.image: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self.painting = False
        self.brush = 3
        self._stroke: int = 0  # 0 none, 1 paint, -1 erase
        self.setMinimumSize(160, 160)

    def set_image(self, image: np.ndarray | None) -> None:
        """Show ``image`` (H, W) in [0, 1] (None: nothing); the mask is kept if it fits."""
        self.image = None if image is None else np.asarray(image, np.float32)
        if self.image is None:
            self.image_item.setPixmap(QPixmap())
            self.mask_item.setPixmap(QPixmap())
            return
        self.image_item.setPixmap(QPixmap.fromImage(grey_image(self.image)))
        h, w = self.image.shape
        self.scene().setSceneRect(QRectF(0, 0, w, h))
        if self.mask is not None and self.mask.shape != (h, w):
            self.mask = None
        self._draw_mask()
        self.fit()

    def set_mask(self, mask: np.ndarray | None) -> None:
        self.mask = None if mask is None else np.asarray(mask, bool).copy()
        self._draw_mask()

    def _draw_mask(self) -> None:
        if self.mask is None or not self.mask.any():
            self.mask_item.setPixmap(QPixmap())
        else:
            self.mask_item.setPixmap(QPixmap.fromImage(mask_image(self.mask)))

    def fit(self) -> None:
        if self.image is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit()

    def set_painting(self, on: bool) -> None:
        self.painting = bool(on)
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    def wheelEvent(self, event: Any) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.scale(factor, factor)

    def paint_at(self, point: QPointF, value: bool) -> None:
        """Paint (or erase) a disc of radius ``brush`` at scene ``point`` (pixel units)."""
        if self.image is None:
            return
        h, w = self.image.shape
        if self.mask is None:
            self.mask = np.zeros((h, w), bool)
        yy, xx = np.mgrid[0:h, 0:w]
        disc = (xx + 0.5 - point.x()) ** 2 + (yy + 0.5 - point.y()) ** 2 <= max(self.brush, 0.5) ** 2
        self.mask[disc] = value
        self._draw_mask()

    def mousePressEvent(self, event: Any) -> None:
        if self.painting and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._stroke = 1 if event.button() == Qt.MouseButton.LeftButton else -1
            self.paint_at(self.mapToScene(event.position().toPoint()), self._stroke > 0)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:
        if self.painting and self._stroke:
            self.paint_at(self.mapToScene(event.position().toPoint()), self._stroke > 0)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self.painting and self._stroke:
            self._stroke = 0
            self.mask_changed.emit()
            return
        super().mouseReleaseEvent(event)


class MicrographBrowser(QWidget):
    """Filters (set, class, correct / wrong), thumbnails, the selected image and its details.

    The panel binds ``set_combo``, ``class_combo`` and ``show_combo`` to its state and calls
    :meth:`set_data`, :meth:`set_predictions` and :meth:`refresh`."""

    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.set_combo = QComboBox()
        self.class_combo = QComboBox()
        self.show_combo = QComboBox()
        self.set_combo.setToolTip("the image set shown: the source test set, a shifted test set or an edit pool")
        self.class_combo.setToolTip("show one class only (true label)")
        self.view = ImageView()
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setIconSize(QSize(64, 64))
        self.thumbs.setGridSize(QSize(96, 100))
        self.thumbs.setResizeMode(QListView.ResizeMode.Adjust)
        self.thumbs.setMovement(QListView.Movement.Static)
        self.thumbs.setUniformItemSizes(True)
        self.thumbs.setWordWrap(True)
        self.thumbs.currentRowChanged.connect(self._selected)
        self.paint = QCheckBox("paint region")
        self.paint.setToolTip(
            "paint the rewrite's region of interest (one mask for every image): left button paints, "
            "right button erases; off: drag pans, the wheel zooms"
        )
        self.paint.toggled.connect(self.view.set_painting)
        self.brush = QSpinBox()
        self.brush.setRange(1, 64)
        self.brush.setValue(3)
        self.brush.setPrefix("brush ")
        self.brush.setSuffix(" px")
        self.brush.valueChanged.connect(lambda v: setattr(self.view, "brush", int(v)))
        self.clear_mask = QPushButton("Clear region")
        self.fit_btn = QPushButton("Fit")
        self.fit_btn.clicked.connect(self.view.fit)
        self.count = QLabel("")
        self.info = QLabel("no data loaded yet")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        filters = QHBoxLayout()
        for text, w in (("set", self.set_combo), ("class", self.class_combo), ("show", self.show_combo)):
            filters.addWidget(QLabel(text))
            filters.addWidget(w, 1)
        tools = QHBoxLayout()
        for w in (self.paint, self.brush, self.clear_mask, self.fit_btn):
            tools.addWidget(w)
        tools.addStretch(1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addLayout(tools)
        rv.addWidget(self.view, 1)
        rv.addWidget(self.info)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.thumbs, 1)
        lv.addWidget(self.count)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addLayout(filters)
        outer.addWidget(split, 1)

        self.sets: dict[str, Any] = {}
        self.class_names: tuple[str, ...] = ()
        self.tiles: dict[str, tuple[int, int, int]] = {}
        self.before: dict[str, np.ndarray] = {}
        self.after: dict[str, np.ndarray] = {}
        self.shown: np.ndarray = np.zeros(0, np.int64)
        self.current_set = ""
        self.current_index = -1
        self._filters = ("", "", "all")

    # ---- content -----------------------------------------------------------------------
    def set_data(self, sets: dict[str, Any] | None, class_names: tuple[str, ...] = (), tiles: Any = None) -> None:
        """The image sets (name -> ImageSet), their classes and a folder's tile grids."""
        self.sets = dict(sets or {})
        self.class_names = tuple(class_names)
        self.tiles = dict(tiles or {})
        self.before, self.after = {}, {}

    def set_predictions(self, before: dict[str, np.ndarray] | None, after: dict[str, np.ndarray] | None) -> None:
        """Softmax probabilities per set of the original and the edited model (None: none)."""
        self.before = dict(before or {})
        self.after = dict(after or {})

    def set_filters(self, set_name: str, class_name: str, show: str) -> None:
        self._filters = (set_name, class_name, show)

    def _set_name(self) -> str:
        name = self._filters[0]
        if name in self.sets:
            return name
        return next(iter(self.sets), "")

    def _probs(self, name: str) -> np.ndarray | None:
        p = self.after.get(name)
        return p if p is not None else self.before.get(name)

    def filtered(self) -> tuple[str, np.ndarray]:
        """The set shown and the indices of its images passing the class and correctness filters
        (correctness by the edited model when there is one, else the original)."""
        name = self._set_name()
        s = self.sets.get(name)
        if s is None:
            return name, np.zeros(0, np.int64)
        keep = np.ones(len(s), bool)
        cls = self._filters[1]
        if cls:
            if cls not in self.class_names:
                return name, np.zeros(0, np.int64)
            keep &= s.y == self.class_names.index(cls)
        p = self._probs(name)
        if self._filters[2] != "all" and p is not None and len(p) == len(s):
            right = p.argmax(1) == s.y
            keep &= right if self._filters[2] == "correct" else ~right
        return name, np.flatnonzero(keep)

    def refresh(self) -> None:
        """Redraw the thumbnails after new data, predictions or filters (keeps the selection when
        it still passes)."""
        name, idx = self.filtered()
        keep_row = self.current_index if name == self.current_set else -1
        self.current_set = name
        self.shown = idx[:MAX_THUMBS]
        self.thumbs.blockSignals(True)
        self.thumbs.clear()
        s = self.sets.get(name)
        if s is not None:
            for i in self.shown:
                item = QListWidgetItem(QIcon(QPixmap.fromImage(grey_image(s.x[i, 0]))), self._short(name, int(i)))
                right = self._right(name, int(i))
                if right is not None:
                    item.setBackground(QBrush(QColor(60, 170, 80, 70) if right else QColor(220, 60, 50, 90)))
                item.setToolTip(self._describe(name, int(i)))
                self.thumbs.addItem(item)
        self.thumbs.blockSignals(False)
        total = len(s) if s is not None else 0
        more = f" (the first {MAX_THUMBS}: filter to see the others)" if len(idx) > MAX_THUMBS else ""
        self.count.setText(f"{len(idx)} of {total} images of {name or 'no set'}{more}" if s is not None else "")
        rows = list(self.shown)
        row = rows.index(keep_row) if keep_row in rows else (0 if rows else -1)
        self.thumbs.setCurrentRow(row)
        self._selected(row)

    def _right(self, name: str, i: int) -> bool | None:
        p = self._probs(name)
        s = self.sets[name]
        if p is None or len(p) != len(s):
            return None
        return bool(p[i].argmax() == s.y[i])

    def _short(self, name: str, i: int) -> str:
        def tag(p: np.ndarray) -> str:
            c = int(p.argmax())
            cls = self.class_names[c] if c < len(self.class_names) else str(c)
            return f"{cls.removeprefix('route-')} {p[c]:.0%}"

        b, a = self.before.get(name), self.after.get(name)
        if b is None or len(b) <= i:
            return ""
        return tag(b[i]) + (f" → {tag(a[i])}" if a is not None and len(a) > i else "")

    def _describe(self, name: str, i: int) -> str:
        s = self.sets[name]
        label = self.class_names[int(s.y[i])] if int(s.y[i]) < len(self.class_names) else str(s.y[i])
        parts = [f"{s.names[i]}", f"set {name}, true class {label}"]
        for which, probs in (("original", self.before.get(name)), ("edited", self.after.get(name))):
            if probs is not None and len(probs) > i:
                c = int(probs[i].argmax())
                cls = self.class_names[c] if c < len(self.class_names) else str(c)
                mark = "right" if c == int(s.y[i]) else "wrong"
                parts.append(f"{which} model: {cls} ({probs[i][c]:.1%}, {mark})")
        file, _, rc = s.names[i].partition("#")
        if rc and file in self.tiles:
            rows, cols, tile = self.tiles[file]
            parts.append(f"tile {rc} of a {rows} x {cols} grid of {tile}-px tiles of {file}")
        h, w = s.x.shape[2:]
        parts.append(f"{w} x {h} px")
        return "\n".join(parts)

    def _selected(self, row: int) -> None:
        s = self.sets.get(self.current_set)
        if s is None or row < 0 or row >= len(self.shown):
            self.current_index = -1
            self.view.set_image(None)
            self.info.setText("no image: load data or loosen the filters" if s is None or not len(self.shown) else "")
        else:
            self.current_index = int(self.shown[row])
            self.view.set_image(s.x[self.current_index, 0])
            self.info.setText(self._describe(self.current_set, self.current_index).replace("\n", "; "))
        self.selection_changed.emit()

    def data(self) -> dict[str, Any]:
        """The selected image, the painted region and the predictions shown (for exports)."""
        out: dict[str, Any] = {"set": self.current_set}
        s = self.sets.get(self.current_set)
        if s is not None and self.current_index >= 0:
            i = self.current_index
            out.update(name=s.names[i], label=int(s.y[i]), image=s.x[i, 0])
            for which, probs in (("before", self.before), ("after", self.after)):
                p = probs.get(self.current_set)
                if p is not None and len(p) > i:
                    out[f"probabilities_{which}"] = p[i]
        if self.view.mask is not None:
            out["region"] = self.view.mask.astype(np.uint8)
        out["class_names"] = list(self.class_names)
        return out
