"""Headless commands of the equivariant plugin (``workbench equivariant ...``).

* ``dims --k K --l L --n N``: prints ``{"dims": [d_1, ..., d_N]}``, the dimension of the space
  of S_n-equivariant maps (R^n)^{⊗K} -> (R^n)^{⊗L} for n = 1..N (set partitions of K + L
  points with at most n blocks).
* ``check --k K --l L --n N [--json]``: a random layer's equivariance error under random
  permutations (float32), the fast product against the materialised diagram basis (float64),
  and that basis's rank against the dimension (:func:`workbench_equivariant.jobs.run_check`).

This module imports only the standard library at import time.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    d = subparsers.add_parser(
        "dims",
        help="dimensions of the equivariant maps (R^n)^k -> (R^n)^l for n = 1..N",
        description='Print {"dims": [d_1, ..., d_N]}: d_n is the number of set partitions of K + L points '
        "with at most n blocks, the dimension of the space of S_n-equivariant linear maps (R^n)^K -> (R^n)^L.",
    )
    d.add_argument("--k", type=int, required=True, metavar="K", help="input tensor order (>= 0)")
    d.add_argument("--l", type=int, required=True, metavar="L", help="output tensor order (>= 0)")
    d.add_argument("--n", type=int, required=True, metavar="N", help="largest set size (>= 1)")
    d.set_defaults(func=_dims)

    c = subparsers.add_parser(
        "check",
        help="equivariance error and rank of the materialised diagram basis",
        description="Build an EquivariantLinear(K, L) with random weights (--seed), apply it to a random input "
        "at set size N and to permuted copies, and report the largest relative equivariance error (float32); "
        "compare the fast product with the dense diagram basis (float64) and report that basis's rank "
        "(full, Bell(K+L), for N >= K + L; the dimension otherwise).",
    )
    c.add_argument("--k", type=int, required=True, metavar="K", help="input tensor order (>= 0)")
    c.add_argument("--l", type=int, required=True, metavar="L", help="output tensor order (>= 0); K + L <= 8")
    c.add_argument("--n", type=int, required=True, metavar="N", help="set size (>= 1)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--permutations", type=int, default=3, help="random permutations tried (default 3)")
    c.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:N")
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(func=_check)


def _dims(args: argparse.Namespace) -> int:
    from .core.partitions import dimensions

    if args.n > 10_000:
        raise ValueError(f"--n {args.n}: at most 10000 (the dimension is constant for n >= K + L anyway)")
    print(json.dumps({"dims": dimensions(args.k, args.l, args.n)}))
    return 0


def _check(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from workbench.jobs import JobContext

    from .jobs import CheckSpec, run_check

    spec = CheckSpec(k=args.k, l=args.l, n=args.n, seed=args.seed, permutations=args.permutations, device=args.device)
    spec.validate()
    res = run_check(spec, JobContext(device=args.device))
    out = asdict(res)
    out["full_rank"] = None if res.rank is None else res.rank == res.diagrams
    out["rank_equals_dimension"] = None if res.rank is None else res.rank == res.dimension
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"(k, l) = ({res.k}, {res.l}), n = {res.n}: dimension {res.dimension}, {res.diagrams} diagrams")
    print(f"equivariance error (float32, relative): {res.equivariance_error:.2e}")
    if res.rank is not None:
        print(f"fast vs materialised (float64, relative): {res.fast_vs_materialised_error:.2e}")
        print(f"rank of the materialised diagram basis: {res.rank} (dimension {res.dimension})")
    else:
        print(res.note)
    return 0
