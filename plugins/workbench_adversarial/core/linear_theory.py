"""The linear toy model of arXiv 2303.14173 and its analytic predictions (Qt-free, torch).

For a linear score s(x) = <w, x> and perturbations delta in V with ||delta||_p <= eps,
Hoelder's inequality (with equality at the steepest-ascent direction) gives

    max_{delta in V, ||delta||_p <= eps} <w, delta> = eps * ||w_V||_q,   1/p + 1/q = 1,

where for a coordinate subspace w_V keeps the coordinates of V (``w * mask``) and for an
orthonormal V = span(U) with p = 2 the value is eps ||U^T w||_2.  (For orthonormal V and
p != 2 the dual of the restricted norm has no closed form; those predictions are NaN.)
If w has i.i.d. entries, ||w_V||_q ~ (dim V)^(1/q) E[|w_i|^q]^(1/q), which is why success
curves collapse onto one curve in eps * (dim V / dim X)^(1/q).

A multi-class linear classifier z = W x + b misclassifies x + delta as class j != y iff
<w_j - w_y, delta> >= m_j = z_y - z_j, so (ignoring the [0, 1] box) the smallest eps that
breaks x is  eps*(x) = min_j m_j / ||(w_y - w_j)_V||_q.  For a non-linear model the same
formula with the gradients of the margins at x (first-order Taylor) gives the *linearised*
prediction, exact for linear models.
"""

from __future__ import annotations

import math

import torch

from .norms import dual_exponent, lp_norm
from .subspace import Subspace


def dual_norm_in_subspace(w: torch.Tensor, p: float, sub: Subspace | None) -> torch.Tensor:
    """||w_V||_q per row of w (B, n): the largest <w, delta> over delta in V, ||delta||_p <= 1."""
    q = dual_exponent(p)
    flat = w.reshape(w.shape[0], -1)
    if sub is None or sub.kind == "full":
        return lp_norm(flat, q)
    if sub.mask is not None:
        return lp_norm(flat * sub.mask, q)
    frame = sub.frame
    if p == 2.0 and frame is not None:
        return frame.coef(flat).norm(dim=1)
    return torch.full((flat.shape[0],), math.nan, dtype=flat.dtype, device=flat.device)


def linear_max_change(w: torch.Tensor, eps: float, p: float, sub: Subspace | None = None) -> torch.Tensor:
    """eps * ||w_V||_q: the largest change of <w, x> over the l_p ball of radius eps in V."""
    return eps * dual_norm_in_subspace(w, p, sub)


def margin_gradients(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Margins m_j = z_y - z_j (B, C) at x and their input gradients grad(z_j - z_y) (B, C, n).

    For a linear model the gradients are the rows w_j - w_y (independent of x)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z = model(x)
        C = z.shape[1]
        zy = z.gather(1, y.unsqueeze(1))
        diffs = z - zy  # z_j - z_y
        grads = []
        for j in range(C):
            (g,) = torch.autograd.grad(diffs[:, j].sum(), x, retain_graph=j < C - 1)
            grads.append(g.reshape(x.shape[0], -1))
    return (-diffs).detach(), torch.stack(grads, dim=1).detach()


def critical_eps(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, p: float, sub: Subspace | None = None
) -> torch.Tensor:
    """Linearised smallest eps breaking each sample: min_{j != y} m_j / ||(grad m_j)_V||_q.

    0 for samples already misclassified; inf where no class can be reached (zero gradient in V).
    """
    margins, grads = margin_gradients(model, x, y)
    B, C, n = grads.shape
    flat = grads.reshape(B * C, n)
    sub_rep: Subspace | None = sub
    if sub is not None and sub.mask is not None:
        sub_rep = Subspace(sub.kind, sub.dim, sub.n, mask=sub.mask.repeat_interleave(C, dim=0))
    dn = dual_norm_in_subspace(flat, p, sub_rep).reshape(B, C)
    ratio = margins / dn.clamp_min(1e-30)
    ratio = torch.where(dn > 0, ratio, torch.full_like(ratio, math.inf))
    ratio.scatter_(1, y.unsqueeze(1), math.inf)
    crit = ratio.amin(dim=1).clamp_min(0.0)
    return crit


def predicted_success(crit: torch.Tensor, eps_values: list[float], correct: torch.Tensor) -> list[float]:
    """Fraction of correctly classified samples with critical eps <= eps, for each eps."""
    c = crit[correct]
    if c.numel() == 0:
        return [math.nan for _ in eps_values]
    return [float((c <= e).double().mean()) for e in eps_values]
