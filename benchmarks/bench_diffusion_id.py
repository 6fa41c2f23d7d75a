"""Benchmark: TwoNN + MLE + Gride (multiscale, 6 scales) on 5,000 x 1,000 points.

    python benchmarks/bench_diffusion_id.py [--n 5000] [--d 1000] [--repeats 3] [--threads 2]

Prints, measured in this one run on this machine (the best of ``--repeats`` runs each, taken
in alternation so that a change of load on the machine hits both sides alike):

* anchor: scikit-dimension's estimators called one after another on the same array,
  ``TwoNN().fit(X)``, ``MLE().fit(X, n_neighbors=20)``, ``GRIDE(multiscale=True).fit(X)``
  (each computes its own neighbours: TwoNN sorts the full distance matrix for D > 25);
* ours: :func:`workbench_diffusion_id.core.intrinsic_dim.estimate_many` with the same three,
  which builds one exact 64-neighbour graph (duplicate check included) and reads all three
  estimators and all six Gride scales from it;
* the largest relative difference between the two sides' values (they must agree to ~1e-12),
  and the ratio anchor / ours (the target is >= 5).

The data: a 10-dimensional curved manifold (tanh of a random linear map of 10 Gaussian
coordinates) embedded in 1,000 dimensions, plus Gaussian noise of 1e-3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))


def make_data(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 10))
    a = rng.standard_normal((10, d)) / np.sqrt(10)
    return np.tanh(z @ a) + 1e-3 * rng.standard_normal((n, d))


def skdim_side(X: np.ndarray) -> dict[str, np.ndarray]:
    import skdim

    tw = skdim.id.TwoNN().fit(X).dimension_
    ml = skdim.id.MLE().fit(X, n_neighbors=20).dimension_
    gr = skdim.id.GRIDE(multiscale=True).fit(X)
    return {
        "twonn": np.array([tw]),
        "mle": np.array([ml]),
        "gride": np.array([gr.dimension_]),
        "gride scales": np.asarray(gr.dimension_scales_),
    }


def our_side(X: np.ndarray) -> dict[str, np.ndarray]:
    from workbench_diffusion_id.core.intrinsic_dim import estimate_many

    tw, ml, gr = estimate_many(X, ["twonn", "mle", ("gride", {"multiscale": True})])
    return {
        "twonn": np.array([tw.id]),
        "mle": np.array([ml.id]),
        "gride": np.array([gr.id]),
        "gride scales": np.asarray(gr.scale_ids),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("WORKBENCH_BENCH_THREADS", "2")))
    args = ap.parse_args()
    try:
        import skdim  # noqa: F401
    except ImportError:
        print("scikit-dimension is not installed: skipped (pip install scikit-dimension)")
        return 0
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    X = make_data(args.n, args.d)
    print(
        f"data: {args.n} x {args.d} float64 (10-d manifold + noise), {args.threads} threads, "
        f"best of {args.repeats} (alternating)"
    )
    our_side(X[:200])  # warm up torch (first-call overheads are not what is compared)
    times: dict[str, list[float]] = {"skdim": [], "ours": []}
    values: dict[str, dict[str, np.ndarray]] = {}
    with threadpool_limits(limits=args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(args.repeats):
            for name, fn in (("skdim", skdim_side), ("ours", our_side)):
                t0 = time.perf_counter()
                values[name] = fn(X)
                times[name].append(time.perf_counter() - t0)
    diff = max(
        float(np.max(np.abs(values["ours"][k] - values["skdim"][k]) / np.abs(values["skdim"][k])))
        for k in values["skdim"]
    )
    for name in ("skdim", "ours"):
        t = times[name]
        print(
            f"  {name:<6} best {min(t):7.2f} s   median {statistics.median(t):7.2f} s   runs "
            + " ".join(f"{x:.2f}" for x in t)
        )
    for k, v in values["ours"].items():
        ref = np.array2string(values["skdim"][k], precision=6)
        print(f"  {k:<13} ours {np.array2string(v, precision=6)}  skdim {ref}")
    ratio = min(times["skdim"]) / min(times["ours"])
    ratio_med = statistics.median(times["skdim"]) / statistics.median(times["ours"])
    print(f"max relative difference of the values: {diff:.2e}")
    print(f"ratio skdim / ours: {ratio:.2f}x (best), {ratio_med:.2f}x (median); target >= 5x")
    return 0 if diff < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
