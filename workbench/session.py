"""Session documents: versioned JSON holding the dock layout, every panel's state and the
results the panels computed (Qt-free).

Format (version 2)::

    {"format": "mlsci-workbench-session", "version": 2, "app_version": "0.1.0",
     "saved_at": "2026-11-27T21:00:00Z",
     "layout": {"version": 1, "state": "<base64 QMainWindow.saveState>", "geometry": "<base64>",
                "open_panels": ["quiver", ...]},
     "panels": {"quiver": {...}, ...},
     "results": {"file": "analysis.results.npz", "sha256": "...",
                 "panels": {"repsim": {"heatmap": {"result": <tree>, "inputs": <tree>}}}}}

Results are encoded by :mod:`workbench.plaindata` (JSON trees whose arrays live in the npz
beside the session file, written with ``allow_pickle=False`` and read the same way, its
SHA-256 recorded in the JSON so a results file from another save is detected).  Version 1
(no results) is upgraded on reading.  Reading validates the whole document, and decodes
every result, before anything is applied; a corrupt file or one written by a newer version
raises :class:`SessionError` with a clear message.  Writing is atomic: the results file
first, then the JSON, each through a temporary file renamed over the target.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from workbench import __version__, plaindata
from workbench.errors import InputError

FORMAT = "mlsci-workbench-session"
VERSION = 2
#: a results file larger than this is refused when reading (a session is not a data store)
MAX_RESULTS_BYTES = 4 * 1024**3


class SessionError(InputError):
    """A session file that cannot be loaded; the message says why."""


def make_session(layout: dict[str, Any], panels: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "app_version": __version__,
        "saved_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "layout": layout,
        "panels": panels,
    }


def results_path(path: str | Path) -> Path:
    """Where the results of session ``path`` live: ``analysis.wbsession`` ->
    ``analysis.results.npz`` beside it."""
    path = Path(path)
    return path.with_name(path.stem + ".results.npz")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it.  A symbolic link is
    followed (its target is written, the link stays); the temporary file never survives a
    failed write."""
    path = Path(os.path.realpath(path))
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def encode_results(results: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``{panel: {name: KeptResult-like (result, inputs)}}`` -> (JSON tree, arrays).

    Each item needs ``.result`` and ``.inputs`` attributes; a result that is not plain data
    raises :class:`plaindata.PlainDataError` naming it."""
    arrays: dict[str, np.ndarray] = {}
    tree: dict[str, Any] = {}
    for pid, items in results.items():
        tree[pid] = {}
        for name, kept in items.items():
            prefix = f"{pid}/{name}/"
            try:
                r, _ = plaindata.encode(kept.result, arrays, prefix + "r")
                i, _ = plaindata.encode(kept.inputs, arrays, prefix + "i")
            except plaindata.PlainDataError as exc:
                raise plaindata.PlainDataError(f"panel {pid}, result {name!r}: {exc}") from None
            tree[pid][name] = {"result": r, "inputs": i}
    return tree, arrays


def write_session(doc: dict[str, Any], path: str | Path, results: dict[str, dict[str, Any]] | None = None) -> None:
    """Write the session (and its results, if any) atomically, results first, so a crash
    mid-write never destroys the previous session."""
    path = Path(path)
    doc = dict(doc)
    doc.pop("results", None)
    try:  # refuse what cannot be read back (NaN, inf, non-JSON values) before touching any file
        text = json.dumps(doc, indent=1, allow_nan=False)
    except ValueError as exc:
        raise SessionError(f"the session cannot be saved: {exc} (a panel holds a NaN or infinite number)") from None
    except TypeError as exc:
        raise SessionError(f"the session cannot be saved: {exc}") from None
    if results and any(results.values()):
        tree, arrays = encode_results(results)
        buf = io.BytesIO()
        np.savez(buf, allow_pickle=False, **arrays)
        data = buf.getvalue()
        rpath = results_path(path)
        _atomic_write_bytes(rpath, data)
        doc["results"] = {"file": rpath.name, "sha256": hashlib.sha256(data).hexdigest(), "panels": tree}
        text = json.dumps(doc, indent=1, allow_nan=False)
    _atomic_write_bytes(path, text.encode())


def read_results(doc: dict[str, Any], path: str | Path) -> dict[str, dict[str, tuple[Any, Any]]]:
    """Decode the results a session document refers to: ``{panel: {name: (result, inputs)}}``.

    The results file must lie beside the session file, match its recorded SHA-256 and hold
    plain arrays only; anything else raises :class:`SessionError`."""
    info = doc.get("results")
    if not info:
        return {}
    path = Path(path)
    if not isinstance(info, dict) or not isinstance(info.get("file"), str) or not isinstance(info.get("panels"), dict):
        raise SessionError(f"{path.name}: 'results' must name a file and list the panels' results")
    name = info["file"]
    if Path(name).name != name:
        raise SessionError(f"{path.name}: the results file {name!r} must lie beside the session file")
    rpath = path.with_name(name)
    try:
        size = rpath.stat().st_size
        if size > MAX_RESULTS_BYTES:
            raise SessionError(
                f"{rpath.name} is {size / 1e9:.1f} GB; results files are limited to {MAX_RESULTS_BYTES / 1e9:.0f} GB"
            )
        data = rpath.read_bytes()
    except OSError as exc:
        raise SessionError(
            f"{path.name} refers to its results file {name}, which cannot be read "
            f"({exc.strerror or exc}); keep it beside the session file"
        ) from None
    if hashlib.sha256(data).hexdigest() != info.get("sha256"):
        raise SessionError(
            f"{name} does not belong to {path.name} (its checksum differs: it was changed or comes from another save)"
        )
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise SessionError(f"{name} is corrupt or holds non-array data: {exc}") from None
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for pid, items in info["panels"].items():
        if not isinstance(items, dict):
            raise SessionError(f"{path.name}: results of panel {pid!r} must be an object")
        out[pid] = {}
        for rname, item in items.items():
            if not isinstance(item, dict) or "result" not in item:
                raise SessionError(f"{path.name}: result {rname!r} of panel {pid!r} is malformed")
            try:
                out[pid][rname] = (
                    plaindata.decode(item["result"], arrays),
                    plaindata.decode(item.get("inputs"), arrays),
                )
            except plaindata.PlainDataError as exc:
                raise SessionError(f"{name}: panel {pid!r}, result {rname!r}: {exc}") from None
    return out


def validate_session(doc: Any, source: str = "session") -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise SessionError(f"{source} is not a workbench session (expected a JSON object)")
    if doc.get("format") != FORMAT:
        raise SessionError(
            f"{source} is not a workbench session (format is {doc.get('format')!r}, expected {FORMAT!r})"
        )
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SessionError(f"{source}: missing or invalid version number ({version!r})")
    if version < 1:
        raise SessionError(f"{source}: invalid session version {version}")
    if version > VERSION:
        raise SessionError(
            f"{source} was written by a newer workbench (session version {version}, "
            f"app {doc.get('app_version', '?')}); this is version {__version__}, which reads session versions "
            f"up to {VERSION}. Update the workbench to open it."
        )
    layout = doc.get("layout", {})
    if not isinstance(layout, dict):
        raise SessionError(f"{source}: 'layout' must be an object")
    open_panels = layout.get("open_panels", [])
    if not isinstance(open_panels, list) or not all(isinstance(p, str) for p in open_panels):
        raise SessionError(f"{source}: layout.open_panels must be a list of panel ids")
    panels = doc.get("panels", {})
    if not isinstance(panels, dict) or not all(isinstance(v, dict) for v in panels.values()):
        raise SessionError(f"{source}: 'panels' must map panel ids to objects")
    if version == 1:  # version 1 -> 2: sessions gained results (none in a version-1 file)
        doc = {**doc, "version": 2}
        doc.pop("results", None)
    results = doc.get("results")
    if results is not None and not isinstance(results, dict):
        raise SessionError(f"{source}: 'results' must be an object")
    return doc


#: a session file larger than this is refused (sessions hold settings; results live in the npz)
MAX_SESSION_BYTES = 256 * 1024**2
#: deepest nesting of JSON objects and arrays accepted in a session file
MAX_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a session may hold")


def _check_depth(doc: Any, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` (iteratively: no RecursionError)."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SessionError(f"{source} is nested more than {MAX_DEPTH} levels deep; it is not a workbench session")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def read_session(path: str | Path) -> dict[str, Any]:
    """Read and validate a session file; any problem is a :class:`SessionError` naming the file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SESSION_BYTES:
            raise SessionError(
                f"{path.name} is {path.stat().st_size / 1e6:.0f} MB; a session file is at most "
                f"{MAX_SESSION_BYTES / 1e6:.0f} MB (it is probably not a session)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SessionError(
            f"{path.name} is not a workbench session: it is not UTF-8 text (byte {exc.start} cannot be decoded)"
        ) from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"{path.name} is corrupt: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
        ) from None
    except ValueError as exc:  # NaN / Infinity
        raise SessionError(f"{path.name} is corrupt: {exc}") from None
    except RecursionError:
        raise SessionError(f"{path.name} is nested too deeply; it is not a workbench session") from None
    _check_depth(doc, path.name)
    return validate_session(doc, path.name)
