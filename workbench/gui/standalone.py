"""A minimal host for running one panel outside the main window (tests, examples, debugging).

``python -m workbench.gui.standalone quiver`` opens the quiver panel alone.  It implements
:class:`workbench.gui.panel.ShellServices` with a log kept in memory (and echoed to stderr)
and errors collected in :attr:`StandaloneShell.errors` instead of dialogs.
"""

from __future__ import annotations

import sys
from typing import Any

from workbench.gui.jobrunner import JobHandle
from workbench.settings import Preferences


class StandaloneShell:
    """ShellServices for a panel without a main window."""

    def __init__(self, prefs: Preferences | None = None, echo: bool = False) -> None:
        self.prefs = prefs or Preferences()
        self.echo = echo
        self.messages: list[tuple[str, str, str]] = []
        self.errors: list[tuple[str, str]] = []
        self.jobs: list[JobHandle] = []

    def preferences(self) -> Preferences:
        return self.prefs

    def log(self, message: str, level: str = "info", source: str = "") -> None:
        self.messages.append((level, source, message))
        if self.echo:
            print(f"[{level}] {source}: {message}", file=sys.stderr)

    def track_job(self, handle: JobHandle) -> None:
        self.jobs.append(handle)

    def show_error(self, title: str, message: str) -> None:
        self.errors.append((title, message))
        self.log(f"{title}: {message}", "error")


def build_panel(plugin_id: str, shell: Any) -> Any:
    """Build the panel of an installed plugin by id (imports its panel module)."""
    from workbench.plugin_api import discover_plugins, resolve

    for rec in discover_plugins():
        if rec.ok and rec.loaded.id == plugin_id:
            if rec.loaded.needs_torch:
                from workbench.torch_setup import prepare_torch

                prepare_torch()
            return resolve(rec.loaded.panel)(shell)
    raise KeyError(f"no installed plugin with id {plugin_id!r}")


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m workbench.gui.standalone PLUGIN_ID", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    shell = StandaloneShell(echo=True)
    panel = build_panel(argv[0], shell)
    panel.resize(1200, 800)
    panel.show()
    panel.start()
    code = app.exec()
    panel.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
