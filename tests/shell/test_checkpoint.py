"""The one checkpoint format (workbench.checkpoint): round trip, every refusal with its message,
and every shipped checkpoint in resources/ loading through it."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from workbench.checkpoint import (
    FORMAT,
    VERSION,
    CheckpointError,
    checkpoint_paths,
    load_checkpoint,
    load_into,
    read_safetensors,
    read_sidecar,
    save_checkpoint,
    sha256_file,
)

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
# Hugging Face folders (a diffusers pipeline, a transformers model: the layout users' own Stable
# Diffusion and language-model folders have, read by the same loaders) carry their provenance in one
# provenance.json beside them instead of a sidecar per weights file
HF_FOLDERS = sorted(p.parent for p in RESOURCES.rglob("provenance.json"))
SHIPPED = sorted(p for p in RESOURCES.rglob("*.safetensors") if not any(f in p.parents for f in HF_FOLDERS))
KINDS = {
    "bundle": "bundle-classifier",
    "repsim": "repsim-model",
    "adversarial": "adversarial-classifier",
    "quiver": "quiver-gnn-classifier",
    "micrograph": "micrograph-classifier",
    "concepts": "concepts-resnet-ensemble",
    "equivariant": "quiver-invariant-classifier",
}


def _retrain_command(command: str) -> bool:
    """A shipped checkpoint's retrain command runs a module of the project (``python -m
    workbench_<plugin>...``) or the project's own CLI (``workbench <plugin> ...``)."""
    return "python -m workbench_" in command or command.startswith("workbench ")


class Net(nn.Module):
    def __init__(self, hidden: int = 8) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, hidden)
        self.fc2 = nn.Linear(hidden, 3)
        self.register_buffer("scale", torch.arange(3, dtype=torch.float64))


def _save(tmp_path: Path, model: nn.Module | None = None, **kw) -> tuple[Path, Path]:
    torch.manual_seed(0)
    model = model or Net()
    args = dict(
        architecture={"hidden": 8, "layers": (4, 8, 3)}, provenance={"seed": 0, "acc": float("nan")}, kind="test-net"
    )
    args.update(kw)
    return save_checkpoint(tmp_path / "net", model.state_dict(), **args)


def test_round_trip_keeps_tensors_and_records_the_sidecar(tmp_path):
    torch.manual_seed(0)
    m = Net()
    w, j = _save(tmp_path, m, provenance={"command": "python -m x", "seed": 3, "acc": float("nan")})
    assert (w.name, j.name) == ("net.safetensors", "net.json")
    assert not list(tmp_path.glob(".*.tmp"))
    umask = os.umask(0)
    os.umask(umask)
    assert w.stat().st_mode & 0o777 == j.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600
    doc = json.loads(j.read_text())  # strict JSON: NaN was written as null
    assert doc["format"] == FORMAT and doc["format_version"] == VERSION and doc["kind"] == "test-net"
    assert doc["architecture"] == {"hidden": 8, "layers": [4, 8, 3]}
    assert doc["provenance"] == {"command": "python -m x", "seed": 3, "acc": None}
    assert doc["weights"]["sha256"] == sha256_file(w) and doc["weights"]["bytes"] == w.stat().st_size
    assert doc["weights"]["tensors"]["fc1.weight"] == {"shape": [8, 4], "dtype": "float32"}
    assert doc["weights"]["tensors"]["scale"]["dtype"] == "float64"
    assert doc["versions"]["torch"] == torch.__version__ and "workbench" in doc["versions"]
    for name in (w, j, tmp_path / "net"):  # any of the three names finds the checkpoint
        ck = load_checkpoint(name, kind="test-net", expected_architecture={"hidden": 8, "layers": [4, 8, 3]})
        assert ck.kind == "test-net" and ck.provenance["seed"] == 3 and ck.path == w and ck.sidecar == j
    fresh = load_into(Net(), ck)
    for k, v in m.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v) and fresh.state_dict()[k].dtype == v.dtype


def test_tied_weights_are_saved(tmp_path):
    m = Net(hidden=4)
    m.fc2.weight = nn.Parameter(torch.zeros(3, 4))
    sd = dict(m.state_dict())
    sd["tied"] = sd["fc2.weight"]  # the same storage twice: safetensors alone refuses it
    w, _ = save_checkpoint(tmp_path / "t.safetensors", sd, architecture={}, provenance={}, kind="k")
    assert set(load_checkpoint(w).tensors) == set(sd)


def test_missing_weights_or_sidecar_say_which_file(tmp_path):
    with pytest.raises(CheckpointError, match="not found.*nothing.safetensors"):
        load_checkpoint(tmp_path / "nothing.safetensors")
    w, j = _save(tmp_path)
    j.unlink()
    with pytest.raises(CheckpointError, match=r"sidecar .*net\.json is missing") as err:
        load_checkpoint(w)
    assert str(j) in str(err.value)


