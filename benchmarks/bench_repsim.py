"""Benchmark: a 12 x 12 linear-CKA heatmap, n = 10,000 inputs, d = 768 features, float32.

    python benchmarks/bench_repsim.py [--n 10000] [--d 768] [--layers 12] [--threads 2] [--skip-anchor]

Prints, measured in this one run on this machine:

* ours: :func:`workbench_repsim.core.heatmap.similarity_heatmap` for A vs A (the symmetric
  self-heatmap) and A vs B (two different 12-layer stacks);
* anchor: a per-pair loop over all 144 pairs of Kornblith et al.'s reference
  ``feature_space_linear_cka`` (centre both, three d x d products per pair);
* ours, minibatch CKA (Nguyen et al. 2021) over batches of 1000, the estimator torch-cka computes;
* third-party packages where they are installed (ckatorch, torch-cka, repsim); a
  package whose full heatmap would take minutes is timed on the first rows of the heatmap
  (repsim: on small n, with its growth in n fitted) and extrapolated (marked so in the output).  A package
  that is not installed is skipped with the reason.  Each result is also checked against ours (max |difference|).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))


def make_layers(n: int, d: int, layers: int, seed: int) -> list[np.ndarray]:
    """A 'network' of correlated layers: X_{k+1} = 0.8 X_k + 0.6 noise, with an offset per layer."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d), dtype=np.float32)
    out = []
    for k in range(layers):
        out.append(x + np.float32(3.0 * k))
        x = np.float32(0.8) * x + np.float32(0.6) * rng.standard_normal((n, d), dtype=np.float32)
    return out


def kornblith_linear_cka(features_x: np.ndarray, features_y: np.ndarray) -> float:
    """Kornblith et al.'s notebook ``feature_space_linear_cka`` (biased), verbatim in numpy."""
    features_x = features_x - np.mean(features_x, 0, keepdims=True)
    features_y = features_y - np.mean(features_y, 0, keepdims=True)
    dot_product_similarity = np.linalg.norm(features_x.T.dot(features_y)) ** 2
    normalization_x = np.linalg.norm(features_x.T.dot(features_x))
    normalization_y = np.linalg.norm(features_y.T.dot(features_y))
    return float(dot_product_similarity / (normalization_x * normalization_y))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def row(name: str, secs: float, ours: float, note: str = "", diff: float | None = None) -> None:
    d = f"{diff:.1e}" if diff is not None else "-"
    print(f"{name:44s} {secs:9.2f} s   {secs / ours:7.1f}x ours   max|diff| {d:>8s}   {note}", flush=True)


def bench_ckatorch(a, b, ref, ours, rows_measured):
    spec = importlib.util.find_spec("ckatorch")
    if spec is None:
        print("ckatorch: skipped (not installed; `pip install --no-deps ckatorch` works with this torch)")
        return
    import torch

    # ckatorch's package __init__ imports seaborn (plotting) at import time; its numerical core
    # does not, so load ckatorch.core without running the package __init__.
    pkg = types.ModuleType("ckatorch")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules.setdefault("ckatorch", pkg)
    import ckatorch.core as ck

    n_rows = 1
    ta = [torch.from_numpy(x) for x in a[:n_rows]]
    tb = [torch.from_numpy(y) for y in b[:2]]
    vals = np.zeros((n_rows, 2))
    t0 = time.perf_counter()
    with torch.no_grad():
        for i, x in enumerate(ta):
            for j, y in enumerate(tb):
                vals[i, j] = float(ck.cka_base(x, y, kernel="linear"))
    secs = (time.perf_counter() - t0) * (len(a) * len(b)) / (n_rows * 2)
    row(
        "ckatorch.core.cka_base per pair (Gram, f64)",
        secs,
        ours,
        f"extrapolated from {n_rows * 2} of {len(a) * len(b)} pairs",
        float(np.abs(vals - ref[:n_rows, :2]).max()),
    )


