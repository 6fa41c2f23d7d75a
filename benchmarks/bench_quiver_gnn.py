"""Benchmark: GNN prediction latency for one quiver (issue 4: < 50 ms including conversion).

Measures, in one run, on quivers of 10, 20 and 40 vertices (random mutants of D~ quivers):

* gnn: B matrix -> Data (block features) -> DirGINE forward -> softmax (the live prediction);
* anchor 1 (library): the same-sized 4-layer torch_geometric GINEConv network, forward only,
  on the already-converted graph (the third-party layer the issue's DirGINE replaces);
* anchor 2 (exact): the core's exact type identification ``identify(b)`` of the same quiver.

Prints the median of repeated timings in milliseconds and the ratios.  Run:
``python benchmarks/bench_quiver_gnn.py`` (single thread, like the panel's job thread).
"""

from __future__ import annotations

import statistics
import sys
import time
from functools import partial

import numpy as np
import torch


def _median_ms(fn, repeat: int = 60) -> float:
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


def main() -> int:
    torch.set_num_threads(1)
    from torch_geometric.nn import GINEConv, global_add_pool

    from workbench_quiver.core.identify import identify
    from workbench_quiver.core.mutation import mutate_sequence
    from workbench_quiver.gnn.checkpoint import default_checkpoint_path, load_checkpoint
    from workbench_quiver.gnn.dataset import standard_b, to_data
    from workbench_quiver.gnn.model import DirGINE, ModelConfig
    from workbench_quiver.gnn.train import predict_proba

    path = default_checkpoint_path()
    model = load_checkpoint(path).model if path.exists() else DirGINE(ModelConfig()).eval()
    print(f"model: {'shipped checkpoint' if path.exists() else 'untrained (no checkpoint)'}; torch threads 1")

    class GINE(torch.nn.Module):
        def __init__(self, h=32):
            super().__init__()
            self.inp = torch.nn.Linear(7, h)
            self.convs = torch.nn.ModuleList(
                [
                    GINEConv(
                        torch.nn.Sequential(torch.nn.Linear(h, h), torch.nn.ReLU(), torch.nn.Linear(h, h)), edge_dim=4
                    )
                    for _ in range(4)
                ]
            )
            self.head = torch.nn.Linear(h, 6)

        def forward(self, x, ei, ea):
            h = self.inp(x)
            for c in self.convs:
                h = torch.relu(c(h, ei, ea))
            return self.head(global_add_pool(h, torch.zeros(len(h), dtype=torch.long)))

    anchor = GINE().eval()
    rng = np.random.default_rng(0)
    print(
        f"{'n':>4} {'gnn predict ms':>15} {'PyG GINE fwd ms':>16} {'exact identify ms':>18} "
        f"{'gnn/GINE':>9} {'gnn/exact':>10}"
    )
    worst = 0.0
    for n in (10, 20, 40):
        b = mutate_sequence(standard_b(f"D~{n - 1}"), rng.integers(0, n, 4 * n))
        t_gnn = _median_ms(partial(predict_proba, model, [b]))
        d = to_data(b)
        with torch.no_grad():
            t_gine = _median_ms(partial(anchor, d.x, d.edge_index, d.edge_attr))
        t_exact = _median_ms(partial(identify, b), repeat=20)
        worst = max(worst, t_gnn)
        print(f"{n:>4} {t_gnn:>15.2f} {t_gine:>16.2f} {t_exact:>18.2f} {t_gnn / t_gine:>9.2f} {t_gnn / t_exact:>10.2f}")
    print(
        f"target: prediction < 50 ms including conversion -> worst {worst:.2f} ms: {'met' if worst < 50 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
