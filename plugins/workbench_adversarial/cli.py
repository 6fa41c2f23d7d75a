"""Headless subcommands: ``workbench adversarial models|attack|sweep|export``.

Cheap to import: torch and the jobs are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _model_ref(args: argparse.Namespace) -> Any:
    from .core.zoo import ModelRef

    if getattr(args, "model_file", ""):
        kind = "state_dict" if args.arch else "torchscript"
        if not args.dataset:
            raise SystemExit("--model-file needs --dataset (e.g. digits)")
        return ModelRef(kind=kind, name="", path=args.model_file, arch=args.arch, dataset=args.dataset)
    return ModelRef(kind="zoo", name=args.model)


def _add_model_args(p: argparse.ArgumentParser) -> None:
    from_default = "digits-cnn"
    p.add_argument("--model", default=from_default, help="zoo model name (see `models`); default %(default)s")
    p.add_argument("--model-file", default="", help="your own model: a TorchScript file, or a state dict with --arch")
    p.add_argument("--arch", default="", help="zoo architecture of a state dict: linear, mlp or cnn")
    p.add_argument("--dataset", default="", help="dataset of --model-file: digits or shapes")


def _err(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def _threads(args: argparse.Namespace) -> None:
    if getattr(args, "threads", 0):
        import torch

        torch.set_num_threads(int(args.threads))


def cmd_models(args: argparse.Namespace) -> int:
    from .core.zoo import model_names

    for name in model_names():
        print(name)
    return 0


def cmd_attack(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import AttackSpec, run_attack

    _threads(args)
    spec = AttackSpec(
        model=_model_ref(args),
        n=args.n,
        p=args.p,
        eps=args.eps,
        steps=args.steps,
        step_size=args.step_size,
        kind=args.subspace,
        dim=args.dim,
        random_start=not args.no_random_start,
        restarts=args.restarts,
        target=args.target,
        early_stop=not args.no_early_stop,
        l1_k=args.l1_k,
        seed=args.seed,
        device=args.device,
        n_examples=0,
    )
    try:
        res = run_in_terminal(run_attack, spec, title="adversarial attack", quiet=args.json)
    except JobError as exc:
        return _err(str(exc))
    d = res.to_json()
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        print(
            f"{d['model']}: l_{d['p']} eps={d['eps']:g} {d['kind']} dim V={d['dim']}/{d['n_input']}: "
            f"success {d['successes']}/{d['n_correct']} = {d['success_rate']:.3f} "
            f"(95% CI {d['ci_low']:.3f}-{d['ci_high']:.3f}) of correctly classified inputs; "
            f"{d['seconds']:.2f} s on {d['device']}"
        )
    return 0


def _load_config(path: str) -> dict[str, Any]:
    from workbench.errors import InputError, parse_json, read_text

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such config file")
    text = read_text(p, "sweep configuration (JSON or TOML)", max_bytes=1 << 20)
    if p.suffix == ".toml":
        import tomllib

        try:
            cfg = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise InputError(f"{p}: not valid TOML ({str(exc)[:160] or 'nested too deeply'})") from None
    else:
        cfg = parse_json(text, str(p))
    if not isinstance(cfg, dict):
        raise InputError(f"{p}: the config must be a JSON/TOML object")
    return cfg


SWEEP_KEYS = (
    "model",
    "model_file",
    "arch",
    "dataset",
    "n",
    "classes",
    "p",
    "kind",
    "dims",
    "eps_values",
    "steps",
    "step_factor",
    "restarts",
    "random_start",
    "ci",
    "l1_k",
    "predict",
    "seed",
    "device",
    "box",
    "out",
)


def load_sweep_config(path: str) -> tuple[Any, Path]:
    """The SweepSpec and output folder of a config file; InputError naming the file."""
    from workbench.errors import naming

    cfg = _load_config(path)
    try:
        return sweep_spec_from_config(cfg)
    except (ValueError, TypeError) as exc:
        raise naming(exc, path) from None


def sweep_spec_from_config(cfg: dict[str, Any]) -> tuple[Any, Path]:
    """A SweepSpec and output folder from a config dict (keys: SWEEP_KEYS)."""
    from .core.zoo import ModelRef
    from .jobs import SweepSpec

    unknown = sorted(set(cfg) - set(SWEEP_KEYS))
    if unknown:
        raise ValueError(f"unknown config keys {unknown}; allowed: {', '.join(SWEEP_KEYS)}")
    if cfg.get("model_file"):
        ref = ModelRef(
            kind="state_dict" if cfg.get("arch") else "torchscript",
            name="",
            path=str(cfg["model_file"]),
            arch=str(cfg.get("arch", "")),
            dataset=str(cfg.get("dataset", "")),
        )
    else:
        ref = ModelRef(name=str(cfg.get("model", "digits-cnn")))
    kw: dict[str, Any] = {}
    for key in ("n", "steps", "restarts", "l1_k", "seed"):
        if key in cfg:
            kw[key] = int(cfg[key])
    for key in ("step_factor",):
        if key in cfg:
            kw[key] = float(cfg[key])
    for key in ("kind", "ci", "device", "box"):
        if key in cfg:
            kw[key] = str(cfg[key])
    for key in ("random_start", "predict"):
        if key in cfg:
            kw[key] = bool(cfg[key])
    if "p" in cfg:
        kw["p"] = float("inf") if str(cfg["p"]).lower() in ("inf", "linf") else float(cfg["p"])
    if "dims" in cfg:
        kw["dims"] = tuple(int(d) for d in cfg["dims"])
    if "eps_values" in cfg:
        kw["eps_values"] = tuple(float(e) for e in cfg["eps_values"])
    if "classes" in cfg:
        kw["classes"] = tuple(int(c) for c in cfg["classes"])
    return SweepSpec(model=ref, **kw), Path(cfg.get("out", "adversarial_sweep"))


def cmd_sweep(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import run_sweep_job
    from .report import write_figures, write_tables

    try:
        cfg = _load_config(args.config)
        if args.out:
            cfg["out"] = args.out
        spec, out = sweep_spec_from_config(cfg)
    except (ValueError, TypeError) as exc:
        from workbench.errors import naming

        return _err(str(naming(exc, args.config)))
    _threads(args)
    from workbench.cluster import parse_backend

    try:
        backend = parse_backend(args.cluster)
    except ValueError as exc:
        return _err(str(exc))
    try:
        if backend.kind == "process":
            table = run_in_terminal(run_sweep_job, spec, title="adversarial sweep")
        else:
            from .jobs import run_sweep_split

            table = run_in_terminal(
                lambda s, ctx: run_sweep_split(s, ctx, backend), spec, title=f"adversarial sweep on {backend.text()}"
            )
    except (JobError, ValueError) as exc:
        return _err(str(exc))
    files = write_tables(table, out) + write_figures(table, out)
    cq = table.collapse
    print(
        f"{len(table.cells)} cells in {table.seconds:.1f} s; collapse spread {cq.spread_theory:.3f} at 1/q, "
        f"{cq.spread_raw:.3f} on raw eps, best exponent {cq.exponent_best:.3g} (theory {cq.exponent_theory:.3g})"
    )
    for f in files:
        print(f)
    return 0


def cmd_collapse(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import CollapseSpec, run_collapse_job
    from .report import write_collapse_study

    try:
        cfg = _load_config(args.config)
        if args.out:
            cfg["out"] = args.out
        sweep, out = sweep_spec_from_config(cfg)
    except (ValueError, TypeError) as exc:
        from workbench.errors import naming

        return _err(str(naming(exc, args.config)))
    _threads(args)
    spec = CollapseSpec(sweep, n_boot=args.boot, confidence=args.confidence)
    try:
        study = run_in_terminal(run_collapse_job, spec, title="adversarial collapse study")
    except (JobError, ValueError) as exc:
        return _err(str(exc))
    files = write_collapse_study(study, out)
    ci = study.interval
    print(
        f"{len(study.table.cells)} cells in {study.table.seconds:.1f} s; fitted exponent {ci.exponent:.3g} "
        f"({ci.confidence:.0%} CI {ci.low:.3g}-{ci.high:.3g}, {ci.n_boot} bootstrap replicates), theory 1/q "
        f"{study.theory:.3g}; spread {study.table.collapse.spread_best:.3f} at the fit, "
        f"{study.table.collapse.spread_theory:.3f} at 1/q, {study.spread_raw:.3f} on raw eps, "
        f"{study.spread_log_coordinate:.3f} on eps sqrt(ln dim V / ln dim X)"
    )
    for f in files:
        print(f)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.jobs import JobError, run_in_terminal

    from .jobs import ExportSpec, run_export

    try:
        res = run_in_terminal(run_export, ExportSpec(model=_model_ref(args), out=args.out), title="export", quiet=True)
    except JobError as exc:
        return _err(str(exc))
    for f in res.files:
        print(f)
    return 0


def _p_arg(text: str) -> float:
    from_text = text.strip().lower()
    if from_text in ("inf", "linf", "infinity"):
        return float("inf")
    try:
        value = float(from_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"p must be a number >= 1 or inf, got {text!r}") from None
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"p must be >= 1 or inf, got {text!r}")
    return value


def register(subparsers: Any) -> None:
    """Add the plugin's subcommands to ``subparsers`` (argparse sub-parsers object)."""
    p = subparsers.add_parser("models", help="list the models of the zoo, the default first")
    p.set_defaults(func=cmd_models)

    p = subparsers.add_parser(
        "attack", help="PGD attack on a model's test split; success over correctly classified inputs"
    )
    _add_model_args(p)
    p.add_argument("--p", type=_p_arg, default=2.0, help="norm: 1, 2, inf or any p > 1 (default 2)")
    p.add_argument("--eps", type=float, required=True, help="radius of the l_p ball (images in [0, 1])")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--step-size", type=float, default=None, help="alpha per step in l_p norm (default 2.5 eps/steps)")
    kinds = ["full", "pixels", "patch", "channels", "orthonormal", "hartley"]  # core.subspace.KINDS (imports torch)
    p.add_argument("--subspace", default="full", choices=kinds)
    p.add_argument("--dim", type=int, default=0, help="dim V requested (realised dim in the output)")
    p.add_argument("--no-random-start", action="store_true")
    p.add_argument("--no-early-stop", action="store_true", help="judge the final iterate only (as torchattacks)")
    p.add_argument("--restarts", type=int, default=1)
    p.add_argument("--target", default="none", choices=["none", "random", "least_likely"])
    p.add_argument("--l1-k", type=int, default=1, help="coordinates moved per l_1 step")
    p.add_argument("--n", type=int, default=0, help="number of test images (0: whole test split)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_attack)

    p = subparsers.add_parser("sweep", help="success over dim V x eps; writes success.csv/json and figures")
    p.add_argument("--config", required=True, help="JSON or TOML file; keys: " + ", ".join(SWEEP_KEYS))
    p.add_argument("--out", default="", help="output folder (overrides the config's 'out')")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument(
        "--cluster",
        default="",
        help="where the cells run: process (default), local:N (N worker processes here) or tcp://HOST:PORT "
        "of a Dask scheduler (docs/cluster.md); one task per cell (per dim V for orthonormal and hartley subspaces)",
    )
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser(
        "collapse",
        help="a sweep with the fitted collapse exponent and its bootstrap interval (arXiv 2303.14173); "
        "writes exponent.json, tables and figures",
    )
    p.add_argument("--config", required=True, help="a sweep config (keys: " + ", ".join(SWEEP_KEYS) + ")")
    p.add_argument("--out", default="", help="output folder (overrides the config's 'out')")
    p.add_argument("--boot", type=int, default=300, help="bootstrap replicates over the inputs (default 300)")
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.set_defaults(func=cmd_collapse)

    p = subparsers.add_parser("export", help="write the model as TorchScript and its test split as NPZ")
    _add_model_args(p)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_export)
