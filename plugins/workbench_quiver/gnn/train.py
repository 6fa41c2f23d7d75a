"""Training and evaluation of the DirGINE classifier (Qt-free, job-friendly).

Cross-entropy with class weights inverse to the family frequencies (the E family at depth 8
outnumbers A by 3:1), AdamW, cosine learning-rate decay, a stratified validation split,
early stopping on validation loss (``patience`` epochs), an optional wall-clock budget, and
progress/cancel hooks so that the same function runs as a panel job or in the terminal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from workbench.seeding import init_module_, torch_generator

from . import FAMILIES
from .dataset import PackedGraphs, QuiverDataset, from_matrices, pack, to_data
from .model import DirGINE, ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 256
    lr: float = 5e-3
    weight_decay: float = 1e-4
    patience: int = 6
    val_fraction: float = 0.1
    seed: int = 0
    time_budget_s: float | None = None  # CPU seconds of this process (time.process_time)
    threads: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainHistory:
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    stopped: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) with ``fraction`` of every label value in val."""
    rng = np.random.default_rng(seed)
    tr, va = [], []
    for c in np.unique(labels):
        idx = np.nonzero(labels == c)[0]
        rng.shuffle(idx)
        k = int(round(fraction * len(idx)))
        va.append(idx[:k])
        tr.append(idx[k:])
    return np.sort(np.concatenate(tr)), np.sort(np.concatenate(va))


@torch.no_grad()
def logits_of(
    model: DirGINE,
    packed: PackedGraphs,
    device: str = "cpu",
    batch_size: int = 2048,
    idx: np.ndarray | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> torch.Tensor:
    """Stacked logits (G, 6) of the graphs ``idx`` (default all) of ``packed``."""
    model.eval()
    idx = np.arange(len(packed)) if idx is None else np.asarray(idx)
    out = []
    for s in range(0, len(idx), batch_size):
        if cancelled is not None and cancelled():
            raise InterruptedError("evaluation cancelled")
        x, ei, ea, b, _y = packed.batch(idx[s : s + batch_size], device)
        out.append(model(x, ei, ea, b).cpu())
    return torch.cat(out) if out else torch.zeros((0, len(FAMILIES)))


def train_model(
    train_ds: QuiverDataset,
    model_config: ModelConfig,
    config: TrainConfig,
    device: str = "cpu",
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_epoch: Callable[[TrainHistory], None] | None = None,
    packed: PackedGraphs | None = None,
) -> tuple[DirGINE, TrainHistory]:
    """Train a fresh :class:`DirGINE` on ``train_ds``; returns the best-validation model."""
    # explicit generators only (jobs on other panel threads share torch's process-wide one):
    # initial weights from torch_generator(seed) - the weights torch.manual_seed(seed) gave
    # before - and the minibatch order from numpy's default_rng(seed)
    rng = np.random.default_rng(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    t0 = time.perf_counter()
    c0 = time.process_time()
    hist = TrainHistory()
    if packed is None:
        packed = pack(train_ds, model_config.feature_set, cancelled)
    tr_idx, va_idx = stratified_split(np.asarray(train_ds.label), config.val_fraction, config.seed)
    counts = np.bincount(packed.y[tr_idx], minlength=len(FAMILIES)).astype(float)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max((counts > 0).sum(), 1), 0.0)
    wt = torch.tensor(weights, dtype=torch.float32, device=device)
    model = init_module_(DirGINE(model_config), torch_generator(config.seed)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, math.ceil(len(tr_idx) / config.batch_size))
    total_steps = steps_per_epoch * config.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=total_steps, pct_start=0.1)
    best: tuple[float, dict[str, torch.Tensor] | None] = (math.inf, None)  # (validation loss, weights)
    bad = 0
    step = 0
    for epoch in range(config.epochs):
        model.train()
        tot, cnt = 0.0, 0
        order = rng.permutation(tr_idx)
        for s in range(0, len(order), config.batch_size):
            if cancelled is not None and cancelled():
                raise InterruptedError("training cancelled")
            x, ei, ea, b, y = packed.batch(order[s : s + config.batch_size], device)
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x, ei, ea, b), y, weight=wt)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            tot += float(loss.detach()) * len(y)
            cnt += len(y)
            if progress is not None:
                progress(step / total_steps, f"epoch {epoch + 1}/{config.epochs} loss {tot / max(cnt, 1):.4f}")
        hist.train_loss.append(tot / max(cnt, 1))
        if len(va_idx):
            lg = logits_of(model, packed, device, idx=va_idx, cancelled=cancelled)
            yv = torch.as_tensor(packed.y[va_idx])
            vl = float(torch.nn.functional.cross_entropy(lg, yv, weight=wt.cpu()))
            va = float((lg.argmax(1) == yv).float().mean())
        else:
            vl, va = hist.train_loss[-1], float("nan")
        hist.val_loss.append(vl)
        hist.val_acc.append(va)
        if vl < best[0] - 1e-5:
            best = (vl, {k: v.detach().clone() for k, v in model.state_dict().items()})
            hist.best_epoch = epoch
            bad = 0
        else:
            bad += 1
        if on_epoch is not None:
            on_epoch(hist)
        if bad >= config.patience:
            hist.stopped = f"early stopping after epoch {epoch + 1} (best {hist.best_epoch + 1})"
            break
        if config.time_budget_s is not None and time.process_time() - c0 > config.time_budget_s:
            hist.stopped = f"CPU-time budget {config.time_budget_s:.0f} s reached after epoch {epoch + 1}"
            break
    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()
    hist.seconds = time.perf_counter() - t0
    hist.cpu_seconds = time.process_time() - c0
    if not hist.stopped:
        hist.stopped = f"{len(hist.train_loss)} epochs"
    return model, hist


