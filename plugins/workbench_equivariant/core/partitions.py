"""Set partitions of k + l points as partition diagrams, their counts, coarsenings and the
Möbius function of the partition lattice.

Conventions (as in Godfrey, Rawson, Brown, Kvinge, arXiv 2303.06208, and Pearce-Crump,
arXiv 2212.08648, with the rows named for the direction of the map): a diagram of a linear map
(R^n)^{⊗k} -> (R^n)^{⊗l} is a set partition of the k + l points ``0 .. k-1`` (the *top* row:
the input's tensor axes) and ``k .. k+l-1`` (the *bottom* row: the output's axes).  A block is

* *top-only* when all its points are inputs (the input is summed along that diagonal),
* *bottom-only* when all its points are outputs (the output is constant along it),
* *propagating* when it has points in both rows (the input's diagonal is copied onto the
  output's diagonal).

The diagram basis element D_π has entry 1 at (output index J, input index I) when all indices
in each block of π are equal, else 0; the orbit basis element X_π has entry 1 when the
indices are equal *exactly* within the blocks of π (different blocks, different values:
Maron et al. 2019's equality patterns).  Hence D_π = Σ_{σ ≥ π} X_σ over the coarsenings σ of π,
and by Möbius inversion X_π = Σ_{σ ≥ π} μ(π, σ) D_σ with μ(π, σ) = Π_B (-1)^{m_B - 1} (m_B - 1)!,
m_B the number of blocks of π merged into the block B of σ (Rota 1964; Stanley, EC1 §3.10).
X_σ = 0 when σ has more than n blocks, so the dimension of the space of equivariant maps is
the number of set partitions of k + l points with at most n blocks, Σ_{j ≤ n} S(k + l, j).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

#: largest k + l whose diagrams are enumerated (Bell(12) = 4,213,597 would take minutes)
MAX_POINTS_ENUMERATED = 10


@dataclass(frozen=True)
class Diagram:
    """A set partition of the k + l points of a diagram (top row ``0..k-1``: input axes;
    bottom row ``k..k+l-1``: output axes).

    ``blocks``: the blocks as sorted tuples of points, ordered by their smallest point (the
    canonical form, so equal partitions are equal objects)."""

    k: int
    l: int  # noqa: E741 - the papers' name for the output order
    blocks: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        points = sorted(p for b in self.blocks for p in b)
        if points != list(range(self.k + self.l)):
            raise ValueError(f"blocks {self.blocks} are not a set partition of 0..{self.k + self.l - 1}")
        canon = tuple(sorted(tuple(sorted(b)) for b in self.blocks))
        if canon != self.blocks or any(not b for b in self.blocks):
            raise ValueError(f"blocks {self.blocks} are not in canonical form {canon}")

    @classmethod
    def from_blocks(cls, k: int, l: int, blocks) -> Diagram:  # noqa: E741
        """The diagram with these blocks (any iterables of points, any order)."""
        return cls(k, l, tuple(sorted(tuple(sorted(b)) for b in blocks if len(b))))

    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    def top(self, block: tuple[int, ...]) -> tuple[int, ...]:
        """The block's input axes (0-based)."""
        return tuple(p for p in block if p < self.k)

    def bottom(self, block: tuple[int, ...]) -> tuple[int, ...]:
        """The block's output axes (0-based, so point k is output axis 0)."""
        return tuple(p - self.k for p in block if p >= self.k)

    @property
    def top_only(self) -> tuple[tuple[int, ...], ...]:
        return tuple(b for b in self.blocks if not self.bottom(b))

    @property
    def bottom_only(self) -> tuple[tuple[int, ...], ...]:
        return tuple(b for b in self.blocks if not self.top(b))

    @property
    def propagating(self) -> tuple[tuple[int, ...], ...]:
        return tuple(b for b in self.blocks if self.top(b) and self.bottom(b))

    def label(self) -> str:
        """Blocks written 1-based with primes for output points, e.g. ``{1,1'}{2,2'}``."""
        names = [str(p + 1) if p < self.k else f"{p - self.k + 1}'" for p in range(self.k + self.l)]
        return "".join("{" + ",".join(names[p] for p in b) + "}" for b in self.blocks) or "{}"

    def coarsenings(self) -> Iterator[tuple[Diagram, int]]:
        """Every σ ≥ π (π refines σ), with the Möbius value μ(π, σ) of the partition lattice."""
        r = len(self.blocks)
        for rgs in restricted_growth_strings(r):
            groups: dict[int, list[int]] = {}
            for i, g in enumerate(rgs):
                groups.setdefault(g, []).append(i)
            mu = 1
            merged = []
            for members in groups.values():
                m = len(members)
                mu *= (-1) ** (m - 1) * math.factorial(m - 1)
                merged.append([p for i in members for p in self.blocks[i]])
            yield Diagram.from_blocks(self.k, self.l, merged), mu

    def refines(self, other: Diagram) -> bool:
        """Whether every block of this diagram lies inside a block of ``other`` (π ≤ σ)."""
        where = {p: i for i, b in enumerate(other.blocks) for p in b}
        return all(len({where[p] for p in b}) == 1 for b in self.blocks)


