"""A vispy scene shown in a plain (raster) QWidget: rendered off the screen into an image.

Why not embed ``canvas.native`` (a ``QOpenGLWidget``)?  A ``QOpenGLWidget`` anywhere in a
window makes Qt compose the *whole* window through OpenGL on every repaint of any widget in it.
With Mesa's software renderer (llvmpipe: Xvfb, remote desktops, machines without a GPU
driver) that composition costs 60-120 ms per repaint of a 1200 x 800 window, so changing one
label's text froze the GUI thread for 100 ms and each slider step of the bundle panel for
150-250 ms (measured with a 10 ms heartbeat timer), in every panel of the main window while
the bundle panel was open.  Here the canvas stays a hidden, parentless widget that only holds
the GL context; :class:`GLImageView` renders the scene into a framebuffer at its own size when
the scene changes (one render per event-loop turn however many changes), reads it back and
paints the image: the window stays a raster window and a scene update costs one render
(about 10-30 ms in llvmpipe at 600 x 600; well under 1 ms on a GPU).

While the scene changes quickly (a slider dragged, the camera turned: renders requested less
than :data:`SETTLE_MS` apart) frames are drafts at :data:`DRAFT_SCALE` of the resolution
(software GL rasterises a quarter of the pixels), and the full-resolution frame follows once
the changes pause.

Mouse and wheel events of the view are handed to the canvas's own Qt handlers, so vispy's
cameras (turntable rotation, zoom) work as they do on a visible canvas; positions agree
because the canvas is kept at the view's size.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget
from vispy import gloo, scene
from vispy.app.canvas import set_current_canvas

#: resolution of the frames drawn while the scene changes quickly, and how long a pause ends that
DRAFT_SCALE, SETTLE_MS = 0.5, 250


class OffscreenSceneCanvas(scene.SceneCanvas):
    """A SceneCanvas that tells ``on_update`` whenever it would repaint (the scene, a camera,
    a visual changed), instead of relying on a visible widget's paint events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.on_update: Any = None
        self._fbo: tuple[tuple[int, int], Any] | None = None
        super().__init__(*args, **kwargs)

    def update(self, node: Any = None) -> None:
        super().update(node)
        if self.on_update is not None:
            self.on_update()

    def set_current(self, event: Any = None) -> None:
        """Make this canvas's GL context current.  The hidden ``QOpenGLWidget`` never becomes
        valid, so vispy's ``set_current`` would leave whichever context was current (another
        canvas's: framebuffers are never shared between contexts, so drawing fails with
        GL_INVALID_FRAMEBUFFER_OPERATION); the backend's own off-screen context is used instead."""
        native = self._backend
        ctx, surface = getattr(native, "_secondary_context", None), getattr(native, "_surface", None)
        if ctx is not None and surface is not None and not native.isValid():
            ctx.makeCurrent(surface)
            set_current_canvas(self)
            return
        super().set_current(event)

    def resize_to(self, width: int, height: int) -> None:
        """Resize the canvas and tell the scene (cameras, viewports): a hidden QOpenGLWidget is
        never initialised, so Qt does not call its resizeGL, which emits vispy's resize event."""
        self.size = (width, height)
        self._backend._vispy_set_physical_size(width, height)
        self.events.resize(size=(width, height), physical_size=(width, height))

    def render_frame(self, width: int, height: int) -> np.ndarray:
        """The scene at the canvas's size rendered into a (height, width, 4) uint8 array, through
        a framebuffer kept between frames of the same size (``render`` allocates one each call)."""
        self.set_current()
        size = (int(height), int(width))
        if self._fbo is None or self._fbo[0] != size:
            self._fbo = (size, gloo.FrameBuffer(color=gloo.RenderBuffer(size), depth=gloo.RenderBuffer(size)))
        fbo = self._fbo[1]
        self.push_fbo(fbo, (0, 0), self.size)
        try:
            self._draw_scene()
            return fbo.read()
        finally:
            self.pop_fbo()


