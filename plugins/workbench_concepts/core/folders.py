"""Users' own data: an image folder for the task and a folder of a concept's positives and negatives.

* Task folder (:func:`load_task_folder`): ``ROOT/<class>/*.png`` (one sub-folder per class, at
  least two classes, at least two images each); split per class into training and test images
  with a seeded permutation (``test_fraction`` of each class, at least one, to the test set).
* Concept folder (:func:`load_concept_folder`): ``ROOT/positives/*`` and ``ROOT/negatives/*``
  (at least :data:`MIN_CONCEPT_IMAGES` of each); the concept is named after ROOT and is of kind
  ``user``; split 3/4 to fit probes, 1/4 held out, per side, seeded.

Files: PNG, JPEG, BMP, GIF, PPM/PGM through Pillow (:func:`workbench.image_files.open_image`,
the shell's reader that refuses decompression bombs and names corrupt files) converted to RGB;
TIFF through tifffile (8/16-bit integers scaled by the dtype's range, floats kept when in
[0, 1], else scaled by the image's min and max; grey replicated to three channels).  Every image
of a data set must have the same size (at most :data:`MAX_SIDE` pixels a side).  Values are
float32 in [0, 1], layout N x 3 x H x W, as the embedded data (:mod:`.dataset`).

Every problem is an :class:`workbench.errors.InputError` (a ``ValueError``) naming the folder or
file and what is wrong: no such folder, no class or concept sub-folders, images lying loose in
the root, an empty class, a single class, a corrupt file, mixed sizes, too few positives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.errors import InputError

from .dataset import ConceptSet, ImageSet

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff")
#: largest image side accepted (the concept ResNets are made for small images)
MAX_SIDE = 256
#: most images read from one folder (memory: 20,000 RGB images of 64 x 64 are 1 GB as float32)
MAX_IMAGES = 50_000
#: fewest positives (and negatives) a concept folder needs: 3/4 fit the probe, 1/4 test it
MIN_CONCEPT_IMAGES = 8
CONCEPT_SIDES = ("positives", "negatives")


def _images_in(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)


def _scale01(a: np.ndarray, path: Path) -> np.ndarray:
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        return ((a.astype(np.float64) - info.min) / float(info.max - info.min)).astype(np.float32)
    b = a.astype(np.float64)
    if not np.isfinite(b).all():
        raise InputError("the image holds NaN or infinite values", path=path)
    lo, hi = float(b.min()), float(b.max())
    if lo < 0 or hi > 1:
        b = (b - lo) / (hi - lo) if hi > lo else np.zeros_like(b)
    return b.astype(np.float32)


def read_rgb(path: str | Path) -> np.ndarray:
    """One image as float32 3 x H x W in [0, 1] (see the module docstring); InputError naming
    the file when it cannot be read."""
    p = Path(path)
    if p.suffix.lower() in (".tif", ".tiff"):
        try:
            import tifffile

            with tifffile.TiffFile(str(p)) as tf:
                arr = np.asarray(tf.pages[0].asarray())
        except Exception as exc:  # noqa: BLE001 - any decoder failure is the file's problem
            detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise InputError(f"not a TIFF tifffile can read ({detail})", path=p) from None
        if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4):
            arr = np.moveaxis(arr, 0, -1)  # planar (C, H, W)
        if arr.ndim == 3 and arr.shape[-1] in (1, 2):
            arr = arr[..., 0]
        if arr.ndim == 2:
            arr = np.repeat(arr[..., None], 3, axis=-1)
        if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
            raise InputError(f"expected a grey or RGB image, got an array of shape {arr.shape}", path=p)
        return np.ascontiguousarray(_scale01(arr[..., :3], p).transpose(2, 0, 1))
    from workbench.image_files import open_image

    im = open_image(p, "RGB")  # InputError naming the file: missing, corrupt, truncated, bombs
    return np.ascontiguousarray((np.asarray(im, dtype=np.float32) / 255.0).transpose(2, 0, 1))


def _read_all(files: list[Path], what: str) -> np.ndarray:
    """N x 3 x H x W float32 of ``files``, all of one size."""
    if len(files) > MAX_IMAGES:
        raise InputError(f"{what}: {len(files)} images, more than the {MAX_IMAGES} accepted")
    out: list[np.ndarray] = []
    for f in files:
        img = read_rgb(f)
        h, w = img.shape[1:]
        if max(h, w) > MAX_SIDE:
            raise InputError(f"the image is {w} x {h} pixels; at most {MAX_SIDE} a side (resize the data)", path=f)
        if out and img.shape != out[0].shape:
            h0, w0 = out[0].shape[1:]
            raise InputError(
                f"{what}: images of mixed sizes: {files[0].name} is {w0} x {h0} pixels but {f} is {w} x {h}; "
                "every image of the data must have the same size"
            )
        out.append(img)
    return np.stack(out)


def _folder(root: str | Path, what: str) -> Path:
    p = Path(root).expanduser()
    if not str(root).strip():
        raise InputError(f"no {what} given")
    if not p.exists():
        raise InputError(f"{what} {p} does not exist")
    if not p.is_dir():
        raise InputError(f"{what} {p} is not a folder")
    return p


def _split(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(first part, second part) of a seeded permutation of ``n``, ``fraction`` (at least one,
    at most n - 1) in the second."""
    perm = rng.permutation(n)
    k = min(n - 1, max(1, int(round(fraction * n))))
    return np.sort(perm[k:]), np.sort(perm[:k])


