"""Training and evaluation loops of the default zoo (small, CPU-friendly, seeded)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

from .models import DigitsMLP, TinyLM, lm_loss


def train_lm(
    model: TinyLM,
    train: np.ndarray,
    steps: int,
    batch: int,
    lr: float,
    seed: int,
    check: Callable[[], None] | None = None,
) -> None:
    """AdamW on random windows (``train``: ``[N, ctx + 1]`` token ids), cosine learning rate."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    data = torch.from_numpy(train)
    model.train()
    for _ in range(steps):
        if check:
            check()
        idx = torch.randint(0, len(data), (batch,), generator=g)
        loss = lm_loss(model, data[idx])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    model.eval()


@torch.no_grad()
def eval_lm(model: TinyLM, data: np.ndarray, batch: int = 256) -> tuple[float, float]:
    """(mean next-character loss in nats, next-character accuracy) on ``[N, ctx + 1]`` windows."""
    model.eval()
    tot, acc, cnt = 0.0, 0.0, 0
    t = torch.from_numpy(data)
    for s in range(0, len(t), batch):
        b = t[s : s + batch]
        logits = model(b[:, :-1])
        tot += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b[:, 1:].reshape(-1), reduction="sum"))
        acc += float((logits.argmax(-1) == b[:, 1:]).sum())
        cnt += b[:, 1:].numel()
    return tot / cnt, acc / cnt


def train_mlp(
    model: DigitsMLP,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    lr: float,
    seed: int,
    batch: int = 64,
    params: list[torch.nn.Parameter] | None = None,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> None:
    """Adam with minibatches over shuffled epochs; ``params`` restricts what is trained and
    ``forward`` replaces ``model`` (used by stitching and the rotation test)."""
    g = torch.Generator().manual_seed(seed)
    params = list(params) if params is not None else [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    fwd = forward or model
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=g)
        for s in range(0, len(xt), batch):
            idx = perm[s : s + batch]
            loss = F.cross_entropy(fwd(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()


@torch.no_grad()
def eval_classifier(
    forward: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray, y: np.ndarray
) -> tuple[float, float]:
    """(mean cross-entropy in nats, accuracy)."""
    logits = forward(torch.from_numpy(x))
    yt = torch.from_numpy(y)
    return float(F.cross_entropy(logits, yt)), float((logits.argmax(-1) == yt).float().mean())
