"""Deep-walk test sets for the size generalisation of the GNN classifier (Qt-free, seeded).

Issue 21: the paper-style sets of :func:`dataset.sample_size` walk 4 n mutations from the
standard quiver, which leaves the samples close to it.  Here every sample is the end of an
independent random mutation walk of ``L`` steps, ``L`` uniform in ``walk`` (default 50..400),
from the standard quiver of its type (no vertex mutated twice in a row; mutation is an
involution, so a repeat would only undo a step), followed by a uniformly random relabelling of
the vertices.  The samples are deduplicated up to isomorphism
(:func:`workbench_quiver.core.canonical.canonical_form`); a type whose class has fewer
isomorphism classes than asked for gives all the classes the walks found, and the provenance
says so (``short``).

Families: A_n, D_n, D~_{n-1} (n vertices) and A~_{p,q} for every split p >= q >= 1, p + q = n,
with the family's count spread evenly over the splits (the first ``count mod splits`` splits
get one more).  All four are mutation-finite with arrow multiplicities <= 2, so the walks run as
one int64 batch (:func:`walk_batch`).

Random numbers: one ``numpy.random.default_rng(seed)`` per size, ``seed = base_seed + n``,
consumed type by type in the order of :func:`dataset.types_on`; the same arguments give the same
quivers (and the same stored order).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from .dataset import CODE_VERSION, QuiverDataset, from_matrices, standard_b, types_on

DEEPWALK_FAMILIES = ("A", "D", "A~", "D~")
DEFAULT_WALK = (50, 400)


def walk_batch(b0: np.ndarray, lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ends of ``len(lengths)`` independent random mutation walks from the square
    skew-symmetric ``b0`` (n x n), walk ``w`` of ``lengths[w]`` steps, each step at a vertex
    drawn uniformly from the n - 1 vertices other than the previous one; then each end is
    relabelled by an independent uniform permutation.  Returns (W, n, n) int64.

    Mutation (Fomin-Zelevinsky): ``b'_ij = -b_ij`` if k in {i, j}, else
    ``b_ij + (|b_ik| b_kj + b_ik |b_kj|) / 2``.  int64 is exact while entries stay small, which
    they do in mutation-finite classes; larger entries raise ``ValueError``."""
    b0 = np.asarray(b0, dtype=np.int64)
    n = b0.shape[0]
    if b0.shape != (n, n) or n < 2:
        raise ValueError(f"walk_batch needs a square exchange matrix with >= 2 vertices, got shape {b0.shape}")
    lengths = np.asarray(lengths, dtype=np.int64)
    w = len(lengths)
    x = np.repeat(b0[None], w, axis=0)
    last = np.full(w, -1, dtype=np.int64)
    rows = np.arange(w)
    for step in range(int(lengths.max(initial=0))):
        active = lengths > step
        k = rng.integers(0, n - 1, size=w)
        k = np.where((last >= 0) & (k >= last), k + 1, k)
        idx = rows[active]
        ka = k[active]
        xa = x[idx]
        col = xa[np.arange(len(idx)), :, ka]  # (a, n): b_ik
        row = xa[np.arange(len(idx)), ka, :]  # (a, n): b_kj
        out = xa + (np.abs(col)[:, :, None] * row[:, None, :] + col[:, :, None] * np.abs(row)[:, None, :]) // 2
        out[np.arange(len(idx)), :, ka] = -col
        out[np.arange(len(idx)), ka, :] = -row
        x[idx] = out
        last[idx] = ka
        if step % 64 == 0 and int(np.abs(x).max()) > 2**20:
            raise ValueError("mutation walk left the small-entry range; walk_batch is for mutation-finite classes")
    perms = np.argsort(rng.random((w, n)), axis=1)
    r = np.arange(w)[:, None, None]
    return x[r, perms[:, :, None], perms[:, None, :]]


