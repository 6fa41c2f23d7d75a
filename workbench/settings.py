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
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from workbench.cluster import Backend

DEVICES = ("auto", "cpu", "cuda")
THEMES = ("light", "dark")
EXPORT_FORMATS = ("png", "svg", "pdf")
#: where sweeps run (Preferences > Compute): this process, a local cluster, a Dask scheduler
COMPUTE = ("process", "local", "scheduler")
#: most characters of a scheduler address or scheduler-file path
MAX_ADDRESS_CHARS = 4096


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
    autosave_seconds: interval of the crash-recovery autosave (0 disables it);
    compute: where sweeps run (docs/cluster.md): "process" (this process), "local" (a
    LocalCluster of ``local_workers`` worker processes) or "scheduler" (the Dask scheduler at
    ``scheduler``: ``tcp://HOST:PORT`` or the path of a scheduler file); ``local_workers`` and
    ``scheduler`` are kept while another choice is active."""

    device: str = "auto"
    threads: int = 0
    export_format: str = "png"
    export_dpi: int = 150
    theme: str = "light"
    autosave_seconds: int = 120
    compute: str = "process"
    local_workers: int = 2
    scheduler: str = ""

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
            "compute": lambda v: v in COMPUTE,
            "local_workers": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 256,
            "scheduler": lambda v: isinstance(v, str) and len(v) <= MAX_ADDRESS_CHARS,
        }
        for f in fields(self):
            value = getattr(out, f.name)
            if not checks[f.name](value):
                warnings.append(f"preference {f.name}={value!r} is invalid; using {getattr(default, f.name)!r}")
                setattr(out, f.name, getattr(default, f.name))
        if out.compute == "scheduler":
            try:
                out.backend()
            except ValueError as exc:
                warnings.append(f"preference compute=scheduler: {exc}; sweeps run in this process")
                out.compute = "process"
        return out, warnings

    def backend(self) -> Backend:
        """The compute backend chosen (:class:`workbench.cluster.Backend`) for sweeps started
        now; an :class:`~workbench.errors.InputError` when ``scheduler`` is not a scheduler
        address (``tcp://HOST:PORT``) or an existing scheduler file."""
        from workbench import cluster
        from workbench.errors import InputError

        if self.compute == "local":
            return cluster.Backend("local", int(self.local_workers))
        if self.compute != "scheduler":
            return cluster.PROCESS
        text = self.scheduler.strip()
        if not text:
            raise InputError("no scheduler address: give tcp://HOST:PORT or the path of a scheduler file")
        if text.lower() == "process" or text.lower().startswith("local"):
            raise InputError(
                f"scheduler {text!r}: give a scheduler address (tcp://HOST:PORT) or a scheduler file; "
                "choose 'this process' or 'local cluster' for those"
            )
        if "://" not in text and not Path(text).expanduser().is_file():
            raise InputError(
                f"scheduler {text!r}: no such scheduler file; give tcp://HOST:PORT or the path of the JSON "
                "file that dask scheduler --scheduler-file wrote"
            )
        return cluster.parse_backend(str(Path(text).expanduser()) if "://" not in text else text)


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
