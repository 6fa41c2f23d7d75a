"""CLI tests (subprocesses, as a user runs them) and the Qt-free contract of the core."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench_bundle.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def test_register_adds_subcommands():
    import argparse

    from workbench_bundle.cli import register

    ap = argparse.ArgumentParser()
    register(ap.add_subparsers(dest="cmd"))
    args = ap.parse_args(["chern", "--model", "qwz", "--u", "1"])
    assert callable(args.func) and args.u == 1.0


def test_chern_json_haldane_qwz_bhz():
    p = run_cli("chern", "--model", "haldane", "--t1", "1", "--t2", "0.3", "--phi", "1.2", "--m", "0.5", "--grid", "64")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["chern"] == -1 and out["reliable"] and "max_plaquette_flux" in out and "min_gap" in out
    out = json.loads(run_cli("chern", "--model", "qwz", "--u", "-1", "--convention", "fukui").stdout)
    assert out["chern"] == -1 and out["convention"] == "fukui"
    out = json.loads(run_cli("chern", "--model", "bhz", "--M", "1", "--A", "1", "--B", "0.5").stdout)
    assert out["chern"] == 1 and out["spin_down"]["chern"] == -1 and out["spin_chern_number"] == 1
    out = json.loads(run_cli("chern", "--model", "bhz", "--M", "1", "--A", "1", "--B", "0.5", "--spin", "down").stdout)
    assert out["spin"] == "down"
    assert out["chern"] == -1
    assert out["spin_chern_number"] == 1


def test_chern_refine_and_bad_input():
    out = json.loads(run_cli("chern", "--model", "qwz", "--u", "1.99", "--grid", "7", "--refine").stdout)
    assert out["chern"] == -1 and out["reliable"] and len(out["refinements"]) > 1
    p = run_cli("chern", "--model", "custom", "--dx", "sin(kx)", "--dz", "__import__('os').system('echo hi')")
    assert p.returncode == 2 and "not allowed" in p.stderr and "hi" not in p.stdout


def test_dataset_command(tmp_path):
    out_file = tmp_path / "d.npz"
    p = run_cli("dataset", "--size", "15", "--grid", "16", "--out", str(out_file))
    assert p.returncode == 0, p.stderr
    from workbench_bundle.core.haldane_bundle import load_dataset

    ds = load_dataset(out_file)
    assert len(ds) == 15 and ds.provenance["grid"] == 16 and "command" in ds.provenance
    assert set(np.unique(ds.labels)) <= {-2, -1, 0, 1, 2}


def test_core_is_qt_free():
    code = (
        "import sys, importlib; sys.modules['PySide6'] = None\n"
        "for m in ['fhs', 'models', 'expressions', 'haldane_bundle', 'classifiers', 'train']:\n"
        "    importlib.import_module('workbench_bundle.core.' + m)\n"
        "import workbench_bundle.jobs, workbench_bundle.cli\n"
        "assert not any(k.startswith('PySide6.') for k in sys.modules)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def test_cli_module_imports_cheaply():
    code = "import sys, workbench_bundle.cli; print('torch' in sys.modules, 'numpy' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.split() == ["False", "False"]


def test_shipped_checkpoints_load_and_predict():
    from workbench_bundle.core.haldane_bundle import generate_dataset
    from workbench_bundle.core.train import load_checkpoint, predict
    from workbench_resources import resource_path

    ds = generate_dataset(20, grid=32, seed=42)
    for arch in ("flux", "cnn", "mlp"):
        path = resource_path("bundle", f"{arch}.safetensors")
        model, meta = load_checkpoint(path)
        assert meta["arch"] == arch and meta["grid"] == 32 and "command" in meta and "seed" in meta
        assert path.stat().st_size < 8_000_000
        pred = predict(model, ds.psi)
        assert pred.shape == (20,) and set(np.unique(pred)) <= {-2, -1, 0, 1, 2}


def test_chern_of_sampled_hamiltonians(tmp_path):
    # four-band block-diagonal QWZ(u=1) + QWZ(u=0.5): the two lower bands have C = -2 together
    from workbench_bundle.core import models

    n = 24
    k1, k2 = models.k_grid(n)
    h = np.zeros((n, n, 4, 4), dtype=complex)
    for blk, u in enumerate((1.0, 0.5)):
        _, dx, dy, dz = models.qwz_d(k1, k2, u)
        s = slice(2 * blk, 2 * blk + 2)
        h[:, :, s, s] = np.stack([np.stack([dz, dx - 1j * dy], -1), np.stack([dx + 1j * dy, -dz], -1)], -2)
    h[:, :, 2:, 2:] += 0.01 * np.eye(2)  # lift the degeneracy of the energies only
    np.savez(tmp_path / "h.npz", hamiltonians=h)
    p = run_cli("chern", "--model", "sampled", "--file", str(tmp_path / "h.npz"))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["chern"] == -2
    np.savez(tmp_path / "bad.npz", other=np.zeros(3))
    p = run_cli("chern", "--model", "sampled", "--file", str(tmp_path / "bad.npz"))
    assert p.returncode == 2 and "neither" in p.stderr
