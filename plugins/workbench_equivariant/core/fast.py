"""Multiplication by a diagram basis element without materialising it (Godfrey, Rawson, Brown,
Kvinge, arXiv 2303.06208, §5; Pearce-Crump, arXiv 2304.14165, §6 for S_n).

D_π factorises over its blocks, so y = D_π x is computed in two steps, never forming the
n^l x n^k matrix:

1. *contract* (:func:`contract`): read x on the diagonal of every block that has input points
   (x[..., i, i, ...] for input axes in one block), and sum over the blocks with no output
   point (top-only).  One ``einsum`` with repeated subscripts; the result has one axis of
   length n per propagating block.  Cost O(n^k) (a read of x), output n^p.
2. *place* (:func:`place`): write that onto the output's diagonals: the axes of each
   propagating block are all set to the block's index, and the output is constant along each
   bottom-only block (a broadcast).  Done by adding into an ``as_strided`` view of the output
   whose stride along a block is the sum of the strides of its axes.  Cost O(n^(#bottom blocks)).

The cost of one element is O(n^k + n^(#bottom blocks)) instead of the O(n^(k + l)) of a dense
product (paper, Thm. 5.5).  Tensors carry leading batch axes (batch, channel, ...) untouched.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import torch

from .partitions import Diagram

_LETTERS = string.ascii_letters


@dataclass(frozen=True)
class DiagramPlan:
    """How one diagram acts, precomputed.

    ``contract_blocks``: the blocks with input points, each as its input axes; ``kept``: for each
    of them, whether it propagates (its axis survives contraction), in the order of
    ``contract_blocks``; ``out_blocks``: the blocks with output points, each as its output axes,
    in order of their first output axis; ``out_source``: for each out block, the position of
    its axis among the contraction's kept axes, or -1 for a bottom-only block."""

    k: int
    l: int  # noqa: E741
    contract_blocks: tuple[tuple[int, ...], ...]
    kept: tuple[bool, ...]
    out_blocks: tuple[tuple[int, ...], ...]
    out_source: tuple[int, ...]

    @classmethod
    def of(cls, d: Diagram) -> DiagramPlan:
        with_top = [b for b in d.blocks if d.top(b)]
        contract_blocks = tuple(d.top(b) for b in with_top)
        kept = tuple(bool(d.bottom(b)) for b in with_top)
        kept_blocks = [b for b in with_top if d.bottom(b)]
        with_bottom = sorted((b for b in d.blocks if d.bottom(b)), key=lambda b: d.bottom(b)[0])
        out_blocks = tuple(d.bottom(b) for b in with_bottom)
        out_source = tuple(kept_blocks.index(b) if d.top(b) else -1 for b in with_bottom)
        return cls(d.k, d.l, contract_blocks, kept, out_blocks, out_source)

    @property
    def contract_key(self) -> tuple:
        """Diagrams with equal keys contract the input identically (same kept axes, same order)."""
        return (self.contract_blocks, self.kept)

    @property
    def place_key(self) -> tuple:
        """Diagrams with equal keys place their (reordered) contraction identically."""
        return (self.out_blocks, tuple(s >= 0 for s in self.out_source))

    @property
    def kept_order(self) -> tuple[int, ...]:
        """The permutation of the kept axes into the order of the output blocks that use them."""
        return tuple(s for s in self.out_source if s >= 0)


def check_input(x: torch.Tensor, k: int, n: int | None) -> tuple[int, int]:
    """(number of leading batch axes, n) of an input with k trailing tensor axes of length n."""
    if x.ndim < k:
        raise ValueError(f"input has {x.ndim} axes; an order-{k} input needs at least {k} (..., n x {k})")
    lead = x.ndim - k
    sizes = set(x.shape[lead:])
    if len(sizes) > 1:
        raise ValueError(f"the last {k} axes of the input must have one length n, got {tuple(x.shape[lead:])}")
    if k:
        n_x = int(x.shape[-1])
        if n is not None and n != n_x:
            raise ValueError(f"n = {n} but the input's tensor axes have length {n_x}")
        n = n_x
    if n is None or n < 1:
        raise ValueError("n (the set size) must be given, as a positive integer, for an order-0 input")
    return lead, n


def contract(x: torch.Tensor, plan: DiagramPlan, lead: int) -> torch.Tensor:
    """Step 1: x (lead batch axes + k axes) -> lead axes + one axis per propagating block
    (in the order of ``plan.contract_blocks``): block diagonals read, top-only blocks summed."""
    if plan.k == 0:
        return x
    batch = _LETTERS[:lead]
    sub = [""] * plan.k
    out = batch
    for i, (axes, keep) in enumerate(zip(plan.contract_blocks, plan.kept, strict=True)):
        letter = _LETTERS[lead + i]
        for a in axes:
            sub[a] = letter
        if keep:
            out += letter
    return torch.einsum(f"{batch}{''.join(sub)}->{out}", x)


def add_on_diagonals(t: torch.Tensor, out_blocks: tuple[tuple[int, ...], ...], out: torch.Tensor) -> torch.Tensor:
    """Add t (batch axes, then one axis of length n or 1 per block of output axes) onto the
    diagonals of ``out`` (batch axes, then l axes of length n, contiguous) in place: entry
    (b, i_1, ..., i_r) of t goes to every output index whose axes in block j equal i_j (a
    broadcast where t's axis has length 1).  Returns ``out``."""
    lead = out.ndim - sum(len(b) for b in out_blocks)
    n = out.shape[-1] if out.ndim > lead else 1
    strides = out.stride()
    size = list(out.shape[:lead]) + [n] * len(out_blocks)
    stride = list(strides[:lead]) + [sum(strides[lead + a] for a in axes) for axes in out_blocks]
    out.as_strided(size, stride, out.storage_offset()).add_(t)
    return out


def place(y: torch.Tensor, plan: DiagramPlan, n: int, out: torch.Tensor) -> torch.Tensor:
    """Step 2: add y (batch axes + the kept axes in output-block order) onto the output's
    diagonals: ``out`` (batch axes + l axes of length n, contiguous) is updated in place and
    returned.  Bottom-only blocks are broadcast."""
    if plan.l == 0:
        return out.add_(y)
    return add_on_diagonals(y.reshape(block_shape(y, plan)), plan.out_blocks, out)


def block_shape(y: torch.Tensor, plan: DiagramPlan) -> list[int]:
    """y's shape with a length-1 axis inserted for every bottom-only block (y: batch axes + the
    kept axes in output-block order), so it broadcasts against one axis per output block."""
    lead = y.ndim - len(plan.kept_order)
    shape = list(y.shape[:lead])
    src = lead
    for s in plan.out_source:
        if s >= 0:
            shape.append(y.shape[src])
            src += 1
        else:
            shape.append(1)
    return shape


def apply_diagram(d: Diagram, x: torch.Tensor, n: int | None = None) -> torch.Tensor:
    """y = D_π x for a batch: x has leading batch axes then k axes of length n; y has the same
    batch axes then l axes of length n.  ``n`` is needed only when k = 0."""
    plan = DiagramPlan.of(d)
    lead, n = check_input(x, d.k, n)
    y = contract(x, plan, lead)
    y = y.permute(*range(lead), *(lead + a for a in plan.kept_order))
    out = x.new_zeros((*x.shape[:lead], *(n,) * d.l))
    return place(y, plan, n, out)
