"""Headless commands of the equivariant plugin (``workbench equivariant ...``).

* ``dims --k K --l L --n N``: prints ``{"dims": [d_1, ..., d_N]}``, the dimension of the space
  of S_n-equivariant maps (R^n)^{⊗K} -> (R^n)^{⊗L} for n = 1..N (set partitions of K + L
  points with at most n blocks).
* ``check --k K --l L --n N [--json]``: a random layer's equivariance error under random
  permutations (float32), the fast product against the materialised diagram basis (float64),
  and that basis's rank against the dimension (:func:`workbench_equivariant.jobs.run_check`).
* ``train-quiver --out M.safetensors``: trains the S_n-invariant quiver classifier
  (:func:`workbench_equivariant.classifier.run_train_quiver`) and writes its checkpoint.
* ``bench``: the fast layer against the dense orbit basis and Maron's 15-op layer
  (:mod:`workbench_equivariant.core.benchmark`; also ``benchmarks/bench_equivariant.py``).

This module imports only the standard library at import time.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    d = subparsers.add_parser(
        "dims",
        help="dimensions of the equivariant maps (R^n)^k -> (R^n)^l for n = 1..N",
        description='Print {"dims": [d_1, ..., d_N]}: d_n is the number of set partitions of K + L points '
        "with at most n blocks, the dimension of the space of S_n-equivariant linear maps (R^n)^K -> (R^n)^L.",
    )
    d.add_argument("--k", type=int, required=True, metavar="K", help="input tensor order (>= 0)")
    d.add_argument("--l", type=int, required=True, metavar="L", help="output tensor order (>= 0)")
    d.add_argument("--n", type=int, required=True, metavar="N", help="largest set size (>= 1)")
    d.set_defaults(func=_dims)

    c = subparsers.add_parser(
        "check",
        help="equivariance error and rank of the materialised diagram basis",
        description="Build an EquivariantLinear(K, L) with random weights (--seed), apply it to a random input "
        "at set size N and to permuted copies, and report the largest relative equivariance error (float32); "
        "compare the fast product with the dense diagram basis (float64) and report that basis's rank "
        "(full, Bell(K+L), for N >= K + L; the dimension otherwise).",
    )
    c.add_argument("--k", type=int, required=True, metavar="K", help="input tensor order (>= 0)")
    c.add_argument("--l", type=int, required=True, metavar="L", help="output tensor order (>= 0); K + L <= 8")
    c.add_argument("--n", type=int, required=True, metavar="N", help="set size (>= 1)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--permutations", type=int, default=3, help="random permutations tried (default 3)")
    c.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:N")
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(func=_check)

    t = subparsers.add_parser(
        "train-quiver",
        help="train the S_n-invariant quiver classifier and write its checkpoint",
        description="Train the S_n-invariant classifier of a quiver's exchange matrix (2 -> 2 equivariant layers, "
        "a 2 -> 0 read-out, an MLP; workbench_equivariant.classifier) on the quiver GNN's training set "
        "(7-10 vertices), report its accuracy on held-out sizes and write OUT (.safetensors + .json provenance).",
    )
    t.add_argument("--out", required=True, help="checkpoint to write (.safetensors; its .json beside it)")
    t.add_argument("--epochs", type=int, default=25)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--hidden", type=int, default=32, help="channels of every layer (default 32)")
    t.add_argument("--layers", type=int, default=3, help="2 -> 2 layers (default 3)")
    t.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    t.add_argument("--batch-size", type=int, default=256)
    t.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    t.add_argument("--eval-sizes", default="11-20", help="held-out sizes: 'A-B' or a comma list (default 11-20)")
    t.add_argument("--eval-per-family", type=int, default=400, help="held-out quivers per family and size")
    t.add_argument("--train-limit", type=int, default=0, help="train on a stratified subset of this many quivers")
    t.add_argument("--time-budget", type=float, default=0.0, help="stop after the epoch past this many seconds")
    t.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    t.add_argument("--data", default="", help="train on this dataset .npz ('workbench quiver dataset') instead")
    t.add_argument(
        "--inputs",
        choices=("paths", "plain"),
        default="paths",
        help="input channels: paths = B, |B|, B>0, B<0, BB, |B||B| (default); plain = the first four",
    )
    t.add_argument("--json", action="store_true", help="print the result as JSON")
    t.set_defaults(func=_train_quiver)

    bn = subparsers.add_parser(
        "bench",
        help="time the fast layer against the dense orbit basis and Maron's 15-op layer",
        description="Forward + backward of a full 2 -> 2 layer (15 elements) at each --n against the materialised "
        "orbit basis (where it fits in --dense-gb) and Maron et al.'s hand-written 15-operation layer, and of a "
        "3 -> 3 layer (203 elements) at each --n3 against the materialised orbit basis (timed on at most "
        "--dense-elements3 elements and scaled); ratios measured in this run and the growth exponent of the "
        "cost with n (workbench_equivariant.core.benchmark).",
    )
    bn.add_argument("--n", type=int, nargs="+", default=[16, 32, 64, 128], help="2 -> 2 set sizes")
    bn.add_argument("--n3", type=int, nargs="*", default=[16, 32], help="3 -> 3 set sizes (none: skip)")
    bn.add_argument("--batch", type=int, default=32, help="2 -> 2 batch (default 32)")
    bn.add_argument("--channels", type=int, default=16, help="2 -> 2 channels in and out (default 16)")
    bn.add_argument("--batch3", type=int, default=8, help="3 -> 3 batch (default 8)")
    bn.add_argument("--channels3", type=int, default=8, help="3 -> 3 channels in and out (default 8)")
    bn.add_argument("--dense-gb", type=float, default=4.0, help="largest dense basis to materialise (GB)")
    bn.add_argument("--dense-elements3", type=int, default=20, help="3 -> 3 dense elements timed (then scaled)")
    bn.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    bn.add_argument("--json", action="store_true", help="also print the times as one JSON line")
    bn.set_defaults(func=_bench)


def _dims(args: argparse.Namespace) -> int:
    from .core.partitions import dimensions

    if args.n > 10_000:
        raise ValueError(f"--n {args.n}: at most 10000 (the dimension is constant for n >= K + L anyway)")
    print(json.dumps({"dims": dimensions(args.k, args.l, args.n)}))
    return 0


def _check(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from workbench.jobs import JobContext

    from .jobs import CheckSpec, run_check

    spec = CheckSpec(k=args.k, l=args.l, n=args.n, seed=args.seed, permutations=args.permutations, device=args.device)
    spec.validate()
    res = run_check(spec, JobContext(device=args.device))
    out = asdict(res)
    out["full_rank"] = None if res.rank is None else res.rank == res.diagrams
    out["rank_equals_dimension"] = None if res.rank is None else res.rank == res.dimension
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"(k, l) = ({res.k}, {res.l}), n = {res.n}: dimension {res.dimension}, {res.diagrams} diagrams")
    print(f"equivariance error (float32, relative): {res.equivariance_error:.2e}")
    if res.rank is not None:
        print(f"fast vs materialised (float64, relative): {res.fast_vs_materialised_error:.2e}")
        print(f"rank of the materialised diagram basis: {res.rank} (dimension {res.dimension})")
    else:
        print(res.note)
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    try:
        if "-" in text:
            lo, hi = (int(x) for x in text.split("-"))
            return tuple(range(lo, hi + 1))
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ValueError(f"--eval-sizes {text!r}: give 'A-B' (e.g. 11-20) or a comma list (e.g. 11,15,20)") from None


def _train_quiver(args: argparse.Namespace) -> int:
    from workbench.jobs import run_in_terminal

    from .classifier import TrainQuiverSpec, run_train_quiver

    spec = TrainQuiverSpec(
        epochs=args.epochs,
        seed=args.seed,
        hidden=args.hidden,
        layers=args.layers,
        lr=args.lr,
        batch_size=args.batch_size,
        device=args.device,
        out=args.out,
        eval_sizes=_sizes(args.eval_sizes),
        eval_per_family=args.eval_per_family,
        train_limit=args.train_limit,
        time_budget_s=args.time_budget,
        threads=args.threads,
        data=args.data,
        inputs=args.inputs,
    )
    spec.validate()
    res = run_in_terminal(run_train_quiver, spec, title="train-quiver")
    out = {
        "checkpoint": res.checkpoint,
        "validation_accuracy": res.val_accuracy,
        "accuracy_by_n": {str(n): a for n, a in res.accuracy_by_n.items()},
        "epochs": len(res.history),
        "seconds": round(res.seconds, 1),
        "stopped": res.stopped,
    }
    if args.json:
        print(json.dumps(out))
        return 0
    for h in res.history:
        print(f"epoch {h['epoch']:3d}  loss {h['loss']:.4f}  validation accuracy {h['accuracy']:.4f}")
    print("held-out size  accuracy")
    for n, a in res.accuracy_by_n.items():
        print(f"{n:13d}  {a * 100:6.2f}%")
    print(f"checkpoint: {res.checkpoint or '(none)'} ({res.stopped}, {res.seconds:.0f} s)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    sizes = [*args.n, *args.n3]
    if any(n < 1 or n > 512 for n in sizes):
        raise ValueError(f"set sizes must be in 1..512, got {sizes}")
    for name in ("batch", "channels", "batch3", "channels3", "dense_elements3", "threads"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    import torch

    from .core.benchmark import BenchResult, bench_2to2, bench_3to3, print_growth

    torch.set_num_threads(args.threads)
    res = BenchResult()
    bench_2to2(args.n, args.batch, args.channels, args.dense_gb, result=res, out=lambda m: print(m, flush=True))
    if args.n3:
        print(flush=True)
        bench_3to3(
            args.n3, args.batch3, args.channels3, args.dense_gb, args.dense_elements3, result=res,
            out=lambda m: print(m, flush=True),
        )  # fmt: skip
    print_growth(res)
    if args.json:
        print(json.dumps(res.to_dict()))
    return 0
