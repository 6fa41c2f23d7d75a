"""Jobs of the PGD attack explorer: picklable specs and ``run(spec, ctx)`` functions (Qt-free).

* :func:`run_attack` - one PGD attack on a subset of a model's test split, with examples for
  the clean / perturbation / adversarial grid.
* :func:`run_sweep_job` - success over a grid of dim V x eps, partial tables as cells finish.
* :func:`run_export` - the model as TorchScript plus its test split as NPZ.

Success rates are over the *correctly classified* inputs (``success_over`` in the JSON).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from workbench.jobs import JobContext, JobError

from .core.data import load_dataset, subset
from .core.norms import dual_exponent, lp_norm, p_label, parse_p
from .core.pgd import PGDConfig, choose_targets, pgd_attack
from .core.stats import interval
from .core.subspace import BASIS_KINDS, KINDS, build_subspace, dimension_note, realised_dim, zero_feasible
from .core.sweep import (
    Eta,
    ExponentInterval,
    SweepTable,
    collapse_quality,
    collapse_spread,
    exponent_interval,
    run_sweep,
    stuck_mask,
)
from .core.zoo import LoadedModel, ModelLoadError, ModelRef, load_model_ref

TARGET_MODES = ("none", "random", "least_likely")

#: torch intra-op threads of the panel's attack and sweep jobs (see :func:`few_threads`)
APP_JOB_THREADS = 1


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch with ``n`` intra-op threads inside the block (the previous number after it)."""
    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def few_threads(fn: Callable[[Any, JobContext], Any]) -> Callable[[Any, JobContext], Any]:
    """``fn(spec, ctx)`` run with :data:`APP_JOB_THREADS` torch threads (what the panel submits).

    The zoo's models are small CNNs on 8 x 8 to 28 x 28 images: each op is microseconds of work,
    and where the cores are busy (the GUI thread is one more busy core) a descheduled OpenMP
    worker makes every op wait at its barrier.  Measured in the app on 2 cores at load 4 with
    the panel's default sweep (150 images, 10 steps): 44.5 s with torch's default 2 threads,
    9.7 s with one, and the GUI thread's longest stall 309 ms and 177 ms
    (benchmarks/bench_gui_stall.py --flows pgd).  The CLI keeps its ``--threads``."""

    @functools.wraps(fn)
    def job(spec: Any, ctx: JobContext) -> Any:
        with torch_threads(APP_JOB_THREADS):
            return fn(spec, ctx)

    return job


_loads_done: set[str] = set()


@contextlib.contextmanager
def frozen_imports(what: str) -> Iterator[None]:
    """The first time for ``what`` (a model or a dataset): the cyclic collector paused while the
    block runs and :func:`gc.freeze` after it.  The first dataset imports scikit-learn, pandas
    and scipy (about 670 modules, 50 000 objects) on the job's thread; each full collection
    during and after that walked them with the GIL held, stalling the GUI thread (5 full
    collections up to 165 ms while the PGD panel opened, at load 5 on 2 cores); frozen, the
    collector skips them (Python documentation of ``gc.freeze``).  Later times: no change."""
    if what in _loads_done:
        yield
        return
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _loads_done.add(what)
        gc.freeze()  # before the collector runs again (workbench.gcfreeze)
        if was:
            gc.enable()


def _load(ref: ModelRef, device: str) -> LoadedModel:
    try:
        with frozen_imports(f"model {ref}"):
            return load_model_ref(ref, device)
    except ModelLoadError as exc:
        raise JobError(str(exc)) from None


def _data(dataset: str, n: int, classes: tuple[int, ...], seed: int, device: str):
    with frozen_imports(f"dataset {dataset}"):
        split = load_dataset(dataset)
    try:
        x, y = subset(split, n, classes, seed)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    if len(y) == 0:
        raise JobError(f"the data subset is empty (dataset {dataset}, classes {list(classes)})")
    return split, torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)


@dataclass(frozen=True)
class AttackSpec:
    """One PGD attack.  step_size None means 2.5 eps / steps; dim is ignored for kind "full";
    target: "none" (untargeted), "random" or "least_likely"; n: samples (<= 0: whole test split)."""

    model: ModelRef = ModelRef()
    n: int = 300
    classes: tuple[int, ...] = ()
    p: float = 2.0
    eps: float = 1.0
    steps: int = 20
    step_size: float | None = None
    kind: str = "full"
    dim: int = 0
    random_start: bool = True
    restarts: int = 1
    target: str = "none"
    early_stop: bool = True
    l1_k: int = 1
    loss: str = "ce"
    box: str = "exact"
    n_examples: int = 8
    batch_size: int = 512
    seed: int = 0
    device: str = "auto"


