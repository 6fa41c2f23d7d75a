"""Recently opened or saved sessions (File > Open recent), kept in the configuration folder
as ``recent_sessions.json``: absolute paths, most recent first, at most :data:`MAX_RECENT`.
Files that no longer exist are pruned whenever the list is read.  Qt-free."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.settings import config_dir

MAX_RECENT = 10


def recent_file() -> Path:
    return config_dir() / "recent_sessions.json"


def _read() -> list[str]:
    try:
        raw = json.loads(recent_file().read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(raw, list):
        return []
    return [p for p in raw if isinstance(p, str)]


def _write(paths: list[str]) -> None:
    path = recent_file()
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(paths, indent=1))
        tmp.replace(path)
    except OSError:  # a read-only configuration folder only loses the list
        pass


def recent_sessions() -> list[Path]:
    """The recent sessions that still exist, most recent first (missing ones are pruned)."""
    paths = _read()
    kept = [p for p in paths if Path(p).is_file()]
    if kept != paths:
        _write(kept)
    return [Path(p) for p in kept]


def add_recent_session(path: str | Path) -> list[Path]:
    """Put ``path`` first in the list (once); returns the new list."""
    resolved = str(Path(path).expanduser().resolve())
    paths = [resolved] + [p for p in _read() if p != resolved and Path(p).is_file()]
    _write(paths[:MAX_RECENT])
    return [Path(p) for p in paths[:MAX_RECENT]]


def clear_recent_sessions() -> None:
    _write([])
