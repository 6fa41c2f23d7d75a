"""GUI-thread stalls in the standard flows of the workbench (issue 13).

A 10 ms heartbeat QTimer runs on the GUI thread while a flow is driven through the panels'
public actions, in the real main window; a stall shows as a long gap between two ticks.  For
each flow: the largest gap and the 99th percentile of the gaps (ms), against the targets
(100 ms; 50 ms while dragging a slider or mutating), printed as ratios (< 1 meets the
target), and the gaps measured with the window idle in the same process (the anchor: what
the machine's load alone costs).

Flows: open each panel (a fresh process each, as a user's first click: the panel's imports
are part of it; once with an empty configuration folder, "first time", and once more with
the folder that run left, "later starts", when the modules its constructor imported are
imported ahead off the GUI thread; the round-2 panels, micrograph, diffusion ID, concepts and
equivariant, too), open the first four at once (the same two ways), and in one
process with the panels
open: drag a bundle slider (40 steps at 60 Hz), mutate the quiver 50 times (one click every
60 ms), enumerate the mutation class of D~10, a PGD sweep, a GNN explanation (GNNExplainer,
the panel's default) of D~6.  Each flow lasts until its panel has no job left.

Run under a display: xvfb-run -a -s "-screen 0 1600x1200x24" env QT_QPA_PLATFORM=xcb python
benchmarks/bench_gui_stall.py [--flows open:quiver,interact] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from typing import Any

PANELS = ("quiver", "bundle", "repsim", "adversarial")
#: the round-2 panels: each opened alone ("open all" stays the first four)
ROUND2 = ("micrograph", "diffusion_id", "concepts", "equivariant")
TARGET_MS = 100.0
INTERACTIVE_TARGET_MS = 50.0
HEARTBEAT_MS = 10


# ---------------------------------------------------------------------- in the child process
class Heartbeat:
    """Ticks every 10 ms on the GUI thread; ``gaps_ms()`` between consecutive ticks."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.ticks: list[float] = []

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        self.ticks.append(time.perf_counter())  # a stall at the very end counts too
        return self.gaps_ms()

    def gaps_ms(self) -> list[float]:
        return [(b - a) * 1000.0 for a, b in zip(self.ticks, self.ticks[1:], strict=False)]


class StallSampler:
    """With ``--diagnose``: a thread that, whenever the heartbeat has not ticked for 60 ms,
    samples what the GUI thread is running (its Python stack); ``top()`` names the frames
    seen most often in stalls (each sample stands for about 20 ms)."""

    def __init__(self, beat: Heartbeat) -> None:
        import threading

        self.beat = beat
        self.main_id = threading.main_thread().ident
        self.samples: dict[str, int] = {}
        self.timeline: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        import gc

        self.gc_ms: list[tuple[int, float]] = []  # (generation, ms) of each cyclic collection
        self._gc_t0 = 0.0
        gc.callbacks.append(self._gc)
        self._thread.start()

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        """Times the cyclic collector (any thread's: it holds the GIL, so it stalls them all)."""
        if phase == "start":
            self._gc_t0 = time.perf_counter()
        else:
            self.gc_ms.append((int(info["generation"]), (time.perf_counter() - self._gc_t0) * 1000))

    def _run(self) -> None:
        import traceback

        while not self._stop.wait(0.02):
            ticks = self.beat.ticks
            if not ticks or time.perf_counter() - ticks[-1] < 0.06:
                continue
            frame = sys._current_frames().get(self.main_id)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            own = [f for f in stack if "bench_gui_stall" not in f.filename]
            key = " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(own[-4:]))
            self.samples[key] = self.samples.get(key, 0) + 1
            self.timeline.append((time.perf_counter(), key or "(Qt / C++ code, no Python frame)"))

    def stop(self) -> list[tuple[str, int]]:
        import gc

        self._stop.set()
        self._thread.join()
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        return sorted(self.samples.items(), key=lambda kv: -kv[1])[:8]

    def longest(self, n: int = 3) -> list[tuple[float, list[str]]]:
        """The ``n`` longest gaps (ms) with what was sampled in each."""
        ticks = self.beat.ticks
        gaps = sorted(zip(ticks, ticks[1:], strict=False), key=lambda ab: ab[0] - ab[1])[:n]
        out = []
        for a, b in gaps:
            seen: dict[str, int] = {}
            for t, key in self.timeline:
                if a <= t <= b:
                    seen[key] = seen.get(key, 0) + 1
            out.append(((b - a) * 1000, [f"{c}x {k}" for k, c in sorted(seen.items(), key=lambda kv: -kv[1])[:4]]))
        return out


