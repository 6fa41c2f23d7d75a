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
        d = DefaultData()
        sizes = DefaultData(
            seed=args.seed,
            **{
                k: (d.__dict__[k] if getattr(args, k) is None else getattr(args, k))
                for k in ("train", "val", "test", "shifted_test", "pool")
            },
        )
        if min(sizes.train, sizes.val, sizes.test, sizes.shifted_test, sizes.pool) < 1:
            raise ValueError("every split needs at least 1 image per class")
        res = run_in_terminal(run_generate, GenerateSpec(out=args.out, default=sizes), title="generate", quiet=True)
    except (JobError, ValueError) as exc:
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

    from .core.specs import TrainConfig
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


def _robustness(args: argparse.Namespace) -> Any:
    from .core.evaluate import RobustnessConfig

    return RobustnessConfig(
        eps_inf=args.eps_inf / 255.0,
        eps_2=args.eps_2,
        steps=args.pgd_steps,
        n_robust=args.n_robust,
        n_corrupt=args.n_corrupt,
    ).check()


def _add_eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="", help="classifier file (default: the shipped one)")
    p.add_argument("--width", type=int, default=8, help="width of a bare state dict given with --model")
    p.add_argument("--k", type=int, default=10, help="edit images per class and shifted domain (default 10)")
    p.add_argument("--replay", type=int, default=10, help="source images per class replayed by gradient edits")
    p.add_argument("--eps-inf", type=float, default=3.0, help="PGD l_inf radius in grey levels /255 (default 3)")
    p.add_argument("--eps-2", type=float, default=0.6, help="PGD l_2 radius, pixels in [0, 1] (default 0.6)")
    p.add_argument("--pgd-steps", type=int, default=10)
    p.add_argument("--n-robust", type=int, default=100, help="source test images attacked (default 100)")
    p.add_argument("--n-corrupt", type=int, default=150, help="source test images corrupted (default 150)")


def _model_ref(path: str, width: int) -> Any:
    from .core.specs import ModelRef

    return ModelRef(kind="file", path=path, width=width) if path else ModelRef()


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from workbench.jobs import JobError, run_in_terminal

    from .jobs import CompareSpec, run_compare

    _threads(args)
    try:
        methods: tuple[Any, ...] = ()
        if args.methods:
            from .jobs import default_methods

            by_name = {m.name: m for m in default_methods()}
            wanted = [m.strip() for m in args.methods.split(",") if m.strip()]
            unknown = [m for m in wanted if m not in by_name]
            if unknown:
                raise ValueError(f"unknown method(s) {unknown}; use some of {', '.join(by_name)}")
            methods = tuple(by_name[m] for m in wanted)
        spec = CompareSpec(
            data=_data_ref(args.data, args),
            model=_model_ref(args.model, args.width),
            methods=methods,
            seeds=args.seeds,
            k=args.k,
            replay=args.replay,
            robustness=_robustness(args),
            device=args.device,
        )
        res = run_in_terminal(run_compare, spec, title="evaluate", quiet=args.json)
    except (JobError, ValueError) as exc:
        return _err(str(exc))
    if args.out:
        _write_outputs(res, args.out)
    if args.json:
        print(json.dumps({"methods": res.json_rows()}, indent=2))
    else:
        print(res.table("markdown"), end="")
        print(
            f"{res.settings['seeds']} seed(s), k = {args.k} per class and shifted domain, replay {args.replay}; "
            f"{res.seconds:.0f} s"
        )
    return 0


