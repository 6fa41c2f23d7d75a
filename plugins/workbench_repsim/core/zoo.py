"""The default model zoo shipped in ``resources/repsim/`` and loading of users' local models.

Each zoo model is a checkpoint of the workbench's one format (:mod:`workbench.checkpoint`):
``<name>.safetensors`` (weights) with the sidecar ``<name>.json`` beside it (kind
``repsim-model``; architecture: the model's ``config``; provenance: data, seed, metrics, the
command that retrains it; the weights' sha256).  Retrain all with
``python -m workbench_repsim.train_defaults``.

Names:

* ``lm-{gelu,solu}-d{32,64}-s{0,1}``: character transformers (2 blocks) on the grammar corpus;
* ``mlp-w64-s{0..3}``: digit MLPs (3 hidden layers of 64) from different seeds;
* ``mlp-w64-frozen-s{0..3}``: the same, with the first two hidden layers copied from one
  trained network and frozen identically in all four (Brown et al. 2023's frozen-early-layers setting);
* ``mlp-w{16,128}-s{0,1}``: narrower / wider digit MLPs (linear mode connectivity vs width).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .validate import DegenerateInputError

#: the kind recorded in the zoo's checkpoint sidecars (workbench.checkpoint)
CHECKPOINT_KIND = "repsim-model"


@dataclass(frozen=True)
class ZooEntry:
    name: str
    family: str  # "lm" or "mlp"
    config: dict[str, Any] = field(hash=False, compare=False)
    seed: int = 0
    group: str = ""
    frozen_from: str = ""  # name of the network whose first layer is copied and frozen


def _entries() -> list[ZooEntry]:
    out = []
    for act in ("gelu", "solu"):
        for d in (32, 64):
            for s in (0, 1):
                cfg = dict(kind="lm", vocab=96, d=d, layers=2, heads=4, d_mlp=4 * d, ctx=48, act=act)
                out.append(ZooEntry(f"lm-{act}-d{d}-s{s}", "lm", cfg, s, f"lm-{act}-d{d}"))
    for w, seeds in ((64, range(4)), (16, range(2)), (128, range(2))):
        for s in seeds:
            out.append(
                ZooEntry(f"mlp-w{w}-s{s}", "mlp", dict(kind="mlp", widths=[w, w, w], n_in=64, n_out=10), s, f"mlp-w{w}")
            )
    for s in range(4):
        out.append(
            ZooEntry(
                f"mlp-w64-frozen-s{s}",
                "mlp",
                dict(kind="mlp", widths=[64, 64, 64], n_in=64, n_out=10),
                10 + s,
                "mlp-w64-frozen",
                frozen_from="frozen-trunk",
            )
        )
    return out


ZOO: dict[str, ZooEntry] = {e.name: e for e in _entries()}
#: the pairs the panel opens with
DEFAULT_A, DEFAULT_B = "lm-solu-d64-s0", "lm-gelu-d64-s0"


def resource_dir() -> Path:
    from workbench_resources import resource_path

    return Path(resource_path("repsim", ""))


def save_model(model: Any, path: Path, provenance: dict[str, Any]) -> None:
    """Write ``path`` (.safetensors) and its sidecar (architecture: ``model.config``; provenance)."""
    from workbench.checkpoint import save_checkpoint

    prov = {k: v for k, v in provenance.items() if k != "config"}
    save_checkpoint(path, model.state_dict(), architecture=dict(model.config), provenance=prov, kind=CHECKPOINT_KIND)


def load_safetensors_model(path: Path) -> Any:
    """Load one of this plugin's models (eval mode) from its checkpoint; DegenerateInputError
    naming the file when it is missing, corrupt, another plugin's or does not fit its config."""
    from workbench.checkpoint import CheckpointError, build_checked, check_architecture_ints, load_checkpoint

    from .models import build_model

    try:
        ck = load_checkpoint(path, kind=CHECKPOINT_KIND)
        check_architecture_ints(ck.architecture, ck.sidecar or path)
        return build_checked(ck, lambda: build_model(ck.architecture))
    except CheckpointError as exc:
        raise DegenerateInputError(str(exc)) from None


def zoo_path(name: str) -> Path:
    if name not in ZOO:
        raise DegenerateInputError(f"unknown zoo model {name!r}; known: {', '.join(ZOO)}")
    p = resource_dir() / f"{name}.safetensors"
    if not p.exists():
        raise DegenerateInputError(f"zoo model {name} is not built: run `python -m workbench_repsim.train_defaults`")
    return p


def load_zoo_model(name: str) -> Any:
    return load_safetensors_model(zoo_path(name))


def provenance(name: str) -> dict[str, Any]:
    """The provenance of a zoo model (data, seed, metrics, command), from its sidecar."""
    from workbench.checkpoint import CheckpointError, read_sidecar

    try:
        return read_sidecar(zoo_path(name), kind=CHECKPOINT_KIND)["provenance"]
    except CheckpointError as exc:
        raise DegenerateInputError(str(exc)) from None


def results_table() -> dict[str, Any]:
    """The committed results of the default zoo (``resources/repsim/results.json``)."""
    p = resource_dir() / "results.json"
    if not p.exists():
        raise DegenerateInputError(
            "resources/repsim/results.json is missing: run `python -m workbench_repsim.train_defaults`"
        )
    return json.loads(p.read_text())


def classify_source(source: str) -> str:
    """``"zoo"``, ``"safetensors"`` (one of our files or a folder holding model.safetensors with a
    config), ``"hf"`` (a folder with a Hugging Face config.json) or ``"npz"``; raises otherwise."""
    if source in ZOO:
        return "zoo"
    p = Path(source).expanduser()
    if p.suffix == ".npz" and p.is_file():
        return "npz"
    if p.suffix == ".safetensors" and p.is_file():
        return "safetensors"
    if p.is_dir():
        if (p / "config.json").is_file():
            return "hf"
        if (p / "model.safetensors").is_file():
            return "safetensors"
        raise DegenerateInputError(f"folder {p} holds neither a Hugging Face model (config.json) nor model.safetensors")
    raise DegenerateInputError(
        f"{source!r} is not a zoo model ({', '.join(list(ZOO)[:3])}, ...), an .npz of layers, "
        "a .safetensors file or a model folder"
    )
