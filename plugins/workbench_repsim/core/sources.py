"""Turn a model source (zoo name, local file or folder, .npz of layers) and a data choice
into per-layer activation matrices with the same rows for every layer and both models."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .validate import DegenerateInputError
from .zoo import classify_source, load_safetensors_model, zoo_path

_ARR = re.compile(r"^arr_(\d+)$")


@dataclass
class Layers:
    """Activations of one model: ``names[i]`` -> ``arrays[i]`` (n x d_i, float32).

    ``n_inputs``: how many inputs the model saw (an .npz: its rows); ``rows_total``: the rows
    before token pooling's cap (equal to ``n`` unless rows were dropped)."""

    source: str
    names: list[str]
    arrays: list[np.ndarray]
    family: str  # "lm", "mlp", "hf" or "npz"
    n_inputs: int = 0
    rows_total: int = 0

    @property
    def n(self) -> int:
        return self.arrays[0].shape[0] if self.arrays else 0


def load_npz_layers(path: str | Path) -> Layers:
    """Layers of an .npz (one n x d array per layer, in file order; ``arr_0, arr_1, ...`` sorted numerically)."""
    from workbench.array_files import load_npz
    from workbench.errors import InputError

    p = Path(path)
    if not p.is_file():
        raise DegenerateInputError(f"{p} does not exist")
    try:
        loaded = load_npz(p, "activations (one n x d array per layer)")
    except InputError as exc:
        raise DegenerateInputError(str(exc)) from None
    names = list(loaded)
    if names and all(_ARR.match(n) for n in names):
        names.sort(key=lambda n: int(n.removeprefix("arr_")))  # _ARR: arr_<digits>
    arrays = [loaded[n] for n in names]
    if not arrays:
        raise DegenerateInputError(f"{p.name} holds no arrays")
    n = None
    out = []
    for name, a in zip(names, arrays, strict=True):
        if a.ndim < 2:
            raise DegenerateInputError(f"{p.name}: layer {name!r} has shape {a.shape}; each layer must be n x d")
        if np.iscomplexobj(a) or a.dtype.kind not in "biuf":
            raise DegenerateInputError(
                f"{p.name}: layer {name!r} has dtype {a.dtype}; activations must be real "
                "numbers (split complex ones into real and imaginary features)"
            )
        a = a.reshape(a.shape[0], -1)
        if n is not None and a.shape[0] != n:
            raise DegenerateInputError(f"{p.name}: layer {name!r} has {a.shape[0]} rows but the first layer has {n}")
        n = a.shape[0]
        out.append(a.astype(np.float32) if a.dtype != np.float64 else a)
    return Layers(str(p), names, out, "npz", n_inputs=n or 0, rows_total=n or 0)


def load_model_source(source: str):
    """(model, family) of a zoo name or local .safetensors / folder; HF folders give (path, "hf")."""
    kind = classify_source(source)
    if kind == "zoo":
        m = load_safetensors_model(zoo_path(source))
    elif kind == "safetensors":
        p = Path(source).expanduser()
        m = load_safetensors_model(p / "model.safetensors" if p.is_dir() else p)
    elif kind == "hf":
        return Path(source).expanduser(), "hf"
    else:
        raise DegenerateInputError(f"{source} is an .npz of activations, not a model")
    return m, m.config["kind"]


def model_inputs(family: str, data: str, max_samples: int, ctx: int = 48) -> np.ndarray:
    """The inputs of a zoo model family: windows of token ids for LMs, images for MLPs (the
    strings of a Hugging Face model come from :func:`hf_text_inputs`)."""
    from .data import default_text_windows, digits_split, load_image_folder, load_text_file

    if family == "lm":
        if data in ("", "default"):
            return default_text_windows(ctx, max_samples)
        if Path(data).is_dir():
            raise DegenerateInputError(
                f"{data} is a folder of images but the model is a language model: choose a text file"
            )
        return load_text_file(data, ctx, max_samples)
    if family == "mlp":
        if data in ("", "default"):
            return digits_split(0)[2][:max_samples]
        if not Path(data).is_dir():
            raise DegenerateInputError(
                f"{data} is not a folder of images; the digit classifiers need images (or 'default')"
            )
        return load_image_folder(data, 8, max_samples)
    if family == "hf":
        raise ValueError("model_inputs: the inputs of a Hugging Face model are strings, from hf_text_inputs")
    raise DegenerateInputError(f"unknown model family {family!r}")


