import time
from dataclasses import dataclass

from workbench.jobs import JobContext, JobError


@dataclass(frozen=True)
class HarmonicSpec:
    """Partial sums H_k = sum_{i<=k} 1/i for k = 1..n, one step every ``delay`` seconds."""

    n: int = 10
    delay: float = 0.0
    fail_at: int = -1
    device: str = "cpu"
    seed: int = 0


def run_harmonic(spec: HarmonicSpec, ctx: JobContext) -> list[float]:
    sums, total = [], 0.0
    for k in range(1, spec.n + 1):
        ctx.check_cancelled()
        if k == spec.fail_at:
            raise JobError(f"deliberate failure at step {k}")
        total += 1.0 / k
        sums.append(total)
        ctx.progress(k / spec.n, f"step {k}/{spec.n}")
        if k % 5 == 0:
            ctx.partial(list(sums))
        if spec.delay:
            time.sleep(spec.delay)
    ctx.log(f"H_{spec.n} = {total:.6f}")
    return sums
