"""The embedded default data: seeded generated 32x32 RGB images of ten textured objects.

The analogue of the paper's ImageNet10p task (Konz et al., arXiv 2310.03149, section 4): the
task label is the object's shape (ten classes).  Two concepts ride on the images:

* ``round`` (kind ``object``): the images of four classes (disk, ring, ellipse, crescent), the
  analogue of the paper's 17 snake classes;
* ``high_frequency`` (kind ``perceptual``): the object's texture is a grating of high spatial
  frequency (0.30-0.45 cycles per pixel) rather than a low one (0.04-0.10 cycles per pixel),
  drawn independently of the class, so it cuts across classes like the paper's high-low
  frequency concept.

Each image: a background of smooth low-frequency colour noise, one object (random position,
scale 7-11 px, rotation, colour) filled with a sinusoidal grating of random orientation and
phase, and Gaussian pixel noise (sd 0.03).  Values in [0, 1], float32, layout N x 3 x 32 x 32.
Everything is a pure function of the seed (numpy ``default_rng``); 10,000 images take about a
second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 32
CLASS_NAMES: tuple[str, ...] = (
    "disk",
    "ring",
    "ellipse",
    "crescent",
    "square",
    "triangle",
    "cross",
    "bar",
    "diamond",
    "frame",
)
#: concept name -> kind ("object" | "perceptual")
CONCEPT_KINDS: dict[str, str] = {"round": "object", "high_frequency": "perceptual"}
#: the key of a user's concept (a folder of positives and negatives, :mod:`.folders`)
USER_CONCEPT = "user"
#: the classes of the object concept
ROUND_CLASSES: tuple[int, ...] = (0, 1, 2, 3)
LOW_FREQ = (0.04, 0.10)  # cycles per pixel
HIGH_FREQ = (0.30, 0.45)


@dataclass(frozen=True)
class ImageSet:
    """Images with their task labels and the concept labels of every image.

    images: float32 N x 3 x 32 x 32 in [0, 1]; labels: int64 class indices; high_freq: bool,
    the texture is of high spatial frequency."""

    images: np.ndarray
    labels: np.ndarray
    high_freq: np.ndarray
    #: False for a user's images (:mod:`.folders`): their labels of the embedded concepts are unknown
    generated: bool = True

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def concept_labels(self, concept: str) -> np.ndarray:
        """Boolean: the image is a positive of ``concept`` (``round`` or ``high_frequency``)."""
        if concept == "round":
            return np.isin(self.labels, ROUND_CLASSES)
        if concept == "high_frequency":
            return self.high_freq.copy()
        raise ValueError(f"unknown concept {concept!r}: choose one of {', '.join(CONCEPT_KINDS)}")

    def known_concept_labels(self, concept: str) -> np.ndarray | None:
        """:meth:`concept_labels`, or None where they are unknown (a user's images, a user's concept)."""
        if not self.generated or concept not in CONCEPT_KINDS:
            return None
        return self.concept_labels(concept)

    def subset(self, idx: np.ndarray) -> ImageSet:
        """The images at ``idx`` (indices or a boolean mask)."""
        return ImageSet(self.images[idx], self.labels[idx], self.high_freq[idx], self.generated)


def _shape_masks(cls: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean N x H x W masks of each image's shape, in local coordinates (u, v) where the
    shape's radius is 1."""
    r2 = u * u + v * v
    au, av = np.abs(u), np.abs(v)
    shapes = [
        r2 < 1.0,  # disk
        (r2 < 1.0) & (r2 > 0.55**2),  # ring
        (u * u + (v / 0.5) ** 2) < 1.0,  # ellipse
        (r2 < 1.0) & ((u - 0.55) ** 2 + v * v > 0.65**2),  # crescent
        np.maximum(au, av) < 0.8,  # square
        (v > -0.6) & (1.7 * au + v < 0.9),  # triangle
        ((au < 0.3) & (av < 1.0)) | ((av < 0.3) & (au < 1.0)),  # cross
        (au < 1.0) & (av < 0.28),  # bar
        (au + av) < 1.0,  # diamond
        (np.maximum(au, av) < 0.9) & (np.maximum(au, av) > 0.5),  # frame
    ]
    out = np.zeros(u.shape, dtype=bool)
    for k, m in enumerate(shapes):
        sel = cls == k
        out[sel] = m[sel]
    return out


