"""Headless commands of the diffusion intrinsic-dimension plugin (``workbench diffusion-id ...``).

* ``estimate --data X.npy --estimator NAME [--k K] [--json]``: the intrinsic dimension of an
  n x D array (``.npy``, loaded without unpickling); ``--json`` prints ``{"id": ..., ...}``.
  NAME is lower case (``twonn``, ``mle``, ``gride``, ``lpca``, ``danco``, ``ess``, ``mada``,
  ``tle``, ``corrint``, ``mom``, ``knn``, ``fishers``, ``mind_ml``, ``ph``); ``--k`` sets the
  estimator's neighbourhood size (MLE's default 20, as ``skdim.id.MLE().fit(X, n_neighbors=20)``).
* ``run --prompts FILE [--model DIR] [--lm DIR] --images N --steps S --out DIR``: generate
  images for every prompt, capture the UNet bottleneck and the latents at every step, and
  write the table (CSV and JSON) and figures (:mod:`workbench_diffusion_id.jobs`,
  :mod:`workbench_diffusion_id.report`).

This module imports only the standard library at import time.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ESTIMATOR_CHOICES = (
    "twonn",
    "mle",
    "gride",
    "mada",
    "tle",
    "mom",
    "corrint",
    "ess",
    "lpca",
    "danco",
    "knn",
    "fishers",
    "mind_ml",
    "ph",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    e = subparsers.add_parser(
        "estimate",
        help="intrinsic dimension of an n x D array (.npy)",
        description="Estimate the intrinsic dimension of the rows of an n x D array with one of "
        "scikit-dimension's estimators (same values; kNN estimators share one exact neighbour graph). "
        "Duplicate rows are removed first, with a warning.",
    )
    e.add_argument("--data", required=True, metavar="X.npy", help="n x D array, one point per row (no pickles)")
    e.add_argument(
        "--estimator",
        default="mle",
        choices=ESTIMATOR_CHOICES,
        metavar="NAME",
        help="one of " + ", ".join(ESTIMATOR_CHOICES) + " (default mle)",
    )
    e.add_argument(
        "--k",
        type=int,
        default=None,
        metavar="K",
        help="neighbourhood size (MLE/MADA/TLE/MOM/ESS: n_neighbors, Gride: n1, CorrInt: k2, "
        "DANCo/kNN/MiND-ML: k); default: scikit-dimension's",
    )
    e.add_argument("--device", default="cpu", help="torch device of the neighbour search: cpu, cuda, cuda:N")
    e.add_argument("--json", action="store_true", help='print {"id": ..., "estimator": ..., ...} as JSON')
    e.set_defaults(func=_estimate)

    r = subparsers.add_parser(
        "run",
        help="images per prompt, ID of the bottleneck and latents per step, against perplexity",
        description="Generate images for every prompt of a text file (one per line; blank lines and lines "
        "starting with # are skipped) with a Stable Diffusion 1.x/2.x pipeline (default: the embedded model), "
        "capture the UNet bottleneck (mid block) and the latents at every denoising step, estimate their "
        "intrinsic dimension (one point per image) and correlate it with the prompts' perplexity under a causal "
        "language model (default: the embedded surrogate). Writes results.csv, correlations.csv, results.json "
        "and figures into --out.",
    )
    r.add_argument("--prompts", required=True, metavar="FILE", help="text file, one prompt per line")
    r.add_argument("--model", default="default", metavar="DIR", help="diffusers pipeline folder (default: embedded)")
    r.add_argument("--lm", default="default", metavar="DIR", help="causal language model folder (default: embedded)")
    r.add_argument("--images", type=int, default=16, metavar="N", help="images per prompt (points per ID estimate)")
    r.add_argument("--steps", type=int, default=20, metavar="S", help="denoising steps")
    r.add_argument("--guidance", type=float, default=5.0, help="classifier-free guidance scale (<= 1: none)")
    r.add_argument("--seed", type=int, default=0, help="image i of every prompt starts from the noise of seed + i")
    r.add_argument(
        "--layers",
        default="mid_block,latents",
        help="comma-separated: mid_block, latents and UNet module names (default mid_block,latents)",
    )
    r.add_argument("--estimators", default="mle,twonn,gride", help="comma-separated estimator names")
    r.add_argument("--bootstrap", type=int, default=50, metavar="B", help="bootstrap replicates per estimate (0: none)")
    r.add_argument("--batch-size", type=int, default=16)
    r.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    r.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    r.add_argument("--formats", default="png", help="figure formats, comma-separated: png, svg, pdf")
    r.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    r.set_defaults(func=_run)


def _fail(msg: str) -> int:
    print(f"workbench diffusion-id: error: {msg}", file=sys.stderr)
    return 2


def load_npy(path: str, label: str = "--data"):
    """An n x D float array from a ``.npy`` file, loaded with ``allow_pickle=False``; ``ValueError``
    naming the file otherwise."""
    import numpy as np

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{label}: {p} does not exist" if not p.exists() else f"{label}: {p} is not a file")
    try:
        a = np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(
            f"{label}: {p.name} cannot be read without unpickling ({exc}); save a numeric array with numpy.save"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any unreadable file is bad input
        raise ValueError(f"{label}: {p.name} is not a .npy file ({exc})") from None
    if not hasattr(a, "ndim"):
        raise ValueError(f"{label}: {p.name} is an .npz archive; pass one n x D array saved with numpy.save")
    return a


def _json_number(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def _estimate(args: argparse.Namespace) -> int:
    import warnings

    from .core.intrinsic_dim import estimate, with_k
    from .core.knn import DuplicatePointsWarning

    try:
        X = load_npy(args.data)
        params = with_k(args.estimator, args.k)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DuplicatePointsWarning)
            res = estimate(X, args.estimator, params=params, device=args.device)
    except ValueError as exc:  # the message names the data file (kept when it already does)
        from workbench.errors import naming

        return _fail(str(naming(exc, args.data)))
    for w in caught:
        if issubclass(w.category, DuplicatePointsWarning):
            print(f"workbench diffusion-id: warning: {w.message}", file=sys.stderr)
    if args.json:
        out = {
            "id": _json_number(float(res.id)),
            "estimator": res.estimator,
            "n_points": res.n_points,
            "n_removed": res.n_removed,
            "params": {
                k: (v if isinstance(v, (int, float, str, bool)) or v is None else repr(v))
                for k, v in res.params.items()
            },
        }
        if math.isfinite(res.error):
            out["error"] = res.error
        print(json.dumps(out))
    else:
        print(
            f"{res.estimator}: intrinsic dimension {res.id:.6g} ({res.n_points} points"
            + (f", {res.n_removed} duplicates removed" if res.n_removed else "")
            + ")"
        )
    return 0


def read_prompts(path: str) -> list[str]:
    """The prompts of a text file: one per line, blank lines and ``#`` comments skipped."""
    from workbench.errors import read_text

    text = read_text(path)
    prompts = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not prompts:
        raise ValueError(f"{path}: no prompts (one per line; lines starting with # are skipped)")
    return prompts


