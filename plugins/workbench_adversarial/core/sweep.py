"""Sweeps of PGD success over dim V and eps, and the collapse analysis (Qt-free).

arXiv 2303.14173 (Godfrey, Kvinge, Bishoff, Mckay, Brown, Doster, Byler 2023, "How many
dimensions are required to find an adversarial example?"): for p > 1 the success rate of
PGD restricted to V behaves like a monotone function of the *collapse coordinate*

    c = eps * (dim V / dim X)^(1/q),    1/p + 1/q = 1,

so the curves of different dim V fall onto one curve when plotted against c.  For p = 1
(q = inf) the exponent is 0 and the dependence on dim V is only through the extreme values
of the gradient (||w_V||_inf grows like the max of dim V coordinates).

Collapse quality.  For an exponent a, map each curve to c_a = eps (dim V/dim X)^a, interpolate
all curves (in log c) on 64 points of their common range, and average the spread
max_k s_k(c) - min_k s_k(c) over those points.  We report the spread at a = 1/q (theory),
at a = 0 (raw eps axis), their ratio (< 1: the rescaling collapses the curves), and the
exponent a* in [0, 1.5] minimising the spread (compare with 1/q).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from .linear_theory import critical_eps, predicted_success
from .norms import dual_exponent, p_label
from .ortho import SNAP_TOL
from .pgd import PGDConfig, pgd_attack
from .stats import interval
from .subspace import build_subspace, realised_dim, zero_feasible

#: a perturbation no larger than this in every coordinate counts as "did not move" (images in
#: [0, 1]): a quarter of an 8-bit grey level, ten times the tolerance within which the
#: orthonormal projection may leave V (ortho.SNAP_TOL; its residues add up over a few steps)
STUCK_TOL = 10 * SNAP_TOL
#: radii below this are too small to tell "did not move" from a legitimate tiny perturbation
STUCK_MIN_EPS = 50 * STUCK_TOL


def stuck_mask(delta: torch.Tensor, success: torch.Tensor, eps: float) -> torch.Tensor:
    """Inputs PGD could not move: not broken and |delta| <= STUCK_TOL in every coordinate (all
    False for eps < STUCK_MIN_EPS).  For a random orthonormal V this is where the feasible set
    V cap [-x, 1 - x] is {0} (checked against a linear program in the tests)."""
    if eps < STUCK_MIN_EPS:
        return torch.zeros_like(success, dtype=torch.bool)
    return ~success & (delta.reshape(delta.shape[0], -1).abs().amax(dim=1) <= STUCK_TOL)


@dataclass
class SweepCell:
    """One (dim V, eps) cell: successes out of n correctly classified inputs."""

    requested_dim: int
    dim: int
    eps: float
    successes: int
    n: int
    rate: float
    ci_low: float
    ci_high: float
    collapse_x: float
    predicted: float
    seconds: float
    #: correctly classified inputs PGD could not perturb at all (not broken, delta = 0): for a
    #: random orthonormal V the feasible set V cap [-x, 1 - x] is often {0} (Wendel's theorem)
    stuck: int = 0
    #: of those, the inputs whose V cap [-x, 1 - x] is {0} (orthonormal V; a linear program)
    zero_feasible: int = 0


@dataclass
class CollapseQuality:
    exponent_theory: float
    spread_theory: float
    spread_raw: float
    ratio: float
    exponent_best: float
    spread_best: float
    exponents: list[float] = field(default_factory=list)
    spreads: list[float] = field(default_factory=list)


@dataclass
class SweepTable:
    """All cells of a sweep plus its settings and the collapse analysis."""

    model: str
    p: float
    q: float
    kind: str
    n_input: int
    n_samples: int
    n_correct: int
    clean_accuracy: float
    steps: int
    step_factor: float
    ci_method: str
    cells: list[SweepCell] = field(default_factory=list)
    collapse: CollapseQuality | None = None
    seconds: float = 0.0
    #: what happened to the requested settings (dims clamped, merged, ignored), in words
    notes: list[str] = field(default_factory=list)
    #: PGD's box mode: "exact" (x + delta in [0, 1]) or "none" (the unboxed variant)
    box: str = "exact"

    def dims(self) -> list[int]:
        return sorted({c.dim for c in self.cells})

    def curve(self, dim: int) -> dict[str, np.ndarray]:
        cs = sorted((c for c in self.cells if c.dim == dim), key=lambda c: c.eps)
        return {
            k: np.array([getattr(c, k) for c in cs], dtype=float)
            for k in ("eps", "rate", "ci_low", "ci_high", "collapse_x", "predicted")
        }

    def rows(self) -> list[dict]:
        return [asdict(c) for c in self.cells]

    def to_json(self) -> dict:
        d = asdict(self)
        d["p"] = p_label(self.p)
        d["q"] = p_label(self.q)
        d["success_over"] = "correctly_classified"
        return d


def collapse_coordinate(eps: float | np.ndarray, dim: int, n: int, q: float) -> np.ndarray:
    """eps * (dim V / dim X)^(1/q)  (1/q = 0 for q = inf)."""
    inv_q = 0.0 if math.isinf(q) else 1.0 / q
    return np.asarray(eps, dtype=float) * (dim / n) ** inv_q


def collapse_spread(
    curves: list[tuple[np.ndarray, np.ndarray, int]], n: int, exponent: float, points: int = 64
) -> float:
    """Mean over the common range of max_k s_k - min_k s_k, curves mapped to eps (dim/n)^exponent.

    ``curves``: (eps, rate, dim) per dim V, eps > 0.  NaN with fewer than two curves or when the
    mapped ranges do not overlap."""
    mapped = []
    for eps, rate, dim in curves:
        ok = eps > 0
        if ok.sum() < 2:
            continue
        lx = np.log(eps[ok]) + exponent * math.log(dim / n)
        order = np.argsort(lx)
        mapped.append((lx[order], rate[ok][order]))
    if len(mapped) < 2:
        return math.nan
    lo = max(m[0][0] for m in mapped)
    hi = min(m[0][-1] for m in mapped)
    if not hi > lo:
        return math.nan
    grid = np.linspace(lo, hi, points)
    vals = np.stack([np.interp(grid, lx, r) for lx, r in mapped])
    return float(np.mean(vals.max(axis=0) - vals.min(axis=0)))


def collapse_quality(table: SweepTable) -> CollapseQuality:
    """Spread at a = 1/q and a = 0, their ratio, and the best exponent on [0, 1.5]."""
    curves = [(table.curve(d)["eps"], table.curve(d)["rate"], d) for d in table.dims()]
    a_theory = 0.0 if math.isinf(table.q) else 1.0 / table.q
    s_theory = collapse_spread(curves, table.n_input, a_theory)
    s_raw = collapse_spread(curves, table.n_input, 0.0)
    exps = np.round(np.linspace(0.0, 1.5, 61), 4)
    spreads = np.array([collapse_spread(curves, table.n_input, a) for a in exps])
    if np.all(np.isnan(spreads)):
        a_best, s_best = math.nan, math.nan
    else:
        i = int(np.nanargmin(spreads))
        a_best, s_best = float(exps[i]), float(spreads[i])
    ratio = s_theory / s_raw if s_raw and s_raw > 0 else math.nan
    return CollapseQuality(a_theory, s_theory, s_raw, ratio, a_best, s_best, exps.tolist(), [float(s) for s in spreads])


EXPONENT_GRID = np.round(np.linspace(0.0, 1.5, 61), 4)


def best_exponent(curves: list[tuple[np.ndarray, np.ndarray, int]], n: int) -> float:
    """The exponent a on :data:`EXPONENT_GRID` (steps of 0.025) minimising
    :func:`collapse_spread` (NaN when no exponent gives a spread)."""
    spreads = np.array([collapse_spread(curves, n, a) for a in EXPONENT_GRID])
    if np.all(np.isnan(spreads)):
        return math.nan
    return float(EXPONENT_GRID[int(np.nanargmin(spreads))])


@dataclass
class ExponentInterval:
    """The fitted collapse exponent with a bootstrap interval (see :func:`exponent_interval`)."""

    exponent: float
    low: float
    high: float
    confidence: float
    n_boot: int
    #: the bootstrap replicates' exponents (NaN where a replicate gave no spread)
    samples: list[float] = field(default_factory=list)
    #: per exponent of EXPONENT_GRID: the 2.5 % / 97.5 % quantiles of the replicates' spread
    spread_low: list[float] = field(default_factory=list)
    spread_high: list[float] = field(default_factory=list)


def exponent_interval(
    table: SweepTable, outcomes: list[np.ndarray], n_boot: int = 300, seed: int = 0, confidence: float = 0.95
) -> ExponentInterval:
    """Percentile bootstrap interval of the best collapse exponent, resampling the inputs.

    ``outcomes``: per cell of ``table`` (same order) the bool successes of the n correctly
    classified inputs (:func:`run_sweep`'s ``outcomes``).  Each replicate draws n inputs with
    replacement, the same draw for every cell (the cells attack the same inputs, so their
    rates are correlated: resampling cells independently would misstate the spread), recomputes
    every cell's rate and the exponent minimising the spread (Efron & Tibshirani, "An
    introduction to the bootstrap", 1993, ch. 13).  The interval is the (1 - confidence)/2 and
    (1 + confidence)/2 quantiles of the replicates; its resolution is the grid's 0.025."""
    if len(outcomes) != len(table.cells):
        raise ValueError(f"{len(outcomes)} outcome arrays for {len(table.cells)} cells")
    hits = np.stack([np.asarray(o, dtype=bool) for o in outcomes]) if outcomes else np.zeros((0, 0), bool)
    n = hits.shape[1] if hits.size else 0
    dims = np.array([c.dim for c in table.cells])
    eps = np.array([c.eps for c in table.cells])

    def curves_of(rates: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, int]]:
        out = []
        for d in sorted(set(dims.tolist())):
            sel = np.flatnonzero(dims == d)
            order = sel[np.argsort(eps[sel])]
            out.append((eps[order], rates[order], int(d)))
        return out

    point = best_exponent(curves_of(hits.mean(axis=1) if n else np.full(len(dims), np.nan)), table.n_input)
    rng = np.random.default_rng(seed)
    samples, spreads = [], []
    for _ in range(n_boot if n else 0):
        idx = rng.integers(0, n, size=n)
        cv = curves_of(hits[:, idx].mean(axis=1))
        sp = np.array([collapse_spread(cv, table.n_input, a) for a in EXPONENT_GRID])
        spreads.append(sp)
        samples.append(math.nan if np.all(np.isnan(sp)) else float(EXPONENT_GRID[int(np.nanargmin(sp))]))
    a = (1.0 - confidence) / 2.0
    ok = np.array([s for s in samples if not math.isnan(s)])
    lo, hi = (float(np.quantile(ok, a)), float(np.quantile(ok, 1.0 - a))) if len(ok) else (math.nan, math.nan)
    sp_arr = np.array(spreads) if spreads else np.full((1, len(EXPONENT_GRID)), np.nan)
    with warnings.catch_warnings():  # exponents where no replicate has a spread stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        s_lo = np.nanquantile(sp_arr, a, axis=0) if len(spreads) else sp_arr[0]
        s_hi = np.nanquantile(sp_arr, 1.0 - a, axis=0) if len(spreads) else sp_arr[0]
    return ExponentInterval(
        point, lo, hi, confidence, len(samples), samples, [float(v) for v in s_lo], [float(v) for v in s_hi]
    )