@dataclass
class AttackJobResult:
    """Summary numbers plus a few examples (numpy, CPU) for the image grid."""

    model: str
    dataset: str
    p: float
    eps: float
    steps: int
    step_size: float
    kind: str
    dim: int
    n_input: int
    n_samples: int
    n_correct: int
    successes: int
    success_rate: float
    ci_low: float
    ci_high: float
    clean_accuracy: float
    robust_accuracy: float
    mean_iterations: float
    mean_norm: float
    max_norm: float
    max_outside_v: float
    seconds: float
    device: str
    class_names: list[str] = field(default_factory=list)
    examples: dict[str, np.ndarray] = field(default_factory=dict)
    #: the dim V asked for (``dim`` is the realised one); -1 when unknown (older sessions)
    requested_dim: int = -1
    #: correctly classified inputs PGD could not perturb at all (not broken, delta = 0)
    n_stuck: int = 0
    #: correctly classified inputs whose feasible set V cap [-x, 1 - x] is {0} (orthonormal V;
    #: by linear programming, :func:`workbench_adversarial.core.subspace.zero_feasible`)
    n_zero_feasible: int = 0
    #: what happened to the requested settings and why results may mislead, in words
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "examples"}
        d["p"] = p_label(self.p)
        d["q"] = p_label(dual_exponent(self.p))
        d["success_over"] = "correctly_classified"
        d["collapse_x"] = self.eps * (self.dim / self.n_input) ** (0.0 if self.p == 1 else 1.0 / dual_exponent(self.p))
        for k, v in d.items():
            if isinstance(v, float) and not math.isfinite(v):
                d[k] = None
        return d


def _validate_attack(spec: AttackSpec) -> float:
    try:
        p = parse_p(spec.p)
        PGDConfig(
            p=p,
            eps=spec.eps,
            steps=spec.steps,
            step_size=spec.step_size,
            restarts=spec.restarts,
            loss=spec.loss,
            box=spec.box,
        ).validated()
    except ValueError as exc:
        raise JobError(str(exc)) from None
    if spec.kind not in KINDS:
        raise JobError(f"unknown subspace kind {spec.kind!r}; use one of {', '.join(KINDS)}")
    if spec.kind != "full" and spec.dim < 1:
        raise JobError(f"subspace kind {spec.kind!r} needs a dimension >= 1 (--dim)")
    if spec.target not in TARGET_MODES:
        raise JobError(f"target must be one of {TARGET_MODES}, got {spec.target!r}")
    return p


