"""Headless subcommands of the bundle plugin (``workbench bundle ...``).  Imports cheaply: the
science is imported inside the handlers.

    workbench bundle chern --model haldane --t1 1 --t2 0.3 --phi 1.2 --m 0.5 --grid 64
    workbench bundle chern --model qwz --u 1
    workbench bundle chern --model bhz --M 1 --A 1 --B 0.5 [--spin down]
    workbench bundle chern --model custom --dx "sin(kx)" --dy "sin(ky)" --dz "1 + cos(kx) + cos(ky)"
    workbench bundle dataset --size 12500 --grid 32 --out data.npz [--chunk 500 --cluster local:2]
    workbench bundle train --arch flux --data data.npz --epochs 5 --out model.safetensors
    workbench bundle train-sweep --archs mlp,cnn,flux --seeds 0-2 --data data.npz --cluster local:2
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    """Add the ``chern``, ``dataset`` and ``train`` subcommands."""
    p = subparsers.add_parser("chern", help="Chern number of a two-band model by the FHS method (JSON)")
    p.add_argument("--model", default="haldane", choices=["haldane", "qwz", "bhz", "custom", "sampled"])
    p.add_argument("--file", default="", help="sampled model: npz with 'hamiltonians' (N1,N2,d,d) or 'states'")
    p.add_argument(
        "--bands", default="", help="sampled Hamiltonians: comma-separated band indices (default lower half)"
    )
    for name in ("t1", "t2", "phi", "m", "u", "M", "A", "B"):
        p.add_argument(f"--{name}", type=float, default=None, help=f"model parameter {name}")
    for comp in ("d0", "dx", "dy", "dz"):
        p.add_argument(f"--{comp}", default=None, help=f"custom model: {comp} as an expression of kx, ky")
    p.add_argument(
        "--spin",
        default="up",
        choices=["up", "down"],
        help="bhz: the spin block whose Chern number is 'chern' (both are reported)",
    )
    p.add_argument("--grid", type=int, default=64, help="n for an n x n grid of the torus")
    p.add_argument(
        "--convention",
        default="pythtb",
        choices=["pythtb", "fukui"],
        help="sign convention: pythtb (A = i<u|grad u>, default, as Z2Pack) or fukui (opposite)",
    )
    p.add_argument("--refine", action="store_true", help="double the grid while the result is flagged unreliable")
    p.set_defaults(func=_chern)

    p = subparsers.add_parser("dataset", help="generate a Haldane bundle dataset (npz)")
    p.add_argument("--size", type=int, default=12500)
    p.add_argument("--grid", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variant", default="random", choices=["random", "simple", "intermediate"])
    p.add_argument("--no-balance", action="store_true", help="keep the natural class distribution")
    p.add_argument("--out", required=True, help="output .npz file")
    p.add_argument(
        "--chunk",
        type=int,
        default=0,
        help="generate in chunks of this many samples, each with its own seed derived from --seed (random "
        "variant; the same dataset wherever the chunks run; default: one piece, or 500 with --cluster)",
    )
    _cluster_arg(p, "the chunks")
    p.set_defaults(func=_dataset)

    p = subparsers.add_parser("train", help="train a bundle classifier (mlp, cnn, flux)")
    p.add_argument("--arch", default="flux", choices=["mlp", "cnn", "flux", "gauge", "charge", "subcell"])
    p.add_argument("--data", default="", help="dataset .npz (default: generate --size samples)")
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--grid", type=int, default=32)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="", help="checkpoint .safetensors (a JSON of provenance goes beside it)")
    p.set_defaults(func=_train)

    p = subparsers.add_parser(
        "train-sweep",
        help="train classifiers over architectures x seeds (one task per run; JSON of test accuracies)",
        description="Each run is the run of `workbench bundle train --arch A --seed S` with the other options, "
        "with one torch thread (the same numbers in this process and on a cluster).",
    )
    p.add_argument("--archs", default="mlp,cnn,flux", help="comma-separated architectures (mlp, cnn, flux)")
    p.add_argument("--seeds", default="0-2", help="seeds: 0-4 or 0,3,7")
    p.add_argument("--data", default="", help="dataset .npz (default: each seed generates --size samples)")
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--grid", type=int, default=32)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--out-dir", default="", help="a checkpoint <arch>-seed<S>.safetensors per run in this folder")
    _cluster_arg(p, "the runs")
    p.set_defaults(func=_train_sweep)


def _cluster_arg(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--cluster",
        default="",
        help=f"where {what} run: process (default), local:N (N worker processes here), tcp://HOST:PORT of a "
        "Dask scheduler or a scheduler file (docs/cluster.md)",
    )


def _backend(args: argparse.Namespace):
    """The --cluster backend, or an InputError (a ValueError) saying what is accepted."""
    from workbench.cluster import parse_backend

    return parse_backend(args.cluster)


def _int_list(text: str, what: str) -> tuple[int, ...]:
    """ "0-2" or "0,3,7" as integers; ValueError naming ``what`` otherwise."""
    out: list[int] = []
    try:
        for part in (t.strip() for t in text.split(",")):
            if not part:
                continue
            if "-" in part:
                a, b = part.split("-", 1)
                out += list(range(int(a), int(b) + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise ValueError(f"{what} must be integers such as 0-4 or 0,3,7, got {text!r}") from None
    if not out:
        raise ValueError(f"{what}: give at least one, such as 0-4 or 0,3,7")
    return tuple(out)


def _numpy_job(fn, spec, title: str):
    """Run a numpy-only job in the terminal (progress bar, Ctrl-C cancels); run_in_terminal
    resolves the device only if the job asks for it, so torch is never imported here."""
    from workbench.jobs import run_in_terminal

    return run_in_terminal(fn, spec, title=title)


def _chern(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError

    from .jobs import ChernSpec, run_chern

    names = {"haldane": ("t1", "t2", "phi", "m"), "qwz": ("u",), "bhz": ("M", "A", "B"), "custom": (), "sampled": ()}[
        args.model
    ]
    params = tuple((n, float(getattr(args, n))) for n in names if getattr(args, n) is not None)
    exprs = tuple((c, getattr(args, c)) for c in ("d0", "dx", "dy", "dz") if getattr(args, c) is not None)
    if args.model == "custom" and not exprs:
        print("error: --model custom needs at least one of --dx --dy --dz", file=sys.stderr)
        return 2
    if args.model == "sampled" and not args.file:
        print("error: --model sampled needs --file FILE.npz", file=sys.stderr)
        return 2
    try:
        bands = tuple(int(b) for b in args.bands.split(",") if b.strip())
    except ValueError:
        print(f"error: --bands must be comma-separated integers, got {args.bands!r}", file=sys.stderr)
        return 2
    spec = ChernSpec(
        model=args.model,
        params=params,
        expressions=exprs,
        grid=args.grid,
        convention=args.convention,
        refine=args.refine,
        array_path=args.file,
        bands=bands,
        spin=args.spin,
    )
    try:
        out = _numpy_job(run_chern, spec, "chern")
    except JobError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2))
    return 0


def _dataset(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError

    from .jobs import DatasetSpec, run_dataset

    spec = DatasetSpec(
        size=args.size, grid=args.grid, seed=args.seed, variant=args.variant, balance=not args.no_balance, out=args.out
    )
    try:
        backend = _backend(args)
        if backend.kind == "process" and args.chunk == 0:
            ds = _numpy_job(run_dataset, spec, "dataset")
        else:
            from .sweeps import DEFAULT_CHUNK, run_dataset_chunked

            chunk = args.chunk or DEFAULT_CHUNK
            ds = _numpy_job(
                lambda s, ctx: run_dataset_chunked(s, ctx, backend, chunk), spec, f"dataset on {backend.text()}"
            )
    except (JobError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "out": args.out,
                "size": len(ds),
                "class_counts": ds.class_counts(),
                "seconds": ds.provenance.get("seconds"),
            },
            indent=2,
        )
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    import torch

    from workbench.jobs import JobError, run_in_terminal

    from .jobs import TrainSpec, run_train

    torch.set_num_threads(max(1, args.threads))
    spec = TrainSpec(
        arch=args.arch,
        data=args.data,
        size=args.size,
        grid=args.grid,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        out=args.out,
    )
    try:
        res = run_in_terminal(run_train, spec, title=f"train {args.arch}")
    except JobError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "arch": res.arch,
                "test_accuracy": res.test_accuracy,
                "checkpoint": res.checkpoint,
                "confusion": res.confusion,
            },
            indent=2,
        )
    )
    return 0


def _train_sweep(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .sweeps import TrainSweepSpec, run_train_sweep

    try:
        backend = _backend(args)
        spec = TrainSweepSpec(
            archs=tuple(a.strip() for a in args.archs.split(",") if a.strip()),
            seeds=_int_list(args.seeds, "--seeds"),
            data=args.data,
            size=args.size,
            grid=args.grid,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            out_dir=args.out_dir,
        )
        res = run_in_terminal(
            lambda s, ctx: run_train_sweep(s, ctx, backend), spec, title=f"train sweep on {backend.text()}"
        )
    except (JobError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = [
        {"run": k, "arch": r.arch, "seed": s, "test_accuracy": r.test_accuracy, "checkpoint": r.checkpoint}
        for k, r, s in zip(res.keys, res.runs, res.seeds, strict=True)
    ]
    print(json.dumps({"runs": rows, "by_arch": res.by_arch(), "seconds": res.seconds}, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m workbench_bundle.cli chern ...``."""
    ap = argparse.ArgumentParser(prog="workbench bundle")
    register(ap.add_subparsers(dest="command", required=True))
    args = ap.parse_args(argv)
    from workbench.cli import run_command

    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
