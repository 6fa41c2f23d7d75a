"""Checkpoints of the quiver GNN in the workbench's one format (:mod:`workbench.checkpoint`).

``model.safetensors`` holds only tensors (no code, nothing unpickled on load); the sidecar
``model.json`` (kind ``quiver-gnn-classifier``) holds the architecture ``{"config":``
:class:`model.ModelConfig` ``, "families": [...]}``, and as provenance the training data,
seed, metrics, history and the command that retrains it, plus the weights' sha256.  A missing,
truncated or mismatching file raises :class:`CheckpointError` with a message naming the file
and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.checkpoint import CheckpointError, checkpoint_paths

from . import FAMILIES
from .model import DirGINE, ModelConfig

#: the kind recorded in these checkpoints' sidecars
CHECKPOINT_KIND = "quiver-gnn-classifier"

__all__ = [
    "CHECKPOINT_KIND",
    "Checkpoint",
    "CheckpointError",
    "default_checkpoint_path",
    "load_checkpoint",
    "save_checkpoint",
]


@dataclass
class Checkpoint:
    """model: the classifier (eval mode); meta: the provenance with ``config`` and ``families``."""

    model: DirGINE
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def config(self) -> ModelConfig:
        return self.model.config


def save_checkpoint(model: DirGINE, path: str | Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``path`` (.safetensors) and its .json sidecar: architecture (config, families) and
    ``meta`` as provenance (data, seed, metrics, history, command)."""
    from workbench.checkpoint import save_checkpoint as save

    prov = {k: v for k, v in meta.items() if k not in ("config", "families", "format")}
    arch = {"config": model.config.to_dict(), "families": list(FAMILIES)}
    return save(path, model.state_dict(), architecture=arch, provenance=prov, kind=CHECKPOINT_KIND)


def load_checkpoint(path: str | Path, device: str = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` (verified, never unpickled)."""
    from workbench.checkpoint import build_checked, check_architecture_ints
    from workbench.checkpoint import load_checkpoint as load

    wpath, jpath = checkpoint_paths(path)
    ck = load(wpath, kind=CHECKPOINT_KIND, expected_architecture={"families": list(FAMILIES)})
    raw = ck.architecture.get("config")
    if not isinstance(raw, dict):
        raise CheckpointError(f"{jpath}: invalid model configuration: 'config' must be a JSON object")
    check_architecture_ints(raw, jpath, bounds={"hidden": (1, 4096), "layers": (1, 64)})
    try:
        config = ModelConfig.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{jpath}: invalid model configuration: {exc}") from None
    model = build_checked(ck, lambda: DirGINE(config))
    model.to(device).eval()
    meta = {**ck.provenance, "config": config.to_dict(), "families": list(FAMILIES)}
    return Checkpoint(model=model, meta=meta, path=wpath)


def default_checkpoint_path() -> Path:
    """The shipped default: resources/quiver/gnn/dirgine_default.safetensors."""
    try:
        from workbench_resources import resource_path

        return Path(resource_path("quiver", "gnn/dirgine_default.safetensors"))
    except Exception:  # noqa: BLE001 - resources package not installed (source checkout)
        return Path(__file__).resolve().parents[3] / "resources" / "quiver" / "gnn" / "dirgine_default.safetensors"
