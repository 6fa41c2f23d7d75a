"""Quiver editor: one mutation plus redraw of a 60-vertex quiver (target: under 16 ms, one frame).

The quiver is a random mutant (300 random mutations, seed 1) of the standard D~59 quiver
(60 vertices, mutation-finite, so entries stay small), laid out with a seeded spring layout
on a 1000 x 700 canvas.  One measurement = the Mutate command pushed on the undo stack
(core mutation, document events, the graphics items of the changed arrows updated) and a
synchronous repaint of the canvas viewport (``viewport().repaint()``, every item painted).
Measured with the fade animation off (the final picture is painted at once) and on (the
synchronous part of an animated mutation; the fade itself runs on later frames).

Anchor, measured in the same run: the naive way, mutating the document and rebuilding the
whole scene (all items removed and created again) before the same repaint.

Run: ``xvfb-run -a python benchmarks/bench_quiver_editor.py`` (or QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    import numpy as np
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.gui.pyside_guard import make_none_immortal

    print("PySide6 None-refcount workaround applied:", make_none_immortal())
    from workbench_quiver.core.mutation import mutate
    from workbench_quiver.core.quiver import square_matrix
    from workbench_quiver.core.standard import standard_quiver
    from workbench_quiver.ui.canvas import QuiverCanvas
    from workbench_quiver.ui.layout import layout_positions
    from workbench_quiver.ui.model import CommandStack, Mutate, QuiverDocument

    rng = np.random.default_rng(1)
    m = square_matrix(standard_quiver("D~59"))
    n = m.shape[0]
    for _ in range(300):
        m = mutate(m, int(rng.integers(n)))
    pos = layout_positions(m, "spring", seed=1, edge=80)
    doc = QuiverDocument(m, pos)
    stack = CommandStack(doc)
    canvas = QuiverCanvas(doc, stack)
    canvas.resize(1000, 700)
    canvas.show()
    canvas.zoom_to_fit()
    for _ in range(5):
        app.processEvents()
        time.sleep(0.02)
    arrows = int(np.count_nonzero(np.triu(doc.matrix, 1)))
    print(f"quiver: {n} vertices, {arrows} arrow pairs, max multiplicity {int(np.abs(doc.matrix).max())}")

    seq = [int(k) for k in rng.integers(n, size=200)]

    def timed(fn, reps: list[int]) -> list[float]:
        out = []
        for k in reps:
            t0 = time.perf_counter()
            fn(k)
            canvas.viewport().repaint()
            out.append((time.perf_counter() - t0) * 1e3)
            app.processEvents()
        return out

    def editor_mutation(k: int) -> None:
        stack.push(Mutate(k))

    def rebuild_mutation(k: int) -> None:  # the anchor: same mutation, whole scene rebuilt
        doc.matrix = mutate(doc.matrix, k)
        canvas.rebuild()

    canvas.animate = False
    timed(editor_mutation, seq[:20])  # warm-up
    fast = timed(editor_mutation, seq)
    canvas.animate = True
    animated = timed(editor_mutation, seq)
    canvas._finish_animation()
    canvas.animate = False
    timed(rebuild_mutation, seq[:20])
    naive = timed(rebuild_mutation, seq)

    def show(name: str, xs: list[float]) -> float:
        med = statistics.median(xs)
        p95 = sorted(xs)[int(0.95 * len(xs)) - 1]
        print(f"{name:<58s} median {med:7.2f} ms   p95 {p95:7.2f} ms")
        return med

    a = show("mutation + redraw, items updated (animation off)", fast)
    b = show("mutation + redraw, items updated (animated: synchronous part)", animated)
    c = show("anchor: mutation + full scene rebuild + redraw", naive)
    print(f"ratio anchor / editor: {c / a:.1f}x (animation off), {c / b:.1f}x (animated)")
    print(f"target < 16 ms per mutation + redraw: {'met' if max(a, b) < 16 else 'NOT met'}")

    # what follows each edit off the GUI thread: the info panel's identification job
    from workbench.jobs import JobContext
    from workbench_quiver.jobs import run_summary, summary_spec

    ident = []
    for k in seq[:30]:
        stack.push(Mutate(k))
        spec = summary_spec(doc.matrix, doc.frozen)
        t0 = time.perf_counter()
        res = run_summary(spec, JobContext(device="cpu"))
        ident.append((time.perf_counter() - t0) * 1e3)
    show(f"info-panel identification job (quiet, off the GUI thread), type {res.label}", ident)
    canvas.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
