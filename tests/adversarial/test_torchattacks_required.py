"""tests/adversarial/test_vs_torchattacks.py must not skip silently: under CI=true a missing
torchattacks fails the run (``make setup`` installs it with --no-deps); elsewhere it skips
with the install command.  Checked by running that module in a subprocess with torchattacks
made unimportable (a stand-in module on PYTHONPATH that raises ImportError)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/adversarial/test_vs_torchattacks.py"


def _run_without_torchattacks(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "torchattacks.py").write_text("raise ImportError('torchattacks hidden by the test')\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), env.get("PYTHONPATH", "")])
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", TARGET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_torchattacks_fails_under_ci(tmp_path, ci):
    p = _run_without_torchattacks(tmp_path, ci)
    assert p.returncode != 0, p.stdout
    assert "torchattacks is required" in p.stdout
    assert "pip install --no-deps torchattacks==3.5.1" in p.stdout


def test_missing_torchattacks_skips_with_the_reason_elsewhere(tmp_path):
    p = _run_without_torchattacks(tmp_path, None)
    assert p.returncode == 5, p.stdout  # pytest's "no tests ran": the module was skipped
    assert "1 skipped" in p.stdout
    assert "pip install --no-deps torchattacks==3.5.1" in p.stdout
