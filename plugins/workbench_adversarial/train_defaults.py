"""Retrain the embedded default models: ``python -m workbench_adversarial.train_defaults``.

Writes resources/adversarial/<dataset>-<arch>.safetensors with its checkpoint sidecar
(:mod:`workbench.checkpoint`: architecture; provenance: data, seed, hyper-parameters,
accuracies, this command; sha256).  ``--out DIR`` writes elsewhere.  CPU, one thread: the six
digits/shapes models ~1 minute; ``textures-resnet`` (1.2 M parameters, 15 epochs of 10,000
images, cosine learning rate, stored as float16: 2.5 MB) ~15 minutes, run it alone with
``--only textures-resnet``.
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
from workbench_adversarial.core.models import build_model
from workbench_adversarial.core.training import accuracy, train_classifier
from workbench_adversarial.core.zoo import CHECKPOINT_KIND, DEFAULT_MODELS, checkpoint_architecture, resource_dir

EPOCHS = {"linear": 60, "mlp": 40, "cnn": 30, "resnet": 15}
#: per architecture: (learning rate, batch, cosine schedule, stored dtype)
RECIPE = {
    "linear": (3e-3, 64, False, torch.float32),
    "mlp": (3e-3, 64, False, torch.float32),
    "cnn": (3e-3, 64, False, torch.float32),
    "resnet": (2e-3, 128, True, torch.float16),
}
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
    for dataset, arch, _ in DEFAULT_MODELS:
        name = f"{dataset}-{arch}"
        if only and name not in only:
            continue
        split = load_dataset(dataset)
        lr, batch, cosine, dtype = RECIPE[arch]
        model = build_model(arch, split.shape, split.num_classes, generator=torch_generator(args.seed))
        t0 = time.time()
        rep = train_classifier(
            model,
            split.x_train,
            split.y_train,
            split.x_test,
            split.y_test,
            epochs=EPOCHS[arch],
            lr=lr,
            batch=batch,
            seed=args.seed,
            cosine=cosine,
        )
        seconds = time.time() - t0
        # what is stored is what is reported: float tensors cast to the stored dtype and back
        state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items()}
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        test_acc = accuracy(model, split.x_test, split.y_test)
        train_acc = accuracy(model, split.x_train, split.y_train)
        prov = {
            "model": name,
            "dataset": dataset,
            "data": split.description,
            "classes": split.class_names,
            "n_train": int(len(split.y_train)),
            "n_test": int(len(split.y_test)),
            "seed": args.seed,
            "optimizer": f"Adam lr={lr:g} weight_decay=1e-4 batch={batch}" + (" cosine schedule" if cosine else ""),
            "epochs": rep.epochs,
            "train_accuracy": round(train_acc, 4),
            "test_accuracy": round(test_acc, 4),
            "final_batch_loss": round(rep.final_loss, 5),
            "parameters": int(sum(v.numel() for k, v in state.items() if v.is_floating_point())),
            "stored_dtype": str(dtype).removeprefix("torch."),
            "seconds": round(seconds, 1),
            "threads": torch.get_num_threads(),
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
        print(f"{name}: test accuracy {test_acc:.3f} ({prov['seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
