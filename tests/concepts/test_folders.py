"""Users' own data: a task folder (class sub-folders) and a concept folder (positives/,
negatives/), generated as tiny image files in tmp_path; bad input is a message naming what is
wrong; an ensemble trained on a folder is probed and attributed through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main
from workbench_concepts.core.folders import load_concept_folder, load_task_folder, read_rgb


def _png(path: Path, arr: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def _images(rng: np.random.Generator, n: int, size: int = 12, bright: bool = False) -> list[np.ndarray]:
    lo, hi = (128, 256) if bright else (0, 128)
    return [rng.integers(lo, hi, (size, size, 3), dtype=np.uint8) for _ in range(n)]


def _task_folder(root: Path, per_class: int = 5, classes: tuple[str, ...] = ("cat", "dog")) -> dict[str, list]:
    rng = np.random.default_rng(0)
    written = {}
    for c, name in enumerate(classes):
        written[name] = _images(rng, per_class, bright=c == 1)
        for i, a in enumerate(written[name]):
            _png(root / name / f"{i:02d}.png", a)
    return written


def _concept_folder(root: Path, n_pos: int = 8, n_neg: int = 8) -> None:
    rng = np.random.default_rng(1)
    for i, a in enumerate(_images(rng, n_pos, bright=True)):
        _png(root / "positives" / f"p{i}.png", a)
    for i, a in enumerate(_images(rng, n_neg)):
        _png(root / "negatives" / f"n{i}.png", a)


def test_task_folder_pixels_labels_and_stratified_split(tmp_path):
    written = _task_folder(tmp_path / "task")
    train, test, names = load_task_folder(tmp_path / "task", seed=3, test_fraction=0.2)
    assert names == ("cat", "dog") and len(train) == 8 and len(test) == 2
    assert sorted(test.labels.tolist()) == [0, 1]  # one test image per class
    assert train.images.shape == (8, 3, 12, 12) and train.images.dtype == np.float32
    assert not train.generated and train.known_concept_labels("round") is None
    # every written image is found once, with its class, pixels / 255 in C x H x W
    both = np.concatenate([train.images, test.images])
    labels = np.concatenate([train.labels, test.labels])
    for c, name in enumerate(names):
        assert (labels == c).sum() == len(written[name])
        for a in written[name]:
            want = (a.astype(np.float32) / 255).transpose(2, 0, 1)
            assert any(np.array_equal(want, x) for x in both[labels == c]), name
    # the same seed gives the same split
    again, _, _ = load_task_folder(tmp_path / "task", seed=3, test_fraction=0.2)
    assert np.array_equal(again.images, train.images)


def test_tiff_16_bit_and_grey_are_scaled_to_rgb(tmp_path):
    import tifffile

    a = np.array([[0, 65535], [32768, 1000]], dtype=np.uint16)
    tifffile.imwrite(tmp_path / "g.tif", a)
    img = read_rgb(tmp_path / "g.tif")
    assert img.shape == (3, 2, 2) and np.allclose(img[1], a / 65535.0, atol=1e-6)
    assert np.array_equal(img[0], img[2])


def test_concept_folder_split_and_name(tmp_path):
    _concept_folder(tmp_path / "stripes", n_pos=8, n_neg=12)
    c = load_concept_folder(tmp_path / "stripes")
    assert (c.name, c.kind) == ("stripes", "user")
    assert (int(c.fit_y.sum()), int((~c.fit_y).sum())) == (6, 9) and (int(c.test_y.sum()), len(c.test_y)) == (2, 5)
    pos = np.concatenate([c.fit.images[c.fit_y], c.test.images[c.test_y]])
    assert pos.min() >= 128 / 255 - 1e-6  # the positives are the bright images written to positives/


def test_bad_folders_are_messages_naming_what_is_wrong(tmp_path):
    from workbench.errors import InputError

    def fails(fn, root, match):
        with pytest.raises(InputError, match=match):
            fn(root)

    (tmp_path / "empty").mkdir()
    fails(load_task_folder, tmp_path / "empty", "holds no class sub-folders")
    fails(load_task_folder, tmp_path / "nowhere", "does not exist")
    one = tmp_path / "one"
    _task_folder(one, classes=("cat",))
    fails(load_task_folder, one, r"only one class \(cat\)")
    loose = tmp_path / "loose"
    _png(loose / "a.png", np.zeros((4, 4, 3), np.uint8))
    fails(load_task_folder, loose, "images lie directly in the folder")
    sparse = tmp_path / "sparse"
    _task_folder(sparse)
    (sparse / "bird").mkdir()
    fails(load_task_folder, sparse, "class 'bird' holds 0 image")
    mixed = tmp_path / "mixed"
    _task_folder(mixed)
    _png(mixed / "dog" / "zz.png", np.zeros((20, 12, 3), np.uint8))
    fails(load_task_folder, mixed, r"mixed sizes: .* is 12 x 12 pixels but .*zz.png is 12 x 20")
    corrupt = tmp_path / "corrupt"
    _task_folder(corrupt)
    (corrupt / "cat" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    fails(load_task_folder, corrupt, "bad.png")
    few = tmp_path / "few"
    _concept_folder(few, n_pos=3)
    fails(load_concept_folder, few, r"positives/ holds 3 image\(s\); at least 8")
    half = tmp_path / "half"
    _png(half / "positives" / "p.png", np.zeros((4, 4, 3), np.uint8))
    fails(load_concept_folder, half, "no negatives/ sub-folder")


def test_train_probe_attribute_on_folders_through_the_cli(tmp_path, capsys, tiny_ensemble):
    import torch

    torch.set_num_threads(1)
    task, concept = tmp_path / "task", tmp_path / "bright"
    _task_folder(task, per_class=10)
    _concept_folder(concept)
    ens = tmp_path / "mine.safetensors"
    assert (
        main(["concepts", "train", "--out", str(ens), "--members", "2", "--epochs", "1", "--data-folder", str(task)])
        == 0
    )
    capsys.readouterr()
    prov = json.loads(ens.with_suffix(".json").read_text())["provenance"]
    assert prov["data"]["classes"] == ["cat", "dog"] and prov["data"]["n_train"] == 16
    common = ["--ensemble", str(ens), "--concept-folder", str(concept)]
    assert main(["concepts", "probe", "--json", *common]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["concepts"]) == ["user"] and doc["concepts"]["user"]["kind"] == "user"
    out = tmp_path / "s.npy"
    args = ["concepts", "attribute", "--concept", "user", "--layer", "layer4", "--out", str(out), "--json"]
    assert main(args + ["--proj-dim", "16", "--test-image", "1", *common]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert np.load(out).shape == (16, 1) and doc["test_image"] == 1
    assert doc["top_positive_fraction"] is None and doc["chance"] is None  # unknown for a user's task folder
    # the embedded concepts do not exist for a task folder; the shipped-data ensemble refuses a task folder
    assert main(["concepts", "probe", "--ensemble", str(ens)]) == 1
    assert "no concept to probe" in capsys.readouterr().err
    assert main(args[:3] + ["round", *args[4:], "--ensemble", str(ens), "--concept-folder", str(concept)]) == 1
    assert "concept 'round' is not in these data (concepts: user)" in capsys.readouterr().err
    assert main(["concepts", "probe", "--ensemble", str(tiny_ensemble), "--data-folder", str(task)]) == 1
    assert "trained on the embedded generated data" in capsys.readouterr().err
    assert main(args + ["--ensemble", str(ens)]) == 1
    assert "give the folder (positives/ and negatives/)" in capsys.readouterr().err
    # the embedded ensemble probes a user's concept beside its own two
    assert (
        main(["concepts", "probe", "--json", "--ensemble", str(tiny_ensemble), "--concept-folder", str(concept)]) == 0
    )
    assert list(json.loads(capsys.readouterr().out)["concepts"]) == ["round", "high_frequency", "user"]
