"""Checkpoint sidecars that ask for absurd sizes are refused before anything is allocated
(workbench.checkpoint.check_architecture_ints and build_checked, used by every plugin)."""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path

import pytest

from workbench.checkpoint import CheckpointError

RES = Path(__file__).resolve().parents[2] / "resources"


def _copy_with(tmp_path: Path, src: Path, edit) -> Path:
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    side = json.loads(src.with_suffix(".json").read_text())
    edit(side["architecture"])
    dst.with_suffix(".json").write_text(json.dumps(side))
    return dst


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _refused_fast(load, path: Path, message: str) -> None:
    before, t0 = _peak_mib(), time.perf_counter()
    with pytest.raises(CheckpointError, match=message) as info:
        load(path)
    assert path.with_suffix(".json").name in str(info.value) or path.name in str(info.value)
    assert time.perf_counter() - t0 < 5
    assert _peak_mib() - before < 200  # nothing of the terabytes asked for was allocated


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda a: a["config"].update(hidden=200000), "'hidden' = 200000 is out of range"),
        (lambda a: a["config"].update(layers=-3), "'layers' = -3 is out of range"),
        (lambda a: a["config"].update(hidden=2048), "does not describe the weights"),
        (lambda a: a["config"].update(pooling="nonsense"), "invalid model"),
    ],
)
def test_quiver_gnn(tmp_path, edit, message):
    from workbench_quiver.gnn.checkpoint import load_checkpoint

    _refused_fast(load_checkpoint, _copy_with(tmp_path, RES / "quiver/gnn/dirgine_default.safetensors", edit), message)


@pytest.mark.parametrize(
    "name,edit,message",
    [
        ("flux", lambda a: a.update(grid=10**6), "grid 1000000"),
        ("cnn", lambda a: a.update(grid=-3), "grid -3"),
        # the MLP's first layer is 2 * grid^2 wide: a grid of 1024 asks for 2 million inputs per unit
        ("mlp", lambda a: a.update(grid=1024), "does not describe the weights"),
    ],
)
def test_bundle_classifier(tmp_path, name, edit, message):
    from workbench_bundle.core.train import load_checkpoint

    _refused_fast(load_checkpoint, _copy_with(tmp_path, RES / f"bundle/{name}.safetensors", edit), message)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda a: a.update(widths=[200000, 16, 16]), "'widths' = \\[200000, 16, 16\\] is out of range"),
        (lambda a: a.update(widths=[16, 16, -3]), "out of range"),
        (lambda a: a.update(widths=[60000, 60000, 60000]), "does not describe the weights"),
    ],
)
def test_repsim_model(tmp_path, edit, message):
    from workbench_repsim.core.validate import DegenerateInputError
    from workbench_repsim.core.zoo import load_safetensors_model

    path = _copy_with(tmp_path, RES / "repsim/mlp-w16-s0.safetensors", edit)
    before = _peak_mib()
    with pytest.raises(DegenerateInputError, match=message):
        load_safetensors_model(path)
    assert _peak_mib() - before < 200


def test_the_shipped_checkpoints_still_load():
    from workbench_bundle.core.train import load_checkpoint as bundle_load
    from workbench_quiver.gnn.checkpoint import load_checkpoint as gnn_load
    from workbench_repsim.core.zoo import load_safetensors_model

    assert gnn_load(RES / "quiver/gnn/dirgine_default.safetensors").model is not None
    assert bundle_load(RES / "bundle/flux.safetensors")[1]["grid"] == 32
    assert not load_safetensors_model(RES / "repsim/mlp-w16-s0.safetensors").training