DIAGNOSE = False


def wait_for(done: Callable[[], bool], timeout: float) -> bool:
    """Run the event loop (idle, not spinning) until ``done()`` or ``timeout`` seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return True
    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    poll = QTimer()
    poll.setInterval(25)
    poll.timeout.connect(lambda: loop.quit() if done() or time.monotonic() > deadline else None)
    poll.start()
    loop.exec()
    poll.stop()
    return done()


def run_steps(steps: list[Callable[[], Any]], interval_ms: int) -> None:
    """Run ``steps`` one per ``interval_ms`` from the event loop (as user events would come)."""
    from PySide6.QtCore import QTimer

    pending = list(steps)
    timer = QTimer()
    timer.setInterval(interval_ms)

    def next_step() -> None:
        if pending:
            pending.pop(0)()
        else:
            timer.stop()

    timer.timeout.connect(next_step)
    timer.start()
    wait_for(lambda: not pending, 600)
    timer.stop()


def measure(
    name: str, target: float, action: Callable[[], None], done: Callable[[], bool], timeout: float = 600.0
) -> dict[str, Any]:
    """Heartbeat while ``action()`` runs and until ``done()``; the flow's stall figures."""
    import numpy as np

    beat = Heartbeat()
    beat.start()
    sampler = StallSampler(beat) if DIAGNOSE else None
    if sampler is not None:
        sampler.start()
    t0 = time.perf_counter()
    error = ""
    try:
        action()
        if not wait_for(done, timeout):
            error = f"not done after {timeout:.0f} s"
    except Exception as exc:  # noqa: BLE001 - one broken flow must not hide the others
        error = f"{type(exc).__name__}: {exc}"
    gaps = beat.stop()
    seconds = time.perf_counter() - t0
    if sampler is not None:
        print(f"[{name}] GUI thread during stalls (samples of ~20 ms):", file=sys.stderr)
        for where, n in sampler.stop():
            print(f"  {n:4d}  {where}", file=sys.stderr)
        for ms, where in sampler.longest():
            print(f"  longest gap {ms:.0f} ms: " + " | ".join(where), file=sys.stderr)
        full = [ms for g, ms in sampler.gc_ms if g == 2]
        print(
            f"  cyclic GC: {len(sampler.gc_ms)} collections, {sum(ms for _g, ms in sampler.gc_ms):.0f} ms in all; "
            f"{len(full)} full, the longest {max(full, default=0.0):.0f} ms",
            file=sys.stderr,
        )
    arr = np.asarray(gaps) if gaps else np.zeros(1)
    return {
        "flow": name,
        "target_ms": target,
        "max_ms": float(arr.max()),
        "p99_ms": float(np.percentile(arr, 99)),
        "seconds": seconds,
        "ticks": len(gaps),
        "error": error,
    }


def idle_anchor(seconds: float = 2.0) -> dict[str, Any]:
    from PySide6.QtCore import QTimer

    end = []
    QTimer.singleShot(int(seconds * 1000), lambda: end.append(True))
    return measure("idle window (anchor)", TARGET_MS, lambda: None, lambda: bool(end), seconds + 5)


def make_window() -> Any:
    from workbench.gui.app import make_app
    from workbench.gui.main_window import MainWindow
    from workbench.gui.theme import apply_theme

    app = make_app()
    window = MainWindow(interactive=False, restore_layout=False)
    apply_theme(app, window.prefs.theme)
    window.resize(1600, 1000)
    window.show()
    wait_for(lambda: False, 1.0)  # settle: first paint, fonts
    return window


def all_idle(window: Any, ids: list[str]) -> bool:
    return all(pid in window.panels and window.panels[pid].is_idle() for pid in ids) and not window.is_loading()


def child_open(ids: list[str], sync: bool = False) -> list[dict[str, Any]]:
    window = make_window()
    anchor = idle_anchor()
    name = ("open all four panels" if len(ids) > 1 else f"open {ids[0]}") + os.environ.get("BENCH_GUI_LABEL", "")

    def click() -> None:
        for pid in ids:
            if sync:  # the synchronous path (sessions, scripts): imports on the GUI thread
                window.open_panel(pid, wait=True)
            else:
                window.view_actions[pid].trigger()  # View > <panel>

    row = measure(name, TARGET_MS, click, lambda: all_idle(window, ids))
    errors = [f"{t}: {m}" for t, m in window.errors_shown]
    if errors and not row["error"]:
        row["error"] = "; ".join(errors)[:200]
    window.shutdown()
    return [anchor, row]