def _run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from workbench.jobs import JobError, run_in_terminal

    from .jobs import RunSpec, run_diffusion_id
    from .report import write_outputs

    try:
        prompts = read_prompts(args.prompts)
        formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
        bad = [f for f in formats if f not in ("png", "svg", "pdf")]
        if bad:
            raise ValueError(f"--formats: {', '.join(bad)} not supported (png, svg, pdf)")
        spec = RunSpec(
            prompts=tuple(prompts),
            model=args.model,
            lm=args.lm,
            n_images=args.images,
            steps=args.steps,
            guidance=args.guidance,
            seed=args.seed,
            layers=tuple(x.strip() for x in args.layers.split(",") if x.strip()),
            estimators=tuple((x.strip().lower(), ()) for x in args.estimators.split(",") if x.strip()),
            n_boot=args.bootstrap,
            batch_size=args.batch_size,
            device=args.device,
            threads=args.threads,
        )
        res = run_in_terminal(run_diffusion_id, spec, title="diffusion-id run")
    except (ValueError, JobError) as exc:
        return _fail(str(exc))
    settings = {k: v for k, v in asdict(spec).items() if k != "prompts"}
    written = write_outputs(res, args.out, formats=formats, spec=settings)
    print(
        f"{len(prompts)} prompts x {args.images} images x {len(res.timesteps)} steps in {res.seconds:.1f} s; "
        f"wrote {len(written)} files to {args.out}"
    )
    for row in res.correlations:
        if row.step == -1 and row.estimator == res.estimators[0]:
            c = row.result
            print(
                f"  {row.layer:<10} {row.estimator} (mean over steps) vs perplexity: {c.method} r = {c.r:+.3f} "
                + (
                    f"[{c.low:+.3f}, {c.high:+.3f}]"
                    if math.isfinite(c.low) and math.isfinite(c.high)
                    else f"(no interval with n = {c.n}; it needs at least 4 prompts)"
                )
                + f", p = {c.p_value:.3g}, n = {c.n}"
            )
    return 0
