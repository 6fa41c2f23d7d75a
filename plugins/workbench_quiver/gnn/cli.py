"""Headless GNN commands: ``workbench quiver dataset``, ``workbench quiver train`` and
``workbench quiver train-sweep`` (``--cluster``: :mod:`.sweeps`), plus
:func:`gnn_probabilities` for ``workbench quiver classify FILE --gnn``.

Wiring (in ``workbench_quiver/cli.py``)::

    from .gnn.cli import register_gnn, gnn_probabilities
    register_gnn(subparsers)                     # at the end of register()
    # classify: p.add_argument("--gnn", action="store_true") and, after computing rows,
    #   if args.gnn: for row, probs in zip(rows, gnn_probabilities(matrices)): row["gnn"] = probs

Imports nothing heavy at module level.
"""

from __future__ import annotations

import argparse
import json
import sys


def gnn_probabilities(b_list, checkpoint=None) -> list[dict[str, float]]:
    """``[{family: probability}]`` over ``A, D, E, A~, D~, E~`` for each exchange matrix of
    ``b_list`` with the default (or the given) checkpoint.  Raises ``ValueError`` (a
    ``CheckpointError``) naming the file when the checkpoint is missing or corrupt."""
    from .predictor import gnn_probabilities as _gp

    return _gp(b_list, checkpoint)


def _parse_sizes(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return tuple(out)


def _csv(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def cmd_deepwalk(args: argparse.Namespace) -> int:
    """``dataset --split deepwalk``: the deep-walk test set of :mod:`.deepwalk` (seeded)."""
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import DeepWalkSpec, run_deepwalk

    try:
        sizes = _parse_sizes(args.sizes or "11-20")
        lo, _, hi = args.walk.partition("-")
        spec = DeepWalkSpec(
            out=args.out,
            sizes=sizes,
            families=_csv(args.families),
            per_family=args.per_family,
            walk=(int(lo), int(hi or lo)),
            seed=args.seed,
        )
        res = run_in_terminal(run_deepwalk, spec, title="dataset deepwalk")
    except (JobError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"path": res.path, "provenance": res.meta_path, "total": res.total, "short": res.short}))
    return 0