def hf_text_inputs(data: str, max_samples: int) -> list[str]:
    """The inputs of a Hugging Face model: the non-empty lines of the text file ``data`` (at most
    ``max_samples``), or the generated evaluation corpus for "default"."""
    if data in ("", "default"):
        from .corpus import generate_text
        from .data import EVAL_TEXT_SEED

        return generate_text(max_samples, EVAL_TEXT_SEED).splitlines()[:max_samples]
    p = Path(data)
    if not p.is_file():
        raise DegenerateInputError(f"{data}: a Hugging Face language model needs a text file (one input per line)")
    lines = [ln for ln in p.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    if not lines:
        raise DegenerateInputError(f"{data} has no non-empty lines")
    return lines[:max_samples]


def activations(
    source: str,
    data: str = "default",
    pooling: str = "mean",
    max_samples: int = 1000,
    *,
    max_rows: int = 5000,
    seed: int = 0,
    device: str = "cpu",
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Layers:
    """Per-layer activations of ``source`` on ``data``.  Token pooling keeps at most
    ``max_rows`` token rows, chosen with ``seed`` (the same rows for the same data and seed)."""
    if classify_source(source) == "npz":
        return load_npz_layers(source)
    from .extract import extract_hf, extract_zoo

    model, family = load_model_source(source)
    inputs: Any
    if family == "hf":
        inputs = hf_text_inputs(data, max_samples)
        feats = extract_hf(model, inputs, pooling=pooling, device=device, check=check, progress=progress)
    else:
        ctx = model.config.get("ctx", 48)
        inputs = model_inputs(family, data, max_samples, ctx)
        feats = extract_zoo(model, inputs, pooling=pooling, device=device, check=check, progress=progress)
    names = list(feats)
    arrays = [feats[n].astype(np.float32) for n in names]
    rows_total = arrays[0].shape[0] if arrays else 0
    if arrays and arrays[0].shape[0] > max_rows:
        idx = np.sort(np.random.default_rng(seed).choice(arrays[0].shape[0], max_rows, replace=False))
        arrays = [a[idx] for a in arrays]
    return Layers(source, names, arrays, family, n_inputs=len(inputs), rows_total=rows_total)


def source_family(source: str) -> str:
    """What a source is, from its name and files alone (no model is loaded): "lm" or "mlp" for
    a zoo name or one of this plugin's .safetensors models (from its JSON sidecar), "hf" for a
    Hugging Face folder, "npz" for activations; "" when that cannot be told (a missing file, an
    unreadable sidecar)."""
    import json

    from .zoo import ZOO

    if source in ZOO:
        return ZOO[source].family
    try:
        kind = classify_source(source)
    except (DegenerateInputError, ValueError, OSError):
        return ""
    if kind in ("hf", "npz"):
        return kind
    p = Path(source).expanduser()
    sidecar = p / "model.json" if p.is_dir() else p.with_suffix(".json")
    try:
        family = json.loads(sidecar.read_text())["architecture"]["kind"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return family if family in ("lm", "mlp") else ""


def input_kind(source: str) -> str:
    """ "text", "image" or "npz": what inputs a source takes (for checking that A and B can share data)."""
    kind = classify_source(source)
    if kind == "npz":
        return "npz"
    if kind == "hf":
        return "text"
    _, family = load_model_source(source)
    return "text" if family == "lm" else "image"