class Eta:
    """Seconds left of a job from the fraction done and the time since :meth:`start` (a linear
    extrapolation: the cells of a sweep cost about the same), as words for a progress message."""

    def __init__(self) -> None:
        self.t0: float | None = None

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def text(self, fraction: float) -> str:
        """ "about 40 s left" (or "" before 2 % is done or before :meth:`start`)."""
        if self.t0 is None or not fraction >= 0.02:
            return ""
        left = (time.perf_counter() - self.t0) * (1 - min(fraction, 1.0)) / fraction
        if left >= 90:
            return f"about {left / 60:.0f} min left"
        return f"about {max(1.0, left):.0f} s left"


def _cell_beat(
    check: Callable[[], None] | None,
    progress: Callable[[float, str], None] | None,
    done: int,
    total: int,
    steps: int,
    label: str,
) -> Callable[[], None]:
    """The per-step check of one cell: ``check()``, then progress within the cell every 5 steps."""
    count = [0]

    def beat() -> None:
        if check is not None:
            check()
        count[0] += 1
        if progress is not None and count[0] % 5 == 0:
            progress((done + min(1.0, count[0] / max(1, steps))) / total, f"{label}: step {count[0]}/{steps}")

    return beat


def _input_beat(
    check: Callable[[], None] | None,
    progress: Callable[[float, str], None] | None,
    fraction: float,
    n: int,
    label: str,
) -> Callable[[], None]:
    """The per-input check of a loop over ``n`` inputs (the linear programs of
    :func:`zero_feasible`): ``check()``, then progress at ``fraction`` every 10 inputs."""
    count = [0]

    def beat() -> None:
        if check is not None:
            check()
        count[0] += 1
        if progress is not None and count[0] % 10 == 0:
            progress(fraction, f"{label}: input {count[0]}/{n}")

    return beat