def cmd_dataset(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import DatasetSpec, run_dataset

    if args.split == "deepwalk":
        return cmd_deepwalk(args)
    try:
        spec = DatasetSpec(
            out=args.out,
            split=args.split,
            sizes=_parse_sizes(args.sizes or "7-10"),
            families=_csv(args.families),
            extra_types=_csv(args.extra),
            depth=args.depth,
            seed=args.seed,
        )
        backend = _backend(args)
        if backend.kind == "process":
            res = run_in_terminal(run_dataset, spec, title=f"dataset {args.split}")
        else:
            from .sweeps import run_dataset_split

            res = run_in_terminal(
                lambda s, ctx: run_dataset_split(s, ctx, backend),
                spec,
                title=f"dataset {args.split} on {backend.text()}",
            )
    except (JobError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "path": res.path,
                "provenance": res.meta_path,
                "total": res.total,
                "counts": res.counts,
                "seconds": res.seconds,
            }
        )
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``evaluate``: accuracy by vertex count (and per family, confusion) of the shipped or the
    given checkpoints (several: a logit-average ensemble) on a dataset .npz."""
    from .checkpoint import CheckpointError, default_checkpoint_path, load_checkpoint
    from .dataset import load_dataset
    from .evaluate import evaluate_by_size, format_table

    try:
        import torch

        torch.set_num_threads(max(1, args.threads))
        ds = load_dataset(args.data)
        paths = args.checkpoint or [str(default_checkpoint_path())]
        models = [load_checkpoint(p).model for p in paths]
        rows = evaluate_by_size(models, ds)
    except (CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"data": args.data, "checkpoints": paths, "rows": [r.to_dict() for r in rows]}))
    else:
        print(f"data: {args.data} ({len(ds)} quivers); checkpoints: {', '.join(paths)}")
        print(format_table(rows))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import TrainSpec, run_train

    spec = TrainSpec(
        out=args.out,
        data=args.data or "",
        test_data=args.test or "",
        epochs=args.epochs,
        time_budget_s=args.time_budget,
        seed=args.seed,
        feature_set=args.features,
        pooling=args.pooling,
        threads=args.threads,
        device=args.device,
    )
    try:
        res = run_in_terminal(run_train, spec, title="train")
    except JobError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "checkpoint": res.checkpoint,
                "test_accuracy": res.test_accuracy,
                "epochs": len(res.history["train_loss"]),
                "stopped": res.history["stopped"],
                "val_acc": res.history["val_acc"],
            }
        )
    )
    return 0


def _backend(args: argparse.Namespace):
    """The --cluster backend (an InputError, a ValueError, says what is accepted)."""
    from workbench.cluster import parse_backend

    return parse_backend(args.cluster)


def _cluster_arg(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--cluster",
        default="",
        help=f"where {what} run: process (default), local:N (N worker processes here), tcp://HOST:PORT of a "
        "Dask scheduler or a scheduler file (docs/cluster.md)",
    )


def cmd_train_sweep(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import TrainSpec
    from .sweeps import TrainSweepSpec, run_train_sweep

    try:
        backend = _backend(args)
        seeds = _parse_sizes(args.seeds)
        base = TrainSpec(
            out="",
            data=args.data,
            test_data=args.test or "",
            epochs=args.epochs,
            time_budget_s=args.time_budget,
            feature_set=args.features,
            pooling=args.pooling,
            threads=args.threads,
            device=args.device,
        )
        spec = TrainSweepSpec(base=base, seeds=seeds, out_dir=args.out_dir)
        res = run_in_terminal(
            lambda s, ctx: run_train_sweep(s, ctx, backend), spec, title=f"train sweep on {backend.text()}"
        )
    except (JobError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = [
        {
            "seed": s,
            "checkpoint": r.checkpoint,
            "test_accuracy": r.test_accuracy,
            "epochs": len(r.history["train_loss"]),
            "stopped": r.history["stopped"],
        }  # fmt: skip
        for s, r in zip(res.seeds, res.runs, strict=True)
    ]
    print(json.dumps({"runs": rows, **res.summary, "seconds": res.seconds}))
    return 0


def register_gnn(subparsers) -> None:
    """Add ``dataset`` and ``train`` to the quiver plugin's sub-parsers."""
    p = subparsers.add_parser(
        "dataset",
        help="build a GNN dataset of mutation classes (npz + JSON provenance)",
        description="train: A, D, A~, D~ on 7-10 vertices, E6-E8, E~6-E~8, E10 to depth 8; "
        "test: A11, A~ on 11, D11, D~10, E11 to depth 8; custom: --sizes/--families/--extra; "
        "deepwalk: --per-family non-isomorphic quivers of A, D, A~, D~ per size from deep random mutation walks "
        "(--walk, then a random relabelling), e.g. --sizes 11-20.",
    )
    p.add_argument("--split", choices=("train", "test", "custom", "deepwalk"), default="train")
    p.add_argument("--out", required=True, help="output .npz (a .json of provenance is written beside it)")
    p.add_argument(
        "--sizes", default="", help="custom (default 7-10), deepwalk (default 11-20): vertex counts, e.g. 7-10, 5,6,12"
    )
    p.add_argument("--families", default="A,D,A~,D~", help="custom, deepwalk: families at every size")
    p.add_argument(
        "--per-family",
        type=int,
        default=1000,
        help="deepwalk: non-isomorphic quivers per family and size (A~ spread over its splits p+q=n)",
    )
    p.add_argument("--walk", default="50-400", help="deepwalk: walk lengths, uniform in LO-HI mutations")
    p.add_argument(
        "--extra", default="E6,E7,E8,E~6,E~7,E~8,E10", help="custom: extra type labels (E_n for n >= 10 to --depth)"
    )
    p.add_argument("--depth", type=int, default=8, help="mutation depth of mutation-infinite classes")
    p.add_argument("--seed", type=int, default=0)
    _cluster_arg(p, "the classes (one task per mutation type)")
    p.set_defaults(func=cmd_dataset)

    p = subparsers.add_parser(
        "evaluate",
        help="accuracy of the GNN classifier by vertex count, per family, with confusion matrices",
        description="Evaluates the shipped checkpoint (or --checkpoint, repeatable: a logit-average ensemble) "
        "on --data and prints one row per vertex count with the paper's accuracy beside it.",
    )
    p.add_argument("--data", required=True, help="dataset .npz (e.g. from 'dataset --split deepwalk')")
    p.add_argument("--checkpoint", action="append", default=[], help="checkpoint .safetensors (repeatable)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--json", action="store_true", help="print JSON (rows with accuracy, per_family, confusion)")
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser(
        "train",
        help="train the DirGINE mutation-class classifier",
        description="Trains on --data (or builds the paper's training set), evaluates --test, "
        "writes a safetensors checkpoint and its JSON.",
    )
    p.add_argument("--data", default="", help="training .npz from 'workbench quiver dataset'")
    p.add_argument("--test", default="", help="test .npz (optional)")
    p.add_argument("--out", required=True, help="checkpoint path (.safetensors)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--time-budget", type=float, default=600.0, help="CPU seconds of training")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--features", choices=("blocks", "constant"), default="blocks")
    p.add_argument(
        "--pooling", choices=("meanmax", "meanmax2", "meanmaxsum", "sum", "mean", "meanmaxcount"), default="meanmax"
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser(
        "train-sweep",
        help="train the classifier once per seed (one task per seed; JSON of test accuracies)",
        description="Each run is `workbench quiver train --seed S` on --data, writing OUT_DIR/seed<S>.safetensors.",
    )
    p.add_argument("--data", required=True, help="training .npz from 'workbench quiver dataset'")
    p.add_argument("--test", default="", help="test .npz (optional)")
    p.add_argument("--seeds", default="0-4", help="seeds: 0-4 or 0,3,7")
    p.add_argument("--out-dir", required=True, help="folder for the checkpoints")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--time-budget", type=float, default=600.0, help="CPU seconds of training per run")
    p.add_argument("--features", choices=("blocks", "constant"), default="blocks")
    p.add_argument(
        "--pooling", choices=("meanmax", "meanmax2", "meanmaxsum", "sum", "mean", "meanmaxcount"), default="meanmax"
    )
    p.add_argument("--threads", type=int, default=1, help="torch threads per run")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    _cluster_arg(p, "the runs")
    p.set_defaults(func=cmd_train_sweep)
