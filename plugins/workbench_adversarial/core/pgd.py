"""Projected gradient descent (ascent) attacks in an l_p ball, optionally restricted to a
subspace V (Qt-free, torch; CPU or CUDA).

Madry et al. (ICLR 2018), "Towards deep learning models resistant to adversarial attacks":

    delta_0 ~ Uniform(B_p(eps) cap V)  (random start) or 0
    delta_{t+1} = Proj_{B_p(eps) cap V cap [-x, 1-x]} ( delta_t + alpha * s_p(grad_V L(x + delta_t)) )

with s_p the steepest-ascent direction of the l_p norm (:func:`.norms.steepest_ascent`) and
the exact projection of :mod:`.projections`.  Coordinate subspaces (masks) are handled exactly
by setting the box to [0, 0] outside V.  For random orthonormal subspaces V = span(U):

* the gradient is projected onto V; for p != 2 the direction P_V s_p(P_V g) is used (an ascent
  direction: <g, P_V s_p(P_V g)> = ||P_V g||_q > 0), not the exact steepest direction in V;
* the projection onto V cap B_p(eps) cap [-x, 1-x] is the ADMM of :mod:`.ortho`, warm-started
  from one PGD step to the next, ``ortho_rounds`` rounds per step (inexact per step; its
  iterates converge along with PGD's); the next iterate is the point of the segment from the
  current iterate toward the ADMM iterate (rescaled into the ball) that is furthest along
  with x + delta in [0, 1] (violations below 1e-4 are clipped), so every iterate is in V
  (to 1e-4 per coordinate), in the ball and in the box.  Caveat: when
  many pixels sit at 0 or 1 (digits: about half), V cap [-x, 1-x] is often just {0} for a
  random V (Wendel's theorem), and the attack cannot move.

Limit for 1 < p < inf, p != 2: a step along s_p(g) followed by the Euclidean projection
does not keep the l_p maximiser of a linear function fixed (the normal cone of the ball at
eps s_p(g) is spanned by g, not by s_p(g)), so iterates hover within a few percent of the
optimum eps ||g_V||_q; the first step from 0 with alpha = eps attains it exactly.  For
p in {1, 2, inf} the maximiser is a fixed point.

Random starts are uniform in the ball: for p = inf uniform in the cube; for p < inf by
Barthe, Guedon, Mendelson & Naor (Ann. Probab. 2005): with g_i i.i.d. of density
proportional to exp(-|t|^p) and E ~ Exp(1), g / (sum |g_i|^p + E)^(1/p) is uniform in the
unit l_p ball (in dim V coordinates).  Starting points are then clipped to the box, which is
their exact projection onto ball cap box.  For the orthonormal kind with p != 2, z is drawn
this way in R^k and U z is rescaled into the ball (approximately uniform).

Success: untargeted, argmax f(x') != y; targeted, argmax f(x') == target.  With per-sample
early stop a sample leaves the batch at the first iterate that succeeds (success = "some
iterate succeeded"); without it the final iterate is judged (as torchattacks does).
Restarts re-run the attack from fresh random starts on the samples not yet broken.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .norms import lp_norm, parse_p, steepest_ascent
from .ortho import SubspaceProjector
from .projections import project
from .subspace import Subspace

LOSSES = ("ce", "margin")
#: "exact": project onto ball cap V cap [-x, 1 - x]; "clip": onto the ball, then clip to the
#: box (torchattacks' order); "none": no box at all, x + delta may leave [0, 1] (the unboxed
#: variant of arXiv 2303.14173's linear toy model, to separate the box's effect on the collapse)
BOX_MODES = ("exact", "clip", "none")


@dataclass(frozen=True)
class PGDConfig:
    """p: norm (1, 2, inf or any p > 1); eps: radius (input units, images in [0, 1]);
    steps: iterations; step_size: alpha in l_p norm per step (None: 2.5 eps / steps);
    random_start; restarts (>= 1); targeted; early_stop (per sample); l1_k: coordinates per
    l_1 step; loss: "ce" (cross-entropy) or "margin" (max_{j != y} z_j - z_y); box: one of
    :data:`BOX_MODES`."""

    p: float
    eps: float
    steps: int = 20
    step_size: float | None = None
    random_start: bool = True
    restarts: int = 1
    targeted: bool = False
    early_stop: bool = True
    l1_k: int = 1
    loss: str = "ce"
    box: str = "exact"

    def validated(self) -> PGDConfig:
        p = parse_p(self.p)
        if not (self.eps >= 0 and math.isfinite(self.eps)):
            raise ValueError(f"eps must be a finite number >= 0, got {self.eps}")
        if int(self.steps) < 0:
            raise ValueError(f"steps must be >= 0, got {self.steps}")
        if self.step_size is not None and not self.step_size >= 0:
            raise ValueError(f"step size must be >= 0, got {self.step_size}")
        if int(self.restarts) < 1:
            raise ValueError(f"restarts must be >= 1, got {self.restarts}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.box not in BOX_MODES:
            raise ValueError(f"box must be one of {BOX_MODES}, got {self.box!r}")
        return PGDConfig(
            p,
            float(self.eps),
            int(self.steps),
            self.alpha,
            bool(self.random_start),
            int(self.restarts),
            bool(self.targeted),
            bool(self.early_stop),
            int(self.l1_k),
            self.loss,
            self.box,
        )

    @property
    def alpha(self) -> float:
        if self.step_size is not None:
            return float(self.step_size)
        return 2.5 * float(self.eps) / max(int(self.steps), 1)


@dataclass
class AttackOutcome:
    """Per-sample results of one attack (tensors on the attack's device).

    x_adv: adversarial inputs (the successful iterate, else the last one); success: bool (B,);
    clean_logits / adv_logits: (B, classes); iterations: step of first success (steps if none);
    target: target labels (targeted attacks) or None."""

    x_adv: torch.Tensor
    success: torch.Tensor
    clean_logits: torch.Tensor
    adv_logits: torch.Tensor
    iterations: torch.Tensor
    target: torch.Tensor | None = None


def choose_targets(clean_logits: torch.Tensor, y: torch.Tensor, mode: str, seed: int) -> torch.Tensor:
    """Targets for a targeted attack: "random" (uniform over classes != y) or "least_likely"."""
    C = clean_logits.shape[1]
    if mode == "least_likely":
        return clean_logits.argmin(dim=1)
    if mode == "random":
        rng = np.random.default_rng(seed)
        off = torch.as_tensor(rng.integers(1, C, size=y.shape[0]), device=y.device)
        return (y + off) % C
    raise ValueError(f"target mode must be 'random' or 'least_likely', got {mode!r}")


def _gen_gauss(rng: np.random.Generator, size: tuple[int, ...], p: float) -> np.ndarray:
    """i.i.d. samples of density proportional to exp(-|t|^p): sign * Gamma(1/p, 1)^(1/p)."""
    mag = rng.gamma(1.0 / p, 1.0, size=size) ** (1.0 / p)
    return np.where(rng.random(size) < 0.5, -mag, mag)


def random_start(x: torch.Tensor, p: float, eps: float, sub: Subspace | None, rng: np.random.Generator) -> torch.Tensor:
    """A perturbation uniform in B_p(eps) cap V (see the module docstring), not yet box-clipped."""
    B = x.shape[0]
    n = x[0].numel()
    frame = None if sub is None else sub.frame
    if sub is not None and frame is not None:
        k = sub.dim
        if math.isinf(p):
            z = rng.uniform(-1.0, 1.0, size=(B, k))
        else:
            g = _gen_gauss(rng, (B, k), 2.0)  # uniform in the Euclidean k-ball (Barthe et al.)
            e = rng.exponential(1.0, size=(B, 1))
            z = g / (np.sum(g**2, axis=1, keepdims=True) + e) ** 0.5
        zt = torch.as_tensor(z, dtype=x.dtype, device=x.device)
        d = frame.expand(zt)
        if p != 2.0:
            # direction U z, radius law of the k-ball; rescale so that ||d||_p <= eps
            r = torch.as_tensor(rng.random((B, 1)) ** (1.0 / k), dtype=x.dtype, device=x.device)
            d = d / lp_norm(d, p).clamp_min(1e-30).unsqueeze(1) * r
        return (eps * d).reshape(x.shape)
    mask = None if sub is None or sub.mask is None else sub.mask
    if math.isinf(p):
        d = torch.as_tensor(rng.uniform(-1.0, 1.0, size=(B, n)), dtype=x.dtype, device=x.device)
        if mask is not None:
            d = d * mask
    else:
        gt = torch.as_tensor(_gen_gauss(rng, (B, n), p), dtype=torch.float64, device=x.device)
        if mask is not None:
            gt = gt * mask.double()
        et = torch.as_tensor(rng.exponential(1.0, size=(B, 1)), dtype=torch.float64, device=x.device)
        d = (gt / (gt.abs().pow(p).sum(dim=1, keepdim=True) + et).pow(1.0 / p)).to(x.dtype)
    return (eps * d).reshape(x.shape)


def _loss(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None, kind: str) -> torch.Tensor:
    """Per-sample objective to *maximise*."""
    if kind == "ce":
        if target is None:
            return F.cross_entropy(logits, y, reduction="none")
        return -F.cross_entropy(logits, target, reduction="none")
    lab = y if target is None else target
    z_lab = logits.gather(1, lab.unsqueeze(1)).squeeze(1)
    other = logits.scatter(1, lab.unsqueeze(1), -math.inf).amax(dim=1)
    return other - z_lab if target is None else z_lab - other


def pgd_attack(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: PGDConfig,
    subspace: Subspace | None = None,
    target: torch.Tensor | None = None,
    seed: int = 0,
    check: Callable[[], None] | None = None,
    ortho_rounds: int = 6,
) -> AttackOutcome:
    """Run PGD on a batch ``x`` (B, ...) in [0, 1] with labels ``y`` (B,).

    ``target`` (targeted attacks) gives the target labels.  ``check`` is called once per step
    (cancellation).  ``model`` must be in eval mode and on ``x.device``.  ``ortho_rounds``:
    ADMM rounds per step for an orthonormal subspace (:mod:`.ortho`).
    """
    cfg = cfg.validated()
    if cfg.targeted and target is None:
        raise ValueError("a targeted attack needs target labels")
    p, eps, alpha = cfg.p, cfg.eps, cfg.alpha
    rng = np.random.default_rng(seed)
    B = x.shape[0]
    if B == 0:
        raise ValueError("the batch is empty")
    x = x.detach()
    sub = subspace if subspace is not None and subspace.kind != "full" else None
    l1_k = cfg.l1_k if sub is None else max(1, min(cfg.l1_k, sub.dim))
    clean_logits: torch.Tensor | None = None
    adv_logits: torch.Tensor | None = None
    if cfg.random_start:
        with torch.no_grad():
            clean_logits = model(x)
        adv_logits = clean_logits.clone()
    # without random start the first iterate is x itself: its logits are the clean logits
    final_x = x.clone()
    success = torch.zeros(B, dtype=torch.bool, device=x.device)
    iterations = torch.full((B,), cfg.steps, dtype=torch.long, device=x.device)

    def hit_of(logits: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        pred = logits.argmax(dim=1)
        if cfg.targeted and target is not None:  # a targeted attack always has targets (checked above)
            return pred == target[rows]
        return pred != y[rows]

    restarts = cfg.restarts if cfg.random_start else 1
    for _ in range(restarts):
        act = torch.nonzero(~success).squeeze(1)
        if act.numel() == 0:
            break
        xs = x[act]
        s = None if sub is None else sub.select(act)
        flat_x = xs.reshape(xs.shape[0], -1)
        lo, hi = -flat_x, 1.0 - flat_x
        if cfg.box == "none":
            lo, hi = torch.full_like(flat_x, -math.inf), torch.full_like(flat_x, math.inf)
        if s is not None and s.mask is not None:
            inside = s.mask > 0
            lo, hi = torch.where(inside, lo, 0.0), torch.where(inside, hi, 0.0)
        # a subspace spanned by a basis (orthonormal, hartley; s keeps sub's) projects by ADMM
        proj = None
        frame = None if s is None else s.frame
        if frame is not None:
            proj = SubspaceProjector(frame, p, eps, lo, hi, rounds=ortho_rounds)
        if cfg.random_start and eps > 0:
            delta = random_start(xs, p, eps, s, rng).reshape(lo.shape)
            if proj is not None:
                delta = proj(delta)
            else:
                delta = torch.minimum(torch.maximum(delta, lo), hi)
            delta = delta.reshape(xs.shape)
        else:
            delta = torch.zeros_like(xs)
        for t in range(cfg.steps + 1):
            if check is not None:
                check()
            xa = (xs + delta).detach().requires_grad_(t < cfg.steps)
            with torch.set_grad_enabled(t < cfg.steps):
                logits = model(xa)
            if clean_logits is None or adv_logits is None:  # t = 0 of the first restart, delta = 0, all rows
                clean_logits = logits.detach().clone()
                adv_logits = clean_logits.clone()
            hit = hit_of(logits.detach(), act)
            last = t == cfg.steps
            if cfg.early_stop or last:
                done = hit if not last else torch.ones_like(hit)
                if done.any():
                    rows = act[done]
                    final_x[rows] = xa.detach()[done]
                    adv_logits[rows] = logits.detach()[done]
                    success[rows] = hit[done]
                    iterations[rows[hit[done]]] = t
            if last:
                break
            keep = ~hit if cfg.early_stop else torch.ones_like(hit)
            if cfg.early_stop and not keep.all():
                if not keep.any():
                    break
                act, xs, lo, hi = act[keep], xs[keep], lo[keep], hi[keep]
                if proj is not None:
                    proj.select(keep)
                s = None if s is None else s.select(torch.nonzero(keep).squeeze(1))
                obj = _loss(logits[keep], y[act], None if target is None else target[act], cfg.loss).sum()
                g = torch.autograd.grad(obj, xa)[0][keep]
                delta = delta[keep]
            else:
                obj = _loss(logits, y[act], None if target is None else target[act], cfg.loss).sum()
                g = torch.autograd.grad(obj, xa)[0]
            g = g.reshape(g.shape[0], -1)
            dflat = delta.reshape(g.shape)
            if s is not None:
                g = s.restrict(g)
            if p == 1.0:
                blocked = ((dflat >= hi) & (g > 0)) | ((dflat <= lo) & (g < 0))
                g = g.masked_fill(blocked, 0.0)
            step = steepest_ascent(g, p, l1_k)
            # For a basis kind the direction is P_V s_p(P_V g), but the step is not restricted
            # here: the projector's first operation on y_new is P_V (ADMM's v-update, linear),
            # and every point of V is as far from y_new as from P_V y_new up to a constant
            # (Pythagoras), so its iterates and result are those of the restricted step, one
            # pair of products with U cheaper.  (p = 2: s_2(P_V g) is in V already.)
            y_new = dflat + alpha * step
            if proj is not None:
                dflat = proj(y_new, start=dflat)
            elif cfg.box == "clip":
                dflat = torch.minimum(torch.maximum(project(y_new, p, eps), lo), hi)
            elif cfg.box == "none":  # the ball only; a coordinate subspace keeps its zeros
                dflat = project(y_new, p, eps)
                if s is not None and s.mask is not None:
                    dflat = dflat * s.mask
            else:
                dflat = project(y_new, p, eps, lo, hi)
            delta = dflat.reshape(xs.shape).detach()
    assert clean_logits is not None and adv_logits is not None  # set by the first step of the first restart
    return AttackOutcome(final_x, success, clean_logits, adv_logits, iterations, target)
