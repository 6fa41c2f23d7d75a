"""Projections onto l_p ball cap box: brute force (scipy), KKT conditions, identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from workbench_adversarial.core.norms import dual_exponent, lp_norm, steepest_ascent
from workbench_adversarial.core.projections import project, project_l1, project_l1_ball


def _case(seed: int, n: int = 7):
    g = torch.Generator().manual_seed(seed)
    y = torch.randn(1, n, generator=g, dtype=torch.float64) * 1.5
    x = torch.rand(1, n, generator=g, dtype=torch.float64)
    x[0, : n // 3] = 0.0  # saturated pixels, as in the digits
    return y, -x, 1.0 - x


def _brute_l1(y, lo, hi, eps):
    """QP with d = u - v, u, v >= 0 (smooth): min 1/2||u - v - y||^2, sum(u + v) <= eps."""
    n = len(y)
    obj = lambda z: 0.5 * np.sum((z[:n] - z[n:] - y) ** 2)  # noqa: E731
    jac = lambda z: np.concatenate([z[:n] - z[n:] - y, -(z[:n] - z[n:] - y)])  # noqa: E731
    cons = [{"type": "ineq", "fun": lambda z: eps - z.sum(), "jac": lambda z: -np.ones(2 * n)}]
    bounds = [(0, max(h, 0)) for h in hi] + [(0, max(-lo_i, 0)) for lo_i in lo]
    r = minimize(
        obj,
        np.zeros(2 * n),
        jac=jac,
        bounds=bounds,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    return r.x[:n] - r.x[n:]


def _brute_lp(y, lo, hi, eps, p):
    """min 1/2||d - y||^2 s.t. sum |d_i|^p <= eps^p, lo <= d <= hi (smooth for p > 1)."""
    cons = [
        {
            "type": "ineq",
            "fun": lambda d: eps**p - np.sum(np.abs(d) ** p),
            "jac": lambda d: -p * np.sign(d) * np.abs(d) ** (p - 1),
        }
    ]
    r = minimize(
        lambda d: 0.5 * np.sum((d - y) ** 2),
        np.zeros_like(y),
        jac=lambda d: d - y,
        bounds=list(zip(lo, hi, strict=True)),
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    return r.x


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("eps", [0.3, 1.0, 2.5])
def test_l1_matches_qp_and_kkt(seed, eps):
    y, lo, hi = _case(seed)
    d = project(y, 1.0, eps, lo, hi)[0].numpy()
    ref = _brute_l1(y[0].numpy(), lo[0].numpy(), hi[0].numpy(), eps)
    assert np.abs(d - ref).max() < 1e-5
    # KKT of min 1/2||d - y||^2 + lam ||d||_1 over the box: with b_i the room in the direction
    # of y_i, each coordinate is zero (|y_i| <= lam), capped (|y_i| - b_i >= lam) or free
    # (|y_i| - |d_i| = lam); lam >= 0 and lam (||d||_1 - eps) = 0.
    yy, l_, h_ = y[0].numpy(), lo[0].numpy(), hi[0].numpy()
    assert np.all(d >= l_ - 1e-12) and np.all(d <= h_ + 1e-12)
    assert np.abs(d).sum() <= eps + 1e-9
    b = np.where(yy >= 0, h_, -l_)
    movable = b > 1e-12
    zero = movable & (np.abs(d) <= 1e-12)
    capped = movable & ~zero & (np.abs(np.abs(d) - b) <= 1e-12)
    free = movable & ~zero & ~capped
    assert np.all(np.sign(d[free]) == np.sign(yy[free]))
    lam_lo = max([0.0] + list(np.abs(yy[zero])) + list(np.abs(yy[free]) - np.abs(d[free])))
    lam_hi = min([np.inf] + list(np.abs(yy[capped]) - b[capped]) + list(np.abs(yy[free]) - np.abs(d[free])))
    assert lam_lo <= lam_hi + 1e-9
    if np.abs(d).sum() < eps - 1e-9:
        assert lam_lo <= 1e-9  # inactive ball: lam = 0


def test_l1_without_box_is_duchi_and_brute_force():
    g = torch.Generator().manual_seed(3)
    y = torch.randn(16, 30, generator=g, dtype=torch.float64)
    for eps in (0.1, 1.0, 5.0, 100.0):
        a = project_l1(y, eps)
        b = project_l1_ball(y, eps)
        assert torch.allclose(a, b, atol=1e-12)
        assert torch.all(lp_norm(a, 1.0) <= eps + 1e-9)
    ref = _brute_l1(y[0].numpy(), -np.full(30, 1e3), np.full(30, 1e3), 1.0)
    assert np.abs(project_l1_ball(y[:1], 1.0)[0].numpy() - ref).max() < 1e-5


@pytest.mark.parametrize("p", [1.5, 2.0, 3.0, 6.0])
@pytest.mark.parametrize("seed", range(5))
def test_general_p_matches_scipy(p, seed):
    y, lo, hi = _case(seed)
    for eps in (0.4, 1.2):
        d = project(y, p, eps, lo, hi)[0].numpy()
        ref = _brute_lp(y[0].numpy(), lo[0].numpy(), hi[0].numpy(), eps, p)
        obj_d = 0.5 * np.sum((d - y[0].numpy()) ** 2)
        obj_r = 0.5 * np.sum((ref - y[0].numpy()) ** 2)
        assert np.abs(d - ref).max() < 1e-4
        assert obj_d <= obj_r + 1e-8  # never worse than scipy's optimum
        assert np.sum(np.abs(d) ** p) <= eps**p * (1 + 1e-9)


def test_l2_without_box_is_radial_scaling():
    y = torch.randn(10, 50, dtype=torch.float64)
    d = project(y, 2.0, 0.7)
    expect = y * torch.clamp(0.7 / y.norm(dim=1, keepdim=True), max=1.0)
    assert torch.allclose(d, expect, atol=1e-12)


def test_linf_box_and_idempotence_feasibility():
    g = torch.Generator().manual_seed(0)
    y = torch.randn(32, 40, generator=g)
    x = torch.rand(32, 40, generator=g)
    x[:, :10] = 0
    x[:, 10:15] = 1
    lo, hi = -x, 1 - x
    for p in (1.0, 1.7, 2.0, 4.0, math.inf):
        d = project(y, p, 0.8, lo, hi)
        assert torch.all(d >= lo - 1e-6) and torch.all(d <= hi + 1e-6)
        assert torch.all(lp_norm(d, p) <= 0.8 * (1 + 1e-5))
        d2 = project(d, p, 0.8, lo, hi)
        assert torch.allclose(d, d2, atol=1e-5)
    d = project(y, math.inf, 0.3, lo, hi)
    assert torch.allclose(
        d, torch.minimum(torch.maximum(y, torch.maximum(lo, torch.tensor(-0.3))), torch.minimum(hi, torch.tensor(0.3)))
    )


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0, math.inf])
def test_steepest_ascent_attains_dual_norm(p):
    g = torch.randn(6, 25, dtype=torch.float64)
    s = steepest_ascent(g, p)
    assert torch.allclose(lp_norm(s, p), torch.ones(6, dtype=torch.float64), atol=1e-9)
    q = dual_exponent(p)
    assert torch.allclose((g * s).sum(1), lp_norm(g, q), rtol=1e-9)
