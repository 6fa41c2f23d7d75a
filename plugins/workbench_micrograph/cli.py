"""Headless subcommands: ``workbench micrograph generate|train|edit|evaluate``.

Cheap to import: torch and the jobs are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _err(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def cmd_generate(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .core.data import DefaultData
    from .jobs import GenerateSpec, run_generate

    try:
        res = run_in_terminal(run_generate, GenerateSpec(out=args.out, default=DefaultData(seed=args.seed)),
                              title="generate", quiet=True)
    except JobError as exc:
        return _err(str(exc))
    print(f"{res.files} files in {res.out}: " + ", ".join(f"{k} {v}" for k, v in res.counts.items()))
    print(res.description)
    return 0


def _threads(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(max(1, int(getattr(args, "threads", 1) or 1)))


def _data_ref(path: str, args: argparse.Namespace | None = None) -> Any:
    from .core.data import DataRef, FolderOptions

    if not path:
        return DataRef()
    opts = FolderOptions()
    if args is not None:
        banner: int | str = "auto" if str(args.banner) == "auto" else int(args.banner)
        opts = FolderOptions(banner=banner, tile=int(args.tile), pool=int(args.pool), seed=int(args.split_seed))
    return DataRef(kind="folder", path=path, options=opts)


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="", help="image folder (default: the embedded generated data)")
    p.add_argument("--banner", default="0", help="rows of the SEM data banner to crop, or 'auto' (default 0)")
    p.add_argument("--tile", type=int, default=0, help="cut images into square patches of this size (0: whole)")
    p.add_argument("--pool", type=int, default=10, help="edit-pool images per class and shifted domain (folders)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the folder's train/val/test split")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")


def cmd_train(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .core.train import TrainConfig
    from .jobs import TrainSpec, run_train

    _threads(args)
    try:
        cfg = TrainConfig(epochs=args.epochs, seed=args.seed, width=args.width).check()
        spec = TrainSpec(data=_data_ref(args.data, args), config=cfg, out=args.out, device=args.device)
        res = run_in_terminal(run_train, spec, title="train")
    except (JobError, ValueError) as exc:
        return _err(str(exc))
    print(f"{res.saved}: " + ", ".join(f"{k} {v:.3f}" for k, v in res.accuracy.items()) + f" ({res.seconds:.0f} s)")
    return 0


def register(subparsers: Any) -> None:
    """Add the plugin's subcommands to ``subparsers`` (argparse sub-parsers object)."""
    p = subparsers.add_parser("generate", help="write the embedded default data set as an image folder "
                                               "(OUT/<domain>/<class>/*.png + domains.csv)")
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default %(default)s)")
    p.set_defaults(func=cmd_generate)

    p = subparsers.add_parser("train", help="train a classifier on the source domain and save it (checkpoint)")
    _add_data_args(p)
    p.add_argument("--out", required=True, help="checkpoint to write (X.safetensors + X.json)")
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--width", type=int, default=8, help="channels of the first stage (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train)
