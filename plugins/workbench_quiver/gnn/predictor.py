"""Loaded classifiers, cached per checkpoint file (Qt-free).

A loaded model is kept (keyed by path, modification time and device) so that live
predictions in the editor and ``classify --gnn`` do not reload the weights every time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import FAMILIES
from .checkpoint import Checkpoint, default_checkpoint_path, load_checkpoint

_CACHE: dict[tuple[str, float, str], Checkpoint] = {}
_LOCK = threading.Lock()


def get_checkpoint(path: str | Path | None = None, device: str = "cpu") -> Checkpoint:
    """The checkpoint at ``path`` (default: the shipped one), loaded once per file version.
    Raises :class:`checkpoint.CheckpointError` when missing or corrupt."""
    p = Path(path) if path else default_checkpoint_path()
    w = p if p.suffix == ".safetensors" else p.with_suffix(".safetensors")
    mtime = w.stat().st_mtime if w.exists() else -1.0
    key = (str(w.resolve()), mtime, device)
    with _LOCK:
        ck = _CACHE.get(key)
        if ck is None:
            ck = load_checkpoint(w, device)
            _CACHE.clear()
            _CACHE[key] = ck
        return ck


def probabilities(bs: Sequence[np.ndarray], checkpoint: str | Path | None = None, device: str = "cpu") -> np.ndarray:
    """(len(bs), 6) family probabilities of the mutable parts of exchange matrices ``bs``."""
    from .train import predict_proba

    ck = get_checkpoint(checkpoint, device)
    mats = []
    for b in bs:
        b = np.asarray(b)
        n = b.shape[1]
        mats.append(np.asarray(b[:n, :n], dtype=np.int64))
    with _LOCK:
        return predict_proba(ck.model, mats, device)


def gnn_probabilities(b_list: Sequence, checkpoint: str | Path | None = None) -> list[dict[str, float]]:
    """``[{family: probability}]`` for each exchange matrix (nested lists or arrays; validated
    by the core).  Used by ``workbench quiver classify FILE --gnn``."""
    from ..core.quiver import validate_b

    mats = [validate_b(b) for b in b_list]
    if not mats:
        return []
    p = probabilities(mats, checkpoint)
    return [{f: float(round(v, 6)) for f, v in zip(FAMILIES, row, strict=True)} for row in p]


_INV_CACHE: dict[tuple[str, float, str], object] = {}


def invariant_probabilities(
    bs: Sequence[np.ndarray], checkpoint: str | Path | None = None, device: str = "cpu"
) -> np.ndarray:
    """(len(bs), 6) family probabilities from the S_n-invariant classifier of the equivariant
    plugin (``workbench_equivariant.core.quiver_invariant``; default: its shipped checkpoint),
    loaded once per file version like :func:`get_checkpoint`."""
    from workbench_equivariant.core.quiver_invariant import (
        FAMILIES as INVARIANT_FAMILIES,
    )
    from workbench_equivariant.core.quiver_invariant import (
        default_invariant_checkpoint_path,
        load_invariant_checkpoint,
    )
    from workbench_equivariant.core.quiver_invariant import probabilities as inv_probabilities

    assert tuple(INVARIANT_FAMILIES) == tuple(FAMILIES)  # one label set for both classifiers
    p = Path(checkpoint) if checkpoint else default_invariant_checkpoint_path()
    w = p if p.suffix == ".safetensors" else p.with_suffix(".safetensors")
    mtime = w.stat().st_mtime if w.exists() else -1.0
    key = (str(w.resolve()), mtime, device)
    with _LOCK:
        ck = _INV_CACHE.get(key)
        if ck is None:
            ck = load_invariant_checkpoint(w, device)
            _INV_CACHE.clear()
            _INV_CACHE[key] = ck
        return inv_probabilities(ck.model, bs, device)  # type: ignore[attr-defined]
