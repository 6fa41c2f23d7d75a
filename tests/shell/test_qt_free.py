"""Every plugin core and the shell's non-GUI modules import with PySide6 unavailable."""

import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import workbench

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> list[str]:
    mods = [
        "workbench",
        "workbench.cli",
        "workbench.jobs",
        "workbench.plugin_api",
        "workbench.session",
        "workbench.settings",
        "workbench.figure_data",
    ]
    for plugin_dir in sorted((ROOT / "plugins").glob("workbench_*")):
        name = plugin_dir.name
        mods += [name, f"{name}.manifest"]
        for extra in ("jobs", "cli", "state"):
            if (plugin_dir / f"{extra}.py").exists():
                mods.append(f"{name}.{extra}")
        core = plugin_dir / "core"
        if core.is_dir():
            mods.append(f"{name}.core")
            mods += [f"{name}.core.{m.name}" for m in pkgutil.iter_modules([str(core)])]
    return mods


def test_cores_import_without_pyside6():
    code = textwrap.dedent(f"""
        import importlib, importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "PySide6" or name.startswith("PySide6.") or name in ("pyqtgraph", "vispy"):
                    raise ImportError(f"blocked {{name}}")
        sys.meta_path.insert(0, Block())
        failed = []
        for m in {_modules()!r}:
            try:
                importlib.import_module(m)
            except Exception as e:
                failed.append(f"{{m}}: {{type(e).__name__}}: {{e}}")
        print("\\n".join(failed))
        sys.exit(1 if failed else 0)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, "modules needing Qt:\n" + out.stdout + out.stderr


def test_no_qt_import_in_core_sources():
    """Static check as well: no core module, jobs.py or state.py mentions PySide6, pyqtgraph or vispy in an import."""
    import ast

    offenders = []
    for path in (
        list((ROOT / "plugins").glob("workbench_*/core/**/*.py"))
        + list((ROOT / "plugins").glob("workbench_*/jobs.py"))
        + list((ROOT / "plugins").glob("workbench_*/state.py"))
        + [p for p in (ROOT / "workbench").glob("*.py")]
    ):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] in ("PySide6", "pyqtgraph", "vispy") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders
    assert workbench.__version__
