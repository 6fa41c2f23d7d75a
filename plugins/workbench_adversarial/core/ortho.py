"""Projection onto V cap B_p(eps) cap [lo, hi] for a random orthonormal subspace V = span(U)
(Qt-free, torch; CPU or CUDA).

The set is the intersection of the subspace V and the convex set C = B_p(eps) cap [lo, hi]
(for p = 2 the ball is kept on V's side, where it is exact: ||U z||_2 = ||z||_2).  The
Euclidean projection of y onto it is computed by ADMM (Boyd et al., "Distributed optimization
and statistical learning via the alternating direction method of multipliers", 2011, sec. 5)
on

    minimise 1/2 ||v - y||^2   subject to   v in V (cap ball for p = 2),  w in C,  v = w,

    v <- Proj_{V [cap ball]}((y + rho (w - u)) / (1 + rho))      (two products with U)
    v^ <- a v + (1 - a) w                                         (over-relaxation, sec. 3.4.3)
    w <- Proj_C(v^ + u)                                           (exact: clipping for p = 2
                                                                   and inf, :mod:`.projections`
                                                                   for other p)
    u <- u + v^ - w

with rho = 2 and a = 1.8.  ADMM converges to the projection from any (w, u), so PGD keeps
(w, u) from one step to the next (a warm start: consecutive projections are of nearby points)
and runs a few rounds per step (default 6; fewer once the primal and dual residuals
``max|v - w|`` and ``rho max|w - w_prev|`` are below ``tol`` = 1e-4 per coordinate, images in
[0, 1]).  The projection of one step is therefore inexact; the ADMM iterates converge along
with PGD's.  On shapes-cnn (dim V = 108 of 432, 20 steps) the attack breaks 31.0 % (l_inf 0.1)
and 30.0 % (l_2 1.0) of the test split with 6 rounds a step, 33.2 % and 31.8 % with 10; without
over-relaxation (rho = 5) 6 rounds broke 24.2 % and 22.0 %, 10 rounds 30.5 % and 30.5 %.

What PGD evaluates is always feasible: :func:`feasible_in_subspace` rescales the ADMM
iterate into the l_p ball and moves from the current (feasible) iterate toward it as far as
x + delta stays in [0, 1], where box violations below ``tol`` (what ADMM leaves on faces of
the box that V touches, e.g. pixels at 0) are clipped instead of stopping the move.  So every
iterate lies in V up to ``tol`` per coordinate and exactly in the ball and in the box.
"""

from __future__ import annotations

import math

import torch

from .bases import DenseBasis, HartleyBasis
from .norms import lp_norm
from .projections import project

SNAP_TOL = 1e-4
CHECK_EVERY = 5  # ADMM rounds between residual checks


def feasible_in_subspace(
    delta: torch.Tensor,
    p: float,
    eps: float,
    lo: torch.Tensor,
    hi: torch.Tensor,
    start: torch.Tensor | None = None,
    tol: float = SNAP_TOL,
) -> torch.Tensor:
    """A feasible point on the segment from ``start`` (feasible; None: 0) toward ``delta``.

    ``delta`` is first rescaled into the l_p ball; then the largest t in [0, 1] is taken such
    that start + t (delta - start) is in [lo, hi], ignoring violations smaller than ``tol``,
    which are clipped instead (so the result lies in V up to ``tol`` per coordinate when start
    and delta do, and exactly in the ball and the box)."""
    flat = delta.reshape(delta.shape[0], -1)
    flat = flat * _ball_factor(lp_norm(flat, p), eps)
    s0 = torch.zeros_like(flat) if start is None else start.reshape(flat.shape)
    # Per coordinate, with room r = hi - s0 >= 0 and excess e = flat - hi: the bound allows
    # t <= r / (r + e) where e > tol and ignores the coordinate otherwise.  Written as
    # 1 - e' / (r + e') with e' = e where e > tol, else 0 (e' = relu(e - tol) + tol sign(...)),
    # which is 1 for an ignored coordinate even at r = 0; the same for lo with r = s0 - lo, e =
    # lo - flat.  Elementwise arithmetic only: torch.where and boolean masks on a (32, 3072)
    # batch cost ten to twenty times more on CPU (measured; docs/adversarial.md).
    t_hi = _segment_limit(hi - s0, flat - hi, tol)
    t_lo = _segment_limit(s0 - lo, lo - flat, tol)
    t = torch.minimum(t_hi, t_lo).clamp_(0.0, 1.0)
    out = torch.minimum(torch.maximum(torch.lerp(s0, flat, t), lo), hi)
    if not math.isinf(p):  # a convex combination of ball points is in the ball up to rounding
        out = out * _ball_factor(lp_norm(out, p), eps)
    return out.reshape(delta.shape)


def _ball_factor(nrm: torch.Tensor, eps: float) -> torch.Tensor:
    """(B, 1) factors min(1, eps / ||.||) that rescale rows of norm ``nrm`` (B,) into the ball."""
    return (eps / nrm.clamp_min(1e-30)).clamp_(max=1.0).unsqueeze(1)