def run_attack(spec: AttackSpec, ctx: JobContext) -> AttackJobResult:
    """Attack ``spec.n`` test images of the model's dataset and summarise."""
    p = _validate_attack(spec)
    ctx.progress(0.0, "loading model")
    lm = _load(spec.model, ctx.device)
    split, x, y = _data(lm.dataset, spec.n, spec.classes, spec.seed, ctx.device)
    shape = split.shape
    n_input = int(np.prod(shape))
    dim = realised_dim(spec.kind, shape, spec.dim if spec.kind != "full" else n_input)
    cfg = PGDConfig(
        p=p,
        eps=spec.eps,
        steps=spec.steps,
        step_size=spec.step_size,
        random_start=spec.random_start,
        restarts=spec.restarts,
        targeted=spec.target != "none",
        early_stop=spec.early_stop,
        l1_k=spec.l1_k,
        loss=spec.loss,
        box=spec.box,
    ).validated()
    B = len(y)
    gen = torch.Generator().manual_seed(spec.seed)
    try:
        sub = build_subspace(
            spec.kind, shape, spec.dim if spec.kind != "full" else n_input, B, gen, device=ctx.device, dtype=x.dtype
        )
    except ValueError as exc:
        raise JobError(str(exc)) from None
    outs = []
    bs = max(1, spec.batch_size)
    total_steps = max(1, math.ceil(B / bs) * (cfg.steps + 1) * cfg.restarts)
    counter = [0]

    def check() -> None:
        ctx.check_cancelled()
        counter[0] += 1
        ctx.progress(min(counter[0] / total_steps, 0.99), "attacking")

    t_attack = time.perf_counter()
    for i in range(0, B, bs):
        rows = torch.arange(i, min(i + bs, B), device=x.device)
        target = None
        if cfg.targeted:
            with torch.no_grad():
                clean = lm.model(x[rows])
            target = choose_targets(clean, y[rows], spec.target, spec.seed + i)
        outs.append(
            pgd_attack(
                lm.model, x[rows], y[rows], cfg, sub.select(rows), target=target, seed=spec.seed + i, check=check
            )
        )
    attack_seconds = time.perf_counter() - t_attack
    success = torch.cat([o.success for o in outs])
    x_adv = torch.cat([o.x_adv for o in outs])
    clean_logits = torch.cat([o.clean_logits for o in outs])
    adv_logits = torch.cat([o.adv_logits for o in outs])
    iters = torch.cat([o.iterations for o in outs])
    correct = clean_logits.argmax(1) == y
    n_correct = int(correct.sum())
    k = int((success & correct).sum())
    lo, hi = interval(k, n_correct, "wilson")
    delta = (x_adv - x).reshape(B, -1)
    norms = lp_norm(delta, p)
    outside = sub.residual(delta) if spec.kind != "full" else torch.zeros(B, device=x.device)
    robust = int((correct & ~success).sum())
    n_stuck = int((correct & stuck_mask(delta, success, spec.eps)).sum())
    n_zero = 0
    if (basis := sub.basis_matrix()) is not None:
        ctx.progress(0.99, "checking which inputs V lets move (linear programs)")
        keep = correct.cpu().numpy()
        n_lp = int(keep.sum())
        lp_done = [0]

        def lp_check() -> None:  # before each input's linear program
            ctx.check_cancelled()
            lp_done[0] += 1
            ctx.progress(0.99, f"checking which inputs V lets move (linear program {lp_done[0]}/{n_lp})")

        n_zero = int(zero_feasible(basis.cpu().numpy(), x.reshape(B, -1).cpu().numpy()[keep], lp_check).sum())
    notes = [note] if (note := dimension_note(spec.kind, shape, spec.dim)) and spec.kind != "full" else []
    notes += stuck_notes(n_zero, n_stuck, n_correct)
    # examples: prefer successful attacks, then the rest, in data order
    order = torch.cat([torch.nonzero(success & correct).squeeze(1), torch.nonzero(~(success & correct)).squeeze(1)])
    pick = order[: max(0, spec.n_examples)]
    p_clean = torch.softmax(clean_logits[pick], 1)
    p_adv = torch.softmax(adv_logits[pick], 1)
    support = sub.support(B)[pick.cpu() if sub.mask is None else pick].reshape((len(pick),) + shape)
    ex = {
        "clean": x[pick].cpu().numpy(),
        "adversarial": x_adv[pick].cpu().numpy(),
        "delta": (x_adv[pick] - x[pick]).cpu().numpy(),
        "support": support.cpu().numpy().astype(np.float32),
        "label": y[pick].cpu().numpy(),
        "clean_pred": p_clean.argmax(1).cpu().numpy(),
        "clean_conf": p_clean.amax(1).cpu().numpy(),
        "adv_pred": p_adv.argmax(1).cpu().numpy(),
        "adv_conf": p_adv.amax(1).cpu().numpy(),
        "success": (success & correct)[pick].cpu().numpy(),
    }
    ctx.progress(1.0, "done")
    return AttackJobResult(
        lm.label,
        lm.dataset,
        p,
        float(spec.eps),
        cfg.steps,
        cfg.alpha,
        spec.kind,
        dim,
        n_input,
        B,
        n_correct,
        k,
        k / n_correct if n_correct else math.nan,
        lo,
        hi,
        n_correct / B,
        robust / B,
        float(iters[success & correct].float().mean()) if k else math.nan,
        float(norms[success & correct].mean()) if k else math.nan,
        float(norms.max()) if B else 0.0,
        float(outside.max()) if B else 0.0,
        attack_seconds,
        str(ctx.device),
        list(split.class_names),
        ex,
        requested_dim=int(spec.dim) if spec.kind != "full" else n_input,
        n_stuck=n_stuck,
        n_zero_feasible=n_zero,
        notes=notes,
    )


