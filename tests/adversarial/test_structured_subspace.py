"""The structured (Hartley) subspace kind, the unboxed PGD variant and the bootstrap interval of
the collapse exponent."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from workbench_adversarial.core.bases import HartleyBasis, hartley
from workbench_adversarial.core.norms import lp_norm
from workbench_adversarial.core.pgd import PGDConfig, pgd_attack
from workbench_adversarial.core.subspace import build_subspace, realised_dim
from workbench_adversarial.core.sweep import SweepCell, SweepTable, collapse_coordinate, exponent_interval


@pytest.mark.parametrize("n", [7, 12, 48])
def test_hartley_transform_matches_the_cas_matrix(n):
    """H_jk = cas(2 pi j k / n) / sqrt(n) (Bracewell), built entry by entry: an independent oracle."""
    j = np.arange(n)
    arg = 2 * np.pi * np.outer(j, j) / n
    H = (np.cos(arg) + np.sin(arg)) / np.sqrt(n)
    y = torch.randn(3, n, dtype=torch.float64, generator=torch.Generator().manual_seed(n))
    assert np.allclose(hartley(y).numpy(), y.numpy() @ H.T, atol=1e-12)
    assert np.allclose(H @ H, np.eye(n), atol=1e-12)  # its own inverse, so orthogonal and symmetric


@pytest.mark.parametrize("n,k", [(11, 1), (48, 17), (108, 108), (3072, 60)])
def test_hartley_basis_is_orthonormal_and_its_products_are_u_and_u_transpose(n, k):
    b = HartleyBasis.draw(n, k, torch.Generator().manual_seed(k), dtype=torch.float64)
    U = b.dense()
    assert U.shape == (n, k)
    assert torch.allclose(U.T @ U, torch.eye(k, dtype=torch.float64), atol=1e-12)
    g = torch.Generator().manual_seed(1)
    z = torch.randn(4, k, dtype=torch.float64, generator=g)
    y = torch.randn(4, n, dtype=torch.float64, generator=g)
    assert torch.allclose(b.expand(z), z @ U.T, atol=1e-12)
    assert torch.allclose(b.coef(y), y @ U, atol=1e-12)
    assert torch.allclose(b.project(b.project(y)), b.project(y), atol=1e-12)  # a projection
    if k < n <= 108:  # a k-dimensional subspace: the projection has rank k
        assert int(torch.linalg.matrix_rank(b.project(torch.eye(n, dtype=torch.float64)))) == k


def test_hartley_subspace_kind():
    shape = (3, 4, 4)
    sub = build_subspace("hartley", shape, 20, 5, torch.Generator().manual_seed(0))
    assert sub.dim == realised_dim("hartley", shape, 20) == 20 and sub.mask is None
    U = sub.basis_matrix()
    v = torch.randn(5, *shape)
    assert torch.allclose(sub.restrict(v).reshape(5, -1), v.reshape(5, -1) @ U @ U.T, atol=1e-5)
    assert float(sub.residual(sub.restrict(v)).max()) < 1e-5


class _Recorder(nn.Module):
    """A small real CNN that keeps every input batch PGD feeds it."""

    def __init__(self, shape: tuple[int, int, int]) -> None:
        super().__init__()
        torch.manual_seed(0)
        C, H, W = shape
        self.net = nn.Sequential(nn.Conv2d(C, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * H * W, 4))
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        return self.net(x)


@pytest.mark.parametrize("kind", ["hartley", "orthonormal"])
@pytest.mark.parametrize("p,eps", [(2.0, 1.0), (math.inf, 0.1)])
@pytest.mark.parametrize("box", ["exact", "none"])
def test_every_iterate_lies_in_v_ball_and_box(kind, p, eps, box):
    shape = (3, 6, 6)
    B = 12
    g = torch.Generator().manual_seed(5)
    x = torch.rand((B,) + shape, generator=g)
    x[:, 0, :2] = 0.0  # saturated pixels: the box binds
    x[:, 1, -1] = 1.0
    y = torch.randint(0, 4, (B,), generator=g)
    model = _Recorder(shape).eval()
    sub = build_subspace(kind, shape, 30, B, torch.Generator().manual_seed(2))
    cfg = PGDConfig(p=p, eps=eps, steps=4, early_stop=False, box=box)
    pgd_attack(model, x, y, cfg, sub, seed=1)
    assert len(model.seen) == 1 + cfg.steps + 1  # clean, the iterates, the final judgement
    moved = 0.0
    for xa in model.seen:
        delta = (xa - x).reshape(B, -1)
        assert torch.all(lp_norm(delta, p) <= eps * (1 + 1e-5))
        assert float(sub.residual(delta).max()) <= 1e-3  # in V (ortho.SNAP_TOL per coordinate)
        if box == "exact":
            assert xa.min() >= 0.0 and xa.max() <= 1.0
        moved = max(moved, float(delta.abs().max()))
    assert moved > 0.01
    if box == "none":  # the unboxed variant uses the room outside [0, 1]
        last = model.seen[-1]
        assert last.min() < 0.0 or last.max() > 1.0


def test_unboxed_full_space_attack_reaches_the_linear_optimum_outside_the_box():
    """A linear score <w, x> at x = 0 with w < 0 everywhere: in the box no perturbation raises
    it (every improving direction leaves [0, 1]); unboxed, PGD reaches eps ||w||_2 (Hoelder)."""
    n = 16
    w = -torch.rand(n, dtype=torch.float64) - 0.1
    lin = nn.Linear(n, 2, bias=False).double()
    with torch.no_grad():
        lin.weight.zero_()
        lin.weight[1] = w
    model = nn.Sequential(nn.Flatten(), lin).eval()
    x = torch.zeros(3, 1, 4, 4, dtype=torch.float64)
    y = torch.zeros(3, dtype=torch.long)
    eps = 0.5
    for box, expect in (("exact", 0.0), ("none", eps * float(w.norm()))):
        cfg = PGDConfig(p=2.0, eps=eps, steps=5, random_start=False, early_stop=False, box=box)
        out = pgd_attack(model, x, y, cfg)
        change = (out.adv_logits[:, 1] - out.clean_logits[:, 1]).numpy()
        assert np.allclose(change, expect, atol=1e-9), (box, change, expect)


def _synthetic_table(exponent: float, n_inputs: int = 400, seed: int = 0):
    """A sweep whose success is exactly 1[eps (dim/n)^exponent > t_i], thresholds t_i ~ U(0.1, 1)."""
    n = 1000
    dims = [50, 100, 200, 500, 1000]
    eps_values = np.geomspace(0.05, 20.0, 12)
    t = np.random.default_rng(seed).uniform(0.1, 1.0, n_inputs)
    table = SweepTable("synthetic", 2.0, 2.0, "pixels", n, n_inputs, n_inputs, 1.0, 1, 2.5, "wilson")
    outcomes = []
    for d in dims:
        for e in eps_values:
            hit = e * (d / n) ** exponent > t
            outcomes.append(hit)
            k = int(hit.sum())
            c = float(collapse_coordinate(e, d, n, 2.0))
            table.cells.append(SweepCell(d, d, float(e), k, n_inputs, k / n_inputs, 0, 1, c, math.nan, 0.0))
    return table, outcomes


@pytest.mark.parametrize("exponent", [0.5, 0.8])
def test_exponent_interval_finds_the_exponent_that_collapses_the_curves(exponent):
    table, outcomes = _synthetic_table(exponent)
    ci = exponent_interval(table, outcomes, n_boot=40, seed=1)
    assert ci.exponent == pytest.approx(exponent, abs=0.025)
    assert ci.low - 0.025 <= exponent <= ci.high + 0.025
    assert ci.high - ci.low <= 0.1 and ci.n_boot == 40
    # a wrong exponent lies outside the interval
    assert not ci.low <= exponent + 0.3 <= ci.high
    with pytest.raises(ValueError, match="outcome arrays"):
        exponent_interval(table, outcomes[:-1])


def test_shipped_realistic_model_loads_and_has_its_recorded_accuracy():
    """textures-resnet: a checkpoint stored as float16, loaded into the float32 architecture;
    its accuracy on the first 400 generated test images is near the 91 % its provenance records
    (the whole split is timed out of this test: 2,000 images of a 1.2 M-parameter CNN)."""
    from workbench_adversarial.core.data import load_dataset
    from workbench_adversarial.core.training import accuracy
    from workbench_adversarial.core.zoo import ModelRef, load_model_ref, model_names

    assert "textures-resnet" in model_names()
    lm = load_model_ref(ModelRef(name="textures-resnet"))
    prov = lm.info["provenance"]
    assert prov["stored_dtype"] == "float16" and prov["command"].endswith("--only textures-resnet")
    assert 1_000_000 <= sum(p.numel() for p in lm.model.parameters()) <= 1_500_000
    assert all(p.dtype == torch.float32 for p in lm.model.parameters())
    split = load_dataset("textures")
    assert split.shape == (3, 32, 32) and split.num_classes == 10
    assert prov["test_accuracy"] > 0.9
    acc = accuracy(lm.model, split.x_test[:400], split.y_test[:400])
    assert acc > 0.85
