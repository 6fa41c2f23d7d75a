"""Jobs of the micrograph editing plugin: frozen-dataclass specs (plain, picklable data) and
module-level ``run_*(spec, ctx)`` functions calling :mod:`.core` (Qt-free).

* :func:`run_generate` - write the embedded default data set as an image folder;
* :func:`run_load_data` - load a data set (the default or a user's folder) for the browser;
* :func:`run_train` - train a classifier on the source domain (progress per batch, a partial
  result per epoch), optionally saved as a checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.jobs import JobContext, JobError

from .core.data import DataError, DataRef, DefaultData, MicrographData, default_data, load_data, write_folder
from .core.train import ModelFileError, ModelRef, TrainConfig, TrainProgress, load_model


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
def _model(ref: ModelRef, num_classes: int, ctx: JobContext):  # -> nn.Module (torch imported lazily)
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
    import time

    from .core.train import accuracy, save_classifier, train_classifier

    data = _data(spec.data, ctx)
    try:
        cfg = spec.config.check()
    except ValueError as exc:
        raise JobError(str(exc)) from None
    t0 = time.perf_counter()
    out = train_classifier(data.train, data.val, data.num_classes, cfg, ctx.device, check=ctx.check_cancelled,
                           progress=lambda f, m: ctx.progress(0.2 + 0.75 * f, m), partial=ctx.partial)
    acc = {"source_test": accuracy(out.model, data.test, ctx.device, ctx.check_cancelled)}
    acc.update({f"{d}_test": accuracy(out.model, s, ctx.device, ctx.check_cancelled) for d, s in data.shifted.items()})
    saved = ""
    if spec.out:
        prov = {"data": data.description, "classes": list(data.class_names), "config": cfg.__dict__,
                "accuracy": acc, "command": f"workbench micrograph train --data {spec.data.label()} --out {spec.out}"}
        try:
            saved = str(save_classifier(spec.out, out.model, prov)[0])
        except (OSError, ValueError) as exc:
            raise JobError(f"{spec.out}: cannot save the model ({exc})") from None
    state = {k: v.detach().cpu().clone() for k, v in out.model.state_dict().items()}
    ctx.progress(1.0, "trained")
    return TrainResult(ModelRef(kind="state", state=state, architecture=out.model.architecture()), out.history, acc,
                       time.perf_counter() - t0, saved)