def bench_torch_cka(a, b, ours, ours_matrix):
    if importlib.util.find_spec("torch_cka") is None:
        print("torch-cka: skipped (not installed; `pip install --no-deps torch-cka` works with this torch)")
        return
    import warnings

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    from torch_cka import CKA

    class Lookup(nn.Module):
        def __init__(self, feats):
            super().__init__()
            self.feats = feats

        def forward(self, idx):
            return self.feats[idx]

    class Stack(nn.Module):
        """A 'model' whose layer k returns the stored activations of layer k for the batch indices."""

        def __init__(self, layers):
            super().__init__()
            self.layers = nn.ModuleList(Lookup(torch.from_numpy(x)) for x in layers)

        def forward(self, idx):
            for lay in self.layers:
                lay(idx)
            return idx

    rows = 1
    total_rows = len(a)
    n = a[0].shape[0]
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=1000, shuffle=False)
    # torch-cka forms uncentred float32 Gram matrices; with this data's per-layer offsets (up to 33)
    # its HSIC estimates cancel catastrophically and it stops with "HSIC computation resulted in
    # NANs" — so it is timed on column-centred copies (same CKA values in exact arithmetic).
    a = [x - x.mean(0, dtype=np.float64).astype(np.float32) for x in a[:rows]]
    b = [y - y.mean(0, dtype=np.float64).astype(np.float32) for y in b]
    m1, m2 = Stack(a[:rows]), Stack(b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cka = CKA(
            m1,
            m2,
            "A",
            "B",
            model1_layers=[f"layers.{i}" for i in range(rows)],
            model2_layers=[f"layers.{j}" for j in range(len(b))],
            device="cpu",
        )
        t0 = time.perf_counter()
        cka.compare(loader)
    secs = (time.perf_counter() - t0) * total_rows / rows
    diff = float(np.abs(cka.hsic_matrix.numpy() - ours_matrix[:rows]).max())
    row(
        "torch-cka CKA.compare (minibatch 1000)",
        secs,
        ours,
        f"extrapolated from {rows} of {total_rows} rows; vs ours minibatch; centred input (raw input: NaN)",
        diff,
    )


def bench_repsim(a, b, ours):
    """repsim (Kisung You, PyPI; C++/Eigen): ``repsim.cka(mats, kernel_type="linear")`` builds
    n x n kernels, so its cost grows like n^2.6-n^3; a pair at n = 10,000 did not finish in 14
    minutes here.  It is timed on one pair at n = 500 and n = 1000 (first rows of A and B layer 0),
    the growth exponent is fitted, and the full 24-matrix call (what A vs B needs) is extrapolated."""
    if importlib.util.find_spec("repsim") is None:
        print(
            "repsim: skipped (not installed; `pip install --no-deps repsim` builds its C++ extension in about 30 s "
            "with cmake and a C++ compiler)"
        )
        return
    import repsim

    from workbench_repsim.core.cka import linear_cka

    times, diffs = {}, []
    for n_small in (500, 1000):
        x = a[0][:n_small].astype(np.float64)
        y = b[0][:n_small].astype(np.float64)
        t0 = time.perf_counter()
        val = float(np.asarray(repsim.cka([x, y], kernel_type="linear"))[0, 1])
        times[n_small] = time.perf_counter() - t0
        diffs.append(abs(val - linear_cka(x, y)))
    expo = float(np.log(times[1000] / times[500]) / np.log(2.0))
    n = a[0].shape[0]
    per_matrix = times[1000] / 2 * (n / 1000) ** expo
    secs = per_matrix * (len(a) + len(b))
    row(
        "repsim.cka(24 layers, linear)",
        secs,
        ours,
        f"extrapolated from one pair at n = 500 and 1000 (cost ~ n^{expo:.2f}); diff vs ours at n <= 1000",
        max(diffs),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--d", type=int, default=768)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (numpy/BLAS use their own default)")
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=0,
        help="limit BLAS threads (threadpoolctl); 1 avoids busy-wait thrashing on a loaded machine; 0 = default",
    )
    ap.add_argument("--skip-anchor", action="store_true", help="skip the per-pair loop (about a minute)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of the A vs A heatmap (the median is reported)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads, user_api="blas")
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    from workbench_repsim.core.heatmap import similarity_heatmap

    print(
        f"{args.layers} x {args.layers} linear CKA, n = {args.n}, d = {args.d}, float32 "
        f"(numpy {np.__version__}, torch {torch.__version__}, BLAS threads {args.blas_threads or 'default'}, "
        f"load average {load:.1f} on {os.cpu_count()} cores)",
        flush=True,
    )
    a = make_layers(args.n, args.d, args.layers, 0)
    b = make_layers(args.n, args.d, args.layers, 1)
    b = [0.5 * y + 0.5 * x for x, y in zip(a, b, strict=True)]
    similarity_heatmap([x[:500] for x in a[:2]], None, "cka")  # warm-up (imports, BLAS threads)

    runs_aa = [timed(lambda: similarity_heatmap(a, None, "cka")) for _ in range(args.repeats)]
    h_aa, t_aa = runs_aa[0][0], float(np.median([t for _, t in runs_aa]))
    h_ab, t_ab = timed(lambda: similarity_heatmap(a, b, "cka"))
    spread = ", ".join(f"{t:.2f}" for _, t in runs_aa)
    print(
        f"{'ours A vs A (symmetric, ' + h_aa.form + ' form)':44s} {t_aa:9.2f} s   target < 5 s "
        f"({'met' if t_aa < 5 else 'NOT met'}; median of {args.repeats}: {spread} s)",
        flush=True,
    )
    print(f"{'ours A vs B (' + h_ab.form + ' form)':44s} {t_ab:9.2f} s", flush=True)

    from workbench_repsim.core.cka import MinibatchCKA, unbiased_grams

    def streamed(batch: int = 1000) -> np.ndarray:
        acc = MinibatchCKA()
        for s0 in range(0, args.n, batch):
            xs, ys = [x[s0 : s0 + batch] for x in a], [y[s0 : s0 + batch] for y in b]
            acc.update(xs, ys, unbiased_grams(xs), unbiased_grams(ys))
        return acc.value()

    mb, t_mb = timed(streamed)
    print(
        f"{'ours minibatch CKA A vs B (batch 1000, Gram)':44s} {t_mb:9.2f} s   (the estimator torch-cka computes)",
        flush=True,
    )
    if not args.skip_anchor:

        def loop():
            return np.array([[kornblith_linear_cka(x, y) for y in b] for x in a])

        ref, t_loop = timed(loop)
        row(
            "anchor: per-pair loop A vs B (Kornblith)",
            t_loop,
            t_ab,
            "measured, all pairs",
            float(np.abs(ref - h_ab.matrix).max()),
        )
        print(f"{'':44s} anchor / ours (A vs A): {t_loop / t_aa:.1f}x", flush=True)
    else:
        ref = h_ab.matrix
    for fn in (
        lambda: bench_ckatorch(a, b, h_ab.matrix, t_ab, 1),
        lambda: bench_torch_cka(a, b, t_mb, mb),
        lambda: bench_repsim(a, b, t_ab),
    ):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a third-party failure must not stop the benchmark
            print(f"  skipped after an error: {type(exc).__name__}: {exc}")
    print("ratios: ckatorch/repsim against ours A vs B (exact); torch-cka against ours minibatch CKA (same estimator)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
