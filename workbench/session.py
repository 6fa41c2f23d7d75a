"""Session documents: versioned JSON holding the dock layout and every panel's state (Qt-free).

Format (version 1)::

    {"format": "mlsci-workbench-session", "version": 1, "app_version": "0.1.0",
     "saved_at": "2026-11-27T21:00:00Z",
     "layout": {"version": 1, "state": "<base64 QMainWindow.saveState>", "geometry": "<base64>",
                "open_panels": ["quiver", ...]},
     "panels": {"quiver": {...}, ...}}

Reading validates the whole document before anything is applied; a corrupt file or one
written by a newer version raises :class:`SessionError` with a clear message.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

from workbench import __version__

FORMAT = "mlsci-workbench-session"
VERSION = 1


class SessionError(ValueError):
    """A session file that cannot be loaded; the message says why."""


def make_session(layout: dict[str, Any], panels: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "app_version": __version__,
        "saved_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "layout": layout,
        "panels": panels,
    }


def write_session(doc: dict[str, Any], path: str | Path) -> None:
    """Write atomically (a temporary file renamed over the target), so a crash mid-write
    never destroys the previous session."""
    path = Path(path)
    text = json.dumps(doc, indent=1, allow_nan=False)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def validate_session(doc: Any, source: str = "session") -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise SessionError(f"{source} is not a workbench session (expected a JSON object)")
    if doc.get("format") != FORMAT:
        raise SessionError(f"{source} is not a workbench session (format is {doc.get('format')!r}, expected {FORMAT!r})")
    version = doc.get("version")
    if not isinstance(version, int):
        raise SessionError(f"{source}: missing or invalid version number")
    if version > VERSION:
        raise SessionError(
            f"{source} was written by a newer workbench (session version {version}, app {doc.get('app_version', '?')}); "
            f"this is version {__version__}, which reads session versions up to {VERSION}. Update the workbench to open it.")
    layout = doc.get("layout", {})
    if not isinstance(layout, dict):
        raise SessionError(f"{source}: 'layout' must be an object")
    open_panels = layout.get("open_panels", [])
    if not isinstance(open_panels, list) or not all(isinstance(p, str) for p in open_panels):
        raise SessionError(f"{source}: layout.open_panels must be a list of panel ids")
    panels = doc.get("panels", {})
    if not isinstance(panels, dict) or not all(isinstance(v, dict) for v in panels.values()):
        raise SessionError(f"{source}: 'panels' must map panel ids to objects")
    return doc


def read_session(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(f"{path.name} is corrupt: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    return validate_session(doc, path.name)
