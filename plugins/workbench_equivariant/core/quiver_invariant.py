"""An S_n-invariant classifier of a quiver's exchange matrix (Qt-free, torch).

A quiver on n vertices is its skew-symmetric exchange matrix B (n x n, ``B[i, j] > 0``: that
many arrows i -> j).  Relabelling the vertices by a permutation g acts as ``B -> P_g B P_g^T``,
the action on order-2 tensors, so a network built from S_n-equivariant layers (R^n)^{⊗2} ->
(R^n)^{⊗2} (:class:`~.layer.EquivariantLinear`, 15 diagrams per channel pair) with pointwise
nonlinearities, then one invariant layer (R^n)^{⊗2} -> R (2 diagrams: the mean of the diagonal
and the mean of all entries) and an MLP, gives the same logits for every labelling of the same
quiver (Maron et al. 2019, "Invariant and equivariant graph networks"; the layers in the diagram
basis of Godfrey et al. 2023, arXiv 2303.06208).

Input channels (:func:`input_channels`), per entry (i, j): ``B``, ``|B|``, ``[B > 0]``,
``[B < 0]`` (``inputs="plain"``) and, with ``inputs="paths"`` (the default), also ``(B B)[i, j]``
and ``(|B| |B|)[i, j]`` (signed and unsigned two-step paths; equivariant, since
``P B P^T P B P^T = P B^2 P^T``).  Linear 2 -> 2 layers with pointwise nonlinearities distinguish
graphs no better than the 2-WL test (Maron et al. 2019b, "Provably powerful graph networks"), which
cannot count triangles; the path channels hand them the triangles (``B[j, i] (B B)[i, j]``) that the
Buan-Vatne and Vatne criteria for A and D are written in.

All layers use ``aggregation="mean"`` (each summed index divided by n), so the same weights give
activations of the same scale at every n: the model is trained on 7-10 vertices and applied to
any size.

:class:`InvariantQuiverNet` maps ``(batch, n, n)`` integer or float matrices (all of one n) to
logits over the families of :data:`FAMILIES` (the label set of the quiver panel's DirGINE).
Checkpoints: safetensors + JSON sidecar of kind :data:`CHECKPOINT_KIND`
(:mod:`workbench.checkpoint`); :func:`load_invariant_checkpoint` refuses a missing, corrupt or
mismatching file with a :class:`~workbench.checkpoint.CheckpointError` naming it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from workbench.checkpoint import CheckpointError

from .layer import EquivariantLinear

#: the classifier's classes: mutation-class families, the DirGINE's label set and order
FAMILIES: tuple[str, ...] = ("A", "D", "E", "A~", "D~", "E~")
#: the kind recorded in these checkpoints' sidecars
CHECKPOINT_KIND = "quiver-invariant-classifier"
#: the input channels built from B (see :func:`input_channels`), by ``InvariantConfig.inputs``
INPUT_CHANNELS = {"plain": ("B", "|B|", "B>0", "B<0"), "paths": ("B", "|B|", "B>0", "B<0", "BB", "|B||B|")}
#: largest quiver accepted (the 2 -> 2 layers hold batch x hidden x n^2 activations)
MAX_VERTICES = 200


@dataclass(frozen=True)
class InvariantConfig:
    """Architecture: ``layers`` 2 -> 2 layers of width ``hidden`` (ReLU; residual from the
    second on), one 2 -> 0 layer of width ``hidden``, an MLP head hidden -> hidden -> families."""

    hidden: int = 32
    layers: int = 3
    families: tuple[str, ...] = FAMILIES
    inputs: str = "paths"

    def validate(self) -> None:
        for name, lo, hi in (("hidden", 1, 1024), ("layers", 1, 16)):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {v!r}")
        if self.inputs not in INPUT_CHANNELS:
            raise ValueError(f"inputs must be one of {tuple(INPUT_CHANNELS)}, got {self.inputs!r}")
        if tuple(self.families) != FAMILIES:
            raise ValueError(f"families must be {FAMILIES}, got {tuple(self.families)}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["families"] = list(self.families)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InvariantConfig:
        unknown = set(d) - {"hidden", "layers", "families", "inputs"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        cfg = cls(
            hidden=d["hidden"],
            layers=d["layers"],
            families=tuple(d.get("families", FAMILIES)),
            inputs=d.get("inputs", "plain"),  # checkpoints written before the key existed
        )
        cfg.validate()
        return cfg


def input_channels(b: torch.Tensor, inputs: str = "paths") -> torch.Tensor:
    """``(batch, n, n)`` exchange matrices -> ``(batch, C, n, n)`` float channels: B, |B|,
    [B > 0], [B < 0] (entrywise), and for ``inputs="paths"`` also B B and |B| |B| (matrix
    products: two-step paths).  Each commutes with relabelling."""
    b = b.to(torch.float32)
    a = b.abs()
    chans = [b, a, (b > 0).to(b.dtype), (b < 0).to(b.dtype)]
    if inputs == "paths":
        chans += [b @ b, a @ a]
    return torch.stack(chans, dim=1)


class InvariantQuiverNet(nn.Module):
    """2 -> 2 equivariant layers, a 2 -> 0 invariant read-out and an MLP (see the module doc).

    ``forward(b)``: ``b`` of shape ``(batch, n, n)``; returns logits ``(batch, len(FAMILIES))``,
    invariant under ``b -> b[:, g][:, :, g]`` for every permutation g of range(n)."""

    def __init__(self, config: InvariantConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or InvariantConfig()
        config.validate()
        h = config.hidden
        widths = [len(INPUT_CHANNELS[config.inputs])] + [h] * config.layers
        self.equivariant = nn.ModuleList(
            EquivariantLinear(2, 2, widths[i], widths[i + 1], aggregation="mean") for i in range(config.layers)
        )
        # LayerNorm over the channels of each entry (i, j): entrywise, so equivariant
        self.norms = nn.ModuleList(nn.LayerNorm(h) for _ in range(config.layers))
        self.readout = EquivariantLinear(2, 0, h, h, aggregation="mean")
        self.head = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, len(config.families)))

    @torch.no_grad()
    def init_parameters_(self, generator: torch.Generator) -> None:
        """Deterministic initialisation from ``generator`` (no global RNG): equivariant weights
        N(0, 2 / (fan-in)) with fan-in = c_in x (diagrams with an n-independent scale, 15 or 2;
        He initialisation for the ReLU), biases 0; the head torch's default uniform."""
        for layer in [*self.equivariant, self.readout]:
            std = math.sqrt(2.0 / (layer.in_channels * len(layer.diagrams)))
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * std)
            if layer.bias is not None:
                layer.bias.zero_()
        for norm in self.norms:
            if isinstance(norm, nn.LayerNorm):
                norm.reset_parameters()  # weight 1, bias 0
        for m in self.head:
            if isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.copy_(torch.rand(m.weight.shape, generator=generator) * 2 * bound - bound)
                m.bias.copy_(torch.rand(m.bias.shape, generator=generator) * 2 * bound - bound)

    def forward(self, b: torch.Tensor) -> torch.Tensor:
        if b.ndim != 3 or b.shape[1] != b.shape[2]:
            raise ValueError(f"exchange matrices must have shape (batch, n, n), got {tuple(b.shape)}")
        x = input_channels(b, self.config.inputs)
        for i, (layer, norm) in enumerate(zip(self.equivariant, self.norms, strict=True)):
            y = torch.relu(norm(layer(x).movedim(1, -1)).movedim(-1, 1))
            x = y if i == 0 else x + y
        z = torch.relu(self.readout(x))
        return self.head(z)