def task_classes(root: str | Path) -> tuple[Path, list[tuple[str, list[Path]]]]:
    """The class sub-folders of a task folder and their image files (sorted by name); InputError
    for a missing or empty folder, loose images, an empty class or a single class."""
    p = _folder(root, "task image folder")
    loose = _images_in(p)
    if loose:
        raise InputError(
            f"task image folder {p}: images lie directly in the folder ({loose[0].name}, ...); put them in one "
            "sub-folder per class (FOLDER/<class>/*.png)"
        )
    classes = [(d.name, _images_in(d)) for d in sorted(p.iterdir()) if d.is_dir() and not d.name.startswith(".")]
    if not classes:
        raise InputError(f"task image folder {p} holds no class sub-folders (FOLDER/<class>/*.png)")
    for name, files in classes:
        if len(files) < 2:
            raise InputError(
                f"task image folder {p}: class {name!r} holds {len(files)} image(s) "
                f"({', '.join(IMAGE_SUFFIXES)}); each class needs at least 2 (one for training, one for testing)"
            )
    if len(classes) < 2:
        raise InputError(
            f"task image folder {p}: only one class ({classes[0][0]}); a classifier needs at least two class folders"
        )
    return p, classes


def load_task_folder(
    root: str | Path, seed: int = 0, test_fraction: float = 0.2
) -> tuple[ImageSet, ImageSet, tuple[str, ...]]:
    """(training set, test set, class names) of a task folder (see the module docstring)."""
    if not 0 < test_fraction < 1:
        raise InputError(f"test fraction must be in (0, 1), got {test_fraction}")
    p, classes = task_classes(root)
    files = [f for _, fs in classes for f in fs]
    labels = np.concatenate([np.full(len(fs), c, np.int64) for c, (_, fs) in enumerate(classes)])
    images = _read_all(files, f"task image folder {p}")
    rng = np.random.default_rng([seed, 31])
    tr, te = [], []
    for c in range(len(classes)):
        idx = np.flatnonzero(labels == c)
        a, b = _split(idx.size, test_fraction, rng)
        tr.append(idx[a])
        te.append(idx[b])
    itr, ite = np.concatenate(tr), np.concatenate(te)
    whole = ImageSet(images, labels, np.zeros(len(labels), bool), generated=False)
    return whole.subset(itr), whole.subset(ite), tuple(name for name, _ in classes)


def load_concept_folder(root: str | Path, seed: int = 0) -> ConceptSet:
    """The concept set of a folder with ``positives/`` and ``negatives/`` (see the module docstring)."""
    p = _folder(root, "concept folder")
    for side in CONCEPT_SIDES:
        if not (p / side).is_dir():
            raise InputError(f"concept folder {p} has no {side}/ sub-folder (it needs positives/ and negatives/)")
    sides = []
    for side in CONCEPT_SIDES:
        files = _images_in(p / side)
        if len(files) < MIN_CONCEPT_IMAGES:
            raise InputError(
                f"concept folder {p}: {side}/ holds {len(files)} image(s); at least {MIN_CONCEPT_IMAGES} are "
                f"needed ({MIN_CONCEPT_IMAGES * 3 // 4} to fit a probe, {MIN_CONCEPT_IMAGES // 4} to test it)"
            )
        sides.append(files)
    files = sides[0] + sides[1]
    y = np.concatenate([np.ones(len(sides[0]), bool), np.zeros(len(sides[1]), bool)])
    images = _read_all(files, f"concept folder {p}")
    rng = np.random.default_rng([seed, 37])
    fit, test = [], []
    for val in (True, False):
        idx = np.flatnonzero(y == val)
        a, b = _split(idx.size, 0.25, rng)
        fit.append(idx[a])
        test.append(idx[b])
    ifit, itest = np.concatenate(fit), np.concatenate(test)
    whole = ImageSet(images, np.full(len(y), -1, np.int64), np.zeros(len(y), bool), generated=False)
    return ConceptSet(p.name, "user", whole.subset(ifit), y[ifit], whole.subset(itest), y[itest])
