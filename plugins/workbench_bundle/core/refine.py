"""Adaptive local refinement of an FHS Chern number near a (nearly) closing gap (Qt-free).

Near a gap closing the Berry curvature of the lower band concentrates in a spot of size about
gap / velocity; an FHS grid coarser than that spot has plaquettes with flux near +-pi, where the
plaquette phase may be off by 2 pi, and the lattice Chern number may be wrong (the Haldane
model at m = 1.73, t2 = 1/3, phi = pi/2 has gap 0.004: a uniform grid needs 2048 x 2048 points
before every plaquette flux is below 0.3 pi).  Doubling the whole grid costs O(n^2) for a spot
of a few plaquettes, so this module refines only there.

Method.  On the coarse n x n grid (fluxes F, in (-pi, pi], their sum exactly 2 pi C0) the
plaquettes with |F| > ``flux_tol`` are flagged, dilated by one plaquette (so the border of a
refined patch lies where the states vary slowly), and grouped into rectangular patches (the
bounding boxes of the connected groups, periodic on the torus, merged where they overlap).
Each patch of a x b plaquettes is sampled again on a conforming (a s + 1) x (b s + 1) grid
(s = ``factor``) and its fine fluxes computed; fine plaquettes still flagged are refined the
same way inside the patch, down to ``max_depth`` levels.  Interior links cancel, so the fine
fluxes of a patch sum, modulo 2 pi, to the Berry phase of the patch border sampled finely; the
coarse fluxes of the patch sum to the same border sampled coarsely, which agrees where the
states vary slowly.  Hence

    W = round((sum of fine fluxes - sum of coarse fluxes) / 2 pi)

is the number of 2 pi jumps the coarse plaquettes of the patch missed, and C = C0 + sum W stays
an exact integer.  The result is *reliable* when every finest plaquette flux is below
``flux_tol``, every patch's residual |fine - coarse - 2 pi W| is below ``residual_tol`` (the
border was smooth enough) and the smallest gap seen is above ``gap_tol``; a gap that truly
closes cannot be refined away and stays flagged.

This is the FHS method (Fukui, Hatsugai, Suzuki, J. Phys. Soc. Jpn. 74, 1674 (2005)) on a
locally refined mesh; the patch-border argument is the same gauge-invariance argument that
makes the uniform FHS sum an integer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .fhs import FLUX_TOL, GAP_TOL, _sign

#: states_at(k1, k2) -> (states (..., dim), gaps (...)) for reduced coordinates of any shape
StatesAt = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

FACTOR = 4
MAX_DEPTH = 7
RESIDUAL_TOL = 0.25 * np.pi
#: states sampled at most (all patches, all levels); beyond it the result is flagged unreliable
POINT_BUDGET = 2_000_000
#: refinement is local: when more plaquettes than this fraction are flagged it is refused
MAX_FLAGGED_FRACTION = 0.05


@dataclass
class Refinement:
    """Outcome of :func:`refine_chern`.

    chern: the refined Chern number (the coarse one when nothing was flagged);
    coarse_chern: the FHS number of the coarse grid; corrections: sum of the patches' W;
    patches: patches refined at the top level; depth: deepest level used (0: none);
    finest_spacing: the smallest plaquette side used, as a fraction of the torus (1 / n for
    none); max_flux: largest |flux| of the finest plaquettes (radians); max_residual: largest
    patch residual (radians); min_gap: smallest gap at any sampled point; points: states
    sampled; reliable: see the module docstring; reason: why not, in words ("" when reliable).
    """

    chern: int
    coarse_chern: int
    corrections: int = 0
    patches: int = 0
    depth: int = 0
    finest_spacing: float = 0.0
    max_flux: float = 0.0
    max_residual: float = 0.0
    min_gap: float = float("inf")
    points: int = 0
    reliable: bool = True
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def effective_grid(self) -> int:
        """The uniform grid with the finest spacing used (what uniform doubling would need)."""
        return int(round(1.0 / self.finest_spacing)) if self.finest_spacing > 0 else 0

    def summary(self) -> dict:
        """JSON-ready summary."""
        return {
            "chern": int(self.chern),
            "coarse_chern": int(self.coarse_chern),
            "corrections": int(self.corrections),
            "patches": int(self.patches),
            "depth": int(self.depth),
            "effective_grid": self.effective_grid,
            "max_plaquette_flux_over_pi": float(self.max_flux / np.pi),
            "max_residual_over_pi": float(self.max_residual / np.pi),
            "min_gap": None if not np.isfinite(self.min_gap) else float(self.min_gap),
            "points": int(self.points),
            "reliable": bool(self.reliable),
            "reason": self.reason,
        }


class _Budget:
    def __init__(self, points: int) -> None:
        self.left = points
        self.exhausted = False

    def take(self, n: int) -> bool:
        if n > self.left:
            self.exhausted = True
            return False
        self.left -= n
        return True


def _patch_fluxes(states: np.ndarray, sign: float) -> np.ndarray:
    """Plaquette fluxes of a non-periodic (a + 1) x (b + 1) patch of states -> (a, b)."""
    c = np.conj(states)
    l1 = np.einsum("ijk,ijk->ij", c[:-1, :], states[1:, :])
    l2 = np.einsum("ijk,ijk->ij", c[:, :-1], states[:, 1:])
    p = l1[:, :-1] * l2[1:, :] * np.conj(l1[:, 1:]) * np.conj(l2[:-1, :])
    return sign * np.angle(p)


def _components(cells: set[tuple[int, int]], shape: tuple[int, int], periodic: bool) -> list[list[tuple[int, int]]]:
    """Connected groups (8-neighbourhood) of ``cells``; indices wrap when ``periodic``."""
    left, groups = set(cells), []
    while left:
        stack = [left.pop()]
        group = []
        while stack:
            i, j = stack.pop()
            group.append((i, j))
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    a, b = i + di, j + dj
                    if periodic:
                        a, b = a % shape[0], b % shape[1]
                    if (a, b) in left:
                        left.remove((a, b))
                        stack.append((a, b))
        groups.append(group)
    return groups


def _interval(values: list[int], n: int, periodic: bool) -> tuple[int, int]:
    """The shortest [start, stop) covering ``values`` (on a circle of n when periodic; stop may
    exceed n, the indices are then taken modulo n)."""
    v = sorted(set(values))
    if not periodic or len(v) == 1:
        return v[0], v[-1] + 1
    gaps = [(v[(k + 1) % len(v)] - v[k]) % n for k in range(len(v))]
    k = int(np.argmax(gaps))  # the largest empty arc: the interval starts after it
    start = v[(k + 1) % len(v)]
    stop = v[k] + 1 if v[k] >= start else v[k] + n + 1
    return start, stop


def _boxes(flagged: np.ndarray, periodic: bool) -> list[tuple[int, int, int, int]]:
    """Rectangles (i0, i1, j0, j1) (half-open, unwrapped when periodic) covering the flagged
    plaquettes dilated by one, merged until no two overlap."""
    shape = flagged.shape
    grown = flagged.copy()
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if periodic:
                grown |= np.roll(np.roll(flagged, di, 0), dj, 1)
            else:
                src = flagged[max(0, -di) : shape[0] - max(0, di), max(0, -dj) : shape[1] - max(0, dj)]
                grown[max(0, di) : shape[0] - max(0, -di), max(0, dj) : shape[1] - max(0, -dj)] |= src
    mask = grown
    for _ in range(16):  # merging boxes can join groups; a handful of rounds settle it
        cells = {(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)}
        boxes = []
        for group in _components(cells, shape, periodic):
            i0, i1 = _interval([g[0] for g in group], shape[0], periodic)
            j0, j1 = _interval([g[1] for g in group], shape[1], periodic)
            boxes.append((i0, i1, j0, j1))
        covered = np.zeros(shape, dtype=bool)
        for i0, i1, j0, j1 in boxes:
            ii = np.arange(i0, i1) % shape[0]
            jj = np.arange(j0, j1) % shape[1]
            covered[np.ix_(ii, jj)] = True
        if np.array_equal(covered, mask):
            return boxes
        mask = covered
    return boxes


class _Refiner:
    def __init__(
        self,
        states_at: StatesAt,
        convention: str,
        flux_tol: float,
        factor: int,
        max_depth: int,
        residual_tol: float,
        budget: int,
    ) -> None:
        self.states_at, self.sign = states_at, _sign(convention)
        self.flux_tol, self.factor, self.max_depth, self.residual_tol = flux_tol, factor, max_depth, residual_tol
        self.budget = _Budget(budget)
        self.out = Refinement(chern=0, coarse_chern=0)

    def corrections(
        self, flux: np.ndarray, k1_0: float, k2_0: float, h: float, depth: int, periodic: bool
    ) -> tuple[int, int]:
        """Sum of W over the patches of ``flux`` (plaquettes of side h from corner (k1_0, k2_0))
        that need refining; returns (W, patches)."""
        flagged = np.abs(flux) > self.flux_tol
        if not flagged.any():
            return 0, 0
        if depth >= self.max_depth:
            self.out.reason = self.out.reason or f"still unresolved after {self.max_depth} levels of refinement"
            return 0, 0
        total = 0
        boxes = _boxes(flagged, periodic)
        for i0, i1, j0, j1 in boxes:
            ii = np.arange(i0, i1) % flux.shape[0]
            jj = np.arange(j0, j1) % flux.shape[1]
            coarse = float(flux[np.ix_(ii, jj)].sum())
            fine = self.patch(k1_0 + i0 * h, k2_0 + j0 * h, h, i1 - i0, j1 - j0, depth + 1)
            if fine is None:
                continue
            w = int(np.rint((fine - coarse) / (2 * np.pi)))
            self.out.max_residual = max(self.out.max_residual, abs(fine - coarse - 2 * np.pi * w))
            total += w
        return total, len(boxes)

    def patch(self, k1_0: float, k2_0: float, h: float, a: int, b: int, depth: int) -> float | None:
        """Refined flux sum of an a x b patch of plaquettes of side h (None: out of budget)."""
        s = self.factor
        if not self.budget.take((a * s + 1) * (b * s + 1)):
            self.out.reason = self.out.reason or "the refinement ran out of its point budget"
            return None
        hs = h / s
        k1 = k1_0 + hs * np.arange(a * s + 1)[:, None]
        k2 = k2_0 + hs * np.arange(b * s + 1)[None, :]
        shape = (a * s + 1, b * s + 1)
        # reduced coordinates taken modulo 2 pi: the patch sees what the periodic grid sees
        states, gaps = self.states_at(
            np.broadcast_to(np.mod(k1, 2 * np.pi), shape), np.broadcast_to(np.mod(k2, 2 * np.pi), shape)
        )
        self.out.points += states.shape[0] * states.shape[1]
        self.out.min_gap = min(self.out.min_gap, float(np.min(gaps)))
        self.out.depth = max(self.out.depth, depth)
        spacing = hs / (2 * np.pi)
        self.out.finest_spacing = min(self.out.finest_spacing, spacing) if self.out.finest_spacing else spacing
        fine = _patch_fluxes(states, self.sign)
        size = np.abs(fine)
        flagged = size > self.flux_tol
        if (~flagged).any():
            self.out.max_flux = max(self.out.max_flux, float(size[~flagged].max()))
        if flagged.any() and depth >= self.max_depth:  # left unresolved: they count as they are
            self.out.max_flux = max(self.out.max_flux, float(size.max()))
        w, _ = self.corrections(fine, k1_0, k2_0, hs, depth, periodic=False)
        return float(fine.sum()) + 2 * np.pi * w


def refine_chern(
    states_at: StatesAt,
    flux: np.ndarray,
    convention: str,
    *,
    flux_tol: float = FLUX_TOL,
    gap_tol: float = GAP_TOL,
    factor: int = FACTOR,
    max_depth: int = MAX_DEPTH,
    residual_tol: float = RESIDUAL_TOL,
    budget: int = POINT_BUDGET,
    coarse_gap: float = float("inf"),
) -> Refinement:
    """Refine the FHS Chern number of the n x n grid whose plaquette fluxes are ``flux``
    (computed with ``convention``) where |flux| > ``flux_tol`` (see the module docstring).

    ``states_at(k1, k2)`` gives the lower-band states and gaps at reduced coordinates (radians,
    periodic 2 pi) of any shape; ``coarse_gap`` is the smallest gap of the coarse grid."""
    n1, n2 = flux.shape
    if n1 != n2:
        raise ValueError(f"refinement needs a square grid, got {n1} x {n2}")
    if factor < 2 or max_depth < 1:
        raise ValueError("factor must be >= 2 and max_depth >= 1")
    total = float(flux.sum()) / (2 * np.pi)
    c0 = int(np.rint(total))
    r = _Refiner(states_at, convention, flux_tol, factor, max_depth, residual_tol, budget)
    r.out = Refinement(chern=c0, coarse_chern=c0, finest_spacing=1.0 / n1, min_gap=coarse_gap)
    flagged = np.abs(flux) > flux_tol
    fraction = float(flagged.mean())
    if fraction > MAX_FLAGGED_FRACTION:
        r.out.max_flux = float(np.abs(flux).max())
        r.out.reliable = False
        r.out.reason = (
            f"{fraction:.0%} of the plaquettes have a flux above {flux_tol / np.pi:.2g} pi: the grid is "
            "too coarse everywhere, not near one spot (use a finer view grid)"
        )
        return r.out
    r.out.finest_spacing = 0.0
    w, patches = r.corrections(flux, 0.0, 0.0, 2 * np.pi / n1, 0, periodic=True)
    out = r.out
    if not out.finest_spacing:
        out.finest_spacing = 1.0 / n1
    if patches == 0:
        out.max_flux = float(np.abs(flux).max())
    out.chern, out.corrections, out.patches = c0 + w, w, patches
    problems = []
    if out.reason:
        problems.append(out.reason)
    if out.max_flux >= flux_tol:
        problems.append(f"the finest plaquettes still carry {out.max_flux / np.pi:.2f} pi")
    if out.max_residual >= residual_tol:
        problems.append(f"a patch border is not smooth (residual {out.max_residual / np.pi:.2f} pi)")
    if not out.min_gap > gap_tol:
        problems.append(f"the gap closes (smallest gap {out.min_gap:.2g})")
    out.reliable = not problems
    out.reason = "; ".join(dict.fromkeys(problems))
    return out