# ---------------------------------------------------------------------------------------------
# prediction


def _square_int(b: Any) -> np.ndarray:
    a = np.asarray(b)
    if a.ndim != 2 or a.shape[0] < a.shape[1]:
        raise ValueError(f"an exchange matrix must be (n + m) x n, got shape {a.shape}")
    n = a.shape[1]
    s = a[:n, :n]
    if n == 0:
        raise ValueError("the quiver has no mutable vertices")
    if n > MAX_VERTICES:
        raise ValueError(f"{n} vertices: the invariant classifier takes at most {MAX_VERTICES}")
    if not np.all(np.isfinite(s.astype(float))) or np.any(s.astype(float) != np.round(s.astype(float))):
        raise ValueError("exchange matrix entries must be integers")
    s = s.astype(np.int64)
    if np.any(s != -s.T):
        raise ValueError("the mutable part of an exchange matrix must be skew-symmetric")
    return s


@torch.no_grad()
def logits_by_size(
    model: InvariantQuiverNet, mats: Sequence[np.ndarray], device: str = "cpu", batch_size: int = 512
) -> torch.Tensor:
    """Logits ``(len(mats), families)`` of square exchange matrices of any sizes: batched per size."""
    model.eval()
    out = torch.zeros((len(mats), len(model.config.families)))
    by_n: dict[int, list[int]] = {}
    for i, m in enumerate(mats):
        by_n.setdefault(int(np.asarray(m).shape[0]), []).append(i)
    for idx in by_n.values():
        for s in range(0, len(idx), batch_size):
            part = idx[s : s + batch_size]
            b = torch.as_tensor(np.stack([np.asarray(mats[i]) for i in part]), device=device)
            out[part] = model(b).float().cpu()
    return out


