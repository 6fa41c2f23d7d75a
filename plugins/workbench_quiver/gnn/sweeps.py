"""GNN dataset building and training over seeds as sweeps of tasks
(:func:`workbench.cluster.run_sweep`).

* Dataset: one task per mutation type of the recipe (:func:`.dataset.class_members`: the
  exact enumeration of its class), assembled in the recipe's type order by this process
  (:func:`.dataset.assemble_dataset`), so the file has the arrays of ``workbench quiver
  dataset`` run in one piece (enumeration uses no randomness).
* Training: one task per seed, each the run of ``workbench quiver train --seed S`` on the same
  data file with ``TrainSpec.threads`` torch threads (1 by default: the same numbers wherever
  it ran), writing ``<out_dir>/seed<S>.safetensors`` where it runs (on a real cluster, a
  folder every worker can write).  A run stopped by its CPU-time budget depends on the
  machine's speed: give a budget it does not reach when runs must be comparable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from workbench.jobs import JobCancelled, JobContext, JobError
from workbench.seeding import check_seed

from .jobs import DatasetResult, DatasetSpec, TrainResult, TrainSpec, recipe_of, run_train


# ------------------------------------------------------------------------------------ dataset
@dataclass(frozen=True)
class ClassTaskSpec:
    """The members of the mutation class of type ``label`` (``depth``: for mutation-infinite types)."""

    label: str
    depth: int


@dataclass
class ClassMembers:
    """A task's result: the class's exchange matrices (square, int64) and their depths."""

    label: str
    matrices: list[np.ndarray]
    depths: list[int]


def run_class_task(spec: ClassTaskSpec, ctx: JobContext) -> ClassMembers:
    """One type's class (a task)."""
    from .dataset import class_members

    try:
        bs, depths = class_members(spec.label, spec.depth, ctx.progress, ctx.cancelled)
    except InterruptedError as exc:
        raise JobCancelled() from exc
    except (ValueError, RuntimeError) as exc:
        raise JobError(f"{spec.label}: {exc}") from None
    return ClassMembers(spec.label, bs, depths)


def run_dataset_split(spec: DatasetSpec, ctx: JobContext, backend: Any = None) -> DatasetResult:
    """``spec``'s dataset (:func:`.jobs.run_dataset`) with one task per type on ``backend`` (a
    :class:`workbench.cluster.Backend`; None: this process), written to ``spec.out`` here."""
    from workbench import cluster

    from .dataset import assemble_dataset, save_dataset

    t0 = time.perf_counter()
    recipe = recipe_of(spec)
    types = recipe.types()
    tasks = [(t, ClassTaskSpec(t, recipe.depth)) for t in types]
    parts = cluster.run_sweep(run_class_task, tasks, ctx, backend or cluster.PROCESS)
    try:
        ds = assemble_dataset(
            recipe, types, [(p.matrices, p.depths) for p in parts], spec.seed, time.perf_counter() - t0
        )
        p, m = save_dataset(ds, spec.out)
    except ValueError as exc:
        raise JobError(f"cannot build the dataset: {exc}") from None
    except OSError as exc:
        raise JobError(f"cannot write {spec.out}: {exc}") from None
    ctx.progress(1.0, f"{len(ds)} quivers")
    return DatasetResult(str(p), str(m), ds.counts(), len(ds), float(ds.provenance.get("seconds", 0.0)))


# ------------------------------------------------------------------------------------ training
@dataclass(frozen=True)
class TrainSweepSpec:
    """One training run per seed of ``seeds``: ``base`` (a :class:`TrainSpec` with ``data``,
    the settings shared by all runs; its ``out`` and ``seed`` are replaced) with ``seed`` S and
    the checkpoint ``<out_dir>/seed<S>.safetensors``."""

    base: TrainSpec
    seeds: tuple[int, ...]
    out_dir: str


@dataclass
class TrainSweepResult:
    """One :class:`TrainResult` per seed, in the order of ``seeds``."""

    seeds: list[int]
    runs: list[TrainResult]
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)


def train_runs(spec: TrainSweepSpec) -> list[tuple[str, TrainSpec]]:
    """The runs with keys "seed0", ..."""
    if not spec.base.data:
        raise JobError(
            "a training sweep needs a dataset file (--data): build it once with `workbench quiver dataset` "
            "(--cluster runs it as one task per type)"
        )
    if not spec.out_dir:
        raise JobError("a training sweep needs a folder for its checkpoints (--out-dir)")
    if not spec.seeds or len(set(spec.seeds)) != len(spec.seeds):
        raise JobError(f"give each seed once, at least one (got {list(spec.seeds)})")
    out = []
    for s in spec.seeds:
        try:
            check_seed(s, "training seed")
        except ValueError as exc:
            raise JobError(str(exc)) from None
        out.append((f"seed{s}", replace(spec.base, seed=int(s), out=f"{spec.out_dir.rstrip('/')}/seed{s}.safetensors")))
    return out


def run_train_sweep(spec: TrainSweepSpec, ctx: JobContext, backend: Any = None) -> TrainSweepResult:
    """Every seed's run (:func:`.jobs.run_train`) on ``backend`` (None: this process)."""
    from workbench import cluster

    t0 = time.perf_counter()
    runs = train_runs(spec)
    results = cluster.run_sweep(run_train, runs, ctx, backend or cluster.PROCESS)
    acc = [r.test_accuracy for r in results if r.test_accuracy is not None]
    summary: dict[str, Any] = {}
    if acc:
        summary = {
            "test_accuracy_mean": float(np.mean(acc)),
            "test_accuracy_sd": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
        }
    return TrainSweepResult(list(spec.seeds), results, round(time.perf_counter() - t0, 3), summary)