def _segment_limit(room: torch.Tensor, excess: torch.Tensor, tol: float) -> torch.Tensor:
    """Per row, min over coordinates of room / (room + excess) over the coordinates whose
    excess is above ``tol`` (1 where none is): the furthest t the bound allows (see above)."""
    e = excess.sub_(tol).clamp_(min=0.0)
    e.add_(torch.sign(e), alpha=tol)  # e' = excess where excess > tol, else 0
    den = room.clamp_(min=0.0).add_(e).clamp_(min=1e-30)
    return 1.0 - e.div_(den).amax(dim=1, keepdim=True)


class SubspaceProjector:
    """Projection of a batch (B, n) onto span(basis) cap B_p(eps) cap [lo, hi], warm-started.

    ``basis``: (n, k) orthonormal columns, or a basis operator of :mod:`.bases` (a
    structured one, e.g. :class:`.bases.HartleyBasis`, keeps its O(n log n) products; a dense
    one runs the fused matrix products below); ``lo``, ``hi``: (B, n) with lo <= 0 <= hi
    (infinite entries: no box on that coordinate).  Each
    call runs at most ``rounds`` ADMM rounds from the state the previous call left (fewer once
    the residuals are below ``tol``) and returns the feasible point of
    :func:`feasible_in_subspace` on the segment from ``start`` (the current, feasible iterate)
    toward the ADMM iterate.  :meth:`select` keeps the rows of a shrinking batch (per-sample
    early stop).  ``total_rounds`` / ``calls`` are kept for diagnostics and tests.
    """

    def __init__(
        self,
        basis: torch.Tensor | DenseBasis | HartleyBasis,
        p: float,
        eps: float,
        lo: torch.Tensor,
        hi: torch.Tensor,
        *,
        rho: float = 2.0,
        relax: float = 1.8,
        tol: float = SNAP_TOL,
        rounds: int = 6,
    ) -> None:
        if not 0.0 < relax < 2.0:
            raise ValueError(f"ADMM over-relaxation must lie in (0, 2), got {relax}")
        if isinstance(basis, DenseBasis):
            basis = basis.matrix
        #: a structured basis (products by its own methods), else None and ``basis`` is dense
        self.op: HartleyBasis | None = basis if isinstance(basis, HartleyBasis) else None
        self.basis = basis if isinstance(basis, torch.Tensor) else None
        self.p, self.eps = float(p), float(eps)
        self.lo, self.hi = lo, hi
        self.rho, self.relax, self.tol, self.rounds = float(rho), float(relax), float(tol), int(rounds)
        # C's bounds: for p = inf the ball is a box too, intersected with [lo, hi] once
        #: no box at all (PGD's box="none": every bound infinite)
        self.unboxed = bool(torch.isinf(lo).all() and torch.isinf(hi).all())
        if math.isinf(self.p):
            self.c_lo, self.c_hi = lo.clamp(min=-self.eps), hi.clamp(max=self.eps)
        else:
            self.c_lo, self.c_hi = lo, hi
        if self.op is not None:  # a structured basis: the ADMM runs in its frame (bases.py)
            self.lo, self.hi = self.op.frame_bounds(lo, hi)
            self.c_lo, self.c_hi = self.op.frame_bounds(self.c_lo, self.c_hi)
        self.w: torch.Tensor | None = None
        self.u: torch.Tensor | None = None
        self.total_rounds = 0
        self.calls = 0

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the rows ``keep`` (bool mask or indices) of the batch."""
        self.lo, self.hi, self.c_lo, self.c_hi = self.lo[keep], self.hi[keep], self.c_lo[keep], self.c_hi[keep]
        if self.w is not None and self.u is not None:
            self.w, self.u = self.w[keep], self.u[keep]

    def _proj_c(self, v: torch.Tensor) -> torch.Tensor:
        """Proj_C (in the frame for a structured basis: C's box there, every l_p ball unchanged)."""
        if self.p == 2.0 or math.isinf(self.p):
            return torch.minimum(torch.maximum(v, self.c_lo), self.c_hi)
        if self.unboxed:
            return project(v, self.p, self.eps)
        return project(v, self.p, self.eps, self.lo, self.hi)

    def _start(self, y: torch.Tensor) -> None:
        """Count a call; a cold start (no state yet) takes w = Proj_C(y), u = 0."""
        self.calls += 1
        if self.w is None or self.u is None:
            self.w = self._proj_c(y)
            self.u = torch.zeros_like(y)

    def solve(self, y: torch.Tensor, rounds: int | None = None) -> torch.Tensor:
        """ADMM rounds toward the projection of ``y``; returns the iterate v (in V).

        One round is two fused products with U and three elementwise passes: with q = w - u,
        z = U^T (y + rho q) / (1 + rho) (the product U^T y is formed once per call),
        s = a v + (1 - a) w + u with v = U z (over-relaxation a = ``relax``, Boyd et al. sec.
        3.4.3), w = Proj_C(s), u = s - w.  The residuals are checked every ``CHECK_EVERY``
        rounds and at the last one (a check costs a product and a host sync).  A structured
        basis runs the rounds in its frame (:meth:`_solve_structured`) and maps v back."""
        n_rounds = self.rounds if rounds is None else rounds
        if self.op is not None:
            frame_y = self.op.to_frame(y)
            self._start(frame_y)
            return self.op.from_frame(self._solve_structured(frame_y, self.op, n_rounds))
        self._start(y)
        assert self.basis is not None and self.w is not None and self.u is not None
        rho, a = self.rho, self.relax
        w, u = self.w, self.u
        basis, basis_t = self.basis, self.basis.T
        z_y = (y @ basis).mul_(1.0 / (1.0 + rho))
        c = rho / (1.0 + rho)
        q = torch.empty_like(w)
        clip = self.p == 2.0 or math.isinf(self.p)
        v = y
        for i in range(n_rounds):
            torch.sub(w, u, out=q)
            z = torch.addmm(z_y, q, basis, alpha=c)
            if self.p == 2.0:  # Proj onto V cap ball = ball(P_V t): ||U z||_2 = ||z||_2
                nrm = z.norm(dim=1, keepdim=True)
                z.mul_(torch.where(nrm > self.eps, self.eps / nrm.clamp_min(1e-30), torch.ones_like(nrm)))
            check = (i + 1) % CHECK_EVERY == 0 or i == n_rounds - 1
            self.total_rounds += 1
            if check:
                v = z @ basis_t
                s = torch.add(u, w, alpha=1.0 - a).add_(v, alpha=a)
                w_prev = w.clone()
            else:
                s = u.add_(w, alpha=1.0 - a).addmm_(z, basis_t, alpha=a)  # u's buffer now holds s
            if clip:
                w = torch.clamp(s, min=self.c_lo, max=self.c_hi, out=w)
            else:
                w = self._proj_c(s)
            u = s.sub_(w)
            if check and float(torch.maximum((v - w).abs().max(), rho * (w - w_prev).abs().max())) <= self.tol:
                break
        self.w, self.u = w, u
        return v

    def _solve_structured(self, a: torch.Tensor, op: HartleyBasis, n_rounds: int) -> torch.Tensor:
        """The rounds of :meth:`solve` in the frame of a structured basis ``op`` (``a`` = T y
        and the state (w, u) in frame coordinates): with q = w - u, v = Pi (a + rho q) / (1 + rho),
        Pi = H M H by one rfft and one irfft a round (:meth:`.bases.HartleyBasis.project_frame`;
        for p = 2 v is rescaled into the ball, ||v||_2 = ||z||_2), then the same s, w, u."""
        rho, a_rel = self.rho, self.relax
        assert self.w is not None and self.u is not None
        # the rounds carry s = u + w (so u = s - w, q = w - u = 2 w - s): five elementwise
        # passes a round besides Pi instead of seven; the same iterates up to rounding
        w = self.w
        s = self.u + w
        a_y = a * (1.0 / (1.0 + rho))
        c = rho / (1.0 + rho)
        clip = self.p == 2.0 or math.isinf(self.p)
        v = a
        for i in range(n_rounds):
            v = op.project_frame(torch.add(a_y, w, alpha=2.0 * c).sub_(s, alpha=c))  # Pi (a_y + c q)
            if self.p == 2.0:
                v.mul_(_ball_factor(v.norm(dim=1), self.eps))
            s.add_(v, alpha=a_rel).sub_(w, alpha=a_rel)  # u + (1 - a) w + a v = s + a (v - w)
            w_prev = w
            w = torch.clamp(s, min=self.c_lo, max=self.c_hi) if clip else self._proj_c(s)
            self.total_rounds += 1
            check = (i + 1) % CHECK_EVERY == 0 or i == n_rounds - 1
            if check and float(torch.maximum((v - w).abs().max(), rho * (w - w_prev).abs().max())) <= self.tol:
                break
        self.w, self.u = w, s.sub_(w)
        return v

    def __call__(self, y: torch.Tensor, start: torch.Tensor | None = None, rounds: int | None = None) -> torch.Tensor:
        if self.op is None:
            v = self.solve(y, rounds)
            return feasible_in_subspace(v, self.p, self.eps, self.lo, self.hi, start, self.tol)
        # a structured basis: into its frame once, the rounds and the segment there, out once
        # (the segment is coordinatewise and the norms are unchanged by T, so this is the same point)
        op = self.op
        a = op.to_frame(y)
        self._start(a)
        v = self._solve_structured(a, op, self.rounds if rounds is None else rounds)
        s0 = None if start is None else op.to_frame(start.reshape(y.shape))
        out = feasible_in_subspace(v, self.p, self.eps, self.lo, self.hi, s0, self.tol)
        return op.from_frame(out)
