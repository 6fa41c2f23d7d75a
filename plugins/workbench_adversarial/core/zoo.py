"""The model zoo: named classifiers with their dataset (Qt-free).

A :class:`ZooEntry` names a model, its dataset (see :mod:`.data`) and how to build it: a zoo
architecture plus a checkpoint of the workbench's one format (:mod:`workbench.checkpoint`:
``X.safetensors`` with the sidecar ``X.json``, kind ``adversarial-classifier``, architecture
``{arch, dataset, input_shape, num_classes}``, provenance, sha256), or any
``loader(device) -> nn.Module`` (so another
plugin, e.g. a micrograph classifier, can register its own model with :func:`register_model`).
Other installed packages add theirs without being imported by anyone first: each callable named
by an entry point of the group ``workbench.adversarial_models`` (``name = "module:function"``)
is called once, with no arguments, the first time the zoo is listed or looked up; it registers
its models (and their datasets, :func:`.data.register_dataset`).  A hook that fails is
recorded in :data:`HOOK_ERRORS` and skipped.
Users' files load through :func:`load_model_ref`:

* ``kind="torchscript"``: ``torch.jit.load`` of a local TorchScript archive (not a pickle of
  arbitrary objects); the model must take the dataset's images in [0, 1] and return logits;
* ``kind="state_dict"``: weights for a zoo architecture, from a bare safetensors file, a
  checkpoint with its sidecar (then verified: kind, architecture, hash) or
  ``torch.load(..., weights_only=True)`` (never a full unpickle).

Bad files, wrong shapes and mismatched state dicts raise :class:`ModelLoadError` with a
message naming the file and what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.errors import InputError

from .data import load_dataset
from .models import ARCHITECTURES, build_model

DEFAULT_MODEL = "digits-cnn"
#: the kind recorded in this plugin's checkpoint sidecars (workbench.checkpoint)
CHECKPOINT_KIND = "adversarial-classifier"
REF_KINDS = ("zoo", "torchscript", "state_dict")


class ModelLoadError(InputError):
    """A model could not be loaded; the message says which file and why."""


@dataclass(frozen=True)
class ZooEntry:
    """name: unique id; dataset: dataset name; arch: zoo architecture (or "" with a loader);
    weights: checkpoint or safetensors path (for arch); loader: custom ``loader(device) -> nn.Module``;
    description: one line; provenance: path of the checkpoint sidecar or of a plain JSON of
    provenance (optional)."""

    name: str
    dataset: str
    arch: str = ""
    weights: Path | None = None
    loader: Callable[[str], nn.Module] | None = None
    description: str = ""
    provenance: Path | None = None


@dataclass(frozen=True)
class ModelRef:
    """Picklable reference to a model: a zoo name, or a user file with its dataset.

    kind: "zoo" | "torchscript" | "state_dict"; name: zoo name (kind="zoo");
    path: local file; arch: zoo architecture (state_dict); dataset: dataset name (user files)."""

    kind: str = "zoo"
    name: str = DEFAULT_MODEL
    path: str = ""
    arch: str = ""
    dataset: str = ""

    def label(self) -> str:
        if self.kind == "zoo":
            return self.name
        return f"{Path(self.path).name} ({self.kind}, {self.dataset})"


@dataclass
class LoadedModel:
    """A model ready to attack (eval mode, on its device) with its dataset's name."""

    model: nn.Module
    dataset: str
    label: str
    info: dict[str, Any] = field(default_factory=dict)


_ZOO: dict[str, ZooEntry] = {}
#: entry-point group of the registration hooks of other packages (see the module docstring)
HOOK_GROUP = "workbench.adversarial_models"
#: hooks that failed: (entry point, error message)
HOOK_ERRORS: list[tuple[str, str]] = []
_hooks_loaded = False


def register_model(entry: ZooEntry) -> None:
    """Add (or replace) a named model of the zoo."""
    _ZOO[entry.name] = entry


