"""``EquivariantLinear``: the general S_n-equivariant linear layer (R^n)^{⊗k} ⊗ R^{c_in} ->
(R^n)^{⊗l} ⊗ R^{c_out} with one learnable coefficient per diagram and channel pair,

    y[b, d, J] = Σ_π Σ_c W[π, c, d] (D_π x[b, c])[J]  +  Σ_ρ β[ρ, d] (D_ρ 1)[J],

over the Bell(k + l) diagrams π of k + l points (:func:`~.partitions.diagrams`) and, for the
bias, the Bell(l) diagrams ρ of maps R -> (R^n)^{⊗l} (Maron et al. 2019's "diagonal" and
"all" biases for l = 2).  The weights do not depend on n: one layer applies to sets or graphs
of any size (Godfrey et al. 2023; Pearce-Crump 2022).

At n >= k + l the Bell(k + l) diagram elements are linearly independent (a basis).  At
n < k + l the diagrams with more than n blocks are linear combinations of the others (the
space has dimension Σ_{j<=n} S(k+l, j)), so the layer is over-parameterised there: it is
still exactly equivariant and still spans the whole space, but different W give the same map.
Nothing is dropped, so the same weights keep their meaning at every n.

Computation: all elements of a layer are evaluated with :mod:`.fast`, batched:
contractions shared between diagrams are computed once, the channel mixing is done on the
contracted (small) tensors, and diagrams that place onto the same output diagonals are stacked
and mixed in one matrix product before one placement.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

from .fast import DiagramPlan, add_on_diagonals, block_shape, check_input, contract
from .partitions import change_of_basis, check_orders, diagrams

AGGREGATIONS = ("sum", "mean")


class EquivariantLinear(nn.Module):
    """S_n-equivariant linear layer from order-k to order-l tensors with channels.

    Input ``(batch, in_channels, n, ..., n)`` with k axes of length n (``(batch, in_channels)``
    for k = 0, then give ``n=``); output ``(batch, out_channels, n, ..., n)`` with l axes.
    ``weight``: ``(Bell(k+l), in_channels, out_channels)`` in the order of ``self.diagrams``;
    ``bias``: ``(Bell(l), out_channels)`` in the order of ``self.bias_diagrams``.

    ``aggregation="sum"`` is the diagram basis exactly; ``"mean"`` divides each diagram's
    output by n^t (t: its number of top-only blocks, the summed-out indices), a different
    equivariant map at each n whose scale does not grow with n (Maron et al.'s normalisation)."""

    def __init__(
        self,
        k: int,
        l: int,  # noqa: E741
        in_channels: int,
        out_channels: int,
        bias: bool = True,
        aggregation: str = "sum",
    ) -> None:
        super().__init__()
        check_orders(k, l, max_points=8)
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        self.k, self.l = int(k), int(l)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.aggregation = aggregation
        self.diagrams = diagrams(self.k, self.l)
        self.bias_diagrams = diagrams(0, self.l)
        self.weight = nn.Parameter(torch.empty(len(self.diagrams), in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(len(self.bias_diagrams), out_channels)) if bias else None
        self._plans = [DiagramPlan.of(d) for d in self.diagrams]
        self._bias_plans = [DiagramPlan.of(d) for d in self.bias_diagrams]
        self._top_only = torch.tensor([len(d.top_only) for d in self.diagrams], dtype=torch.float64)
        # diagrams grouped by the partition of their output axes (β), and within it by the
        # placement (which of β's blocks propagate): one channel mix per placement, one
        # write onto the output's diagonals per β
        groups: OrderedDict[tuple, OrderedDict[tuple, list[int]]] = OrderedDict()
        for i, p in enumerate(self._plans):
            groups.setdefault(p.out_blocks, OrderedDict()).setdefault(p.place_key, []).append(i)
        self._groups = [(beta, list(g.values())) for beta, g in groups.items()]
        self._bias_of = {p.out_blocks: j for j, p in enumerate(self._bias_plans)}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weights N(0, 1 / (in_channels * Bell(k + l))), biases zero."""
        nn.init.normal_(self.weight, std=1.0 / math.sqrt(self.in_channels * len(self.diagrams)))
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (
            f"k={self.k}, l={self.l}, in_channels={self.in_channels}, out_channels={self.out_channels}, "
            f"diagrams={len(self.diagrams)}, bias={self.bias is not None}, aggregation={self.aggregation!r}"
        )

    def _scaled_weight(self, n: int) -> torch.Tensor:
        if self.aggregation == "sum":
            return self.weight
        scale = (float(n) ** -self._top_only).to(self.weight)
        return self.weight * scale[:, None, None]

    def forward(self, x: torch.Tensor, n: int | None = None) -> torch.Tensor:
        if x.ndim != 2 + self.k or x.shape[1] != self.in_channels:
            raise ValueError(
                f"input must have shape (batch, {self.in_channels}" + ", n" * self.k + f"), got {tuple(x.shape)}"
            )
        _, n = check_input(x, self.k, n)
        W = self._scaled_weight(n)
        batch = x.shape[0]
        contracted: dict[tuple, torch.Tensor] = {}
        out: torch.Tensor | None = None
        for beta, placements in self._groups:
            # the sum of every diagram writing onto β's diagonals, one axis (n or 1) per block of β
            t: torch.Tensor | None = None
            for members in placements:
                parts = []
                for i in members:
                    plan = self._plans[i]
                    y = contracted.get(plan.contract_key)
                    if y is None:
                        y = contracted[plan.contract_key] = contract(x, plan, lead=2)
                    parts.append(y.permute(0, 1, *(2 + a for a in plan.kept_order)))
                kept = parts[0].shape[2:]
                # (G * c_in -> c_out) for the whole placement at once: a broadcast matmul
                # (c_out x G c_in) @ (batch, G c_in, n^p), several times faster than einsum
                stacked = torch.stack(parts, dim=1).reshape(batch, len(members) * self.in_channels, -1)
                w = W[members].reshape(len(members) * self.in_channels, self.out_channels)
                mixed = torch.matmul(w.t(), stacked).reshape(batch, self.out_channels, *kept)
                mixed = mixed.reshape(block_shape(mixed, self._plans[members[0]]))
                t = mixed if t is None else t + mixed
            if self.bias is not None:
                j = self._bias_of[beta]
                t = t + self.bias[j].reshape(1, self.out_channels, *(1,) * len(beta))  # type: ignore[operator]
            assert t is not None
            if all(len(b) == 1 for b in beta):  # no diagonal: a plain broadcast onto every entry
                full = t.expand(batch, self.out_channels, *(n,) * self.l)
                out = full.contiguous() if out is None else out + full
            else:
                if out is None:
                    out = x.new_zeros((batch, self.out_channels, *(n,) * self.l))
                add_on_diagonals(t, beta, out)
        assert out is not None
        return out

    def orbit_coefficients(self) -> torch.Tensor:
        """The weights in the orbit basis (Maron et al.'s parameterisation): ``a[σ, c, d] =
        Σ_{π ≤ σ} W[π, c, d]`` (``a = C^T W``, :func:`~.partitions.change_of_basis`); valid for
        ``aggregation="sum"``.  At n < k + l the orbit elements with more than n blocks are zero
        and their coefficients have no effect."""
        C, _ = change_of_basis(self.k, self.l)
        return torch.einsum("ps,pcd->scd", torch.as_tensor(C).to(self.weight), self.weight)

    @torch.no_grad()
    def set_orbit_coefficients(self, a: torch.Tensor) -> None:
        """Set the weights from orbit-basis coefficients ``a`` (Bell x c_in x c_out): ``W = M^T a``."""
        _, M = change_of_basis(self.k, self.l)
        self.weight.copy_(torch.einsum("sp,scd->pcd", torch.as_tensor(M).to(self.weight), a.to(self.weight)))
