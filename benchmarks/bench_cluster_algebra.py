"""Cluster-algebra benchmarks (issue 20): run as ``python benchmarks/bench_cluster_algebra.py``.

Measures, in one run on this machine:
1. the exchange graph of E8 (25,080 clusters, 100,320 edges) with all 128 cluster variables as exact
   Laurent polynomials (principal coefficients) -- target < 10 s; also E6, E7;
   anchor: a naive seed-by-seed breadth-first search (what SageMath's ``ClusterSeed.mutation_class``
   does: every seed mutated with its polynomials, clusters deduplicated by their sets of cluster
   variables) on E6 (833 clusters), against ours on the same type;
2. python-flint against sympy on the same exchange recursion (a 16-step E6 path with principal
   coefficients) -- the reason for the dependency;
3. the maximal-green-sequence search of E6 (exact: shortest 6, longest 36, all counted) and of E8
   (8 and 120, the number of positive roots);
4. SageMath side by side: when ``SAGE_PYTHON`` (or ``/work/sagevenv/bin/python``) is a Python with
   SageMath (passagemath works), ``ClusterSeed(t).mutation_class()`` (every cluster, with its
   cluster variables) is timed in a subprocess on ``SAGE_BENCH_TYPE`` (default ``['E', 6]``: Sage
   needs minutes for it here; ``['E', 8]`` is the issue's target and takes far longer), against our
   exchange graph with all cluster variables on Sage's own B, measured in the same run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from workbench_quiver.core.cluster_algebra import ClusterSeed
from workbench_quiver.core.exchange_graph import exchange_graph
from workbench_quiver.core.green import maximal_green_sequences
from workbench_quiver.core.mutation import mutate
from workbench_quiver.core.standard import standard_quiver


def timed(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def naive_seed_bfs(b):
    """Every seed mutated in every direction with its Laurent polynomials; clusters as frozensets
    of the variables' printed forms (how a seed-level search such as Sage's works)."""
    start = ClusterSeed.initial(b)
    n = start.n

    def key(s):
        return frozenset(str(v.numerator) + str(v.shift) for v in s.variables)

    seen = {key(start)}
    frontier = [start]
    edges = 0
    while frontier:
        nxt = []
        for s in frontier:
            for k in range(n):
                t = s.mutate(k)
                edges += 1
                kk = key(t)
                if kk not in seen:
                    seen.add(kk)
                    nxt.append(t)
        frontier = nxt
    return len(seen), edges // 2


def sympy_path(b, path):
    import sympy

    n = b.shape[1]
    xs = list(sympy.symbols(f"x0:{n}"))
    ts = list(sympy.symbols(f"t0:{n}"))
    cur = np.vstack([b, np.eye(n, dtype=np.int64)])
    vs = list(xs)
    for k in path:
        allv = vs + ts
        p = sympy.Mul(*[v ** int(e) for v, e in zip(allv, cur[:, k], strict=True) if e > 0])
        q = sympy.Mul(*[v ** int(-e) for v, e in zip(allv, cur[:, k], strict=True) if e < 0])
        vs[k] = sympy.cancel((p + q) / vs[k])
        cur = mutate(cur, k)
    return vs


SAGE_SCRIPT = """
import ast, json, sys, time
import sage.all__sagemath_combinat
import sage.version
from sage.combinat.cluster_algebra_quiver.cluster_seed import ClusterSeed
t = ast.literal_eval(sys.argv[1])  # a Sage type literal such as ['E', 6]
s = ClusterSeed(t)
t0 = time.perf_counter()
n = len(s.mutation_class())
dt = time.perf_counter() - t0
print(json.dumps({"clusters": n, "seconds": dt, "version": sage.version.version,
                  "b": [[int(x) for x in r] for r in s.b_matrix().rows()]}))
