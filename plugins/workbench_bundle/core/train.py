"""Training and evaluation of the bundle classifiers (Qt-free, torch).

Checkpoints are the workbench's one format (:mod:`workbench.checkpoint`): ``X.safetensors``
plus the ``X.json`` sidecar, kind ``bundle-classifier``, architecture ``{"arch", "grid"}``,
provenance (data, seed, metrics, history, the command that retrains them), content hash.
Loading never unpickles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from workbench.seeding import torch_generator

from .augment import random_symmetry
from .classifiers import ARCHITECTURES, CLASSES, build_model, index_to_labels, labels_to_index

#: the kind recorded in these checkpoints' sidecars (workbench.checkpoint)
CHECKPOINT_KIND = "bundle-classifier"


@dataclass
class TrainConfig:
    """arch: mlp | cnn | flux.  epochs, batch_size, lr: Adam settings.  seed: of the initial
    weights and of the minibatch order (explicit generators; the process-wide one is untouched)."""

    arch: str = "cnn"
    epochs: int = 10
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "cpu"
    #: weight of the dense loss: squared error of the model's local density against per-cell
    #: charges (models with a ``density`` method; :mod:`.plaquette_targets`), summed over cells
    dense_weight: float = 0.0
    #: augment every minibatch by a random lattice symmetry of the torus (:mod:`.augment`)
    augment: bool = False
    #: the MLP's width (None: 256)
    hidden: int | None = None


@dataclass
class TrainResult:
    """A trained model with its curves and test metrics."""

    model: torch.nn.Module
    arch: str
    grid: int
    history: list[dict] = field(default_factory=list)
    hidden: int | None = None
    test_accuracy: float = float("nan")
    confusion: list[list[int]] = field(default_factory=list)
    seconds: float = 0.0


def _to_tensor(psi: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(psi.astype(np.complex64)))


def predict(model: torch.nn.Module, psi: np.ndarray, batch_size: int = 512, device: str = "cpu") -> np.ndarray:
    """Predicted Chern numbers (S,) of sections psi (S, 2, N, N)."""
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(psi), batch_size):
            x = _to_tensor(psi[s : s + batch_size]).to(device)
            out.append(index_to_labels(model(x).argmax(1)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def confusion_matrix(true: np.ndarray, pred: np.ndarray) -> list[list[int]]:
    """5 x 5 counts, rows = true class -2..2, columns = predicted."""
    m = np.zeros((len(CLASSES), len(CLASSES)), dtype=np.int64)
    for t, p in zip(true, pred, strict=True):
        if -2 <= t <= 2 and -2 <= p <= 2:
            m[t + 2, p + 2] += 1
    return m.tolist()


def train_classifier(
    psi_train: np.ndarray,
    y_train: np.ndarray,
    psi_test: np.ndarray,
    y_test: np.ndarray,
    cfg: TrainConfig,
    progress: Callable[[float, str], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
    cells_train: np.ndarray | None = None,
) -> TrainResult:
    """Train ``cfg.arch`` with cross-entropy and Adam; evaluates on the test split every epoch.

    cells_train: per-cell charges (S, N, N) of the training samples for the dense loss
    (``cfg.dense_weight``); samples whose charges do not sum to their label get no dense loss."""
    if cfg.arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {cfg.arch!r}")
    if len(psi_train) == 0:
        raise ValueError("empty training set")
    if np.any(np.abs(y_train) > 2):
        raise ValueError("training labels must be in -2..2")
    # explicit generators, never torch.manual_seed: jobs on other panel threads share the
    # process-wide one.  Initial weights and minibatch order both start from cfg.seed, as
    # before (the shipped checkpoints retrain to the same weights).
    gen = torch_generator(cfg.seed)
    grid = int(psi_train.shape[-1])
    model = build_model(cfg.arch, grid, generator=torch_generator(cfg.seed), hidden=cfg.hidden).to(cfg.device)
    dense = cfg.dense_weight > 0
    if dense and (cells_train is None or not hasattr(model, "density")):
        raise ValueError(f"a dense loss needs per-cell charges and a model with a local density ({cfg.arch!r})")
    if dense and cells_train is not None and cells_train.shape != (len(psi_train), grid, grid):
        raise ValueError(f"per-cell charges must have shape {(len(psi_train), grid, grid)}, got {cells_train.shape}")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x_all = _to_tensor(psi_train)
    c_all = torch.from_numpy(y_train.astype(np.int64))
    q_all = torch.from_numpy(cells_train.astype(np.float32)) if dense and cells_train is not None else None
    w_all = (q_all.sum(dim=(1, 2)) == c_all.float()).float() if q_all is not None else None
    n = len(x_all)
    steps_per_epoch = max(1, (n + cfg.batch_size - 1) // cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    history: list[dict] = []
    t0 = time.perf_counter()
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        for s in range(0, n, cfg.batch_size):
            if check_cancelled is not None:
                check_cancelled()
            idx = perm[s : s + cfg.batch_size]
            x, c = x_all[idx], c_all[idx]
            q = q_all[idx] if q_all is not None else None
            if cfg.augment:
                x, c, q = random_symmetry(x, c, q, gen)
            x, y = x.to(cfg.device), labels_to_index(c).to(cfg.device)
            if dense and q is not None and w_all is not None:
                density = model.density(x)  # type: ignore[operator]
                logits = model.readout(density.sum(dim=(1, 2)))  # type: ignore[operator]
                err = ((density - q.to(cfg.device)) ** 2).sum(dim=(1, 2))
                dense_loss = (err * w_all[idx].to(cfg.device)).mean()
                loss = torch.nn.functional.cross_entropy(logits, y) + cfg.dense_weight * dense_loss
            else:
                logits = model(x)
                loss = torch.nn.functional.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(1) == y).sum())
            step += 1
            if progress is not None:
                progress(step / total, f"{cfg.arch} epoch {epoch + 1}/{cfg.epochs} loss {loss.item():.3f}")
        test_acc = (
            float(np.mean(predict(model, psi_test, device=cfg.device) == y_test)) if len(y_test) else float("nan")
        )
        history.append(
            {"epoch": epoch + 1, "loss": loss_sum / n, "train_accuracy": correct / n, "test_accuracy": test_acc}
        )
    pred = predict(model, psi_test, device=cfg.device) if len(y_test) else np.zeros(0, dtype=np.int64)
    acc = float(np.mean(pred == y_test)) if len(y_test) else float("nan")
    return TrainResult(
        model=model.cpu(),
        arch=cfg.arch,
        grid=grid,
        hidden=cfg.hidden,
        history=history,
        test_accuracy=acc,
        confusion=confusion_matrix(y_test, pred),
        seconds=time.perf_counter() - t0,
    )


#: the largest torus grid a classifier checkpoint may declare (the panel's view grid is at most 1024)
MAX_GRID = 1024


def save_checkpoint(result: TrainResult, path: str | Path, provenance: dict) -> tuple[Path, Path]:
    """Write ``path`` (.safetensors) and its .json sidecar: architecture {arch, grid}; provenance:
    test accuracy, confusion matrix, history, training time and ``provenance`` (data, seed, command)."""
    from workbench.checkpoint import save_checkpoint as save

    prov = {
        "test_accuracy": result.test_accuracy,
        "confusion_true_rows_pred_cols_classes_-2..2": result.confusion,
        "history": result.history,
        "train_seconds": round(result.seconds, 2),
        **provenance,
    }
    return save(
        path,
        result.model.state_dict(),
        architecture={"arch": result.arch, "grid": int(result.grid)}
        | ({"hidden": int(result.hidden)} if result.hidden else {}),
        provenance=prov,
        kind=CHECKPOINT_KIND,
    )


def load_checkpoint(path: str | Path) -> tuple[torch.nn.Module, dict]:
    """A classifier (eval mode) and its metadata (provenance with ``arch`` and ``grid``) from a
    checkpoint; :class:`workbench.checkpoint.CheckpointError` (a ValueError) naming the file when
    it is missing, corrupt, of another kind, or its weights do not fit the architecture."""
    from workbench.checkpoint import CheckpointError, build_checked
    from workbench.checkpoint import load_checkpoint as load

    ck = load(path, kind=CHECKPOINT_KIND)
    arch, grid = ck.architecture.get("arch"), ck.architecture.get("grid")
    if arch not in ARCHITECTURES or isinstance(grid, bool) or not isinstance(grid, int) or not 4 <= grid <= MAX_GRID:
        raise CheckpointError(
            f"{ck.sidecar}: unknown architecture {arch!r} or grid {grid!r} "
            f"(expected one of {', '.join(ARCHITECTURES)} and a grid of 4..{MAX_GRID})"
        )
    hidden = ck.architecture.get("hidden")
    if hidden is not None and (isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= 4096):
        raise CheckpointError(f"{ck.sidecar}: the MLP width {hidden!r} is not an integer in 1..4096")
    model = build_checked(ck, lambda: build_model(arch, grid, hidden=hidden))
    return model, {**ck.provenance, "arch": arch, "grid": grid}
