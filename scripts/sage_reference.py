"""Write SageMath's cluster-algebra values for the workbench's Sage comparison test (issue 20).

Run with the Python of a SageMath installation (the modular passagemath distribution works), not
with the workbench's venv; it imports only sage and the standard library::

    python3.11 -m venv /work/sagevenv
    /work/sagevenv/bin/pip install passagemath-combinat passagemath-modules passagemath-singular \
        passagemath-graphs passagemath-flint passagemath-repl
    /work/sagevenv/bin/python scripts/sage_reference.py  # -> tests/quiver/data/sage_cluster_reference.json

For each mutation type (Sage's names) it records Sage's exchange matrix ``B`` (``b_ij > 0``:
arrows i -> j), and for seeded random mutation paths: the cluster of ``ClusterSeed(B)`` after
the path (strings in x0..x{n-1}, as Sage prints them), and from ``ClusterSeed(B)
.principal_extension()`` after the same path the cluster variables with principal coefficients
(Sage names them y0..y{n-1}), the F-polynomials, g-, c- and d-vectors.  Then the number of
clusters, ``len(ClusterSeed(t).mutation_class())``, for the finite types listed in COUNTS.
"""

from __future__ import annotations

import json
import random
import sys
import time
from importlib import metadata
from pathlib import Path

import sage.all__sagemath_combinat  # initialises Sage (no star import: it would shadow random)
import sage.version
from sage.combinat.cluster_algebra_quiver.cluster_seed import ClusterSeed
from sage.matrix.constructor import matrix
from sage.rings.integer_ring import ZZ

OUT = Path(__file__).resolve().parents[1] / "tests" / "quiver" / "data" / "sage_cluster_reference.json"

#: (name in the JSON, Sage's mutation type, [path lengths], RNG seed)
TYPES = [
    ("A4", ["A", 4], [3, 6, 10, 15], 4),
    ("D5", ["D", 5], [3, 7, 12, 18], 5),
    ("A~2,2", ["A", [2, 2], 1], [3, 5, 8], 22),
    ("D~4", ["D", 4, 1], [3, 5, 8], 41),
    ("E6", ["E", 6], [4, 9, 15, 20], 6),
    ("E8", ["E", 8], [4, 9, 15, 20], 8),
]
#: finite types whose clusters are counted with Sage's mutation_class (E7, E8 take too long
#: on a 2-core machine: D5 8 s, E6 about a minute)
COUNTS = [("A4", ["A", 4]), ("D5", ["D", 5]), ("E6", ["E", 6])]


def random_path(rng: random.Random, n: int, length: int) -> list[int]:
    """A random mutation path with no two equal consecutive vertices."""
    path: list[int] = []
    while len(path) < length:
        k = rng.randrange(n)
        if not path or path[-1] != k:
            path.append(k)
    return path


def seed_data(b_rows: list[list[int]], path: list[int]) -> dict:
    """Sage's values after ``path`` from the initial seed of B."""
    b = matrix(ZZ, b_rows)
    plain = ClusterSeed(b)
    plain.mutate(path)
    prin = ClusterSeed(b).principal_extension()
    prin.mutate(path)
    n = len(b_rows)
    return {
        "path": path,
        "cluster": [str(v) for v in plain.cluster()],
        "principal_cluster": [str(v) for v in prin.cluster()],
        "f_polynomials": [str(f) for f in prin.f_polynomials()],
        "g_vectors": [[int(x) for x in prin.g_vector(k)] for k in range(n)],
        "c_vectors": [[int(x) for x in prin.c_vector(k)] for k in range(n)],
        "d_vectors": [[int(x) for x in plain.d_vector(k)] for k in range(n)],
        "g_matrix_columns": [[int(x) for x in v] for v in prin.g_matrix().columns()],
        "c_matrix_columns": [[int(x) for x in v] for v in prin.c_matrix().columns()],
        "d_matrix_columns": [[int(x) for x in v] for v in plain.d_matrix().columns()],
        "b_matrix": [[int(x) for x in row] for row in plain.b_matrix().rows()],
    }


def main() -> None:
    t_start = time.time()
    out: dict = {
        "sage_version": sage.version.version,
        "distribution": {
            p: metadata.version(p)
            for p in ("passagemath-combinat", "passagemath-modules", "passagemath-singular", "passagemath-flint")
        },
        "command": "/work/sagevenv/bin/python scripts/sage_reference.py",
        "conventions": (
            "B as Sage's ClusterSeed(t).b_matrix() (b_ij > 0: arrows i -> j); mutate(path) mutates "
            "path[0] first; cluster: ClusterSeed(B); principal_cluster, f_polynomials, g/c-vectors: "
            "ClusterSeed(B).principal_extension() (coefficients y0..y{n-1}); d_vectors of ClusterSeed(B)"
        ),
        "types": {},
        "cluster_counts": {},
    }
    for name, sage_type, lengths, rng_seed in TYPES:
        s = ClusterSeed(sage_type)
        b_rows = [[int(x) for x in row] for row in s.b_matrix().rows()]
        rng = random.Random(rng_seed)
        n = len(b_rows)
        seeds = [seed_data(b_rows, random_path(rng, n, length)) for length in lengths]
        out["types"][name] = {"sage_type": repr(sage_type), "b_matrix": b_rows, "seeds": seeds}
        print(f"{name}: {len(seeds)} paths", file=sys.stderr, flush=True)
    for name, sage_type in COUNTS:
        t0 = time.time()
        count = len(ClusterSeed(sage_type).mutation_class())
        out["cluster_counts"][name] = {
            "sage_type": repr(sage_type),
            "clusters": count,
            "seconds": round(time.time() - t0, 1),
        }
        print(f"{name}: {count} clusters in {time.time() - t0:.1f} s", file=sys.stderr, flush=True)
    out["total_seconds"] = round(time.time() - t_start, 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
