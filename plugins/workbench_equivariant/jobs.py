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


#: the n of a timing chart: about two points per octave
TIMING_GRID = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)


def timing_ns(n_max: int) -> tuple[int, ...]:
    """The set sizes a timing chart up to ``n_max`` measures: :data:`TIMING_GRID` up to
    ``n_max``, and ``n_max`` itself."""
    if not isinstance(n_max, int) or isinstance(n_max, bool) or n_max < 2:
        raise ValueError(f"the largest n of the timing chart must be an integer >= 2, got {n_max!r}")
    return tuple(sorted({n for n in TIMING_GRID if n <= n_max} | {n_max}))


@dataclass(frozen=True)
class TimingSpec:
    """Time one S_n-equivariant layer (k -> l, ``channels`` -> ``channels``, batch ``batch``,
    float32, forward only, no bias) at every n of ``ns``: the fast product of the diagram basis
    (:class:`~.core.layer.EquivariantLinear`) against the product with the materialised orbit
    basis (Maron et al.'s parameterisation, Bell(k+l) dense n^l x n^k matrices, the same map
    through ``a = C^T W``), the latter only where its float32 basis fits in ``dense_mb`` MB."""

    k: int
    l: int  # noqa: E741
    ns: tuple[int, ...]
    channels: int = 4
    batch: int = 8
    repeats: int = 5
    dense_mb: int = 256
    seed: int = 0
    device: str = "cpu"

    def validate(self) -> None:
        check_orders(self.k, self.l, max_points=8)
        if not self.ns or any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in self.ns):
            raise ValueError(f"the set sizes must be positive integers, got {self.ns!r}")
        for name in ("channels", "batch", "repeats", "dense_mb"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")


@dataclass(frozen=True)
class TimingResult:
    """Times (ms) per n, the best of the repeats (the one least disturbed by other load, as
    ``timeit`` advises); ``nan`` where a side was skipped (its reason in ``notes``).
    ``max_rel_diff``: max|fast - dense| / max|fast| where both ran (float32)."""

    k: int
    l: int  # noqa: E741
    channels: int
    batch: int
    ns: tuple[int, ...]
    fast_ms: tuple[float, ...]
    dense_ms: tuple[float, ...]
    max_rel_diff: tuple[float, ...]
    notes: tuple[str, ...]
    device: str = "cpu"
    seconds: float = 0.0


def growth_exponent(ns, times) -> float:
    """The exponent e of a least-squares fit t ~ n^e over the finite times at n >= 4 (all
    finite times when fewer than two are at n >= 4); ``nan`` with fewer than two points."""
    import numpy as np

    n, t = np.asarray(ns, float), np.asarray(times, float)
    ok = np.isfinite(t) & (t > 0)
    if (ok & (n >= 4)).sum() >= 2:
        ok &= n >= 4
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(n[ok]), np.log(t[ok]), 1)[0])


def run_timing(spec: TimingSpec, ctx: JobContext) -> TimingResult:
    """See :class:`TimingSpec`.  A partial result after every n; Cancel between repeats."""
    import math
    import time

    import torch

    from .core.layer import EquivariantLinear
    from .core.materialise import orbit_matrix
    from .core.partitions import diagrams

    spec.validate()
    k, l = spec.k, spec.l  # noqa: E741
    device = torch.device(spec.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda: no CUDA device is available here; use cpu")
    gen = torch.Generator().manual_seed(spec.seed)
    c, b = spec.channels, spec.batch
    layer = EquivariantLinear(k, l, c, c, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) / (c * bell(k + l)) ** 0.5)
    layer = layer.to(device)
    ds = diagrams(k, l)
    a = layer.orbit_coefficients().detach()  # (Bell, c, c)
    rows: dict[str, list] = {"n": [], "fast": [], "dense": [], "diff": [], "notes": []}
    t0 = time.perf_counter()

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def best_ms(fn) -> float:
        fn()  # warm-up
        sync()
        ts = []
        for _ in range(spec.repeats):
            ctx.check_cancelled()
            t = time.perf_counter()
            fn()
            sync()
            ts.append(time.perf_counter() - t)
        return 1e3 * min(ts)

    def result() -> TimingResult:
        return TimingResult(
            k,
            l,
            c,
            b,
            tuple(rows["n"]),
            tuple(rows["fast"]),
            tuple(rows["dense"]),
            tuple(rows["diff"]),
            tuple(rows["notes"]),
            str(device),
            time.perf_counter() - t0,
        )

    for i, n in enumerate(spec.ns):
        ctx.check_cancelled()
        ctx.progress(i / len(spec.ns), f"n = {n}: fast product")
        note = ""
        fast_ms = dense_ms = diff = math.nan
        entries = b * c * n ** max(k, l)
        if entries > MAX_TENSOR_ENTRIES:
            note = f"n = {n}: skipped, tensors of {entries:,} entries (> {MAX_TENSOR_ENTRIES:,})"
        else:
            x = torch.randn(b, c, *(n,) * k, generator=gen).to(device)
            with torch.no_grad():
                y_fast = layer(x, n=n)
                fast_ms = best_ms(lambda x=x, n=n: layer(x, n=n))
                dense_bytes = 4 * len(ds) * n ** (k + l)
                if dense_bytes > spec.dense_mb * 1e6:
                    note = f"n = {n}: dense orbit basis skipped ({dense_bytes / 1e6:,.0f} MB > {spec.dense_mb} MB)"
                else:
                    ctx.progress((i + 0.5) / len(spec.ns), f"n = {n}: materialising the orbit basis")
                    X = torch.empty(len(ds), n**l, n**k)
                    for j, d in enumerate(ds):
                        ctx.check_cancelled()
                        X[j] = torch.from_numpy(orbit_matrix(d, n))
                    X = X.reshape(len(ds) * n**l, n**k).to(device)
                    xf = x.reshape(b * c, n**k)

                    def dense(X=X, xf=xf, n=n):
                        z = (X @ xf.T).reshape(len(ds), n**l, b, c)
                        return torch.einsum("sjbc,scd->bdj", z, a)

                    ctx.progress((i + 0.7) / len(spec.ns), f"n = {n}: dense product")
                    y_dense = dense().reshape(y_fast.shape)
                    scale = float(y_fast.abs().max().clamp_min(1e-30))
                    diff = float((y_dense - y_fast).abs().max()) / scale
                    dense_ms = best_ms(dense)
                    del X
        rows["n"].append(int(n))
        rows["fast"].append(float(fast_ms))
        rows["dense"].append(float(dense_ms))
        rows["diff"].append(float(diff))
        rows["notes"].append(note)
        ctx.partial(result())
    ctx.progress(1.0, "done")
    return result()


def dirgine_size_generalisation() -> dict[int, float]:
    """The shipped DirGINE's accuracy (a fraction) by quiver size n, as measured when it was
    trained (``resources/quiver/gnn/dirgine_default.json``, provenance.metrics.size_generalisation);
    ``{}`` when the file or the entry is missing or unreadable."""
    import json

    from workbench_resources import resource_path

    try:
        doc = json.loads(resource_path("quiver", "gnn", "dirgine_default.json").read_text(encoding="utf-8"))
        table = doc["provenance"]["metrics"]["size_generalisation"]
        return {int(n): float(row["accuracy"]) for n, row in table.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
