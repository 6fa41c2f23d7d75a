"""Prompt perplexity under a causal language model from a local folder (transformers).

``perplexity = exp(mean negative log-likelihood per predicted token)`` (natural log), each token
predicted from the ones before it; the first token is predicted from the tokenizer's beginning
token (CLIP's ``<|startoftext|>``, GPT-2's ``<|endoftext|>``), which is added when the tokenizer
does not add it, and the end token is predicted when the tokenizer appends one.  Kvinge et al.
(2023) measure prompt perplexity with a surrogate language model in the same way.

Loading: ``AutoTokenizer`` / ``AutoModelForCausalLM.from_pretrained(folder, local_files_only=True,
trust_remote_code=False, use_safetensors=True)``; a folder without ``config.json`` or without
``.safetensors`` weights is refused with a message.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InputError


class LanguageModelError(InputError):
    """A language-model folder that cannot be used."""


def check_lm_folder(path: str | Path) -> Path:
    """``path`` if it looks like a transformers causal-LM folder with safetensors weights."""
    p = Path(path).expanduser()
    if not p.is_dir():
        raise LanguageModelError(f"{p}: no such folder (a language model is a transformers folder)")
    if not (p / "config.json").is_file():
        raise LanguageModelError(f"{p}: config.json is missing (not a transformers model folder)")
    if not any(f.name.endswith((".safetensors", ".safetensors.index.json")) for f in p.iterdir()):
        pickled = [f.name for f in p.iterdir() if f.suffix in (".bin", ".pt", ".pth", ".ckpt")]
        extra = f" (it has {', '.join(sorted(pickled))}: pickled weights are not loaded)" if pickled else ""
        raise LanguageModelError(f"{p}: no .safetensors weights{extra}")
    return p


def load_lm(path: str | Path, device: str = "cpu") -> tuple[Any, Any]:
    """``(model, tokenizer)`` of a local causal LM, in eval mode on ``device``."""
    p = check_lm_folder(path)
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as tlog

    level, bars = tlog.get_verbosity(), tlog.is_progress_bar_enabled()
    tlog.set_verbosity_error()
    tlog.disable_progress_bar()  # transformers' "Loading weights" bar
    try:
        tok = AutoTokenizer.from_pretrained(str(p), local_files_only=True, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(
            str(p), local_files_only=True, trust_remote_code=False, use_safetensors=True
        )
    except (OSError, ValueError, KeyError) as exc:
        raise LanguageModelError(f"{p}: transformers could not load it as a causal language model: {exc}") from None
    finally:
        tlog.set_verbosity(level)
        if bars:
            tlog.enable_progress_bar()
    return model.eval().to(device), tok


def token_ids(tok: Any, text: str, max_length: int) -> list[int]:
    """Ids of ``text`` with a beginning token first (added if the tokenizer does not)."""
    ids = list(tok(text, truncation=True, max_length=max_length)["input_ids"])
    bos = tok.bos_token_id
    if bos is None:
        bos = tok.eos_token_id
    if bos is not None and (not ids or ids[0] != bos):
        ids = [bos] + ids[: max_length - 1]
    return ids


def perplexities(
    model: Any, tok: Any, texts: Sequence[str], *, batch_size: int = 32, cancel: Callable[[], None] | None = None
) -> np.ndarray:
    """The perplexity of each text (see the module docstring); NaN for a text with nothing to
    predict (fewer than two tokens)."""
    import torch

    max_len = int(
        getattr(model.config, "n_positions", None) or getattr(model.config, "max_position_embeddings", None) or 512
    )
    out = np.full(len(texts), math.nan)
    dev = next(model.parameters()).device
    for s in range(0, len(texts), batch_size):
        if cancel is not None:
            cancel()
        chunk = [token_ids(tok, t, max_len) for t in texts[s : s + batch_size]]
        width = max(len(c) for c in chunk)
        ids = torch.zeros((len(chunk), width), dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, c in enumerate(chunk):
            ids[i, : len(c)] = torch.tensor(c)
            mask[i, : len(c)] = 1
        with torch.no_grad():
            logits = model(input_ids=ids.to(dev), attention_mask=mask.to(dev)).logits.float()
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        tgt = ids[:, 1:].to(dev)
        nll = -logp.gather(2, tgt.unsqueeze(2)).squeeze(2)
        m = mask[:, 1:].to(dev).float()
        counts = m.sum(dim=1)
        mean = (nll * m).sum(dim=1) / counts.clamp(min=1)
        for i in range(len(chunk)):
            if counts[i] > 0:
                out[s + i] = math.exp(float(mean[i]))
    return out