def stuck_notes(zero: int, stuck: int, n_correct: int) -> list[str]:
    """Why inputs that could not be perturbed are no evidence of robustness: ``zero`` have no
    feasible perturbation in V at all, ``stuck`` (>= zero) were not moved by PGD."""
    notes = []
    if zero:
        notes.append(
            f"{zero} of {n_correct} correctly classified inputs have no feasible perturbation: V cap "
            "[-x, 1 - x] = {0} (linear program), as pixels at 0 or 1 block every direction of the random V "
            "(Wendel's theorem); their 'robustness' says nothing about the model"
        )
    if stuck > zero:
        notes.append(
            f"PGD did not move {stuck - zero}{' more' if zero else ''} of {n_correct} inputs although V "
            "allows a perturbation (more steps or restarts may break them)"
        )
    return notes


@dataclass(frozen=True)
class SweepSpec:
    """A sweep over dim V (``dims``, requested dimensions) and ``eps_values``.

    Step size per cell: step_factor * eps / steps.  ci: "wilson" or "clopper-pearson"."""

    model: ModelRef = ModelRef()
    n: int = 200
    classes: tuple[int, ...] = ()
    p: float = 2.0
    kind: str = "pixels"
    dims: tuple[int, ...] = (4, 8, 16, 32, 64)
    eps_values: tuple[float, ...] = (0.1, 0.2, 0.4, 0.7, 1.0, 1.5, 2.0, 3.0, 4.0)
    steps: int = 10
    step_factor: float = 2.5
    restarts: int = 1
    random_start: bool = True
    ci: str = "wilson"
    l1_k: int = 1
    predict: bool = True
    seed: int = 0
    device: str = "auto"
    #: PGD's box mode: "exact" (x + delta in [0, 1]) or "none" (unboxed: the paper's linear toy model)
    box: str = "exact"


@dataclass
class SweepHistory:
    """Earlier complete sweeps a panel keeps to overlay on the current one (plain data for
    sessions): their tables, the specs they ran, their labels and whether each is shown."""

    tables: list[SweepTable] = field(default_factory=list)
    specs: list[SweepSpec] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    shown: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.tables)
        if not (len(self.specs) == len(self.labels) == len(self.shown) == n):
            raise ValueError(
                f"sweep history: {n} tables but {len(self.specs)} specs, {len(self.labels)} labels and "
                f"{len(self.shown)} shown flags"
            )
        self.shown = [bool(v) for v in self.shown]


def sweep_label(number: int, table: SweepTable, spec: SweepSpec) -> str:
    """A sweep in one line: its number, model, norm, subspace, dims, eps values, n and steps."""
    dims = table.dims()
    span = f"{dims[0]}-{dims[-1]}" if len(dims) > 1 else (str(dims[0]) if dims else "-")
    return (
        f"#{number} {table.model}, l_{p_label(table.p)}, {table.kind}, dim V {span} ({len(dims)}), "
        f"{len(spec.eps_values)} eps up to {max(spec.eps_values):g}, n = {table.n_samples}, {table.steps} steps"
    )


def validate_sweep(spec: SweepSpec) -> float:
    try:
        p = parse_p(spec.p)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    if spec.kind not in KINDS:
        raise JobError(f"unknown subspace kind {spec.kind!r}; use one of {', '.join(KINDS)}")
    if not spec.dims or any(int(d) < 1 for d in spec.dims):
        raise JobError(f"dims must be a non-empty list of integers >= 1, got {list(spec.dims)}")
    if not spec.eps_values or any(not (float(e) >= 0 and math.isfinite(float(e))) for e in spec.eps_values):
        raise JobError(f"eps_values must be a non-empty list of finite numbers >= 0, got {list(spec.eps_values)}")
    if spec.steps < 1:
        raise JobError("steps must be >= 1")
    if spec.ci not in ("wilson", "clopper-pearson"):
        raise JobError(f"ci must be wilson or clopper-pearson, got {spec.ci!r}")
    if spec.box not in ("exact", "none"):
        raise JobError(f"box must be 'exact' (inputs stay in [0, 1]) or 'none' (unboxed), got {spec.box!r}")
    return p


def _attack_settings(s: SweepSpec) -> dict[str, Any]:
    """The keyword arguments of :func:`.core.sweep.run_sweep` that a sweep and each of its parts
    (on a cluster) take alike from the spec: the subspace kind, the attack and its seed."""
    return {
        "kind": s.kind,
        "steps": s.steps,
        "step_factor": s.step_factor,
        "restarts": s.restarts,
        "random_start": s.random_start,
        "seed": s.seed,
        "ci_method": s.ci,
        "l1_k": s.l1_k,
        "predict": s.predict,
        "box": s.box,
    }


