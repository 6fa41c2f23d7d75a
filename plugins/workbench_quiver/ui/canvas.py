"""The interactive quiver canvas (QGraphicsView): draw, edit, mutate.

Mouse (edit mode), as in Keller's quiver-mutation applet:

* click on empty space: new vertex;
* drag from a vertex to another: a new arrow; again: multiplicity + 1; against an existing
  arrow: multiplicity - 1 (the rule is simply ``B[i, j] += 1``);
* right-drag (or left-drag in move mode) moves a vertex; right-click removes a vertex or the
  arrows under the cursor; Delete removes the selection;
* Shift- or Ctrl-click mutates at a vertex; Alt-click freezes / unfreezes it;
* in mutate mode a plain click mutates.

The view never edits the quiver directly: every edit is a command pushed on the panel's
:class:`~workbench_quiver.ui.model.CommandStack`.  It listens to the document's events and
updates only the graphics items that changed, so a mutation of a 60-vertex quiver redraws
in a few milliseconds.  The handler methods :meth:`press`, :meth:`drag_to` and
:meth:`release` take scene coordinates, so tests can drive the canvas without synthetic
mouse events.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsLineItem, QGraphicsScene, QGraphicsView

from workbench_quiver.ui import style
from workbench_quiver.ui.items import ArrowItem, VertexItem
from workbench_quiver.ui.model import (
    AddArrows,
    AddVertex,
    ClearArrows,
    CommandStack,
    MoveVertices,
    Mutate,
    QuiverDocument,
    RemoveVertex,
    SetFrozen,
)

MODES = ("edit", "mutate", "move")
CLICK_TOLERANCE = 4.0  # scene units a press may travel and still count as a click
ANIMATION_MS = 150


class QuiverCanvas(QGraphicsView):
    """Draws a :class:`QuiverDocument` and turns mouse/keyboard input into commands."""

    #: a short status text for the panel (what just happened, or why nothing did)
    status = Signal(str)
    #: the mode changed ("edit", "mutate", "move")
    mode_changed = Signal(str)
    #: a vertex was mutated (document index)
    mutated = Signal(int)
    #: the user double-clicked a vertex in edit mode (document index): rename it
    rename_requested = Signal(int)

    def __init__(self, doc: QuiverDocument, stack: CommandStack, parent=None) -> None:
        self._scene = QGraphicsScene()
        super().__init__(self._scene, parent)
        self.doc = doc
        self.stack = stack
        self.mode = "edit"
        self.animate = True
        self.vertex_items: list[VertexItem] = []
        self.arrow_items: dict[tuple[int, int], ArrowItem] = {}
        self.selected_vertices: set[int] = set()
        self.selected_arrow: tuple[int, int] | None = None
        self.highlight_vertices: set[int] = set()
        self.highlight_arrows: set[tuple[int, int]] = set()
        self.show_evidence = True
        #: fill overrides of mutable vertices ("green" / "red", document index), see set_vertex_colours
        self.vertex_colours: dict[int, str] = {}
        self.gnn_overlay = None  # a GNN explanation drawn over the quiver (set_gnn_overlay)
        self._press: dict | None = None
        self._pts: np.ndarray | None = None  # positions as an array while a batch of arrows is routed
        self._pan: QPointF | None = None
        #: the view shows the whole drawing (zoom_to_fit): it fits again when resized, until the
        #: user zooms or pans
        self.fitted = True
        self._preview = QGraphicsLineItem()
        pen = QPen(style.SELECT, 1.6, Qt.PenStyle.DashLine)
        self._preview.setPen(pen)
        self._preview.setZValue(20)
        self._preview.hide()
        self._scene.addItem(self._preview)
        self._flash = QGraphicsEllipseItem(-1, -1, 2, 2)
        self._flash.setPen(QPen(Qt.PenStyle.NoPen))
        self._flash.setBrush(style.MUTATE_FLASH)
        self._flash.setZValue(4)
        self._flash.hide()
        self._scene.addItem(self._flash)
        self._fading_in: list[ArrowItem] = []
        self._fading_out: list[ArrowItem] = []
        self._anim = QVariantAnimation(self)
        self._anim.setDuration(ANIMATION_MS)
        self._anim.setStartValue(0.0)
        self._anim.setEndValue(1.0)
        self._anim.valueChanged.connect(self._animate_step)
        self._anim.finished.connect(self._animation_done)

        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(
            QGraphicsView.OptimizationFlag.DontSavePainterState
            | QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing
        )
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(style.BACKGROUND)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setMinimumSize(320, 240)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scene.setSceneRect(QRectF(-2000, -2000, 4000, 4000))
        doc.subscribe(self._on_doc)
        self.rebuild()
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)

    # ---- document -> items -------------------------------------------------------
    def _pos(self, i: int) -> QPointF:
        x, y = self.doc.positions[i]
        return QPointF(x, y)

    def _control_point(self, i: int, j: int) -> QPointF | None:
        """Control point bending the arrow ``i -> j`` around vertices lying on its straight
        segment (None: nothing in the way, draw it straight)."""
        n = self.doc.size
        if n <= 2:
            return None
        pts = self._pts if self._pts is not None and len(self._pts) == n else np.asarray(self.doc.positions, float)
        p, q = pts[i], pts[j]
        d = q - p
        L2 = float(d @ d)
        if L2 < 1e-9:
            return None
        t = (pts - p) @ d / L2
        foot = p + np.outer(t, d)
        dist = np.hypot(*(pts - foot).T)
        near = (t > 0.02) & (t < 0.98) & (dist < style.VERTEX_RADIUS + 6)
        near[i] = near[j] = False
        if not near.any():
            return None
        a, b = (i, j) if i < j else (j, i)  # the same side for both directions of the pair
        da = pts[b] - pts[a]
        normal = np.array([-da[1], da[0]]) / np.sqrt(L2)
        blockers = pts[near]
        side = float(np.sign(((blockers - p) @ normal).mean()))
        side = -side if side != 0 else 1.0
        mid = (p + q) / 2 + normal * side * (0.28 * np.sqrt(L2) + style.VERTEX_RADIUS)
        return QPointF(float(mid[0]), float(mid[1]))

    def rebuild(self) -> None:
        """Throw all items away and create them again (after a change of the vertex set)."""
        self._anim.stop()
        self._animation_done()
        for it in self.vertex_items:
            self._scene.removeItem(it)
        for it in self.arrow_items.values():
            self._scene.removeItem(it)
        self.vertex_items = []
        self.arrow_items = {}
        self.selected_vertices = {v for v in self.selected_vertices if v < self.doc.size}
        self.selected_arrow = None
        for i in range(self.doc.size):
            item = VertexItem(i, self.doc.labels[i], self.doc.frozen[i])
            item.setPos(self._pos(i))
            item.set_state(selected=i in self.selected_vertices, evidence=self._vertex_evident(i))
            item.set_colour(self.vertex_colours.get(i))
            self._scene.addItem(item)
            self.vertex_items.append(item)
        m = self.doc.matrix
        ii, jj = np.nonzero(np.triu(m != 0, 1))
        self._pts = np.asarray(self.doc.positions, dtype=float).reshape(-1, 2)
        try:
            for a, b in zip(ii.tolist(), jj.tolist(), strict=True):
                self._sync_pair(a, b, fade=False)
        finally:
            self._pts = None

    def _vertex_evident(self, i: int) -> bool:
        return self.show_evidence and i in self.highlight_vertices

    def _sync_pair(self, a: int, b: int, fade: bool) -> None:
        """Make the arrow item of the pair ``{a, b}`` match the matrix."""
        key = (a, b) if a < b else (b, a)
        v = self.doc.matrix[key[0], key[1]]
        item = self.arrow_items.get(key)
        if v == 0:
            if item is not None:
                del self.arrow_items[key]
                if fade and self.animate:
                    item.setZValue(4)
                    self._fading_out.append(item)
                else:
                    self._scene.removeItem(item)
            return
        i, j = (key[0], key[1]) if v > 0 else (key[1], key[0])
        mult = int(abs(v))
        ctrl = self._control_point(i, j)
        if item is None:
            item = ArrowItem(i, j, mult, self._pos(i), self._pos(j), self.doc.frozen[i], self.doc.frozen[j], ctrl)
            self._scene.addItem(item)
            self.arrow_items[key] = item
        else:
            item.set_arrow(i, j, mult)
            item.set_ends(self._pos(i), self._pos(j), ctrl)
            item.set_frozen_ends(self.doc.frozen[i], self.doc.frozen[j])
        item.set_state(
            selected=self.selected_arrow == key,
            evidence=self.show_evidence and ((i, j) in self.highlight_arrows or (j, i) in self.highlight_arrows),
        )
        if fade and self.animate:
            item.setOpacity(0.0)
            self._fading_in.append(item)

    def _on_doc(self, event: str, info: dict) -> None:
        if self.gnn_overlay is not None and event in ("reset", "arrows", "mutated", "frozen"):
            self.set_gnn_overlay(None)
        if event == "reset":
            self.highlight_vertices, self.highlight_arrows = set(), set()
            self.rebuild()
        elif event in ("arrows", "mutated"):
            fade = event == "mutated"
            if fade:
                self._finish_animation()
            self._pts = np.asarray(self.doc.positions, dtype=float).reshape(-1, 2)
            try:
                for a, b in info.get("pairs", []):
                    self._sync_pair(a, b, fade=fade)
            finally:
                self._pts = None
            if fade:
                self._start_flash(info["vertex"])
        elif event == "positions":
            moved = set(info.get("vertices", []))
            for v in moved:
                self.vertex_items[v].setPos(self._pos(v))
            self._pts = np.asarray(self.doc.positions, dtype=float).reshape(-1, 2)
            try:  # a moved vertex may now block (or free) any arrow: route them all again
                for (a, b), item in self.arrow_items.items():
                    ctrl = self._control_point(item.i, item.j)
                    if a in moved or b in moved or ctrl != item.ctrl:
                        item.set_ends(self._pos(item.i), self._pos(item.j), ctrl)
            finally:
                self._pts = None
        elif event == "frozen":
            for v in info.get("vertices", []):
                self.vertex_items[v].set_state(frozen=self.doc.frozen[v])
            for item in self.arrow_items.values():
                item.set_frozen_ends(self.doc.frozen[item.i], self.doc.frozen[item.j])
        elif event == "labels":
            for v in info.get("vertices", []):
                self.vertex_items[v].set_state(label=self.doc.labels[v])

    # ---- animation ----------------------------------------------------------------
    def _start_flash(self, k: int) -> None:
        if not self.animate:
            return
        r = style.VERTEX_RADIUS + 10
        self._flash.setRect(QRectF(-r, -r, 2 * r, 2 * r))
        self._flash.setPos(self._pos(k))
        self._flash.setOpacity(1.0)
        self._flash.show()
        self._anim.start()

    def _animate_step(self, t: float) -> None:
        t = float(t)
        for it in self._fading_in:
            it.setOpacity(t)
        for it in self._fading_out:
            it.setOpacity(1.0 - t)
        self._flash.setOpacity(1.0 - t)

    def _finish_animation(self) -> None:
        if self._anim.state() == QVariantAnimation.State.Running:
            self._anim.stop()
        self._animation_done()

    def _animation_done(self) -> None:
        for it in self._fading_in:
            it.setOpacity(1.0)
        for it in self._fading_out:
            if it.scene() is self._scene:
                self._scene.removeItem(it)
        self._fading_in, self._fading_out = [], []
        self._flash.hide()

    # ---- highlighting and selection -------------------------------------------------
    def set_highlight(
        self, vertices: set[int] | list[int], arrows: set[tuple[int, int]] | list[tuple[int, int]]
    ) -> None:
        """Mark the evidence of the identified type (document indices; arrows as ``(i, j)``)."""
        self.highlight_vertices = {int(v) for v in vertices if 0 <= int(v) < self.doc.size}
        self.highlight_arrows = {(int(a), int(b)) for a, b in arrows}
        self._refresh_marks()

    def set_vertex_colours(self, colours: dict[int, str] | None) -> None:
        """Fill vertices green or red (document index -> ``"green"`` / ``"red"``; the colours of
        the current theme, :mod:`.style`); vertices not named, and frozen ones, are drawn
        normally.  None or ``{}`` clears every override."""
        new = {int(v): c for v, c in (colours or {}).items() if 0 <= int(v) < self.doc.size}
        bad = {c for c in new.values() if c not in ("green", "red")}
        if bad:
            raise ValueError(f"unknown vertex colour {sorted(bad)[0]!r}: use 'green' or 'red'")
        self.vertex_colours = new
        for i, it in enumerate(self.vertex_items):
            it.set_colour(new.get(i))

    def set_gnn_overlay(self, overlay) -> None:
        """Show a GNN explanation (``workbench_quiver.gnn.overlay.ExplanationOverlay`` or None).

        Its indices are those of ``B`` (mutable vertices first, in document order): arrow
        importances become pen width and colour, vertex importances halos (the style of
        ``gnn_overlay_style``).  Cleared by any change of the quiver (the explanation is stale).
        """
        self.gnn_overlay = overlay
        order = self.doc.vertex_order()
        mutable = self.doc.mutable_vertices()
        if overlay is None:
            for it in self.vertex_items:
                it.set_halo(None)
            for it in self.arrow_items.values():
                it.set_overlay(None)
            return
        node = list(getattr(overlay, "node_importance", []))
        for it in self.vertex_items:
            it.set_halo(None)
        for r, v in enumerate(mutable):
            if r < len(node):
                self.vertex_items[v].set_halo(float(node[r]))
        edges = {
            (order[int(i)], order[int(j)]): float(w)
            for (i, j), w in getattr(overlay, "edge_importance", {}).items()
            if int(i) < len(order) and int(j) < len(order)
        }
        masked = {
            (order[int(i)], order[int(j)])
            for i, j in getattr(overlay, "masked", [])
            if int(i) < len(order) and int(j) < len(order)
        }
        for it in self.arrow_items.values():
            key = (it.i, it.j)
            it.set_overlay((edges[key], key in masked) if key in edges else None)

    def set_show_evidence(self, show: bool) -> None:
        self.show_evidence = bool(show)
        self._refresh_marks()

    def _refresh_marks(self) -> None:
        for i, it in enumerate(self.vertex_items):
            it.set_state(selected=i in self.selected_vertices, evidence=self._vertex_evident(i))
        for key, it in self.arrow_items.items():
            ev = self.show_evidence and ((it.i, it.j) in self.highlight_arrows or (it.j, it.i) in self.highlight_arrows)
            it.set_state(selected=self.selected_arrow == key, evidence=ev)

    def select(self, vertices: set[int] | None = None, arrow: tuple[int, int] | None = None) -> None:
        self.selected_vertices = set(vertices or ())
        self.selected_arrow = arrow
        self._refresh_marks()

    # ---- hit testing -----------------------------------------------------------------
    def vertex_at(self, pos: QPointF) -> int | None:
        """The vertex under a scene point (the nearest within its radius), or None."""
        best, best_d = None, (style.VERTEX_RADIUS + 3) ** 2
        for i, (x, y) in enumerate(self.doc.positions):
            d = (x - pos.x()) ** 2 + (y - pos.y()) ** 2
            if d <= best_d:
                best, best_d = i, d
        return best

    def arrow_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The pair ``(a, b)``, ``a < b``, of the arrow under a scene point, or None."""
        for key, item in self.arrow_items.items():
            if item.shape().contains(pos):
                return key
        return None

    # ---- actions -------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if mode != self.mode:
            self.mode = mode
            self.viewport().setCursor(
                Qt.CursorShape.PointingHandCursor
                if mode == "mutate"
                else (Qt.CursorShape.OpenHandCursor if mode == "move" else Qt.CursorShape.CrossCursor)
            )
            self.mode_changed.emit(mode)

    def _push(self, cmd) -> bool:
        try:
            self.stack.push(cmd)
        except ValueError as exc:
            self.status.emit(str(exc))
            return False
        self.status.emit(cmd.text)
        return True

    def mutate_at(self, k: int) -> bool:
        if self._push(Mutate(k)):
            self.mutated.emit(k)
            return True
        return False

    def delete_selection(self) -> None:
        if self.selected_arrow is not None:
            a, b = self.selected_arrow
            self.selected_arrow = None
            self._push(ClearArrows(a, b))
        for v in sorted(self.selected_vertices, reverse=True):
            self.selected_vertices.discard(v)
            self._push(RemoveVertex(v))
        self._refresh_marks()

    def toggle_frozen(self, vertices: list[int] | None = None) -> None:
        vs = sorted(self.selected_vertices) if vertices is None else vertices
        if not vs:
            self.status.emit("select a vertex to freeze or unfreeze it")
            return
        self._push(SetFrozen(vs))

    # ---- pointer handling in scene coordinates (also used by tests) -----------------
    def press(
        self,
        pos: QPointF,
        button: Qt.MouseButton = Qt.MouseButton.LeftButton,
        modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    ) -> None:
        v = self.vertex_at(pos)
        self._press = {
            "pos": QPointF(pos),
            "vertex": v,
            "button": button,
            "modifiers": modifiers,
            "moved": False,
            "origin": self.doc.positions[v] if v is not None else None,
        }
        mods = modifiers
        if button == Qt.MouseButton.LeftButton and v is not None:
            if self.mode == "mutate" or mods & (
                Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
            ):
                self._press = None
                self.mutate_at(v)
                return
            if mods & Qt.KeyboardModifier.AltModifier:
                self._press = None
                self.toggle_frozen([v])
                return

    def _dragging_move(self) -> bool:
        p = self._press
        return (
            p is not None
            and p["vertex"] is not None
            and (
                p["button"] in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton)
                or (p["button"] == Qt.MouseButton.LeftButton and self.mode == "move")
            )
        )

    def drag_to(self, pos: QPointF) -> None:
        p = self._press
        if p is None:
            return
        if not p["moved"]:
            d = pos - p["pos"]
            if abs(d.x()) + abs(d.y()) < CLICK_TOLERANCE:
                return
            p["moved"] = True
        v = p["vertex"]
        if v is None:
            return
        if self._dragging_move():
            ox, oy = p["origin"]
            d = pos - p["pos"]
            self.doc.move_live(v, (ox + d.x(), oy + d.y()))
        elif p["button"] == Qt.MouseButton.LeftButton and self.mode == "edit":
            self._preview.setLine(self.doc.positions[v][0], self.doc.positions[v][1], pos.x(), pos.y())
            self._preview.show()

    def release(self, pos: QPointF, button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
        p = self._press
        self._press = None
        self._preview.hide()
        if p is None:
            return
        v = p["vertex"]
        if p["moved"] and v is not None and self._dragging_move():
            new = self.doc.positions[v]
            if new != p["origin"]:
                self.stack.push(MoveVertices({v: p["origin"]}, {v: new}, text=f"move vertex {self.doc.labels[v]}"))
            return
        if p["button"] == Qt.MouseButton.RightButton and not p["moved"]:
            if v is not None:
                self.selected_vertices.discard(v)
                self._push(RemoveVertex(v))
                self.selected_vertices = {w - (w > v) for w in self.selected_vertices}
            else:
                key = self.arrow_at(pos)
                if key is not None:
                    self._push(ClearArrows(*key))
            return
        if p["button"] != Qt.MouseButton.LeftButton:
            return
        if p["moved"]:
            if v is not None and self.mode == "edit":
                w = self.vertex_at(pos)
                if w is not None and w != v:
                    self._push(AddArrows(v, w, 1))
            return
        # a click
        if v is not None:
            if self.mode in ("edit", "move"):
                self.select({v})
            return
        if self.mode == "edit":
            key = self.arrow_at(pos)
            if key is not None:
                self.select(set(), key)
                return
            self.select(set())
            self._push(AddVertex((pos.x(), pos.y())))

    # ---- Qt events -------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        scene_pos = self.mapToScene(event.position().toPoint())
        if self.vertex_at(scene_pos) is None and (
            event.button() == Qt.MouseButton.MiddleButton
            or (event.button() == Qt.MouseButton.LeftButton and self.mode in ("mutate", "move"))
        ):
            self._pan = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        self.press(self.mapToScene(event.position().toPoint()), event.button(), event.modifiers())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan is not None:
            d = event.position() - self._pan
            self._pan = event.position()
            self.fitted = False
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(d.y()))
            event.accept()
            return
        self.drag_to(self.mapToScene(event.position().toPoint()))
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan is not None:
            self._pan = None
            self.viewport().setCursor(
                Qt.CursorShape.PointingHandCursor
                if self.mode == "mutate"
                else (Qt.CursorShape.OpenHandCursor if self.mode == "move" else Qt.CursorShape.CrossCursor)
            )
            event.accept()
            return
        self.release(self.mapToScene(event.position().toPoint()), event.button())
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        v = self.vertex_at(self.mapToScene(event.position().toPoint()))
        if (
            v is not None
            and self.mode == "edit"
            and event.button() == Qt.MouseButton.LeftButton
            and not event.modifiers()
        ):
            self._press = None
            self.rename_requested.emit(v)
            event.accept()
            return
        self.mousePressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.0015 ** event.angleDelta().y()
        self.zoom(factor)
        self.fitted = False
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fitted:
            self.zoom_to_fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    # ---- view ------------------------------------------------------------------------------
    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(0.05 / current, min(factor, 8.0 / current))
        self.scale(factor, factor)

    def items_rect(self) -> QRectF:
        """Bounding rectangle of the drawing (vertices and arrows) with a margin."""
        if not self.doc.size:
            return QRectF(-150, -100, 300, 200)
        xs = [p[0] for p in self.doc.positions]
        ys = [p[1] for p in self.doc.positions]
        m = style.VERTEX_RADIUS + 22
        return QRectF(min(xs) - m, min(ys) - m, max(xs) - min(xs) + 2 * m, max(ys) - min(ys) + 2 * m)

    def zoom_to_fit(self) -> None:
        """Show the whole drawing, centred, at most 1.6 times its size (and fit again on resize)."""
        rect = self.items_rect()
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.6:
            self.resetTransform()
            self.scale(1.6, 1.6)
        self.centerOn(rect.center())
        self.fitted = True

    def visible_rect(self) -> QRectF:
        """The scene rectangle the view shows now."""
        return self.mapToScene(self.viewport().rect()).boundingRect()

    # ---- theme -----------------------------------------------------------------------------
    def apply_theme(self) -> None:
        """Draw with the colours of the current palette (light or dark, :mod:`.style`)."""
        from PySide6.QtGui import QGuiApplication

        style.use(style.for_palette(QGuiApplication.palette()))
        self._restyle()

    def _restyle(self) -> None:
        """Every item again with the colours of :mod:`.style` now."""
        self.setBackgroundBrush(style.BACKGROUND)
        self._preview.setPen(QPen(style.SELECT, 1.6, Qt.PenStyle.DashLine))
        self._flash.setBrush(style.MUTATE_FLASH)
        for it in self.vertex_items:
            it.update()
        for it in self.arrow_items.values():
            it.restyle()
        self.viewport().update()

    def paint_figure(self, painter: QPainter, target: QRectF) -> None:
        """Paint the whole drawing, fitted into ``target`` (vector on SVG/PDF devices)."""
        self._finish_animation()
        was = self._preview.isVisible()
        self._preview.hide()
        for it in self.vertex_items:  # vector output: draw the items, not their cached pixmaps
            it.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        dark = style.current is not style.LIGHT
        try:
            with style.light():  # figures are drawn for paper, whatever the screen's theme
                if dark:
                    self._restyle()
                self._scene.render(painter, target, self.items_rect(), Qt.AspectRatioMode.KeepAspectRatio)
        finally:
            if dark:
                self._restyle()
            for it in self.vertex_items:
                it.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self._preview.setVisible(was)

    def data_for_export(self) -> dict:
        return {
            "exchange_matrix_full": self.doc.matrix.astype(float)
            if self.doc.matrix.dtype == object
            else self.doc.matrix,
            "positions": np.asarray(self.doc.positions, dtype=float).reshape(-1, 2),
            "frozen": np.asarray(self.doc.frozen, dtype=bool),
            "labels": list(self.doc.labels),
        }
