"""Training the micrograph classifier on the source domain, and its files (Qt-free, torch).

Training: Adam with weight decay, cosine learning-rate decay, cross-entropy, mini-batches drawn
with an explicit ``torch.Generator`` (:mod:`workbench.seeding`; nothing uses torch's
process-wide generator), augmentation by the eight symmetries of the square (a micrograph's
orientation on the stub is arbitrary; nothing else is augmented, so the shifts stay shifts).
BatchNorm statistics are those of the source training data; edits keep them frozen.

Files: :func:`save_classifier` / :func:`load_classifier` through :mod:`workbench.checkpoint`
(kind ``micrograph-classifier``, architecture from :meth:`MicrographResNet.architecture`);
:func:`load_user_model` also takes a user's TorchScript archive (``torch.jit.load``) or a bare
state dict (safetensors or ``torch.load(..., weights_only=True)``) for this architecture.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from workbench.errors import InputError
from workbench.seeding import torch_generator

from .data import ImageSet
from .models import CHECKPOINT_KIND, MicrographResNet, build_model, model_from_architecture
from .specs import DEFAULT_MODEL, ModelRef, TrainConfig, TrainProgress

__all__ = [
    "DEFAULT_MODEL",
    "ModelFileError",
    "ModelRef",
    "TrainConfig",
    "TrainOutcome",
    "TrainProgress",
    "accuracy",
    "d4",
    "default_model_path",
    "load_classifier",
    "load_model",
    "load_user_model",
    "predict",
    "save_classifier",
    "train_classifier",
]


class ModelFileError(InputError):
    """A model file that cannot be used; the message names the file and the problem."""


@dataclass
class TrainOutcome:
    model: MicrographResNet
    history: list[TrainProgress] = field(default_factory=list)
    seconds: float = 0.0


def d4(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Each image x[i] moved by the symmetry k[i] in 0..7 of the square (k % 4 quarter turns,
    then a horizontal flip when k >= 4)."""
    out = torch.empty_like(x)
    for s in range(8):
        rows = k == s
        if rows.any():
            y = torch.rot90(x[rows], s % 4, dims=(2, 3))
            out[rows] = torch.flip(y, dims=(3,)) if s >= 4 else y
    return out


def predict(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    device: str = "cpu",
    batch: int = 512,
    check: Callable[[], None] | None = None,
) -> np.ndarray:
    """Logits (N, classes) of ``model`` (set to eval mode) on images x (N, 1, H, W) in [0, 1]."""
    model.eval()
    xt = torch.as_tensor(x)
    outs = []
    with torch.no_grad():
        for i in range(0, xt.shape[0], batch):
            if check is not None:
                check()
            outs.append(model(xt[i : i + batch].to(device)).cpu())
    return torch.cat(outs).numpy() if outs else np.zeros((0, 0), np.float32)


def accuracy(model: nn.Module, images: ImageSet, device: str = "cpu", check: Callable[[], None] | None = None) -> float:
    """Fraction of ``images`` that ``model`` classifies correctly (nan for an empty set)."""
    if len(images) == 0:
        return float("nan")
    return float((predict(model, images.x, device, check=check).argmax(1) == images.y).mean())


def train_classifier(
    train: ImageSet,
    val: ImageSet,
    num_classes: int,
    cfg: TrainConfig | None = None,
    device: str = "cpu",
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
    partial: Callable[[TrainProgress], None] | None = None,
) -> TrainOutcome:
    """Train a fresh :class:`MicrographResNet` on ``train`` (reporting accuracy on ``val``);
    ``cfg`` None: :class:`TrainConfig`'s defaults."""
    cfg = (cfg or TrainConfig()).check()
    if len(train) == 0:
        raise ValueError("the training set is empty")
    g = torch_generator(cfg.seed)
    model = build_model(num_classes, cfg.width, generator=g).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x = torch.as_tensor(train.x)
    y = torch.as_tensor(train.y)
    n = len(train)
    steps_per_epoch = (n + cfg.batch - 1) // cfg.batch
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, total) / total)))
    history: list[TrainProgress] = []
    t0 = time.perf_counter()
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.randperm(n, generator=g)
        losses, correct = [], 0
        for b in range(steps_per_epoch):
            if check is not None:
                check()
            idx = order[b * cfg.batch : (b + 1) * cfg.batch]
            xb = x[idx]
            if cfg.augment:
                xb = d4(xb, torch.randint(0, 8, (len(idx),), generator=g))
            xb, yb = xb.to(device), y[idx].to(device)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            losses.append(loss.item())
            correct += int((logits.argmax(1) == yb).sum())
            if progress is not None:
                progress(step / total, f"epoch {epoch + 1}/{cfg.epochs}, loss {np.mean(losses):.3f}")
        rec = TrainProgress(epoch + 1, float(np.mean(losses)), correct / n, accuracy(model, val, device, check))
        history.append(rec)
        if partial is not None:
            partial(rec)
    model.eval()
    return TrainOutcome(model, history, time.perf_counter() - t0)


