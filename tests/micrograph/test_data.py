"""Image folders: layouts, file formats, banner crop, tiling, the edit set, and every bad input
refused with a message that names the file or folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench_micrograph.core.data import (
    DataError,
    DefaultData,
    FolderOptions,
    default_data,
    detect_banner,
    load_folder,
    read_image,
    write_folder,
)

TINY = DefaultData(seed=3, train=4, val=2, test=3, shifted_test=3, pool=4)


def _png(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def _folder(root: Path, domains=("source", "aged"), classes=("a", "b"), n=12, size=32, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    for d in domains:
        for k, c in enumerate(classes):
            for i in range(n):
                _png(root / d / c / f"{i:02d}.png", (rng.random((size, size)) * 100 + 80 * k).astype(np.uint8))
    return root


def test_write_then_load_gives_the_same_splits_and_pixels(tmp_path):
    data = default_data(TINY)
    write_folder(data, tmp_path / "set")
    back = load_folder(tmp_path / "set")
    assert back.class_names == data.class_names
    for split in ("train", "val", "test"):
        a, b = getattr(data, split), getattr(back, split)
        order_a, order_b = np.lexsort((a.y,)), np.lexsort((b.y,))
        assert np.array_equal(a.y[order_a], b.y[order_b])
        np.testing.assert_allclose(a.x[order_a], b.x[order_b], atol=1e-6)  # 8-bit exact
    assert set(back.shifted) == {"aged", "detector"}
    assert len(back.pools["aged"]) == len(data.pools["aged"]) and len(back.shifted["detector"]) == 3 * 5


def test_edit_set_is_k_per_class_and_disjoint_from_the_test_set():
    data = default_data(TINY)
    e = data.edit_set(3, seed=1)
    assert len(e) == 3 * 5 * 2 and np.array_equal(e.counts(5), np.full(5, 6))
    test_names = set(data.shifted["aged"].names) | set(data.shifted["detector"].names)
    assert not set(e.names) & test_names
    assert e.pair is not None and e.pair.shape == e.x.shape  # generated: the source renderings
    assert e.names != data.edit_set(3, seed=2).names
    with pytest.raises(DataError, match="fewer than k = 5"):
        data.edit_set(5, seed=0)
    with pytest.raises(DataError, match="unknown shifted domain"):
        data.edit_set(2, seed=0, domains=("infrared",))


def test_folder_layout_split_and_pool(tmp_path):
    root = _folder(tmp_path / "f")
    data = load_folder(root, FolderOptions(pool=4, seed=0))
    assert data.class_names == ("a", "b") and data.shifted_domains == ("aged",)
    assert len(data.pools["aged"]) == 8 and len(data.shifted["aged"]) == 16
    assert len(data.train) + len(data.val) + len(data.test) == 24
    assert not set(data.train.names) & set(data.test.names)
    # source-only layout: ROOT/<class>/
    solo = tmp_path / "solo"
    for c in ("x", "y", "z"):
        for i in range(5):
            _png(solo / c / f"{i}.png", np.full((16, 16), 40 * i, np.uint8))
    d2 = load_folder(solo)
    assert d2.class_names == ("x", "y", "z") and d2.shifted == {}
    with pytest.raises(DataError, match="no shifted domain"):
        d2.edit_set(1, seed=0)


def test_formats_tiff_16bit_rgb_jpeg(tmp_path):
    import tifffile

    ramp16 = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)
    tifffile.imwrite(tmp_path / "a.tif", ramp16)
    np.testing.assert_allclose(read_image(tmp_path / "a.tif"), ramp16 / 65535.0, atol=1e-6)
    tifffile.imwrite(tmp_path / "f.tiff", np.linspace(-1, 3, 100, dtype=np.float32).reshape(10, 10))
    f = read_image(tmp_path / "f.tiff")
    assert f.min() == 0.0 and f.max() == pytest.approx(1.0)
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 1] = 255
    _png(tmp_path / "g.png", rgb)
    assert read_image(tmp_path / "g.png") == pytest.approx(np.full((8, 8), 0.587), abs=1e-6)
    Image.fromarray(ramp16).save(tmp_path / "p16.png")
    np.testing.assert_allclose(read_image(tmp_path / "p16.png"), ramp16 / 65535.0, atol=1e-6)
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(tmp_path / "j.jpg", quality=95)
    assert abs(read_image(tmp_path / "j.jpg").mean() - 128 / 255) < 0.01


def test_banner_detection_and_crop(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.random((100, 80)).astype(np.float32)
    img[82:] = 0.0  # a black data bar of 18 rows
    img[88:91, 10:40] = 1.0  # text on it
    assert detect_banner(img) == 18
    assert detect_banner(rng.random((100, 80))) == 0
    root = tmp_path / "b"
    for c in ("a", "b"):
        for i in range(4):
            arr = (rng.random((40, 32)) * 200).astype(np.uint8)
            arr[32:] = 255
            _png(root / c / f"{i}.png", arr)
    assert load_folder(root, FolderOptions(banner="auto")).image_shape == (1, 32, 32)
    assert load_folder(root, FolderOptions(banner=8)).image_shape == (1, 32, 32)


def test_tiling_splits_by_file(tmp_path):
    root = tmp_path / "t"
    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        for i in range(5):
            _png(root / c / f"{i}.png", (rng.random((70, 100)) * 255).astype(np.uint8))
    data = load_folder(root, FolderOptions(tile=32))
    assert data.image_shape == (1, 32, 32)
    assert all(v == (2, 3, 32) for v in data.tiles.values())
    files = lambda s: {n.split("#")[0] for n in s.names}  # noqa: E731
    assert not files(data.train) & files(data.test)
    assert (len(data.train) + len(data.val) + len(data.test)) == 10 * 6
    img = read_image(root / "a" / "0.png")
    name = next(n for n in data.train.names if n.endswith("#1,2"))
    i = data.train.names.index(name)
    src = read_image(name.split("#")[0])
    np.testing.assert_array_equal(data.train.x[i, 0], src[32:64, 64:96])
    assert img.shape == (70, 100)


def test_bad_inputs_name_the_file_or_folder(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_folder(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no PNG, TIFF or JPEG"):
        load_folder(tmp_path / "empty")
    one = tmp_path / "one"
    for i in range(4):
        _png(one / "source" / "only" / f"{i}.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(DataError, match="only one class"):
        load_folder(one)
    root = _folder(tmp_path / "bad", n=12)
    (root / "source" / "a" / "05.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match=r"05\.png.*cannot be read"):
        load_folder(root)
    skipped = load_folder(root, FolderOptions(skip_unreadable=True))
    assert any("05.png" in w for w in skipped.warnings)
    mixed = _folder(tmp_path / "mixed", domains=("source",), n=4)
    _png(mixed / "source" / "b" / "big.png", np.zeros((48, 40), np.uint8))
    with pytest.raises(DataError, match="different sizes.*tile"):
        load_folder(mixed)
    missing = _folder(tmp_path / "missing", n=12)
    for f in (missing / "aged" / "b").iterdir():
        f.unlink()
    (missing / "aged" / "b").rmdir()
    with pytest.raises(DataError, match="class b has no images in domain aged"):
        load_folder(missing)
    few = _folder(tmp_path / "few", n=5)
    with pytest.raises(DataError, match="domain aged.*edit pool"):
        load_folder(few, FolderOptions(pool=10))
    loose = _folder(tmp_path / "loose", n=4)
    _png(loose / "x.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(DataError, match="directly in the folder"):
        load_folder(loose)
    with pytest.raises(DataError, match="tile"):
        load_folder(root, FolderOptions(tile=3))