def _write_outputs(res: Any, out: str) -> None:
    import json
    from dataclasses import asdict, is_dataclass
    from pathlib import Path

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for fmt, suffix in (("markdown", "md"), ("csv", "csv"), ("latex", "tex")):
        (folder / f"table.{suffix}").write_text(res.table(fmt))

    def plain(v: Any) -> Any:
        if is_dataclass(v) and not isinstance(v, type):
            return {"type": type(v).__name__, **{k: plain(x) for k, x in asdict(v).items()}}
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, float) and v != v:
            return None
        return v

    doc = {
        "methods": res.json_rows(),
        "mean": plain(res.mean),
        "std": plain(res.std),
        "per_seed": plain(res.per_seed),
        "details": plain(res.details),
        "settings": plain(res.settings),
        "curve": plain(res.curve),
        "seconds": res.seconds,
    }
    (folder / "evaluate.json").write_text(json.dumps(doc, indent=1, default=str) + "\n")


EDIT_KEYS = (
    "method",
    "settings",
    "data",
    "model",
    "width",
    "k",
    "domains",
    "replay",
    "seed",
    "robustness",
    "evaluate",
    "curve",
    "out",
    "device",
    "mask",
    "banner",
    "tile",
    "pool",
    "split_seed",
)


def _method_from(doc: Any, where: str) -> Any:
    from .core.edits import METHODS, method_config

    if isinstance(doc, str):
        doc = {"method": doc}
    if not isinstance(doc, dict) or "method" not in doc:
        raise ValueError(f'{where}: give the method as a name or as {{"method": ..., "settings": {{...}}}}')
    name = str(doc["method"])
    if name not in METHODS:
        raise ValueError(f"{where}: unknown method {name!r}; use one of {', '.join(METHODS)}")
    settings = dict(doc.get("settings") or {})
    if name == "one_li" and "base" in settings:
        settings["base"] = _method_from(settings["base"], f"{where}.settings.base")
    for key in ("candidates",):
        if key in settings:
            settings[key] = tuple(settings[key])
    return method_config(name, **settings)


def edit_spec_from_config(cfg: dict[str, Any]) -> tuple[Any, str]:
    """An EditSpec and output folder from a config dict (keys: EDIT_KEYS); ``mask``: a PNG/TIFF
    whose bright pixels (> 0.5) are the rewrite's region."""
    from dataclasses import replace

    from .core.data import read_image
    from .core.edits import Rewrite
    from .core.evaluate import RobustnessConfig
    from .jobs import EditSpec

    unknown = sorted(set(cfg) - set(EDIT_KEYS))
    if unknown:
        raise ValueError(f"unknown config keys {unknown}; allowed: {', '.join(EDIT_KEYS)}")
    method = _method_from({"method": cfg.get("method", ""), "settings": cfg.get("settings", {})}, "method")
    if cfg.get("mask"):
        if not isinstance(method, Rewrite):
            raise ValueError("a mask is for the rewrite method only")
        m = read_image(str(cfg["mask"])) > 0.5
        method = replace(method, mask=tuple(tuple(bool(v) for v in row) for row in m))
    ns = argparse.Namespace(
        banner=cfg.get("banner", 0),
        tile=cfg.get("tile", 0),
        pool=cfg.get("pool", 10),
        split_seed=cfg.get("split_seed", 0),
    )
    rob = RobustnessConfig(
        **{k: (tuple(v) if isinstance(v, list) else v) for k, v in dict(cfg.get("robustness") or {}).items()}
    )
    spec = EditSpec(
        method=method,
        data=_data_ref(str(cfg.get("data", "")), ns),
        model=_model_ref(str(cfg.get("model", "")), int(cfg.get("width", 8))),
        k=int(cfg.get("k", 10)),
        domains=tuple(cfg.get("domains", ())),
        replay=int(cfg.get("replay", 10)),
        seed=int(cfg.get("seed", 0)),
        robustness=rob.check(),
        evaluate=bool(cfg.get("evaluate", True)),
        curve=bool(cfg.get("curve", True)),
        device=str(cfg.get("device", "auto")),
    )
    return spec, str(cfg.get("out", ""))


def _load_config(path: str) -> dict[str, Any]:
    import json
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{p}: no such config file")
    try:
        if p.suffix == ".toml":
            import tomllib

            cfg = tomllib.loads(p.read_text())
        else:
            cfg = json.loads(p.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: cannot parse ({exc})") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{p}: the config must be a JSON/TOML object")
    return cfg


