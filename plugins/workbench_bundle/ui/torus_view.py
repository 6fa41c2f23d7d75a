"""vispy views: the torus coloured per face, vortices at the zeros of F, and the image of the
torus on the sphere under d / |d|.  Shown in Qt through ``.widget``, a raster
:class:`workbench_bundle.ui.gl_view.GLImageView` of the off-screen canvas (see there why the
canvas's own ``QOpenGLWidget`` is not embedded)."""

from __future__ import annotations

import threading

import numpy as np
import vispy

vispy.use(app="pyside6")

from vispy import scene  # noqa: E402
from vispy.gloo import Texture2D  # noqa: E402
from vispy.visuals.filters import TextureFilter  # noqa: E402
from vispy.visuals.text.text import FontManager  # noqa: E402

from .gl_view import GLImageView, OffscreenSceneCanvas  # noqa: E402

#: the characters vispy's Text loads for any label: the line-height probes of its layout
#: (``vispy.visuals.text.text._text_to_vbo``) and the space
_LAYOUT_CHARS = "ÅÉÑŐjgpqy "
#: the characters the two scenes' labels use: windings (+1, -2, ...) and the sphere's axes
TORUS_CHARS, SPHERE_CHARS = "+-0123456789" + _LAYOUT_CHARS, "d_xz" + _LAYOUT_CHARS


#: font managers with the labels' glyphs already loaded, one waiting per kind of canvas
_READY_FONTS: dict[str, FontManager] = {}
_FONTS_LOCK = threading.Lock()


def prepare_glyphs() -> None:
    """Make a font manager for the next torus canvas and one for the next sphere canvas, with
    every label character already in their glyph atlases (any thread; the bundle panel's
    ``prepare_in_background`` calls it before the canvases exist).

    vispy rasterises each new glyph at 256 pt through freetype and computes its signed distance
    field on the CPU when a label first draws: 50-140 ms a character on a busy 2-core machine,
    1.6 s of the bundle panel's first render.  None of that needs a GL context (the atlas
    update is queued until the texture is first drawn), so it can run off the GUI thread."""
    for which, chars in (("torus", TORUS_CHARS), ("sphere", SPHERE_CHARS)):
        with _FONTS_LOCK:
            if which in _READY_FONTS:
                continue
        manager = FontManager(method="cpu")
        font = manager.get_font("OpenSans")  # vispy Text's default face (the key has no size)
        for c in chars:
            font[c]
        with _FONTS_LOCK:
            _READY_FONTS.setdefault(which, manager)


def _font_manager(which: str) -> FontManager:
    """A font manager for one new canvas of kind ``which`` ("torus" or "sphere"): the prepared
    one if there is one (each is used by one canvas only: an atlas is a texture of one GL
    context), else a new, empty one."""
    with _FONTS_LOCK:
        manager = _READY_FONTS.pop(which, None)
    return manager if manager is not None else FontManager(method="cpu")


R_MAJOR, R_MINOR = 2.0, 0.8
SPHERE_MAX = 64
#: far / near clipping distance of the cameras (vispy's default 1e6 leaves a 16-bit depth
#: buffer, as in off-screen framebuffers, unable to tell the map at r = 1.005 from the sphere
#: at r = 0.985: the map vanished from renders and exports)
DEPTH_RANGE = 100.0
SPHERE_DISTANCE = 5.6
GEOMETRY = (96, 48)  # quads of the drawn torus surface (colours come from the texture; more
# quads cost GUI time in software GL: 160 x 80 painted in 45-75 ms, 96 x 48 in 25)


def torus_xyz(x: np.ndarray, y: np.ndarray, lift: float = 0.0) -> np.ndarray:
    """Embedding of (x, y) in [0, 1)^2 (x along the big circle, y around the tube), in 3D."""
    a, b = 2 * np.pi * x, 2 * np.pi * y
    r = R_MAJOR + (R_MINOR + lift) * np.cos(b)
    return np.stack([r * np.cos(a), r * np.sin(a), (R_MINOR + lift) * np.sin(b)], axis=-1)


