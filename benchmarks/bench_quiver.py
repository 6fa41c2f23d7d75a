"""Quiver benchmarks (issue 3): run as ``python benchmarks/bench_quiver.py``.

Measures, in one run on this machine:
1. enumeration of the D~10 class (11 vertices, 25,810 quivers) -- target < 10 s;
   anchor: a naive BFS deduplicated by networkx isomorphism tests, on the smaller D~6 class
   (7 vertices, 146 quivers), against our BFS on the same class;
2. canonical form of 8-vertex quivers against a brute-force canonical form (minimum over
   all 8! relabellings);
3. type identification of 30-vertex random mutants (A30, D30, A~(17,13), D~29), ms per quiver
   -- target < 5 ms; anchor: deciding the type of an 8-vertex D~7 mutant by enumerating its
   mutation class and looking up the standard quiver;
4. one mutation of a 60-vertex quiver (the core half of the editor's 16 ms budget);
5. SageMath's ClusterQuiver side by side when ``sage`` (or passagemath) is importable.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from workbench_quiver.core.canonical import canonical_form
from workbench_quiver.core.enumerate import mutation_class
from workbench_quiver.core.identify import identify
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


def naive_class(b):
    import networkx as nx

    def g(s):
        G = nx.DiGraph()
        G.add_nodes_from(range(len(s)))
        for i, j in zip(*np.nonzero(s > 0), strict=True):
            G.add_edge(int(i), int(j), w=int(s[i, j]))
        return G

    em = lambda x, y: x["w"] == y["w"]  # noqa: E731
    members, graphs, frontier = [b], [g(b)], [b]
    while frontier:
        new = []
        for q in frontier:
            for k in range(q.shape[0]):
                r = mutate(q, k)
                h = g(r)
                if not any(nx.is_isomorphic(h, x, edge_match=em) for x in graphs):
                    members.append(r)
                    graphs.append(h)
                    new.append(r)
        frontier = new
    return members


def brute_canonical(b):
    n = b.shape[0]
    best = None
    for p in itertools.permutations(range(n)):
        m = b[np.ix_(p, p)].tobytes()
        if best is None or m < best:
            best = m
    return best


def random_mutant(label, rng, steps=300):
    b = standard_quiver(label)
    n = b.shape[0]
    for k in rng.integers(0, n, size=steps):
        b = mutate(b, int(k))
    p = rng.permutation(n)
    return b[np.ix_(p, p)]


def main() -> None:
    rng = np.random.default_rng(0)
    rows = []
    print("quiver benchmarks (this machine, one run)\n")

    t, mc = timed(lambda: mutation_class(standard_quiver("D~10")))
    print(
        f"[1] D~10 class (11 vertices): {len(mc)} quivers in {t:.2f} s (target < 10 s; Sage's mutation_class: 229 s "
        f"as reported in the issue)"
    )
    rows.append(("enumerate D~10 (25,810)", f"{t:.2f} s", "target < 10 s"))
    t_ours, mc6 = timed(lambda: mutation_class(standard_quiver("D~6")), repeat=3)
    t_naive, naive = timed(lambda: naive_class(standard_quiver("D~6")))
    assert len(naive) == len(mc6) == 146
    print(
        f"    anchor D~6 (146 quivers): ours {t_ours * 1000:.1f} ms, naive networkx-isomorphism BFS "
        f"{t_naive:.2f} s -> {t_naive / t_ours:.0f}x faster"
    )
    rows.append(("enumerate D~6 vs naive nx BFS", f"{t_ours * 1000:.1f} ms", f"{t_naive / t_ours:.0f}x"))

    qs = [random_mutant("E~7", rng, 50) for _ in range(5)]
    t_c, _ = timed(lambda: [canonical_form(q) for q in qs], repeat=3)
    t_b, _ = timed(lambda: [brute_canonical(q) for q in qs[:2]])
    per_c, per_b = t_c / len(qs), t_b / 2
    print(
        f"[2] canonical form, 8 vertices: ours {per_c * 1e6:.0f} us, brute force over 8! relabellings "
        f"{per_b * 1000:.0f} ms -> {per_b / per_c:.0f}x"
    )
    rows.append(("canonical form n=8 vs brute force", f"{per_c * 1e6:.0f} us", f"{per_b / per_c:.0f}x"))

    print("[3] identification of 30-vertex random mutants (ms per quiver, target < 5 ms):")
    for label, expect in [("A30", "A30"), ("D30", "D30"), ("A~17,13", "A~17,13"), ("D~29", "D~29")]:
        qs = [random_mutant(label, rng) for _ in range(40)]
        identify(qs[0])
        t, res = timed(lambda qs=qs: [identify(q) for q in qs])
        ok = sum(r.label == expect for r in res)
        print(f"    {label:9s} {t / len(qs) * 1000:6.2f} ms   ({ok}/{len(qs)} labelled {expect})")
        rows.append((f"identify {label} (30 vertices)", f"{t / len(qs) * 1000:.2f} ms", "target < 5 ms"))
    q8 = random_mutant("D~7", rng, 100)
    t_id, r8 = timed(lambda: identify(q8), repeat=5)
    std_key = canonical_form(standard_quiver("D~7"))
    t_en, found = timed(lambda: std_key in set(mutation_class(q8).keys))
    assert found and r8.label == "D~7"
    print(
        f"    anchor: 8-vertex D~7 mutant, identify {t_id * 1000:.2f} ms vs enumerate-its-class lookup "
        f"{t_en * 1000:.0f} ms -> {t_en / t_id:.0f}x"
    )
    rows.append(("identify D~7 vs class enumeration", f"{t_id * 1000:.2f} ms", f"{t_en / t_id:.0f}x"))
    big = random_mutant("D~199", rng)
    t_big, rb = timed(lambda: identify(big), repeat=3)
    print(f"    200 vertices (D~199 mutant): {t_big * 1000:.1f} ms -> {rb.label}")
    rows.append(("identify D~199 (200 vertices)", f"{t_big * 1000:.1f} ms", "target well under 1 s"))

    b60 = random_mutant("A~35,25", rng)
    t_m, _ = timed(lambda: [mutate(b60, k) for k in range(60)], repeat=5)
    print(f"[4] one mutation of a 60-vertex quiver: {t_m / 60 * 1e6:.0f} us")
    rows.append(("mutate 60 vertices", f"{t_m / 60 * 1e6:.0f} us", "editor budget 16 ms"))

    try:
        from sage.all import ClusterQuiver, matrix  # type: ignore
    except ImportError:
        print("[5] SageMath / passagemath not importable here: no side-by-side run (not installed: too large)")
    else:
        qs = [random_mutant("D30", rng) for _ in range(3)]
        t_s, _ = timed(lambda: [ClusterQuiver(matrix(q.tolist())).mutation_type() for q in qs])
        t_o, _ = timed(lambda: [identify(q) for q in qs])
        print(f"[5] Sage mutation_type D30: {t_s / 3 * 1000:.1f} ms vs ours {t_o / 3 * 1000:.2f} ms")
        rows.append(("Sage mutation_type D30", f"{t_s / 3 * 1000:.1f} ms", f"{t_s / t_o:.0f}x"))

    print("\n| measurement | value | target / ratio |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
