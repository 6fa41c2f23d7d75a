"""Activations of any torch module through forward hooks, and of Hugging Face models from a
local folder.

* :func:`extract_with_hooks` registers a forward hook on each named submodule
  (``dict(model.named_modules())``) and collects its output over batches of inputs.
* :func:`pool` turns ``[batch, tokens, width]`` activations into rows: ``"tokens"`` (every
  token is a row; padding removed), ``"mean"`` (mean over tokens), ``"last"`` (last real
  token), ``"first"``; convolutional ``[batch, channels, H, W]`` maps are flattened
  (``"tokens"``) or averaged over space (``"mean"``).
* :func:`extract_hf` loads a ``transformers`` model and tokenizer from a local folder with
  ``trust_remote_code=False`` and ``local_files_only=True`` (nothing is downloaded) and
  returns every hidden state (embeddings, then each layer).  ``transformers`` is optional and
  imported only here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from workbench.seeding import preserve_global_rng

from .validate import DegenerateInputError

if TYPE_CHECKING:
    from .models import DigitsMLP, TinyLM

POOLINGS = ("mean", "last", "first", "tokens")


def pool(h: torch.Tensor, pooling: str, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Rows from one batch of activations (see module docstring); ``mask`` is ``[batch, tokens]``."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if h.dim() == 2:
        return h
    if h.dim() == 4:  # conv maps
        return h.mean(dim=(2, 3)) if pooling == "mean" else h.flatten(1)
    if h.dim() != 3:
        return h.flatten(1)
    if mask is None:
        mask = torch.ones(h.shape[:2], dtype=torch.bool, device=h.device)
    mask = mask.bool()
    if pooling == "tokens":
        return h[mask]
    if pooling == "first":
        return h[:, 0]
    if pooling == "last":
        last = mask.long().sum(1).clamp(min=1) - 1
        return h[torch.arange(h.shape[0], device=h.device), last]
    m = mask.unsqueeze(-1).to(h.dtype)
    return (h * m).sum(1) / m.sum(1).clamp(min=1)


def _first_tensor(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    if hasattr(out, "last_hidden_state"):
        return out.last_hidden_state
    raise TypeError(f"hooked module returned {type(out).__name__}, not a tensor")


@torch.no_grad()
def extract_with_hooks(
    model: torch.nn.Module,
    inputs: torch.Tensor | Sequence[Any],
    module_names: Sequence[str],
    *,
    pooling: str = "mean",
    batch_size: int = 256,
    device: str = "cpu",
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Outputs of the named submodules of ``model`` on ``inputs`` (float32 numpy, rows per :func:`pool`)."""
    modules = dict(model.named_modules())
    missing = [n for n in module_names if n not in modules]
    if missing:
        raise DegenerateInputError(f"model has no submodule(s) {missing}; available: {list(modules)[:20]} ...")
    store: dict[str, list[np.ndarray]] = {n: [] for n in module_names}
    current: dict[str, torch.Tensor] = {}
    hooks = [
        modules[n].register_forward_hook(lambda m, i, o, k=n: current.__setitem__(k, _first_tensor(o)))
        for n in module_names
    ]
    model.eval().to(device)
    try:
        total = len(inputs)
        for s in range(0, total, batch_size):
            if check:
                check()
            batch = inputs[s : s + batch_size]
            batch = batch.to(device) if isinstance(batch, torch.Tensor) else batch
            current.clear()
            model(batch)
            for n in module_names:
                if n not in current:
                    raise DegenerateInputError(f"submodule {n} was not called in the forward pass")
                store[n].append(pool(current[n].float(), pooling).cpu().numpy())
            if progress:
                progress(min(1.0, (s + batch_size) / total), f"activations {min(s + batch_size, total)}/{total}")
    finally:
        for h in hooks:
            h.remove()
    return {n: np.concatenate(v) for n, v in store.items()}


@torch.no_grad()
def extract_zoo(
    model: TinyLM | DigitsMLP,
    inputs: np.ndarray,
    *,
    pooling: str = "mean",
    batch_size: int = 256,
    device: str = "cpu",
    layers: Sequence[str] | None = None,
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, np.ndarray]:
    """All representation points of a zoo model (:mod:`.models`), pooled, in layer order."""
    names = list(layers) if layers else model.layer_names()
    x = torch.from_numpy(inputs)
    store: dict[str, list[np.ndarray]] = {n: [] for n in names}
    model.eval().to(device)
    for s in range(0, len(x), batch_size):
        if check:
            check()
        feats = model.features(x[s : s + batch_size].to(device))
        for n in names:
            store[n].append(pool(feats[n].float(), pooling).cpu().numpy())
        if progress:
            progress(min(1.0, (s + batch_size) / len(x)), f"activations {min(s + batch_size, len(x))}/{len(x)}")
    return {n: np.concatenate(v) for n, v in store.items()}


def _transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise DegenerateInputError(
            "comparing Hugging Face models needs the optional package 'transformers' "
            "(pip install transformers); the default zoo works without it"
        ) from None
    return transformers


@torch.no_grad()
def extract_hf(
    folder: str | Path,
    texts: Sequence[str],
    *,
    pooling: str = "mean",
    max_length: int = 128,
    batch_size: int = 16,
    device: str = "cpu",
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Hidden states of a local Hugging Face model on ``texts`` (never downloads, never runs remote code).

    Returns ``{"embeddings": ..., "layer1": ..., ...}`` in order.
    """
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise DegenerateInputError(f"{folder} has no config.json: not a Hugging Face model folder")
    tf = _transformers()
    try:
        tok = tf.AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False, local_files_only=True)
        with preserve_global_rng():  # weights it initialises before loading must not advance other jobs' streams
            model = tf.AutoModel.from_pretrained(
                str(folder), trust_remote_code=False, local_files_only=True, use_safetensors=None
            )
    except Exception as exc:  # noqa: BLE001 - transformers raises many types
        raise DegenerateInputError(f"cannot load the Hugging Face model in {folder}: {exc}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
    model.eval().to(device)
    store: dict[str, list[np.ndarray]] = {}
    texts = list(texts)
    if not texts:
        raise DegenerateInputError("no texts to run the model on")
    for s in range(0, len(texts), batch_size):
        if check:
            check()
        enc = tok(texts[s : s + batch_size], return_tensors="pt", padding=True, truncation=True, max_length=max_length)
        enc = {k: v.to(device) for k, v in enc.items()}
        out = model(**enc, output_hidden_states=True)
        mask = enc.get("attention_mask")
        for i, h in enumerate(out.hidden_states):
            store.setdefault("embeddings" if i == 0 else f"layer{i}", []).append(
                pool(h.float(), pooling, mask).cpu().numpy()
            )
        if progress:
            progress(
                min(1.0, (s + batch_size) / len(texts)), f"activations {min(s + batch_size, len(texts))}/{len(texts)}"
            )
    return {k: np.concatenate(v) for k, v in store.items()}