# --------------------------------------------------------------------------- files
def default_model_path() -> Path:
    """The shipped default classifier (resources/micrograph/)."""
    from workbench_resources import resource_path

    return resource_path("micrograph", f"{DEFAULT_MODEL}.safetensors")


def save_classifier(path: str | Path, model: MicrographResNet, provenance: dict[str, Any]) -> tuple[Path, Path]:
    """Write the checkpoint (safetensors + JSON sidecar) of ``model``."""
    from workbench.checkpoint import save_checkpoint

    return save_checkpoint(
        path, model.state_dict(), architecture=model.architecture(), provenance=provenance, kind=CHECKPOINT_KIND
    )


def load_classifier(path: str | Path, device: str = "cpu") -> tuple[MicrographResNet, dict[str, Any]]:
    """A classifier and its provenance from a checkpoint of this plugin (verified: kind,
    architecture, sha256, names and shapes)."""
    from workbench.checkpoint import CheckpointError, load_checkpoint, load_into

    try:
        ck = load_checkpoint(path, kind=CHECKPOINT_KIND)
        model = load_into(model_from_architecture(ck.architecture), ck)
    except (CheckpointError, ValueError, KeyError) as exc:
        raise ModelFileError(str(exc)) from None
    return model.to(device).eval(), dict(ck.provenance)


def load_user_model(path: str | Path, num_classes: int, width: int = 8, device: str = "cpu") -> nn.Module:
    """A user's model: a checkpoint of this plugin, a bare state dict of a
    :class:`MicrographResNet` (``.safetensors``, or ``.pt``/``.pth`` read with
    ``weights_only=True``; ``width`` and ``num_classes`` give the architecture), or a
    TorchScript archive (``.pt``/``.ts`` that is one) taking (B, 1, H, W) in [0, 1]."""
    from workbench.checkpoint import CheckpointError, is_checkpoint, load_into, read_safetensors

    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise ModelFileError(f"{p}: the file is empty")
    if p.suffix == ".safetensors":
        try:
            if is_checkpoint(p):
                return load_classifier(p, device)[0]
            state = read_safetensors(p)
            return load_into(MicrographResNet(num_classes, width), state, p).to(device).eval()
        except CheckpointError as exc:
            raise ModelFileError(str(exc)) from None
    try:
        ts = torch.jit.load(str(p), map_location=device)
        return ts.eval()
    except Exception:  # noqa: BLE001 - not TorchScript: try a weights-only state dict
        pass
    try:
        obj = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise ModelFileError(
            f"{p}: neither TorchScript nor a state dict readable with weights_only=True "
            f"({(str(exc).splitlines() or [type(exc).__name__])[0][:160]})"
        ) from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelFileError(f"{p}: expected a state dict (names -> tensors), got {type(obj).__name__}")
    try:
        return load_into(MicrographResNet(num_classes, width), obj, p).to(device).eval()
    except CheckpointError as exc:
        raise ModelFileError(str(exc)) from None


def load_model(ref: ModelRef, num_classes: int, device: str = "cpu") -> nn.Module:
    """The classifier ``ref`` names, in eval mode on ``device``; ModelFileError when it does not
    exist, does not load, or does not output ``num_classes`` logits."""
    if ref.kind == "default":
        path = default_model_path()
        if not path.is_file():
            raise ModelFileError(
                f"the shipped classifier is missing ({path}); retrain it with "
                "`python -m workbench_micrograph.train_defaults`"
            )
        model: nn.Module = load_classifier(path, device)[0]
    elif ref.kind == "file":
        model = load_user_model(ref.path, num_classes, ref.width, device)
    elif ref.kind == "state":
        if ref.state is None or ref.architecture is None:
            raise ModelFileError("a trained model needs its tensors and architecture")
        from workbench.checkpoint import CheckpointError, load_into

        try:
            model = load_into(model_from_architecture(ref.architecture), ref.state, "trained model")
        except (CheckpointError, ValueError, KeyError) as exc:
            raise ModelFileError(str(exc)) from None
    else:
        raise ModelFileError(f"unknown model kind {ref.kind!r}; use default, file or state")
    model = model.to(device).eval()
    with torch.no_grad():
        try:
            out = model(torch.full((2, 1, 32, 32), 0.5, device=device))
        except Exception as exc:  # noqa: BLE001 - a user's model may fail in any way
            raise ModelFileError(
                f"{ref.label()}: the model fails on (2, 1, 32, 32) images: {type(exc).__name__}: {exc}"
            ) from None
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, num_classes):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ModelFileError(
            f"{ref.label()}: expected logits of shape (batch, {num_classes}) for the "
            f"{num_classes} classes of the data, got {shape}"
        )
    return model
