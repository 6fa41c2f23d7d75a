"""Hugging Face causal language models from a local folder, for stitching and linear mode
connectivity (Qt-free, torch).

* :func:`load_causal_lm` loads a model with its language-model head and its tokenizer with
  ``trust_remote_code=False`` and ``local_files_only=True`` (nothing is downloaded, no code of
  the folder runs) and refuses a folder whose head weights are missing (a base model such as
  ``AutoModel`` saves would get a random head).
* :class:`HFStitchable` gives such a model the interface of the zoo models that
  :func:`workbench_repsim.core.stitching.stitch` uses: ``stitch_points()``, ``features(ids)``
  (the residual stream entering each transformer block, captured by forward pre-hooks) and
  ``forward_from(point, h)`` (the model run with that block's input replaced by ``h``, through
  a pre-hook, so any architecture whose blocks take the hidden states first works).
  The points are named as :func:`workbench_repsim.core.extract.extract_hf` names hidden
  states: ``embeddings`` enters block 0, ``layer{i}`` (the output of block i) enters block i.
* :func:`token_windows` cuts a text into windows of ``ctx + 1`` token ids (no padding), the
  data of next-token stitching and of the LMC path (evaluated by
  :func:`workbench_repsim.core.training.eval_lm`, which takes any model returning logits).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from workbench.seeding import preserve_global_rng

from .validate import DegenerateInputError


def load_causal_lm(folder: str | Path, device: str = "cpu") -> tuple[nn.Module, Any]:
    """(model in eval mode, tokenizer) of the causal LM in ``folder``."""
    from .extract import _transformers

    folder = Path(folder).expanduser()
    if not (folder / "config.json").is_file():
        raise DegenerateInputError(f"{folder} has no config.json: not a Hugging Face model folder")
    tf = _transformers()
    try:
        tok = tf.AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False, local_files_only=True)
        with preserve_global_rng():  # weights it initialises before loading must not advance other jobs' streams
            model, info = tf.AutoModelForCausalLM.from_pretrained(
                str(folder), trust_remote_code=False, local_files_only=True, output_loading_info=True
            )
    except Exception as exc:  # noqa: BLE001 - transformers raises many types
        raise DegenerateInputError(f"cannot load a causal language model from {folder}: {exc}") from None
    missing = sorted(info.get("missing_keys", ()))
    if missing:
        raise DegenerateInputError(
            f"{folder}: the checkpoint lacks weights of the language-model head "
            f"({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''}); stitching and "
            "linear mode connectivity need a causal LM saved with its head"
        )
    return model.eval().to(device), tok


def find_blocks(model: nn.Module) -> nn.ModuleList:
    """The transformer blocks: the ModuleList with ``config.num_hidden_layers`` entries (the
    largest ModuleList when the config does not say)."""
    n = getattr(getattr(model, "config", None), "num_hidden_layers", None)
    lists = [m for m in model.modules() if isinstance(m, nn.ModuleList) and len(m) > 0]
    match = [m for m in lists if n is not None and len(m) == n]
    if match:
        return match[0]
    if lists:
        return max(lists, key=len)
    raise DegenerateInputError(f"{type(model).__name__}: no list of transformer blocks found")


def _replace_hidden(args: tuple, kwargs: dict, h: torch.Tensor) -> tuple[tuple, dict]:
    if args:
        return (h,) + tuple(args[1:]), kwargs
    if "hidden_states" in kwargs:
        return args, {**kwargs, "hidden_states": h}
    raise DegenerateInputError(
        "this architecture does not pass the hidden states to its blocks first; it cannot be stitched"
    )


class HFStitchable(nn.Module):
    """A causal LM with the zoo's stitching interface (see module docstring); calls return logits."""

    def __init__(self, model: nn.Module, chunk: int = 64) -> None:
        super().__init__()
        self.model = model
        self.blocks = find_blocks(model)
        self.chunk = int(chunk)  # windows per forward pass where no gradient is needed

    def _chunked(self, fn, x: torch.Tensor):
        """``fn(x)`` in chunks of ``self.chunk`` rows when no gradient is taken (bounded memory)."""
        if torch.is_grad_enabled() or len(x) <= self.chunk:
            return fn(x)
        parts = [fn(x[s : s + self.chunk]) for s in range(0, len(x), self.chunk)]
        if isinstance(parts[0], dict):
            return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
        return torch.cat(parts)

    def stitch_points(self) -> list[str]:
        return ["embeddings"] + [f"layer{i}" for i in range(1, len(self.blocks))]

    def _block(self, point: str) -> nn.Module:
        names = self.stitch_points()
        if point not in names:
            raise DegenerateInputError(f"unknown stitch point {point!r}; this model has {', '.join(names)}")
        return self.blocks[names.index(point)]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self._chunked(lambda b: self.model(input_ids=b, use_cache=False).logits, ids)

    def features(self, ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """The input of every block on ``ids`` ([N, T] token ids), keyed by stitch point."""
        return self._chunked(self._features, ids)

    def _features(self, ids: torch.Tensor) -> dict[str, torch.Tensor]:
        store: dict[str, torch.Tensor] = {}
        handles = []
        for name, block in zip(self.stitch_points(), self.blocks, strict=True):

            def grab(_mod, args, kwargs, name=name):
                store[name] = (args[0] if args else kwargs["hidden_states"]).detach()

            handles.append(block.register_forward_pre_hook(grab, with_kwargs=True))
        try:
            self.model(input_ids=ids, use_cache=False)
        finally:
            for h in handles:
                h.remove()
        return store

    def forward_from(self, point: str, h: torch.Tensor) -> torch.Tensor:
        """Logits of the model whose residual stream at ``point`` is replaced by ``h`` [N, T, d]."""
        return self._chunked(lambda hb: self._forward_from(point, hb), h)

    def _forward_from(self, point: str, h: torch.Tensor) -> torch.Tensor:
        block = self._block(point)
        handle = block.register_forward_pre_hook(lambda _m, a, k: _replace_hidden(a, k, h), with_kwargs=True)
        try:
            ids = torch.zeros(h.shape[:2], dtype=torch.long, device=h.device)  # what precedes the block is discarded
            return self.model(input_ids=ids, use_cache=False).logits
        finally:
            handle.remove()


def token_windows(tokenizer: Any, texts: Sequence[str], ctx: int, max_windows: int, seed: int = 0) -> np.ndarray:
    """Non-overlapping windows of ``ctx + 1`` token ids from the texts joined into one stream
    (separated by the tokenizer's end-of-text token where it has one), at most ``max_windows``
    of them chosen with ``seed``; [N, ctx + 1] int64."""
    sep = [tokenizer.eos_token_id] if getattr(tokenizer, "eos_token_id", None) is not None else []
    stream: list[int] = []
    for t in texts:
        stream += list(tokenizer(t, add_special_tokens=False)["input_ids"]) + sep
    n = len(stream) // (ctx + 1)
    if n < 2:
        raise DegenerateInputError(
            f"the text gives {len(stream)} tokens, fewer than two windows of {ctx + 1}: give more text"
        )
    w = np.asarray(stream[: n * (ctx + 1)], dtype=np.int64).reshape(n, ctx + 1)
    if n > max_windows:
        w = w[np.sort(np.random.default_rng(seed).choice(n, max_windows, replace=False))]
    return w


def same_tokenizer(tok_a: Any, tok_b: Any, texts: Sequence[str]) -> bool:
    """True when both tokenizers give the same ids on ``texts`` (stitching and LMC compare
    models token by token)."""
    return all(
        list(tok_a(t, add_special_tokens=False)["input_ids"]) == list(tok_b(t, add_special_tokens=False)["input_ids"])
        for t in texts
    )
