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


def register(subparsers: Any) -> None:
    """Add the plugin's subcommands to ``subparsers`` (argparse sub-parsers object)."""
    p = subparsers.add_parser("generate", help="write the embedded default data set as an image folder "
                                               "(OUT/<domain>/<class>/*.png + domains.csv)")
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default %(default)s)")
    p.set_defaults(func=cmd_generate)
