"""Headless commands of the diffusion intrinsic-dimension plugin (``workbench diffusion-id ...``).

* ``estimate --data X.npy --estimator NAME [--k K] [--json]``: the intrinsic dimension of an
  n x D array (``.npy``, loaded without unpickling); ``--json`` prints ``{"id": ..., ...}``.
  NAME is lower case (``twonn``, ``mle``, ``gride``, ``lpca``, ``danco``, ``ess``, ``mada``,
  ``tle``, ``corrint``, ``mom``, ``knn``, ``fishers``, ``mind_ml``, ``ph``); ``--k`` sets the
  estimator's neighbourhood size (MLE's default 20, as ``skdim.id.MLE().fit(X, n_neighbors=20)``).
* ``run --prompts FILE [--model DIR] [--lm DIR] --images N --steps S --out DIR``: generate
  images for every prompt, capture the UNet bottleneck and the latents at every step, and
  write the table (CSV and JSON) and figures (see :mod:`workbench_diffusion_id.jobs`).

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
    except ValueError as exc:
        return _fail(str(exc))
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