def load_registration_hooks() -> None:
    """Call every registration hook of :data:`HOOK_GROUP` once (later calls do nothing)."""
    global _hooks_loaded
    if _hooks_loaded:
        return
    _hooks_loaded = True
    import importlib.metadata

    for ep in importlib.metadata.entry_points(group=HOOK_GROUP):
        try:
            ep.load()()
        except Exception as exc:  # noqa: BLE001 - another package's hook must not break the zoo
            HOOK_ERRORS.append((f"{ep.name} = {ep.value}", f"{type(exc).__name__}: {exc}"))


def model_names() -> list[str]:
    """Registered model names, the default first."""
    load_registration_hooks()
    names = list(_ZOO)
    if DEFAULT_MODEL in names:
        names.remove(DEFAULT_MODEL)
        names.insert(0, DEFAULT_MODEL)
    return names


def zoo_entry(name: str) -> ZooEntry:
    load_registration_hooks()
    if name not in _ZOO:
        raise ModelLoadError(f"unknown model {name!r}; available: {', '.join(model_names())}")
    return _ZOO[name]


def resource_dir() -> Path:
    from workbench_resources import resource_path

    return resource_path("adversarial")


#: the shipped models: (dataset, architecture, what the dataset is)
DEFAULT_MODELS: tuple[tuple[str, str, str], ...] = tuple(
    (dataset, arch, label)
    for dataset, label in (("digits", "scikit-learn 8x8 digits"), ("shapes", "synthetic 3x12x12 shapes"))
    for arch in ("linear", "mlp", "cnn")
) + (("textures", "resnet", "generated 3x32x32 textured objects (1.2 M parameters)"),)


def _register_defaults() -> None:
    folder = resource_dir()
    for dataset, arch, label in DEFAULT_MODELS:
        name = f"{dataset}-{arch}"
        register_model(
            ZooEntry(
                name,
                dataset,
                arch,
                folder / f"{name}.safetensors",
                description=f"{arch} trained on {label}",
                provenance=folder / f"{name}.json",
            )
        )


_register_defaults()


def _check_outputs(model: nn.Module, dataset: str, origin: str, device: str) -> None:
    split = load_dataset(dataset)
    x = torch.as_tensor(split.x_test[:4], device=device)
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as exc:  # noqa: BLE001 - any failure of a user's model is reported
        raise ModelLoadError(
            f"{origin}: the model fails on {dataset} images of shape "
            f"{tuple(x.shape)} in [0, 1]: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape != (x.shape[0], split.num_classes):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ModelLoadError(
            f"{origin}: expected logits of shape (batch, {split.num_classes}) for {dataset}, got {shape}"
        )
    if not torch.isfinite(out).all():
        raise ModelLoadError(f"{origin}: the model returns non-finite logits on {dataset} images")


def checkpoint_architecture(arch: str, dataset: str) -> dict[str, Any]:
    """The architecture recorded in a checkpoint of zoo architecture ``arch`` for ``dataset``."""
    split = load_dataset(dataset)
    return {"arch": arch, "dataset": dataset, "input_shape": list(split.shape), "num_classes": int(split.num_classes)}


def read_state_dict(
    path: str | Path, expected_architecture: dict[str, Any] | None = None, require_checkpoint: bool = False
) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint (its sidecar verified: kind, ``expected_architecture``, sha256), a
    bare safetensors file, or a ``torch.save``d state dict (``weights_only=True``).
    require_checkpoint: refuse anything but a checkpoint with its sidecar (the zoo's weights)."""
    from workbench.array_files import check_finite_tensors
    from workbench.checkpoint import CheckpointError, is_checkpoint, load_checkpoint, read_safetensors

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"{path}: the file is empty")
    if require_checkpoint and path.suffix != ".safetensors":
        raise ModelLoadError(f"{path}: expected a checkpoint (.safetensors with its .json sidecar)")
    if path.suffix == ".safetensors":
        try:
            if require_checkpoint or is_checkpoint(path):
                return load_checkpoint(path, kind=CHECKPOINT_KIND, expected_architecture=expected_architecture).tensors
            tensors = read_safetensors(path)
            check_finite_tensors(tensors, path)
            return tensors
        except (CheckpointError, ValueError) as exc:
            raise ModelLoadError(str(exc)) from None
    from workbench.array_files import check_finite_tensors, torch_load_message

    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError, ...
        raise ModelLoadError(torch_load_message(path, exc)) from None
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelLoadError(f"{path}: expected a dict of tensors (a state dict), got {type(obj).__name__}")
    try:
        check_finite_tensors(obj, path)
    except ValueError as exc:
        raise ModelLoadError(str(exc)) from None
    return obj