@dataclass
class Evaluation:
    accuracy: float
    n: int
    per_type: dict[str, float]
    per_family: dict[str, float]
    confusion: list[list[int]]  # rows true family, columns predicted

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate(
    model: DirGINE,
    ds: QuiverDataset,
    device: str = "cpu",
    packed: PackedGraphs | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Evaluation:
    """Accuracy of ``model`` on ``ds`` overall, per type label and per family, and the confusion matrix."""
    if packed is None:
        packed = pack(ds, model.config.feature_set, cancelled)
    pred = logits_of(model, packed, device, cancelled=cancelled).argmax(1).numpy()
    y = np.asarray(ds.label, dtype=np.int64)
    ok = pred == y
    per_type = {t: float(ok[ds.type_index == k].mean()) for k, t in enumerate(ds.types) if np.any(ds.type_index == k)}
    per_family = {f: float(ok[y == k].mean()) for k, f in enumerate(FAMILIES) if np.any(y == k)}
    conf = np.zeros((len(FAMILIES), len(FAMILIES)), dtype=np.int64)
    np.add.at(conf, (y, pred), 1)
    return Evaluation(float(ok.mean()) if len(ok) else float("nan"), int(len(ok)), per_type, per_family, conf.tolist())


@torch.no_grad()
def predict_proba(model: DirGINE, bs: Sequence[np.ndarray], device: str = "cpu") -> np.ndarray:
    """Family probabilities (len(bs), 6) of exchange matrices."""
    if not bs:
        return np.zeros((0, len(FAMILIES)))
    model.eval()
    if len(bs) == 1:
        d = to_data(np.asarray(bs[0]), model.config.feature_set).to(device)
        lg = model(d.x, d.edge_index, d.edge_attr)
    else:
        ds = from_matrices([np.asarray(b)[: np.asarray(b).shape[1]] for b in bs], ["A1"] * len(bs))
        lg = logits_of(model, pack(ds, model.config.feature_set), device)
    return torch.softmax(lg, dim=-1).cpu().numpy()
