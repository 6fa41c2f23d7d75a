"""Sweeps on a local Dask cluster: ``python benchmarks/bench_cluster.py [--quick] [--workers N]``.

1. A 40-cell PGD sweep (digits-cnn, pixel subspaces dim V 4-64 x 8 eps, 150 images, 10 steps)
   run in this process (the anchor: ``run_sweep_job`` with one torch thread, as the panel runs
   it) and as 40 tasks on ``local:N`` (``run_sweep_split``, one task per cell, each with one
   torch thread).  Target: at least 1.6x faster with 2 workers on a 2-core machine.  The
   cluster is started and warmed (imports, first model load) before it is timed; its start
   is printed apart.
2. The per-task overhead of the cluster path on an empty job (``workbench.cluster.empty_job``):
   the latency of a sweep of one task (median of 20), and the wall time per task of 200 empty
   tasks on the N workers.  Target: under 20 ms.

The machine may be shared: the load average is printed with the numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

TARGET_SPEEDUP = 1.6
TARGET_OVERHEAD_MS = 20.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="20 images, 4 steps")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    import torch

    from workbench import cluster
    from workbench.jobs import JobContext
    from workbench_adversarial import jobs
    from workbench_adversarial.core.zoo import ModelRef

    spec = jobs.SweepSpec(
        model=ModelRef(kind="zoo", name="digits-cnn"),
        n=20 if args.quick else 150,
        kind="pixels",
        dims=(4, 8, 16, 32, 64),
        eps_values=(0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0),
        steps=4 if args.quick else 10,
    )
    backend = cluster.Backend("local", args.workers)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    t0 = time.perf_counter()
    client = cluster.client_for(backend)
    client.wait_for_workers(args.workers, timeout=120)
    start_s = time.perf_counter() - t0
    warm = jobs.SweepSpec(model=spec.model, n=10, kind="pixels", dims=(4,), eps_values=(0.5, 1.0), steps=1)
    jobs.run_sweep_split(warm, JobContext(), backend)  # the workers import torch and load the model
    jobs.run_sweep_one_thread(warm, JobContext())  # and so does this process

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    here = jobs.run_sweep_one_thread(spec, JobContext())
    here_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    there = jobs.run_sweep_split(spec, JobContext(), backend)
    there_s = time.perf_counter() - t0
    same = [(c.dim, c.eps, c.successes) for c in here.cells] == [(c.dim, c.eps, c.successes) for c in there.cells]
    ratio = here_s / there_s
    print(
        f"PGD sweep, {len(here.cells)} cells: this process {here_s:6.2f} s (anchor) | local:{args.workers} "
        f"{there_s:6.2f} s | speed-up {ratio:.2f}x (target >= {TARGET_SPEEDUP}x: "
        f"{'met' if ratio >= TARGET_SPEEDUP else 'MISSED'}) | same cells: {same} | cluster start {start_s:.1f} s",
        flush=True,
    )

    cluster.run_sweep(cluster.empty_job, [(str(i), i) for i in range(20)], JobContext(), backend)  # warm
    one = []
    for i in range(20):
        t0 = time.perf_counter()
        cluster.run_sweep(cluster.empty_job, [(f"one{i}", i)], JobContext(), backend)
        one.append(time.perf_counter() - t0)
    latency_ms = 1e3 * statistics.median(one)
    t0 = time.perf_counter()
    n = 200
    cluster.run_sweep(cluster.empty_job, [(str(i), i) for i in range(n)], JobContext(), backend)
    per_task_ms = 1e3 * (time.perf_counter() - t0) / n
    print(
        f"empty job: a sweep of one task {latency_ms:6.1f} ms (median of 20) | {n} tasks {per_task_ms:6.1f} ms "
        f"per task | target < {TARGET_OVERHEAD_MS:g} ms: {'met' if per_task_ms < TARGET_OVERHEAD_MS else 'MISSED'} "
        f"per task, {'met' if latency_ms < TARGET_OVERHEAD_MS else 'MISSED'} one task | "
        f"ratio to the sweep's mean cell {per_task_ms / (1e3 * here_s / len(here.cells)):.3f}",
        flush=True,
    )
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