def cmd_edit(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from workbench.jobs import JobError, run_in_terminal

    from .core.evaluate import format_table
    from .jobs import run_edit

    _threads(args)
    try:
        spec, out = edit_spec_from_config(_load_config(args.config))
        res = run_in_terminal(run_edit, spec, title=f"edit ({spec.method.name})", quiet=args.json)
    except (JobError, ValueError, TypeError) as exc:
        return _err(str(exc))
    shifted = [
        k.removesuffix("_acc")
        for k in res.row_after
        if k.endswith("_acc") and k not in ("source_acc", "edit_acc", "corruption_acc", "robust_acc")
    ]
    table = format_table(["unedited", res.method], [res.row_before, res.row_after], [{}, {}], shifted)
    if out:
        from .core.models import model_from_architecture
        from .core.train import save_classifier

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "table.md").write_text(table)
        model = model_from_architecture(res.edited.architecture or {})
        model.load_state_dict(res.edited.state or {})
        save_classifier(
            folder / "edited.safetensors",
            model,
            {
                "command": f"workbench micrograph edit --config {args.config}",
                "method": res.method,
                "details": json.loads(json.dumps(res.details, default=str)),
            },
        )
    if args.json:
        print(
            json.dumps(
                {
                    "method": res.method,
                    "before": res.row_before,
                    "after": res.row_after,
                    "changed": list(res.changed),
                    "layer": res.layer,
                    "details": json.loads(json.dumps(res.details, default=str)),
                },
                indent=2,
            )
        )
    else:
        print(table, end="")
        print(f"changed: {', '.join(res.changed)}; {res.seconds:.0f} s")
    return 0


def register(subparsers: Any) -> None:
    """Add the plugin's subcommands to ``subparsers`` (argparse sub-parsers object)."""
    p = subparsers.add_parser(
        "generate",
        help="write the embedded default data set as an image folder (OUT/<domain>/<class>/*.png + domains.csv)",
    )
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default %(default)s)")
    # sizes per class; defaults (None) are those of the embedded default data (DefaultData)
    p.add_argument("--train", type=int, default=None, help="source training images per class (default 160)")
    p.add_argument("--val", type=int, default=None, help="source validation images per class (default 30)")
    p.add_argument("--test", type=int, default=None, help="source test images per class (default 60)")
    p.add_argument(
        "--shifted-test", type=int, default=None, help="test images per class and shifted domain (default 60)"
    )
    p.add_argument("--pool", type=int, default=None, help="edit-pool images per class and shifted domain (default 20)")
    p.set_defaults(func=cmd_generate)

    p = subparsers.add_parser("train", help="train a classifier on the source domain and save it (checkpoint)")
    _add_data_args(p)
    p.add_argument("--out", required=True, help="checkpoint to write (X.safetensors + X.json)")
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--width", type=int, default=8, help="channels of the first stage (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("edit", help="one edit from a config file (JSON or TOML) and its evaluation")
    p.add_argument("--config", required=True, help='e.g. {"method": "lowrank", "settings": {"rank": 4}, "k": 10}')
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_edit)

    p = subparsers.add_parser(
        "evaluate", help="every editing method with its default settings, and the unedited model: the comparison table"
    )
    _add_data_args(p)
    _add_eval_args(p)
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..K-1 (edit set and edit randomness; default 1)")
    p.add_argument(
        "--methods",
        default="",
        help="comma-separated subset of the methods (default: all of full_ft, "
        "surgical, surgical_best, last_layer, lowrank, one_li, rewrite)",
    )
    p.add_argument("--json", action="store_true", help='print {"methods": [{"method": ..., "source_acc": ...}, ...]}')
    p.add_argument("--out", default="", help="also write table.md/.csv/.tex and evaluate.json (every number) here")
    p.set_defaults(func=cmd_evaluate)
