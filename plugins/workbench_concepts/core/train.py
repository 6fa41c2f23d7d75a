"""Training the task networks: one member, an ensemble, and their checkpoints.

Each member is a :class:`~workbench_concepts.core.resnet.ConceptResNet` trained with Adam
(cosine-decayed learning rate, cross-entropy, random horizontal flips) from its own seed; the
ensemble's members differ only by seed, as the paper's ResNet-18 ensembles do (Konz et al.,
arXiv 2310.03149, section 3).  The training data are given as an index set into the training
images, so the removal experiment and LDS retrain on subsets of the same arrays.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .dataset import ImageSet
from .resnet import ConceptResNet

CHECKPOINT_KIND = "concepts-resnet-ensemble"


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (epochs over the given subset, batch size, Adam learning rate)."""

    epochs: int = 8
    batch: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    width: int = 8

    def validate(self) -> None:
        if not 1 <= self.epochs <= 1000:
            raise ValueError(f"epochs must be in 1..1000, got {self.epochs}")
        if not 1 <= self.batch <= 100_000:
            raise ValueError(f"batch must be in 1..100000, got {self.batch}")
        if not (0 < self.lr < 10 and math.isfinite(self.lr)):
            raise ValueError(f"learning rate must be in (0, 10), got {self.lr}")
        if not 1 <= self.width <= 256:
            raise ValueError(f"width must be in 1..256, got {self.width}")