def _sweep_on_model(
    s: SweepSpec, ctx: JobContext, p: float, hooks: Callable[[list[str]], dict[str, Any]]
) -> SweepTable:
    """Load ``s``'s model and inputs, choose the dims and run the sweep; ``hooks(notes)`` gives
    the per-caller keyword arguments of :func:`.core.sweep.run_sweep` (progress, on_cell,
    outcomes)."""
    ctx.progress(0.0, "loading model")
    lm = _load(s.model, ctx.device)
    split, x, y = _data(lm.dataset, s.n, s.classes, s.seed, ctx.device)
    dims, notes = sweep_dims(s.kind, split.shape, s.dims)
    table = run_sweep(
        lm.model,
        x,
        y,
        model_name=lm.label,
        p=p,
        dims=dims,
        eps_values=list(s.eps_values),
        check=ctx.check_cancelled,
        **_attack_settings(s),
        **hooks(notes),
    )
    table.notes = list(notes)
    return table


def run_sweep_job(spec: SweepSpec, ctx: JobContext) -> SweepTable:
    """Run the sweep; after each cell a copy of the growing table goes to ``ctx.partial``."""
    p = validate_sweep(spec)
    eta = Eta()

    def progress(fraction: float, message: str) -> None:
        left = eta.text(fraction)
        ctx.progress(fraction, f"{message}; {left}" if left else message)

    def hooks(notes: list[str]) -> dict[str, Any]:
        def on_cell(table: SweepTable, fraction: float) -> None:
            c = table.cells[-1]
            table.notes = list(notes)
            progress(fraction, f"cell {len(table.cells)}: dim {c.dim}, eps {c.eps:g}: {c.rate:.2f}")
            ctx.partial(copy.deepcopy(table))

        eta.start()
        return {"on_cell": on_cell, "progress": progress}

    return _sweep_on_model(spec, ctx, p, hooks)


@dataclass(frozen=True)
class CollapseSpec:
    """A sweep (:class:`SweepSpec`) whose collapse exponent gets a bootstrap interval:
    ``n_boot`` replicates over the inputs, ``confidence``."""

    sweep: SweepSpec = SweepSpec()
    n_boot: int = 300
    confidence: float = 0.95


@dataclass
class CollapseStudy:
    """The sweep, its fitted exponent with the bootstrap interval, the theory's 1/q, and the
    spread on the coordinate of the p = 1 toy model, eps sqrt(ln dim V / ln dim X) (for
    i.i.d. Gaussian weights ||w_V||_inf grows like sqrt(2 ln dim V), arXiv 2303.14173 sec. 3),
    beside the raw-eps spread (exponent 0)."""

    table: SweepTable
    interval: ExponentInterval
    theory: float
    spread_log_coordinate: float
    spread_raw: float


def run_collapse_job(spec: CollapseSpec, ctx: JobContext) -> CollapseStudy:
    """The sweep of ``spec.sweep`` in this process, then :func:`.core.sweep.exponent_interval`."""
    s = spec.sweep
    p = validate_sweep(s)
    if spec.n_boot < 0 or not 0.0 < spec.confidence < 1.0:
        raise JobError(f"bootstrap: n_boot must be >= 0 and confidence in (0, 1), got {spec.n_boot}, {spec.confidence}")
    outcomes: list[np.ndarray] = []
    table = _sweep_on_model(
        s, ctx, p, lambda notes: {"progress": lambda f, m: ctx.progress(0.95 * f, m), "outcomes": outcomes}
    )
    ctx.progress(0.95, f"bootstrap of the exponent ({spec.n_boot} replicates)")
    ci = exponent_interval(table, outcomes, spec.n_boot, s.seed, spec.confidence)
    n = table.n_input
    curves = [(table.curve(d)["eps"], table.curve(d)["rate"], d) for d in table.dims()]
    log_curves = [(e * math.sqrt(math.log(max(d, 2)) / math.log(n)), r, d) for e, r, d in curves]
    q = dual_exponent(p)
    return CollapseStudy(
        table,
        ci,
        0.0 if math.isinf(q) else 1.0 / q,
        collapse_spread(log_curves, n, 0.0),
        collapse_spread(curves, n, 0.0),
    )


