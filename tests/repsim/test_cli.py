"""The headless commands."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from workbench_repsim.cli import register
from workbench_repsim.core.heatmap import similarity_heatmap


def _run(*args: str) -> subprocess.CompletedProcess:
    """The real command in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", "repsim", *args], capture_output=True, text=True, timeout=300
    )


class _Out:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.returncode, self.stdout, self.stderr = code, out, err


def _run_inproc(capsys, *args: str) -> _Out:
    """The same command through ``workbench.cli.main`` in this process (faster)."""
    from workbench.cli import main

    code = main(["repsim", *args])
    cap = capsys.readouterr()
    return _Out(code, cap.out, cap.err)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    np.random.seed(1337)
    x = np.random.randn(100, 10)
    y = np.random.randn(100, 10) + x
    np.save(d / "a.npy", x)
    np.save(d / "b.npy", y)
    np.save(d / "short.npy", y[:60])
    np.save(d / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    rng = np.random.default_rng(0)
    la = [x, np.tanh(x @ rng.standard_normal((10, 20))), x**2]
    lb = [y, np.maximum(y, 0)]
    np.savez(d / "la.npz", *la)
    np.savez(d / "lb.npz", *lb)
    return d, la, lb


def test_compare_reference_values(files):
    d, _, _ = files
    out = _run("compare", "--a", str(d / "a.npy"), "--b", str(d / "b.npy"), "--measure", "cka-debiased")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["value"] == pytest.approx(0.51346, abs=5e-6)


def test_compare_errors(files, capsys):
    d, _, _ = files
    out = _run_inproc(capsys, "compare", "--a", str(d / "a.npy"), "--b", str(d / "short.npy"))
    assert out.returncode != 0 and "n = 100" in out.stderr and "n = 60" in out.stderr
    out = _run_inproc(capsys, "compare", "--a", str(d / "obj.npy"), "--b", str(d / "a.npy"))
    assert out.returncode != 0 and "unpickling" in out.stderr
    out = _run_inproc(capsys, "compare", "--a", str(d / "missing.npy"), "--b", str(d / "a.npy"))
    assert out.returncode != 0 and "missing.npy: no such file" in out.stderr


def test_heatmap_npz(files, tmp_path, capsys):
    d, la, lb = files
    out = _run_inproc(
        capsys,
        "heatmap",
        "--a",
        str(d / "la.npz"),
        "--b",
        str(d / "lb.npz"),
        "--measure",
        "cka",
        "--out",
        str(tmp_path / "m.npy"),
        "--figure",
        str(tmp_path / "m.png"),
    )
    assert out.returncode == 0, out.stderr
    m = np.load(tmp_path / "m.npy")
    assert np.allclose(m, similarity_heatmap(la, lb, "cka").matrix)
    assert (tmp_path / "m.png").stat().st_size > 1000


def test_heatmap_from_zoo_model(tmp_path, capsys):
    out = _run_inproc(
        capsys,
        "heatmap",
        "--a",
        "mlp-w16-s0",
        "--b",
        "mlp-w16-s1",
        "--max-samples",
        "200",
        "--out",
        str(tmp_path / "z.npy"),
    )
    assert out.returncode == 0, out.stderr
    m = np.load(tmp_path / "z.npy")
    assert m.shape == (4, 4) and np.all((m > 0) & (m <= 1))
    info = json.loads(out.stdout)
    assert info["layers_a"] == ["h1", "h2", "h3", "logits"]


def test_register_sets_handlers():
    import argparse

    p = argparse.ArgumentParser()
    register(p.add_subparsers())
    args = p.parse_args(["compare", "--a", "x", "--b", "y"])
    assert callable(args.func)


def test_cli_module_imports_cheaply():
    code = "import sys, workbench_repsim.cli; print(any(m in sys.modules for m in ('torch', 'numpy', 'PySide6')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_core_is_qt_free():
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import importlib, pkgutil, workbench_repsim.core as c\n"
        "[importlib.import_module('workbench_repsim.core.' + m.name) for m in pkgutil.iter_modules(c.__path__)]\n"
        "import workbench_repsim.jobs, workbench_repsim.train_defaults\nprint('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
