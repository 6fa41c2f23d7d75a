"""Datasets of the embedded defaults (Qt-free, numpy): images in [0, 1], shape (N, C, H, W).

* ``digits``: scikit-learn's 8x8 handwritten digits (1797 images, 10 classes, UCI ML
  hand-written digits), pixel values 0..16 scaled to [0, 1]; stratified 70/30 split, seed 0.
* ``shapes``: a synthetic 3-channel 12x12 dataset generated here (seeded): four classes
  (horizontal bar, vertical bar, diagonal bar, square outline) of random position, length and
  colour on a noisy dark background; 2400 images, 75/25 split.
* ``textures``: 3x32x32 RGB images of ten textured objects (disk, ring, ellipse, crescent,
  square, triangle, cross, bar, diamond, frame) on smooth colour-noise backgrounds, generated
  (seeded) by the concepts plugin's public generator
  (:func:`workbench_concepts.core.dataset.generate`, reached through its ``core`` as the
  layering contracts allow); 10,000 training images (seed 101) and 2,000 test images (seed
  102).  The realistic-size input of the zoo (dim X = 3072; few pixels at exactly 0 or 1).

Other plugins can add datasets with :func:`register_dataset`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class DatasetSplit:
    """A train/test split of images in [0, 1] (float32, (N, C, H, W)) with int64 labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    description: str = ""

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.x_test.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


_DATASETS: dict[str, Callable[[], DatasetSplit]] = {}
_CACHE: dict[str, DatasetSplit] = {}


def register_dataset(name: str, loader: Callable[[], DatasetSplit]) -> None:
    """Make a dataset available by name (``loader`` is called lazily, once)."""
    _DATASETS[name] = loader
    _CACHE.pop(name, None)


def dataset_names() -> list[str]:
    return list(_DATASETS)


def load_dataset(name: str) -> DatasetSplit:
    """The dataset ``name`` (cached).  Raises KeyError with the known names."""
    if name not in _DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(_DATASETS)}")
    if name not in _CACHE:
        _CACHE[name] = _DATASETS[name]()
    return _CACHE[name]


def cached_shape(name: str) -> tuple[int, int, int] | None:
    """The image shape (C, H, W) of dataset ``name`` if it is already loaded, else None (never
    loads: a caller on the GUI thread must not wait for a dataset)."""
    split = _CACHE.get(name)
    return split.shape if split is not None else None


def _stratified_split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int):
    rng = np.random.default_rng(seed)
    test_idx: list[int] = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test_idx.extend(idx[: int(round(test_fraction * len(idx)))])
    test = np.zeros(len(y), dtype=bool)
    test[np.asarray(test_idx)] = True
    return x[~test], y[~test], x[test], y[test]


def load_digits_split() -> DatasetSplit:
    """scikit-learn's digits, scaled to [0, 1], (N, 1, 8, 8); stratified 70/30 split with seed 0."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    y = d.target.astype(np.int64)
    xtr, ytr, xte, yte = _stratified_split(x, y, 0.3, seed=0)
    return DatasetSplit(
        "digits",
        xtr,
        ytr,
        xte,
        yte,
        [str(i) for i in range(10)],
        "scikit-learn 8x8 digits (UCI), /16, stratified 70/30 split seed 0",
    )


SHAPE_CLASSES = ["horizontal bar", "vertical bar", "diagonal bar", "square outline"]


def make_shapes(n: int, seed: int, size: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic ``shapes`` images (n, 3, size, size) in [0, 1] and labels (n,)."""
    rng = np.random.default_rng(seed)
    x = np.clip(rng.normal(0.1, 0.05, size=(n, 3, size, size)), 0, 1).astype(np.float32)
    y = rng.integers(0, 4, size=n)
    for i in range(n):
        colour = rng.uniform(0.5, 1.0, size=3) * (rng.random(3) < 0.8)
        if colour.max() < 0.5:
            colour[rng.integers(3)] = rng.uniform(0.6, 1.0)
        L = rng.integers(5, 10)
        canvas = np.zeros((size, size), dtype=np.float32)
        r, c = rng.integers(0, size - L + 1, size=2)
        if y[i] == 0:
            canvas[r, c : c + L] = 1
        elif y[i] == 1:
            canvas[r : r + L, c] = 1
        elif y[i] == 2:
            k = np.arange(L)
            canvas[r + k, c + k] = 1
        else:
            s = max(4, L - 2)
            canvas[r, c : c + s] = canvas[r + s - 1, c : c + s] = 1
            canvas[r : r + s, c] = canvas[r : r + s, c + s - 1] = 1
        x[i] = np.maximum(x[i], canvas[None] * colour[:, None, None].astype(np.float32))
    return x, y.astype(np.int64)


def load_shapes_split() -> DatasetSplit:
    """The synthetic ``shapes`` dataset: 1800 training and 600 test images, seeds 1 and 2."""
    xtr, ytr = make_shapes(1800, seed=1)
    xte, yte = make_shapes(600, seed=2)
    return DatasetSplit(
        "shapes",
        xtr,
        ytr,
        xte,
        yte,
        list(SHAPE_CLASSES),
        "synthetic 3x12x12 bars/squares (workbench_adversarial.core.data.make_shapes), seeds 1/2",
    )


TEXTURES_TRAIN, TEXTURES_TEST = 10_000, 2_000
TEXTURES_SEEDS = (101, 102)


def load_textures_split() -> DatasetSplit:
    """The generated ``textures`` dataset (see the module docstring); about 4 s to generate."""
    from workbench_concepts.core.dataset import CLASS_NAMES, generate

    train = generate(TEXTURES_TRAIN, TEXTURES_SEEDS[0])
    test = generate(TEXTURES_TEST, TEXTURES_SEEDS[1])
    return DatasetSplit(
        "textures",
        train.images,
        train.labels,
        test.images,
        test.labels,
        list(CLASS_NAMES),
        f"generated 3x32x32 textured objects, 10 classes (workbench_concepts.core.dataset.generate), "
        f"{TEXTURES_TRAIN} train seed {TEXTURES_SEEDS[0]} / {TEXTURES_TEST} test seed {TEXTURES_SEEDS[1]}",
    )


register_dataset("digits", load_digits_split)
register_dataset("shapes", load_shapes_split)
register_dataset("textures", load_textures_split)


def subset(
    split: DatasetSplit, n: int, classes: tuple[int, ...] = (), seed: int = 0, part: str = "test"
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``n`` images of the test (or train) part, restricted to ``classes`` if given,
    drawn without replacement with ``seed`` (n <= 0: all of them)."""
    x, y = (split.x_test, split.y_test) if part == "test" else (split.x_train, split.y_train)
    idx = np.arange(len(y))
    if classes:
        bad = [c for c in classes if not 0 <= c < split.num_classes]
        if bad:
            raise ValueError(f"classes {bad} do not exist in {split.name} (0..{split.num_classes - 1})")
        idx = idx[np.isin(y, np.asarray(classes))]
    if n > 0 and n < len(idx):
        idx = np.sort(np.random.default_rng(seed).choice(idx, size=n, replace=False))
    return x[idx], y[idx]