def run_sweep_one_thread(spec: SweepSpec, ctx: JobContext) -> SweepTable:
    """:func:`run_sweep_job` with :data:`APP_JOB_THREADS` torch threads, as a module-level
    function: the panel sends it to a worker process by reference (``few_threads``' wrapper
    carries ``run_sweep_job``'s name and cannot be pickled)."""
    with torch_threads(APP_JOB_THREADS):
        return run_sweep_job(spec, ctx)


@dataclass(frozen=True)
class SweepPartSpec:
    """A part of a sweep (one task on a cluster): the dim V ``dim`` (a dim :func:`sweep_dims`
    runs) at position ``dim_index`` of the sweep's dims, and the eps values at positions
    ``eps_index`` of its sorted ``eps_values``; seeded as in the whole sweep."""

    sweep: SweepSpec
    dim: int
    dim_index: int
    eps_index: tuple[int, ...]


def run_sweep_part(spec: SweepPartSpec, ctx: JobContext) -> SweepTable:
    """The cells of one part of a sweep (:class:`SweepPartSpec`), as a table of those cells."""
    s = spec.sweep
    p = validate_sweep(s)
    lm = _load(s.model, ctx.device)
    _, x, y = _data(lm.dataset, s.n, s.classes, s.seed, ctx.device)
    eps_sorted = sorted(float(e) for e in s.eps_values)
    return run_sweep(
        lm.model,
        x,
        y,
        model_name=lm.label,
        p=p,
        dims=[spec.dim],
        eps_values=[eps_sorted[i] for i in spec.eps_index],
        **_attack_settings(s),
        dim_index=[spec.dim_index],
        eps_index=list(spec.eps_index),
        check=ctx.check_cancelled,
        progress=ctx.progress,
    )


