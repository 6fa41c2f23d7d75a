"""Retrain the embedded default models: ``python -m workbench_adversarial.train_defaults``.

Writes resources/adversarial/<dataset>-<arch>.safetensors with its checkpoint sidecar
(:mod:`workbench.checkpoint`: architecture; provenance: data, seed, hyper-parameters,
accuracies, this command; sha256).  ``--out DIR`` writes elsewhere.  CPU, one thread, ~1 minute.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

from workbench.checkpoint import save_checkpoint
from workbench.seeding import torch_generator
from workbench_adversarial.core.data import load_dataset
from workbench_adversarial.core.models import ARCHITECTURES, build_model
from workbench_adversarial.core.training import train_classifier
from workbench_adversarial.core.zoo import CHECKPOINT_KIND, checkpoint_architecture, resource_dir

EPOCHS = {"linear": 60, "mlp": 40, "cnn": 30}
COMMAND = "python -m workbench_adversarial.train_defaults"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated model names (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: resources/adversarial)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = args.out or resource_dir()
    out.mkdir(parents=True, exist_ok=True)
    only = {s for s in args.only.split(",") if s}
    for dataset in ("digits", "shapes"):
        split = load_dataset(dataset)
        for arch in ARCHITECTURES:
            name = f"{dataset}-{arch}"
            if only and name not in only:
                continue
            model = build_model(arch, split.shape, split.num_classes, generator=torch_generator(args.seed))
            t0 = time.time()
            rep = train_classifier(
                model, split.x_train, split.y_train, split.x_test, split.y_test, epochs=EPOCHS[arch], seed=args.seed
            )
            state = model.state_dict()
            prov = {
                "model": name,
                "dataset": dataset,
                "data": split.description,
                "classes": split.class_names,
                "n_train": int(len(split.y_train)),
                "n_test": int(len(split.y_test)),
                "seed": args.seed,
                "optimizer": "Adam lr=3e-3 weight_decay=1e-4 batch=64",
                "epochs": rep.epochs,
                "train_accuracy": round(rep.train_accuracy, 4),
                "test_accuracy": round(rep.test_accuracy, 4),
                "final_batch_loss": round(rep.final_loss, 5),
                "parameters": int(sum(v.numel() for v in state.values())),
                "seconds": round(time.time() - t0, 1),
                "torch": torch.__version__,
                "python": platform.python_version(),
                "command": COMMAND + (f" --only {name}" if only else ""),
                "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            save_checkpoint(
                out / f"{name}.safetensors",
                state,
                architecture=checkpoint_architecture(arch, dataset),
                provenance=prov,
                kind=CHECKPOINT_KIND,
            )
            print(f"{name}: test accuracy {rep.test_accuracy:.3f} ({prov['seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
