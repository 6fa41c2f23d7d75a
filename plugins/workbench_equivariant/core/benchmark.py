"""Benchmark of the fast diagram-basis layer against dense and hand-written anchors (issue 18;
``workbench equivariant bench`` and ``benchmarks/bench_equivariant.py``, under ``make bench``).

Measured in one run on one machine, median of repeated timings, forward + backward (gradients
of the input and of every coefficient), float32, CPU:

* 2 -> 2, all 15 elements, ``channels -> channels``, batch ``batch``, at each n of ``ns``:
  ours (:class:`~.layer.EquivariantLinear`, the fast multiplication of arXiv 2303.06208) against
  (a) the product with the materialised orbit basis (Maron et al.'s parameterisation, 15 dense
  n^2 x n^2 matrices) where its float32 basis fits in ``dense_gb``, and (b) Maron et al.'s
  hand-written 15-operation layer (:class:`~.maron.MaronLayer2to2`);
* 3 -> 3, all 203 elements, at each n of ``ns3``: ours against the materialised orbit basis.
  The full dense 3 -> 3 basis (203 n^3 x n^3 matrices) is 13.6 GB at n = 16, so the dense time is
  measured on the first ``dense_elements3`` elements (as many as fit in ``dense_gb``) and scaled
  by 203 / that number: every dense element costs the same GEMM, so the scaling is exact up to
  timing noise; the output says so.  Where one element does not fit, the dense column is empty.

Growth with n: the exponent e of t ~ n^e between consecutive n and the least-squares slope of
log t against log n over all measured n, against the costs: O(n^(max(k, l))) per channel pair
for the diagram basis where k = l (its largest elements are permutations of the identity; the
paper's Theorem, §5) and O(n^(k + l)) for a dense operator.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from .layer import EquivariantLinear
from .maron import MaronLayer2to2
from .materialise import orbit_matrix
from .partitions import diagrams


def median_s(fn: Callable[[], None], repeat: int) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` calls after one warm-up call."""
    fn()
    ts = []
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def dense_orbit_basis(k: int, l: int, n: int, count: int | None = None) -> torch.Tensor:  # noqa: E741
    """The first ``count`` (default all) orbit basis elements of (k, l) at n, float32,
    shape (count, n^l, n^k), built one at a time."""
    ds = diagrams(k, l)[: count if count is not None else None]
    X = torch.empty(len(ds), n**l, n**k)
    for i, d in enumerate(ds):
        X[i] = torch.from_numpy(orbit_matrix(d, n))
    return X


def growth_exponent(rows: Sequence[tuple[int, float]]) -> float:
    """Least-squares slope of log t against log n (nan with fewer than two points)."""
    pts = [(math.log(n), math.log(t)) for n, t in rows if t > 0 and math.isfinite(t)]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx


@dataclass
class BenchResult:
    """Times in seconds per forward + backward, by method and n; notes on skipped or scaled anchors."""

    times: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, method: str, n: int, t: float) -> None:
        self.times.setdefault(method, []).append((n, t))

    def exponents(self) -> dict[str, float]:
        return {m: growth_exponent(rows) for m, rows in self.times.items()}

    def to_dict(self) -> dict:
        return {
            "seconds": {m: {str(n): t for n, t in rows} for m, rows in self.times.items()},
            "growth_exponent": self.exponents(),
            "notes": list(self.notes),
        }


def _dense_step(X: torch.Tensor, coeffs: torch.Tensor, x: torch.Tensor, g: torch.Tensor, k: int, l: int) -> None:  # noqa: E741
    """y[b, d, J] = Σ_s Σ_c a[s, c, d] (X_s x[b, c])[J], then backward of <y, g>."""
    b, c = x.shape[:2]
    m = X.shape[0]
    n = x.shape[-1]
    z = (X.reshape(m * n**l, n**k) @ x.reshape(b * c, n**k).T).reshape(m, n**l, b, c)
    y = torch.einsum("sjbc,scd->bdj", z, coeffs)
    (y * g.reshape(b, -1, n**l)).sum().backward()