def test_hash_mismatch_after_one_byte_changes(tmp_path):
    w, _ = _save(tmp_path)
    data = bytearray(w.read_bytes())
    data[-1] ^= 0x01  # a bit of the last tensor: still valid safetensors, different weights
    w.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="hash mismatch") as err:
        load_checkpoint(w)
    assert str(w) in str(err.value) and "still parses" in str(err.value)


def test_truncated_file_is_reported_as_corrupt(tmp_path):
    w, _ = _save(tmp_path)
    w.write_bytes(w.read_bytes()[:40])
    with pytest.raises(CheckpointError, match="hash mismatch.*not readable as safetensors"):
        load_checkpoint(w)


def test_not_safetensors_even_with_a_matching_hash(tmp_path):
    """A pickle in disguise whose sidecar records its hash: refused, never unpickled."""
    w, j = _save(tmp_path)
    w.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    doc = json.loads(j.read_text())
    doc["weights"]["sha256"] = sha256_file(w)
    j.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=r"net\.safetensors: corrupt or not a safetensors file"):
        load_checkpoint(w)
    with pytest.raises(CheckpointError, match="empty"):
        (tmp_path / "e.safetensors").write_bytes(b"")
        read_safetensors(tmp_path / "e.safetensors")


def test_wrong_kind(tmp_path):
    w, _ = _save(tmp_path)
    with pytest.raises(
        CheckpointError, match="net.safetensors is a checkpoint of kind 'test-net', expected kind 'bundle-classifier'"
    ):
        load_checkpoint(w, kind="bundle-classifier")


def test_wrong_architecture_in_the_sidecar(tmp_path):
    w, _ = _save(tmp_path)
    with pytest.raises(
        CheckpointError,
        match=r"net.safetensors: architecture mismatch: expected hidden=16 "
        r"\(the checkpoint has 8\)",
    ):
        load_checkpoint(w, expected_architecture={"hidden": 16})
    with pytest.raises(CheckpointError, match="has no 'grid'"):
        load_checkpoint(w, expected_architecture={"grid": 32})


def test_wrong_shapes_and_keys_into_a_module(tmp_path):
    w, _ = _save(tmp_path)
    ck = load_checkpoint(w)
    with pytest.raises(
        CheckpointError,
        match=r"net.safetensors: weights do not match the Net architecture: "
        r"wrong shapes fc1.weight: file \(8, 4\) vs model \(16, 4\)",
    ):
        load_into(Net(hidden=16), ck)

    class Other(Net):
        def __init__(self):
            super().__init__()
            self.fc3 = nn.Linear(3, 2)
            del self.fc2

    with pytest.raises(
        CheckpointError,
        match=r"missing keys fc3.bias, fc3.weight; "
        r"unexpected keys fc2.bias, fc2.weight",
    ):
        load_into(Other(), ck)


def test_sidecar_edited_to_other_shapes(tmp_path):
    w, j = _save(tmp_path)
    doc = json.loads(j.read_text())
    doc["weights"]["tensors"]["fc1.weight"]["shape"] = [9, 4]
    del doc["weights"]["tensors"]["scale"]
    j.write_text(json.dumps(doc))
    with pytest.raises(
        CheckpointError,
        match=r"do not match those recorded in net.json: present but not listed: "
        r"scale; fc1.weight: sidecar \(9, 4\) vs file \(8, 4\)",
    ):
        load_checkpoint(w)


def test_newer_format_version_is_refused(tmp_path):
    w, j = _save(tmp_path)
    doc = json.loads(j.read_text())
    doc["format_version"] = VERSION + 1
    doc["versions"]["workbench"] = "9.0"
    j.write_text(json.dumps(doc))
    with pytest.raises(
        CheckpointError,
        match=rf"net.json was written by a newer workbench \(checkpoint format "
        rf"version {VERSION + 1}, workbench 9.0\)",
    ):
        load_checkpoint(w)


def test_bad_sidecars(tmp_path):
    w, j = _save(tmp_path)
    j.write_text("{ not json")
    with pytest.raises(CheckpointError, match=r"net.json: the checkpoint sidecar is not valid JSON \(line 1"):
        load_checkpoint(w)
    j.write_text(json.dumps({"arch": "cnn", "grid": 32, "command": "python -m x"}))
    with pytest.raises(CheckpointError, match="not a workbench checkpoint sidecar.*older workbench.*convert"):
        load_checkpoint(w)
    j.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "format_version": 1,
                "kind": "k",
                "architecture": {},
                "provenance": {},
                "weights": {"sha256": "abc"},
            }
        )
    )
    with pytest.raises(CheckpointError, match="64-digit hex sha256"):
        read_sidecar(w)


