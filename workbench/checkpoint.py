"""Model checkpoints of every plugin: safetensors weights plus a JSON sidecar (Qt-free).

A checkpoint ``X`` is two files side by side:

* ``X.safetensors``: only tensors (nothing is unpickled on load);
* ``X.json``: the sidecar, format ``mlsci-workbench-checkpoint`` version 1::

    {"format": "mlsci-workbench-checkpoint", "format_version": 1,
     "kind": "bundle-classifier",                 # which plugin's model this is
     "architecture": {...},                       # what the plugin needs to build the nn.Module
     "provenance": {...},                         # training command, data, seed, metrics, date
     "versions": {"workbench": "0.1.0", "torch": "2.13.0+cpu", "safetensors": "0.8.0", "python": "3.11.7"},
     "saved_at": "2026-12-01T09:41:00Z",
     "weights": {"file": "X.safetensors", "sha256": "<hex>", "bytes": 12345,
                 "tensors": {"fc.weight": {"shape": [10, 64], "dtype": "float32"}, ...}}}

``versions`` are those of the process that wrote the files (the training run's own versions,
where they differ, stay in ``provenance``).  Non-finite floats in the architecture or the
provenance are written as ``null`` (strict JSON).

:func:`load_checkpoint` verifies, in this order, that the weights and the sidecar exist, that
the sidecar is valid JSON of this format and not of a newer version, that the kind and the
expected architecture match, that the weights' sha256 is the one recorded, and that the file is
readable safetensors holding the recorded tensors.  :func:`load_into` then checks a module's
keys and shapes against the tensors.  Every failure raises :class:`CheckpointError` (a
``ValueError``) whose message names the file and what is wrong.

Both files are written atomically (a temporary file renamed over the target), so a crash while
saving never leaves a half-written file under the checkpoint's name.  torch and safetensors are
imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import __version__
from workbench.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import torch

FORMAT = "mlsci-workbench-checkpoint"
VERSION = 1
WEIGHTS_SUFFIX = ".safetensors"
SIDECAR_SUFFIX = ".json"
#: how many offending keys an error message lists before "and N more"
_LIST = 5


class CheckpointError(InputError):
    """A checkpoint that cannot be saved or used; the message names the file and the problem."""


@dataclass
class Checkpoint:
    """A verified checkpoint: its tensors (on the requested device) and its sidecar.

    tensors: name -> tensor; architecture, provenance: the sidecar's objects; meta: the whole
    sidecar; path: the weights file; sidecar: the JSON file."""

    tensors: dict[str, Any]
    architecture: dict[str, Any]
    provenance: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    sidecar: Path | None = None

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", ""))


# ---------------------------------------------------------------------------------------------
# paths, hashing, JSON


def checkpoint_paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, sidecar) of a checkpoint named by its .safetensors, its .json or its stem."""
    p = Path(path).expanduser()
    if p.suffix == SIDECAR_SUFFIX:
        p = p.with_suffix(WEIGHTS_SUFFIX)
    elif p.suffix != WEIGHTS_SUFFIX:
        p = p.with_name(p.name + WEIGHTS_SUFFIX)
    return p, p.with_suffix(SIDECAR_SUFFIX)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks of ``chunk`` bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _plain_json(obj: Any, where: str) -> Any:
    """``obj`` as strict-JSON data: tuples to lists, non-finite floats to None, numpy scalars to
    Python numbers; anything else that JSON cannot hold raises CheckpointError."""
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise CheckpointError(f"{where}: keys must be strings, got {k!r}")
            out[k] = _plain_json(v, f"{where}.{k}")
        return out
    if isinstance(obj, (list, tuple)):
        return [_plain_json(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:  # numpy / torch scalar
        return _plain_json(obj.item(), where)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise CheckpointError(f"{where}: {type(obj).__name__} cannot be stored in a checkpoint's JSON sidecar")


def _atomic_write_bytes(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` on a new temporary file beside ``path``, then rename it over
    ``path``.  The file gets the usual permissions (0o666 less the umask), not mkstemp's 0o600."""
    tmp = str(path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"))
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        mode = os.stat(tmp).st_mode & 0o777
        write(tmp)
        os.chmod(tmp, mode)  # safetensors' writer recreates the file with 0o600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _versions() -> dict[str, str]:
    import torch

    out = {"workbench": __version__, "torch": str(torch.__version__), "python": platform.python_version()}
    try:
        from importlib.metadata import version

        out["safetensors"] = version("safetensors")
    except Exception:  # noqa: BLE001 - a missing distribution record is not an error
        pass
    return out


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---------------------------------------------------------------------------------------------
# saving


def save_checkpoint(
    path: str | Path,
    state_dict: Mapping[str, Any],
    *,
    architecture: Mapping[str, Any],
    provenance: Mapping[str, Any],
    kind: str,
) -> tuple[Path, Path]:
    """Write ``X.safetensors`` (the tensors of ``state_dict``, moved to the CPU) and ``X.json``.

    path: the checkpoint, by its .safetensors, .json or stem; architecture: JSON data the plugin
    builds its module from; provenance: JSON data (training command, data, seed, metrics, date);
    kind: which plugin's model (e.g. "bundle-classifier").  Returns (weights path, sidecar path).
    Tensors that share memory (tied weights) are stored as separate copies."""
    import torch
    from safetensors.torch import save_file

    wpath, jpath = checkpoint_paths(path)
    if not isinstance(kind, str) or not kind:
        raise CheckpointError(f"{wpath.name}: a checkpoint needs a non-empty kind, got {kind!r}")
    arch = _plain_json(dict(architecture), f"{jpath.name}: architecture")
    prov = _plain_json(dict(provenance), f"{jpath.name}: provenance")
    tensors: dict[str, torch.Tensor] = {}
    for name, value in state_dict.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{wpath.name}: only named tensors can be saved; {name!r} is {type(value).__name__}")
        tensors[name] = value.detach().to("cpu", copy=True).contiguous()
    wpath.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write_bytes(wpath, lambda tmp: save_file(tensors, tmp, metadata={"format": FORMAT, "kind": kind}))
    doc = {
        "format": FORMAT,
        "format_version": VERSION,
        "kind": kind,
        "architecture": arch,
        "provenance": prov,
        "versions": _versions(),
        "saved_at": _now(),
        "weights": {
            "file": wpath.name,
            "sha256": sha256_file(wpath),
            "bytes": wpath.stat().st_size,
            "tensors": {
                k: {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")} for k, v in tensors.items()
            },
        },
    }
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    _atomic_write_bytes(jpath, lambda tmp: Path(tmp).write_text(text))
    return wpath, jpath


# ---------------------------------------------------------------------------------------------
# reading


def is_checkpoint(path: str | Path) -> bool:
    """True if ``path`` has a sidecar of this format beside it (valid or not otherwise)."""
    _, jpath = checkpoint_paths(path)
    try:
        doc = json.loads(jpath.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def read_sidecar(path: str | Path, *, kind: str | None = None) -> dict[str, Any]:
    """The validated sidecar of a checkpoint (format, version, kind, structure); the weights are
    neither read nor hashed.  Raises CheckpointError naming the file."""
    wpath, jpath = checkpoint_paths(path)
    if not jpath.is_file():
        raise CheckpointError(
            f"{wpath.name}: its sidecar {jpath} is missing; a checkpoint is {wpath.name} plus {jpath.name} "
            "(architecture, provenance, content hash) in the same folder"
        )
    try:
        doc = json.loads(jpath.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(
            f"{jpath}: the checkpoint sidecar is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{jpath}: cannot read the checkpoint sidecar ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        hint = ""
        if isinstance(doc, dict) and "format_version" not in doc:
            hint = (
                "; it looks like a provenance JSON of an older workbench: convert it with "
                "`python scripts/convert_checkpoints.py` from the source tree, or retrain the model"
            )
        raise CheckpointError(
            f"{jpath} is not a workbench checkpoint sidecar (format {found!r}, expected {FORMAT!r}){hint}"
        )
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{jpath}: missing or invalid format_version {version!r}")
    if version > VERSION:
        writer = (doc.get("versions") or {}).get("workbench", "?") if isinstance(doc.get("versions"), dict) else "?"
        raise CheckpointError(
            f"{jpath} was written by a newer workbench (checkpoint format version {version}, workbench {writer}); "
            f"this is workbench {__version__}, which reads checkpoint format versions up to {VERSION}. "
            "Update the workbench to load it."
        )
    actual = doc.get("kind")
    if not isinstance(actual, str) or not actual:
        raise CheckpointError(f"{jpath}: missing or invalid kind {actual!r}")
    if kind is not None and actual != kind:
        raise CheckpointError(f"{wpath.name} is a checkpoint of kind {actual!r}, expected kind {kind!r} ({jpath})")
    for key in ("architecture", "provenance", "weights"):
        if not isinstance(doc.get(key), dict):
            raise CheckpointError(f"{jpath}: {key!r} must be a JSON object")
    weights = doc["weights"]
    if not isinstance(weights.get("sha256"), str) or len(weights["sha256"]) != 64:
        raise CheckpointError(f"{jpath}: weights.sha256 must be the 64-digit hex sha256 of {wpath.name}")
    if not isinstance(weights.get("tensors", {}), dict):
        raise CheckpointError(f"{jpath}: weights.tensors must map tensor names to shape and dtype")
    return doc


def _check_architecture(doc: dict[str, Any], expected: Mapping[str, Any], wpath: Path) -> None:
    want = _plain_json(dict(expected), "expected architecture")
    have = doc["architecture"]
    wrong = []
    for key, value in want.items():
        if key not in have:
            wrong.append(f"{key}={value!r} (the checkpoint has no {key!r})")
        elif have[key] != value:
            wrong.append(f"{key}={value!r} (the checkpoint has {have[key]!r})")
    if wrong:
        raise CheckpointError(f"{wpath.name}: architecture mismatch: expected " + "; ".join(wrong))


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - _LIST} more" if len(names) > _LIST else ""
    return ", ".join(names[:_LIST]) + more


def read_safetensors(path: str | Path, device: str = "cpu") -> dict[str, Any]:
    """Tensors of any .safetensors file (no sidecar needed, nothing unpickled); CheckpointError
    naming the file when it is missing, empty, truncated or not safetensors."""
    from safetensors.torch import load_file

    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: the file is empty")
    try:
        return load_file(str(path), device=device)
    except Exception as exc:  # noqa: BLE001 - safetensors raises several types for bad files
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{path}: corrupt or not a safetensors file ({msg})") from None


def load_checkpoint(
    path: str | Path,
    *,
    kind: str | None = None,
    expected_architecture: Mapping[str, Any] | None = None,
    device: str = "cpu",
) -> Checkpoint:
    """Load and verify a checkpoint written by :func:`save_checkpoint`.

    kind: required kind (None accepts any); expected_architecture: keys the sidecar's
    architecture must hold with these values (others are not compared); device: where the
    tensors go.  Raises CheckpointError naming the file: weights or sidecar missing, sidecar
    not of this format or of a newer version, wrong kind or architecture, sha256 mismatch,
    weights not safetensors, tensors not those recorded, NaN or infinite weights."""
    wpath, jpath = checkpoint_paths(path)
    if not wpath.is_file():
        raise CheckpointError(f"checkpoint not found: {wpath}")
    doc = read_sidecar(wpath, kind=kind)
    if expected_architecture is not None:
        _check_architecture(doc, expected_architecture, wpath)
    recorded = doc["weights"]["sha256"].lower()
    actual = sha256_file(wpath)
    if actual != recorded:
        try:
            read_safetensors(wpath)
            state = "it still parses as safetensors"
        except CheckpointError as exc:
            state = "it is not readable as safetensors either: " + str(exc).split(": ", 1)[-1]
        raise CheckpointError(
            f"{wpath}: content hash mismatch: {jpath.name} records sha256 {recorded[:12]}..., the file has "
            f"{actual[:12]}...; the weights are corrupt or were changed after saving ({state})"
        )
    tensors = read_safetensors(wpath, device=device)
    from workbench.array_files import check_finite_tensors

    try:
        check_finite_tensors(tensors, wpath)
    except InputError as exc:
        raise CheckpointError(str(exc)) from None
    listed = doc["weights"].get("tensors", {})
    if listed:
        missing = sorted(set(listed) - set(tensors))
        extra = sorted(set(tensors) - set(listed))
        shapes = [
            f"{k}: sidecar {tuple(listed[k].get('shape', ()))} vs file {tuple(tensors[k].shape)}"
            for k in sorted(set(listed) & set(tensors))
            if isinstance(listed[k], dict) and list(listed[k].get("shape", [])) != list(tensors[k].shape)
        ]
        if missing or extra or shapes:
            parts = (
                ([f"listed but absent: {_listed(missing)}"] if missing else [])
                + ([f"present but not listed: {_listed(extra)}"] if extra else [])
                + shapes[:_LIST]
            )
            raise CheckpointError(
                f"{wpath}: the tensors do not match those recorded in {jpath.name}: " + "; ".join(parts)
            )
    return Checkpoint(
        tensors=tensors,
        architecture=doc["architecture"],
        provenance=doc["provenance"],
        meta=doc,
        path=wpath,
        sidecar=jpath,
    )


#: the largest integer an architecture may give for a size (width, layers, grid, vocabulary)
#: unless a plugin says otherwise: far above every model here, far below a terabyte allocation
MAX_ARCH_INT = 1 << 16


def check_architecture_ints(
    arch: Mapping[str, Any],
    where: str | Path,
    *,
    bounds: Mapping[str, tuple[int, int]] | None = None,
    default: tuple[int, int] = (1, MAX_ARCH_INT),
) -> None:
    """Refuse absurd sizes in an architecture before anything is built: every integer (and
    every integer in a list) must lie in ``bounds[key]`` or else in ``default`` (1..65536);
    booleans and other types are left to the plugin.  CheckpointError naming ``where``
    (``"hidden": 200000`` or ``"layers": -3`` are refused here, not after allocating)."""
    bounds = dict(bounds or {})
    for key, value in arch.items():
        lo, hi = bounds.get(key, default)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int):
                continue
            if not lo <= v <= hi:
                raise CheckpointError(
                    f"{where}: architecture {key!r} = {value!r} is out of range: each must be "
                    f"an integer in {lo}..{hi}; the sidecar is corrupt or not for this workbench"
                )


def _mismatch(own: Mapping[str, tuple[int, ...]], tensors: Mapping[str, Any]) -> list[str]:
    """What differs between a module's parameter shapes and a checkpoint's tensors."""
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    wrong = [
        f"{k}: file {tuple(tensors[k].shape)} vs model {tuple(v)}"
        for k, v in own.items()
        if k in tensors and tuple(tensors[k].shape) != tuple(v)
    ]
    more = f" and {len(wrong) - _LIST} more" if len(wrong) > _LIST else ""
    return (
        ([f"missing keys {_listed(missing)}"] if missing else [])
        + ([f"unexpected keys {_listed(unexpected)}"] if unexpected else [])
        + ([f"wrong shapes {'; '.join(wrong[:_LIST])}{more}"] if wrong else [])
    )


def build_checked(ckpt: Checkpoint, factory: Any) -> Any:
    """The module ``factory()`` builds for ``ckpt``'s architecture, with the checkpoint's
    tensors loaded, in eval mode.  The module is first built on torch's ``meta`` device
    (shapes only, no memory) and compared with the tensors in the file: an architecture that
    does not describe these weights (a width of 200,000 beside 64-wide weights, a grid of 10^6)
    is refused with a CheckpointError before anything is allocated.  An exception while
    building (a negative size, an unknown option) is a CheckpointError too."""
    import torch

    where = ckpt.sidecar or ckpt.path or "checkpoint"
    try:
        with torch.device("meta"):
            ghost = factory()
        shapes = {k: tuple(v.shape) for k, v in ghost.state_dict().items()}
    except (TypeError, ValueError, KeyError, RuntimeError, OverflowError, MemoryError) as exc:
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{where}: invalid model architecture {ckpt.architecture}: {msg}") from None
    parts = _mismatch(shapes, ckpt.tensors)
    if parts:
        raise CheckpointError(
            f"{where}: the architecture {ckpt.architecture} does not describe the weights in "
            f"{ckpt.path.name if ckpt.path else 'the file'} ({'; '.join(parts)}); "
            "the sidecar or the weights were changed"
        )
    module = factory()
    load_into(module, ckpt)
    return module.eval()


def load_into(module: Any, ckpt: Checkpoint | Mapping[str, Any], path: str | Path | None = None) -> Any:
    """Copy the checkpoint's tensors into ``module`` after checking names and shapes.

    ckpt: a :class:`Checkpoint` or a plain name -> tensor mapping; path: the file named in
    errors (default: the checkpoint's).  Missing keys, unexpected keys and shape mismatches are
    all listed in one CheckpointError.  Returns ``module``."""
    tensors = ckpt.tensors if isinstance(ckpt, Checkpoint) else dict(ckpt)
    where = Path(path) if path is not None else (ckpt.path if isinstance(ckpt, Checkpoint) else None)
    label = str(where) if where is not None else "checkpoint"
    own = module.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    wrong = [
        f"{k}: file {tuple(tensors[k].shape)} vs model {tuple(v.shape)}"
        for k, v in own.items()
        if k in tensors and tuple(tensors[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or wrong:
        more = f" and {len(wrong) - _LIST} more" if len(wrong) > _LIST else ""
        parts = (
            ([f"missing keys {_listed(missing)}"] if missing else [])
            + ([f"unexpected keys {_listed(unexpected)}"] if unexpected else [])
            + ([f"wrong shapes {'; '.join(wrong[:_LIST])}{more}"] if wrong else [])
        )
        raise CheckpointError(
            f"{label}: weights do not match the {type(module).__name__} architecture: " + "; ".join(parts)
        )
    module.load_state_dict(tensors, strict=True)
    return module
