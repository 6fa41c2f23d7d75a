"""The benchmark's pieces (``workbench equivariant bench``): the fitted growth exponent, the
dense anchors computing the same map as the layer, and the command's output at tiny sizes."""

from __future__ import annotations

import json
import math

import torch

from workbench_equivariant.core.benchmark import _dense_step, dense_orbit_basis, growth_exponent
from workbench_equivariant.core.layer import EquivariantLinear


def test_growth_exponent_recovers_a_power_law():
    rows = [(n, 3e-4 * n**2.5) for n in (16, 32, 64, 128)]
    assert math.isclose(growth_exponent(rows), 2.5, rel_tol=1e-9)
    assert math.isnan(growth_exponent(rows[:1]))


def test_dense_anchor_is_the_same_map_and_gradient_as_the_layer():
    torch.manual_seed(0)
    for k in (2, 3):
        n, b, c = 4, 2, 3
        layer = EquivariantLinear(k, k, c, c, bias=False)
        coeffs = layer.orbit_coefficients().detach().clone().requires_grad_()
        x = torch.randn(b, c, *(n,) * k, requires_grad=True)
        g = torch.randn(b, c, *(n,) * k)
        (layer(x) * g).sum().backward()
        gx = x.grad.clone()
        x.grad = None
        _dense_step(dense_orbit_basis(k, k, n), coeffs, x, g, k, k)
        assert torch.allclose(x.grad, gx, atol=1e-4)


def test_bench_command_prints_ratios_and_exponents(capsys):
    from workbench.cli import main

    rc = main(
        ["equivariant", "bench", "--n", "4", "6", "--n3", "3", "--batch", "2", "--channels", "2",
         "--batch3", "1", "--channels3", "2", "--dense-elements3", "5", "--threads", "1", "--json"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0
    assert "Maron/ours" in out and "dense/ours" in out and "5 of 203 elements timed" in out
    doc = json.loads(out.strip().splitlines()[-1])
    assert set(doc["seconds"]) == {"ours 2->2", "Maron 2->2", "dense 2->2", "ours 3->3", "dense 3->3"}
    assert set(doc["seconds"]["ours 2->2"]) == {"4", "6"} and "ours 2->2" in doc["growth_exponent"]
