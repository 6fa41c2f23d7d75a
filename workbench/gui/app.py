"""Starting the GUI: QApplication, theme, main window, crash recovery, screenshot mode."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from workbench import __version__


def make_app():
    """The QApplication (created once), with the workbench's identity and theme."""
    from PySide6.QtWidgets import QApplication

    from workbench.gui.pyside_guard import make_none_immortal

    make_none_immortal()  # no-op unless the PySide6 6.12 + CPython 3.11 refcount bug is present
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("mlsci-workbench")
        app.setApplicationDisplayName("ML research workbench")
        app.setApplicationVersion(__version__)
        app.setOrganizationName("mlsci-workbench")
        app.setDesktopFileName("mlsci-workbench")
        try:
            from PySide6.QtGui import QIcon

            from workbench_resources import resource_path

            icon = resource_path("icons", "workbench.svg")
            if icon.exists():
                app.setWindowIcon(QIcon(str(icon)))
        except ImportError:  # pragma: no cover
            pass
    return app


def run_gui(session: str | None = None, reset_layout: bool = False) -> int:
    from PySide6.QtCore import QTimer

    from workbench.gui.main_window import MainWindow
    from workbench.gui.theme import apply_theme

    app = make_app()
    window = MainWindow(restore_layout=not reset_layout)
    apply_theme(app, window.prefs.theme)
    window.show()
    if session:
        QTimer.singleShot(0, lambda: window.load_session(session))
    else:
        QTimer.singleShot(200, window.offer_recovery)
    return app.exec()


def wait_until_idle(window, timeout: float = 300.0, settle: float = 0.5) -> bool:
    """Process events until every open panel has no job left (and stayed so for ``settle`` s)."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        QApplication.processEvents()
        idle = all(p.is_idle() for p in window.panels.values())
        if idle:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= settle:
                return True
        else:
            idle_since = None
        time.sleep(0.02)
    return False


def arrange_grid(window, ids: list[str]) -> None:
    """Place the given panels side by side (two columns) instead of tabbed."""
    from PySide6.QtCore import Qt

    docks = [window.docks[i] for i in ids if i in window.docks]
    if len(docks) < 2:
        return
    for d in docks:
        d.setFloating(False)
        window.removeDockWidget(d)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks[0])
    for d in docks:
        d.show()
    cols = docks[:2]
    window.splitDockWidget(docks[0], docks[1], Qt.Orientation.Horizontal)
    for i, d in enumerate(docks[2:]):
        window.splitDockWidget(cols[i % 2], d, Qt.Orientation.Vertical)


def take_screenshot(
    path: str | Path,
    panels: str = "all",
    size: tuple[int, int] = (1600, 1000),
    arrange: str = "tabs",
    timeout: float = 300.0,
    theme: str = "",
    docks: tuple[str, ...] = (),
) -> int:
    """Open the window with ``panels`` on their embedded defaults, wait until their start-up
    jobs are done, write a PNG of the whole window and return 0 (1 when a panel failed).

    ``theme``: "light" or "dark" (default: the preferences'); ``docks``: shell docks to show
    too ("jobs", "log")."""

    from workbench.gui.main_window import MainWindow
    from workbench.gui.theme import THEMES, apply_theme

    if theme and theme not in THEMES:
        print(f"workbench: unknown theme {theme!r}; use one of {', '.join(THEMES)}", file=sys.stderr)
        return 2
    unknown = [d for d in docks if d not in ("jobs", "log")]
    if unknown:
        print(f"workbench: unknown dock {unknown[0]!r}; use jobs, log", file=sys.stderr)
        return 2
    app = make_app()
    window = MainWindow(interactive=False, restore_layout=False)
    apply_theme(app, theme or window.prefs.theme)
    window.resize(*size)
    window.show()
    shell_docks = {"jobs": window.jobs_dock, "log": window.log_dock}
    for name in docks:
        shell_docks[name].show()
    ids = (
        [r.id for r in window.records if r.ok]
        if panels in ("all", "")
        else [p.strip() for p in panels.split(",") if p.strip()]
    )
    status = 0
    for pid in ids:
        if window.open_panel(pid) is None:
            print(f"workbench: panel {pid!r} could not be opened", file=sys.stderr)
            status = 1
    if arrange == "grid":
        arrange_grid(window, ids)
    elif ids and ids[0] in window.docks:
        window.docks[ids[0]].raise_()
    if not wait_until_idle(window, timeout):
        print(f"workbench: panels still busy after {timeout:.0f} s; taking the screenshot anyway", file=sys.stderr)
    for _ in range(10):
        app.processEvents()
        time.sleep(0.05)
    # the window's own rendering, not the screen's pixels where it lies: another window over it
    # on the same display (tests run in parallel on one Xvfb) would be in a screen grab; every
    # view paints as a raster widget (the vispy scenes too, workbench_bundle.ui.gl_view)
    image = window.grab()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        print(f"workbench: could not write {path}", file=sys.stderr)
        status = 1
    if window.errors_shown:
        for title, message in window.errors_shown:
            print(f"workbench: {title}: {message}", file=sys.stderr)
    window.shutdown()
    window.close()
    return status