def generate(n: int, seed: int, *, classes: np.ndarray | None = None, high_freq: np.ndarray | None = None) -> ImageSet:
    """``n`` images drawn from ``seed`` (balanced classes, half of them of high frequency, in
    random order).  ``classes`` / ``high_freq`` fix the labels instead (length ``n``)."""
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"number of images must be a positive integer, got {n!r}")
    if n > 200_000:
        raise ValueError(f"{n} images: at most 200000 (about 2.5 GB)")
    rng = np.random.default_rng(seed)
    nc = len(CLASS_NAMES)
    cls = rng.permutation(np.arange(n) % nc) if classes is None else np.asarray(classes, dtype=np.int64)
    hf = rng.permutation(np.arange(n) % 2 == 1) if high_freq is None else np.asarray(high_freq, dtype=bool)
    if cls.shape != (n,) or hf.shape != (n,):
        raise ValueError("classes and high_freq must have one entry per image")
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    xx, yy = xx[None], yy[None]
    cx = rng.uniform(11, 21, n).astype(np.float32)[:, None, None]
    cy = rng.uniform(11, 21, n).astype(np.float32)[:, None, None]
    scale = rng.uniform(7, 11, n).astype(np.float32)[:, None, None]
    rot = rng.uniform(0, 2 * np.pi, n).astype(np.float32)[:, None, None]
    dx, dy = (xx - cx) / scale, (yy - cy) / scale
    u = np.cos(rot) * dx + np.sin(rot) * dy
    v = -np.sin(rot) * dx + np.cos(rot) * dy
    mask = _shape_masks(cls, u, v)

    # object texture: a grating of low or high frequency (cycles per pixel)
    lo = rng.uniform(*LOW_FREQ, n)
    hi = rng.uniform(*HIGH_FREQ, n)
    freq = np.where(hf, hi, lo).astype(np.float32)[:, None, None]
    theta = rng.uniform(0, np.pi, n).astype(np.float32)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, n).astype(np.float32)[:, None, None]
    grating = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (np.cos(theta) * xx + np.sin(theta) * yy) + phase)
    obj_color = rng.uniform(0.35, 1.0, (n, 3, 1, 1)).astype(np.float32)
    obj = obj_color * (0.35 + 0.65 * grating[:, None])

    # background: a dark colour with smooth noise (two low-frequency waves)
    bg_color = rng.uniform(0.0, 0.45, (n, 3, 1, 1)).astype(np.float32)
    bg = np.zeros((n, SIZE, SIZE), dtype=np.float32)
    for _ in range(2):
        f = rng.uniform(0.01, 0.05, n).astype(np.float32)[:, None, None]
        t = rng.uniform(0, np.pi, n).astype(np.float32)[:, None, None]
        p = rng.uniform(0, 2 * np.pi, n).astype(np.float32)[:, None, None]
        bg += 0.12 * np.sin(2 * np.pi * f * (np.cos(t) * xx + np.sin(t) * yy) + p)
    back = bg_color + bg[:, None]

    img = np.where(mask[:, None], obj, back)
    img += rng.normal(0, 0.03, img.shape).astype(np.float32)
    np.clip(img, 0.0, 1.0, out=img)
    return ImageSet(img.astype(np.float32), cls.astype(np.int64), hf)


@dataclass(frozen=True)
class ConceptSet:
    """Positives and negatives of one concept (the images the probes are fitted and tested
    on), split into a fit part and a held-out part."""

    name: str
    kind: str
    fit: ImageSet
    fit_y: np.ndarray
    test: ImageSet
    test_y: np.ndarray


@dataclass(frozen=True)
class DefaultData:
    """The embedded default data, a pure function of ``seed``: the task's training set and
    test set, and one concept set per concept (its own images, balanced, disjoint from the
    task's training images)."""

    seed: int = 0
    n_train: int = 3000
    n_test: int = 1000
    n_concept: int = 800  # per concept: half positives, half negatives; 3/4 fit, 1/4 test

    def validate(self) -> None:
        for name in ("n_train", "n_test", "n_concept"):
            val = getattr(self, name)
            if not isinstance(val, int) or val < 20:
                raise ValueError(f"{name} must be an integer >= 20, got {val!r}")


@dataclass(frozen=True)
class Data:
    """The task's training and test images, the concept sets (name -> set) and the class names."""

    train: ImageSet
    test: ImageSet
    concepts: dict[str, ConceptSet]
    class_names: tuple[str, ...] = CLASS_NAMES


def concept_set(name: str, n: int, seed: int) -> ConceptSet:
    """A balanced concept set of ``n`` images for ``name`` (positives first shuffled with the
    negatives, 3/4 for fitting probes, 1/4 held out)."""
    if name not in CONCEPT_KINDS:
        raise ValueError(f"unknown concept {name!r}: choose one of {', '.join(CONCEPT_KINDS)}")
    rng = np.random.default_rng([seed, 7, list(CONCEPT_KINDS).index(name)])
    y = rng.permutation(np.arange(n) % 2 == 1)
    if name == "round":
        others = [c for c in range(len(CLASS_NAMES)) if c not in ROUND_CLASSES]
        cls = np.where(y, rng.choice(ROUND_CLASSES, n), rng.choice(others, n))
        hf = rng.random(n) < 0.5
    else:
        cls = rng.integers(0, len(CLASS_NAMES), n)
        hf = y
    imgs = generate(n, int(rng.integers(2**31)), classes=cls, high_freq=hf)
    cut = (3 * n) // 4
    return ConceptSet(
        name,
        CONCEPT_KINDS[name],
        imgs.subset(np.arange(cut)),
        y[:cut],
        imgs.subset(np.arange(cut, n)),
        y[cut:],
    )


def default_data(spec: DefaultData) -> Data:
    """Generate the embedded default data of ``spec``."""
    spec.validate()
    train = generate(spec.n_train, spec.seed * 1000 + 1)
    test = generate(spec.n_test, spec.seed * 1000 + 2)
    concepts = {name: concept_set(name, spec.n_concept, spec.seed) for name in CONCEPT_KINDS}
    return Data(train, test, concepts)
