"""Jobs of the micrograph editing plugin: frozen-dataclass specs (plain, picklable data) and
module-level ``run_*(spec, ctx)`` functions calling :mod:`.core` (Qt-free).

* :func:`run_generate` - write the embedded default data set as an image folder;
* :func:`run_load_data` - load a data set (the default or a user's folder) for the browser;
* :func:`run_train` - train a classifier on the source domain (progress per batch, a partial
  result per epoch), optionally saved as a checkpoint;
* :func:`run_edit` - one edit and its evaluation before and after (and the 1-LI alpha curve of
  a single-layer edit), progressive: the accuracies first (a partial result), then robustness;
* :func:`run_compare` - every method over several seeds: the comparison table (a partial result
  after each method and seed);
* :func:`run_alpha_curve` - the 1-LI curve between the original and an edited model.

Every job checks for Cancel at least every few hundred milliseconds (per training step, per
PGD step, per prediction batch).
"""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.jobs import JobContext, JobError

from .core.data import DataError, DataRef, DefaultData, MicrographData, default_data, load_data, write_folder
from .core.specs import ModelRef, TrainConfig, TrainProgress

#: torch intra-op threads of the jobs the panel runs (see :func:`in_app`)
APP_JOB_THREADS = 1


def in_app(fn: Callable[[Any, JobContext], Any]) -> Callable[[Any, JobContext], Any]:
    """``fn(spec, ctx)`` run with :data:`APP_JOB_THREADS` torch threads (what the panel submits;
    the CLI keeps its ``--threads``).  The classifier is a small CNN on 64 x 64 images: with
    torch's default two OpenMP threads on the shared 2-core CPU, a descheduled worker stalls
    every op at its barrier.  Measured at load 3 on 2 cores: one 1-LI update of layer1.conv1
    took 547 ms of CPU and 769 ms of wall time with two threads, 129 ms and 127 ms with one
    (docs/micrograph.md); the adversarial panel's PGD sweep went from 44.5 s to 9.7 s the same
    way (plugins/workbench_adversarial/jobs.py)."""

    @functools.wraps(fn)
    def job(spec: Any, ctx: JobContext) -> Any:
        import torch

        old = torch.get_num_threads()
        if old == APP_JOB_THREADS:
            return fn(spec, ctx)
        torch.set_num_threads(APP_JOB_THREADS)
        try:
            return fn(spec, ctx)
        finally:
            torch.set_num_threads(old)

    return job


def _data(ref: DataRef, ctx: JobContext) -> MicrographData:
    try:
        return load_data(ref, check=ctx.check_cancelled, progress=lambda f, m: ctx.progress(0.2 * f, m))
    except DataError as exc:
        raise JobError(str(exc)) from None


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class GenerateSpec:
    """Write the default data set (``default``, its seed included) to the folder ``out``."""

    out: str
    default: DefaultData = DefaultData()


@dataclass(frozen=True)
class GenerateResult:
    out: str
    files: int
    counts: dict[str, int]
    description: str


def run_generate(spec: GenerateSpec, ctx: JobContext) -> GenerateResult:
    """Generate the default data and write it as ``OUT/<domain>/<class>/*.png`` + domains.csv."""
    out = Path(spec.out).expanduser()
    if out.exists() and not out.is_dir():
        raise JobError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise JobError(f"{out}: the folder is not empty; choose a new or empty folder")
    ctx.progress(0.0, "generating")
    data = default_data(spec.default)
    ctx.check_cancelled()
    ctx.progress(0.5, "writing PNG files")
    try:
        files = write_folder(data, out)
    except OSError as exc:
        raise JobError(f"{out}: cannot write ({exc})") from None
    counts = {"source/train": len(data.train), "source/val": len(data.val), "source/test": len(data.test)}
    for d in data.shifted:
        counts[f"{d}/edit"] = len(data.pools[d])
        counts[f"{d}/test"] = len(data.shifted[d])
    ctx.progress(1.0, "done")
    return GenerateResult(str(out), len(files), counts, data.description)


@dataclass(frozen=True)
class LoadDataSpec:
    data: DataRef = DataRef()


def run_load_data(spec: LoadDataSpec, ctx: JobContext) -> MicrographData:
    """The data set of ``spec.data`` (for the browser: every split with names and labels)."""
    ctx.progress(0.0, f"loading {spec.data.label()}")
    data = _data(spec.data, ctx)
    ctx.progress(1.0, "loaded")
    return data


