"""Benchmark: forward + backward of a full 2 -> 2 S_n-equivariant layer (all 15 elements,
16 -> 16 channels, batch 32, float32, CPU) at n = 16, 32, 64, 128 (issue 18).

Measured in this one run on this machine, median of repeated timings:

* ours: :class:`workbench_equivariant.core.layer.EquivariantLinear` (diagram basis, the fast
  multiplication of arXiv 2303.06208);
* anchor 1 (dense): the same layer as a product with the materialised orbit basis (Maron et al.'s
  parameterisation, 15 dense n^2 x n^2 matrices), where its float32 basis fits in
  ``--dense-gb`` (default 4 GB; n = 128 needs 16 GB and is skipped);
* anchor 2 (Maron): Maron et al.'s hand-written 15-operation layer
  (:class:`workbench_equivariant.core.maron.MaronLayer2to2`, their ``ops_2_to_2`` in torch).

Each forward + backward computes the gradients of the input and of all coefficients.  Also
prints the growth of each time from one n to the next, as an exponent (t ~ n^e), against the
costs: O(n^2) per channel pair for the diagram basis (its largest elements are the identity and
the transpose; paper, §5) and O(n^4) for a dense n^2 x n^2 operator.  Run:
``python benchmarks/bench_equivariant.py [--n 16 32 64 128] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from workbench_equivariant.core.layer import EquivariantLinear
from workbench_equivariant.core.maron import MaronLayer2to2
from workbench_equivariant.core.materialise import orbit_matrix
from workbench_equivariant.core.partitions import diagrams


def median_s(fn, repeat: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def dense_orbit_basis(n: int) -> torch.Tensor:
    """The 15 orbit basis elements at n as one float32 tensor (15, n^2, n^2), built one at a time."""
    ds = diagrams(2, 2)
    X = torch.empty(len(ds), n * n, n * n)
    for i, d in enumerate(ds):
        X[i] = torch.from_numpy(orbit_matrix(d, n))
    return X


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dense-gb", type=float, default=4.0, help="largest dense orbit basis to materialise (GB)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    b, c = args.batch, args.channels
    ours = EquivariantLinear(2, 2, c, c)
    maron = MaronLayer2to2(c, c)
    orbit_coeffs = ours.orbit_coefficients().detach().clone().requires_grad_()
    threads = torch.get_num_threads()
    print(f"2 -> 2 layer, {c} -> {c} channels, batch {b}, float32, {threads} threads, forward + backward")
    heads = ("ours (ms)", "Maron (ms)", "dense (ms)", "Maron/ours", "dense/ours")
    print(f"{'n':>5s} " + " ".join(f"{h:>11s}" for h in heads))
    times: dict[str, list[tuple[int, float]]] = {"ours": [], "maron": [], "dense": []}
    for n in args.n:
        x = torch.randn(b, c, n, n, requires_grad=True)
        g = torch.randn(b, c, n, n)
        repeat = 5 if n <= 64 else 3

        def step_ours(x=x, g=g):
            ours.zero_grad(set_to_none=True)
            x.grad = None
            (ours(x) * g).sum().backward()

        def step_maron(x=x, g=g):
            maron.zero_grad(set_to_none=True)
            x.grad = None
            (maron(x) * g).sum().backward()

        t_ours = median_s(step_ours, repeat)
        t_maron = median_s(step_maron, repeat)
        times["ours"].append((n, t_ours))
        times["maron"].append((n, t_maron))
        dense_gb = 15 * n**4 * 4 / 1e9
        t_dense = math.nan
        if dense_gb <= args.dense_gb:
            X = dense_orbit_basis(n).reshape(15 * n * n, n * n)

            def step_dense(x=x, g=g, X=X, n=n):
                orbit_coeffs.grad = None
                x.grad = None
                z = (X @ x.reshape(b * c, n * n).T).reshape(15, n * n, b, c)
                y = torch.einsum("sjbc,scd->bdj", z, orbit_coeffs).reshape(b, c, n, n)
                (y * g).sum().backward()

            with torch.no_grad():  # the same map as ours (bias aside): a = C^T W
                z = (X @ x.reshape(b * c, n * n).T).reshape(15, n * n, b, c)
                y_dense = torch.einsum("sjbc,scd->bdj", z, orbit_coeffs).reshape(b, c, n, n)
                y_ours = ours(x)  # its biases are zero at initialisation
                rel = float((y_dense - y_ours).abs().max() / y_ours.abs().max())
            t_dense = median_s(step_dense, 3 if n <= 32 else 1)
            times["dense"].append((n, t_dense))
            del X
            note = f"   (max rel. difference dense vs ours {rel:.1e})"
        else:
            note = f"   (dense: skipped, its basis needs {dense_gb:.0f} GB > --dense-gb {args.dense_gb:g})"
        dense_col = f"{t_dense * 1e3:11.1f}" if t_dense == t_dense else f"{'-':>11s}"
        ratio_dense = f"{t_dense / t_ours:10.0f}x" if t_dense == t_dense else f"{'-':>11s}"
        print(
            f"{n:5d} {t_ours * 1e3:11.2f} {t_maron * 1e3:11.2f} {dense_col} {t_maron / t_ours:10.2f}x {ratio_dense}"
            + note,
            flush=True,
        )
    print("growth with n, as the exponent e of t ~ n^e between consecutive n (claims: ours, Maron ~2; dense 4):")
    for name, rows in times.items():
        exps = [
            f"{n0}->{n1}: {math.log(t1 / t0) / math.log(n1 / n0):.2f}"
            for (n0, t0), (n1, t1) in zip(rows, rows[1:], strict=False)
        ]
        print(f"  {name:6s} " + ("   ".join(exps) if exps else "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