def sample_deep(
    label: str,
    count: int,
    rng: np.random.Generator,
    walk: tuple[int, int] = DEFAULT_WALK,
    max_rounds: int = 8,
    seen: set[bytes] | None = None,
) -> tuple[list[np.ndarray], list[int]]:
    """Up to ``count`` pairwise non-isomorphic quivers of the class of ``label`` (matrices,
    walk lengths) from deep random walks (:func:`walk_batch`, lengths uniform in ``walk``,
    inclusive).  Walks are drawn in rounds of ``count`` (at least 64) until ``count`` classes
    are found or ``max_rounds`` rounds in a row found nothing new (then the class is exhausted,
    in practice: fewer isomorphism classes than ``count``).  ``seen`` (canonical forms) is
    updated in place."""
    from ..core.canonical import canonical_form

    lo, hi = int(walk[0]), int(walk[1])
    if not 0 <= lo <= hi:
        raise ValueError(f"walk lengths must satisfy 0 <= lo <= hi, got {walk}")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    b0 = standard_b(label)
    seen = set() if seen is None else seen
    out: list[np.ndarray] = []
    lens: list[int] = []
    barren = 0
    while len(out) < count and barren < max_rounds:
        m = max(64, count - len(out))
        lengths = rng.integers(lo, hi + 1, size=m)
        ends = walk_batch(b0, lengths, rng)
        found = False
        for b, ln in zip(ends, lengths, strict=True):
            key = canonical_form(b)
            if key in seen:
                continue
            seen.add(key)
            out.append(b)
            lens.append(int(ln))
            found = True
            if len(out) >= count:
                break
        barren = 0 if found else barren + 1
    return out, lens


def split_count(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as possible, the first ones one more."""
    return [total // parts + (1 if k < total % parts else 0) for k in range(parts)]


def sample_deepwalk(
    sizes: Sequence[int],
    per_family: int = 1000,
    seed: int = 0,
    families: Sequence[str] = DEEPWALK_FAMILIES,
    walk: tuple[int, int] = DEFAULT_WALK,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> QuiverDataset:
    """The deep-walk test set: for every ``n`` of ``sizes`` and family of ``families``,
    ``per_family`` pairwise non-isomorphic quivers (A~: spread over its splits) by
    :func:`sample_deep` with ``default_rng(seed + n)``.  ``depth`` holds each walk's length."""
    for f in families:
        if f not in DEEPWALK_FAMILIES:
            raise ValueError(f"deep-walk sets cover the mutation-finite families {DEEPWALK_FAMILIES}, not {f!r}")
    if per_family < 1:
        raise ValueError(f"per_family must be >= 1, got {per_family}")
    t0 = time.perf_counter()
    bs: list[np.ndarray] = []
    labels: list[str] = []
    depths: list[int] = []
    asked: dict[str, int] = {}
    short: dict[str, int] = {}
    jobs = [(n, t, c) for n in sizes for f in families for t, c in _type_counts(n, f, per_family)]
    rngs = {n: np.random.default_rng(seed + n) for n in sizes}
    for j, (n, t, c) in enumerate(jobs):
        if cancelled is not None and cancelled():
            raise InterruptedError("deep-walk sampling cancelled")
        if progress is not None:
            progress(j / max(len(jobs), 1), f"{t}: {c} deep walks")
        m, lens = sample_deep(t, c, rngs[n], walk)
        asked[t] = c
        if len(m) < c:
            short[t] = len(m)
        bs += m
        labels += [t] * len(m)
        depths += lens
    ds = from_matrices(bs, labels, depths)
    ds.provenance = {
        "code_version": CODE_VERSION,
        "split": "deepwalk",
        "seed": seed,
        "seeds": "default_rng(seed + n) per size",
        "sizes_n": list(sizes),
        "per_family": per_family,
        "families": list(families),
        "walk": [int(walk[0]), int(walk[1])],
        "asked": asked,
        "sizes": ds.counts(),
        "short": short,
        "seconds": round(time.perf_counter() - t0, 2),
        "method": "independent random mutation walks from the standard quiver, length uniform in walk "
        "(inclusive), no immediate repeats, then a uniform random relabelling; deduplicated up to "
        "isomorphism (canonical_form) within each type; 'short': types with fewer classes found than asked",
    }
    if progress is not None:
        progress(1.0, f"{len(ds)} quivers")
    return ds


def _type_counts(n: int, family: str, per_family: int) -> list[tuple[str, int]]:
    ts = types_on(n, (family,))
    return [(t, c) for t, c in zip(ts, split_count(per_family, len(ts)), strict=True) if c > 0]
