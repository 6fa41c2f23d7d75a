"""Cancel latency and progress gaps of the long jobs: ``python benchmarks/bench_cancel.py [--quick] [NAME ...]``.

Each job runs on a thread with a :class:`workbench.jobs.JobContext` (CPU, progress unthrottled)
for a window of a few seconds; then Cancel is pressed (after a first short run that does the
job's lazy imports, which no job can interrupt and a GUI session has done before).  Printed per job type: the cancel
latency (Cancel to the thread's end: JobCancelled raised, or the job returned) and the longest
gap between progress reports while it ran (start and Cancel included), against the targets of
0.5 s and 2 s.  The anchor is the job's own start-up: the time to its first progress report.
The jobs are the ones measured over target in issue 16 (RBF-CKA heatmap, mutation-infinite
enumeration, minibatch CKA, the bundle dataset at grid 256, PGD with p = 3, PWCCA cell,
stitching, the orthonormal sweep).  NAME filters by substring.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.jobs import JobCancelled, JobContext

CANCEL_TARGET = 0.5
GAP_TARGET = 2.0


@dataclass
class Probe:
    name: str
    latency: float | None  # None: the job ended before Cancel
    gap: float
    first: float
    ended: str


def probe(
    name: str, fn: Callable[[Any, JobContext], Any], spec: Any, window: float = 3.0, timeout: float = 120.0
) -> Probe:
    """Run ``fn(spec, ctx)`` on a thread, press Cancel after ``window`` seconds, measure."""
    stamps: list[float] = []
    cancel = threading.Event()
    ctx = JobContext(
        device="cpu", on_progress=lambda f, m: stamps.append(time.monotonic()), cancel_event=cancel, min_interval=0.0
    )
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            fn(spec, ctx)
            out["ended"] = "finished"
        except JobCancelled:
            out["ended"] = "cancelled"
        except Exception as exc:  # noqa: BLE001 - reported in the table
            out["ended"] = f"error: {type(exc).__name__}: {str(exc)[:80]}"
        out["t"] = time.monotonic()

    t0 = time.monotonic()
    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(window)
    latency = None
    t_cancel = time.monotonic()
    if th.is_alive():
        cancel.set()
        th.join(timeout)
        latency = out.get("t", float("inf")) - t_cancel
    end = min(out.get("t", t_cancel), t_cancel)
    marks = [t0] + [s for s in stamps if s <= end] + [end]
    gap = max(b - a for a, b in zip(marks, marks[1:], strict=False)) if len(marks) > 1 else 0.0
    first = (stamps[0] - t0) if stamps else float("nan")
    return Probe(name, latency, gap, first, out.get("ended", "still running"))


# ------------------------------------------------------------------------------------- the jobs
def _layers_npz(folder: Path, n: int, d: int, layers: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    path = folder / f"layers_{n}x{d}.npz"
    np.savez(path, *[rng.normal(size=(n, d)).astype(np.float32) for _ in range(layers)])
    return str(path)


def cases(folder: Path, quick: bool) -> list[tuple[str, Callable[[Any, JobContext], Any], Any]]:
    from workbench_adversarial.jobs import AttackSpec, SweepSpec, run_attack, run_sweep_job
    from workbench_bundle.jobs import DatasetSpec, run_dataset
    from workbench_quiver.jobs import EnumerateSpec, run_enumerate
    from workbench_repsim.jobs import CellSpec, HeatmapSpec, StitchSpec, run_cell, run_heatmap, run_stitching

    rng = np.random.default_rng(1)
    n_rbf = 3000 if quick else 5000
    big = _layers_npz(folder, n_rbf, 64, 3)
    x = rng.normal(size=(6000, 600))
    y = x @ rng.normal(size=(600, 600)) + rng.normal(size=(6000, 600))
    wild = ((0, 2, -3, 1, 0), (-2, 0, 2, 0, 3), (3, -2, 0, 2, -1), (-1, 0, -2, 0, 2), (0, -3, 1, -2, 0))
    return [
        (
            f"repsim heatmap cka-rbf (n = {n_rbf})",
            run_heatmap,
            HeatmapSpec(model_a=big, measure="cka-rbf", max_samples=n_rbf, panels=("AA",), device="cpu"),
        ),
        (
            "repsim minibatch CKA",
            run_heatmap,
            HeatmapSpec(
                model_a=_layers_npz(folder, 20000, 512, 4, 2),
                model_b=_layers_npz(folder, 20000, 512, 4, 3),
                max_samples=20000,
                minibatch=4096,
                device="cpu",
            ),
        ),
        ("repsim cell (pwcca, 6000 x 600)", run_cell, CellSpec(x=x, y=y)),
        ("repsim stitching", run_stitching, StitchSpec("mlp-w16-s0", "mlp-w16-s1", steps=20000)),
        ("quiver enumerate (mutation-infinite)", run_enumerate, EnumerateSpec(wild, max_size=None)),
        ("bundle dataset (grid 256)", run_dataset, DatasetSpec(size=4000, grid=256, seed=0)),
        ("adversarial PGD (p = 3, 2000 steps)", run_attack, AttackSpec(p=3.0, steps=2000, n=300, device="cpu")),
        (
            "adversarial sweep (orthonormal)",
            run_sweep_job,
            SweepSpec(kind="orthonormal", dims=(16, 32, 48, 64), n=300, steps=200, device="cpu"),
        ),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller inputs, 2 s windows")
    ap.add_argument("names", nargs="*", help="only the jobs whose name contains one of these")
    args = ap.parse_args()
    import scipy.optimize  # noqa: F401 - imports are not what is measured: an import cannot be
    import sklearn.datasets  # noqa: F401   interrupted, and the GUI has done them before a job runs
    import torch

    torch.set_num_threads(1)
    w = torch.zeros(2, requires_grad=True)  # the optimisers import torch._dynamo on their first step
    opt = torch.optim.Adam([w])
    w.sum().backward()
    opt.step()
    window = 2.0 if args.quick else 3.0
    rows: list[Probe] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn, spec in cases(Path(tmp), args.quick):
            if args.names and not any(s in name for s in args.names):
                continue
            probe(name, fn, spec, 0.3)  # warm-up: the job's lazy imports (an import cannot be cancelled)
            r = probe(name, fn, spec, window)
            rows.append(r)
            lat = "ended before Cancel" if r.latency is None else f"{r.latency:6.3f} s"
            print(
                f"{name:<40s} cancel {lat:>20s} ({'ok' if (r.latency or 0) <= CANCEL_TARGET else 'OVER'})"
                f" | worst progress gap {r.gap:6.2f} s ({'ok' if r.gap <= GAP_TARGET else 'OVER'})"
                f" | first report {r.first:5.2f} s | {r.ended}",
                flush=True,
            )
    worst = max((r.latency or 0.0 for r in rows), default=0.0)
    gap = max((r.gap for r in rows), default=0.0)
    print(
        f"worst cancel latency {worst:.3f} s = {worst / CANCEL_TARGET:.2f} x the 0.5 s target; "
        f"worst progress gap {gap:.2f} s = {gap / GAP_TARGET:.2f} x the 2 s target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
