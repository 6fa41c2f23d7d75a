"""The panel's state, the jobs' specs and the panel module import without torch (the settings
live in core/specs.py), so that opening the panel's menus and restoring its state does not pay
for torch's import; torch comes with the first job that needs it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "workbench_micrograph.state",
        "workbench_micrograph.jobs",
        "workbench_micrograph.core.specs",
        "workbench_micrograph.panel",
    ],
)
def test_importing_does_not_import_torch(module):
    code = textwrap.dedent(f"""
        import os, sys
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        import {module}
        torch = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
        print(len(torch), torch[:5])
        sys.exit(1 if torch else 0)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"importing {module} imported torch: {out.stdout}{out.stderr}"


def test_state_builds_the_default_edit_spec_without_torch():
    code = textwrap.dedent("""
        import sys
        from workbench_micrograph.state import MicrographState
        spec = MicrographState().edit_spec()
        assert type(spec.method).__name__ == "LowRank", spec.method
        sys.exit(1 if "torch" in sys.modules else 0)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