def test_save_refuses_what_json_or_safetensors_cannot_hold(tmp_path):
    with pytest.raises(CheckpointError, match="provenance.when: object cannot be stored"):
        save_checkpoint(tmp_path / "x", Net().state_dict(), architecture={}, provenance={"when": object()}, kind="k")
    with pytest.raises(CheckpointError, match="only named tensors"):
        save_checkpoint(tmp_path / "x", {"a": [1.0]}, architecture={}, provenance={}, kind="k")
    with pytest.raises(CheckpointError, match="non-empty kind"):
        save_checkpoint(tmp_path / "x", {}, architecture={}, provenance={}, kind="")
    assert not any(tmp_path.iterdir())


def test_saving_over_a_checkpoint_replaces_both_files(tmp_path):
    w, _ = _save(tmp_path, Net(hidden=8))
    save_checkpoint(w, Net(hidden=2).state_dict(), architecture={"hidden": 2}, provenance={}, kind="test-net")
    ck = load_checkpoint(w, expected_architecture={"hidden": 2})
    load_into(Net(hidden=2), ck)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json", "net.safetensors"]


def test_import_is_cheap():
    code = "import sys, workbench.checkpoint; print('torch' in sys.modules, 'safetensors' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_checkpoint_paths():
    assert checkpoint_paths("a/b.json") == (Path("a/b.safetensors"), Path("a/b.json"))
    assert checkpoint_paths("a/b.v2") == (Path("a/b.v2.safetensors"), Path("a/b.v2.json"))


# ---------------------------------------------------------------------------------------------
# the shipped checkpoints


def test_resources_hold_checkpoints_of_every_plugin():
    found = {p.relative_to(RESOURCES).parts[0] for p in SHIPPED}
    assert found == set(KINDS), found


@pytest.mark.parametrize("folder", HF_FOLDERS, ids=lambda p: str(p.relative_to(RESOURCES)))
def test_shipped_hugging_face_folders_have_provenance_and_small_safetensors(folder):
    import json

    prov = json.loads((folder / "provenance.json").read_text())
    assert "python -m workbench_" in prov["command"] and prov["versions"]
    weights = sorted(folder.rglob("*.safetensors"))
    assert weights and not list(folder.rglob("*.bin")) and not list(folder.rglob("*.pt"))
    assert all(w.stat().st_size < 8_000_000 for w in weights)
    from safetensors import safe_open

    for w in weights:  # every file is real safetensors (the header parses, tensors are listed)
        with safe_open(str(w), framework="pt") as fh:
            assert list(fh.keys())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(RESOURCES)))
def test_every_shipped_checkpoint_loads_through_the_format(path):
    plugin = path.relative_to(RESOURCES).parts[0]
    ck = load_checkpoint(path, kind=KINDS[plugin])
    assert ck.tensors and ck.architecture
    assert "command" in ck.provenance and _retrain_command(ck.provenance["command"])
    assert path.stat().st_size < 8_000_000


def _plugin_load(kind: str, path: Path):
    if kind == "bundle-classifier":
        from workbench_bundle.core.train import load_checkpoint as load

        return load(path)[0]
    if kind == "repsim-model":
        from workbench_repsim.core.zoo import load_safetensors_model

        return load_safetensors_model(path)
    if kind == "adversarial-classifier":
        from workbench_adversarial.core.zoo import ModelRef, load_model_ref

        return load_model_ref(ModelRef(name=path.stem)).model
    if kind == "micrograph-classifier":
        from workbench_micrograph.core.train import load_classifier

        return load_classifier(path)[0]
    if kind == "concepts-resnet-ensemble":  # members m0., m1., ... in one file
        from torch import nn

        from workbench_concepts.core.train import load_ensemble

        return nn.ModuleDict({f"m{i}": m for i, m in enumerate(load_ensemble(path)[0])})
    if kind == "quiver-invariant-classifier":
        from workbench_equivariant.core.quiver_invariant import load_invariant_checkpoint

        return load_invariant_checkpoint(path).model
    from workbench_quiver.gnn.checkpoint import load_checkpoint as load

    return load(path).model


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(RESOURCES)))
def test_every_shipped_checkpoint_builds_its_plugin_model(path):
    ck = load_checkpoint(path)
    model = _plugin_load(ck.kind, path)
    own = model.state_dict()
    assert set(own) == set(ck.tensors)
    assert all(torch.equal(own[k].cpu(), ck.tensors[k]) for k in own)
