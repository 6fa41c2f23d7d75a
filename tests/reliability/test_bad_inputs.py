"""Every loader and every headless command over the corpus of bad inputs (tests/data/bad/: small
files committed, binary and large ones written by tests/data/bad/generate.py): no traceback, a
non-zero exit, an InputError (a ValueError) whose message names the file."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.errors import InputError
from workbench.jobs import JobError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"


@pytest.fixture(scope="session")
def bad(tmp_path_factory) -> Path:
    """The whole corpus in one folder: the committed files plus the generated ones."""
    out = tmp_path_factory.mktemp("bad")
    for sub in ("quiver", "config"):
        shutil.copytree(CORPUS / sub, out / sub, dirs_exist_ok=True)
    spec = importlib.util.spec_from_file_location("bad_corpus_generate", CORPUS / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    (out / "good.csv").write_text("0,1,-1,0\n")
    return mod.write_all(out)


def _files(folder: str, *suffixes: str) -> list[str]:
    return sorted(f"{folder}/{p.name}" for p in (CORPUS / folder).iterdir() if p.suffix in suffixes)


# ------------------------------------------------------------------------------------- loaders
def _quiver_file(p: Path):
    from workbench_quiver.core.formats import read_quiver_file

    return read_quiver_file(str(p))


def _quiver_list(p: Path):
    from workbench_quiver.core.formats import read_quiver_list

    return read_quiver_list(str(p))


def _npy(p: Path):
    from workbench.array_files import load_npy

    return load_npy(p)


def _npz_layers(p: Path):
    from workbench_repsim.core.sources import load_npz_layers

    return load_npz_layers(p)


def _bundle_dataset(p: Path):
    from workbench_bundle.core.haldane_bundle import load_dataset

    return load_dataset(p)


def _sampled(p: Path):
    from workbench.jobs import JobContext
    from workbench_bundle.jobs import ChernSpec, run_chern

    return run_chern(ChernSpec(model="sampled", array_path=str(p)), JobContext(device="cpu"))


def _image_folder(p: Path):
    from workbench_repsim.core.data import load_image_folder

    return load_image_folder(p)


def _state_dict(p: Path):
    from workbench_adversarial.core.zoo import load_state_dict_model

    return load_state_dict_model("mlp", "digits", p)


def _gnn(p: Path):
    from workbench_quiver.gnn.checkpoint import load_checkpoint

    return load_checkpoint(p)


def _bundle_classifier(p: Path):
    from workbench_bundle.core.train import load_checkpoint

    return load_checkpoint(p)


def _repsim_model(p: Path):
    from workbench_repsim.core.zoo import load_safetensors_model

    return load_safetensors_model(p)


def _checkpoint(p: Path):
    from workbench.checkpoint import load_checkpoint

    return load_checkpoint(p)


def _session(p: Path):
    from workbench.session import read_session

    return read_session(p)


def _micrograph_folder(p: Path):
    from workbench_micrograph.core.data import load_folder

    return load_folder(p)


def _micrograph_image(p: Path):
    from workbench_micrograph.core.data import read_image

    return read_image(p)


def _micrograph_model(p: Path):
    from workbench_micrograph.core.train import load_user_model

    return load_user_model(p, num_classes=4)


def _sweep_config(p: Path):
    from workbench_adversarial.cli import load_sweep_config

    return load_sweep_config(str(p))


LOADERS: list[tuple[Callable[[Path], object], list[str]]] = [
    (
        _quiver_file,
        _files("quiver", ".qmu", ".json", ".csv", ".txt")
        + ["quiver/binary.qmu", "quiver/deep.json", "quiver/deep_object.json"],
    ),
    (_quiver_list, _files("quiver", ".csv", ".jsonl") + ["quiver/deep.jsonl", "quiver/binary.qmu"]),
    (
        _npy,
        [
            "arrays/object.npy",
            "arrays/truncated.npy",
            "arrays/text.npy",
            "arrays/huge_header.npy",
            "arrays/layers_good.npz",
        ],
    ),
    (
        _npz_layers,
        [
            "arrays/layers_object.npz",
            "arrays/truncated.npz",
            "arrays/npy_as.npz",
            "arrays/layers_complex.npz",
            "arrays/text.npy",
        ],
    ),
    (
        _bundle_dataset,
        [
            "bundle/nan_dataset.npz",
            "bundle/missing_arrays.npz",
            "bundle/truncated.npz",
            "arrays/npy_as.npz",
            "arrays/layers_object.npz",
        ],
    ),
    (
        _sampled,
        [
            "bundle/zero_states.npz",
            "bundle/nan_hamiltonians.npz",
            "bundle/not_hermitian.npz",
            "bundle/neither.npz",
            "bundle/truncated.npz",
            "arrays/text.npy",
        ],
    ),
    (_image_folder, ["images/bomb", "images/truncated", "images/fake"]),
    (
        _state_dict,
        [
            "models/pickled.pt",
            "models/garbage.pt",
            "models/empty.pt",
            "models/nan_weights.pt",
            "models/nan_weights.safetensors",
            "models/text.safetensors",
        ],
    ),
    (
        _gnn,
        [
            "models/gnn_hidden_200000.safetensors",
            "models/gnn_layers_-3.safetensors",
            "models/no_sidecar.safetensors",
            "models/text.safetensors",
        ],
    ),
    (
        _bundle_classifier,
        ["models/bundle_grid_1e6.safetensors", "models/bundle_grid_1024.safetensors", "models/no_sidecar.safetensors"],
    ),
    (_repsim_model, ["models/repsim_width_200000.safetensors", "models/text.safetensors"]),
    (_checkpoint, ["models/no_sidecar.safetensors", "models/text.safetensors"]),
    (_sweep_config, _files("config", ".json", ".toml")),
    (
        _session,
        [
            f"sessions/{n}.json"
            for n in (
                "binary",
                "deep",
                "deep_object",
                "not_an_object",
                "wrong_format",
                "version_true",
                "version_-5",
                "version_99",
                "nan",
                "panels_a_list",
            )
        ],
    ),
    (_micrograph_folder, ["images/bomb", "images/truncated", "images/fake", "images/empty"]),
    (_micrograph_image, ["images/bomb/bomb.png", "images/truncated/cut.png", "images/fake/fake.png"]),
    (
        _micrograph_model,
        [
            "models/pickled.pt",
            "models/garbage.pt",
            "models/empty.pt",
            "models/text.safetensors",
            "models/no_sidecar.safetensors",
            "models/nan_weights.safetensors",
        ],
    ),
]
CASES = [pytest.param(fn, name, id=f"{fn.__name__.strip('_')}:{name}") for fn, names in LOADERS for name in names]


@pytest.mark.parametrize("loader,name", CASES)
def test_every_loader_refuses_bad_files_naming_them(bad, loader, name):
    path = bad / name
    assert path.exists(), name
    with pytest.raises(Exception) as info:  # the type is checked next
        loader(path)
    exc = info.value
    # loaders raise InputError; a job reading a file raises JobError with the same message
    assert isinstance(exc, (InputError, JobError)), f"{type(exc).__name__}: {exc}"
    # a checkpoint may be named by its weights or by its sidecar (X.safetensors / X.json)
    assert path.is_dir() or path.stem in str(exc), str(exc)
    if path.is_dir():  # a folder: the offending file inside it is named (an empty one: itself)
        offending = [f for f in path.iterdir() if f.name != "ok.png"]
        assert any(f.name in str(exc) for f in offending) if offending else str(path) in str(exc), str(exc)
    assert "weights_only=False" not in str(exc) and "Traceback" not in str(exc)


# ------------------------------------------------------------------------------------- the CLI
def _cli(capsys, *argv: str) -> tuple[int, str]:
    from workbench.cli import main

    try:
        rc = main(list(argv))
    except SystemExit as exc:  # argparse
        rc = exc.code if isinstance(exc.code, int) else 2
    err = capsys.readouterr().err
    return rc, err


COMMANDS: list[tuple[tuple[str, ...], list[str]]] = [
    (
        ("quiver", "identify", "{}"),
        _files("quiver", ".qmu", ".json", ".csv", ".txt") + ["quiver/binary.qmu", "quiver/deep.json"],
    ),
    (("quiver", "tikz", "{}"), ["quiver/non_integer.qmu", "quiver/deep.json"]),
    (("quiver", "convert", "{}", "{out}/x.json"), ["quiver/huge_float.csv", "quiver/binary.qmu"]),
    (("quiver", "classify", "{}"), _files("quiver", ".csv", ".jsonl") + ["quiver/deep.jsonl"]),
    (
        ("quiver", "classify", "{bad}/good.csv", "--gnn", "--checkpoint", "{}"),
        ["models/gnn_hidden_200000.safetensors", "models/text.safetensors"],
    ),
    (
        ("repsim", "compare", "--a", "{}", "--b", "{bad}/arrays/good.npy"),
        [
            "arrays/object.npy",
            "arrays/truncated.npy",
            "arrays/text.npy",
            "arrays/complex.npy",
            "arrays/nan.npy",
            "arrays/huge_header.npy",
            "arrays/layers_good.npz",
        ],
    ),
    (
        ("repsim", "heatmap", "--a", "{}", "--out", "{out}/m.npy"),
        ["arrays/layers_object.npz", "arrays/truncated.npz", "arrays/layers_complex.npz"],
    ),
    (
        ("bundle", "chern", "--model", "sampled", "--file", "{}"),
        ["bundle/zero_states.npz", "bundle/nan_hamiltonians.npz", "bundle/not_hermitian.npz", "bundle/truncated.npz"],
    ),
    (("bundle", "train", "--data", "{}", "--epochs", "1"), ["bundle/nan_dataset.npz", "bundle/missing_arrays.npz"]),
    (
        (
            "adversarial",
            "attack",
            "--model-file",
            "{}",
            "--arch",
            "mlp",
            "--dataset",
            "digits",
            "--eps",
            "0.5",
            "--n",
            "4",
        ),
        ["models/pickled.pt", "models/garbage.pt", "models/nan_weights.pt", "models/empty.pt"],
    ),
    (("adversarial", "sweep", "--config", "{}", "--out", "{out}/sweep"), _files("config", ".json", ".toml")),
    (
        ("micrograph", "train", "--data", "{}", "--epochs", "1", "--out", "{out}/m"),
        ["images/bomb", "images/truncated", "images/fake", "images/empty"],
    ),
    (
        ("diffusion-id", "estimate", "--data", "{}", "--estimator", "twonn"),
        [
            "arrays/object.npy",
            "arrays/truncated.npy",
            "arrays/text.npy",
            "arrays/huge_header.npy",
            "arrays/nan.npy",
            "arrays/complex.npy",
        ],
    ),
]
CLI_CASES = [pytest.param(argv, name, id=f"{' '.join(argv[:2])}:{name}") for argv, names in COMMANDS for name in names]


@pytest.mark.parametrize("argv,name", CLI_CASES)
def test_every_command_exits_non_zero_naming_the_file_without_a_traceback(bad, tmp_path, capsys, argv, name):
    path = bad / name
    args = [a.format(str(path), out=tmp_path, bad=bad) for a in argv]
    rc, err = _cli(capsys, *args)
    assert rc != 0, err
    assert "Traceback" not in err, err
    assert path.stem in err, err
