"""The fast multiplication (arXiv 2303.06208) against the materialised diagram basis."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench_equivariant.core.fast import apply_diagram
from workbench_equivariant.core.materialise import diagram_matrix
from workbench_equivariant.core.partitions import Diagram, diagrams

ORDERS = [(k, l) for k in range(0, 5) for l in range(0, 5) if 1 <= k + l <= 5]  # noqa: E741


@pytest.mark.parametrize("kl", ORDERS)
def test_every_diagram_equals_its_dense_matrix(kl):
    k, l = kl  # noqa: E741
    n = 3
    gen = torch.Generator().manual_seed(k * 10 + l)
    x = torch.randn(2, 3, *(n,) * k, dtype=torch.float64, generator=gen)
    xf = x.reshape(6, -1).numpy()
    for d in diagrams(k, l):
        y = apply_diagram(d, x, n=n)
        assert y.shape == (2, 3, *(n,) * l)
        dense = (xf @ diagram_matrix(d, n).T).reshape(y.shape)
        np.testing.assert_allclose(y.numpy(), dense, rtol=0, atol=1e-12, err_msg=d.label())


def test_a_larger_n_and_three_batch_axes():
    d = Diagram.from_blocks(3, 2, [[0, 3], [1, 2], [4]])  # x[i, j, j] summed over j, copied to (i, *)
    n = 5
    x = torch.randn(2, 2, 2, n, n, n, dtype=torch.float64)
    y = apply_diagram(d, x)
    ref = torch.einsum("abcijj->abci", x)[..., None].expand(2, 2, 2, n, n)
    torch.testing.assert_close(y, ref)
    dense = (x.reshape(8, -1).numpy() @ diagram_matrix(d, n).T).reshape(y.shape)
    np.testing.assert_allclose(y.numpy(), dense, atol=1e-12)


def test_gradients_flow_through_the_placement():
    d = Diagram.from_blocks(2, 2, [[0, 2, 3], [1]])  # row sums placed on the diagonal
    x = torch.randn(1, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: apply_diagram(d, t), (x,))


def test_bad_inputs_are_refused():
    d = Diagram.from_blocks(2, 1, [[0, 1, 2]])
    with pytest.raises(ValueError, match="one length n"):
        apply_diagram(d, torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="must be given"):
        apply_diagram(Diagram.from_blocks(0, 1, [[0]]), torch.zeros(2))
