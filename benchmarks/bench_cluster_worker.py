"""A task's compute inside a Dask worker vs the same call here:
``python benchmarks/bench_cluster_worker.py [--repeats 3]``.

The call: one row of a PGD sweep (``run_sweep_part``: digits-cnn, pixel subspace dim V 16,
3 eps, 150 images, 10 steps), timed inside the call (wall time, the calling thread's CPU
time), after a warm-up call everywhere.  In one run, repeated and interleaved:

1. this process, one torch thread (the anchor), and two torch threads;
2. a worker of ``local:1`` (``workbench.cluster``: one task at a time, so one core each), as
   a task and on the worker's event loop thread (``Client.run``);
3. fresh processes without and with Dask's default worker environment
   ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``, which
   workbench.cluster drops: see ``NANNY_ENVIRON``), with their minor page faults and system
   time.

Ratios are medians over the repeats against the anchor.  The machine may be shared: the load
average is printed with the numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def part_spec():
    """The timed call's spec (a module-level function: the workers import this module)."""
    from workbench_adversarial import jobs
    from workbench_adversarial.core.zoo import ModelRef

    sweep = jobs.SweepSpec(
        model=ModelRef(kind="zoo", name="digits-cnn"), n=150, kind="pixels", dims=(16,), eps_values=(0.5, 1.0, 2.0),
        steps=10,
    )  # fmt: skip
    return jobs.SweepPartSpec(sweep, 16, 0, (0, 1, 2))


def timed(spec, ctx=None) -> tuple[float, float]:
    """(wall s, this thread's CPU s) of one ``run_sweep_part``."""
    from workbench.jobs import JobContext
    from workbench_adversarial import jobs

    t0, c0 = time.perf_counter(), time.thread_time()
    jobs.run_sweep_part(spec, ctx or JobContext())
    return time.perf_counter() - t0, time.thread_time() - c0


CHILD = """
import resource, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import torch
torch.set_num_threads(1)
from bench_cluster_worker import part_spec, timed
spec = part_spec()
timed(spec)
r0 = resource.getrusage(resource.RUSAGE_SELF)
wall, cpu = timed(spec)
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(wall, cpu, r1.ru_minflt - r0.ru_minflt, r1.ru_stime - r0.ru_stime)
"""


def fresh_process(malloc_trim: bool) -> tuple[float, float, float, float]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if malloc_trim:
        env["MALLOC_TRIM_THRESHOLD_"] = "65536"
    code = CHILD.format(root=str(ROOT), bench=str(Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    w, c, faults, sys_s = (float(x) for x in out.stdout.split())
    return w, c, faults, sys_s


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import torch

    from workbench import cluster
    from workbench.jobs import JobContext

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    spec = part_spec()
    backend = cluster.Backend("local", 1)
    client = cluster.client_for(backend)
    client.wait_for_workers(1, timeout=120)
    timed(spec)
    cluster.run_sweep(timed, [("warm", spec)], JobContext(), backend)
    rows: dict[str, list[tuple[float, ...]]] = {
        "here, 1 torch thread (anchor)": [],
        "here, 2 torch threads": [],
        "worker task (local:1)": [],
        "worker event loop (Client.run)": [],
        "fresh process": [],
        "fresh process, MALLOC_TRIM_THRESHOLD_=65536": [],
    }
    for rep in range(args.repeats):
        torch.set_num_threads(1)
        rows["here, 1 torch thread (anchor)"].append(timed(spec))
        torch.set_num_threads(2)
        rows["here, 2 torch threads"].append(timed(spec))
        torch.set_num_threads(1)
        rows["worker task (local:1)"].append(cluster.run_sweep(timed, [(f"w{rep}", spec)], JobContext(), backend)[0])
        rows["worker event loop (Client.run)"].append(next(iter(client.run(timed, spec).values())))
        rows["fresh process"].append(fresh_process(False))
        rows["fresh process, MALLOC_TRIM_THRESHOLD_=65536"].append(fresh_process(True))
    anchor = statistics.median(r[0] for r in rows["here, 1 torch thread (anchor)"])
    for name, rs in rows.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        extra = ""
        if len(rs[0]) == 4:
            extra = (
                f" | minor faults {statistics.median(r[2] for r in rs):8.0f} | system "
                f"{statistics.median(r[3] for r in rs):5.2f} s"
            )
        print(f"{name:45s} wall {wall:6.2f} s  ratio {wall / anchor:5.2f}x | thread CPU {cpu:5.2f} s{extra}")
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
