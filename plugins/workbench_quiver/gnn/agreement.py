"""Agreement of an explanation with the exact recogniser's evidence (Qt-free).

The exact recogniser (:func:`workbench_quiver.core.identify.identify`) draws, with every type it
names, the arrows its criterion rests on (``evidence["highlight_arrows"]``): for D the core of
Vatne's Type I-IV (the fork, the two triangles of the twins, the oriented 4-cycle, the central
cycle), for D~ the two punctures (Henrich's types, or the joined / twin pieces of
:mod:`workbench_quiver.core.dtilde` where the punctures interact), for A~ the non-oriented
cycle.  An explanation "points at the mathematics" when its most important arrows lie there.

Metric (precision at k): of the ``k`` arrows of highest importance, how many lie in the
evidence set ``E`` of the ``A`` arrows.  Ties at the k-th place are broken uniformly at random
and the *expected* count is reported, so an explainer that gives every arrow the same weight
scores exactly the random baseline instead of whatever the index order happens to favour.
The baseline, ``k`` arrows drawn uniformly without replacement, hits ``k |E| / |A|`` evidence
arrows on average (the mean of a hypergeometric distribution).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

Arrow = tuple[int, int]


@dataclass(frozen=True)
class Agreement:
    """Top-k agreement of one explanation with the exact evidence.

    k: arrows compared (at most the number of arrows); hits: expected number of the top-k
    arrows in the evidence (an integer unless importances tie at the k-th place);
    evidence_size: |E|; n_arrows: |A|; label: the exact type whose evidence it is."""

    k: int
    hits: float
    evidence_size: int
    n_arrows: int
    label: str = ""

    @property
    def fraction(self) -> float:
        """hits / k (0 when k = 0)."""
        return self.hits / self.k if self.k else 0.0

    @property
    def random_hits(self) -> float:
        """Expected hits of k arrows drawn uniformly at random: k |E| / |A|."""
        return self.k * self.evidence_size / self.n_arrows if self.n_arrows else 0.0

    @property
    def random_fraction(self) -> float:
        """|E| / |A|, the random baseline of :attr:`fraction`."""
        return self.evidence_size / self.n_arrows if self.n_arrows else 0.0

    def text(self) -> str:
        """One line for a user, e.g. "3 of the top 4 arrows lie in the exact evidence of D~7
        (random arrows: 1.2)"."""
        hits = f"{self.hits:.0f}" if abs(self.hits - round(self.hits)) < 1e-9 else f"{self.hits:.1f}"
        top = "the top arrow" if self.k == 1 else f"the top {self.k} arrows"
        verb = "lies" if self.k == 1 else "lie"
        where = f"the exact evidence of {self.label}" if self.label else "the exact evidence"
        tail = f" ({self.evidence_size} of {self.n_arrows} arrows; random arrows: {self.random_hits:.1f})"
        if self.k == 1 and hits in ("0", "1"):
            return f"the top arrow {'lies' if hits == '1' else 'does not lie'} in {where}{tail}"
        return f"{hits} of {top} {verb} in {where}{tail}"


def arrows_of(b: Any) -> list[Arrow]:
    """The arrows ``i -> j`` (``b[i, j] > 0``) of the mutable part of ``b``."""
    b = np.asarray(b)
    n = b.shape[1]
    i, j = np.nonzero(b[:n, :n] > 0)
    return [(int(a), int(c)) for a, c in zip(i, j, strict=True)]


def evidence_of(b: Any, result: Any = None) -> tuple[frozenset[Arrow], str]:
    """The evidence arrows the exact recogniser draws for ``b``, oriented as arrows of ``b``
    (``b[i, j] > 0``), and the type's label; ``result``: ``identify(b)`` if already computed.
    Empty when the type has no drawn evidence (e.g. found in a table, or not decided)."""
    from ..core.identify import identify

    b = np.asarray(b)
    n = b.shape[1]
    r = identify(b) if result is None else result
    out = set()
    for i, j in r.evidence.get("highlight_arrows", []):
        i, j = int(i), int(j)
        if not (0 <= i < n and 0 <= j < n) or b[i, j] == 0:
            continue
        out.add((i, j) if b[i, j] > 0 else (j, i))
    return frozenset(out), r.label


def top_k_hits(importance: Mapping[Arrow, float], evidence: Collection[Arrow], k: int) -> float:
    """Expected number of the ``k`` most important arrows that lie in ``evidence``, ties at
    the k-th place broken uniformly at random (see the module docstring).

    Arrows tie when their importances agree to a relative 1e-6 (float32 masks saturate)."""
    if k <= 0 or not importance:
        return 0.0
    ev = set(evidence)
    items = sorted(importance.items(), key=lambda t: -float(t[1]))
    k = min(int(k), len(items))
    w = np.array([float(v) for _, v in items])
    thr = w[k - 1]
    tie = np.isclose(w, thr, rtol=1e-6, atol=1e-12)
    above = (w > thr) & ~tie
    hits = float(sum(1 for (a, _), up in zip(items, above, strict=True) if up and a in ev))
    slots = k - int(above.sum())
    tied = [a for (a, _), t in zip(items, tie, strict=True) if t]
    if slots > 0 and tied:
        hits += slots * sum(1 for a in tied if a in ev) / len(tied)
    return hits


def top_k_agreement(
    importance: Mapping[Arrow, float], evidence: Collection[Arrow], k: int | None = None, label: str = ""
) -> Agreement:
    """:class:`Agreement` of the importances with ``evidence`` at ``k`` (None: k = |E|,
    where precision and recall coincide); ``k`` is capped at the number of arrows."""
    ev = set(evidence)
    unknown = ev - set(importance)
    if unknown:
        raise ValueError(f"evidence arrows {sorted(unknown)} are not arrows of the explained quiver")
    n_arrows = len(importance)
    kk = len(ev) if k is None else int(k)
    if kk < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    kk = min(kk, n_arrows)
    return Agreement(kk, top_k_hits(importance, ev, kk), len(ev), n_arrows, label)


def overlay_agreement(overlay: Any, b: Any, k: int | None = None) -> Agreement | None:
    """Agreement of an :class:`~.overlay.ExplanationOverlay` of quiver ``b`` with the exact
    evidence of ``b`` (None when the recogniser draws no evidence arrows for it)."""
    ev, label = evidence_of(b)
    if not ev or not overlay.edge_importance:
        return None
    return top_k_agreement(overlay.edge_importance, ev, k, label)
