"""Benchmarks of the bundle plugin: ``python benchmarks/bench_bundle.py [--quick]``.

1. FHS Chern number on a 1024 x 1024 grid (target < 0.2 s); anchor: the straightforward loop
   implementation (fhs.chern_naive) on a 128 x 128 grid, extrapolated per plaquette.
2. Labelled Haldane bundle samples (target: 12,500 in < 1 min); anchor: the numerical label
   integral (finite-difference Berry curvature on a 400 x 400 grid) on a few samples.
3. Recolouring the 256 x 256 torus mesh (target >= 30 fps on software OpenGL; needs a display:
   run under xvfb-run with QT_QPA_PLATFORM=xcb, skipped otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def bench_fhs() -> None:
    from workbench_bundle.core import fhs, models

    b = models.band_data(models.ModelSpec.make("haldane", {}), 1024)
    fhs.chern_number(b.states)
    ts = []
    for _ in range(5):
        t = time.perf_counter()
        r = fhs.chern_number(b.states)
        ts.append(time.perf_counter() - t)
    fast = min(ts)
    small = models.band_data(models.ModelSpec.make("haldane", {}), 128)
    t = time.perf_counter()
    c_naive = fhs.chern_naive(small.states)
    naive = (time.perf_counter() - t) * (1024 / 128) ** 2
    print(
        f"FHS 1024x1024: {fast:.3f} s (C = {r.chern}; target < 0.2 s) | naive loop, extrapolated from 128x128 "
        f"(C = {c_naive}): {naive:.1f} s | speed-up {naive / fast:.0f}x"
    )


def bench_labels(quick: bool) -> None:
    from workbench_bundle.core import haldane_bundle as hb

    rng = np.random.default_rng(0)
    cf, cg = hb.random_coefficients(rng, 3)
    t = time.perf_counter()
    vals = [hb.label_by_integration(cf[i], cg[i]) for i in range(3)]
    per_integral = (time.perf_counter() - t) / 3
    n = 2000 if quick else 12500
    t = time.perf_counter()
    ds = hb.generate_dataset(n, 32, seed=0, balance=False, classes=tuple(range(-40, 41)))
    unbal = time.perf_counter() - t
    print(
        f"labelled samples (natural class mix, grid 32): {n} in {unbal:.1f} s = {unbal / n * 1e3:.2f} ms/sample "
        f"(target 12,500 in < 60 s) | label integral anchor: {per_integral:.2f} s/sample (values {vals}) | "
        f"speed-up {per_integral / (unbal / n):.0f}x"
    )
    m = 1000 if quick else 12500
    t = time.perf_counter()
    ds = hb.generate_dataset(m, 32, seed=1)
    bal = time.perf_counter() - t
    print(
        f"balanced over C in -2..2: {m} in {bal:.1f} s ({ds.provenance['candidates']} candidates) = "
        f"{bal / m * 1e3:.2f} ms/sample"
    )


def _renderer(tc) -> str:
    try:
        from vispy.gloo import gl

        tc.canvas.context.set_current() if hasattr(tc.canvas.context, "set_current") else None
        return str(gl.glGetParameter(gl.GL_RENDERER))
    except Exception:  # noqa: BLE001 - informational only
        return "OpenGL"


def bench_recolour() -> None:
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" or not os.environ.get("DISPLAY"):
        print("recolour fps: skipped (needs OpenGL: run under xvfb-run -a with QT_QPA_PLATFORM=xcb)")
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.jobs import JobContext
    from workbench_bundle import jobs
    from workbench_bundle.ui import colors
    from workbench_bundle.ui.torus_view import TorusCanvas

    tc = TorusCanvas(256)
    tc.widget.resize(800, 600)  # the panel's raster view of the off-screen canvas (ui/gl_view.py)
    tc.widget.show()
    views = []
    for m in np.linspace(-1, 1, 8):
        v = jobs.run_view(
            jobs.ViewSpec(params=(("m", float(m)), ("phi", 1.2), ("t1", 1.0), ("t2", 0.3)), grid=256), JobContext()
        )
        views.append(colors.face_colors(v, "curvature"))
    for _ in range(5):
        app.processEvents()
    frames = 60
    t = time.perf_counter()
    for k in range(frames):
        tc.set_face_colors(views[k % len(views)])
        tc.widget.render_now(draft=False)
        tc.widget.repaint()
        app.processEvents()
    fps = frames / (time.perf_counter() - t)
    t = time.perf_counter()
    for k in range(10):
        jobs.run_view(jobs.ViewSpec(params=(("m", 0.1 * k),), grid=256), JobContext())
    compute = (time.perf_counter() - t) / 10
    print(
        f"recolour 256x256 torus cells (texture) + render 800x600 on {_renderer(tc)}: {fps:.1f} fps (target >= 30) "
        f"| anchor: computing a 256x256 view "
        f"(states + FHS + fields) takes {compute * 1e3:.0f} ms"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer samples")
    args = ap.parse_args()
    print(
        f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
        "(numbers scale with contention)"
    )
    bench_fhs()
    bench_recolour()
    bench_labels(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