def run_sweep(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    model_name: str,
    p: float,
    kind: str,
    dims: list[int],
    eps_values: list[float],
    steps: int = 20,
    step_factor: float = 2.5,
    restarts: int = 1,
    random_start: bool = True,
    seed: int = 0,
    ci_method: str = "wilson",
    l1_k: int = 1,
    predict: bool = True,
    box: str = "exact",
    batch_size: int = 1024,
    dim_index: list[int] | None = None,
    eps_index: list[int] | None = None,
    on_cell: Callable[[SweepTable, float], None] | None = None,
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
    outcomes: list[np.ndarray] | None = None,
) -> SweepTable:
    """Attack (x, y) for every dim V in ``dims`` and eps in ``eps_values``.

    The step size is step_factor * eps / steps.  Success rates are over the correctly
    classified inputs; the subspace of each dim is drawn once (seed) and reused for all eps.
    ``outcomes``: if a list is given, one bool array per cell (in the order of ``cells``) is
    appended to it: which of the correctly classified inputs (in data order) the cell broke
    (for a paired bootstrap over inputs, :func:`exponent_interval`).
    ``box``: PGD's box mode (:data:`.pgd.BOX_MODES`; "none": the unboxed variant).
    ``on_cell(table, fraction)`` receives the growing table after every cell; ``check`` runs
    before every PGD step and ``progress(fraction, message)`` within a cell (every few steps:
    one cell of an orthonormal subspace can take minutes).

    ``dim_index`` / ``eps_index``: the position of each of ``dims`` / of the sorted
    ``eps_values`` in a whole sweep this one is a part of (default: their positions here).
    They seed the subspaces and the PGD starts, so the parts of a sweep split into tasks
    (workbench.cluster: one per row or cell) draw the numbers of the whole.
    """
    t_start = time.perf_counter()
    shape = tuple(int(s) for s in x.shape[1:])
    if len(shape) != 3:
        raise ValueError(f"inputs must be images (B, C, H, W), got shape {tuple(x.shape)}")
    n = int(np.prod(shape))
    q = dual_exponent(p)
    with torch.no_grad():
        correct = torch.cat([model(x[i : i + batch_size]).argmax(1) for i in range(0, len(y), batch_size)]) == y
    n_correct = int(correct.sum())
    table = SweepTable(
        model_name, p, q, kind, n, int(len(y)), n_correct, n_correct / max(len(y), 1), steps, step_factor, ci_method
    )
    table.box = box
    xc, yc = x[correct], y[correct]
    eps_sorted = sorted(float(e) for e in eps_values)
    total = len(dims) * len(eps_sorted)
    done = 0
    for di, k in enumerate(dims):
        if check is not None:
            check()
        if progress is not None:
            progress(done / total, f"dim {k}: drawing the subspace")
        gen = torch.Generator().manual_seed(seed + 7919 * (dim_index[di] if dim_index else di))
        dim = realised_dim(kind, shape, int(k))
        sub = build_subspace(kind, shape, int(k), len(yc), gen, device=x.device, dtype=x.dtype)
        zero = 0
        basis = sub.basis_matrix()
        if basis is not None and len(yc) and box != "none":
            beat = _input_beat(check, progress, done / total, len(yc), f"dim {k}: which inputs V lets move")
            zero = int(zero_feasible(basis.cpu().numpy(), xc.reshape(len(yc), -1).cpu().numpy(), beat).sum())
        pred = [math.nan] * len(eps_sorted)
        if predict and n_correct > 0:
            crit = torch.cat(
                [
                    critical_eps(
                        model,
                        xc[i : i + batch_size],
                        yc[i : i + batch_size],
                        p,
                        sub.select(torch.arange(i, min(i + batch_size, len(yc)), device=x.device)),
                    )
                    for i in range(0, len(yc), batch_size)
                ]
            )
            pred = predicted_success(crit, eps_sorted, torch.ones_like(yc, dtype=torch.bool))
        for ei, eps in enumerate(eps_sorted):
            t0 = time.perf_counter()
            step_check = _cell_beat(
                check, progress, done, total, steps * -(-len(yc) // batch_size), f"dim {k}, eps {eps:g}"
            )
            cfg = PGDConfig(
                p=p,
                eps=eps,
                steps=steps,
                step_size=step_factor * eps / max(steps, 1),
                random_start=random_start,
                restarts=restarts,
                l1_k=l1_k,
                box=box,
            )
            succ = stuck = 0
            hits: list[np.ndarray] = []
            for i in range(0, len(yc), batch_size):
                rows = torch.arange(i, min(i + batch_size, len(yc)), device=x.device)
                out = pgd_attack(
                    model,
                    xc[rows],
                    yc[rows],
                    cfg,
                    sub.select(rows),
                    seed=seed + 31 * (eps_index[ei] if eps_index else ei) + i,
                    check=step_check,
                )
                succ += int(out.success.sum())
                hits.append(out.success.cpu().numpy())
                stuck += int(stuck_mask(out.x_adv - xc[rows], out.success, eps).sum())
            if outcomes is not None:
                outcomes.append(np.concatenate(hits) if hits else np.zeros(0, dtype=bool))
            lo, hi = interval(succ, n_correct, ci_method)
            table.cells.append(
                SweepCell(
                    int(k),
                    dim,
                    eps,
                    succ,
                    n_correct,
                    succ / n_correct if n_correct else math.nan,
                    lo,
                    hi,
                    float(collapse_coordinate(eps, dim, n, q)),
                    pred[ei],
                    time.perf_counter() - t0,
                    stuck=stuck,
                    zero_feasible=zero,
                )
            )
            done += 1
            if on_cell is not None:
                on_cell(table, done / total)
    table.collapse = collapse_quality(table)
    table.seconds = time.perf_counter() - t_start
    return table
