"""Small module-level jobs for tests/shell/test_cluster.py (workers import them by name)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.jobs import JobContext


@dataclass(frozen=True)
class NapSpec:
    """``steps`` naps of ``nap_s`` seconds (Cancel checked between them), then ``seed``'s
    numbers; with ``marks`` a folder, files ``started-<seed>`` / ``finished-<seed>`` there."""

    seed: int = 0
    steps: int = 5
    nap_s: float = 0.05
    marks: str = ""


def nap_job(spec: NapSpec, ctx: JobContext) -> np.ndarray:
    if spec.marks:
        Path(spec.marks, f"started-{spec.seed}").write_text(str(os.getpid()))
    for k in range(spec.steps):
        ctx.check_cancelled()
        time.sleep(spec.nap_s)
        ctx.progress((k + 1) / spec.steps, f"nap {k + 1}")
    ctx.check_cancelled()
    if spec.marks:
        Path(spec.marks, f"finished-{spec.seed}").write_text(str(os.getpid()))
    return np.random.default_rng(spec.seed).random(4)


def pid_job(spec: int, ctx: JobContext) -> int:
    return os.getpid()


def failing_job(spec: int, ctx: JobContext) -> int:
    if spec == 3:
        raise ValueError(f"child {spec} refuses")
    return spec
