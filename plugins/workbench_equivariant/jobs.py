"""Jobs of the equivariant plugin: picklable specs and ``run(spec, ctx)`` functions (Qt-free).

* :class:`CheckSpec` / :func:`run_check`: build a random :class:`EquivariantLinear` for (k, l),
  measure its equivariance error under random permutations at n, compare the fast product with
  the materialised diagram basis, and the rank of that basis against the dimension count.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.jobs import JobContext

from .core.partitions import bell, check_orders, dimension

#: the check materialises the diagram basis (Bell(k+l) x n^(k+l) entries) only up to this size
MAX_RANK_ENTRIES = 30_000_000
#: and refuses inputs or outputs with more entries than this (batch x channels x n^order)
MAX_TENSOR_ENTRIES = 20_000_000


@dataclass(frozen=True)
class CheckSpec:
    k: int
    l: int  # noqa: E741
    n: int
    seed: int = 0
    permutations: int = 3
    channels: int = 2
    batch: int = 2
    device: str = "cpu"

    def validate(self) -> None:
        check_orders(self.k, self.l, max_points=8)
        for name in ("n", "permutations", "channels", "batch"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        biggest = self.batch * self.channels * self.n ** max(self.k, self.l)
        if biggest > MAX_TENSOR_ENTRIES:
            raise ValueError(
                f"n = {self.n} with order {max(self.k, self.l)} needs tensors of {biggest:,} entries "
                f"(limit {MAX_TENSOR_ENTRIES:,}); use a smaller n"
            )


@dataclass(frozen=True)
class CheckResult:
    k: int
    l: int  # noqa: E741
    n: int
    dimension: int  # Σ_{j<=n} S(k+l, j)
    diagrams: int  # Bell(k+l): the layer's coefficients per channel pair
    equivariance_error: float  # max over permutations of max|f(g x) - g f(x)| / max|f(x)|, float32
    fast_vs_materialised_error: float | None  # max|fast - dense| / max|dense| (float64), None if too big
    rank: int | None  # rank of the materialised diagram basis, None if too big
    note: str = ""


def _permute(t, perm, lead: int):
    for axis in range(lead, t.ndim):
        t = t.index_select(axis, perm)
    return t


def run_check(spec: CheckSpec, ctx: JobContext) -> CheckResult:
    """See the module docstring.  Errors are relative to the output's largest entry."""
    import numpy as np
    import torch

    from .core.layer import EquivariantLinear
    from .core.materialise import basis_matrices

    spec.validate()
    k, l, n = spec.k, spec.l, spec.n  # noqa: E741
    device = torch.device(spec.device)
    gen = torch.Generator().manual_seed(spec.seed)
    layer = EquivariantLinear(k, l, spec.channels, spec.channels)
    with torch.no_grad():  # weights and biases from the spec's seed (no global RNG)
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) / (spec.channels * bell(k + l)) ** 0.5)
        layer.bias.copy_(torch.randn(layer.bias.shape, generator=gen))  # type: ignore[union-attr]
    layer = layer.to(device)
    x = torch.randn(spec.batch, spec.channels, *(n,) * k, generator=gen).to(device)
    with torch.no_grad():
        y = layer(x, n=n)
        scale = float(y.abs().max().clamp_min(1e-30))
        err = 0.0
        for i in range(spec.permutations):
            ctx.check_cancelled()
            ctx.progress(i / (spec.permutations + 1), f"permutation {i + 1}")
            g = torch.randperm(n, generator=gen).to(device)
            diff = layer(_permute(x, g, 2), n=n) - _permute(y, g, 2)
            err = max(err, float(diff.abs().max()) / scale)
    fast_err: float | None = None
    rank: int | None = None
    note = ""
    entries = bell(k + l) * n ** (k + l)
    if entries <= MAX_RANK_ENTRIES:
        ctx.progress(spec.permutations / (spec.permutations + 1), "materialising the diagram basis")
        A = basis_matrices(k, l, n, "diagram")  # Bell x n^l x n^k
        rank = int(np.linalg.matrix_rank(A.reshape(len(A), -1)))
        layer64 = layer.double().cpu()
        x64 = x.double().cpu()
        with torch.no_grad():
            fast = layer64(x64, n=n).reshape(spec.batch, spec.channels, -1)
            W = layer64.weight.numpy()
            xf = x64.reshape(spec.batch, spec.channels, -1).numpy()
            dense = np.einsum("pji,pcd,bci->bdj", A, W, xf)
            Bb = basis_matrices(0, l, n, "diagram")[:, :, 0]  # Bell(l) x n^l
            dense = dense + np.einsum("pj,pd->dj", Bb, layer64.bias.numpy())[None]  # type: ignore[union-attr]
        fast_err = float(np.abs(fast.numpy() - dense).max() / max(np.abs(dense).max(), 1e-300))
    else:
        note = f"rank and dense comparison skipped: the basis would have {entries:,} entries (> {MAX_RANK_ENTRIES:,})"
    ctx.progress(1.0, "done")
    return CheckResult(k, l, n, dimension(k, l, n), bell(k + l), err, fast_err, rank, note)
