"""Architectural checks beside the import-linter contracts (``[tool.importlinter]`` in
pyproject.toml, run by ``lint-imports``): the contracts cover every plugin, and no module
reaches into another package's private names."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _plugin_packages() -> list[str]:
    return sorted(p.name for p in (ROOT / "plugins").glob("workbench_*") if (p / "__init__.py").exists())


def _importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


#: the named exceptions to a plugin's "<id>-through-core" contract, each with its reason (an
#: exception added to pyproject.toml must be added here too, so it is a decision, not a slip)
NAMED_EXCEPTIONS = {
    # the invariant quiver classifier trains on the DirGINE's own data sets (issue 18: "the same
    # training set"), built by the quiver GNN's dataset module rather than a copy of it
    "workbench_quiver": ["workbench_equivariant.classifier -> workbench_quiver.gnn.dataset"],
}


def test_import_contracts_cover_every_plugin():
    """A plugin missing from the contracts would be checked by none of them."""
    cfg = _importlinter()
    plugins = _plugin_packages()
    assert len(plugins) >= 4
    assert sorted(cfg["root_packages"]) == sorted(["workbench", *plugins])
    contracts = {c["id"]: c for c in cfg["contracts"]}
    assert sorted(contracts["plugin-layers"]["containers"]) == plugins
    assert sorted(contracts["shell-no-plugins"]["forbidden_modules"]) == plugins
    for pkg in plugins:
        through_core = contracts.get(f"{pkg.removeprefix('workbench_')}-through-core")
        assert through_core is not None, f"no '<id>-through-core' contract for {pkg}"
        assert through_core["protected_modules"] == [pkg] and through_core["allowed_importers"] == [pkg]
        expected = [f"** -> {pkg}.core", f"** -> {pkg}.core.**", *NAMED_EXCEPTIONS.get(pkg, [])]
        assert sorted(through_core["ignore_imports"]) == sorted(expected)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT / "plugins" if ROOT / "plugins" in path.parents else ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _private_imports_across_packages(path: Path) -> list[str]:
    """``from X import _name`` in ``path`` where module X lies in another package."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        for alias in node.names:
            private = alias.name.startswith("_") and not alias.name.startswith("__")
            # from pkg import _mod (a private submodule of the importer's own package) is fine
            if private and source.rpartition(".")[0] != package and source != package:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} from {source}")
    return found


def test_no_private_names_imported_across_packages():
    """A name with a leading underscore is private to its package: jobs, views and other
    plugins use public names (bundle's jobs used core's ``_cell_windings``)."""
    files = list((ROOT / "workbench").rglob("*.py")) + list((ROOT / "plugins").rglob("*.py"))
    offenders = [hit for f in files if "__pycache__" not in f.parts for hit in _private_imports_across_packages(f)]
    assert not offenders, offenders


def test_private_import_check_sees_a_cross_package_import(tmp_path, monkeypatch):
    """The check above flags what it should: a jobs module taking a core module's private name."""
    fake_root = tmp_path
    pkg = fake_root / "plugins" / "workbench_fake"
    (pkg / "core").mkdir(parents=True)
    jobs = pkg / "jobs.py"
    jobs.write_text("from .core.maths import _helper\nfrom .core.maths import public\n")
    inner = pkg / "core" / "other.py"
    inner.write_text("from .maths import _helper\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    assert _private_imports_across_packages(jobs) == [
        "plugins/workbench_fake/jobs.py:1: _helper from workbench_fake.core.maths"
    ]
    assert _private_imports_across_packages(inner) == []
