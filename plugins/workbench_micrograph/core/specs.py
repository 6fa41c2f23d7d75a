"""Plain-data settings of the micrograph plugin's models, importable without torch (jobs and
panel states build them before any job runs): which model (:class:`ModelRef`), how to train
(:class:`TrainConfig`), one epoch's report (:class:`TrainProgress`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch

#: the shipped classifier's name (resources/micrograph/<name>.safetensors)
DEFAULT_MODEL = "micrograph-resnet-w8"


@dataclass(frozen=True)
class TrainConfig:
    """epochs; batch: images per step; lr: Adam's learning rate (cosine-decayed to 0); weight_decay;
    width: channels of the first stage; augment: random flips and 90-degree rotations; seed:
    initial weights, batch order and augmentation."""

    epochs: int = 24
    batch: int = 64
    lr: float = 3e-3
    weight_decay: float = 5e-4
    width: int = 8
    augment: bool = True
    seed: int = 0

    def check(self) -> TrainConfig:
        if self.epochs < 1 or self.batch < 1 or not self.lr > 0 or self.weight_decay < 0 or self.width < 1:
            raise ValueError(f"training settings out of range: {self}")
        return self


@dataclass
class TrainProgress:
    """One epoch of training (a partial result): mean batch loss, source train and val accuracy."""

    epoch: int
    loss: float
    train_acc: float
    val_acc: float


@dataclass(frozen=True)
class ModelRef:
    """Which classifier a job uses (plain data).

    kind: ``"default"`` (the shipped one), ``"file"`` (a checkpoint, state dict or TorchScript at
    ``path``; ``width`` for a bare state dict), or ``"state"`` (the tensors in ``state`` with
    the architecture ``architecture``: a model trained in this session)."""

    kind: str = "default"
    path: str = ""
    width: int = 8
    state: dict[str, torch.Tensor] | None = None
    architecture: dict[str, Any] | None = None

    def label(self) -> str:
        return {"default": DEFAULT_MODEL, "file": Path(self.path).name, "state": "trained in this session"}.get(
            self.kind, self.kind
        )
