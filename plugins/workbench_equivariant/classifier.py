"""Training job of the S_n-invariant quiver classifier (issue 18's application; Qt-free).

:class:`TrainQuiverSpec` / :func:`run_train_quiver`: train
:class:`~workbench_equivariant.core.quiver_invariant.InvariantQuiverNet` (2 -> 2 equivariant
layers, a 2 -> 0 read-out, an MLP) on the training set of the quiver panel's DirGINE
(``workbench_quiver.gnn.dataset.TRAIN_RECIPE``: full mutation classes of A, D, A~, D~ on 7-10
vertices, E6-E8, E~6-E~8, E10 to depth 8; 79,135 quivers), with the same recipe as its trainer
(``workbench_quiver.gnn.train``): cross-entropy weighted inversely to the family frequencies,
AdamW, one-cycle learning rate, a stratified 10% validation split and the best-validation
weights kept.  Then the accuracy on held-out sizes (``eval_sizes``, default 11..20) with the
DirGINE's size-generalisation samples (``sample_size(n, per_family, seed=1000 + n)``: random
mutation walks, 5 families, E~ has no member beyond 9 vertices).

Minibatches hold quivers of one size (the layers need one n per tensor); the order of the
batches is shuffled.  Progress and Cancel through ``ctx`` (:mod:`workbench.jobs`).  The
checkpoint (``out``) is written with :func:`~.core.quiver_invariant.save_invariant_checkpoint`;
:func:`load_quiver_classifier` reads it back.

The training data come from ``workbench_quiver.gnn.dataset`` (the DirGINE's own builder, so
both models see exactly the same quivers): the one import of this plugin past
``workbench_quiver.core``, allowed by name in pyproject's import-linter contract.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.jobs import JobCancelled, JobContext, JobError

from .core.quiver_invariant import (
    FAMILIES,
    InvariantCheckpoint,
    InvariantConfig,
    load_invariant_checkpoint,
)

#: the paper's size-generalisation accuracies (arXiv 2411.07467, %), quoted for comparison
PAPER_SIZE_GENERALISATION = {12: 99.6, 13: 98.7, 14: 97.7, 15: 95.5, 16: 94.3, 17: 92.0, 18: 91.1, 19: 89.4, 20: 89.1}


@dataclass(frozen=True)
class TrainQuiverSpec:
    """Parameters of :func:`run_train_quiver`.

    epochs, batch_size, lr (peak of the one-cycle schedule), weight_decay (AdamW), seed (weights,
    validation split and batch order); hidden, layers (:class:`InvariantConfig`); device ("cpu",
    "cuda", "auto"); out: checkpoint path ('' = none written); eval_sizes / eval_per_family: the
    held-out sizes and samples per family and size; train_limit: if > 0, a stratified random
    subset of that many training quivers (for quick runs); time_budget_s: stop after the epoch
    in which this much wall time of training has passed (0 = none); threads: torch intra-op
    threads (0 = leave as is; 1, the default, is the fastest for these small tensors on a busy
    machine); data: a dataset .npz written by ``workbench quiver dataset`` to train on instead of
    the DirGINE's training set (built in a few seconds when ''); inputs: the input channels,
    "paths" (B, |B|, B > 0, B < 0, B B, |B| |B|) or "plain" (the first four)."""

    epochs: int = 25
    seed: int = 0
    hidden: int = 32
    layers: int = 3
    lr: float = 3e-3
    batch_size: int = 256
    weight_decay: float = 1e-4
    device: str = "cpu"
    out: str = ""
    eval_sizes: tuple[int, ...] = tuple(range(11, 21))
    eval_per_family: int = 400
    train_limit: int = 0
    val_fraction: float = 0.1
    time_budget_s: float = 0.0
    threads: int = 1
    data: str = ""
    inputs: str = "paths"

    def validate(self) -> None:
        def positive_int(name: str, lo: int = 1, hi: int | None = None) -> None:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
                rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
                raise ValueError(f"{name} must be an integer {rng}, got {v!r}")

        positive_int("epochs", 1, 10_000)
        positive_int("batch_size", 1, 1 << 16)
        positive_int("eval_per_family", 1, 100_000)
        positive_int("train_limit", 0)
        positive_int("threads", 0, 256)
        InvariantConfig(hidden=self.hidden, layers=self.layers, inputs=self.inputs).validate()
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        for name in ("lr", "weight_decay", "time_budget_s"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if not 0.0 <= self.val_fraction < 0.5:
            raise ValueError(f"val_fraction must be in [0, 0.5), got {self.val_fraction!r}")
        sizes = tuple(self.eval_sizes)
        if any(not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= 40 for n in sizes):
            raise ValueError(f"eval_sizes must be integers in 2..40, got {sizes!r}")
        if not isinstance(self.device, str) or not (
            self.device in ("cpu", "cuda", "auto") or self.device.startswith("cuda:")
        ):
            raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {self.device!r}")
        for name in ("out", "data"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a path string, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class TrainQuiverResult:
    """history: one ``{"epoch", "loss", "accuracy"}`` per epoch (mean training loss, validation
    accuracy); accuracy_by_n: accuracy on the held-out size samples; per_family_by_n: the same
    per family; checkpoint: the written .safetensors path ('' when ``out`` was empty)."""

    history: tuple[dict[str, float], ...]
    accuracy_by_n: dict[int, float]
    checkpoint: str = ""
    per_family_by_n: dict[int, dict[str, float]] = field(default_factory=dict)
    val_accuracy: float = float("nan")
    train_size: int = 0
    seconds: float = 0.0
    stopped: str = ""


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (rest, chosen) with ``fraction`` of every label value chosen (the DirGINE trainer's
    validation split, ``workbench_quiver.gnn.train.stratified_split``, which imports PyG)."""
    rng = np.random.default_rng(seed)
    tr, va = [], []
    for c in np.unique(labels):
        idx = np.nonzero(labels == c)[0]
        rng.shuffle(idx)
        k = int(round(fraction * len(idx)))
        va.append(idx[:k])
        tr.append(idx[k:])
    return np.sort(np.concatenate(tr)), np.sort(np.concatenate(va))


