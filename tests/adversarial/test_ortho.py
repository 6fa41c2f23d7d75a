"""The ADMM projection onto V cap B_p(eps) cap box for orthonormal subspaces (core/ortho.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from workbench_adversarial.core.bases import HartleyBasis
from workbench_adversarial.core.norms import lp_norm
from workbench_adversarial.core.ortho import SubspaceProjector, feasible_in_subspace


def _instance(seed: int, n: int = 12, k: int = 4, B: int = 3):
    g = torch.Generator().manual_seed(seed)
    basis, _ = torch.linalg.qr(torch.randn(n, k, generator=g, dtype=torch.float64))
    x = torch.rand(B, n, generator=g, dtype=torch.float64)
    x[:, :2] = 0.0  # saturated pixels: the box touches 0 there
    x[:, 2] = 1.0
    y = 0.6 * torch.randn(B, n, generator=g, dtype=torch.float64)
    return basis, -x, 1.0 - x, y


def _scipy_projection(
    y: np.ndarray, basis: np.ndarray, p: float, eps: float, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """argmin ||U z - y||^2 over z with ||U z||_p <= eps, lo <= U z <= hi (SLSQP, in z)."""
    cons = [
        {"type": "ineq", "fun": lambda z: hi - basis @ z, "jac": lambda z: -basis},
        {"type": "ineq", "fun": lambda z: basis @ z - lo, "jac": lambda z: basis},
    ]
    if math.isinf(p):
        cons += [
            {"type": "ineq", "fun": lambda z: eps - basis @ z, "jac": lambda z: -basis},
            {"type": "ineq", "fun": lambda z: basis @ z + eps, "jac": lambda z: basis},
        ]
    else:
        cons.append({"type": "ineq", "fun": lambda z: eps**2 - z @ z, "jac": lambda z: -2 * z})
    res = minimize(
        lambda z: 0.5 * np.sum((basis @ z - y) ** 2),
        np.zeros(basis.shape[1]),
        jac=lambda z: basis.T @ (basis @ z - y),
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert res.success, res.message
    return basis @ res.x


@pytest.mark.parametrize("p,eps", [(2.0, 0.5), (math.inf, 0.15)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_admm_converges_to_the_exact_projection(p, eps, seed):
    basis, lo, hi, y = _instance(seed)
    proj = SubspaceProjector(basis, p, eps, lo, hi, tol=1e-10, rounds=5000)
    v = proj.solve(y)
    for b in range(y.shape[0]):
        ref = _scipy_projection(y[b].numpy(), basis.numpy(), p, eps, lo[b].numpy(), hi[b].numpy())
        assert np.abs(v[b].numpy() - ref).max() < 1e-5
    assert proj.total_rounds < 5000  # stopped on its residuals


@pytest.mark.parametrize("p,eps", [(2.0, 0.5), (math.inf, 0.15)])
@pytest.mark.parametrize("seed", [0, 1])
def test_structured_admm_in_the_frame_converges_to_the_exact_projection(p, eps, seed):
    """The Hartley basis runs its rounds in the frame T = D P^T (box bounds mapped there, one
    rfft/irfft per round): the result must still be the projection onto V cap ball cap box of
    the original coordinates, checked against SLSQP on the dense U."""
    _, lo, hi, y = _instance(seed, n=16, k=6)
    op = HartleyBasis.draw(16, 6, torch.Generator().manual_seed(seed), dtype=torch.float64)
    proj = SubspaceProjector(op, p, eps, lo, hi, tol=1e-10, rounds=5000)
    v = proj.solve(y)
    U = op.dense().numpy()
    for b in range(y.shape[0]):
        ref = _scipy_projection(y[b].numpy(), U, p, eps, lo[b].numpy(), hi[b].numpy())
        assert np.abs(v[b].numpy() - ref).max() < 1e-5
    assert proj.total_rounds < 5000
    d = proj(y)  # the feasible point, mapped back out of the frame
    assert torch.all(d >= lo - 1e-12) and torch.all(d <= hi + 1e-12)
    assert torch.all(lp_norm(d, p) <= eps * (1 + 1e-9))
    assert float((d - op.project(d)).abs().max()) <= 1e-6


def test_frame_projection_is_u_u_transpose():
    """H M H in the frame (rfft, a 2 x 2 mix per frequency, irfft) equals T U U^T T^T built
    from the dense U, for even and odd n."""
    for n, k in ((12, 5), (15, 7), (3072, 30)):
        op = HartleyBasis.draw(n, k, torch.Generator().manual_seed(n), dtype=torch.float64)
        a = torch.randn(3, n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        U = op.dense()
        assert torch.allclose(op.project_frame(a), op.to_frame(op.from_frame(a) @ U @ U.T), atol=1e-12)
        lo, hi = -torch.rand(3, n, dtype=torch.float64), torch.rand(3, n, dtype=torch.float64)
        f_lo, f_hi = op.frame_bounds(lo, hi)
        c = lo + (hi - lo) * torch.rand(3, n, dtype=torch.float64)  # a point of the box
        tc = op.to_frame(c)
        assert torch.all(tc >= f_lo) and torch.all(tc <= f_hi)


def _segment_brute_force(target, lo, hi, start, tol):
    """The largest t on a fine grid with start + t (target - start) in [lo, hi] on every
    coordinate the target leaves by more than tol (the definition, coordinate by coordinate)."""
    ts = np.linspace(0.0, 1.0, 200001)
    pts = start[None, :] + ts[:, None] * (target - start)[None, :]
    viol = (target > hi + tol) | (target < lo - tol)
    ok = np.all((pts[:, viol] <= hi[viol] + 1e-12) & (pts[:, viol] >= lo[viol] - 1e-12), axis=1)
    return ts[ok].max()


def test_feasible_segment_matches_the_definition_on_random_instances():
    g = np.random.default_rng(3)
    for _ in range(20):
        n = 6
        lo = -g.random(n)
        hi = g.random(n)
        lo[0] = 0.0  # a saturated pixel: no room below
        start = lo + (hi - lo) * g.random(n)
        start[0] = 0.0
        target = start + g.normal(0, 0.8, n)
        target[1] = hi[1] + 1e-6  # a violation below tol: ignored, then clipped
        tol = 1e-4
        out = feasible_in_subspace(
            torch.tensor(target)[None],
            2.0,
            1e9,
            torch.tensor(lo)[None],
            torch.tensor(hi)[None],
            torch.tensor(start)[None],
            tol=tol,
        )[0].numpy()
        t = _segment_brute_force(target, lo, hi, start, tol)
        expect = np.clip(start + t * (target - start), lo, hi)
        assert np.abs(out - expect).max() < 2e-5 * max(1.0, np.abs(target - start).max())


@pytest.mark.parametrize("p", [2.0, math.inf])
def test_projector_output_is_feasible_and_warm_start_is_cheaper(p):
    basis, lo, hi, y = _instance(5, n=40, k=10, B=8)
    eps = 0.5 if p == 2.0 else 0.1
    proj = SubspaceProjector(basis, p, eps, lo, hi, tol=1e-6, rounds=2000)
    d = proj(y)
    assert torch.all(d >= lo) and torch.all(d <= hi)
    assert torch.all(lp_norm(d, p) <= eps * (1 + 1e-9))
    resid = d - (d @ basis) @ basis.T
    assert float(resid.abs().max()) <= 1e-6
    cold = proj.total_rounds
    # a nearby point, warm-started from the state the first call left
    proj.total_rounds = 0
    proj(y + 1e-3 * torch.randn(y.shape, generator=torch.Generator().manual_seed(9), dtype=y.dtype))
    assert proj.total_rounds < cold


def test_select_keeps_rows():
    basis, lo, hi, y = _instance(3, B=5)
    proj = SubspaceProjector(basis, 2.0, 0.5, lo, hi)
    proj(y)
    keep = torch.tensor([True, False, True, False, True])
    proj.select(keep)
    assert proj.w.shape[0] == 3 and proj.lo.shape[0] == 3
    assert proj(y[keep]).shape == (3, y.shape[1])


def test_feasible_segment_moves_as_far_as_the_box_allows():
    lo = torch.tensor([[-0.2, -1.0]], dtype=torch.float64)
    hi = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    start = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    target = torch.tensor([[-0.4, 0.4]], dtype=torch.float64)  # leaves the box through lo[0] halfway
    out = feasible_in_subspace(target, 2.0, 10.0, lo, hi, start, tol=1e-9)
    assert torch.allclose(out, torch.tensor([[-0.2, 0.2]], dtype=torch.float64))
    # from 0 without a start: same segment
    assert torch.allclose(feasible_in_subspace(target, 2.0, 10.0, lo, hi, None, tol=1e-9), out)
    # and the ball: a point outside is rescaled onto it first
    out = feasible_in_subspace(torch.tensor([[0.0, 3.0]], dtype=torch.float64), 2.0, 0.5, lo, hi, start)
    assert torch.allclose(out, torch.tensor([[0.0, 0.5]], dtype=torch.float64))
