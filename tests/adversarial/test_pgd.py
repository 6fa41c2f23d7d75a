"""PGD: the linear model's exact optimum eps ||w_V||_q, subspace feasibility, random starts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from workbench_adversarial.core.linear_theory import critical_eps, linear_max_change, predicted_success
from workbench_adversarial.core.norms import dual_exponent, lp_norm
from workbench_adversarial.core.pgd import PGDConfig, choose_targets, pgd_attack, random_start
from workbench_adversarial.core.subspace import build_subspace


def _binary_linear(w: torch.Tensor) -> nn.Module:
    """Logits (0, <w, x>): label 0 makes PGD maximise <w, x>."""
    m = nn.Linear(w.numel(), 2, bias=False)
    with torch.no_grad():
        m.weight.zero_()
        m.weight[1] = w.flatten()
    return nn.Sequential(nn.Flatten(), m).eval()


CASES = [
    (1.0, "full"),
    (2.0, "full"),
    (math.inf, "full"),
    (3.0, "full"),
    (1.5, "full"),
    (1.0, "pixels"),
    (2.0, "pixels"),
    (math.inf, "patch"),
    (3.0, "channels"),
    (2.0, "orthonormal"),
]


@pytest.mark.parametrize("p,kind", CASES)
@pytest.mark.parametrize("steps", [1, 6])
def test_linear_model_largest_logit_change(p, kind, steps):
    torch.manual_seed(0)
    shape = (2, 4, 4)
    B = 5
    w = torch.randn(shape, dtype=torch.float64)
    model = _binary_linear(w).double()
    x = torch.full((B,) + shape, 0.5, dtype=torch.float64)
    eps = 0.2
    sub = build_subspace(kind, shape, 12, B, torch.Generator().manual_seed(1), dtype=torch.float64)
    cfg = PGDConfig(
        p=p, eps=eps, steps=steps, step_size=eps if steps == 1 else eps / 2, random_start=False, early_stop=False
    )
    out = pgd_attack(model, x, torch.zeros(B, dtype=torch.long), cfg, sub)
    change = out.adv_logits[:, 1] - out.clean_logits[:, 1]
    expect = linear_max_change(w.flatten().expand(B, -1), eps, p, sub)
    if steps > 1 and p not in (1.0, 2.0, math.inf):
        # steepest-ascent steps + Euclidean projection: for other p the fixed point is not the
        # exact maximiser (the normal cone at eps*s is along g, not s); it gets close, never above
        assert torch.all(change <= expect * (1 + 1e-6)) and torch.all(change >= 0.95 * expect)
    else:
        assert torch.allclose(change, expect, rtol=1e-5, atol=1e-9), (change, expect)
    # Hoelder: no feasible perturbation can do better, and for masks ||w_V||_q is the masked norm
    if sub.mask is not None:
        q = dual_exponent(p)
        assert torch.allclose(expect, eps * lp_norm(w.flatten() * sub.mask, q))


@pytest.mark.parametrize("kind", ["full", "pixels", "patch", "channels", "orthonormal"])
@pytest.mark.parametrize("p", [1.0, 2.0, math.inf, 2.5])
def test_subspace_perturbations_stay_in_v_and_box(kind, p):
    torch.manual_seed(0)
    shape = (3, 6, 6)
    B = 16
    model = nn.Sequential(nn.Flatten(), nn.Linear(108, 32), nn.Tanh(), nn.Linear(32, 4)).eval()
    x = torch.rand((B,) + shape)
    x[:, :, :2] = 0.0  # saturated rows
    x[:, :, -1] = 1.0
    y = torch.randint(0, 4, (B,))
    sub = build_subspace(kind, shape, 40, B, torch.Generator().manual_seed(2))
    eps = {1.0: 4.0, 2.0: 1.0, math.inf: 0.1, 2.5: 0.8}[p]
    steps = 8 if kind != "orthonormal" else 3  # Dykstra rounds make the orthonormal kind slow
    out = pgd_attack(model, x, y, PGDConfig(p=p, eps=eps, steps=steps, early_stop=False), sub, seed=3)
    delta = out.x_adv - x
    assert out.x_adv.min() >= 0.0 and out.x_adv.max() <= 1.0
    assert torch.all(lp_norm(delta, p) <= eps * (1 + 1e-5) + 1e-6)
    tol = 1e-6 if kind != "orthonormal" else 1e-3
    assert float(sub.residual(delta).max()) <= tol
    if sub.mask is not None:
        assert sub.mask.sum(1).eq(sub.dim).all()
    if kind != "orthonormal":
        assert float(lp_norm(delta, 2.0).max()) > 0  # the attack moved
    # (a random V may meet the box [-x, 1-x] only in {0} when 54 of 108 pixels saturate)
    xi = 0.2 + 0.6 * torch.rand((B,) + shape)
    out = pgd_attack(model, xi, y, PGDConfig(p=p, eps=eps, steps=steps, early_stop=False), sub, seed=3)
    delta = out.x_adv - xi
    assert float(lp_norm(delta, p).min()) > 0.5 * eps
    assert float(sub.residual(delta).max()) <= tol


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_random_start_uniform_in_ball(p):
    """For the uniform law on a k-dim l_p ball, P(||d||_p <= r eps) = r^k: KS test."""
    k = 5
    B = 4000
    x = torch.zeros(B, 1, 1, k, dtype=torch.float64)
    d = random_start(x, p, 1.0, None, np.random.default_rng(0))
    r = lp_norm(d, p).numpy()
    assert r.max() <= 1.0
    assert stats.kstest(r**k, "uniform").pvalue > 1e-3
    # symmetry: coordinates have mean 0
    assert abs(float(d.mean())) < 0.02


def test_random_start_inf_and_mask():
    shape = (1, 4, 4)
    B = 2000
    sub = build_subspace("pixels", shape, 3, B, torch.Generator().manual_seed(0), dtype=torch.float64)
    d = random_start(torch.zeros((B,) + shape, dtype=torch.float64), 2.0, 0.5, sub, np.random.default_rng(1))
    flat = d.reshape(B, -1)
    assert torch.all(flat[sub.mask == 0] == 0)
    assert stats.kstest((lp_norm(d, 2.0).numpy() / 0.5) ** 3, "uniform").pvalue > 1e-3
    d = random_start(torch.zeros((B,) + shape), math.inf, 0.5, None, np.random.default_rng(1))
    assert stats.kstest(d.flatten().numpy(), "uniform", args=(-0.5, 1.0)).pvalue > 1e-3


def test_targeted_attack_reaches_target_and_early_stop():
    torch.manual_seed(0)
    w = torch.randn(3, 16)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).eval()
    with torch.no_grad():
        model[1].weight.copy_(w)
        model[1].bias.zero_()
    x = torch.rand(40, 1, 4, 4) * 0.5 + 0.25
    y = model(x).argmax(1)
    t = choose_targets(model(x), y, "random", seed=0)
    assert torch.all(t != y)
    out = pgd_attack(model, x, y, PGDConfig(p=2.0, eps=3.0, steps=30, targeted=True), target=t)
    pred = out.adv_logits.argmax(1)
    assert torch.equal(pred[out.success], t[out.success])
    assert out.success.float().mean() > 0.5
    assert torch.all(out.iterations[out.success] < 30)


def test_linear_prediction_equals_pgd_on_linear_model():
    """Without active box constraints a linear model breaks iff eps >= eps*(x) = min_j m_j/||(w_y-w_j)_V||_q."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2)).double().eval()  # binary: one margin per input
    x = 0.5 + 0.01 * torch.randn(300, 1, 6, 6, dtype=torch.float64)
    y = model(x).argmax(1)
    sub = build_subspace("pixels", (1, 6, 6), 18, 300, torch.Generator().manual_seed(0), dtype=torch.float64)
    for p in (2.0, math.inf, 1.0):
        crit = critical_eps(model, x, y, p, sub)
        eps = float(crit.median()) * 1.001
        pred = predicted_success(crit, [eps], torch.ones(300, dtype=torch.bool))[0]
        out = pgd_attack(
            model, x, y, PGDConfig(p=p, eps=eps, steps=40, step_size=eps / 8, random_start=False, loss="margin"), sub
        )
        assert 0.05 < pred < 0.95
        assert float((out.x_adv - x).abs().max()) < 0.45  # the box [0, 1] is never active
        assert abs(out.success.double().mean().item() - pred) <= 1 / 300 + 1e-12