# --------------------------------------------------------------------------- models
def _model(ref: ModelRef, num_classes: int, ctx: JobContext) -> Any:
    """The classifier ``ref`` names (an nn.Module; torch is imported here, not with this module)."""
    from .core.train import ModelFileError, load_model

    try:
        return load_model(ref, num_classes, ctx.device)
    except ModelFileError as exc:
        raise JobError(str(exc)) from None


@dataclass(frozen=True)
class TrainSpec:
    """Train a classifier on the source train split of ``data``; ``out``: also save it there
    (a checkpoint: X.safetensors + X.json); device: auto | cpu | cuda."""

    data: DataRef = DataRef()
    config: TrainConfig = TrainConfig()
    out: str = ""
    device: str = "auto"


@dataclass
class TrainResult:
    """The trained model (``model``: a ModelRef of kind "state", usable by the other jobs), the
    per-epoch history, accuracies (source_test and <domain>_test), the file written (or "")."""

    model: ModelRef
    history: list[TrainProgress]
    accuracy: dict[str, float]
    seconds: float
    saved: str = ""


def run_train(spec: TrainSpec, ctx: JobContext) -> TrainResult:
    """Train, evaluate on the test sets, optionally save."""
    from .core.train import accuracy, save_classifier, train_classifier

    data = _data(spec.data, ctx)
    try:
        cfg = spec.config.check()
    except ValueError as exc:
        raise JobError(str(exc)) from None
    t0 = time.perf_counter()
    out = train_classifier(
        data.train,
        data.val,
        data.num_classes,
        cfg,
        ctx.device,
        check=ctx.check_cancelled,
        progress=lambda f, m: ctx.progress(0.2 + 0.75 * f, m),
        partial=ctx.partial,
    )
    acc = {"source_test": accuracy(out.model, data.test, ctx.device, ctx.check_cancelled)}
    acc.update({f"{d}_test": accuracy(out.model, s, ctx.device, ctx.check_cancelled) for d, s in data.shifted.items()})
    saved = ""
    if spec.out:
        prov = {
            "data": data.description,
            "classes": list(data.class_names),
            "config": cfg.__dict__,
            "accuracy": acc,
            "command": f"workbench micrograph train --data {spec.data.label()} --out {spec.out}",
        }
        try:
            saved = str(save_classifier(spec.out, out.model, prov)[0])
        except (OSError, ValueError) as exc:
            raise JobError(f"{spec.out}: cannot save the model ({exc})") from None
    state = {k: v.detach().cpu().clone() for k, v in out.model.state_dict().items()}
    ctx.progress(1.0, "trained")
    return TrainResult(
        ModelRef(kind="state", state=state, architecture=out.model.architecture()),
        out.history,
        acc,
        time.perf_counter() - t0,
        saved,
    )


# --------------------------------------------------------------------------- edits
def default_methods() -> tuple[Any, ...]:
    """The editing methods of the comparison, each with its default settings."""
    from .core.edits import FullFinetune, LastLayer, LowRank, OneLI, Rewrite, SurgicalBest, SurgicalFinetune

    return (FullFinetune(), SurgicalFinetune(), SurgicalBest(), LastLayer(), LowRank(), OneLI(), Rewrite())


@dataclass(frozen=True)
class EditSpec:
    """One edit: ``method`` (a config of :mod:`.core.edits`) on ``model`` with an edit set of ``k``
    labelled images per class from each domain in ``domains`` (empty: every shifted domain),
    drawn with ``seed`` (also the edit's own randomness); ``replay``: source training images per
    class replayed by the gradient-based methods; ``robustness``: PGD and corruption settings
    (``evaluate=False`` skips robustness); ``curve``: also the 1-LI alpha curve when the edit
    changed one layer."""

    method: Any = None
    data: DataRef = DataRef()
    model: ModelRef = ModelRef()
    k: int = 10
    domains: tuple[str, ...] = ()
    replay: int = 10
    seed: int = 0
    robustness: Any = None
    evaluate: bool = True
    curve: bool = True
    device: str = "auto"


