"""Checkpoints: weights in safetensors, everything else in a JSON beside them (Qt-free).

``model.safetensors`` holds only tensors (no code, nothing unpickled on load);
``model.json`` holds the architecture (:class:`model.ModelConfig`), the training data's
provenance, seed, metrics and the command that retrains it.  A missing, truncated or
mismatching file raises :class:`CheckpointError` with a message naming the file and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from . import FAMILIES
from .model import DirGINE, ModelConfig

FORMAT = "workbench-quiver-gnn/1"


class CheckpointError(ValueError):
    """A checkpoint cannot be used (missing, corrupt, wrong architecture)."""


@dataclass
class Checkpoint:
    model: DirGINE
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def config(self) -> ModelConfig:
        return self.model.config


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix == ".json":
        p = p.with_suffix(".safetensors")
    elif p.suffix != ".safetensors":
        p = p.with_name(p.name + ".safetensors")
    return p, p.with_suffix(".json")


def save_checkpoint(model: DirGINE, path: str | Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``path`` (.safetensors) and its .json (config, families, format + ``meta``)."""
    from safetensors.torch import save_file

    wpath, jpath = _paths(path)
    wpath.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(wpath), metadata={"format": FORMAT})
    doc = {"format": FORMAT, "config": model.config.to_dict(), "families": list(FAMILIES), **meta}
    jpath.write_text(json.dumps(doc, indent=2))
    return wpath, jpath


def load_checkpoint(path: str | Path, device: str = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint`; never unpickles."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    wpath, jpath = _paths(path)
    if not wpath.exists():
        raise CheckpointError(f"GNN checkpoint weights not found: {wpath}")
    if not jpath.exists():
        raise CheckpointError(f"GNN checkpoint description not found: {jpath} (it must sit beside {wpath.name})")
    try:
        meta = json.loads(jpath.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"GNN checkpoint description {jpath} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "config" not in meta:
        raise CheckpointError(f"{jpath} is not a quiver-GNN checkpoint description (expected format {FORMAT!r})")
    if list(meta.get("families", [])) != list(FAMILIES):
        raise CheckpointError(f"{jpath}: checkpoint predicts families {meta.get('families')}, expected {list(FAMILIES)}")
    try:
        config = ModelConfig.from_dict(meta["config"])
        model = DirGINE(config)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{jpath}: invalid model configuration: {exc}") from None
    try:
        state = load_file(str(wpath), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"GNN checkpoint weights {wpath} are corrupt or not safetensors: {exc}") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(f"GNN checkpoint {wpath} does not match its architecture: {first}") from None
    model.to(device).eval()
    return Checkpoint(model=model, meta=meta, path=wpath)


def default_checkpoint_path() -> Path:
    """The shipped default: resources/quiver/gnn/dirgine_default.safetensors."""
    try:
        from workbench_resources import resource_path

        return Path(resource_path("quiver", "gnn/dirgine_default.safetensors"))
    except Exception:  # noqa: BLE001 - resources package not installed (source checkout)
        return Path(__file__).resolve().parents[3] / "resources" / "quiver" / "gnn" / "dirgine_default.safetensors"
