"""Fixtures of the shell tests: sample plugins installed through real entry points."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "sample_plugins"


@pytest.fixture
def sample_plugins(tmp_path, monkeypatch):
    """Install the sample and broken test plugins: a dist-info folder with an entry_points.txt
    on sys.path, exactly as pip would leave a third-party plugin."""
    dist = tmp_path / "site" / "wbtest_plugins-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: wbtest-plugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[workbench.plugins]\nsample = wbtest_sample.manifest:MANIFEST\nbroken = wbtest_broken.manifest:MANIFEST\n"
    )
    monkeypatch.syspath_prepend(str(SAMPLES))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    yield tmp_path / "site"
    for name in [m for m in sys.modules if m.startswith("wbtest_")]:
        del sys.modules[name]


@pytest.fixture
def main_window(qtbot, sample_plugins):
    """A main window (no modal dialogs) with the installed plugins plus the sample ones."""
    from workbench.gui.main_window import MainWindow

    window = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.shutdown()


@pytest.fixture
def slow_plugins(sample_plugins):
    """The sample plugins plus two whose panel modules take long to import (``wbtest_slow``:
    ``slow`` sleeps ``WBTEST_SLOW_IMPORT_S`` seconds, default 1.5; ``slowbroken`` then fails), and
    ``stepped``, whose construction has five steps (``Panel.build_in_steps``)."""
    dist = sample_plugins / "wbtest_slow-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: wbtest-slow\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[workbench.plugins]\nslow = wbtest_slow.manifest:SLOW\nslowbroken = wbtest_slow.manifest:SLOW_BROKEN\n"
        "stepped = wbtest_slow.manifest:STEPPED\n"
    )
    importlib.invalidate_caches()
    yield sample_plugins