@dataclass
class EditResult:
    """method: its name; config: the method's settings; edited: the edited model (ModelRef of
    kind "state"); changed: parameters changed; layer: the layer of a single-layer edit;
    losses: per step; details: the method's details; before / after: every metric of the
    original and the edited model (``Metrics``); row_before / row_after: the same as flat rows;
    curve: the 1-LI alpha curve (or None); edit_names: the edit set's images; seconds."""

    method: str
    config: Any
    edited: ModelRef
    changed: tuple[str, ...]
    layer: str
    losses: list[float]
    details: dict[str, Any]
    before: Any
    after: Any
    row_before: dict[str, float]
    row_after: dict[str, float]
    curve: Any
    edit_names: tuple[str, ...]
    seconds: float


def _check_k(data: MicrographData, spec_k: int, domains: tuple[str, ...], seed: int) -> Any:
    try:
        return data.edit_set(spec_k, seed, domains or None)
    except DataError as exc:
        raise JobError(str(exc)) from None


def _state_ref(model: Any) -> ModelRef:
    return ModelRef(
        kind="state",
        state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        architecture=model.architecture(),
    )


def _same_weights(a: Any, b: Any) -> bool:
    """Whether two models hold exactly the same tensors (parameters and buffers)."""
    import torch

    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k].to(sa[k].device)) for k in sa)


#: the original model's robustness by what determines it (see :func:`_original_key`): the edits
#: of one session share it, so only the first measures it (PGD and the corruption suite, about a
#: third of an edit's time); a few entries, the newest kept
_ORIGINAL_ROBUSTNESS: dict[tuple[Any, ...], Any] = {}
_ORIGINAL_KEEP = 4


def _original_key(spec: EditSpec, rcfg: Any, device: Any) -> tuple[Any, ...] | None:
    """What the original's measured robustness depends on, or None when it cannot be told from
    the spec (a model trained in this session, a user's folder whose files may change)."""
    if spec.data.kind != "default" or spec.model.kind not in ("default", "file"):
        return None
    model: tuple[Any, ...] = (spec.model.kind, spec.model.path, spec.model.width)
    if spec.model.kind == "file":
        try:
            st = Path(spec.model.path).expanduser().stat()
        except OSError:
            return None
        model += (st.st_size, st.st_mtime_ns)
    return (repr(spec.data), model, repr(rcfg), spec.k, spec.domains, spec.seed, str(device))


