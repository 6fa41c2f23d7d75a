"""A real CLIP byte-pair-encoding tokenizer built from the BPE merges that ship inside a PyPI
package, with a smaller vocabulary.

OpenAI's CLIP tokenizer (Radford et al. 2021) is byte-level BPE: the 256 byte symbols, the same
with the end-of-word marker ``</w>``, one token per merge in rank order, and the two special
tokens ``<|startoftext|>`` and ``<|endoftext|>``.  Its merges file,
``bpe_simple_vocab_16e6.txt.gz``, ships in the ``open_clip_torch`` package (MIT licence; the file
is OpenAI's).  CLIP itself keeps the first 48,894 merges (vocabulary 49,408); keeping the first
``n_merges`` (4,000 by default: vocabulary 4,514) gives the same tokenizer on the frequent words
and a text-embedding table the embedded default can afford.  The result is a
``transformers.CLIPTokenizer`` built from ``vocab.json`` and ``merges.txt`` in CLIP's format.

Only training the default needs the package (``pip install --no-deps open_clip_torch``: its
own dependencies, torchvision and timm, are not needed to read one data file; the package is
never imported, its folder is located with ``importlib.util.find_spec``).  The trained model
folders carry the tokenizer files they were trained with.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

MERGES_FILE = "bpe_simple_vocab_16e6.txt.gz"
PACKAGE = "open_clip"
DEFAULT_MERGES = 4000
#: CLIP's own truncation of the merges list (49152 - 256 - 2)
CLIP_MERGES = 48894


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible map from the 256 byte values to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def merges_path() -> Path:
    """The merges file inside the installed ``open_clip_torch`` package, or ``FileNotFoundError``
    saying how to get it."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        p = Path(loc) / MERGES_FILE
        if p.is_file():
            return p
    raise FileNotFoundError(
        f"{MERGES_FILE} not found: it ships in the PyPI package open_clip_torch (pip install --no-deps open_clip_torch)"
    )


def read_merges(path: Path | None = None, n_merges: int = DEFAULT_MERGES) -> list[tuple[str, str]]:
    """The first ``n_merges`` merges (rank order) of the CLIP merges file."""
    if not 1 <= n_merges <= CLIP_MERGES:
        raise ValueError(f"n_merges must be in [1, {CLIP_MERGES}], got {n_merges}")
    p = path or merges_path()
    lines = gzip.open(p, "rt", encoding="utf-8").read().split("\n")
    # line 0 is a version header, as in CLIP's simple_tokenizer
    merges = [tuple(line.split()) for line in lines[1 : 1 + n_merges]]
    if len(merges) != n_merges or any(len(m) != 2 for m in merges):
        raise ValueError(f"{p}: not a CLIP merges file")
    return [(m[0], m[1]) for m in merges]


def write_tokenizer_files(folder: Path, merges: list[tuple[str, str]]) -> tuple[Path, Path]:
    """``vocab.json`` and ``merges.txt`` of the CLIP tokenizer with these merges."""
    symbols = list(bytes_to_unicode().values())
    vocab = (
        symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    )
    folder.mkdir(parents=True, exist_ok=True)
    v, m = folder / "vocab.json", folder / "merges.txt"
    v.write_text(json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False), encoding="utf-8")
    m.write_text("#version: 0.2\n" + "\n".join(" ".join(x) for x in merges) + "\n", encoding="utf-8")
    return v, m


def build_tokenizer(folder: Path, n_merges: int = DEFAULT_MERGES, model_max_length: int = 24) -> Any:
    """A ``transformers.CLIPTokenizer`` with the first ``n_merges`` CLIP merges, its files in ``folder``."""
    from transformers import CLIPTokenizer

    v, m = write_tokenizer_files(folder, read_merges(n_merges=n_merges))
    return CLIPTokenizer(str(v), str(m), model_max_length=model_max_length)
