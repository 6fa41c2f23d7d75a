"""Benchmark of the S_n-equivariant layers (issue 18), under ``make bench``: the same as
``workbench equivariant bench`` (code in ``workbench_equivariant.core.benchmark``; see its
docstring for what is measured).  Forward + backward of a full 2 -> 2 layer (15 elements,
16 -> 16 channels, batch 32) at n = 16, 32, 64, 128 against the materialised orbit basis where
it fits and Maron et al.'s 15-operation layer; a 3 -> 3 layer (203 elements) at n = 16 and 32
against the materialised orbit basis; ratios measured in this run and growth exponents.
Run: ``python benchmarks/bench_equivariant.py [--n 16 32 64 128] [--n3 16 32] [--threads 2]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["equivariant", "bench", *sys.argv[1:]]))