def bench_2to2(
    ns: Sequence[int] = (16, 32, 64, 128),
    batch: int = 32,
    channels: int = 16,
    dense_gb: float = 4.0,
    out: Callable[[str], None] = print,
    result: BenchResult | None = None,
) -> BenchResult:
    """The 2 -> 2 rows (see the module doc); prints one line per n through ``out``."""
    res = result or BenchResult()
    torch.manual_seed(0)
    b, c = batch, channels
    ours = EquivariantLinear(2, 2, c, c)
    maron = MaronLayer2to2(c, c)
    coeffs = ours.orbit_coefficients().detach().clone().requires_grad_()
    out(f"2 -> 2 layer (15 elements), {c} -> {c} channels, batch {b}, float32, {torch.get_num_threads()} threads")
    heads = ("ours (ms)", "Maron (ms)", "dense (ms)", "Maron/ours", "dense/ours")
    out(f"{'n':>5s} " + " ".join(f"{h:>11s}" for h in heads))
    for n in ns:
        x = torch.randn(b, c, n, n, requires_grad=True)
        g = torch.randn(b, c, n, n)
        repeat = 5 if n <= 64 else 3

        def step(layer: torch.nn.Module, x: torch.Tensor = x, g: torch.Tensor = g) -> None:
            layer.zero_grad(set_to_none=True)
            x.grad = None
            (layer(x) * g).sum().backward()

        t_ours = median_s(lambda: step(ours), repeat)
        t_maron = median_s(lambda: step(maron), repeat)
        res.add("ours 2->2", n, t_ours)
        res.add("Maron 2->2", n, t_maron)
        need = 15 * n**4 * 4 / 1e9
        t_dense = math.nan
        note = ""
        if need <= dense_gb:
            X = dense_orbit_basis(2, 2, n)
            with torch.no_grad():  # the same map as ours (its biases are zero at initialisation)
                z = (X.reshape(15 * n * n, n * n) @ x.reshape(b * c, n * n).T).reshape(15, n * n, b, c)
                y_dense = torch.einsum("sjbc,scd->bdj", z, coeffs).reshape(b, c, n, n)
                y_ours = ours(x)
                rel = float((y_dense - y_ours).abs().max() / y_ours.abs().max())

            def dense(X: torch.Tensor = X, x: torch.Tensor = x, g: torch.Tensor = g) -> None:
                coeffs.grad = None
                x.grad = None
                _dense_step(X, coeffs, x, g, 2, 2)

            t_dense = median_s(dense, 3 if n <= 32 else 1)
            res.add("dense 2->2", n, t_dense)
            del X
            note = f"   (max rel. difference dense vs ours {rel:.1e})"
        else:
            note = f"   (dense: skipped, its basis needs {need:.0f} GB > {dense_gb:g} GB)"
            res.notes.append(f"2->2 n={n}: dense skipped ({need:.0f} GB)")
        dense_col = f"{t_dense * 1e3:11.1f}" if t_dense == t_dense else f"{'-':>11s}"
        ratio = f"{t_dense / t_ours:10.1f}x" if t_dense == t_dense else f"{'-':>11s}"
        out(f"{n:5d} {t_ours * 1e3:11.2f} {t_maron * 1e3:11.2f} {dense_col} {t_maron / t_ours:10.2f}x {ratio}" + note)
    return res


def bench_3to3(
    ns: Sequence[int] = (16, 32),
    batch: int = 8,
    channels: int = 8,
    dense_gb: float = 4.0,
    dense_elements: int = 20,
    out: Callable[[str], None] = print,
    result: BenchResult | None = None,
) -> BenchResult:
    """The 3 -> 3 rows (see the module doc): ours against the dense orbit basis, whose time is
    measured on at most ``dense_elements`` elements (and what fits in ``dense_gb``) and scaled."""
    res = result or BenchResult()
    torch.manual_seed(0)
    b, c = batch, channels
    ours = EquivariantLinear(3, 3, c, c)
    total = len(ours.diagrams)
    coeffs_all = ours.orbit_coefficients().detach().clone()
    out(f"3 -> 3 layer ({total} elements), {c} -> {c} channels, batch {b}, float32, {torch.get_num_threads()} threads")
    out(f"{'n':>5s} {'ours (ms)':>11s} {'dense (ms)':>11s} {'dense/ours':>11s}")
    for n in ns:
        x = torch.randn(b, c, n, n, n, requires_grad=True)
        g = torch.randn(b, c, n, n, n)

        def step(x: torch.Tensor = x, g: torch.Tensor = g) -> None:
            ours.zero_grad(set_to_none=True)
            x.grad = None
            (ours(x) * g).sum().backward()

        t_ours = median_s(step, 3 if n <= 16 else 1)
        res.add("ours 3->3", n, t_ours)
        per = n**6 * 4 / 1e9
        m = min(total, dense_elements, int(dense_gb // per))
        t_dense = math.nan
        if m >= 1:
            X = dense_orbit_basis(3, 3, n, m)
            coeffs = coeffs_all[:m].clone().requires_grad_()

            def dense(X: torch.Tensor = X, x: torch.Tensor = x, g: torch.Tensor = g, coeffs=coeffs) -> None:
                coeffs.grad = None
                x.grad = None
                _dense_step(X, coeffs, x, g, 3, 3)

            t_dense = median_s(dense, 1) * total / m
            res.add("dense 3->3", n, t_dense)
            del X
            note = f"   (dense: {m} of {total} elements timed, scaled by {total}/{m})" if m < total else ""
            res.notes.append(f"3->3 n={n}: dense timed on {m} of {total} elements and scaled")
        else:
            note = f"   (dense: skipped, one element needs {per:.1f} GB > {dense_gb:g} GB)"
            res.notes.append(f"3->3 n={n}: dense skipped ({per:.1f} GB per element)")
        dense_col = f"{t_dense * 1e3:11.0f}" if t_dense == t_dense else f"{'-':>11s}"
        ratio = f"{t_dense / t_ours:10.1f}x" if t_dense == t_dense else f"{'-':>11s}"
        out(f"{n:5d} {t_ours * 1e3:11.1f} {dense_col} {ratio}" + note)
    return res


def print_growth(res: BenchResult, out: Callable[[str], None] = print) -> None:
    """Consecutive and fitted growth exponents of every method, with the claimed ones."""
    claims = {"ours 2->2": 2, "Maron 2->2": 2, "dense 2->2": 4, "ours 3->3": 3, "dense 3->3": 6}
    out("growth with n: exponent e of t ~ n^e (consecutive n; least-squares fit; claimed cost)")
    for name, rows in res.times.items():
        exps = [
            f"{n0}->{n1}: {math.log(t1 / t0) / math.log(n1 / n0):.2f}"
            for (n0, t0), (n1, t1) in zip(rows, rows[1:], strict=False)
        ]
        fit = growth_exponent(rows)
        fit_s = f"{fit:.2f}" if fit == fit else "-"
        out(f"  {name:11s} {'   '.join(exps) if exps else '-':40s} fit {fit_s:>5s}   claim n^{claims.get(name, '?')}")