"""


def sage_python() -> str | None:
    """SAGE_PYTHON, else /work/sagevenv/bin/python, if it exists (not checked for sage here)."""
    import os

    cand = os.environ.get("SAGE_PYTHON") or "/work/sagevenv/bin/python"
    return cand if Path(cand).exists() else None


def sage_side_by_side():
    """[4]: Sage's ``ClusterSeed(t).mutation_class()`` in a subprocess against our exchange graph
    (all clusters and cluster variables) on the same B; None when no Sage python is configured."""
    import json
    import os
    import subprocess

    py = sage_python()
    sage_type = os.environ.get("SAGE_BENCH_TYPE", "['E', 6]")
    if py is None:
        print("[4] sage: skipped (no SAGE_PYTHON)")
        return None
    timeout = float(os.environ.get("SAGE_BENCH_TIMEOUT", "900"))
    try:
        proc = subprocess.run(
            [py, "-c", SAGE_SCRIPT, sage_type], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"[4] sage: ClusterSeed({sage_type}).mutation_class() did not finish in {timeout:.0f} s")
        return ("Sage mutation_class " + sage_type, f"> {timeout:.0f} s", "did not finish")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"[4] sage: skipped ({py} could not run Sage: {proc.stderr.strip().splitlines()[-1:]})")
        return None
    sage = json.loads(lines[-1])
    b = np.array(sage["b"], dtype=np.int64)
    t_ours, g = timed(lambda: exchange_graph(b), repeat=3)
    assert g.n_vertices == sage["clusters"], (g.n_vertices, sage["clusters"])
    ratio = sage["seconds"] / t_ours
    print(
        f"[4] Sage {sage['version']} ClusterSeed({sage_type}).mutation_class(): {sage['clusters']} clusters in "
        f"{sage['seconds']:.1f} s; ours (exchange graph + all cluster variables, same B) {t_ours * 1000:.0f} ms "
        f"-> {ratio:.0f}x faster"
    )
    return (
        f"Sage {sage['version']} mutation_class {sage_type} vs ours",
        f"{sage['seconds']:.1f} s / {t_ours:.2f} s",
        f"{ratio:.0f}x",
    )


def main() -> None:
    rows = []
    print("cluster-algebra benchmarks (this machine, one run)\n")

    for label, expect in [("E6", 833), ("E7", 4160), ("E8", 25080)]:
        t, g = timed(lambda label=label: exchange_graph(standard_quiver(label)))
        assert g.n_vertices == expect, (label, g.n_vertices)
        print(
            f"[1] {label}: exchange graph {g.n_vertices} clusters, {g.n_edges} edges, {len(g.g_vectors)} cluster "
            f"variables (exact Laurent polynomials) in {t:.2f} s"
        )
        if label == "E8":
            rows.append(("E8 exchange graph + all 128 cluster variables", f"{t:.2f} s", "target < 10 s"))
    t_ours, g6 = timed(lambda: exchange_graph(standard_quiver("E6")), repeat=3)
    t_naive, (v6, e6) = timed(lambda: naive_seed_bfs(standard_quiver("E6")))
    assert (v6, e6) == (g6.n_vertices, g6.n_edges) == (833, 2499)
    print(
        f"    anchor E6: ours {t_ours * 1000:.0f} ms, naive seed-by-seed BFS with polynomials {t_naive:.2f} s "
        f"-> {t_naive / t_ours:.0f}x faster"
    )
    rows.append(("E6 exchange graph vs naive seed BFS", f"{t_ours * 1000:.0f} ms", f"{t_naive / t_ours:.0f}x"))

    b = standard_quiver("E6")
    rng = np.random.default_rng(0)
    path: list[int] = []
    while len(path) < 16:
        k = int(rng.integers(0, 6))
        if not path or path[-1] != k:
            path.append(k)
    t_f, seed = timed(lambda: ClusterSeed.initial(b).mutate_path(path), repeat=3)
    try:
        import sympy
    except ImportError:
        print("[2] sympy not importable: no flint/sympy comparison")
    else:
        t_s, ref = timed(lambda: sympy_path(b, path))
        ones = {t: 1 for t in sympy.symbols("t0:6")}
        for mine, r in zip(seed.cluster_strings(), ref, strict=True):
            assert sympy.cancel(sympy.sympify(mine.replace("^", "**")) - r.subs(ones)) == 0
        print(
            f"[2] 16 mutations of E6 with principal coefficients: python-flint {t_f * 1000:.1f} ms, "
            f"sympy cancel {t_s * 1000:.0f} ms -> {t_s / t_f:.0f}x (same cluster variables)"
        )
        rows.append(("E6 16-step path: flint vs sympy", f"{t_f * 1000:.1f} ms", f"{t_s / t_f:.0f}x"))

    t_m, r = timed(lambda: maximal_green_sequences(standard_quiver("E6")))
    assert r.complete and len(r.shortest) == 6 and len(r.longest) == 36
    print(
        f"[3] maximal green sequences of E6: {r.count} sequences, lengths {r.lengths[0]}..{r.lengths[-1]}, "
        f"{r.states} framed quivers, in {t_m:.2f} s"
    )
    rows.append(("E6 maximal green sequences (all, exact)", f"{t_m:.2f} s", f"{r.count} sequences"))
    t_m8, r8 = timed(lambda: maximal_green_sequences(standard_quiver("E8")))
    assert r8.complete and len(r8.shortest) == 8 and len(r8.longest) == 120  # 120 positive roots of E8
    print(f"    E8: lengths 8..120 (the 120 positive roots), {r8.states} framed quivers, in {t_m8:.1f} s")
    rows.append(("E8 maximal green sequences (all, exact)", f"{t_m8:.1f} s", "lengths 8..120"))

    sage_row = sage_side_by_side()
    if sage_row is not None:
        rows.append(sage_row)

    print("\n| measurement | value | target / ratio |\n|---|---|---|")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")


if __name__ == "__main__":
    main()
