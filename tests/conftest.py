"""Shared fixtures: an isolated configuration folder for every test, a panel host, and a
guard that fails any test leaving a panel QThread running."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_API", "pyside6")


def pytest_configure(config):
    """Guard against PySide6 6.12's refcount bug on CPython 3.11 (pyproject pins < 6.12 there;
    this keeps a test run alive where an older environment still has 6.12)."""
    try:
        from workbench.gui.pyside_guard import make_none_immortal
    except ImportError:
        return
    make_none_immortal()


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory, monkeypatch):
    """Every test gets its own configuration folder (preferences, layout, autosave)."""
    cfg = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(cfg))
    yield cfg


@pytest.fixture(autouse=True)
def _no_leaked_threads(request):
    """Fail a test that leaves a panel QThread running."""
    yield
    try:
        from workbench.gui import jobrunner
    except ImportError:  # PySide6 unavailable: nothing can have been started
        return
    leaked = jobrunner.live_threads()
    if leaked:
        for t in leaked:
            t.stop(5000)
        pytest.fail(f"test left {len(leaked)} QThread(s) running: {[t.objectName() for t in leaked]}")


@pytest.fixture
def standalone_shell():
    """A real ShellServices implementation without a main window (errors collected, not shown)."""
    from workbench.gui.standalone import StandaloneShell

    return StandaloneShell()


@pytest.fixture
def make_panel(qtbot, standalone_shell):
    """``make_panel("quiver")`` builds, shows and starts an installed panel; shuts it down after the test."""
    from workbench.gui.standalone import build_panel

    panels = []

    def _make(plugin_id: str, start: bool = True):
        panel = build_panel(plugin_id, standalone_shell)
        qtbot.addWidget(panel)
        panel.resize(1200, 800)
        panel.show()
        panels.append(panel)
        if start:
            panel.start()
        return panel

    yield _make
    for p in panels:
        assert p.shutdown(10000), f"panel {p.plugin_id} did not stop its thread"