def sweep_parts(
    spec: SweepSpec, dims: list[int], per: str = "auto", workers: int = 1
) -> list[tuple[str, SweepPartSpec]]:
    """The sweep as parts with stable keys ("dim8", "dim8/eps0.4", "dim8/eps0.25-0.75"): one
    per cell (``per`` "cell"), one per dim V row ("row"), or "auto": rows for orthonormal
    subspaces (a row starts with a linear program per input) and for a single worker; else
    rows cut into runs of eps so that there are at least 3 parts per worker.  Each part
    repeats its row's set-up (the clean forward pass, the critical eps of the linear theory:
    about a third of a cell of digits-cnn), so fewer, larger parts waste less."""
    eps_sorted = sorted(float(e) for e in spec.eps_values)
    n_eps = len(eps_sorted)
    if per == "auto":
        if spec.kind in BASIS_KINDS or workers <= 1:
            per = "row"
        else:
            pieces = min(n_eps, -(-3 * workers // max(1, len(dims))))
            per = f"eps:{-(-n_eps // pieces)}"
    if per == "row":
        size = n_eps
    elif per == "cell":
        size = 1
    elif per.startswith("eps:") and per[4:].isdigit() and int(per[4:]) >= 1:
        size = int(per[4:])
    else:
        raise JobError(f"a sweep splits per cell, per row or per eps:K (K eps per part), not {per!r}")
    parts: list[tuple[str, SweepPartSpec]] = []
    for di, k in enumerate(dims):
        for lo in range(0, n_eps, size):
            idx = tuple(range(lo, min(lo + size, n_eps)))
            if len(idx) == n_eps:
                key = f"dim{k}"
            elif len(idx) == 1:
                key = f"dim{k}/eps{eps_sorted[idx[0]]:g}"
            else:
                key = f"dim{k}/eps{eps_sorted[idx[0]]:g}-{eps_sorted[idx[-1]]:g}"
            parts.append((key, SweepPartSpec(spec, int(k), di, idx)))
    return parts


def run_sweep_split(spec: SweepSpec, ctx: JobContext, backend: Any = None, per: str = "auto") -> SweepTable:
    """:func:`run_sweep_job` as parts (:func:`sweep_parts`) run by ``backend`` (a
    :class:`workbench.cluster.Backend`; None: this process), the parts' cells assembled in the
    sweep's order: the table of :func:`run_sweep_job` (cell timings aside).  After each part a
    table of the cells finished so far goes to ``ctx.partial``."""
    from workbench import cluster

    t0 = time.perf_counter()
    validate_sweep(spec)
    ctx.progress(0.0, "loading model")
    lm = _load(spec.model, ctx.device)
    split, _, _ = _data(lm.dataset, spec.n, spec.classes, spec.seed, ctx.device)
    dims, notes = sweep_dims(spec.kind, split.shape, spec.dims)
    backend = backend or cluster.PROCESS
    parts = sweep_parts(spec, dims, per, cluster.worker_count(backend))
    done: dict[int, SweepTable] = {}

    def assemble(tables: dict[int, SweepTable]) -> SweepTable:
        first = tables[min(tables)]
        table = copy.deepcopy(first)
        table.cells = [c for i in sorted(tables) for c in tables[i].cells]
        table.notes = list(notes)
        table.collapse = None  # the first part's own; the whole table's is computed at the end
        return table

    def on_result(i: int, table: SweepTable) -> None:
        done[i] = table
        ctx.partial(assemble(done))

    cluster.run_sweep(run_sweep_part, parts, ctx, backend, on_result=on_result)
    table = assemble(done)
    table.collapse = collapse_quality(table)
    table.seconds = time.perf_counter() - t0
    return table


def sweep_dims(kind: str, shape: tuple[int, int, int], requested: tuple[int, ...]) -> tuple[list[int], list[str]]:
    """The dims a sweep runs for the ``requested`` ones, and notes on what changed: clamped to
    dim X, merged where two give the same realised V (whole pixels or channels), a single one
    for the full space (which ignores dim V)."""
    n_input = int(np.prod(shape))
    notes: list[str] = []
    if kind == "full":
        if len(set(requested)) > 1:
            notes.append(f"kind full ignores dims V: one curve, V = X (dim {n_input})")
        return [n_input], notes
    clamped = sorted({int(d) for d in requested if int(d) > n_input})
    if clamped:
        notes.append(f"dims {', '.join(map(str, clamped))} exceed the input size: run as dim X = {n_input}")
    by_real: dict[int, list[int]] = {}
    for d in sorted({min(int(d), n_input) for d in requested}):
        by_real.setdefault(realised_dim(kind, shape, d), []).append(d)
    for real, ds in by_real.items():
        if len(ds) > 1 or ds[0] != real:
            notes.append(
                f"dims {', '.join(map(str, ds))} give V of dim {real} ({kind}: "
                + (
                    "whole pixels, all channels"
                    if kind == "patch"
                    else "whole channels"
                    if kind == "channels"
                    else "realised"
                )
                + ")"
                + (": run once" if len(ds) > 1 else "")
            )
    return [ds[-1] for ds in by_real.values()], notes


@dataclass(frozen=True)
class ExportSpec:
    model: ModelRef = ModelRef()
    out: str = "."
    device: str = "cpu"


@dataclass
class ExportResult:
    files: list[str]
    n_test: int
    max_abs_diff: float


def run_export(spec: ExportSpec, ctx: JobContext) -> ExportResult:
    """Write ``model.pt`` (TorchScript, takes x in [0, 1]), ``test.npz`` (x float32, y int64)
    and ``model.json``; checks that the saved TorchScript reproduces the model's logits."""
    lm = _load(spec.model, "cpu")
    split = load_dataset(lm.dataset)
    out = Path(spec.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JobError(f"cannot create output folder {out}: {exc}") from None
    x = torch.as_tensor(split.x_test)
    ctx.progress(0.2, "scripting")
    model = lm.model.cpu().eval()
    scripted = model if isinstance(model, torch.jit.ScriptModule) else torch.jit.trace(model, x[:2])
    path = out / "model.pt"
    scripted.save(str(path))
    reloaded = torch.jit.load(str(path))
    with torch.no_grad():
        diff = float((reloaded(x) - model(x)).abs().max())
    np.savez(out / "test.npz", x=split.x_test.astype(np.float32), y=split.y_test.astype(np.int64))
    meta = {
        "model": lm.label,
        "dataset": lm.dataset,
        "input_shape": list(split.shape),
        "classes": split.class_names,
        "x_range": [0.0, 1.0],
        "files": ["model.pt", "test.npz"],
        "info": lm.info,
        "torchscript_max_abs_diff": diff,
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    ctx.progress(1.0, "done")
    return ExportResult([str(path), str(out / "test.npz"), str(out / "model.json")], int(len(split.y_test)), diff)
