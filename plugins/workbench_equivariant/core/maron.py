"""Maron, Ben-Hamu, Shamir, Lipman, "Invariant and Equivariant Graph Networks" (ICLR 2019): the
hand-written 2 -> 2 layer of their code (``ops_2_to_2`` in invariant-graph-networks,
``layers/equivariant_linear.py``), transcribed to torch without normalisation.  It is the
independent reference of the tests (:class:`~.layer.EquivariantLinear` at k = l = 2 must equal it
up to the change of basis) and the "hand-written" anchor of the benchmark.

Each of the 15 operations is a diagram basis element (a sum of orbit elements, as their code's
comments list); the tests establish which one by materialising both."""

from __future__ import annotations

import math

import torch
from torch import nn

MARON_OP_NAMES = (
    "diag -> diag",
    "sum of diag -> diag",
    "row sums -> diag",
    "column sums -> diag",
    "sum of all -> diag",
    "column sums -> rows",
    "row sums -> rows",
    "column sums -> columns",
    "row sums -> columns",
    "identity",
    "transpose",
    "diag -> rows",
    "diag -> columns",
    "sum of diag -> all",
    "sum of all -> all",
)


def maron_ops_2_to_2(x: torch.Tensor) -> torch.Tensor:
    """The 15 basis operations on x of shape (batch, channels, n, n): (batch, channels, 15, n, n)."""
    n = x.shape[-1]
    diag = torch.diagonal(x, dim1=-2, dim2=-1)  # b c n
    sum_diag = diag.sum(-1, keepdim=True)  # b c 1
    rows = x.sum(-1)  # b c n: row sums
    cols = x.sum(-2)  # b c n: column sums
    total = rows.sum(-1, keepdim=True)  # b c 1
    ops = [
        torch.diag_embed(diag),
        torch.diag_embed(sum_diag.expand_as(diag)),
        torch.diag_embed(rows),
        torch.diag_embed(cols),
        torch.diag_embed(total.expand_as(diag)),
        cols.unsqueeze(-1).expand(-1, -1, n, n),
        rows.unsqueeze(-1).expand(-1, -1, n, n),
        cols.unsqueeze(-2).expand(-1, -1, n, n),
        rows.unsqueeze(-2).expand(-1, -1, n, n),
        x,
        x.transpose(-1, -2),
        diag.unsqueeze(-1).expand(-1, -1, n, n),
        diag.unsqueeze(-2).expand(-1, -1, n, n),
        sum_diag.unsqueeze(-1).expand(-1, -1, n, n),
        total.unsqueeze(-1).expand(-1, -1, n, n),
    ]
    return torch.stack(ops, dim=2)


class MaronLayer2to2(nn.Module):
    """Maron et al.'s 2 -> 2 equivariant layer: ``y = einsum('bcsij,cds->bdij', ops(x), coeffs)``
    plus a diagonal and an all-entries bias per output channel (their ``equi_2_to_2``)."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__()
        self.coeffs = nn.Parameter(torch.randn(in_channels, out_channels, 15) / math.sqrt(15 * in_channels))
        self.diag_bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1)) if bias else None
        self.all_bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.einsum("bcsij,cds->bdij", maron_ops_2_to_2(x), self.coeffs)
        if self.diag_bias is not None and self.all_bias is not None:
            eye = torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)
            y = y + self.all_bias + self.diag_bias * eye
        return y