class _RenderTurns:
    """The pending renders of every :class:`GLImageView`, one per event-loop turn: a software-GL
    render costs 10-30 ms, and a view's first one (compiling its shaders) 0.2-2 s on a busy
    machine, so the torus and the sphere rendered in one turn made one long stall of the GUI
    thread (issue 13); in turns, the events between them are handled."""

    views: list[GLImageView] = []
    timer: QTimer | None = None

    @classmethod
    def add(cls, view: GLImageView) -> None:
        if view not in cls.views:
            cls.views.append(view)
        if cls.timer is None or not shiboken6.isValid(cls.timer):
            cls.timer = QTimer(QCoreApplication.instance())  # goes with the application, never after it
            cls.timer.setSingleShot(True)
            cls.timer.setInterval(1)  # a timer, not a call posted into the same turn
            cls.timer.timeout.connect(cls._next)
        if not cls.timer.isActive():
            cls.timer.start()

    @classmethod
    def pending(cls, view: GLImageView) -> bool:
        return view in cls.views

    @classmethod
    def discard(cls, view: GLImageView) -> None:
        if view in cls.views:
            cls.views.remove(view)

    @classmethod
    def _next(cls) -> None:
        while cls.views:
            view = cls.views.pop(0)
            if shiboken6.isValid(view):  # not deleted meanwhile (its panel closed)
                view.render_now()
                break
        if cls.views and cls.timer is not None:
            cls.timer.start()


class GLImageView(QWidget):
    """Shows ``canvas`` (an :class:`OffscreenSceneCanvas`) and forwards mouse input to it."""

    def __init__(self, canvas: OffscreenSceneCanvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.image: QImage | None = None
        #: renders done (tests and benchmarks read it)
        self.frames = 0
        #: whether the last frame was a draft (a full-resolution one is on its way)
        self.draft = False
        self._rendering = False
        self._last_request = 0.0
        self._quick = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._render_full)
        canvas.on_update = self.schedule
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def sizeHint(self) -> QSize:
        w, h = self.canvas.size
        return QSize(int(w), int(h))

    def schedule(self) -> None:
        """Render at a coming event-loop turn, at most one view's render per turn (changes until
        then share one render); a request soon after the previous one makes the next frame a
        draft."""
        if self._rendering or _RenderTurns.pending(self):
            return
        now = time.monotonic()
        self._quick = (now - self._last_request) * 1000 < SETTLE_MS
        self._last_request = now
        _RenderTurns.add(self)

    def _render_full(self) -> None:
        self._quick = False
        self.render_now()

    def render_now(self, draft: bool | None = None) -> None:
        """Render the scene at the widget's size, or at DRAFT_SCALE of it while changes come
        quickly (``draft`` forces either); nothing while hidden: shown, it renders."""
        _RenderTurns.discard(self)
        w, h = self.width(), self.height()
        if not self.isVisible() or w < 2 or h < 2:
            return
        draft = self._quick if draft is None else draft
        scale = DRAFT_SCALE if draft else 1.0
        rw, rh = max(2, int(w * scale)), max(2, int(h * scale))
        self._rendering = True
        try:
            if tuple(int(v) for v in self.canvas.size) != (w, h):
                self.canvas.resize_to(w, h)
            rgba = np.ascontiguousarray(self.canvas.render_frame(rw, rh))
        finally:
            self._rendering = False
        self.image = QImage(rgba.data, rw, rh, 4 * rw, QImage.Format.Format_RGBA8888).copy()
        self.frames += 1
        self.draft = draft
        if draft:
            self._settle.start()
        else:
            self._settle.stop()
        self.update()

    # ---- Qt ---------------------------------------------------------------------------------
    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        if self.image is not None and self.image.size() == self.size():
            painter.drawImage(0, 0, self.image)
        elif self.image is not None and self.draft:  # a draft, scaled up
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.rect(), self.image)
        else:
            bg = self.canvas.bgcolor.rgba
            painter.fillRect(self.rect(), QColor.fromRgbF(*bg))
            if self.image is not None:  # a resize is being rendered: the last frame, scaled
                painter.drawImage(self.rect(), self.image)
            self.schedule()
        painter.end()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.schedule()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.schedule()

    def mousePressEvent(self, event: Any) -> None:
        self.canvas.native.mousePressEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        self.canvas.native.mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:
        self.canvas.native.mouseMoveEvent(event)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        self.canvas.native.mouseDoubleClickEvent(event)

    def wheelEvent(self, event: Any) -> None:
        self.canvas.native.wheelEvent(event)
