"""Job functions for tests/shell/test_worker_process.py: module level, so a worker process
can import them by reference."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from workbench.jobs import JobContext, JobError


@dataclass(frozen=True)
class Steps:
    n: int = 5
    fail: str = ""  # "job": JobError, "type": TypeError, "exit": the process dies
    ignore_cancel: bool = False


def counting(spec: Steps, ctx: JobContext) -> dict:
    """Reports progress and a partial result per step; obeys Cancel unless told not to."""
    for i in range(spec.n):
        if spec.fail == "job" and i == 2:
            raise JobError("step 2 refused: a message for the user")
        if spec.fail == "type" and i == 2:
            raise TypeError("a bug at step 2")
        if spec.fail == "exit" and i == 2:
            os._exit(7)
        ctx.progress((i + 1) / spec.n, f"step {i + 1}")
        ctx.partial(i)
        ctx.log(f"did {i}")
        if not spec.ignore_cancel:
            ctx.check_cancelled()
    return {"pid": os.getpid(), "n": spec.n}


def until_cancelled(spec: Steps, ctx: JobContext) -> int:
    """Runs until Cancel (or forever when ``ignore_cancel``), sleeping in small steps."""
    i = 0
    ctx.progress(0.0, "started")
    while spec.ignore_cancel or not ctx.cancelled():
        time.sleep(0.01)
        i += 1
        if i == 3:
            ctx.partial("running")
    return i
