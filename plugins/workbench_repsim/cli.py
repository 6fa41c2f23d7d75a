"""Headless commands of the Representation similarity plugin (``workbench repsim ...``).

* ``compare --a A.npy --b B.npy --measure NAME``: prints ``{"value": ...}``;
* ``heatmap --a A.npz --b B.npz --measure NAME --out M.npy [--figure FILE]``: the L_A x L_B
  matrix (``--a MODEL --data DATA`` takes activations from a zoo model or a local folder);
* ``heatmaps --pairs A:B,C:D | --models A,B,C --out-dir DIR [--cluster local:2]``: the A-vs-B
  matrix of every pair (one task per pair; ``--models``: every pair of the list), one .npy each;
* ``zoo``: lists the default models and their metrics;
* ``stitch --a MODEL --b MODEL [--data TEXT]``: the stitching table as JSON (zoo models, or two local
  Hugging Face causal LMs with the same tokenizer).

This module imports only the standard library at import time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .core.measure_names import MEASURE_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="one similarity value between two n x d activation files (.npy)",
        description='Compare two activation matrices (same n rows) and print {"value": ...}.',
    )
    p.add_argument("--a", required=True, metavar="A.npy", help="n x d array (rows = inputs, columns = neurons)")
    p.add_argument("--b", required=True, metavar="B.npy", help="n x d' array for the same n inputs")
    p.add_argument("--measure", default="cka", choices=MEASURE_NAMES)
    p.set_defaults(func=_compare)

    h = subparsers.add_parser(
        "heatmap",
        help="layer-by-layer similarity matrix of two models",
        description="L_A x L_B matrix of a measure between every layer of A and every layer of B. "
        "A and B are .npz files (one n x d_i array per layer, in layer order), zoo model "
        "names (see `workbench repsim zoo`) or local model folders.",
    )
    h.add_argument("--a", required=True, help="A.npz, a zoo model name or a local model folder")
    h.add_argument("--b", default="", help="B.npz / model (omit to compare A with itself)")
    h.add_argument("--measure", default="cka", choices=MEASURE_NAMES)
    h.add_argument("--out", required=True, metavar="M.npy", help="where to write the matrix")
    h.add_argument("--figure", default="", metavar="FILE", help="also write a figure (.png, .svg or .pdf)")
    h.add_argument("--data", default="default", help="for models: 'default', a text file or an image folder")
    h.add_argument("--pooling", default="mean", choices=("mean", "last", "first", "tokens"))
    h.add_argument("--max-samples", type=int, default=1000)
    h.add_argument(
        "--minibatch",
        type=int,
        default=0,
        metavar="B",
        help="stream minibatch linear CKA (Nguyen et al. 2021) over batches of B inputs; activations are "
        "never held in full (replaces --measure)",
    )
    h.set_defaults(func=_heatmap)

    m = subparsers.add_parser(
        "heatmaps",
        help="the A-vs-B heatmap of every pair of a list of model pairs (a sweep; --cluster)",
        description="One task per pair (--pairs A:B,C:D, or --models A,B,C for every pair of the list); writes "
        "DIR/<k>-<A>__<B>.npy per pair and DIR/heatmaps.json (layers, shapes, notes). Each task runs with one thread: "
        "the same matrices in this process and on a cluster.",
    )
    group = m.add_mutually_exclusive_group(required=True)
    group.add_argument("--pairs", default="", help="comma-separated A:B pairs (zoo names, model folders, .npz)")
    group.add_argument("--models", default="", help="comma-separated models: every pair of them")
    m.add_argument("--out-dir", required=True, help="folder for the matrices and heatmaps.json")
    m.add_argument("--measure", default="cka", choices=MEASURE_NAMES)
    m.add_argument("--data", default="default", help="for models: 'default', a text file or an image folder")
    m.add_argument("--pooling", default="mean", choices=("mean", "last", "first", "tokens"))
    m.add_argument("--max-samples", type=int, default=1000)
    m.add_argument(
        "--cluster",
        default="",
        help="where the pairs run: process (default), local:N (N worker processes here), tcp://HOST:PORT of a "
        "Dask scheduler or a scheduler file (docs/cluster.md)",
    )
    m.set_defaults(func=_heatmaps)

    z = subparsers.add_parser("zoo", help="list the default models shipped in resources/repsim")
    z.set_defaults(func=_zoo)

    s = subparsers.add_parser(
        "stitch",
        help="stitching table between two models of the zoo or two local "
        "Hugging Face causal LMs with the same tokenizer (JSON)",
    )
    s.add_argument("--a", required=True)
    s.add_argument("--b", required=True)
    s.add_argument("--steps", type=int, default=150)
    s.add_argument(
        "--data",
        default="default",
        help="Hugging Face models: a text file, one input per line (default: the generated corpus)",
    )
    s.set_defaults(func=_stitch)


def _fail(msg: str) -> int:
    print(f"workbench repsim: error: {msg}", file=sys.stderr)
    return 2


def _load_npy(path: str, label: str):
    from workbench.array_files import load_npy
    from workbench.errors import InputError

    try:
        a = load_npy(path, "n x d activation matrix")
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from None
    if a.ndim != 2:
        raise InputError(f"{label}: {Path(path).name} has shape {a.shape}; expected an n x d matrix")
    return a


def _compare(args: argparse.Namespace) -> int:
    from .core.measures import compare
    from .core.validate import DegenerateInputError, check_pair

    try:
        a, b = _load_npy(args.a, "--a"), _load_npy(args.b, "--b")
        if a.shape[0] != b.shape[0]:
            raise ValueError(
                f"--a has n = {a.shape[0]} rows but --b has n = {b.shape[0]}: both must hold the same inputs"
            )
        check_pair(a, b, names=(f"--a {args.a}", f"--b {args.b}"))  # messages name the files
        value = compare(a, b, args.measure)
    except (ValueError, DegenerateInputError) as exc:
        return _fail(str(exc))
    print(json.dumps({"value": value}))
    return 0


def _heatmap(args: argparse.Namespace) -> int:
    import numpy as np

    from workbench.jobs import JobError, run_in_terminal

    from .jobs import HeatmapSpec, run_heatmap

    spec = HeatmapSpec(
        model_a=args.a,
        model_b=args.b,
        data=args.data,
        pooling=args.pooling,
        measure=args.measure,
        max_samples=args.max_samples,
        panels=("AB",) if args.b else ("AA",),
        minibatch=args.minibatch,
    )
    try:
        res = run_in_terminal(run_heatmap, spec, title=f"{args.measure} heatmap")
    except JobError as exc:
        return _fail(str(exc))
    key = "AB" if args.b else "AA"
    m = res.matrices[key]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, m)
    names_b = res.names_b if args.b else res.names_a
    print(
        json.dumps(
            {
                "out": str(out),
                "shape": list(m.shape),
                "layers_a": res.names_a,
                "layers_b": names_b,
                "n": res.n,
                "form": res.form,
                "pooling": res.pooling,
                "notes": res.notes,
            }
        )
    )
    if args.figure:
        try:
            from .core.figure import save_heatmap_figure

            save_heatmap_figure(
                m,
                res.names_a,
                names_b,
                res.measure,
                args.figure,
                title=f"{args.measure}: {Path(args.a).name} vs {Path(args.b).name if args.b else 'itself'}",
            )
        except (ImportError, ValueError) as exc:
            return _fail(f"matrix written, figure not: {exc}")
    return 0


def _pairs(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """The --pairs / --models of ``heatmaps`` as (A, B) pairs; ValueError naming what is wrong."""
    from .sweeps import every_pair

    if args.models:
        return every_pair([m.strip() for m in args.models.split(",") if m.strip()])
    out = []
    for item in (t.strip() for t in args.pairs.split(",")):
        if not item:
            continue
        a, sep, b = item.partition(":")
        if not sep or not a.strip() or not b.strip():
            raise ValueError(f"--pairs: {item!r} is not a pair A:B")
        out.append((a.strip(), b.strip()))
    return tuple(out)


def _heatmaps(args: argparse.Namespace) -> int:
    import numpy as np

    from workbench.cluster import parse_backend
    from workbench.jobs import JobError, run_in_terminal

    from .sweeps import PairSweepSpec, run_pair_sweep

    try:
        backend = parse_backend(args.cluster)
        spec = PairSweepSpec(
            pairs=_pairs(args),
            data=args.data,
            pooling=args.pooling,
            measure=args.measure,
            max_samples=args.max_samples,
        )
        res = run_in_terminal(
            lambda s, ctx: run_pair_sweep(s, ctx, backend), spec, title=f"{args.measure} heatmaps on {backend.text()}"
        )
    except (JobError, ValueError) as exc:
        return _fail(str(exc))
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for k, ((a, b), h) in enumerate(zip(res.pairs, res.heatmaps, strict=True)):
        f = out / f"{k:03d}-{Path(a).name}__{Path(b).name}.npy"  # numbered: two folders may share a name
        np.save(f, h.matrices["AB"])
        rows.append(
            {
                "a": a,
                "b": b,
                "file": str(f),
                "shape": list(h.matrices["AB"].shape),
                "layers_a": h.names_a,
                "layers_b": h.names_b,
                "n": h.n,
                "notes": h.notes,
            }  # fmt: skip
        )
    summary = {"measure": args.measure, "pairs": rows, "seconds": res.seconds}
    (out / "heatmaps.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))
    return 0


def _zoo(_args: argparse.Namespace) -> int:
    from .core.validate import DegenerateInputError
    from .core.zoo import ZOO, provenance

    for name in ZOO:
        try:
            metrics = provenance(name).get("metrics", {})
        except DegenerateInputError:
            metrics = {"status": "not built (python -m workbench_repsim.train_defaults)"}
        print(f"{name:24s} {json.dumps(metrics)}")
    return 0


def _stitch(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import StitchSpec, run_stitching

    try:
        table = run_in_terminal(
            run_stitching, StitchSpec(args.a, args.b, steps=args.steps, data=args.data), title="stitching"
        )
    except JobError as exc:
        return _fail(str(exc))
    print(json.dumps(table.rows, indent=1))
    return 0