def run_edit(spec: EditSpec, ctx: JobContext) -> EditResult:
    """Edit, then measure the original and the edited model on the same images.

    Progressive (each step a partial result the panel draws; Cancel keeps the last one): first
    the accuracies of both models and the 1-LI accuracy curve (seconds after the edit), then
    the original's robustness, the edited model's, and the curve's robustness alpha by alpha
    (minutes: PGD and the corruption suite).  A value not measured yet is nan.  The curve's
    endpoints reuse the two models' robustness when the interpolated model at alpha 0 or 1 has
    exactly their weights (the same attack seed: the same numbers)."""
    from dataclasses import replace

    from .core.edits import OneLI, apply_edit, interpolate_layer
    from .core.evaluate import (
        AlphaCurve,
        RobustnessConfig,
        alpha_accuracies,
        eval_sets,
        measure,
        measure_robustness,
        metric_row,
        robustness_at_alpha,
    )
    from .core.models import MicrographResNet

    if spec.method is None:
        raise JobError("no edit method chosen")
    t0 = time.perf_counter()
    data = _data(spec.data, ctx)
    model = _model(spec.model, data.num_classes, ctx)
    if not isinstance(model, MicrographResNet):
        raise JobError(
            f"{spec.model.label()}: edits need a classifier of this plugin (checkpoint or state dict); "
            "a TorchScript model can only be evaluated"
        )
    edit = _check_k(data, spec.k, spec.domains, spec.seed)
    try:
        rcfg = (spec.robustness or RobustnessConfig()).check()
    except ValueError as exc:
        raise JobError(str(exc)) from None
    sets = eval_sets(data.test, dict(data.shifted), rcfg)
    dev, check = ctx.device, ctx.check_cancelled
    ctx.progress(0.2, "accuracy of the original")
    before = measure(model, sets, edit, dev, check, robustness=False)
    try:
        out = apply_edit(
            model,
            spec.method,
            edit,
            data.train,
            spec.seed,
            dev,
            check,
            lambda f, m: ctx.progress(0.22 + 0.18 * f, m),
            replay=spec.replay,
        )
    except ValueError as exc:
        raise JobError(f"{spec.method.name}: {exc}") from None
    ctx.progress(0.4, "accuracy of the edited model")
    after = measure(out.model, sets, edit, dev, check, robustness=False)
    curve: AlphaCurve | None = None
    target = out.model
    robust_alphas = (0.0, 0.25, 0.5, 0.75, 1.0) if spec.evaluate else ()
    if spec.curve and out.layer:
        ctx.progress(0.42, "1-LI alpha curve (accuracies)")
        if isinstance(spec.method, OneLI):  # the curve runs toward the base edit, not the chosen alpha
            target = apply_edit(
                model, spec.method.base, edit, data.train, spec.seed, dev, check, replay=spec.replay
            ).model
        curve = alpha_accuracies(model, target, out.layer, sets, edit, None, robust_alphas, dev, check)
    shifted = tuple(data.shifted)

    def result() -> EditResult:
        c = None
        if curve is not None:  # a copy: the partial result crosses threads, the lists keep growing here
            c = replace(
                curve,
                robust_inf=list(curve.robust_inf),
                robust_2=list(curve.robust_2),
                corruption=list(curve.corruption),
            )
        return EditResult(
            spec.method.name,
            spec.method,
            _state_ref(out.model),
            out.changed,
            out.layer,
            out.losses,
            out.details,
            before,
            after,
            metric_row(before, shifted),
            metric_row(after, shifted),
            c,
            edit.names,
            time.perf_counter() - t0,
        )

    if not spec.evaluate:
        ctx.progress(1.0, "done")
        return result()
    ctx.partial(result())
    steps = 2 + len(robust_alphas if curve is not None else ())
    key = _original_key(spec, rcfg, dev)
    known = _ORIGINAL_ROBUSTNESS.get(key) if key is not None else None
    if known is not None and known.acc == before.acc:  # measured by an earlier edit: the same numbers
        check()
        before = copy.deepcopy(known)
    else:
        ctx.progress(0.45, "robustness of the original (PGD, corruptions)")
        before = measure_robustness(model, sets, before.acc, dev, check, seed=spec.seed)
        if key is not None:
            _ORIGINAL_ROBUSTNESS[key] = copy.deepcopy(before)
            while len(_ORIGINAL_ROBUSTNESS) > _ORIGINAL_KEEP:
                _ORIGINAL_ROBUSTNESS.pop(next(iter(_ORIGINAL_ROBUSTNESS)))
    ctx.partial(result())
    ctx.progress(0.45 + 0.55 / steps, "robustness of the edited model (PGD, corruptions)")
    after = measure_robustness(out.model, sets, after.acc, dev, check, base=before.corruption, seed=spec.seed)
    if curve is not None:
        for i, a in enumerate(curve.robust_alphas):
            ends = {0.0: (model, before), 1.0: (out.model, after)}
            if a in ends and _same_weights(interpolate_layer(model, target, out.layer, a), ends[a][0]):
                known = ends[a][1]
                curve.robust_inf[i], curve.robust_2[i] = known.robust_inf, known.robust_2
                curve.corruption[i] = known.corruption.mean
                continue
            ctx.partial(result())
            ctx.progress(0.45 + 0.55 * (2 + i) / steps, f"1-LI robustness at alpha {a:.2f}")
            r = robustness_at_alpha(model, target, out.layer, sets, a, dev, check, spec.seed)
            curve.robust_inf[i], curve.robust_2[i], curve.corruption[i] = r
    ctx.progress(1.0, "done")
    return result()


@dataclass(frozen=True)
class CompareSpec:
    """Every method of ``methods`` (default: :func:`default_methods`) and the unedited model,
    for the seeds 0..seeds-1 (each: another edit set and the edit's own randomness)."""

    data: DataRef = DataRef()
    model: ModelRef = ModelRef()
    methods: tuple[Any, ...] = ()
    seeds: int = 1
    k: int = 10
    domains: tuple[str, ...] = ()
    replay: int = 10
    robustness: Any = None
    device: str = "auto"