def _dense(ds: Any, idx: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Quivers ``idx`` of a ``QuiverDataset`` as {n: (int8 matrices (G, n, n), labels (G,))}."""
    by_n: dict[int, list[int]] = {}
    for i in idx:
        by_n.setdefault(int(ds.n_nodes[i]), []).append(int(i))
    out = {}
    for n, members in sorted(by_n.items()):
        mats = np.stack([ds.b(i) for i in members]).astype(np.int8)
        out[n] = (mats, np.asarray(ds.label, dtype=np.int64)[members])
    return out


def _batches(groups: dict[int, tuple[np.ndarray, np.ndarray]], size: int, rng: np.random.Generator) -> list:
    """Minibatches (n, member indices) within each size, in a random order."""
    out = []
    for n, (_m, y) in groups.items():
        perm = rng.permutation(len(y))
        out += [(n, perm[s : s + size]) for s in range(0, len(perm), size)]
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def _accuracy(model: Any, groups: dict[int, tuple[np.ndarray, np.ndarray]], device: str, ctx: JobContext) -> tuple:
    """(accuracy, per-family accuracy, mean weighted loss or nan) of the grouped quivers."""
    import torch

    ok, ys = [], []
    with torch.no_grad():
        model.eval()
        for _n, (m, y) in groups.items():
            for s in range(0, len(y), 1024):
                ctx.check_cancelled()
                lg = model(torch.as_tensor(m[s : s + 1024], device=device))
                ok.append(lg.argmax(1).cpu().numpy() == y[s : s + 1024])
                ys.append(y[s : s + 1024])
    if not ok:
        return float("nan"), {}
    okc, yc = np.concatenate(ok), np.concatenate(ys)
    per = {f: float(okc[yc == k].mean()) for k, f in enumerate(FAMILIES) if np.any(yc == k)}
    return float(okc.mean()), per


def run_train_quiver(spec: TrainQuiverSpec, ctx: JobContext) -> TrainQuiverResult:
    """Train and evaluate the invariant classifier (see the module docstring); torch runs with
    ``spec.threads`` intra-op threads meanwhile (the previous number after it)."""
    import torch

    old = torch.get_num_threads()
    try:
        if spec.threads and isinstance(spec.threads, int):
            torch.set_num_threads(spec.threads)
        return _train(spec, ctx)
    except InterruptedError as exc:  # the dataset builders' cancellation
        raise JobCancelled() from exc
    finally:
        torch.set_num_threads(old)


def _train(spec: TrainQuiverSpec, ctx: JobContext) -> TrainQuiverResult:
    import torch

    from workbench.seeding import torch_generator
    from workbench_quiver.gnn.dataset import TRAIN_RECIPE, build_dataset, load_dataset, sample_size

    from .core.quiver_invariant import InvariantQuiverNet, save_invariant_checkpoint

    try:
        spec.validate()
    except ValueError as exc:
        raise JobError(f"invalid training settings: {exc}") from None
    device = ctx.device if spec.device == "auto" else spec.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise JobError(f"device {device!r} was requested but CUDA is not available; use device 'cpu'")
    t0 = time.perf_counter()
    rng = np.random.default_rng(spec.seed)

    if spec.data:
        ctx.progress(0.0, f"reading the training set {spec.data}")
        try:
            ds = load_dataset(spec.data)
        except (OSError, ValueError) as exc:
            raise JobError(f"cannot read the training set {spec.data}: {exc}") from None
    else:
        ctx.progress(0.0, "building the training set (exact enumeration, 7-10 vertices)")
        ds = build_dataset(TRAIN_RECIPE, cancelled=ctx.cancelled)
    ctx.check_cancelled()
    labels = np.asarray(ds.label)
    tr_idx, va_idx = stratified_split(labels, spec.val_fraction, spec.seed)
    if spec.train_limit and spec.train_limit < len(tr_idx):  # a stratified subset (quick runs)
        frac = spec.train_limit / len(tr_idx)
        _, keep = stratified_split(labels[tr_idx], frac, spec.seed + 1)
        tr_idx = tr_idx[keep]
        _, vkeep = stratified_split(labels[va_idx], min(1.0, max(frac, 0.05)), spec.seed + 2)
        va_idx = va_idx[vkeep]
    train, val = _dense(ds, tr_idx), _dense(ds, va_idx)
    counts = np.bincount(labels[tr_idx], minlength=len(FAMILIES)).astype(float)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max((counts > 0).sum(), 1), 0.0)
    wt = torch.tensor(weights, dtype=torch.float32, device=device)

    config = InvariantConfig(hidden=spec.hidden, layers=spec.layers, inputs=spec.inputs)
    model = InvariantQuiverNet(config)
    model.init_parameters_(torch_generator(spec.seed))
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    steps_per_epoch = len(_batches(train, spec.batch_size, np.random.default_rng(0)))
    total = steps_per_epoch * spec.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=spec.lr, total_steps=total, pct_start=0.1)
    history: list[dict[str, float]] = []
    best: tuple[float, dict[str, Any] | None] = (-1.0, None)
    step = 0
    stopped = ""
    t_train = time.perf_counter()
    for epoch in range(spec.epochs):
        model.train()
        tot, cnt = 0.0, 0
        for n, members in _batches(train, spec.batch_size, rng):
            ctx.check_cancelled()
            m, y = train[n]
            b = torch.as_tensor(m[members], device=device)
            yt = torch.as_tensor(y[members], device=device)
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(b), yt, weight=wt)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            tot += float(loss.detach()) * len(members)
            cnt += len(members)
            ctx.progress(0.02 + 0.83 * step / total, f"epoch {epoch + 1}/{spec.epochs}: loss {tot / cnt:.4f}")
        acc, _ = _accuracy(model, val, device, ctx)
        history.append({"epoch": epoch + 1, "loss": tot / max(cnt, 1), "accuracy": acc})
        ctx.log(f"epoch {epoch + 1}: loss {tot / max(cnt, 1):.4f}, validation accuracy {acc:.4f}")
        if acc > best[0] or best[1] is None:
            best = (acc, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if spec.time_budget_s and time.perf_counter() - t_train > spec.time_budget_s:
            stopped = f"time budget {spec.time_budget_s:.0f} s reached after epoch {epoch + 1}"
            break
    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()
    stopped = stopped or f"{len(history)} epochs"

    accuracy_by_n: dict[int, float] = {}
    per_family_by_n: dict[int, dict[str, float]] = {}
    sizes = tuple(spec.eval_sizes)
    for k, n in enumerate(sizes):
        ctx.progress(0.85 + 0.14 * k / max(len(sizes), 1), f"held-out size n = {n}")
        sample = sample_size(n, spec.eval_per_family, seed=1000 + n, cancelled=ctx.cancelled)
        ctx.check_cancelled()
        acc, per = _accuracy(model, _dense(sample, np.arange(len(sample))), device, ctx)
        accuracy_by_n[n], per_family_by_n[n] = acc, per
        ctx.log(f"n = {n}: accuracy {acc:.4f} ({len(sample)} quivers) {per}")

    checkpoint = ""
    if spec.out:
        prov = {
            "data": {
                "train": ds.provenance,
                "train_used": len(tr_idx),
                "validation": len(va_idx),
                "size_generalisation": {
                    "per_family": spec.eval_per_family,
                    "seeds": "1000 + n",
                    "method": "random mutation walks (workbench_quiver.gnn.dataset.sample_size)",
                },
            },
            "spec": {k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.__dict__.items()},
            "history": history,
            "metrics": {
                "validation_accuracy": best[0],
                "size_generalisation": {str(n): a for n, a in accuracy_by_n.items()},
                "size_generalisation_per_family": {str(n): p for n, p in per_family_by_n.items()},
                "paper_size_generalisation": {str(n): a for n, a in PAPER_SIZE_GENERALISATION.items()},
            },
            "timing": {"seconds": round(time.perf_counter() - t0, 1), "device": device},
            "command": retrain_command(spec),
            "stopped": stopped,
        }
        try:
            w, _ = save_invariant_checkpoint(model, spec.out, prov)
        except (OSError, ValueError) as exc:
            raise JobError(f"cannot write the checkpoint {spec.out}: {exc}") from None
        checkpoint = str(w)
    ctx.progress(1.0, "trained")
    return TrainQuiverResult(
        history=tuple(history),
        accuracy_by_n=accuracy_by_n,
        checkpoint=checkpoint,
        per_family_by_n=per_family_by_n,
        val_accuracy=best[0],
        train_size=int(len(tr_idx)),
        seconds=time.perf_counter() - t0,
        stopped=stopped,
    )


def retrain_command(spec: TrainQuiverSpec) -> str:
    """The ``workbench equivariant train-quiver`` command line that repeats ``spec``."""
    d = TrainQuiverSpec()
    parts = ["workbench equivariant train-quiver", f"--out {spec.out}" if spec.out else ""]
    for name, flag in (
        ("epochs", "--epochs"),
        ("seed", "--seed"),
        ("hidden", "--hidden"),
        ("layers", "--layers"),
        ("lr", "--lr"),
        ("batch_size", "--batch-size"),
        ("device", "--device"),
        ("eval_per_family", "--eval-per-family"),
        ("train_limit", "--train-limit"),
        ("time_budget_s", "--time-budget"),
        ("threads", "--threads"),
        ("data", "--data"),
        ("inputs", "--inputs"),
    ):
        v = getattr(spec, name)
        if v != getattr(d, name):
            parts.append(f"{flag} {v}")
    if tuple(spec.eval_sizes) != d.eval_sizes:
        parts.append("--eval-sizes " + ",".join(str(n) for n in spec.eval_sizes))
    return " ".join(p for p in parts if p)


def load_quiver_classifier(path: str = "", device: str = "cpu") -> InvariantCheckpoint:
    """The checkpoint at ``path`` ('' = the shipped resources/equivariant/quiver-invariant),
    verified; raises :class:`workbench.checkpoint.CheckpointError` naming the file and problem."""
    from .core.quiver_invariant import default_invariant_checkpoint_path

    return load_invariant_checkpoint(path or default_invariant_checkpoint_path(), device)
