"""Retrain the shipped default classifier: ``python -m workbench_quiver.gnn.train_default``.

Builds the training set (full classes of A, D, A~, D~ on 7-10 vertices, E6-E8, E~6-E~8, E10
to depth 8) and the 11-vertex test set with the exact core, trains DirGINE (hidden 32, 4
layers, block features), evaluates the test set and the size-generalisation samples for
n = 12..20, and writes resources/quiver/gnn/dirgine_default.safetensors + .json (data
provenance, seed, metrics, timings and this command).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from . import FAMILIES
from .checkpoint import default_checkpoint_path, save_checkpoint
from .dataset import (
    TEST_RECIPE,
    TRAIN_RECIPE,
    build_dataset,
    load_dataset,
    n_node_features,
    pack,
    sample_size,
    save_dataset,
)
from .model import ModelConfig
from .train import TrainConfig, evaluate, train_model

PAPER_SIZE_GENERALISATION = {12: 99.6, 13: 98.7, 14: 97.7, 15: 95.5, 16: 94.3, 17: 92.0, 18: 91.1, 19: 89.4, 20: 89.1}
PAPER_TEST_ACCURACY = 99.2


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m workbench_quiver.gnn.train_default",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--out", default=str(default_checkpoint_path()), help="checkpoint path (.safetensors)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--time-budget", type=float, default=600.0, help="CPU seconds of training (process time)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=TrainConfig.lr, help="peak learning rate (one-cycle schedule)")
    ap.add_argument("--features", choices=("blocks", "constant"), default="blocks")
    ap.add_argument(
        "--pooling", choices=("meanmax", "meanmax2", "meanmaxsum", "sum", "mean", "meanmaxcount"), default="meanmax"
    )
    ap.add_argument("--per-family", type=int, default=400, help="size-generalisation samples per family and size")
    ap.add_argument("--sizes", default="12-20", help="size-generalisation range")
    ap.add_argument(
        "--deepwalk-per-family",
        type=int,
        default=1000,
        help="deep-walk test set (issue 21; dataset --split deepwalk --sizes 11-20, seed 0): quivers per family "
        "and size, 0 to skip",
    )
    ap.add_argument("--data-dir", default="", help="cache the datasets here (train.npz, test.npz)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    wall0, cpu0 = time.perf_counter(), time.process_time()

    def dataset(name, recipe):
        if args.data_dir:
            p = Path(args.data_dir) / f"{name}.npz"
            if p.exists():
                return load_dataset(p)
        ds = build_dataset(recipe, seed=args.seed)
        if args.data_dir:
            save_dataset(ds, Path(args.data_dir) / f"{name}.npz")
        return ds

    train_ds = dataset("train", TRAIN_RECIPE)
    _log(f"training set: {len(train_ds)} quivers {train_ds.counts()}")
    test_ds = dataset("test", TEST_RECIPE)
    _log(f"test set: {len(test_ds)} quivers {test_ds.counts()}")
    t_data = time.perf_counter() - wall0
    mc = ModelConfig(in_dim=n_node_features(args.features), feature_set=args.features, pooling=args.pooling)
    tc = TrainConfig(
        epochs=args.epochs, seed=args.seed, time_budget_s=args.time_budget, threads=args.threads, lr=args.lr
    )
    model, hist = train_model(
        train_ds,
        mc,
        tc,
        on_epoch=lambda h: _log(
            f"epoch {len(h.train_loss)} train loss {h.train_loss[-1]:.4f} val loss {h.val_loss[-1]:.4f} "
            f"val acc {h.val_acc[-1]:.4f}"
        ),
    )
    _log(f"trained: {hist.stopped}, {hist.seconds:.0f} s")
    train_cpu = time.process_time() - cpu0
    train_wall = time.perf_counter() - wall0
    test_eval = evaluate(model, test_ds, packed=pack(test_ds, mc.feature_set))
    _log(f"test accuracy (11 vertices): {test_eval.accuracy * 100:.2f}% {test_eval.per_type}")
    lo, hi = (int(x) for x in args.sizes.split("-"))
    sizes = {}
    for n in range(lo, hi + 1):
        ds = sample_size(n, args.per_family, seed=1000 + n)
        ev = evaluate(model, ds)
        sizes[str(n)] = {
            "accuracy": ev.accuracy,
            "n": ev.n,
            "per_family": ev.per_family,
            "paper": PAPER_SIZE_GENERALISATION.get(n),
        }
        _log(f"n={n}: {ev.accuracy * 100:.2f}% ({ev.n}) {ev.per_family}")
    deep = {}
    if args.deepwalk_per_family > 0:
        from .deepwalk import sample_deepwalk
        from .evaluate import evaluate_by_size

        deep_ds = sample_deepwalk(range(11, 21), args.deepwalk_per_family, seed=0)
        for row in evaluate_by_size([model], deep_ds):
            deep[str(row.n)] = row.to_dict()
            _log(f"deep walks n={row.n}: {row.accuracy * 100:.2f}% ({row.count}) {row.per_family}")
    meta = {
        "data": {
            "train": train_ds.provenance,
            "test": test_ds.provenance,
            "size_generalisation": {
                "per_family": args.per_family,
                "seeds": "1000 + n",
                "method": "random mutation walks (dataset.sample_size)",
            },
            "deepwalk": {
                "per_family": args.deepwalk_per_family,
                "sizes": "11-20",
                "seed": 0,
                "method": "deepwalk.sample_deepwalk: walks of 50-400 mutations, random relabelling, "
                "deduplicated up to isomorphism (= workbench quiver dataset --split deepwalk)",
            },
        },
        "seed": args.seed,
        "train_config": tc.to_dict(),
        "history": hist.to_dict(),
        "metrics": {
            "test_accuracy": test_eval.accuracy,
            "test_n": test_eval.n,
            "test_per_type": test_eval.per_type,
            "test_per_family": test_eval.per_family,
            "test_confusion": test_eval.confusion,
            "size_generalisation": sizes,
            "deepwalk": deep,
            "paper_test_accuracy": PAPER_TEST_ACCURACY,
        },
        "timing": {
            "data_seconds": round(t_data, 1),
            "train_wall_seconds_incl_data": round(train_wall, 1),
            "train_cpu_seconds_incl_data": round(train_cpu, 1),
            "threads": args.threads,
            "machine": platform.processor() or platform.machine(),
        },
        "command": "python -m workbench_quiver.gnn.train_default "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "families": list(FAMILIES),
    }
    w, j = save_checkpoint(model, args.out, meta)
    _log(f"wrote {w} and {j}")
    print(
        json.dumps(
            {
                "test_accuracy": test_eval.accuracy,
                "size_generalisation": {k: v["accuracy"] for k, v in sizes.items()},
                "deepwalk": {k: v["accuracy"] for k, v in deep.items()},
                "train_wall_seconds": round(train_wall, 1),
                "train_cpu_seconds": round(train_cpu, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
