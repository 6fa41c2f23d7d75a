"""Headless quiver subcommands: ``workbench quiver classify | class | identify | convert | tikz | cluster |
mgs | exchange-graph``.

Imports nothing heavy at module level (numpy and the core are imported inside handlers).
"""

from __future__ import annotations

import argparse
import json
import sys


def _err(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def cmd_classify(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import ClassifySpec, run_classify

    try:
        rows = run_in_terminal(run_classify, ClassifySpec(args.file, seed=args.seed), title="classify", quiet=True)
    except JobError as exc:
        return _err(str(exc))
    if args.gnn:
        from .core.formats import read_quiver_list
        from .gnn.cli import gnn_probabilities

        try:
            probs = gnn_probabilities(read_quiver_list(args.file), args.checkpoint or None)
        except (OSError, ValueError) as exc:
            return _err(f"GNN classifier unavailable: {exc}")
        for d, p in zip(rows, probs, strict=True):
            d["gnn"] = {k: round(float(v), 6) for k, v in p.items()}
    for d in rows:
        print(json.dumps(d))
    return 0


def cmd_class(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .core.formats import write_benchmark_csv
    from .jobs import ClassByTypeSpec, run_class_by_type

    try:
        res = run_in_terminal(
            run_class_by_type,
            ClassByTypeSpec(args.type, max_size=args.max_size),
            title=f"class {args.type}",
            quiet=not sys.stderr.isatty(),
        )
    except JobError as exc:
        return _err(str(exc))
    if not res.complete:
        return _err(f"enumeration stopped early ({res.stopped}) after {len(res)} quivers")
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                if args.out.lower().endswith(".csv"):
                    fh.write(write_benchmark_csv(res.members))
                else:
                    for b, path in zip(res.members, res.paths, strict=True):
                        fh.write(json.dumps({"b": [[int(x) for x in row] for row in b], "path": path}) + "\n")
        except OSError as exc:
            return _err(f"cannot write {args.out}: {exc}")
    print(json.dumps({"type": res.label, "size": len(res)}))
    return 0


def _read_one(path: str):
    from .core.formats import read_quiver_file

    return read_quiver_file(path)


def cmd_identify(args: argparse.Namespace) -> int:
    from .core.identify import identify

    try:
        q = _read_one(args.file)
    except (OSError, ValueError) as exc:  # the message names the file
        return _err(str(exc))
    r = identify(q.b, seed=args.seed)
    d = r.to_dict()
    d["evidence"] = {
        k: v
        for k, v in r.evidence.items()
        if k
        in (
            "highlight_vertices",
            "highlight_arrows",
            "vatne_type",
            "puncture_types",
            "cycle",
            "p",
            "q",
            "path",
            "table",
        )
    }
    print(json.dumps(d, default=str))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from .core import formats

    try:
        q = _read_one(args.input)
    except (OSError, ValueError) as exc:  # the message names the file
        return _err(str(exc))
    try:
        formats.write_quiver(args.output, q)
    except (OSError, ValueError) as exc:
        return _err(f"cannot write {args.output}: {exc}")
    return 0


def cmd_tikz(args: argparse.Namespace) -> int:
    from .core.formats import to_tikz

    try:
        q = _read_one(args.file)
    except (OSError, ValueError) as exc:  # the message names the file
        return _err(str(exc))
    text = to_tikz(q)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            return _err(f"cannot write {args.out}: {exc.strerror or exc}")
    else:
        sys.stdout.write(text)
    return 0


def _cluster_matrix(args: argparse.Namespace):
    """The exchange matrix of FILE, or of ``--type`` (a standard quiver)."""
    from .core.standard import standard_quiver

    if getattr(args, "type", None):
        return standard_quiver(args.type)
    if not getattr(args, "file", None):
        raise ValueError("give a quiver FILE or --type LABEL (A4, D5, E8, ...)")
    return _read_one(args.file).b


def cmd_cluster(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .core.cluster_algebra import parse_path
    from .jobs import ClusterSeedSpec, as_spec_matrix, run_cluster_seed

    try:
        b = _cluster_matrix(args)
        path = parse_path(args.path or "", int(b.shape[1]))
        d = run_in_terminal(run_cluster_seed, ClusterSeedSpec(as_spec_matrix(b), tuple(path)), quiet=True)
    except (OSError, ValueError, JobError) as exc:
        return _err(str(exc))
    if args.json:
        print(json.dumps({k: d[k] for k in ("cluster", "g_vectors", "c_vectors", "d_vectors", "f_polynomials")}))
        return 0
    print(f"seed after mutations {d['path'] or '(none)'} (SageMath's ClusterSeed conventions)")
    for i, v in enumerate(d["cluster"]):
        print(f"  x{i}' = {v}")
        print(f"      g = {d['g_vectors'][i]}  c = {d['c_vectors'][i]}  d = {d['d_vectors'][i]}")
        print(f"      F = {d['f_polynomials'][i]}")
    print(f"green vertices: {d['green']}")
    return 0


def cmd_mgs(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import GreenSequenceSpec, as_spec_matrix, run_green_sequences

    try:
        b = _cluster_matrix(args)
        spec = GreenSequenceSpec(
            as_spec_matrix(b), max_length=args.max_length, max_states=args.max_states, convention=args.convention
        )
        res = run_in_terminal(run_green_sequences, spec, title="maximal green sequences", quiet=not sys.stderr.isatty())
    except (OSError, ValueError, JobError) as exc:
        return _err(str(exc))
    d = res.to_dict()
    if args.json:
        print(json.dumps(d))
        return 0
    if d["shortest"] is None:
        print("no maximal green sequence found" + (f" ({d['stopped']})" if d["stopped"] else ""))
        return 0
    found = "" if d["complete"] else " found"
    print(f"shortest{found} ({d['shortest_length']}): {','.join(map(str, d['shortest']))}")
    print(f"longest{found} ({d['longest_length']}): {','.join(map(str, d['longest']))}")
    print(f"{d['count']} maximal green sequences{'' if d['complete'] else ' found'}; lengths {d['lengths']}")
    if d["stopped"]:
        print(f"search incomplete: {d['stopped']}")
    return 0


def cmd_exchange_graph(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import ExchangeGraphSpec, as_spec_matrix, run_exchange_graph

    try:
        b = _cluster_matrix(args)
        spec = ExchangeGraphSpec(
            as_spec_matrix(b), max_clusters=args.max_clusters, variables=bool(args.out), vertices=args.vertices
        )
        res = run_in_terminal(run_exchange_graph, spec, title="exchange graph", quiet=not sys.stderr.isatty())
    except (OSError, ValueError, JobError) as exc:
        return _err(str(exc))
    summary = {"vertices": res.n_vertices, "edges": res.n_edges}
    if args.out:
        data = {
            **summary,
            "cluster_variables": len(res.g_vectors),
            "clusters": [list(c) for c in res.clusters],
            "edges_list": [list(e) for e in res.edges],
            "g_vectors": [list(g) for g in res.g_vectors],
            "cluster_variables_list": res.variables,
            "paths": [list(p) for p in res.paths],
        }
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
        except OSError as exc:
            return _err(f"cannot write {args.out}: {exc.strerror or exc}")
    if args.json:
        print(json.dumps(summary))
    elif res.vertices == "quivers":
        print(f"{res.n_vertices} quivers up to isomorphism, {res.n_edges} mutations between them (edges)")
    else:
        what = "labelled seeds" if res.vertices == "labelled" else "clusters"
        print(f"{res.n_vertices} {what}, {res.n_edges} mutations (edges), {len(res.g_vectors)} cluster variables")
    return 0


def register(subparsers) -> None:
    """Add the quiver subcommands to an argparse sub-parsers object."""
    p = subparsers.add_parser(
        "classify",
        help="identify the mutation type of every quiver in a file",
        description='FILE: JSON lines ({"b": [[...]]} per line) or the benchmark CSV '
        "(one flattened n x n B-matrix per line). Prints one JSON object per quiver.",
    )
    p.add_argument("file")
    p.add_argument("--seed", type=int, default=0, help="seed of the randomised searches (default 0)")
    p.add_argument(
        "--gnn",
        action="store_true",
        help='add "gnn": {family: probability} over A, D, E, A~, D~, E~ from the GNN classifier',
    )
    p.add_argument(
        "--checkpoint", default="", help="with --gnn: a checkpoint (.safetensors) instead of the shipped one"
    )
    p.set_defaults(func=cmd_classify)

    p = subparsers.add_parser(
        "class",
        help="enumerate the mutation class of a type label",
        description='Prints {"type": LABEL, "size": N}; --out writes the members '
        "(JSON lines with b and path, or CSV by extension).",
    )
    p.add_argument("--type", required=True, help="A5, D7, E8, A~3,2, D~10, E~7, E6^(1,1), X7, ...")
    p.add_argument("--out", default=None, help="write the members to this file (.jsonl or .csv)")
    p.add_argument("--max-size", type=int, default=2_000_000, help="stop (with an error) beyond this many quivers")
    p.set_defaults(func=cmd_class)

    p = subparsers.add_parser("identify", help="identify one quiver (.qmu, .json, .csv, B-matrix text) with evidence")
    p.add_argument("file")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_identify)

    p = subparsers.add_parser("convert", help="convert between .qmu, .json, .csv, .tex (TikZ) and B-matrix text")
    p.add_argument("input")
    p.add_argument("output", help="format by suffix: .qmu .json .txt (.b, none: B-matrix text) .csv .tex")
    p.set_defaults(func=cmd_convert)

    p = subparsers.add_parser("tikz", help="TikZ code of a quiver (stdout or --out)")
    p.add_argument("file")
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_tikz)

    p = subparsers.add_parser(
        "cluster",
        help="cluster variables, g-, c-, d-vectors and F-polynomials after a mutation path (Sage's conventions)",
        description="FILE: a quiver (.qmu, .json, .csv, B-matrix text). Initial variables x0..x{n-1}, "
        "frozen y0..y{m-1}; g-vectors and F-polynomials with principal coefficients, as SageMath's ClusterSeed.",
    )
    p.add_argument("file", nargs="?", default=None)
    p.add_argument("--type", default=None, help="a standard quiver instead of FILE (A4, D5, E8, ...)")
    p.add_argument("--path", default="", help="mutation path, e.g. 0,2,1 (first mutation first)")
    p.add_argument("--json", action="store_true", help='print {"cluster", "g_vectors", "c_vectors", "d_vectors", ...}')
    p.set_defaults(func=cmd_cluster)

    p = subparsers.add_parser(
        "mgs",
        help="maximal green sequences: the shortest and the longest found, their number",
        description="Depth-first search over green mutations of the framed quiver, memoised on framed quivers "
        "up to relabelling (exact counts when the search completes).",
    )
    p.add_argument("file", nargs="?", default=None)
    p.add_argument("--type", default=None, help="a standard quiver instead of FILE")
    p.add_argument("--max-length", type=int, default=None, help="longest sequence considered (default 4n^2+8)")
    p.add_argument("--max-states", type=int, default=200_000, help="framed quivers visited before stopping")
    p.add_argument(
        "--convention",
        choices=["sage", "keller"],
        default="sage",
        help="sage: green = non-negative c-vector of the principal extension (Sage's green_vertices); "
        "keller: Keller's framed quiver (arrows i -> i')",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_mgs)

    p = subparsers.add_parser(
        "exchange-graph",
        help="the exchange graph (clusters and mutations) of a finite-type quiver",
        description='Prints {"vertices": V, "edges": E} with --json; --out writes the '
        "graph (clusters, edges, g-vectors, cluster variables, paths) as JSON.",
    )
    p.add_argument("file", nargs="?", default=None)
    p.add_argument("--type", default=None, help="a standard quiver instead of FILE (A4, D5, E8, ...)")
    p.add_argument("--max-clusters", type=int, default=200_000, help="stop with an error beyond this many vertices")
    p.add_argument(
        "--vertices",
        choices=["clusters", "labelled", "quivers"],
        default="clusters",
        help="clusters: seeds up to permuting their cluster variables (the cluster algebra's exchange graph, "
        "A_n: Catalan C_{n+1}); labelled: labelled seeds; quivers: exchange matrices up to isomorphism "
        "(the mutation class)",
    )
    p.add_argument("--out", default=None, help="write the whole graph as JSON")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_exchange_graph)

    from .gnn.cli import register_gnn  # `dataset` and `train` of the GNN classifier (cheap import)

    register_gnn(subparsers)
