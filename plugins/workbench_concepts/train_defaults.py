"""Retrain the shipped default ensemble: ``python -m workbench_concepts.train_defaults``.

Trains 5 :class:`~workbench_concepts.core.resnet.ConceptResNet` members (width 12, seeds
0..4) on the embedded default data (:class:`~workbench_concepts.core.dataset.DefaultData`,
seed 0, 3000 training images) and writes resources/concepts/concepts-resnet-w12-x5.safetensors
with its checkpoint sidecar (architecture; provenance: data, training settings, seeds, test
accuracies, this command).  ``--out FILE`` writes elsewhere.  CPU, one thread; about 10-15
minutes on a busy 2-core machine.
"""

from __future__ import annotations

import argparse
import sys

import torch

from workbench.jobs import run_in_terminal
from workbench_concepts.core.train import default_ensemble_path
from workbench_concepts.jobs import TrainSpec, run_train

COMMAND = "python -m workbench_concepts.train_defaults"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="", help="checkpoint path (default: the shipped one)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = args.out or str(default_ensemble_path())
    spec = TrainSpec(out=out, device=args.device, command=COMMAND + (f" --out {args.out}" if args.out else ""))
    res = run_in_terminal(run_train, spec, title="train default ensemble")
    print(f"{res.path}: test accuracy " + ", ".join(f"{a:.3f}" for a in res.test_accuracy) + f" ({res.seconds} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
