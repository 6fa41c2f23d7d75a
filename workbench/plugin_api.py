"""Plugin manifests and their discovery through the ``workbench.plugins`` entry-point group.

A plugin registers one entry point whose object is a :class:`PluginManifest`::

    [project.entry-points."workbench.plugins"]
    quiver = "workbench_quiver.manifest:MANIFEST"

The manifest module must be cheap to import (no torch, no Qt): menus are built from
manifests alone, and the code behind them (``panel`` and ``cli``) is imported only
when a panel is opened or a subcommand runs.  This module is Qt-free.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ENTRY_POINT_GROUP = "workbench.plugins"
#: top-level packages of the discovered plugins, whose dataclasses sessions may rebuild
#: (:mod:`workbench.plaindata`); filled by :func:`discover_plugins`
TRUSTED_PACKAGES: set[str] = set()
DOCK_AREAS = ("left", "right", "top", "bottom")
#: menu position of a plugin whose manifest gives none (or that failed to load)
DEFAULT_ORDER = 100


@dataclass(frozen=True)
class PluginManifest:
    """Declarative description of a plugin.

    id:          short unique identifier, also the CLI group name (``workbench <id> ...``).
    title:       human-readable title shown in the View menu and on the dock.
    panel:       ``"module:callable"`` building the panel; called as ``factory(shell)``
                 and returning a :class:`workbench.gui.panel.Panel`.  Imported lazily.
                 Empty for a headless plugin (jobs and CLI only): the window does not list it.
    cli:         optional ``"module:callable"``; called as ``register(subparsers)`` with the
                 plugin's argparse sub-parsers object.  The module must import cheaply.
    icon:        path relative to the ``resources/`` folder (``workbench_resources``), or "".
    dock_area:   default dock area: left, right, top or bottom.
    summary:     one line for ``workbench --help`` and the welcome page.
    needs_torch: whether opening the panel imports torch (informational).
    order:       position in the View menu, the welcome page and ``workbench --help``: plugins
                 are listed by (order, id).  First-party plugins use 10, 20, 30, 40.
    """

    id: str
    title: str
    panel: str
    cli: str = ""
    icon: str = ""
    dock_area: str = "right"
    summary: str = ""
    needs_torch: bool = True
    order: int = DEFAULT_ORDER

    def __post_init__(self) -> None:
        if not self.id or not self.id.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"plugin id {self.id!r} must be a non-empty identifier")
        if self.dock_area not in DOCK_AREAS:
            raise ValueError(f"plugin {self.id}: dock_area must be one of {DOCK_AREAS}, got {self.dock_area!r}")
        if not isinstance(self.order, int) or isinstance(self.order, bool):
            raise ValueError(f"plugin {self.id}: order must be an integer, got {self.order!r}")
        for attr in ("panel", "cli"):
            value = getattr(self, attr)
            if value and ":" not in value:
                raise ValueError(f"plugin {self.id}: {attr} must look like 'module:callable', got {value!r}")


@dataclass
class PluginRecord:
    """A discovered plugin: its manifest, or the error that prevented loading it."""

    name: str
    manifest: PluginManifest | None = None
    error: str = ""
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.error

    @property
    def has_panel(self) -> bool:
        """Whether the window lists this record: a loaded plugin with a panel, or one that failed
        to load (shown marked, with its error)."""
        return self.manifest is None or bool(self.manifest.panel)

    @property
    def loaded(self) -> PluginManifest:
        """The manifest of a plugin that loaded (``RuntimeError`` for one that did not)."""
        if self.manifest is None:
            raise RuntimeError(f"plugin {self.name!r} did not load: {self.error.strip().splitlines()[-1:]}")
        return self.manifest

    @property
    def id(self) -> str:
        return self.manifest.id if self.manifest is not None else self.name

    @property
    def title(self) -> str:
        return self.manifest.title if self.manifest is not None else self.name


def load_object(ref: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the object."""
    module_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def discover_plugins(entry_points: Iterable[Any] | None = None) -> list[PluginRecord]:
    """Load every manifest of the ``workbench.plugins`` group.

    A plugin that fails to import, or whose object is not a manifest, yields a record with
    ``error`` set (its traceback), never an exception: one broken plugin must not break the
    app.  Duplicate ids keep the first and report the later ones as errors.
    """
    if entry_points is None:
        entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    records: list[PluginRecord] = []
    seen: set[str] = set()
    for ep in sorted(entry_points, key=lambda e: e.name):
        record = PluginRecord(name=ep.name, source=getattr(ep, "value", ""))
        try:
            obj = ep.load()
            if callable(obj) and not isinstance(obj, PluginManifest):
                obj = obj()
            if not isinstance(obj, PluginManifest):
                raise TypeError(f"entry point {ep.name!r} gave {type(obj).__name__}, not a PluginManifest")
            record.manifest = obj
            TRUSTED_PACKAGES.add(str(getattr(ep, "value", "")).split(":")[0].split(".")[0])
            if obj.id in seen:
                record.error = f"duplicate plugin id {obj.id!r} (from {record.source}); the first one is used"
            seen.add(obj.id)
        except Exception:  # noqa: BLE001 - any failure of a third-party plugin is reported, not raised
            record.error = traceback.format_exc()
        records.append(record)
    records.sort(key=lambda r: (r.manifest.order if r.manifest is not None else DEFAULT_ORDER, r.id))
    return records


def resolve(ref: str) -> Callable[..., Any]:
    """Like :func:`load_object` but insists on a callable."""
    obj = load_object(ref)
    if not callable(obj):
        raise TypeError(f"{ref} is not callable")
    return obj