def restricted_growth_strings(m: int) -> Iterator[tuple[int, ...]]:
    """All set partitions of m points as restricted growth strings a (a_0 = 0,
    a_i <= 1 + max(a_0..a_{i-1})), in lexicographic order; one (the empty string) for m = 0."""
    if m == 0:
        yield ()
        return
    a = [0] * m

    def rec(i: int, top: int) -> Iterator[tuple[int, ...]]:
        if i == m:
            yield tuple(a)
            return
        for v in range(top + 2):
            a[i] = v
            yield from rec(i + 1, max(top, v))

    a[0] = 0
    yield from rec(1, 0)


def check_orders(k: int, l: int, max_points: int | None = MAX_POINTS_ENUMERATED) -> None:  # noqa: E741
    """``ValueError`` unless k and l are non-negative integers (and k + l <= max_points)."""
    for name, v in (("k", k), ("l", l)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer (a tensor order), got {v!r}")
    if max_points is not None and k + l > max_points:
        raise ValueError(
            f"k + l = {k + l} is too large to enumerate its diagrams (Bell({k + l}) = {bell(k + l):,}); "
            f"use k + l <= {max_points}"
        )


@cache
def _diagrams(k: int, l: int) -> tuple[Diagram, ...]:  # noqa: E741
    out = []
    for rgs in restricted_growth_strings(k + l):
        groups: dict[int, list[int]] = {}
        for p, g in enumerate(rgs):
            groups.setdefault(g, []).append(p)
        out.append(Diagram.from_blocks(k, l, groups.values()))
    out.sort(key=lambda d: d.num_blocks)  # stable: lexicographic RGS order within a block count
    return tuple(out)


def diagrams(k: int, l: int) -> tuple[Diagram, ...]:  # noqa: E741
    """All Bell(k + l) diagrams of maps (R^n)^{⊗k} -> (R^n)^{⊗l}, ordered by number of blocks,
    then by restricted growth string.  This order indexes a layer's coefficients."""
    check_orders(k, l)
    return _diagrams(int(k), int(l))


@cache
def stirling2(m: int, j: int) -> int:
    """Stirling number of the second kind S(m, j): set partitions of m points into exactly j
    blocks (S(m, j) = j S(m-1, j) + S(m-1, j-1), S(0, 0) = 1)."""
    if m == 0 and j == 0:
        return 1
    if m == 0 or j == 0 or j > m:
        return 0
    return j * stirling2(m - 1, j) + stirling2(m - 1, j - 1)


def bell(m: int) -> int:
    """Bell number B(m) = Σ_j S(m, j): all set partitions of m points."""
    return sum(stirling2(m, j) for j in range(m + 1))


def dimension(k: int, l: int, n: int) -> int:  # noqa: E741
    """Dimension of the space of S_n-equivariant linear maps (R^n)^{⊗k} -> (R^n)^{⊗l}: the
    number of set partitions of k + l points with at most n blocks (Maron et al. 2019, Prop. 2;
    Godfrey et al. 2023, Thm. 3.2)."""
    check_orders(k, l, max_points=None)
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (the set size), got {n!r}")
    return sum(stirling2(k + l, j) for j in range(min(int(n), k + l) + 1))


def dimensions(k: int, l: int, n_max: int) -> list[int]:  # noqa: E741
    """``[dimension(k, l, n) for n = 1..n_max]``."""
    if not isinstance(n_max, int | np.integer) or isinstance(n_max, bool) or n_max < 1:
        raise ValueError(f"N must be a positive integer (dimensions for n = 1..N), got {n_max!r}")
    return [dimension(k, l, n) for n in range(1, int(n_max) + 1)]


def change_of_basis(k: int, l: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: E741
    """The matrices between the diagram basis D and the orbit basis X, indexed by
    :func:`diagrams`: ``C[i, j] = 1`` when diagram i refines diagram j, so
    ``D_i = Σ_j C[i, j] X_j``; ``M[i, j] = μ(π_i, π_j)``, so ``X_i = Σ_j M[i, j] D_j``; ``M = C^{-1}``
    (integer matrices, Bell(k+l) x Bell(k+l)).  Coefficients transform the other way: an operator
    Σ_i w_i D_i equals Σ_j a_j X_j with ``a = C^T w``, and ``w = M^T a``."""
    ds = diagrams(k, l)
    index = {d: i for i, d in enumerate(ds)}
    size = len(ds)
    C = np.zeros((size, size), dtype=np.int64)
    M = np.zeros((size, size), dtype=np.int64)
    for i, d in enumerate(ds):
        for s, mu in d.coarsenings():
            j = index[s]
            C[i, j] = 1
            M[i, j] = mu
    return C, M
