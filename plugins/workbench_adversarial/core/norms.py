"""l_p norms, dual exponents and steepest-ascent directions (Qt-free, torch).

For ``p`` in [1, inf] the dual exponent ``q`` satisfies 1/p + 1/q = 1 (q = inf for p = 1,
q = 1 for p = inf).  The steepest-ascent direction of a gradient ``g`` in the l_p unit ball,

    s* = argmax_{||s||_p <= 1} <g, s>,      <g, s*> = ||g||_q   (Hoelder, with equality),

is ``sign(g)`` for p = inf, ``g / ||g||_2`` for p = 2, ``sign(g) |g|^(q-1) / ||g||_q^(q-1)``
for 1 < p < inf, and a vertex of the cross-polytope (the largest |g_i|) for p = 1.  Every
function works per sample on a batch: the first axis is the batch, the rest is flattened.
"""

from __future__ import annotations

import math

import torch

INF = math.inf


def parse_p(p: float | str) -> float:
    """``p`` as a float in [1, inf]; accepts "inf", "linf", "Linf" and numbers."""
    if isinstance(p, str):
        s = p.strip().lower().lstrip("l")
        value = INF if s in ("inf", "infinity", "oo") else float(s)
    else:
        value = float(p)
    if math.isnan(value) or value < 1.0:
        raise ValueError(f"p must be >= 1 (or inf); got {p!r}")
    return value


def dual_exponent(p: float) -> float:
    """q with 1/p + 1/q = 1: q = p / (p - 1); q(1) = inf, q(inf) = 1."""
    p = parse_p(p)
    if p == 1.0:
        return INF
    if math.isinf(p):
        return 1.0
    return p / (p - 1.0)


def p_label(p: float) -> str:
    """Short printable form: "inf", "1", "2", "1.5"."""
    return "inf" if math.isinf(p) else f"{p:g}"


def lp_norm(x: torch.Tensor, p: float) -> torch.Tensor:
    """Per-sample l_p norm of a batch (first axis = batch); returns shape (B,)."""
    flat = x.reshape(x.shape[0], -1)
    if math.isinf(p):
        return flat.abs().amax(dim=1) if flat.shape[1] else flat.new_zeros(flat.shape[0])
    if p == 1.0:
        return flat.abs().sum(dim=1)
    if p == 2.0:
        return flat.norm(dim=1)
    # scale first to avoid overflow / underflow of |x|^p
    scale = flat.abs().amax(dim=1, keepdim=True).clamp_min(torch.finfo(flat.dtype).tiny)
    return scale.squeeze(1) * ((flat / scale).abs().pow(p).sum(dim=1)).pow(1.0 / p)


def steepest_ascent(g: torch.Tensor, p: float, l1_k: int = 1) -> torch.Tensor:
    """Unit-l_p-norm direction of steepest ascent of a batch of gradients ``g``.

    p = inf: sign(g).  p = 2: g / ||g||_2.  1 < p < inf: sign(g) |g|^(q-1) / ||g||_q^(q-1).
    p = 1: the exact maximiser puts all mass on argmax |g_i|; with ``l1_k > 1`` the mass is
    spread evenly (with signs) over the ``l1_k`` largest |g_i| (the sparse step of Tramer &
    Boneh 2019 "Adversarial training and robustness for multiple perturbations"), which
    moves faster through the l_1 ball.  Zero gradients give a zero direction.
    """
    B = g.shape[0]
    flat = g.reshape(B, -1)
    tiny = 1e-30
    if math.isinf(p):
        d = flat.sign()
    elif p == 2.0:
        d = flat / flat.norm(dim=1, keepdim=True).clamp_min(tiny)
    elif p == 1.0:
        k = max(1, min(int(l1_k), flat.shape[1]))
        idx = flat.abs().topk(k, dim=1).indices
        d = torch.zeros_like(flat)
        d.scatter_(1, idx, flat.gather(1, idx).sign() / k)
    else:
        q = dual_exponent(p)
        scale = flat.abs().amax(dim=1, keepdim=True).clamp_min(tiny)
        a = (flat.abs() / scale).pow(q - 1.0)
        d = flat.sign() * a
        norm = lp_norm(d, p).clamp_min(tiny).unsqueeze(1)
        d = d / norm
    return d.reshape(g.shape)
