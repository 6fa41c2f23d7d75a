"""The declared Python floor (pyproject's requires-python, README's "Python X.Y+") holds for the
code: no standard-library module newer than the floor is imported, and every module parses with
the floor's grammar."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: standard-library modules newer than 3.9, with the version that added them
NEW_STDLIB = {"tomllib": (3, 11), "wsgiref.types": (3, 11)}


def declared_floor() -> tuple[int, int]:
    text = (ROOT / "pyproject.toml").read_text()
    m = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)"', text, re.M)
    assert m, 'pyproject.toml has no requires-python = ">=X.Y"'
    return int(m.group(1)), int(m.group(2))


def sources() -> list[Path]:
    return sorted(
        p for d in ("workbench", "plugins", "resources", "scripts", "benchmarks") for p in (ROOT / d).rglob("*.py")
    )


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_stdlib_module_newer_than_the_floor():
    floor = declared_floor()
    too_new = []
    for path in sources():
        for mod in imported_modules(ast.parse(path.read_text(), str(path))):
            for new, since in NEW_STDLIB.items():
                if (mod == new or mod.startswith(new + ".")) and since > floor:
                    too_new.append(f"{path.relative_to(ROOT)} imports {mod} (Python {since[0]}.{since[1]}+)")
    assert not too_new, f"requires-python >= {floor[0]}.{floor[1]}, but: " + "; ".join(too_new)


def test_sources_parse_with_the_floor_grammar():
    floor = declared_floor()
    for path in sources():
        ast.parse(path.read_text(), str(path), feature_version=floor)


def test_readme_states_the_same_floor():
    floor = declared_floor()
    readme = (ROOT / "README.md").read_text()
    stated = set(re.findall(r"Python (\d+\.\d+)\+", readme))
    assert stated == {f"{floor[0]}.{floor[1]}"}