@dataclass
class Comparison:
    """methods: row names (``unedited`` first); per_seed[m]: one flat metric row per seed done;
    mean / std: over the seeds done; shifted: the shifted domains; curve: the 1-LI alpha curve
    of the first seed (or None); details[m]: the first seed's method details; done / total:
    (method, seed) runs; settings: what was run; seconds."""

    methods: list[str]
    per_seed: dict[str, list[dict[str, float]]]
    mean: dict[str, dict[str, float]]
    std: dict[str, dict[str, float]]
    shifted: tuple[str, ...]
    curve: Any = None
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: int = 0
    total: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def table(self, fmt: str = "markdown") -> str:
        from .core.evaluate import format_table

        names = [m for m in self.methods if m in self.mean]
        return format_table(
            names,
            [self.mean[m] for m in names],
            [self.std[m] for m in names],
            self.shifted,
            fmt,
            seeds=max((len(v) for v in self.per_seed.values()), default=1),
        )

    def json_rows(self) -> list[dict[str, Any]]:
        """The rows of ``workbench micrograph evaluate --json``: method, source_acc, <domain>_acc
        per shifted domain, edit_acc, robust_acc (PGD l_inf), corruption_acc (means over seeds)."""
        from .core.evaluate import domain_key

        keys = (
            ["source_acc"]
            + [f"{domain_key(d)}_acc" for d in self.shifted]
            + ["edit_acc", "robust_acc", "corruption_acc"]
        )
        rows = []
        for m in self.methods:
            if m in self.mean:
                rows.append({"method": m, **{k: _json_number(self.mean[m][k]) for k in keys}})
        return rows


def _json_number(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4)


def run_compare(spec: CompareSpec, ctx: JobContext) -> Comparison:
    """The comparison table: each method edits the model with the same edit set per seed, and
    every model is measured on the same images."""
    from .core.edits import OneLI, apply_edit, one_li_from_base
    from .core.evaluate import RobustnessConfig, alpha_curve, eval_sets, measure, metric_row, summarise
    from .core.models import MicrographResNet

    t0 = time.perf_counter()
    if spec.seeds < 1:
        raise JobError(f"seeds must be >= 1, got {spec.seeds}")
    data = _data(spec.data, ctx)
    if not data.shifted:
        raise JobError(f"{spec.data.label()}: no shifted domain to edit for (add e.g. an aged/ folder beside source/)")
    model = _model(spec.model, data.num_classes, ctx)
    if not isinstance(model, MicrographResNet):
        raise JobError(f"{spec.model.label()}: edits need a classifier of this plugin (checkpoint or state dict)")
    methods = spec.methods or default_methods()
    try:
        rcfg = (spec.robustness or RobustnessConfig()).check()
    except ValueError as exc:
        raise JobError(str(exc)) from None
    sets = eval_sets(data.test, dict(data.shifted), rcfg)
    shifted = tuple(data.shifted)
    names = ["unedited"] + [m.name for m in methods]
    if len(set(names)) != len(names):
        raise JobError(f"method names must be unique in a comparison: {names}")
    res = Comparison(
        names,
        {n: [] for n in names},
        {},
        {},
        shifted,
        total=len(names) * spec.seeds,
        settings={
            "seeds": spec.seeds,
            "k": spec.k,
            "replay": spec.replay,
            "domains": list(spec.domains),
            "robustness": rcfg,
            "methods": list(methods),
            "data": spec.data.label(),
            "model": spec.model.label(),
        },
    )
    dev, check = ctx.device, ctx.check_cancelled

    def record(name: str, row: dict[str, float]) -> None:
        res.per_seed[name].append(row)
        res.mean[name], res.std[name] = summarise(res.per_seed[name])
        res.done += 1
        res.seconds = time.perf_counter() - t0
        ctx.partial(res)

    def frac(seed: int, j: int) -> float:
        return 0.2 + 0.8 * (seed * len(names) + j) / res.total

    for seed in range(spec.seeds):
        edit = _check_k(data, spec.k, spec.domains, seed)
        ctx.progress(frac(seed, 0), f"seed {seed}: unedited")
        base = measure(model, sets, edit, dev, check, seed=seed)
        record("unedited", metric_row(base, shifted))
        made: dict[Any, Any] = {}
        for j, cfg in enumerate(methods, start=1):
            ctx.progress(frac(seed, j), f"seed {seed}: {cfg.name}")
            start = frac(seed, j)

            def sub(f: float, m: str, start: float = start) -> None:
                ctx.progress(start + 0.8 / res.total * f, m)

            try:
                if isinstance(cfg, OneLI) and cfg.base in made:  # reuse the base edit made above
                    out = one_li_from_base(model, made[cfg.base], cfg, edit, dev, check)
                else:
                    out = apply_edit(model, cfg, edit, data.train, seed, dev, check, sub, replay=spec.replay)
            except ValueError as exc:
                raise JobError(f"{cfg.name}: {exc}") from None
            if not isinstance(cfg, OneLI):
                made[cfg] = out
            m = measure(out.model, sets, edit, dev, check, base=base.corruption, seed=seed)
            if seed == 0:
                res.details[cfg.name] = {"changed": list(out.changed), "layer": out.layer, **out.details}
                if isinstance(cfg, OneLI) and res.curve is None:
                    target = made.get(cfg.base)
                    if target is None:
                        target = apply_edit(model, cfg.base, edit, data.train, seed, dev, check, replay=spec.replay)
                    res.curve = alpha_curve(model, target.model, out.layer, sets, edit, device=dev, check=check)
            record(cfg.name, metric_row(m, shifted))
    ctx.progress(1.0, "done")
    res.seconds = time.perf_counter() - t0
    return res


