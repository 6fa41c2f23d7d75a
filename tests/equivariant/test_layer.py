"""EquivariantLinear: equivariance for every (k, l) with k + l <= 6, agreement with the dense
diagram and orbit bases, Maron et al.'s 15 operations, and the dependent diagrams at n < k + l."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench_equivariant.core.layer import EquivariantLinear
from workbench_equivariant.core.maron import MaronLayer2to2, maron_ops_2_to_2
from workbench_equivariant.core.materialise import basis_matrices
from workbench_equivariant.core.partitions import change_of_basis, diagrams

ALL_ORDERS = [(k, l) for k in range(7) for l in range(7) if 1 <= k + l <= 6]  # noqa: E741


def permute(t: torch.Tensor, g: torch.Tensor, lead: int = 2) -> torch.Tensor:
    for axis in range(lead, t.ndim):
        t = t.index_select(axis, g)
    return t


def dense_layer(layer: EquivariantLinear, x: torch.Tensor, n: int, kind: str = "diagram", coeffs=None) -> np.ndarray:
    """The layer computed with the materialised basis (float64): Σ_π Σ_c W[π,c,d] (A_π x_c)."""
    A = basis_matrices(layer.k, layer.l, n, kind)
    W = layer.weight.detach().double().numpy() if coeffs is None else coeffs
    xf = x.detach().double().reshape(x.shape[0], x.shape[1], -1).numpy()
    out = np.einsum("pji,pcd,bci->bdj", A, W, xf)
    if layer.bias is not None:
        B = basis_matrices(0, layer.l, n, "diagram")[:, :, 0]
        out = out + np.einsum("pj,pd->dj", B, layer.bias.detach().double().numpy())[None]
    return out.reshape(x.shape[0], layer.out_channels, *(n,) * layer.l)


def randomise(layer: EquivariantLinear, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen))
        if layer.bias is not None:
            layer.bias.copy_(torch.randn(layer.bias.shape, generator=gen))


@pytest.mark.parametrize("kl", ALL_ORDERS)
def test_equivariance_float32_every_order_up_to_six(kl):
    k, l = kl  # noqa: E741
    n = 5
    gen = torch.Generator().manual_seed(100 + 7 * k + l)
    layer = EquivariantLinear(k, l, 3, 2)
    randomise(layer, 7 * k + l)
    x = torch.randn(2, 3, *(n,) * k, generator=gen)
    y = layer(x, n=n)
    assert y.shape == (2, 2, *(n,) * l) and y.dtype == torch.float32
    for _ in range(3):
        g = torch.randperm(n, generator=gen)
        err = (layer(permute(x, g), n=n) - permute(y, g)).abs().max() / y.abs().max()
        assert err < 1e-5, (kl, float(err))
    # and a non-equivariant perturbation is detected: the check can fail
    if k >= 1 and l >= 1:
        g = torch.tensor([1, 0, 2, 3, 4])
        xp = x.clone()
        xp[(0, 0, *(0,) * k)] += 1.0
        assert (layer(permute(xp, g), n=n) - permute(layer(x, n=n), g)).abs().max() > 1e-3


@pytest.mark.parametrize("kl", [(2, 2), (1, 3), (3, 1), (0, 2), (2, 0), (1, 1), (3, 2)])
def test_layer_equals_the_dense_diagram_and_orbit_bases(kl):
    k, l = kl  # noqa: E741
    layer = EquivariantLinear(k, l, 2, 3).double()
    randomise(layer, 3)
    for n in (2, 3, 4):
        x = torch.randn(2, 2, *(n,) * k, dtype=torch.float64)
        y = layer(x, n=n).detach().numpy()
        np.testing.assert_allclose(y, dense_layer(layer, x, n), atol=1e-10)
        # the same map in the orbit basis: a = C^T W
        a = layer.orbit_coefficients().detach().numpy()
        np.testing.assert_allclose(y, dense_layer(layer, x, n, "orbit", a), atol=1e-10)


def test_orbit_coefficients_round_trip():
    layer = EquivariantLinear(2, 2, 2, 2).double()
    a = torch.randn(15, 2, 2, dtype=torch.float64)
    layer.set_orbit_coefficients(a)
    torch.testing.assert_close(layer.orbit_coefficients(), a)
    C, M = change_of_basis(2, 2)
    assert not np.array_equal(C, np.eye(15))  # the two bases differ: the round trip is not trivial


def test_two_to_two_is_maron_et_al_up_to_the_change_of_basis():
    """Each of Maron's 15 hand-written operations is exactly one diagram basis element (found by
    materialising both at n = 4), the matching is a bijection, and a Maron layer with random
    coefficients equals EquivariantLinear(2, 2) with the coefficients carried over."""
    n = 4
    eye = torch.eye(n * n, dtype=torch.float64).reshape(n * n, 1, n, n)
    ops = maron_ops_2_to_2(eye)[:, 0].reshape(n * n, 15, n * n).permute(1, 2, 0).numpy()  # op, out, in
    D = basis_matrices(2, 2, n, "diagram")
    X = basis_matrices(2, 2, n, "orbit")
    C, _ = change_of_basis(2, 2)
    match = []
    for s in range(15):
        hits = [p for p in range(15) if np.array_equal(ops[s], D[p])]
        assert len(hits) == 1, s
        match.append(hits[0])
        # the op's orbit expansion: the coarsenings of its diagram
        np.testing.assert_array_equal(ops[s], np.einsum("j,jab->ab", C[hits[0]], X))
    assert sorted(match) == list(range(15))

    maron = MaronLayer2to2(3, 2).double()
    ours = EquivariantLinear(2, 2, 3, 2).double()
    with torch.no_grad():
        for s, p in enumerate(match):
            ours.weight[p] = maron.coeffs[:, :, s]
        maron.diag_bias.normal_()  # type: ignore[union-attr]
        maron.all_bias.normal_()  # type: ignore[union-attr]
        ds0 = diagrams(0, 2)  # ({1,2}: the diagonal, {1}{2}: all entries), by number of blocks
        ours.bias[0] = maron.diag_bias.flatten()  # type: ignore[index, union-attr]
        ours.bias[1] = maron.all_bias.flatten()  # type: ignore[index, union-attr]
    assert [d.num_blocks for d in ds0] == [1, 2]
    for m in (3, 6):
        x = torch.randn(4, 3, m, m, dtype=torch.float64)
        torch.testing.assert_close(ours(x), maron(x), atol=1e-10, rtol=1e-10)


def test_dependent_diagrams_below_k_plus_l():
    """At n = 2 the 2 -> 2 diagram basis has rank 8 of 15: a weight vector that is the orbit
    element of a 3-block partition gives the zero map at n = 2 but not at n = 3 (the same weights
    mean different maps at different n only through which orbit elements vanish)."""
    layer = EquivariantLinear(2, 2, 1, 1, bias=False).double()
    ds = diagrams(2, 2)
    three = next(i for i, d in enumerate(ds) if d.num_blocks == 3)
    a = torch.zeros(15, 1, 1, dtype=torch.float64)
    a[three] = 1.0
    layer.set_orbit_coefficients(a)
    assert layer.weight.abs().sum() > 1  # several diagram coefficients, cancelling at n = 2
    x2 = torch.randn(3, 1, 2, 2, dtype=torch.float64)
    assert layer(x2).abs().max() < 1e-12
    x3 = torch.randn(3, 1, 3, 3, dtype=torch.float64)
    assert layer(x3).abs().max() > 1e-3


def test_mean_aggregation_is_equivariant_and_rescales_sums():
    layer = EquivariantLinear(2, 0, 1, 1, bias=False, aggregation="mean").double()
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[1] = 1.0  # {1}{2}: the sum of all entries, divided by n^2: the mean
    assert diagrams(2, 0)[1].num_blocks == 2
    x = torch.randn(2, 1, 7, 7, dtype=torch.float64)
    torch.testing.assert_close(layer(x)[:, 0], x.mean(dim=(-1, -2))[:, 0])


def test_gradcheck_full_layer():
    layer = EquivariantLinear(2, 2, 2, 2).double()
    x = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t, w, b: torch.func.functional_call(layer, {"weight": w, "bias": b}, (t,)),
        (x, layer.weight.detach().clone().requires_grad_(), layer.bias.detach().clone().requires_grad_()),
    )  # type: ignore[union-attr]


def test_bad_inputs_are_refused():
    layer = EquivariantLinear(2, 1, 3, 2)
    with pytest.raises(ValueError, match="input must have shape"):
        layer(torch.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="one length n"):
        layer(torch.zeros(2, 3, 5, 4))
    with pytest.raises(ValueError, match="in_channels"):
        EquivariantLinear(1, 1, 0, 2)
    with pytest.raises(ValueError, match="aggregation"):
        EquivariantLinear(1, 1, 1, 2, aggregation="max")
    with pytest.raises(ValueError, match="must be given"):
        EquivariantLinear(0, 2, 1, 1)(torch.zeros(2, 1))
