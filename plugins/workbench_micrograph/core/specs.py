"""Plain-data settings of the micrograph plugin, importable without torch (jobs and the panel's
state build them before any job runs, and importing the panel must not import torch): which
model (:class:`ModelRef`), how to train (:class:`TrainConfig`), one epoch's report
(:class:`TrainProgress`), the names of the editable layers and blocks, each edit method's
settings (:class:`FullFinetune` ... :class:`OneLI`, documented in :mod:`.edits`, which runs
them) and the robustness evaluation's settings (:class:`RobustnessConfig`, run by
:mod:`.evaluate`).  The modules that use them re-export them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
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


# --------------------------------------------------------------------------- layers
#: editable layers of :class:`~.models.MicrographResNet`, by module path
EDITABLE_LAYERS = (
    "stem.conv",
    "layer1.conv1",
    "layer1.conv2",
    "layer2.conv1",
    "layer2.conv2",
    "layer3.conv1",
    "layer3.conv2",
    "fc",
)
#: blocks for surgical finetuning: every parameter under the prefix (BN affine included)
BLOCKS = ("stem", "layer1", "layer2", "layer3", "fc")


# --------------------------------------------------------------------------- configs
@dataclass(frozen=True)
class FullFinetune:
    """steps: Adam steps on the whole edit set; lr; weight_decay."""

    steps: int = 60
    lr: float = 1e-3
    weight_decay: float = 0.0
    name: str = "full_ft"


@dataclass(frozen=True)
class SurgicalFinetune:
    """layer: a block (:data:`~.models.BLOCKS`) or one layer (:data:`~.models.EDITABLE_LAYERS`)."""

    layer: str = "layer1"
    steps: int = 60
    lr: float = 3e-3
    weight_decay: float = 0.0
    name: str = "surgical"


@dataclass(frozen=True)
class SurgicalBest:
    """candidates: blocks to sweep; folds: cross-validation folds on the edit set; sweep_steps:
    steps of each fine-tuning in the sweep; steps, lr: of the final fine-tuning (lr also in the
    sweep)."""

    candidates: tuple[str, ...] = BLOCKS
    folds: int = 2
    sweep_steps: int = 30
    steps: int = 60
    lr: float = 3e-3
    name: str = "surgical_best"


@dataclass(frozen=True)
class LastLayer:
    """steps, lr, weight_decay of the fc layer's training; reinit: start from fresh weights."""

    steps: int = 200
    lr: float = 1e-2
    weight_decay: float = 1e-3
    reinit: bool = False
    name: str = "last_layer"


@dataclass(frozen=True)
class LowRank:
    """layer: one editable layer; rank: r; steps, lr of Adam on U and V."""

    layer: str = "layer1.conv1"
    rank: int = 4
    steps: int = 80
    lr: float = 2e-2
    name: str = "lowrank"


@dataclass(frozen=True)
class Rewrite:
    """layer: a convolution; mask: (H, W) booleans in image pixels (the region painted on the
    images; None: the whole image), applied to every image of the edit set (or to those in
    ``exemplars``, indices into the edit set; empty: all); ridge: relative regulariser of C;
    key_images: source training images for C."""

    layer: str = "layer1.conv1"
    mask: tuple[tuple[bool, ...], ...] | None = None
    exemplars: tuple[int, ...] = ()
    ridge: float = 1e-2
    key_images: int = 200
    name: str = "rewrite"


BaseEdit = FullFinetune | SurgicalFinetune | SurgicalBest | LastLayer | LowRank | Rewrite


@dataclass(frozen=True)
class OneLI:
    """base: the edit to interpolate toward; layer: the interpolated layer (None: the base's
    layer if it changed one, else the layer whose weights changed most relative to their norm);
    alpha: in [0, 1], or None (automatic, see the module docstring); target: the fraction of
    the edit-set gain that automatic alpha must reach; grid: alphas tried."""

    base: BaseEdit = field(default_factory=LowRank)
    layer: str | None = None
    alpha: float | None = None
    target: float = 0.9
    grid: int = 21
    name: str = "one_li"


EditConfig = BaseEdit | OneLI


METHODS: dict[str, Callable[[], EditConfig]] = {
    "full_ft": FullFinetune,
    "surgical": SurgicalFinetune,
    "surgical_best": SurgicalBest,
    "last_layer": LastLayer,
    "lowrank": LowRank,
    "rewrite": Rewrite,
    "one_li": OneLI,
}


def method_config(name: str, **overrides: Any) -> EditConfig:
    """The config of method ``name`` (a key of :data:`METHODS`) with ``overrides``."""
    if name not in METHODS:
        raise ValueError(f"unknown edit method {name!r}; use one of {', '.join(METHODS)}")
    cfg = METHODS[name]()
    try:
        return replace(cfg, **overrides)
    except TypeError as exc:
        raise ValueError(f"{name}: {exc}") from None


# --------------------------------------------------------------------------- robustness
#: corruption -> its five severities (parameter values, mildest first)
CORRUPTIONS: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.02, 0.04, 0.06, 0.09, 0.12),  # sd of additive noise
    "poisson_noise": (200.0, 100.0, 50.0, 25.0, 12.0),  # electrons per pixel at full signal
    "blur": (0.5, 0.75, 1.0, 1.5, 2.0),  # Gaussian sd, px
    "contrast": (0.75, 0.6, 0.45, 0.3, 0.2),  # factor on the deviation from the mean
    "brightness": (0.05, 0.1, 0.15, 0.2, 0.3),  # added to every pixel
    "jpeg": (60.0, 40.0, 25.0, 15.0, 8.0),  # JPEG quality
    "charging": (0.5, 1.0, 1.5, 2.0, 3.0),  # strength of streaks and line jitter
}


@dataclass(frozen=True)
class RobustnessConfig:
    """eps_inf / eps_2: PGD radii (pixels in [0, 1]); steps: PGD iterations; n_robust: source test
    images attacked (the first of a fixed shuffle); n_corrupt: source test images corrupted;
    severities: which of 1..5; corruptions: which of :data:`CORRUPTIONS`; seed: of the attack's
    random start, the subsets and the corruptions."""

    eps_inf: float = 3 / 255
    eps_2: float = 0.6
    steps: int = 10
    n_robust: int = 100
    n_corrupt: int = 150
    severities: tuple[int, ...] = (1, 2, 3, 4, 5)
    corruptions: tuple[str, ...] = tuple(CORRUPTIONS)
    seed: int = 0

    def check(self) -> RobustnessConfig:
        if self.eps_inf < 0 or self.eps_2 < 0 or self.steps < 1 or self.n_robust < 0 or self.n_corrupt < 0:
            raise ValueError(f"robustness settings out of range: {self}")
        bad = [c for c in self.corruptions if c not in CORRUPTIONS] + [
            str(s) for s in self.severities if not 1 <= s <= 5
        ]
        if bad:
            raise ValueError(f"unknown corruptions or severities: {bad}")
        return self
