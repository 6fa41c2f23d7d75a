"""Classifiers of Haldane bundles: off-the-shelf baselines and a model with a topological prior.

Input: normalised sections psi of shape (B, 2, N, N) (complex).  Output: logits over the
classes C in {-2, ..., 2}.

* :class:`MLPClassifier` - the paper's MLP baseline on the raw components (Re, Im of both).
* :class:`CNNClassifier` - a CNN baseline with circular padding (the torus is periodic) and
  global average pooling.
* :class:`FluxClassifier` - topological prior: the gauge-invariant lattice Berry flux of every
  plaquette (FHS, :func:`plaquette_flux_torch`) goes through a learned per-plaquette map, is
  summed over the torus (an extensive, translation-invariant readout) into a scalar s, and
  the logits are -beta (s - k)^2 + b_k.  With the identity map, s is exactly the FHS Chern
  number, so the architecture can express the label exactly; it is invariant under any
  per-point phase change psi -> e^{i theta(x)} psi.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from workbench.seeding import init_children_, init_module_, preserve_global_rng

CLASSES = (-2, -1, 0, 1, 2)
ARCHITECTURES = ("mlp", "cnn", "flux", "gauge", "charge", "subcell")


def as_channels(psi: torch.Tensor) -> torch.Tensor:
    """(B, 2, N, N) complex -> (B, 4, N, N) real: Re psi_1, Im psi_1, Re psi_2, Im psi_2."""
    return torch.cat([psi.real, psi.imag], dim=1)[:, [0, 2, 1, 3]].float()


def plaquette_flux_torch(psi: torch.Tensor) -> torch.Tensor:
    """FHS plaquette fluxes (PythTB sign) of a batch (B, 2, N, N) complex -> (B, N, N) radians."""
    u = psi
    c = torch.conj(u)
    n1 = torch.roll(u, -1, dims=2)
    n2 = torch.roll(u, -1, dims=3)
    u1 = (c * n1).sum(1)
    u2 = (c * n2).sum(1)
    p = u1 * torch.roll(u2, -1, dims=1) * torch.conj(torch.roll(u1, -1, dims=2)) * torch.conj(u2)
    return -torch.angle(p)


class MLPClassifier(nn.Module):
    """Fully connected baseline: 4 N^2 inputs -> hidden -> hidden -> 5 logits."""

    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, grid: int = 32, hidden: int = 256) -> None:
        super().__init__()
        self.grid, self.hidden = grid, hidden
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(4 * grid * grid, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, len(CLASSES)),
        )

    def forward(self, psi: torch.Tensor) -> torch.Tensor:
        return self.net(as_channels(psi))


class CNNClassifier(nn.Module):
    """Convolutional baseline with circular padding and global average pooling."""

    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, grid: int = 32, width: int = 16) -> None:
        super().__init__()
        self.grid = grid

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, padding_mode="circular"), nn.BatchNorm2d(cout), nn.ReLU()
            )

        self.features = nn.Sequential(
            block(4, width),
            block(width, width),
            nn.MaxPool2d(2),
            block(width, 2 * width),
            block(2 * width, 2 * width),
            nn.MaxPool2d(2),
            block(2 * width, 2 * width),
        )
        self.head = nn.Linear(2 * width, len(CLASSES))

    def forward(self, psi: torch.Tensor) -> torch.Tensor:
        h = self.features(as_channels(psi))
        return self.head(h.mean(dim=(2, 3)))


class FluxClassifier(nn.Module):
    """Topological prior: learned per-plaquette map of the Berry flux, summed over the torus."""

    ks: torch.Tensor  # buffer: the Chern numbers of the classes

    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, grid: int = 32, hidden: int = 16) -> None:
        super().__init__()
        self.grid = grid
        self.local = nn.Sequential(nn.Conv2d(1, hidden, 1), nn.Tanh(), nn.Conv2d(hidden, 1, 1))
        self.log_beta = nn.Parameter(torch.tensor(math.log(2.0)))
        self.bias = nn.Parameter(torch.zeros(len(CLASSES)))
        self.register_buffer("ks", torch.tensor(CLASSES, dtype=torch.float32))

    def init_parameters_(self, generator: torch.Generator) -> None:
        """beta = 2, b_k = 0, and torch's default init of the per-plaquette map from ``generator``."""
        self.log_beta.fill_(math.log(2.0))
        self.bias.zero_()
        init_children_(self, generator)

    def chern_estimate(self, psi: torch.Tensor) -> torch.Tensor:
        """s = sum over plaquettes of (flux + learned correction) / 2 pi, shape (B,)."""
        flux = plaquette_flux_torch(psi).unsqueeze(1).float()
        x = flux / math.pi
        y = flux + self.local(x)
        return y.sum(dim=(1, 2, 3)) / (2 * math.pi)

    def forward(self, psi: torch.Tensor) -> torch.Tensor:
        s = self.chern_estimate(psi)
        return -torch.exp(self.log_beta) * (s[:, None] - self.ks[None]) ** 2 + self.bias


def build_model(
    arch: str, grid: int = 32, generator: torch.Generator | None = None, hidden: int | None = None
) -> nn.Module:
    """A fresh classifier of the named architecture.

    generator: the initial weights are drawn from it (:func:`workbench.seeding.init_module_`;
    ``torch_generator(seed)`` gives the weights ``torch.manual_seed(seed)`` gave before).  None:
    placeholder weights for ``load_state_dict`` (drawn without changing torch's process-wide
    generator, so not reproducible by themselves).  hidden: the MLP's width (default 256), or the
    subcell model's (default 128).

    "gauge" and "charge" are :class:`.gauge_net.GaugeEquivariantClassifier` and
    :class:`.gauge_net.ChargeClassifier`; "subcell" is :class:`.subcell.SubcellClassifier`."""
    from .gauge_net import ChargeClassifier, GaugeEquivariantClassifier
    from .subcell import SubcellClassifier

    if arch == "mlp":
        model: nn.Module = MLPClassifier(grid, hidden or 256)
    elif arch == "cnn":
        model = CNNClassifier(grid)
    elif arch == "flux":
        model = FluxClassifier(grid)
    elif arch == "gauge":
        model = GaugeEquivariantClassifier(grid)
    elif arch == "charge":
        model = ChargeClassifier(grid)
    elif arch == "subcell":
        model = SubcellClassifier(grid, hidden or 128)
    else:
        raise ValueError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHITECTURES)}")
    return model if generator is None else init_module_(model, generator)


def labels_to_index(labels: torch.Tensor) -> torch.Tensor:
    """Chern numbers -2..2 -> class indices 0..4."""
    return (labels + 2).long()


def index_to_labels(idx: torch.Tensor) -> torch.Tensor:
    return idx.long() - 2