@dataclass(frozen=True)
class AlphaCurveSpec:
    """The 1-LI curve of ``layer`` between ``model`` and ``edited`` on the data's test sets and
    (when ``edit_k`` > 0) the edit set drawn with ``seed``; ``alphas``: the fine grid;
    ``robust_alphas``: where robustness is measured (empty: none)."""

    edited: ModelRef
    layer: str
    data: DataRef = DataRef()
    model: ModelRef = ModelRef()
    alphas: tuple[float, ...] = tuple(i / 20 for i in range(21))
    robust_alphas: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    edit_k: int = 10
    domains: tuple[str, ...] = ()
    seed: int = 0
    robustness: Any = None
    device: str = "auto"


def run_alpha_curve(spec: AlphaCurveSpec, ctx: JobContext) -> Any:
    """Every metric against alpha (an :class:`~.core.evaluate.AlphaCurve`)."""
    from .core.evaluate import RobustnessConfig, alpha_curve, eval_sets
    from .core.models import EDITABLE_LAYERS, MicrographResNet

    if spec.layer not in EDITABLE_LAYERS:
        raise JobError(f"unknown layer {spec.layer!r}; editable layers: {', '.join(EDITABLE_LAYERS)}")
    data = _data(spec.data, ctx)
    model = _model(spec.model, data.num_classes, ctx)
    edited = _model(spec.edited, data.num_classes, ctx)
    if not isinstance(model, MicrographResNet) or not isinstance(edited, MicrographResNet):
        raise JobError("1-LI needs two classifiers of this plugin")
    edit = _check_k(data, spec.edit_k, spec.domains, spec.seed) if spec.edit_k > 0 and data.shifted else None
    try:
        sets = eval_sets(data.test, dict(data.shifted), (spec.robustness or RobustnessConfig()).check())
    except ValueError as exc:
        raise JobError(str(exc)) from None
    curve = alpha_curve(
        model,
        edited,
        spec.layer,
        sets,
        edit,
        spec.alphas,
        spec.robust_alphas,
        ctx.device,
        ctx.check_cancelled,
        lambda f, m: ctx.progress(0.2 + 0.8 * f, m),
    )
    ctx.progress(1.0, "done")
    return curve


# --------------------------------------------------------------------------- the panel's browser
def browser_sets(data: MicrographData) -> dict[str, Any]:
    """The image sets the panel's browser shows, by name: ``source`` (the source test set), each
    shifted domain's test set (its name) and its edit pool (``<domain> (edit pool)``)."""
    sets: dict[str, Any] = {"source": data.test}
    for d, s in data.shifted.items():
        sets[d] = s
    for d, s in data.pools.items():
        sets[f"{d} (edit pool)"] = s
    return sets


@dataclass(frozen=True)
class PredictSpec:
    """Class probabilities of ``model`` (and of ``edited``, when given) on every browser set of
    ``data`` (:func:`browser_sets`)."""

    data: DataRef = DataRef()
    model: ModelRef = ModelRef()
    edited: ModelRef | None = None
    device: str = "auto"


@dataclass
class Predictions:
    """before[set]: softmax probabilities (N, classes) of the original model; after[set]: those of
    the edited model (empty without one); sets: the set names in browser order."""

    sets: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]


