"""The colour scale shared by the side-by-side heatmaps, tick-label thinning and cell-value
text (Qt-free: numbers and strings only)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ..core.measure_names import MEASURE_RANGES, SIGNED_MEASURES

#: heatmaps up to this many rows and columns print their values in the cells
MAX_CELL_TEXT = 12


def base_measure(measure: str) -> str:
    """The registry name inside a shown measure name ("cka-minibatch (batch 100)" -> "cka")."""
    name = measure.split(" ", 1)[0]
    return "cka" if name == "cka-minibatch" else name


def shared_levels(matrices: Iterable[np.ndarray], measure: str, mode: str = "measure") -> tuple[float, float]:
    """(low, high) of the one colour scale of ``matrices``.

    ``mode`` "measure": the measure's own range (:data:`MEASURE_RANGES`; CKA on [0, 1]),
    starting at -1 for a signed measure when a value is negative; a measure without a known
    range, or values outside it, fall back to the data.  "data": the smallest and largest
    finite value of all matrices (widened by 0.5 each way when they are equal)."""
    if mode not in ("measure", "data"):
        raise ValueError(f"colour scale must be 'measure' or 'data', got {mode!r}")
    finite = [m[np.isfinite(m)] for m in (np.asarray(x, float) for x in matrices)]
    values = np.concatenate(finite) if finite else np.zeros(0)
    lo_d, hi_d = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    name = base_measure(measure)
    if mode == "measure" and name in MEASURE_RANGES:
        lo, hi = MEASURE_RANGES[name]
        if name in SIGNED_MEASURES and lo_d < lo:
            lo = -1.0
        tol = 1e-6 * (hi - lo)
        if lo_d >= lo - tol and hi_d <= hi + tol:
            return lo, hi
    if lo_d == hi_d:
        return lo_d - 0.5, hi_d + 0.5
    return lo_d, hi_d


def tick_step(count: int, cell_px: float, label_px: float, gap_px: float = 4.0) -> int:
    """Label every k-th of ``count`` cells of ``cell_px`` pixels so that labels of ``label_px``
    pixels (plus ``gap_px``) never touch: the smallest k with k * cell_px >= label_px + gap_px."""
    if count <= 0:
        return 1
    if cell_px <= 0:
        return count
    return max(1, min(count, math.ceil((label_px + gap_px) / cell_px)))


_SEPARATORS = "._/-:"


def common_affixes(names: Sequence[str]) -> tuple[str, str]:
    """(prefix, suffix) that every one of ``names`` shares, each ending / starting at a
    separator (``._/-:``), so that what is left tells the names apart: "model.layers.3.mlp"
    ... -> ("model.layers.", ".mlp").  ("", "") for fewer than two names or when stripping
    would leave a name empty or two names equal."""
    if len(names) < 2:
        return "", ""
    first = names[0]
    p = 0
    while p < len(first) and all(len(n) > p and n[p] == first[p] for n in names):
        p += 1
    while p > 0 and first[p - 1] not in _SEPARATORS:
        p -= 1
    q = 0
    while q < len(first) - p and all(len(n) - p > q and n[-1 - q] == first[-1 - q] for n in names):
        q += 1
    while q > 0 and first[len(first) - q] not in _SEPARATORS:
        q -= 1
    prefix, suffix = first[:p], first[len(first) - q :] if q else ""
    cores = [n[len(prefix) : len(n) - len(suffix)] for n in names]
    if not all(cores) or len(set(cores)) != len(cores):
        return "", ""
    return prefix, suffix


def fit_labels(
    names: Sequence[str],
    cell_px: float,
    width_of: Callable[[str], float],
    *,
    gap_px: float = 6.0,
    max_chars: int = 14,
    min_chars: int = 6,
) -> tuple[int, list[str]]:
    """(k, labels) for a row of ``names`` under cells of ``cell_px`` pixels: every name elided
    (in the middle) to at most ``max_chars``; if they do not fit one cell each, shorter (down
    to ``min_chars``) until they do; if even those do not fit, labels of ``min_chars + 4``
    characters on every k-th cell (:func:`tick_step`).  ``width_of`` measures a label in
    pixels.  Consecutive labels shown never come closer than ``gap_px``."""
    if not names:
        return 1, []
    for chars in range(max_chars, min_chars - 1, -1):
        labels = [elide_middle(n, chars) for n in names]
        if max(width_of(lab) for lab in labels) + gap_px <= cell_px:
            return 1, labels
    labels = [elide_middle(n, min_chars + 4) for n in names]
    return tick_step(len(names), cell_px, max(width_of(lab) for lab in labels), gap_px), labels


def elide_middle(text: str, max_chars: int) -> str:
    """``text`` shortened to ``max_chars`` characters with an ellipsis in the middle (layer names
    differ at their start and end: "model.layers.10.mlp" -> "model.…10.mlp")."""
    if len(text) <= max_chars:
        return text
    keep = max(2, max_chars - 1)
    head = (keep + 1) // 2
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def cell_text(value: float) -> str:
    """A matrix value as printed in its cell: two decimals in [-10, 10], else three digits."""
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.3g}"
