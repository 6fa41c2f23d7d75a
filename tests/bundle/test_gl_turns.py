"""The bundle panel's vispy scenes on the GUI thread (issue 13): label glyphs rasterised ahead
on another thread, and at most one scene rendered per event-loop turn."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QWidget


def _glyphs(canvas) -> set[str]:
    return set(canvas.labels._font_manager.get_font("OpenSans")._glyphs)


def _with_labels(tc):
    tc.set_face_colors(np.full((16, 16, 4), 0.7, dtype=np.float32))
    tc.set_vortices(np.array([[0.25, 0.25, 1.0, -1.0], [0.75, 0.6, -1.0, -1.0], [0.5, 0.1, 2.0, -1.0]]))
    tc.canvas.resize_to(240, 200)
    return np.array(tc.canvas.render_frame(240, 200))


def test_glyphs_prepared_on_a_thread_draw_like_cold_ones(qtbot):
    from workbench_bundle.ui import torus_view

    torus_view._READY_FONTS.clear()
    worker = threading.Thread(target=torus_view.prepare_glyphs)
    worker.start()
    worker.join()
    warm = torus_view.TorusCanvas(16)
    assert _glyphs(warm) >= set(torus_view.TORUS_CHARS)  # before any draw
    assert "torus" not in torus_view._READY_FONTS  # taken: one canvas per atlas (GL context)
    cold = torus_view.TorusCanvas(16)
    assert _glyphs(cold) == set()
    prepared = _glyphs(warm)
    image_warm, image_cold = _with_labels(warm), _with_labels(cold)
    assert _glyphs(warm) == prepared  # drawing loaded no glyph on this thread
    assert set() < _glyphs(cold) <= prepared  # what drawing loads (here, on this thread) was prepared
    assert np.array_equal(image_warm, image_cold)
    zeros = np.array([[0.25, 0.25, 1.0, -1.0], [0.75, 0.6, -1.0, -1.0], [0.5, 0.1, 2.0, -1.0]])
    warm.set_vortices(zeros, show_labels=False)
    unlabelled = np.array(warm.canvas.render_frame(240, 200))
    assert (unlabelled != image_warm).any(1).sum() > 20  # the labels are drawn, from the prepared atlas
    sphere = torus_view.SphereCanvas()
    assert set(sphere.axis_labels._font_manager.get_font("OpenSans")._glyphs) >= set("d_xyz")


def test_views_render_one_per_turn(qtbot):
    from workbench_bundle.ui.gl_view import _RenderTurns
    from workbench_bundle.ui.torus_view import SphereCanvas, TorusCanvas

    tc, sc = TorusCanvas(16), SphereCanvas()
    host = QWidget()
    qtbot.addWidget(host)
    lay = QHBoxLayout(host)
    lay.addWidget(tc.widget)
    lay.addWidget(sc.widget)
    host.resize(500, 300)
    host.show()
    qtbot.waitUntil(lambda: tc.widget.frames > 0 and sc.widget.frames > 0, timeout=20000)
    qtbot.waitUntil(lambda: not _RenderTurns.views, timeout=5000)
    _RenderTurns.timer.stop()
    before = (tc.widget.frames, sc.widget.frames)
    tc.canvas.update()
    sc.canvas.update()
    assert _RenderTurns.views == [tc.widget, sc.widget]
    tc.canvas.update()  # a second change before the render shares it
    assert _RenderTurns.views == [tc.widget, sc.widget]
    _RenderTurns.timer.stop()
    _RenderTurns._next()  # one turn: one render
    assert (tc.widget.frames, sc.widget.frames) == (before[0] + 1, before[1])
    qtbot.waitUntil(lambda: sc.widget.frames == before[1] + 1, timeout=5000)  # the next turn