def probabilities(model: InvariantQuiverNet, bs: Sequence[Any], device: str = "cpu") -> np.ndarray:
    """``(len(bs), 6)`` family probabilities of exchange matrices ((n + m) x n; the mutable part is
    used); a matrix that is not a valid exchange matrix raises ValueError naming the problem."""
    mats = [_square_int(b) for b in bs]
    if not mats:
        return np.zeros((0, len(model.config.families)))
    return torch.softmax(logits_by_size(model, mats, device), dim=-1).numpy()


# ---------------------------------------------------------------------------------------------
# checkpoints


@dataclass
class InvariantCheckpoint:
    """model: the classifier (eval mode); meta: the sidecar's provenance plus ``config``."""

    model: InvariantQuiverNet
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def save_invariant_checkpoint(
    model: InvariantQuiverNet, path: str | Path, provenance: dict[str, Any]
) -> tuple[Path, Path]:
    """Write ``path`` (.safetensors) and its .json sidecar (architecture: the config; provenance:
    data, seed, metrics, history, the retrain command).  Returns (weights, sidecar)."""
    from workbench.checkpoint import save_checkpoint

    arch = {"config": model.config.to_dict(), "families": list(model.config.families)}
    return save_checkpoint(path, model.state_dict(), architecture=arch, provenance=provenance, kind=CHECKPOINT_KIND)


def load_invariant_checkpoint(path: str | Path, device: str = "cpu") -> InvariantCheckpoint:
    """Load a checkpoint written by :func:`save_invariant_checkpoint` (verified by
    :func:`workbench.checkpoint.load_checkpoint`: kind, families, sha256, tensors; never
    unpickled).  Raises CheckpointError naming the file and what is wrong."""
    from workbench.checkpoint import build_checked, check_architecture_ints, checkpoint_paths, load_checkpoint

    wpath, jpath = checkpoint_paths(path)
    ck = load_checkpoint(wpath, kind=CHECKPOINT_KIND, expected_architecture={"families": list(FAMILIES)})
    raw = ck.architecture.get("config")
    if not isinstance(raw, dict):
        raise CheckpointError(f"{jpath}: invalid model configuration: 'config' must be a JSON object")
    check_architecture_ints(raw, jpath, bounds={"hidden": (1, 1024), "layers": (1, 16)})
    try:
        config = InvariantConfig.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{jpath}: invalid model configuration: {exc}") from None
    model = build_checked(ck, lambda: InvariantQuiverNet(config))
    model.to(device).eval()
    return InvariantCheckpoint(model=model, meta={**ck.provenance, "config": config.to_dict()}, path=wpath)


def default_invariant_checkpoint_path() -> Path:
    """The shipped model: resources/equivariant/quiver-invariant.safetensors."""
    try:
        from workbench_resources import resource_path

        return Path(resource_path("equivariant", "quiver-invariant.safetensors"))
    except Exception:  # noqa: BLE001 - resources package not installed (source checkout)
        return Path(__file__).resolve().parents[3] / "resources" / "equivariant" / "quiver-invariant.safetensors"
