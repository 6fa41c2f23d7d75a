"""Chern numbers by the Fukui-Hatsugai-Suzuki (FHS) lattice method.

Reference: T. Fukui, Y. Hatsugai, H. Suzuki, "Chern numbers in discretized Brillouin zone:
efficient method of computing (spin) Hall conductances", J. Phys. Soc. Jpn. 74, 1674 (2005).

On an N1 x N2 grid of the torus (reduced coordinates k1, k2 in [0, 2 pi), periodic) with
states u(k) (one band: a vector; several bands: the columns of a matrix), the link variables
are the overlaps U_mu(k) = det <u(k)|u(k + e_mu)>, and the lattice field strength of the
plaquette at k is the phase of

    P(k) = U_1(k) U_2(k + e_1) conj(U_1(k + e_2)) conj(U_2(k)),

taken in (-pi, pi].  The sum of these phases over all plaquettes is exactly 2 pi times an
integer, for any choice of phases of the states (gauge invariance), so the Chern number is an
exact integer however coarse the grid; the grid is fine enough when every plaquette phase is
far from +-pi (then it equals the Berry flux through the plaquette).

Sign conventions (selectable, :data:`CONVENTIONS`):

* ``"pythtb"`` (default, also Z2Pack): Berry connection A = i <u|grad u>, curvature
  F = d1 A2 - d2 A1, C = (1 / 2 pi) int F.  The Berry phase of a loop is -Im ln prod <u_i|u_i+1>,
  so the plaquette flux is -arg P(k).
* ``"fukui"``: the original paper's A = <u|grad u> (anti-Hermitian) and C = (1 / 2 pi i) int F;
  this is the opposite sign: plaquette flux +arg P(k).

Units: fluxes in radians (Berry flux per plaquette), curvature in radians per unit area of
the reduced (k1, k2) torus [0, 2 pi)^2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

CONVENTIONS = ("pythtb", "fukui")
DEFAULT_CONVENTION = "pythtb"


def _sign(convention: str) -> float:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown sign convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    return -1.0 if convention == "pythtb" else 1.0


def _pad(u: np.ndarray) -> np.ndarray:
    """Periodic padding of the first two axes by one (so k + e_mu is a slice, not a roll)."""
    up = np.concatenate([u, u[:1]], axis=0)
    return np.concatenate([up, up[:, :1]], axis=1)


def _padded_links(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Links on the padded grid: L1 (N1, N2 + 1) = det <u(i, j)|u(i + 1, j)>, L2 (N1 + 1, N2) =
    det <u(i, j)|u(i, j + 1)>, indices periodic."""
    u = np.asarray(states)
    if u.ndim not in (3, 4):
        raise ValueError(f"states must have shape (N1, N2, dim) or (N1, N2, dim, nbands); got {u.shape}")
    up = _pad(u)
    c = np.conj(up)
    if u.ndim == 3:
        l1 = np.einsum("ijk,ijk->ij", c[:-1, :], up[1:, :])
        l2 = np.einsum("ijk,ijk->ij", c[:, :-1], up[:, 1:])
        return l1, l2
    m1 = np.einsum("abin,abim->abnm", c[:-1, :], up[1:, :])
    m2 = np.einsum("abin,abim->abnm", c[:, :-1], up[:, 1:])
    return np.linalg.det(m1), np.linalg.det(m2)


def plaquette_flux(states: np.ndarray, convention: str = DEFAULT_CONVENTION) -> np.ndarray:
    """Berry flux through every plaquette (radians, in (-pi, pi]), shape (N1, N2).

    Plaquette (i, j) has corners k(i, j), k(i+1, j), k(i+1, j+1), k(i, j+1) (counter-clockwise in
    the (k1, k2) plane, indices periodic):  P = U_1(i, j) U_2(i+1, j) conj U_1(i, j+1) conj U_2(i, j).
    """
    s = _sign(convention)
    l1, l2 = _padded_links(states)
    p = l1[:, :-1] * l2[1:, :] * np.conj(l1[:, 1:]) * np.conj(l2[:-1, :])
    return s * np.angle(p)


