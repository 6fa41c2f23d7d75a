"""The command line: --help lists plugins and their commands, --version, plugin commands, screenshot."""

import json
import subprocess
import sys

from workbench import __version__
from workbench.cli import build_parser, main


def test_version():
    out = subprocess.run([sys.executable, "-m", "workbench", "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and __version__ in out.stdout


def test_help_lists_plugins_and_commands(capsys, sample_plugins):
    help_text = build_parser().format_help()
    for pid in ("quiver", "bundle", "repsim", "adversarial", "sample"):
        assert pid in help_text
    assert "commands: harmonic" in help_text
    assert "broken" in help_text and "failed to load" in help_text


def test_plugin_command_runs_the_job(capsys, sample_plugins):
    assert main(["sample", "harmonic", "--n", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sums"][-1] == 1 + 1 / 2 + 1 / 3


def test_broken_plugin_command_fails_cleanly(capsys, sample_plugins):
    assert main(["broken"]) == 2
    assert "failed to load" in capsys.readouterr().err


def test_screenshot(tmp_path, qtbot, sample_plugins):
    from PySide6.QtGui import QImage

    from workbench.gui.app import take_screenshot

    path = tmp_path / "shot.png"
    assert take_screenshot(path, "sample", size=(900, 600)) == 0
    img = QImage(str(path))
    assert img.width() >= 800 and img.height() >= 500
