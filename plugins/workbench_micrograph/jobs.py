"""Jobs of the micrograph editing plugin: frozen-dataclass specs (plain, picklable data) and
module-level ``run_*(spec, ctx)`` functions calling :mod:`.core` (Qt-free).

* :func:`run_generate` - write the embedded default data set as an image folder;
* :func:`run_load_data` - load a data set (the default or a user's folder) for the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.jobs import JobContext, JobError

from .core.data import DataError, DataRef, DefaultData, MicrographData, default_data, load_data, write_folder


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
