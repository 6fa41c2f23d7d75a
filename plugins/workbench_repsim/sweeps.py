"""Heatmaps over a list of model pairs as a sweep of tasks (:func:`workbench.cluster.run_sweep`):
one task per pair, each the A-vs-B heatmap of :func:`workbench_repsim.jobs.run_heatmap` with the
sweep's settings.  A task returns its matrix and layer names, not the activations (those stay
where the task ran), so the result is small whatever the models.  The same matrices wherever
the tasks ran: every task runs with one torch and one BLAS thread (the workers' number; sums
over a different number of threads differ in the last bits)."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.jobs import JobContext, JobError

from .jobs import HeatmapResult, HeatmapSpec, run_heatmap


@dataclass(frozen=True)
class PairSweepSpec:
    """The A-vs-B heatmap of every pair of ``pairs`` ((model A, model B): zoo names, local
    model folders or .npz files of layers), with the settings of :class:`HeatmapSpec`."""

    pairs: tuple[tuple[str, str], ...]
    data: str = "default"
    pooling: str = "mean"
    measure: str = "cka"
    max_samples: int = 1000
    seed: int = 0
    minibatch: int = 0


@dataclass
class PairSweepResult:
    """One heatmap per pair, in the order of ``pairs`` (``acts_a`` / ``acts_b`` left empty)."""

    pairs: list[tuple[str, str]]
    heatmaps: list[HeatmapResult]
    seconds: float = 0.0


def every_pair(models: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Every unordered pair of distinct ``models`` (i < j), in list order: the upper triangle
    of a zoo's model-by-model table."""
    if len(set(models)) != len(models):
        raise JobError(f"models repeat in {list(models)}")
    return tuple((a, b) for i, a in enumerate(models) for b in models[i + 1 :])


def pair_tasks(spec: PairSweepSpec) -> list[tuple[str, HeatmapSpec]]:
    """The sweep's tasks with keys "A vs B"."""
    if not spec.pairs:
        raise JobError("a pair sweep needs at least one pair of models")
    if len(set(spec.pairs)) != len(spec.pairs):
        raise JobError("a pair repeats in the sweep: every pair must be listed once")
    out = []
    for a, b in spec.pairs:
        if not a or not b:
            raise JobError(f"pair ({a!r}, {b!r}): both models must be named")
        out.append(
            (
                f"{a} vs {b}",
                HeatmapSpec(
                    model_a=a,
                    model_b=b,
                    data=spec.data,
                    pooling=spec.pooling,
                    measure=spec.measure,
                    max_samples=spec.max_samples,
                    panels=("AB",),
                    device="cpu",
                    seed=spec.seed,
                    minibatch=spec.minibatch,
                ),
            )
        )
    return out


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    import torch
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # scikit-learn's dependency

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(old)


def run_pair_task(spec: HeatmapSpec, ctx: JobContext) -> HeatmapResult:
    """One pair's heatmap (a task), one thread, without the activations."""
    with _one_thread():
        res = run_heatmap(spec, ctx)
    return dataclasses.replace(res, acts_a=[], acts_b=[])


def run_pair_sweep(spec: PairSweepSpec, ctx: JobContext, backend: Any = None) -> PairSweepResult:
    """Every pair's heatmap on ``backend`` (a :class:`workbench.cluster.Backend`; None: this
    process); ``ctx.partial((index, pair, heatmap))`` as each pair finishes."""
    from workbench import cluster

    t0 = time.perf_counter()
    tasks = pair_tasks(spec)

    def on_result(i: int, res: HeatmapResult) -> None:
        ctx.partial((i, spec.pairs[i], res))

    heatmaps = cluster.run_sweep(run_pair_task, tasks, ctx, backend or cluster.PROCESS, on_result=on_result)
    return PairSweepResult(list(spec.pairs), heatmaps, round(time.perf_counter() - t0, 3))
