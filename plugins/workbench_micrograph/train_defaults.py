"""Retrain the shipped micrograph classifier: ``python -m workbench_micrograph.train_defaults``.

Trains :class:`~workbench_micrograph.core.models.MicrographResNet` (width 8) on the source
training split of the embedded default data (:class:`~workbench_micrograph.core.data.DefaultData`,
seed 0) and writes resources/micrograph/micrograph-resnet-w8.safetensors with its checkpoint
sidecar (architecture; provenance: data, seed, settings, accuracies on the source test set and
on each shifted test set, this command).  ``--out FILE`` writes elsewhere.  CPU, one thread,
about a minute.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

from workbench_micrograph.core.data import DefaultData, default_data
from workbench_micrograph.core.train import TrainConfig, accuracy, default_model_path, save_classifier, train_classifier

COMMAND = "python -m workbench_micrograph.train_defaults"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="training seed (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--out", type=Path, default=None, help="checkpoint path (default: the shipped one)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    spec = DefaultData()
    data = default_data(spec)
    cfg = TrainConfig(epochs=args.epochs, seed=args.seed)
    t0 = time.time()
    out = train_classifier(
        data.train,
        data.val,
        data.num_classes,
        cfg,
        partial=lambda r: print(
            f"epoch {r.epoch}: loss {r.loss:.4f}, train {r.train_acc:.3f}, val {r.val_acc:.3f}", file=sys.stderr
        ),
    )
    acc = {"source_test": accuracy(out.model, data.test), "source_val": accuracy(out.model, data.val)}
    acc.update({f"{d}_test": accuracy(out.model, s) for d, s in data.shifted.items()})
    prov = {
        "model": "micrograph-resnet-w8",
        "data": data.description,
        "classes": list(data.class_names),
        "data_seed": spec.seed,
        "n_train": len(data.train),
        "seed": args.seed,
        "optimizer": f"Adam lr={cfg.lr} weight_decay={cfg.weight_decay} batch={cfg.batch}, cosine decay",
        "augmentation": "the 8 symmetries of the square" if cfg.augment else "none",
        "epochs": cfg.epochs,
        "accuracy": {k: round(v, 4) for k, v in acc.items()},
        "final_train_loss": round(out.history[-1].loss, 5),
        "parameters": int(sum(p.numel() for p in out.model.parameters())),
        "seconds": round(time.time() - t0, 1),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "command": COMMAND
        + (f" --seed {args.seed}" if args.seed else "")
        + (f" --epochs {args.epochs}" if args.epochs != TrainConfig.epochs else ""),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = args.out or default_model_path()
    save_classifier(path, out.model, prov)
    print(f"{path}: " + ", ".join(f"{k} {v:.3f}" for k, v in acc.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
