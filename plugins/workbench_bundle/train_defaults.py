"""Retrain the shipped default classifiers: ``python -m workbench_bundle.train_defaults``.

Generates a balanced Haldane bundle dataset (grid 32, classes -2..2; train seed 0, test seed 1),
trains the MLP and CNN baselines and the flux (topological prior) model for a few epochs on
one or two CPU threads, and writes resources/bundle/<arch>.safetensors with a JSON of provenance
(data, seed, metrics, this command) beside each.  Takes a few minutes.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from workbench_bundle.core.haldane_bundle import generate_dataset
from workbench_bundle.core.train import TrainConfig, save_checkpoint, train_classifier

EPOCHS = {"mlp": 10, "cnn": 3, "flux": 10}
TRAIN_SIZE, TEST_SIZE, GRID = 2000, 500, 32


def main(argv: list[str] | None = None) -> int:
    from workbench_resources import resource_path

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--archs", default="flux,mlp,cnn")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    train = generate_dataset(TRAIN_SIZE, GRID, seed=0)
    test = generate_dataset(TEST_SIZE, GRID, seed=1)
    print(f"data: {len(train)} train, {len(test)} test in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for arch in args.archs.split(","):
        cfg = TrainConfig(arch=arch, epochs=EPOCHS[arch], seed=0, lr=2e-3 if arch != "flux" else 1e-2)
        res = train_classifier(train.psi, train.labels, test.psi, test.labels, cfg)
        prov = {
            "data": {
                "dataset": "Haldane bundles (arXiv:2312.04600), random variant, balanced over C in -2..2",
                "grid": GRID,
                "train_size": len(train),
                "train_seed": 0,
                "test_size": len(test),
                "test_seed": 1,
                "label_method": train.provenance["label_method"],
            },
            "seed": cfg.seed,
            "epochs": cfg.epochs,
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "threads": args.threads,
            "command": "python -m workbench_bundle.train_defaults",
        }
        path, _ = save_checkpoint(res, resource_path("bundle", f"{arch}.safetensors"), prov)
        print(f"{arch}: test accuracy {res.test_accuracy:.3f} in {res.seconds:.1f} s -> {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
