"""User preferences and the configuration folder (Qt-free).

The folder is ``$WORKBENCH_CONFIG_DIR`` if set, else ``$XDG_CONFIG_HOME/mlsci-workbench``
(``~/.config/mlsci-workbench``).  Preferences are JSON; unknown or invalid values fall back to
defaults with a warning instead of failing.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

DEVICES = ("auto", "cpu", "cuda")
THEMES = ("light", "dark")
EXPORT_FORMATS = ("png", "svg", "pdf")


def config_dir() -> Path:
    env = os.environ.get("WORKBENCH_CONFIG_DIR")
    if env:
        path = Path(env)
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        path = base / "mlsci-workbench"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Preferences:
    """device: auto/cpu/cuda; threads: torch intra-op threads (0 = torch's default);
    export_format / export_dpi: defaults of File > Export figure; theme: light/dark;
    autosave_seconds: interval of the crash-recovery autosave (0 disables it)."""

    device: str = "auto"
    threads: int = 0
    export_format: str = "png"
    export_dpi: int = 150
    theme: str = "light"
    autosave_seconds: int = 120

    def validated(self) -> tuple[Preferences, list[str]]:
        """A copy with invalid fields reset to defaults, and the warnings explaining why."""
        default = Preferences()
        out = Preferences(**asdict(self))
        warnings = []
        checks = {
            "device": lambda v: v in DEVICES,
            "threads": lambda v: isinstance(v, int) and 0 <= v <= 1024,
            "export_format": lambda v: v in EXPORT_FORMATS,
            "export_dpi": lambda v: isinstance(v, int) and 30 <= v <= 2400,
            "theme": lambda v: v in THEMES,
            "autosave_seconds": lambda v: isinstance(v, int) and 0 <= v <= 86400,
        }
        for f in fields(self):
            value = getattr(out, f.name)
            if not checks[f.name](value):
                warnings.append(f"preference {f.name}={value!r} is invalid; using {getattr(default, f.name)!r}")
                setattr(out, f.name, getattr(default, f.name))
        return out, warnings


def load_preferences(path: Path | None = None) -> tuple[Preferences, list[str]]:
    path = path or config_dir() / "preferences.json"
    if not path.exists():
        return Preferences(), []
    try:
        raw = json.loads(path.read_text())
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return Preferences(), [f"could not read {path} ({exc}); using default preferences"]
    known = {f.name for f in fields(Preferences)}
    prefs = Preferences(**{k: v for k, v in raw.items() if k in known})
    return prefs.validated()


def save_preferences(prefs: Preferences, path: Path | None = None) -> None:
    path = path or config_dir() / "preferences.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(prefs), indent=2))
    tmp.replace(path)