def grid_mesh(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertices on an (n+1) x (n+1) grid of [0, 1]^2 (the seam vertices duplicated, so per-face
    colours never wrap across it) and 2 n^2 triangles; face 2 (i n + j) + {0, 1} is cell (i, j)."""
    t = np.arange(n + 1) / n
    xx, yy = np.meshgrid(t, t, indexing="ij")
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
    c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    faces = np.empty((2 * n * n, 3), dtype=np.uint32)
    faces[0::2] = np.stack([a, b, c], -1)
    faces[1::2] = np.stack([a, c, d], -1)
    return np.stack([xx.ravel(), yy.ravel()], -1), faces


class TorusCanvas:
    """A SceneCanvas with the torus mesh and vortex markers; ``set_face_colors`` recolours in place."""

    def __init__(self, n: int = 128, bgcolor: str = "white") -> None:
        self.canvas = OffscreenSceneCanvas(keys=None, bgcolor=bgcolor, size=(480, 400), show=False)
        self.widget = GLImageView(self.canvas)
        self.view = self.canvas.central_widget.add_view()
        self.view.camera = scene.TurntableCamera(fov=35, elevation=35, azimuth=30, distance=12.0)
        self.view.camera.depth_value = DEPTH_RANGE
        self.mesh = scene.visuals.Mesh(parent=self.view.scene, shading=None)
        self.markers = scene.visuals.Markers(parent=self.view.scene)
        self.markers.set_gl_state("translucent", depth_test=True)
        self.labels = scene.visuals.Text(
            "", parent=self.view.scene, color="black", font_size=9, font_manager=_font_manager("torus")
        )
        self.labels.set_gl_state("translucent", depth_test=True)
        self.arrows = scene.visuals.Line(
            parent=self.view.scene, connect="segments", color=(0.1, 0.1, 0.1, 1.0), width=1.5
        )
        self.arrows.visible = False
        self.n = 0
        self.set_grid(n)
        _keep_fitted(self.canvas, self.view.camera)

    def set_grid(self, n: int) -> None:
        """Prepare an n x n colour grid.  Faces are coloured through an n x n RGBA texture sampled
        with nearest interpolation (one texel per cell; texture coordinates of the duplicated seam
        vertices at exactly 0 and 1, so nothing wraps across the seam), so a recolour uploads n^2
        texels only.  The geometry is a smooth torus of GEOMETRY quads, independent of n."""
        if n == self.n:
            return
        self.n = n
        if getattr(self, "texture_filter", None) is None:
            g1, g2 = GEOMETRY
            t1, t2 = np.arange(g1 + 1) / g1, np.arange(g2 + 1) / g2
            xx, yy = np.meshgrid(t1, t2, indexing="ij")
            uv = np.stack([xx.ravel(), yy.ravel()], -1)
            idx = np.arange((g1 + 1) * (g2 + 1)).reshape(g1 + 1, g2 + 1)
            a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
            c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
            faces = np.concatenate([np.stack([a, b, c], -1), np.stack([a, c, d], -1)]).astype(np.uint32)
            self.vertices = torus_xyz(uv[:, 0], uv[:, 1]).astype(np.float32)
            self.faces = faces
            self.mesh.set_data(vertices=self.vertices, faces=faces, color=(1, 1, 1, 1))
            self.texture_filter = TextureFilter(np.zeros((2, 2, 4), np.uint8), uv.astype(np.float32))
            self.mesh.attach(self.texture_filter)
        tex = np.full((n, n, 4), 200, dtype=np.uint8)
        self.texture = Texture2D(tex, interpolation="nearest", wrapping="clamp_to_edge")
        self.texture_filter.fshader["u_texture"] = self.texture

    def set_face_colors(self, rgba: np.ndarray) -> None:
        """rgba: (n, n, 4) floats in [0, 1] per cell (cell (i, j) between x = i/n..(i+1)/n,
        y = j/n..(j+1)/n)."""
        n = rgba.shape[0]
        self.set_grid(n)
        tex = (np.clip(rgba, 0, 1) * 255).astype(np.uint8).transpose(1, 0, 2)  # texel [row = y, col = x]
        self.texture.set_data(np.ascontiguousarray(tex))
        self.mesh.update()

    def set_vortices(self, zeros: np.ndarray, show_labels: bool = True) -> None:
        """zeros: (Z, 4) x, y, winding, G.  Filled discs (+1 dark red, -1 dark blue); rings where
        G >= 0 (not contributing to C), labels with the winding."""
        if zeros is None or len(zeros) == 0:
            self.markers.visible = False
            self.labels.text = ""
            return
        self.markers.visible = True
        pos = torus_xyz(zeros[:, 0], zeros[:, 1], lift=0.03)
        w = zeros[:, 2]
        face = np.where((w > 0)[:, None], [0.6, 0.0, 0.0, 1.0], [0.0, 0.1, 0.6, 1.0])
        contributes = zeros[:, 3] < 0
        face = np.where(contributes[:, None], face, [1, 1, 1, 0.0])
        edge = np.where((w > 0)[:, None], [0.6, 0.0, 0.0, 1.0], [0.0, 0.1, 0.6, 1.0])
        self.markers.set_data(pos, face_color=face, edge_color=edge, size=10, edge_width=2)
        if show_labels and len(zeros) <= 60:
            self.labels.text = [f"{int(v):+d}" for v in w]
            self.labels.pos = torus_xyz(zeros[:, 0], zeros[:, 1], lift=0.25)
            # in the marker's colour: the labels lie on the surface, light in either theme where
            # the field is small (the theme's text colour was white on white in the dark theme)
            self.labels.color = edge
        else:
            self.labels.text = ""

    def set_arrows(self, phase: np.ndarray | None, count: tuple[int, int] = (36, 16)) -> None:
        """Arrow glyphs of a section component: at a coarse grid of the torus, a short segment in
        the tangent plane pointing at angle ``phase`` (from the x direction towards y), with a dot
        of a head.  ``phase``: (n, n) radians at face centres, or None to hide."""
        if phase is None:
            self.arrows.visible = False
            return
        n = phase.shape[0]
        i = (np.arange(count[0]) * n) // count[0]
        j = (np.arange(count[1]) * n) // count[1]
        ii, jj = np.meshgrid(i, j, indexing="ij")
        th = phase[ii, jj].ravel()
        x, y = (ii.ravel() + 0.5) / n, (jj.ravel() + 0.5) / n
        a, b = 2 * np.pi * x, 2 * np.pi * y
        t1 = np.stack([-np.sin(a), np.cos(a), np.zeros_like(a)], -1)
        t2 = np.stack([-np.sin(b) * np.cos(a), -np.sin(b) * np.sin(a), np.cos(b)], -1)
        direction = np.cos(th)[:, None] * t1 + np.sin(th)[:, None] * t2
        base = torus_xyz(x, y, lift=0.02)
        length = 0.12
        tip = base + length * direction
        # head: two short barbs
        normal = np.cross(t1, t2)
        side = np.cross(normal, direction)
        barb1 = tip - 0.05 * direction + 0.03 * side
        barb2 = tip - 0.05 * direction - 0.03 * side
        seg = np.stack([base, tip, tip, barb1, tip, barb2], axis=1).reshape(-1, 3).astype(np.float32)
        self.arrows.set_data(pos=seg)
        self.arrows.visible = True

    def clear(self) -> None:
        """Grey faces, no vortices, no arrows (nothing computed to show)."""
        self.set_face_colors(np.full((self.n, self.n, 4), 0.8, dtype=np.float32))
        self.set_vortices(np.zeros((0, 4)))
        self.set_arrows(None)

    def set_theme(self, colours: dict[str, tuple[float, float, float, float]]) -> None:
        """Background and arrow colours (:func:`workbench_bundle.ui.look.gl_colours`); the winding
        labels take their vortex's colour (:meth:`set_vortices`), on the surface in any theme."""
        self.canvas.bgcolor = colours["background"]
        self.arrows.set_data(color=colours["arrows"])
        self.canvas.update()

    def reset_view(self) -> None:
        cam = self.view.camera
        cam.elevation, cam.azimuth, cam.distance = 35.0, 30.0, 12.0 * _fit(self.canvas.size)
        cam.center = (0, 0, 0)

    def render(self, width: int, height: int, transparent: bool = False) -> np.ndarray:
        """Off-screen render at width x height: (h, w, 4) uint8, framed as on screen."""
        return _render(self.canvas, self.view.camera, width, height, transparent)


class SphereCanvas:
    """The image of the torus grid under d / |d| drawn on the unit sphere (same face colours)."""

    def __init__(self, bgcolor: str = "white") -> None:
        self.canvas = OffscreenSceneCanvas(keys=None, bgcolor=bgcolor, size=(320, 320), show=False)
        self.widget = GLImageView(self.canvas)
        self.view = self.canvas.central_widget.add_view()
        self.view.camera = scene.TurntableCamera(fov=35, elevation=20, azimuth=30, distance=SPHERE_DISTANCE)
        self.view.camera.depth_value = DEPTH_RANGE
        self.sphere = scene.visuals.Sphere(
            radius=0.985,
            rows=18,
            cols=36,
            method="latitude",
            parent=self.view.scene,
            color=(0.92, 0.92, 0.92, 1.0),
            edge_color=(0.75, 0.75, 0.75, 1.0),
        )
        self.sphere.mesh.set_gl_state("opaque", depth_test=True)
        self.mesh = scene.visuals.Mesh(parent=self.view.scene, shading=None)
        self.mesh.set_gl_state("translucent", depth_test=True, cull_face=False)
        self.axes = scene.visuals.XYZAxis(parent=self.view.scene)
        self.axes.transform = scene.transforms.STTransform(scale=(1.3, 1.3, 1.3))
        # the axes are those of d / |d|: x red, y green, z blue (XYZAxis's colours), labelled
        self.axis_labels = scene.visuals.Text(
            ["d_x", "d_y", "d_z"],
            parent=self.view.scene,
            font_size=10,
            pos=np.array([[1.5, 0, 0], [0, 1.5, 0], [0, 0, 1.5]], np.float32),
            color=[(0.85, 0.1, 0.1, 1), (0.1, 0.65, 0.1, 1), (0.2, 0.3, 0.95, 1)],
            font_manager=_font_manager("sphere"),
        )
        _keep_fitted(self.canvas, self.view.camera)

    def set_map(self, dhat: np.ndarray, rgba: np.ndarray) -> None:
        """dhat: (n, n, 3) at the grid vertices (periodic), rgba: (n, n, 4) per face."""
        step = max(1, dhat.shape[0] // SPHERE_MAX)  # the wrapping shows at 64 x 64 already
        dhat, rgba = dhat[::step, ::step], rgba[::step, ::step]
        n = dhat.shape[0]
        ext = np.concatenate([dhat, dhat[:1]], axis=0)
        ext = np.concatenate([ext, ext[:, :1]], axis=1).reshape(-1, 3).astype(np.float32)
        _, faces = grid_mesh(n)
        fc = np.repeat(rgba.reshape(-1, 4), 2, axis=0).copy()
        fc[:, 3] = 0.55
        self.mesh.set_data(vertices=ext * 1.005, faces=faces, face_colors=fc)
        self.mesh.visible = True

    def clear(self) -> None:
        """The bare sphere (nothing computed to show)."""
        self.mesh.visible = False

    def set_theme(self, colours: dict[str, tuple[float, float, float, float]]) -> None:
        """Background and bare-sphere colours (:func:`workbench_bundle.ui.look.gl_colours`)."""
        self.canvas.bgcolor = colours["background"]
        self.sphere.mesh.set_data(
            vertices=self.sphere.mesh.mesh_data.get_vertices(),
            faces=self.sphere.mesh.mesh_data.get_faces(),
            color=colours["sphere"],
        )
        self.sphere.border.set_data(color=colours["sphere_edges"])
        self.canvas.update()

    def reset_view(self) -> None:
        cam = self.view.camera
        cam.elevation, cam.azimuth, cam.distance = 20.0, 30.0, SPHERE_DISTANCE * _fit(self.canvas.size)
        cam.center = (0, 0, 0)

    def render(self, width: int, height: int, transparent: bool = False) -> np.ndarray:
        """Off-screen render at width x height: (h, w, 4) uint8, the sphere centred and whole."""
        return _render(self.canvas, self.view.camera, width, height, transparent)


def _fit(size: tuple[int, int]) -> float:
    """Camera distance factor keeping the scene whole in a canvas of ``size`` (w, h): a
    turntable camera's field of view is vertical, so a canvas narrower than tall needs the
    camera further away by h / w."""
    w, h = max(int(size[0]), 1), max(int(size[1]), 1)
    return max(1.0, h / w)


def _keep_fitted(canvas: scene.SceneCanvas, camera: scene.TurntableCamera) -> None:
    """Rescale the camera distance when the canvas changes shape, keeping the user's zoom."""
    state = {"fit": _fit(canvas.size)}

    def resized(_event: object) -> None:
        new = _fit(canvas.size)
        if camera.distance is not None:
            camera.distance = camera.distance * new / state["fit"]
        state["fit"] = new

    canvas.events.resize.connect(resized)


def _render(
    canvas: scene.SceneCanvas, camera: scene.TurntableCamera, width: int, height: int, transparent: bool
) -> np.ndarray:
    """Render off the screen into (height, width, 4) uint8: the canvas as framed on screen, at
    the largest size of the canvas's shape that fits, centred on the background (vispy renders
    the canvas region at any output size, so another shape would stretch the scene)."""
    width, height = max(int(width), 1), max(int(height), 1)
    cw, ch = (max(int(v), 1) for v in canvas.size)
    scale = min(width / cw, height / ch)
    rw, rh = min(width, max(1, round(cw * scale))), min(height, max(1, round(ch * scale)))
    bg = canvas.bgcolor.rgba
    old_bg = canvas.bgcolor
    if transparent:
        canvas.bgcolor = (bg[0], bg[1], bg[2], 0.0)
    try:
        img = canvas.render(size=(rw, rh), alpha=True)
    finally:
        canvas.bgcolor = old_bg
    out = np.empty((height, width, 4), dtype=np.uint8)
    out[:] = np.round(np.array(bg) * 255).astype(np.uint8)
    if transparent:
        out[..., 3] = 0
    y0, x0 = (height - img.shape[0]) // 2, (width - img.shape[1]) // 2
    out[y0 : y0 + img.shape[0], x0 : x0 + img.shape[1]] = img[:height, :width]
    return out