@dataclass
class ChernResult:
    """Result of an FHS computation.

    chern:             the integer Chern number (sum of fluxes / 2 pi, rounded).
    flux:              plaquette fluxes (N1, N2) in radians.
    max_flux:          largest |plaquette flux| (radians); near pi means the grid is too coarse.
    integer_residual:  |sum / 2 pi - chern| (floating-point error only; ~1e-12).
    min_gap:           smallest direct gap to the next band (energy units), or nan if unknown.
    reliable:          max_flux < flux_tol, min_gap > gap_tol and min_overlap > overlap_tol.
    min_overlap:       smallest |link| between neighbouring states, normalised to [0, 1]
                       (|<u|v>| / (|u| |v|); several bands: |det| over the column norms); near 0
                       the link's phase is undefined (neighbours nearly orthogonal).
    grid:              (N1, N2).
    convention:        the sign convention used.
    refinements:       grids tried by :func:`chern_refined`, with their Chern numbers.
    """

    chern: int
    flux: np.ndarray
    max_flux: float
    integer_residual: float
    min_gap: float
    reliable: bool
    grid: tuple[int, int]
    convention: str
    refinements: list[tuple[int, int]] = field(default_factory=list)
    min_overlap: float = float("nan")

    def summary(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {
            "chern": int(self.chern),
            "grid": list(self.grid),
            "convention": self.convention,
            "max_plaquette_flux": float(self.max_flux),
            "max_plaquette_flux_over_pi": float(self.max_flux / np.pi),
            "min_gap": None if not np.isfinite(self.min_gap) else float(self.min_gap),
            "integer_residual": float(self.integer_residual),
            "min_overlap": None if not np.isfinite(self.min_overlap) else float(self.min_overlap),
            "reliable": bool(self.reliable),
            "refinements": [[int(n), int(c)] for n, c in self.refinements],
        }


#: default thresholds of the reliability signal
FLUX_TOL = 0.3 * np.pi
GAP_TOL = 1e-6
OVERLAP_TOL = 1e-3


def _state_norms(u: np.ndarray) -> np.ndarray:
    """|u| at every grid point (one band), or the column norms (N1, N2, nb) of several."""
    return np.sqrt(np.sum(np.abs(u) ** 2, axis=2))


def check_states(u: np.ndarray) -> np.ndarray:
    """Refuse states that are not finite or that vanish at a grid point (a Bloch state is a
    unit vector; a zero state has no phase, so every link touching it is 0 and the Chern
    number would come out 0 looking reliable).  Returns the norms."""
    if not np.isfinite(u).all():
        bad = np.argwhere(~np.isfinite(u))[0]
        raise ValueError(
            f"states contain NaN or infinite values ({int((~np.isfinite(u)).sum())} entries, "
            f"first at grid point ({int(bad[0])}, {int(bad[1])}))"
        )
    norms = _state_norms(u)
    top = float(norms.max()) if norms.size else 0.0
    zero = norms <= 1e-12 * top if top > 0 else np.ones_like(norms, dtype=bool)
    if zero.any():
        first = np.argwhere(zero)[0]
        where = (
            "every grid point"
            if zero.all()
            else f"{int(zero.reshape(zero.shape[0], zero.shape[1], -1).any(axis=2).sum())} grid point(s), "
            f"first ({int(first[0])}, {int(first[1])})"
        )
        raise ValueError(
            f"states are zero at {where}: a Bloch state must be a non-zero (unit) vector; check the sampled array"
        )
    return norms


def _min_overlap(u: np.ndarray, norms: np.ndarray) -> float:
    """Smallest normalised |link| over the grid (see ChernResult.min_overlap)."""
    l1, l2 = _padded_links(u)
    npad = _pad(norms)
    if u.ndim == 3:
        d1 = npad[:-1, :] * npad[1:, :]
        d2 = npad[:, :-1] * npad[:, 1:]
    else:
        d1 = np.prod(npad[:-1, :], axis=-1) * np.prod(npad[1:, :], axis=-1)
        d2 = np.prod(npad[:, :-1], axis=-1) * np.prod(npad[:, 1:], axis=-1)
    return float(min((np.abs(l1) / d1).min(), (np.abs(l2) / d2).min()))


def chern_number(
    states: np.ndarray,
    convention: str = DEFAULT_CONVENTION,
    gaps: np.ndarray | None = None,
    flux_tol: float = FLUX_TOL,
    gap_tol: float = GAP_TOL,
    overlap_tol: float = OVERLAP_TOL,
) -> ChernResult:
    """FHS Chern number of one band ((N1, N2, dim)) or several ((N1, N2, dim, nb), via det).

    gaps: optional (N1, N2) direct gaps to the neighbouring band(s), for the reliability signal.
    Non-finite or vanishing states are refused (:func:`check_states`); neighbouring states
    closer to orthogonal than ``overlap_tol`` make the result unreliable.
    """
    u = np.asarray(states)
    if u.ndim not in (3, 4) or u.shape[0] < 2 or u.shape[1] < 2:
        raise ValueError(f"states must have shape (N1, N2, dim[, nbands]) with N1, N2 >= 2; got {u.shape}")
    norms = check_states(u)
    if gaps is not None and np.isnan(np.asarray(gaps, dtype=float)).any():
        raise ValueError("the band gaps contain NaN (the Hamiltonians or states they come from are not finite)")
    flux = plaquette_flux(u, convention)
    total = float(flux.sum()) / (2 * np.pi)
    c = int(np.rint(total))
    max_flux = float(np.abs(flux).max())
    min_gap = float(np.min(gaps)) if gaps is not None else float("nan")
    overlap = _min_overlap(u, norms)
    reliable = max_flux < flux_tol and (not np.isfinite(min_gap) or min_gap > gap_tol) and overlap > overlap_tol
    return ChernResult(
        chern=c,
        flux=flux,
        max_flux=max_flux,
        integer_residual=abs(total - c),
        min_gap=min_gap,
        reliable=bool(reliable),
        grid=(u.shape[0], u.shape[1]),
        convention=convention,
        min_overlap=overlap,
    )


def chern_refined(
    sampler: Callable[[int], tuple[np.ndarray, np.ndarray | None]],
    grid: int,
    convention: str = DEFAULT_CONVENTION,
    refine: bool = True,
    max_grid: int = 1024,
    flux_tol: float = FLUX_TOL,
    gap_tol: float = GAP_TOL,
) -> ChernResult:
    """FHS with automatic refinement: double the grid while the result is flagged unreliable.

    sampler(n) returns (states on an n x n grid, gaps or None).  Stops at ``max_grid``; the
    result lists every grid tried in ``refinements``.  A closed gap cannot be refined away:
    refinement stops as soon as the flux criterion passes.
    """
    tried: list[tuple[int, int]] = []
    n = int(grid)
    while True:
        states, gaps = sampler(n)
        res = chern_number(states, convention, gaps, flux_tol, gap_tol)
        tried.append((n, res.chern))
        if not refine or res.max_flux < flux_tol or n * 2 > max_grid:
            res.refinements = tried
            return res
        n *= 2


def chern_naive(states: np.ndarray, convention: str = DEFAULT_CONVENTION) -> int:
    """Straightforward loop implementation of FHS (one band), the benchmark anchor.

    Same definition as :func:`chern_number`, evaluated plaquette by plaquette in Python.
    """
    s = _sign(convention)
    u = np.asarray(states)
    n1, n2 = u.shape[:2]
    total = 0.0
    for i in range(n1):
        ip = (i + 1) % n1
        for j in range(n2):
            jp = (j + 1) % n2
            a = np.vdot(u[i, j], u[ip, j])
            b = np.vdot(u[ip, j], u[ip, jp])
            c = np.vdot(u[i, jp], u[ip, jp])
            d = np.vdot(u[i, j], u[i, jp])
            total += np.angle(a * b * np.conj(c) * np.conj(d))
    return int(np.rint(s * total / (2 * np.pi)))