def load_state_dict_model(
    arch: str, dataset: str, path: str | Path, device: str = "cpu", require_checkpoint: bool = False
) -> nn.Module:
    """A zoo architecture for ``dataset`` with the weights of ``path`` (strict key/shape match);
    require_checkpoint: see :func:`read_state_dict`."""
    if arch not in ARCHITECTURES:
        raise ModelLoadError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHITECTURES)}")
    split = load_dataset(dataset)
    model = build_model(arch, split.shape, split.num_classes)
    state = read_state_dict(
        path, expected_architecture=checkpoint_architecture(arch, dataset), require_checkpoint=require_checkpoint
    )
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise ModelLoadError(
            f"{path}: does not fit architecture {arch!r} for {dataset}: "
            f"missing keys {missing[:5]}, unexpected keys {unexpected[:5]}"
        )
    wrong = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in own.items()
        if tuple(state[k].shape) != tuple(v.shape)
    ]
    if wrong:
        raise ModelLoadError(
            f"{path}: tensor shapes do not fit {arch!r} for {dataset} "
            f"(input {split.shape}, {split.num_classes} classes): " + "; ".join(wrong[:4])
        )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})
    return model.to(device).eval()


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance in a checkpoint sidecar, or the whole of a plain JSON file of provenance."""
    from workbench.checkpoint import CheckpointError, is_checkpoint, read_sidecar

    path = Path(path)
    try:
        if is_checkpoint(path):
            return read_sidecar(path)["provenance"]
        doc = json.loads(path.read_text())
    except CheckpointError as exc:
        raise ModelLoadError(str(exc)) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelLoadError(f"{path}: not a readable JSON of provenance ({exc})") from None
    return doc if isinstance(doc, dict) else {"provenance": doc}


def load_torchscript(path: str | Path, dataset: str, device: str = "cpu") -> nn.Module:
    """A user's TorchScript classifier for ``dataset`` (checked on a few test images)."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    try:
        model = torch.jit.load(str(path), map_location=device)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"{path}: not a TorchScript archive ({str(exc).splitlines()[0][:200]})") from None
    model.eval()
    _check_outputs(model, dataset, str(path), device)
    return model


def load_model_ref(ref: ModelRef, device: str = "cpu") -> LoadedModel:
    """Load what ``ref`` names, in eval mode with gradients of the parameters turned off."""
    if ref.kind == "zoo":
        entry = zoo_entry(ref.name)
        if entry.loader is not None:
            model = entry.loader(device)
        else:
            if entry.weights is None or not entry.weights.is_file():
                raise ModelLoadError(
                    f"weights of {entry.name} missing ({entry.weights}); retrain them with "
                    "`python -m workbench_adversarial.train_defaults`"
                )
            model = load_state_dict_model(entry.arch, entry.dataset, entry.weights, device, require_checkpoint=True)
        info: dict[str, Any] = {"description": entry.description}
        if entry.provenance is not None and entry.provenance.is_file():
            info["provenance"] = read_provenance(entry.provenance)
        dataset, label = entry.dataset, entry.name
    elif ref.kind in ("torchscript", "state_dict"):
        if not ref.dataset:
            raise ModelLoadError("a user model needs the dataset it classifies (e.g. digits)")
        try:
            load_dataset(ref.dataset)
        except KeyError as exc:
            raise ModelLoadError(str(exc.args[0])) from None
        if ref.kind == "torchscript":
            model = load_torchscript(ref.path, ref.dataset, device)
        else:
            model = load_state_dict_model(ref.arch, ref.dataset, ref.path, device)
        dataset, label, info = ref.dataset, ref.label(), {"path": ref.path}
    else:
        raise ModelLoadError(f"unknown model kind {ref.kind!r}; use one of {', '.join(REF_KINDS)}")
    model = model.to(device).eval()
    for prm in model.parameters():
        prm.requires_grad_(False)
    return LoadedModel(model, dataset, label, info)