def run_predict(spec: PredictSpec, ctx: JobContext) -> Predictions:
    """Softmax probabilities of the original (and edited) model on the browser's images."""
    import numpy as np

    from .core.train import predict

    data = _data(spec.data, ctx)
    sets = browser_sets(data)
    models = {"before": _model(spec.model, data.num_classes, ctx)}
    if spec.edited is not None:
        models["after"] = _model(spec.edited, data.num_classes, ctx)
    out: dict[str, dict[str, Any]] = {"before": {}, "after": {}}
    steps = len(models) * len(sets)
    i = 0
    for which, model in models.items():
        for name, s in sets.items():
            ctx.progress(0.2 + 0.8 * i / steps, f"predicting {name}")
            logits = predict(model, s.x, ctx.device, check=ctx.check_cancelled).astype(np.float64)
            if logits.size:
                logits -= logits.max(axis=1, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(axis=1, keepdims=True)
            else:
                p = np.zeros((0, data.num_classes))
            out[which][name] = p.astype(np.float32)
            i += 1
    ctx.progress(1.0, "predicted")
    return Predictions(tuple(sets), out["before"], out["after"])


# --------------------------------------------------------------------------- the live 1-LI slider
@dataclass(frozen=True)
class LiveAlphaSpec:
    """Accuracy of every test set (and the edit set) at one ``alpha`` of the 1-LI of ``layer``
    between ``model`` and ``edited``.  ``token`` names the (edited model, layer) pair: the
    activations entering the layer are cached per token in this process, so a later alpha of
    the same token costs only the forward pass from the layer on
    (:class:`~.core.edits.LayerInterpolation`); ``limit``: at most this many images per set
    (a class-stratified subset; 0: all)."""

    token: str
    edited: ModelRef
    layer: str
    alpha: float
    data: DataRef = DataRef()
    model: ModelRef = ModelRef()
    edit_k: int = 10
    domains: tuple[str, ...] = ()
    seed: int = 0
    limit: int = 0
    device: str = "auto"


@dataclass
class LiveAlpha:
    """alpha; acc[set]: accuracy at alpha; n[set]: images evaluated; seconds: this update's
    time (the cache build excluded); cached: whether the activations were cached already."""

    alpha: float
    layer: str
    acc: dict[str, float]
    n: dict[str, int]
    seconds: float
    cached: bool


#: LayerInterpolation per (token, layer, limit, device), most recent last (a process-local
#: cache of derived tensors, rebuilt from the spec when missing; holds at most two)
_LIVE_CACHE: dict[tuple[str, str, int, str], Any] = {}


def run_live_alpha(spec: LiveAlphaSpec, ctx: JobContext) -> LiveAlpha:
    """Every accuracy at ``spec.alpha`` through the cached interpolation (built on first use)."""
    from .core.edits import LayerInterpolation
    from .core.models import EDITABLE_LAYERS, MicrographResNet

    if spec.layer not in EDITABLE_LAYERS:
        raise JobError(f"unknown layer {spec.layer!r}; editable layers: {', '.join(EDITABLE_LAYERS)}")
    if not 0.0 <= spec.alpha <= 1.0:
        raise JobError(f"alpha must be in [0, 1], got {spec.alpha}")
    key = (spec.token, spec.layer, spec.limit, ctx.device)
    interp = _LIVE_CACHE.pop(key, None)
    cached = interp is not None
    if interp is None:
        data = _data(spec.data, ctx)
        model = _model(spec.model, data.num_classes, ctx)
        edited = _model(spec.edited, data.num_classes, ctx)
        if not isinstance(model, MicrographResNet) or not isinstance(edited, MicrographResNet):
            raise JobError("1-LI needs two classifiers of this plugin")
        sets: dict[str, Any] = {"source": data.test, **data.shifted}
        if spec.edit_k > 0 and data.shifted:
            sets["edit"] = _check_k(data, spec.edit_k, spec.domains, spec.seed)
        ctx.progress(0.5, f"caching the activations entering {spec.layer}")
        interp = LayerInterpolation(model, edited, spec.layer, sets, ctx.device, ctx.check_cancelled, spec.limit)
    while len(_LIVE_CACHE) >= 2:
        _LIVE_CACHE.pop(next(iter(_LIVE_CACHE)))
    _LIVE_CACHE[key] = interp
    ctx.check_cancelled()
    t0 = time.perf_counter()
    acc = interp.accuracies(spec.alpha)
    seconds = time.perf_counter() - t0
    n = {name: int(v.shape[0]) for name, v in interp.labels.items()}
    return LiveAlpha(float(spec.alpha), spec.layer, acc, n, seconds, cached)
