"""Bundle jobs as sweeps of tasks (:func:`workbench.cluster.run_sweep`): a dataset generated in
chunks of samples, each chunk with its own seed, and classifiers trained over architectures x
seeds.  The same result wherever the tasks ran (this process, ``local:N``, a Dask scheduler):
every chunk and every training run carries its own seed, and runs with one torch thread (the
workers' one; float32 reductions differ in the last bits with the thread count).

A chunked dataset is *not* the dataset :func:`workbench_bundle.jobs.run_dataset` draws from the
same seed in one piece (each chunk draws from its own stream, ``SeedSequence(seed,
spawn_key=(k,))``); it is the same for the same seed and chunk size, however it was run, and
balanced exactly as the one-piece dataset (:func:`chunk_quotas`)."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.jobs import JobContext, JobError
from workbench.seeding import check_seed

from .core.haldane_bundle import CLASSES, HaldaneDataset, generate_dataset, save_dataset
from .jobs import DatasetSpec, TrainJobResult, TrainSpec, run_train

#: samples per chunk when a dataset is generated on a cluster without a chunk size
DEFAULT_CHUNK = 500
#: torch intra-op threads of every training task (the workers' number, see the module docstring)
TASK_THREADS = 1


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


# ------------------------------------------------------------------------------------ dataset
@dataclass(frozen=True)
class DatasetChunkSpec:
    """Chunk ``index`` of a chunked dataset: ``size`` samples on a ``grid`` x ``grid`` torus
    drawn with ``seed`` (the chunk's own), ``quota`` samples per class when balanced."""

    index: int
    size: int
    grid: int
    seed: int
    balance: bool = True
    quota: tuple[tuple[int, int], ...] = ()


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk ``index`` of a dataset seeded ``seed``: the first 64-bit word of
    ``numpy.random.SeedSequence(seed, spawn_key=(index,))`` (independent streams per chunk,
    NumPy's documented way of seeding parallel generators)."""
    ss = np.random.SeedSequence(check_seed(seed, "dataset seed"), spawn_key=(int(index),))
    return int(ss.generate_state(1, np.uint64)[0])


def chunk_quotas(size: int, chunk: int, classes: tuple[int, ...] = CLASSES) -> list[dict[int, int]]:
    """Per-class counts of each chunk of ``chunk`` samples (the last one smaller) such that the
    chunks together have the one-piece dataset's balance: sample slot j of the whole belongs to
    class ``classes[j % len(classes)]``, and a chunk takes the classes of its slots."""
    out = []
    k = len(classes)
    for lo in range(0, size, chunk):
        hi = min(size, lo + chunk)
        out.append({c: (hi - ci + k - 1) // k - (lo - ci + k - 1) // k for ci, c in enumerate(classes)})
    return out


def dataset_chunks(spec: DatasetSpec, chunk: int) -> list[tuple[str, DatasetChunkSpec]]:
    """The chunks of ``spec`` (keys "samples 0-499", ...), validated as :func:`run_dataset` does."""
    if spec.size <= 0 or spec.size > 1_000_000:
        raise JobError(f"size must be between 1 and 1000000, got {spec.size}")
    if spec.grid < 4 or spec.grid > 256:
        raise JobError(f"grid must be between 4 and 256, got {spec.grid}")
    if spec.variant != "random":
        raise JobError(
            f"only the random variant is generated in chunks; {spec.variant!r} is a fixed family (run it in one piece)"
        )
    if chunk < 1:
        raise JobError(f"the chunk size must be at least 1 sample, got {chunk}")
    try:
        check_seed(spec.seed, "dataset seed")
    except ValueError as exc:
        raise JobError(str(exc)) from None
    out = []
    for k, q in enumerate(chunk_quotas(spec.size, chunk)):
        lo = k * chunk
        n = sum(q.values())
        out.append(
            (
                f"samples {lo}-{lo + n - 1}",
                DatasetChunkSpec(k, n, spec.grid, chunk_seed(spec.seed, k), spec.balance, tuple(sorted(q.items()))),
            )
        )
    return out


def run_dataset_chunk(spec: DatasetChunkSpec, ctx: JobContext) -> HaldaneDataset:
    """One chunk (a task): :func:`generate_dataset` with the chunk's seed and class quotas."""
    try:
        return generate_dataset(
            spec.size,
            spec.grid,
            spec.seed,
            "random",
            spec.balance,
            quota=dict(spec.quota) if spec.balance else None,
            progress=ctx.progress,
            check_cancelled=ctx.check_cancelled,
        )
    except (ValueError, RuntimeError) as exc:
        raise JobError(f"chunk {spec.index}: {exc}") from None


def _add_counts(total: dict[str, int], more: dict[str, Any]) -> None:
    for k, v in more.items():
        total[str(k)] = total.get(str(k), 0) + int(v)


def concatenate_chunks(parts: list[HaldaneDataset], spec: DatasetSpec, chunk: int, seconds: float) -> HaldaneDataset:
    """The chunks' samples in chunk order, with one provenance for the whole (counts summed)."""
    rejected: dict[str, int] = {}
    outside: dict[str, int] = {}
    counts: dict[str, int] = {}
    for p in parts:
        _add_counts(rejected, p.provenance.get("rejected", {}))
        _add_counts(outside, p.provenance.get("labels_outside_classes", {}))
        _add_counts(counts, p.provenance.get("class_counts", {}))
    first = parts[0].provenance
    prov = {
        **{k: first[k] for k in ("dataset", "variant", "grid", "classes", "label_method", "convention") if k in first},
        "size_requested": int(spec.size),
        "size": int(sum(len(p) for p in parts)),
        "seed": int(spec.seed),
        "balanced": bool(spec.balance),
        "chunk": int(chunk),
        "chunk_seeds": [int(p.provenance["seed"]) for p in parts],
        "seeding": "chunk k drawn with the first 64-bit word of numpy SeedSequence(seed, spawn_key=(k,))",
        "class_counts": dict(sorted(counts.items(), key=lambda kv: int(kv[0]))),
        "candidates": int(sum(int(p.provenance.get("candidates", 0)) for p in parts)),
        "rejected": rejected,
        "labels_outside_classes": dict(sorted(outside.items(), key=lambda kv: int(kv[0]))),
        "seconds": round(seconds, 3),
        "format_version": first.get("format_version"),
        "command": f"workbench bundle dataset --size {spec.size} --grid {spec.grid} --seed {spec.seed} "
        f"--variant random --chunk {chunk}" + ("" if spec.balance else " --no-balance"),
    }
    return HaldaneDataset(
        np.concatenate([p.psi for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.coef_f for p in parts]),
        np.concatenate([p.coef_g for p in parts]),
        np.concatenate([p.pair for p in parts]),
        prov,
    )


def run_dataset_chunked(
    spec: DatasetSpec, ctx: JobContext, backend: Any = None, chunk: int = DEFAULT_CHUNK
) -> HaldaneDataset:
    """``spec``'s dataset generated in chunks of ``chunk`` samples run by ``backend`` (a
    :class:`workbench.cluster.Backend`; None: this process), concatenated in chunk order and
    saved to ``spec.out`` if given (by this process).  The same arrays for every backend."""
    from workbench import cluster

    t0 = time.perf_counter()
    children = dataset_chunks(spec, chunk)
    parts = cluster.run_sweep(run_dataset_chunk, children, ctx, backend or cluster.PROCESS)
    ds = concatenate_chunks(parts, spec, chunk, time.perf_counter() - t0)
    if spec.out:
        path = save_dataset(ds, spec.out)
        ctx.log(f"saved {len(ds)} samples to {path}")
    return ds


# ------------------------------------------------------------------------------------ training
@dataclass(frozen=True)
class TrainSweepSpec:
    """Classifiers ``archs`` x ``seeds``: each run is the :class:`TrainSpec` of ``workbench
    bundle train --arch A --seed S`` with the other settings (without ``data``, each seed
    generates its own ``size`` samples, as that command does); ``out_dir``: a checkpoint
    ``<arch>-seed<S>.safetensors`` per run (written where the run executes: on a real
    cluster a folder every worker can write, and that you can read)."""

    archs: tuple[str, ...] = ("mlp", "cnn", "flux")
    seeds: tuple[int, ...] = (0, 1, 2)
    data: str = ""
    size: int = 2000
    grid: int = 32
    test_fraction: float = 0.2
    epochs: int = 5
    batch_size: int = 128
    lr: float = 2e-3
    out_dir: str = ""


@dataclass
class TrainSweepResult:
    """One :class:`TrainJobResult` per run, in the order ``keys`` ("flux/seed0", ...)."""

    keys: list[str]
    runs: list[TrainJobResult]
    seeds: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def by_arch(self) -> dict[str, dict[str, float]]:
        """Mean and sample standard deviation of the test accuracy per architecture."""
        acc: dict[str, list[float]] = {}
        for r in self.runs:
            acc.setdefault(r.arch, []).append(float(r.test_accuracy))
        return {
            a: {"n": len(v), "mean": statistics.fmean(v), "sd": statistics.stdev(v) if len(v) > 1 else 0.0}
            for a, v in acc.items()
        }


def train_runs(spec: TrainSweepSpec) -> list[tuple[str, TrainSpec]]:
    """The sweep's runs with their keys, architectures outer, seeds inner."""
    from .core.classifiers import ARCHITECTURES as ARCHS

    if not spec.archs or not spec.seeds:
        raise JobError("a training sweep needs at least one architecture and one seed")
    bad = [a for a in spec.archs if a not in ARCHS]
    if bad:
        raise JobError(f"unknown architecture {bad[0]!r}: choose from {', '.join(ARCHS)}")
    if len(set(spec.archs)) != len(spec.archs) or len(set(spec.seeds)) != len(spec.seeds):
        raise JobError("architectures and seeds of a sweep must not repeat")
    runs = []
    for a in spec.archs:
        for s in spec.seeds:
            try:
                check_seed(s, "training seed")
            except ValueError as exc:
                raise JobError(str(exc)) from None
            out = f"{spec.out_dir.rstrip('/')}/{a}-seed{s}.safetensors" if spec.out_dir else ""
            runs.append(
                (
                    f"{a}/seed{s}",
                    TrainSpec(
                        arch=a,
                        data=spec.data,
                        size=spec.size,
                        grid=spec.grid,
                        test_fraction=spec.test_fraction,
                        epochs=spec.epochs,
                        batch_size=spec.batch_size,
                        lr=spec.lr,
                        seed=int(s),
                        out=out,
                        device="cpu",
                    ),
                )
            )
    return runs


def run_train_task(spec: TrainSpec, ctx: JobContext) -> TrainJobResult:
    """:func:`run_train` with :data:`TASK_THREADS` torch threads (one training run of a sweep)."""
    with _torch_threads(TASK_THREADS):
        return run_train(spec, ctx)


def run_train_sweep(spec: TrainSweepSpec, ctx: JobContext, backend: Any = None) -> TrainSweepResult:
    """Every run of ``spec`` (:func:`train_runs`) on ``backend`` (None: this process)."""
    from workbench import cluster

    t0 = time.perf_counter()
    runs = train_runs(spec)
    results = cluster.run_sweep(run_train_task, runs, ctx, backend or cluster.PROCESS)
    return TrainSweepResult(
        [k for k, _ in runs], results, [r.seed for _, r in runs], round(time.perf_counter() - t0, 3)
    )