def train_member(
    train: ImageSet,
    seed: int,
    cfg: TrainConfig,
    *,
    indices: np.ndarray | None = None,
    device: str = "cpu",
    check: Callable[[float], None] | None = None,
    same_order: bool = False,
) -> ConceptResNet:
    """Train one member on ``train`` (restricted to ``indices`` when given) from ``seed``.

    ``same_order``: every epoch draws the permutation and the flip decisions over the *whole*
    training set (as a model trained on all of it does) and visits the subset's examples in
    that order with those flips, so models trained from one seed on different subsets share
    their initialisation, the relative order of their common examples and each example's
    flips, and differ only by which examples are present (the LDS protocol's subset models,
    :func:`~workbench_concepts.core.attribution.lds_by_retraining`).  Without ``indices`` both
    settings give the same model, bit for bit.  The default (False) shuffles the subset's own
    positions, as the removal experiment's retrainings were run.

    ``check(fraction)`` is called after every batch (progress in [0, 1]; it may raise to
    cancel).  Returns the model in eval mode on the CPU."""
    cfg.validate()
    idx = np.arange(len(train)) if indices is None else np.asarray(indices, dtype=np.int64)
    if idx.size < 2:
        raise ValueError(f"cannot train on {idx.size} example(s)")
    if same_order and np.unique(idx).size != idx.size:
        raise ValueError("same_order needs distinct training indices (a subset, each example once)")
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    model = ConceptResNet(cfg.width, int(train.labels.max()) + 1 if len(train) else 10).to(device)
    x_all = torch.from_numpy(train.images[idx])
    y_all = torch.from_numpy(train.labels[idx])
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(idx.size / cfg.batch)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    model.train()
    present = torch.zeros(len(train), dtype=torch.bool)
    present[torch.from_numpy(idx)] = True
    position = torch.full((len(train),), -1, dtype=torch.int64)  # training index -> row of x_all
    position[torch.from_numpy(idx)] = torch.arange(idx.size)
    for _ in range(cfg.epochs):
        if same_order:
            # one draw of len(train) for the order and for the flips, as the full set's training
            # makes (torch.rand(n) equals consecutive draws of its batch sizes)
            full = torch.randperm(len(train), generator=gen)
            flips_full = torch.rand(len(train), generator=gen) < 0.5
            keep = present[full]
            perm, flips = position[full[keep]], flips_full[keep]
        else:
            perm = torch.randperm(idx.size, generator=gen)
            flips = None
        for b in range(steps_per_epoch):
            sel = perm[b * cfg.batch : (b + 1) * cfg.batch]
            xb, yb = x_all[sel], y_all[sel]
            if flips is None:
                flip = torch.rand(xb.shape[0], generator=gen) < 0.5
            else:
                flip = flips[b * cfg.batch : (b + 1) * cfg.batch]
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb).to(device)
            loss = loss_fn(model(xb), yb.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if check is not None:
                check(step / total)
    recalibrate_batchnorm(model, x_all, cfg.batch, device)
    return model.eval().cpu()


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, x: torch.Tensor, batch: int, device: str = "cpu") -> None:
    """Replace every BatchNorm's running statistics by their exact average over ``x`` under
    the final weights (one forward pass in train mode, cumulative averaging).  The running
    averages kept during a short training lag the moving weights; on the tiny trainings here
    that cost 10-20 points of eval accuracy."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for s in range(0, x.shape[0], max(batch, 256)):
        model(x[s : s + max(batch, 256)].to(device))
    for m, mom in zip(bns, saved, strict=True):
        m.momentum = mom


def train_ensemble(
    train: ImageSet,
    seeds: Sequence[int],
    cfg: TrainConfig,
    *,
    indices: np.ndarray | None = None,
    device: str = "cpu",
    check: Callable[[float], None] | None = None,
) -> list[ConceptResNet]:
    """One member per seed (see :func:`train_member`); ``check`` gets the overall fraction."""
    n = len(seeds)
    if n < 1:
        raise ValueError("an ensemble needs at least one member")
    out = []
    for i, s in enumerate(seeds):
        sub = None if check is None else (lambda f, i=i: check((i + f) / n))
        out.append(train_member(train, s, cfg, indices=indices, device=device, check=sub))
    return out


@torch.no_grad()
def accuracy(model: nn.Module, data: ImageSet, batch: int = 500) -> float:
    """Task accuracy of ``model`` on ``data`` (fraction in [0, 1])."""
    model.eval()
    hits = 0
    for s in range(0, len(data), batch):
        x = torch.from_numpy(data.images[s : s + batch])
        hits += int((model(x).argmax(1).numpy() == data.labels[s : s + batch]).sum())
    return hits / max(len(data), 1)


def save_ensemble(path: str | Path, models: Sequence[ConceptResNet], provenance: dict[str, Any]) -> tuple[Path, Path]:
    """One checkpoint (safetensors + JSON sidecar) holding every member, keys ``m{i}.<name>``."""
    from workbench.checkpoint import save_checkpoint

    state: dict[str, torch.Tensor] = {}
    for i, m in enumerate(models):
        for k, v in m.state_dict().items():
            state[f"m{i}.{k}"] = v
    arch = dict(models[0].architecture())
    arch["members"] = len(models)
    return save_checkpoint(path, state, architecture=arch, provenance=provenance, kind=CHECKPOINT_KIND)


def load_ensemble(path: str | Path) -> tuple[list[ConceptResNet], dict[str, Any]]:
    """The members of a checkpoint written by :func:`save_ensemble` and its provenance.
    Raises :class:`workbench.checkpoint.CheckpointError` naming the file when it does not fit."""
    from workbench.checkpoint import CheckpointError, build_checked, load_checkpoint

    ckpt = load_checkpoint(path, kind=CHECKPOINT_KIND)
    arch = ckpt.architecture
    try:
        width, ncls, members = int(arch["width"]), int(arch["num_classes"]), int(arch["members"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: architecture needs integer width, num_classes, members; got {arch}") from None
    if not 1 <= members <= 100:
        raise CheckpointError(f"{path}: {members} members (expected 1..100)")
    models = []
    for i in range(members):
        prefix = f"m{i}."
        sub = {k[len(prefix) :]: v for k, v in ckpt.tensors.items() if k.startswith(prefix)}
        one = dataclasses.replace(ckpt, tensors=sub)
        models.append(build_checked(one, lambda: ConceptResNet(width, ncls)))
    return models, dict(ckpt.provenance)


def default_ensemble_path() -> Path:
    """The shipped default ensemble (resources/concepts/)."""
    from workbench_resources import resource_path

    return resource_path("concepts", "concepts-resnet-w12-x5.safetensors")