def child_interact() -> list[dict[str, Any]]:
    from PySide6.QtWidgets import QSlider

    window = make_window()
    for pid in ("quiver", "bundle", "adversarial"):
        window.open_panel(pid)
    wait_for(lambda: all_idle(window, ["quiver", "bundle", "adversarial"]), 600)
    rows = [idle_anchor()]
    quiver, bundle, adversarial = window.panels["quiver"], window.panels["bundle"], window.panels["adversarial"]

    # drag a slider of the bundle model: pressed, 40 positions at 60 Hz, released
    window.open_panel("bundle")
    sliders = [s for s in bundle.findChildren(QSlider) if s.isVisible()]

    def drag() -> None:
        if not sliders:
            raise RuntimeError("the bundle panel shows no slider")
        s = sliders[0]
        lo, hi = s.minimum(), s.maximum()
        s.setSliderDown(True)
        run_steps([partial(s.setSliderPosition, lo + (hi - lo) * i // 40) for i in range(41)], 16)
        s.setSliderDown(False)

    rows.append(measure("drag a bundle slider (40 steps)", INTERACTIVE_TARGET_MS, drag, bundle.is_idle))

    window.open_panel("quiver")
    vertices = quiver.doc.mutable_vertices()

    def mutate() -> None:
        order = [vertices[i % len(vertices)] for i in range(50)]
        run_steps([partial(quiver.mutate, k) for k in order], 60)

    rows.append(measure("mutate the quiver 50 times", INTERACTIVE_TARGET_MS, mutate, quiver.is_idle))

    quiver.load_standard("D~10")
    wait_for(quiver.is_idle, 120)
    rows.append(measure("enumerate the class of D~10", TARGET_MS, quiver.enumerate_class, quiver.is_idle))

    window.open_panel("adversarial")
    rows.append(measure("PGD sweep", TARGET_MS, adversarial.run_sweep, adversarial.is_idle))

    window.open_panel("quiver")
    quiver.load_standard("D~6")
    wait_for(quiver.is_idle, 120)
    rows.append(measure("GNN explanation (GNNExplainer, D~6)", TARGET_MS, quiver.gnn_explain.explain, quiver.is_idle))
    errors = [f"{t}: {m}" for t, m in window.errors_shown]
    if errors:
        rows[-1]["error"] = (rows[-1]["error"] + " " + "; ".join(errors))[:300].strip()
    window.shutdown()
    return rows


def child_pgd() -> list[dict[str, Any]]:
    """The PGD flows alone: the panel opened (and its start-up attack done), then a sweep."""
    window = make_window()
    rows = [idle_anchor()]
    rows.append(
        measure(
            "open adversarial, start-up attack",
            TARGET_MS,
            lambda: window.view_actions["adversarial"].trigger(),
            lambda: all_idle(window, ["adversarial"]),
        )
    )
    adversarial = window.panels["adversarial"]
    rows.append(measure("PGD sweep", TARGET_MS, adversarial.run_sweep, adversarial.is_idle))
    window.shutdown()
    return rows


def child_bundle_drag() -> list[dict[str, Any]]:
    """The bundle slider drag alone (the panel open and idle first)."""
    from PySide6.QtWidgets import QSlider

    window = make_window()
    window.open_panel("bundle")
    wait_for(lambda: all_idle(window, ["bundle"]), 600)
    rows = [idle_anchor()]
    bundle = window.panels["bundle"]
    sliders = [s for s in bundle.findChildren(QSlider) if s.isVisible()]

    def drag() -> None:
        if not sliders:
            raise RuntimeError("the bundle panel shows no slider")
        s = sliders[0]
        lo, hi = s.minimum(), s.maximum()
        s.setSliderDown(True)
        run_steps([partial(s.setSliderPosition, lo + (hi - lo) * i // 40) for i in range(41)], 16)
        s.setSliderDown(False)

    rows.append(measure("drag a bundle slider (40 steps)", INTERACTIVE_TARGET_MS, drag, bundle.is_idle))
    window.shutdown()
    return rows


def child(flow: str) -> None:
    if flow == "pgd":
        rows = child_pgd()
    elif flow == "bundle-drag":
        rows = child_bundle_drag()
    elif flow.startswith(("open:", "open-sync:")):
        what = flow.split(":", 1)[1]
        rows = child_open(list(PANELS) if what == "all" else [what], sync=flow.startswith("open-sync:"))
    elif flow == "interact":
        rows = child_interact()
    else:
        raise SystemExit(f"unknown flow {flow!r}")
    print("RESULT " + json.dumps(rows), flush=True)


# ---------------------------------------------------------------------- the parent process
def run_child(flow: str, config: str | None = None, label: str = "") -> list[dict[str, Any]]:
    """Run ``flow`` in a fresh process, with configuration folder ``config`` (default: a new
    empty one: no saved layout, default preferences, nothing learned)."""
    env = dict(os.environ)
    env["WORKBENCH_CONFIG_DIR"] = config or tempfile.mkdtemp(prefix="bench-gui-")
    env["BENCH_GUI_LABEL"] = label
    cmd = [sys.executable, __file__, "--child", flow] + (["--diagnose"] if DIAGNOSE else [])
    out = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=None if DIAGNOSE else subprocess.PIPE, text=True, env=env, timeout=1800
    )
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
    return [
        {
            "flow": flow,
            "target_ms": TARGET_MS,
            "max_ms": float("nan"),
            "p99_ms": float("nan"),
            "seconds": 0.0,
            "ticks": 0,
            "error": f"child failed ({out.returncode}): " + " | ".join(tail),
        }
    ]


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| flow | max gap ms | p99 gap ms | target ms | max / target | p99 / target | max / idle max | s | |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    anchor = None
    for r in rows:
        if r["flow"].startswith("idle"):
            anchor = r
            continue
        ratio_max, ratio_p99 = r["max_ms"] / r["target_ms"], r["p99_ms"] / r["target_ms"]
        vs_idle = r["max_ms"] / anchor["max_ms"] if anchor and anchor["max_ms"] > 0 else float("nan")
        verdict = "met" if ratio_max < 1 else ("p99 met, max missed" if ratio_p99 < 1 else "missed")
        if r["error"]:
            verdict += f"; {r['error']}"
        lines.append(
            f"| {r['flow']} | {r['max_ms']:.0f} | {r['p99_ms']:.0f} | {r['target_ms']:.0f} | "
            f"{ratio_max:.2f} | {ratio_p99:.2f} | {vs_idle:.1f} | {r['seconds']:.1f} | {verdict} |"
        )
    idle = [r for r in rows if r["flow"].startswith("idle")]
    if idle:
        lines.append(
            f"\nidle anchor (heartbeat gaps with nothing to do, {len(idle)} processes): max "
            + ", ".join(f"{r['max_ms']:.0f}" for r in idle)
            + " ms; p99 "
            + ", ".join(f"{r['p99_ms']:.0f}" for r in idle)
            + " ms"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--flows",
        default=",".join([f"open:{p}" for p in PANELS + ROUND2] + ["open:all", "interact"]),
        help="comma-separated: open:<panel>, open:all, interact, pgd (the PGD panel's flows alone), "
        "bundle-drag (the bundle slider drag alone); open-sync:<panel> opens with "
        "open_panel(wait=True), importing on the GUI thread (the path before the background "
        "import, for comparison)",
    )
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--diagnose", action="store_true", help="print (stderr) where the GUI thread was during stalls")
    args = parser.parse_args()
    global DIAGNOSE
    DIAGNOSE = args.diagnose
    if args.child:
        child(args.child)
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"GUI-thread stalls: {HEARTBEAT_MS} ms heartbeat, load average {load:.1f} on {os.cpu_count()} CPUs "
        "before the run",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    for flow in args.flows.split(","):
        flow = flow.strip()
        if flow.startswith(("open:", "open-sync:")):
            # the first opening ever (an empty configuration folder), then a later start: the
            # modules the constructors imported on the GUI thread are imported ahead by then
            config = tempfile.mkdtemp(prefix="bench-gui-")
            sync = ", synchronous" if flow.startswith("open-sync:") else ""
            got = run_child(flow, config, f" (first time{sync})") + run_child(flow, config, f" (later starts{sync})")
        else:
            got = run_child(flow)
        rows += got
        for r in got:
            if not r["flow"].startswith("idle"):
                print(
                    f"  {r['flow']:<40s} max {r['max_ms']:7.0f} ms  p99 {r['p99_ms']:6.0f} ms  "
                    f"(target {r['target_ms']:.0f})  {r['seconds']:6.1f} s {r['error']}",
                    flush=True,
                )
    print()
    print(report(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
