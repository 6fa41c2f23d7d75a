"""Overhead of PGD in a random orthonormal subspace on a model of realistic size:
``python benchmarks/bench_adversarial_subspace.py``.

Model: the zoo's ``textures-resnet`` (1.2 M parameters, 3x32x32 inputs, dim X = 3072).  For
l_inf (eps 8/255) and l_2 (eps 0.5) and dim V = 1 %, 10 %, 50 % of dim X, the time of PGD
restricted to V over full-space PGD measured in the same run, same batch, same steps, no
random start, no early stop, for the two subspace kinds spanned by a basis:

* ``orthonormal``: a dense Haar-random U (n x k); products cost O(n k) per image;
* ``hartley``: the subsampled randomized Hartley basis (core/bases.py), products by one real
  FFT, O(n log n).

Both keep exact feasibility: every iterate lies in V (to 1e-4 per coordinate), in the ball and
in [0, 1] (core/ortho.py: ADMM, then the feasible point on the segment).  Success rates are
printed beside the ratios.  Target: ratio <= 1.10.

Timing: process CPU time of each call, one torch thread (the machine is shared); ``--repeats``
interleaved repeats; every ratio is the median over repeats of the ratio within one repeat
(the runs it compares ran back to back).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from functools import partial

import torch


def _once(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="textures-resnet")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--fractions", default="0.01,0.1,0.5", help="dim V / dim X, comma-separated")
    ap.add_argument("--kinds", default="orthonormal,hartley")
    ap.add_argument("--json", default="", help="also write the measurements to this JSON file")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    from workbench_adversarial.core.data import load_dataset
    from workbench_adversarial.core.pgd import PGDConfig, pgd_attack
    from workbench_adversarial.core.subspace import build_subspace
    from workbench_adversarial.core.zoo import ModelRef, load_model_ref

    lm = load_model_ref(ModelRef(name=args.model), "cpu")
    split = load_dataset(lm.dataset)
    x = torch.as_tensor(split.x_test[: args.batch])
    y = torch.as_tensor(split.y_test[: args.batch])
    shape = tuple(int(s) for s in x.shape[1:])
    n = int(x[0].numel())
    B = len(y)
    fractions = [float(f) for f in args.fractions.split(",") if f]
    kinds = [k for k in args.kinds.split(",") if k]
    print(
        f"{args.model}: batch {B} x {shape} (dim X = {n}), {args.steps} steps, no early stop, no random start, "
        f"1 thread, {args.repeats} interleaved repeats"
    )
    results: dict[str, float] = {}
    for p, eps in ((math.inf, 8 / 255), (2.0, 0.5)):
        pl = "inf" if math.isinf(p) else "2"
        cfg = PGDConfig(p=p, eps=eps, steps=args.steps, random_start=False, early_stop=False)
        runs = {"full": partial(pgd_attack, lm.model, x, y, cfg)}
        subs = {}
        for kind in kinds:
            for f in fractions:
                k = max(1, round(f * n))
                subs[(kind, f)] = build_subspace(kind, shape, k, B, torch.Generator().manual_seed(0))
                runs[f"{kind}/{f:g}"] = partial(pgd_attack, lm.model, x, y, cfg, subs[(kind, f)])
        succ = {name: float(fn().success.float().mean()) for name, fn in runs.items()}  # also the warm-up
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, fn in runs.items():
                times[name].append(_once(fn))
        full = min(times["full"])
        rate = B * args.steps / full
        print(
            f"\nl_{pl}, eps {eps:.4g}: full space {full * 1e3:.0f} ms ({rate:.0f} image-steps/s), "
            f"success {succ['full']:.3f}"
        )
        print(f"  {'kind':12s} {'dim V':>6s} {'share':>6s} {'ms':>8s} {'ratio':>6s}  success")
        for (kind, f), sub in subs.items():
            name = f"{kind}/{f:g}"
            r = float(statistics.median(a / b for a, b in zip(times[name], times["full"], strict=True)))
            flag = "ok" if r <= 1.10 else "above target"
            print(
                f"  {kind:12s} {sub.dim:6d} {f:6.0%} {min(times[name]) * 1e3:8.0f} {r:6.2f}  {succ[name]:.3f}"
                f"   (target <= 1.10, {flag})"
            )
            results[f"l{pl}/{name}/ratio"] = r
            results[f"l{pl}/{name}/success"] = succ[name]
        results[f"l{pl}/full/seconds"] = full
        results[f"l{pl}/full/success"] = succ["full"]
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
