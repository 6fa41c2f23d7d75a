"""Write the data behind a figure next to it (Qt-free): NPZ for arrays, JSON for the rest,
and one CSV per array of at most two dimensions, so a figure can be re-plotted anywhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_figure_data(data: dict[str, Any], stem: str | Path) -> list[Path]:
    """Write ``data`` as ``<stem>.data.npz`` (numeric arrays), ``<stem>.data.json`` (everything
    else, plus the array names and shapes) and ``<stem>.data.<key>.csv`` (arrays of rank <= 2).

    Returns the paths written.  Keys must be strings.
    """
    stem = Path(stem)
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(f"figure data keys must be strings, got {key!r}")
        arr = None
        if isinstance(value, np.ndarray):
            arr = value
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float, np.number)) for v in value):
            arr = np.asarray(value)
        if arr is not None and arr.dtype != object and arr.dtype.kind in "biufc":
            arrays[key] = arr
        else:
            meta[key] = _jsonable(value)
    written: list[Path] = []
    if arrays:
        npz = stem.parent / (stem.name + ".data.npz")
        np.savez_compressed(npz, allow_pickle=False, **arrays)
        written.append(npz)
        for key, arr in arrays.items():
            if arr.ndim <= 2 and arr.dtype.kind != "c":
                path = stem.parent / f"{stem.name}.data.{key}.csv"
                with open(path, "w", newline="") as fh:
                    writer = csv.writer(fh)
                    rows = arr.reshape(-1, 1) if arr.ndim <= 1 else arr
                    for row in rows:
                        writer.writerow(
                            [repr(float(x)) if arr.dtype.kind == "f" else int(x) for x in np.atleast_1d(row)]
                        )
                written.append(path)
    meta["_arrays"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}
    js = stem.parent / (stem.name + ".data.json")
    js.write_text(json.dumps(meta, indent=2, default=str))
    written.append(js)
    return written


def figure_data_csv(data: dict[str, Any]) -> str:
    """The data behind a figure as one CSV text (for the clipboard).

    Scalars and strings come first as ``# key: value`` lines.  Numeric 1-D arrays (and lists
    of numbers) of one common length are then written as columns under a header row of their
    names; every other numeric array of rank <= 2 follows as its own block (``# name (shape)``
    and its rows).  Other values (nested lists, dicts) are written as ``# key: <JSON>``."""
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns: dict[str, np.ndarray] = {}
    blocks: dict[str, np.ndarray] = {}
    for key, value in data.items():
        arr = None
        if isinstance(value, np.ndarray):
            arr = value
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float, np.number)) for v in value):
            arr = np.asarray(value)
        if arr is not None and arr.dtype.kind in "biuf" and arr.ndim <= 2:
            (columns if arr.ndim == 1 else blocks)[str(key)] = arr
        else:
            out.write(f"# {key}: {json.dumps(_jsonable(value), default=str)}\n")
    lengths = {len(a) for a in columns.values()}
    if len(lengths) > 1:  # no common length: each array is a block of its own
        blocks = {**{k: a.reshape(-1, 1) for k, a in columns.items()}, **blocks}
        columns = {}

    def cell(x: Any, kind: str) -> Any:
        return repr(float(x)) if kind == "f" else int(x)

    if columns:
        writer.writerow(list(columns))
        for i in range(lengths.pop()):
            writer.writerow([cell(a[i], a.dtype.kind) for a in columns.values()])
    for key, arr in blocks.items():
        out.write(f"# {key} ({' x '.join(str(n) for n in arr.shape)})\n")
        for row in np.atleast_2d(arr):
            writer.writerow([cell(x, arr.dtype.kind) for x in row])
    return out.getvalue()
