"""Micrograph data sets: the embedded default (generated) and users' image folders (Qt-free).

A data set (:class:`MicrographData`) has one *source* domain split into train / val / test
and any number of *shifted* domains, each split into an edit pool (from which the edit set of
k labelled images per class is drawn) and a test set; the two never share an image (or, for
tiled images, a file).

Users' folders (:func:`load_folder`), one sub-folder per class, the domain given either

* by a folder level: ``ROOT/source/<class>/*.png``, ``ROOT/aged/<class>/...``,
  ``ROOT/detector-B/<class>/...`` (``source`` is the domain the model is trained on; any
  other first-level folder is a shifted domain), or ``ROOT/<class>/...`` for a source-only set;
* or by ``ROOT/domains.csv`` with the columns ``path`` (relative to ROOT) and ``domain``, and
  optionally ``class`` (else the file's parent folder) and ``split`` (``train``, ``val``,
  ``test`` for the source, ``edit`` or ``test`` for a shifted domain: fixed splits instead of
  the seeded ones).

Files: PNG, TIFF (8- and 16-bit, float; through tifffile), JPEG; RGB(A) is converted to grey
(ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B); values are scaled to [0, 1] by the dtype's
range (floats outside [0, 1] by the image's own min and max).  The SEM data banner at the
bottom of real micrographs is cropped by a number of rows or detected (:func:`detect_banner`).
Large images are cut into non-overlapping square tiles (:func:`tile_grid`), split by file.

Every problem raises :class:`DataError` (a ``ValueError``) naming the file or folder and what
to do: no images, unreadable files, mixed sizes without tiling, one class only, a class missing
in a domain, too few images for the splits.  Loading builds a new object; nothing loaded
before is changed.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.errors import InputError

from .generator import AGED, DETECTOR, SOURCE, GeneratorParams, generate

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
DOMAINS_CSV = "domains.csv"
SOURCE_SPLITS = ("train", "val", "test")
SHIFTED_SPLITS = ("edit", "test")


class DataError(InputError):
    """A data set that cannot be loaded; the message names the file or folder and the problem."""


@dataclass
class ImageSet:
    """Images (N, 1, H, W) float32 in [0, 1], labels (N,) int64, a name per image (a file
    path, ``path#r,c`` for a tile, or a generator id) and, for generated shifted images, the
    source rendering of the same scene (``pair``, else None)."""

    x: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    pair: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, idx: np.ndarray | Sequence[int]) -> ImageSet:
        """The images at ``idx`` (in that order)."""
        idx = np.asarray(idx, dtype=np.int64)
        return ImageSet(
            self.x[idx], self.y[idx], tuple(self.names[i] for i in idx), None if self.pair is None else self.pair[idx]
        )

    @staticmethod
    def concat(sets: Sequence[ImageSet]) -> ImageSet:
        """All images of ``sets`` in order (``pair`` kept only if every set has one)."""
        if not sets:
            raise ValueError("nothing to concatenate")
        pairs = [s.pair for s in sets if s.pair is not None]
        pair = np.concatenate(pairs) if len(pairs) == len(sets) else None
        return ImageSet(
            np.concatenate([s.x for s in sets]),
            np.concatenate([s.y for s in sets]),
            tuple(n for s in sets for n in s.names),
            pair,
        )

    def counts(self, num_classes: int) -> np.ndarray:
        return np.bincount(self.y, minlength=num_classes)


@dataclass
class MicrographData:
    """A source domain (train / val / test) and shifted domains (edit pool / test).

    class_names: the classes in label order; shifted: test set per shifted domain; pools:
    edit pool per shifted domain (disjoint from its test set); tiles: for tiled folders, the
    grid of every file (``{file: (rows, cols, tile)}``); warnings: files skipped and other
    notes; origin: ``generator`` or the folder; description: one line."""

    class_names: tuple[str, ...]
    train: ImageSet
    val: ImageSet
    test: ImageSet
    shifted: dict[str, ImageSet]
    pools: dict[str, ImageSet]
    description: str = ""
    origin: str = "generator"
    tiles: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def shifted_domains(self) -> tuple[str, ...]:
        return tuple(self.shifted)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.test.x.shape[1:])  # type: ignore[return-value]

    def edit_set(self, k: int, seed: int, domains: Sequence[str] | None = None) -> ImageSet:
        """``k`` labelled images per class from the edit pool of each domain in ``domains``
        (default: every shifted domain), drawn with ``seed``; never an image of a test set."""
        doms = tuple(self.pools) if not domains else tuple(domains)
        if not doms:
            raise DataError(
                "this data set has no shifted domain: an edit set needs images of a shifted domain "
                "(add e.g. an aged/ folder beside source/)"
            )
        unknown = [d for d in doms if d not in self.pools]
        if unknown:
            raise DataError(f"unknown shifted domain(s) {unknown}; this data set has {list(self.pools)}")
        if k < 1:
            raise DataError(f"the edit set needs at least 1 image per class, got k = {k}")
        rng = np.random.default_rng(seed)
        parts = []
        for d in doms:
            pool = self.pools[d]
            for c in range(self.num_classes):
                idx = np.flatnonzero(pool.y == c)
                if len(idx) < k:
                    raise DataError(
                        f"domain {d}: the edit pool has {len(idx)} image(s) of class "
                        f"{self.class_names[c]}, fewer than k = {k}"
                    )
                parts.append(pool.take(np.sort(rng.choice(idx, size=k, replace=False))))
        return ImageSet.concat(parts)


# --------------------------------------------------------------------------- the default
@dataclass(frozen=True)
class DefaultData:
    """The embedded default data set: per class ``train`` / ``val`` / ``test`` source images,
    and per shifted domain (aged, detector) ``shifted_test`` test images and ``pool`` edit-pool
    images (rendered with their source pairs); ``params``: the generator; ``seed``."""

    seed: int = 0
    train: int = 160
    val: int = 30
    test: int = 60
    shifted_test: int = 60
    pool: int = 20
    params: GeneratorParams = GeneratorParams()


@functools.lru_cache(maxsize=4)
def default_data(spec: DefaultData = DefaultData()) -> MicrographData:
    """The embedded default data (cached per spec; generated in seconds)."""
    p = spec.params.check()

    def one(domain: str, split: str, n: int, pairs: bool = False) -> ImageSet:
        g = generate(p, domain, split, n, spec.seed, with_source_pair=pairs)
        names = tuple(
            f"{domain}/{split}/{p.class_names[int(c)]}/{int(i):04d}" for c, i in zip(g["y"], g["scene"], strict=True)
        )
        return ImageSet(g["x"], g["y"], names, g.get("x_source"))

    shifted = {d: one(d, "test", spec.shifted_test) for d in (AGED, DETECTOR)}
    pools = {d: one(d, "edit", spec.pool, pairs=True) for d in (AGED, DETECTOR)}
    desc = (
        f"generated SEM-like micrographs ({len(p.routes)} routes, {p.image_size}x{p.image_size}, seed {spec.seed}; "
        f"per class: {spec.train} train / {spec.val} val / {spec.test} test source, {spec.shifted_test} test + "
        f"{spec.pool} edit pool per shifted domain; aging strength {p.aging.strength:g}, detector strength "
        f"{p.detector_strength:g})"
    )
    return MicrographData(
        p.class_names,
        one(SOURCE, "train", spec.train),
        one(SOURCE, "val", spec.val),
        one(SOURCE, "test", spec.test),
        shifted,
        pools,
        desc,
        "generator",
    )


def write_folder(data: MicrographData, out: str | Path) -> list[Path]:
    """Write ``data`` as an image folder (``OUT/<domain>/<class>/<name>.png``, 8-bit grey) with a
    ``domains.csv`` recording each file's domain, class and split, so that :func:`load_folder`
    reads the same splits back.  Returns the files written."""
    from PIL import Image

    out = Path(out)
    rows: list[tuple[str, str, str, str]] = []
    written: list[Path] = []
    sets: list[tuple[str, str, ImageSet]] = [(SOURCE, s, getattr(data, s)) for s in SOURCE_SPLITS]
    for d in data.shifted:
        sets += [(d, "edit", data.pools[d]), (d, "test", data.shifted[d])]
    for domain, split, imgs in sets:
        for i in range(len(imgs)):
            cls = data.class_names[int(imgs.y[i])]
            folder = out / domain / cls
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{split}-{i:05d}.png"
            Image.fromarray(np.round(imgs.x[i, 0] * 255).astype(np.uint8), mode="L").save(path)
            rows.append((path.relative_to(out).as_posix(), domain, cls, split))
            written.append(path)
    with open(out / DOMAINS_CSV, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "domain", "class", "split"])
        w.writerows(rows)
    written.append(out / DOMAINS_CSV)
    return written


# --------------------------------------------------------------------------- reading images
def _scale01(a: np.ndarray, dtype: np.dtype, path: Path) -> np.ndarray:
    """Values of an image of ``dtype`` scaled to [0, 1]: integers by the dtype's range, floats
    as they are if inside [0, 1], else by the image's min and max."""
    if dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return ((a.astype(np.float64) - info.min) / float(info.max - info.min)).astype(np.float32)
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise DataError(f"{path}: the image holds NaN or infinite values")
    lo, hi = float(a.min()), float(a.max())
    if lo < 0 or hi > 1:
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    return a.astype(np.float32)


def _to_grey(arr: np.ndarray, path: Path) -> np.ndarray:
    """A 2-D float32 image in [0, 1] from an array read from ``path`` (grey, grey + alpha, RGB,
    RGBA, planar or interleaved)."""
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[0] in (3, 4) and a.shape[-1] not in (3, 4):
        a = np.moveaxis(a, 0, -1)  # planar TIFF (C, H, W)
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        rgb = _scale01(a[..., :3], a.dtype, path).astype(np.float64)
        return (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)
    if a.ndim == 3 and a.shape[-1] in (1, 2):
        a = a[..., 0]  # grey (+ alpha)
    if a.ndim != 2:
        raise DataError(f"{path}: expected a 2-D grey or RGB image, got an array of shape {a.shape}")
    return _scale01(a, a.dtype, path)


def read_image(path: str | Path) -> np.ndarray:
    """One micrograph as a 2-D float32 array in [0, 1] (see the module docstring).  TIFF via
    tifffile (first page), PNG/JPEG via Pillow; DataError naming the file otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise DataError(f"{path}: not a PNG, TIFF or JPEG file")
    try:
        if suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(str(path)) as tf:
                arr = tf.pages[0].asarray()
        else:
            from PIL import Image

            with Image.open(path) as im:
                mode = im.mode
                arr = np.asarray(im.convert("RGB") if mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV") else im)
                if mode.startswith("I;16"):
                    arr = arr.astype(np.uint16)
                elif mode == "I":  # 32-bit integer PNG: 16-bit data stored wide
                    arr = (
                        arr.astype(np.uint16)
                        if 0 <= int(arr.min()) and int(arr.max()) <= 65535
                        else arr.astype(np.float64)
                    )
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is the file's problem
        raise DataError(
            f"{path}: cannot be read as an image ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else 'no detail'})"
        ) from None
    return _to_grey(arr, path)


def detect_banner(img: np.ndarray, max_fraction: float = 0.35, flat: float = 0.5) -> int:
    """Rows of the SEM data banner at the bottom of ``img`` (0 if none).

    A banner row is mostly one flat colour (the bar's background, with text and a scale bar on
    it): the most frequent grey level covers more than ``flat`` of the row, where a micrograph's
    row (noise, texture) has no dominant value.  The banner is the run of such rows from the
    bottom (gaps of up to 3 rows, e.g. text lines, are bridged), at most ``max_fraction`` of the
    height."""
    H = img.shape[0]
    q = np.round(np.asarray(img, dtype=np.float64) * 255).astype(np.int64)
    flat_rows = np.zeros(H, dtype=bool)
    for r in range(H - 1, max(H - int(max_fraction * H) - 5, 0) - 1, -1):
        counts = np.bincount(q[r].clip(0, 255), minlength=256)
        flat_rows[r] = counts.max() > flat * q.shape[1]
    top, gap = H, 0
    for r in range(H - 1, max(H - int(max_fraction * H), 0) - 1, -1):
        if flat_rows[r]:
            top, gap = r, 0
        else:
            gap += 1
            if gap > 3:
                break
    return H - top


def tile_grid(h: int, w: int, tile: int) -> tuple[int, int]:
    """Rows and columns of non-overlapping ``tile`` x ``tile`` patches from the top-left of an
    h x w image (the right and bottom remainders are dropped)."""
    return h // tile, w // tile


@dataclass(frozen=True)
class FolderOptions:
    """How to read an image folder.

    banner: rows to crop at the bottom (int >= 0) or ``"auto"`` (:func:`detect_banner`); tile:
    patch side in px (0: whole images, which must then all have one size); val / test: source
    fractions per class for the seeded split; pool: images (files) per class and shifted domain
    for the edit pool; seed: of the splits; skip_unreadable: skip files that cannot be read
    (listed in ``warnings``) instead of refusing the folder."""

    banner: int | str = 0
    tile: int = 0
    val: float = 0.1
    test: float = 0.2
    pool: int = 10
    seed: int = 0
    skip_unreadable: bool = False

    def check(self) -> FolderOptions:
        if not (self.banner == "auto" or (isinstance(self.banner, int) and self.banner >= 0)):
            raise DataError(f"banner must be a number of rows >= 0 or 'auto', got {self.banner!r}")
        if self.tile != 0 and not 8 <= self.tile <= 4096:
            raise DataError(f"tile must be 0 (whole images) or a patch size in [8, 4096] px, got {self.tile}")
        if not (0 <= self.val < 1 and 0 < self.test < 1 and self.val + self.test < 1):
            raise DataError(f"val and test must be fractions with val + test < 1, got {self.val} and {self.test}")
        if self.pool < 1:
            raise DataError(f"the edit pool needs at least 1 image per class, got {self.pool}")
        return self


@dataclass
class _Entry:
    path: Path
    domain: str
    cls: str
    split: str = ""


def _is_image(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")


def _scan(root: Path) -> list[_Entry]:
    """The files of ``root`` with their domain and class (from domains.csv or the folders)."""
    csv_path = root / DOMAINS_CSV
    if csv_path.is_file():
        return _scan_csv(root, csv_path)
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(p for p in root.iterdir() if _is_image(p))
    if loose:
        raise DataError(
            f"{root}: images lie directly in the folder ({loose[0].name}, ...); put them in one "
            "sub-folder per class (ROOT/<class>/*.png), or per domain and class "
            "(ROOT/source/<class>/*.png, ROOT/aged/<class>/...)"
        )
    entries: list[_Entry] = []
    if any(p.name == SOURCE for p in subdirs):
        for dom in subdirs:
            classes = sorted(p for p in dom.iterdir() if p.is_dir() and not p.name.startswith("."))
            stray = sorted(p for p in dom.iterdir() if _is_image(p))
            if stray:
                raise DataError(
                    f"{dom}: images lie directly in the domain folder ({stray[0].name}, ...); "
                    f"put them in one sub-folder per class ({dom}/<class>/)"
                )
            for c in classes:
                entries += [_Entry(f, dom.name, c.name) for f in sorted(c.rglob("*")) if _is_image(f)]
    else:
        for c in subdirs:
            entries += [_Entry(f, SOURCE, c.name) for f in sorted(c.rglob("*")) if _is_image(f)]
    return entries


def _scan_csv(root: Path, csv_path: Path) -> list[_Entry]:
    try:
        with open(csv_path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{csv_path}: cannot be read ({exc})") from None
    if not rows or "path" not in rows[0] or "domain" not in rows[0]:
        raise DataError(f"{csv_path}: needs a header with the columns path and domain (optionally class, split)")
    entries = []
    for i, row in enumerate(rows, start=2):
        rel = (row.get("path") or "").strip()
        dom = (row.get("domain") or "").strip()
        if not rel or not dom:
            raise DataError(f"{csv_path}, line {i}: path and domain must not be empty")
        f = root / rel
        if not f.is_file():
            raise DataError(f"{csv_path}, line {i}: {rel} does not exist under {root}")
        cls = (row.get("class") or "").strip() or f.parent.name
        split = (row.get("split") or "").strip()
        allowed = SOURCE_SPLITS if dom == SOURCE else SHIFTED_SPLITS
        if split and split not in allowed:
            raise DataError(f"{csv_path}, line {i}: split {split!r} is not one of {allowed} for domain {dom}")
        entries.append(_Entry(f, dom, cls, split))
    return entries


def _split_files(files: list[_Entry], fractions: dict[str, float], rng: np.random.Generator) -> dict[str, list[_Entry]]:
    """Files of one class and domain into named parts by fraction (each non-empty), or by
    their fixed ``split``."""
    fixed = [e for e in files if e.split]
    if fixed and len(fixed) != len(files):
        raise DataError(
            f"{files[0].path.parent}: some files of class {files[0].cls} in domain {files[0].domain} "
            "have a split in domains.csv and some do not; give all or none"
        )
    if fixed:
        return {name: [e for e in files if e.split == name] for name in fractions}
    order = rng.permutation(len(files))
    out: dict[str, list[_Entry]] = {}
    start = 0
    names = list(fractions)
    for j, name in enumerate(names):
        if j == len(names) - 1:
            n = len(files) - start
        else:
            n = max(1, int(round(fractions[name] * len(files)))) if fractions[name] > 0 else 0
        out[name] = [files[i] for i in order[start : start + n]]
        start += n
    return out


def load_folder(
    root: str | Path,
    options: FolderOptions = FolderOptions(),
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> MicrographData:
    """A :class:`MicrographData` from a user's folder (see the module docstring).  ``check`` is
    called between files (cancellation), ``progress(fraction, message)`` reports reading."""
    opts = options.check()
    root = Path(root).expanduser()
    if not root.exists():
        raise DataError(f"{root}: no such folder")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder (give the folder holding the class or domain folders)")
    entries = _scan(root)
    if not entries:
        raise DataError(
            f"{root}: no PNG, TIFF or JPEG images found (expected ROOT/<class>/*.png, or "
            "ROOT/source/<class>/*.png with shifted domains beside source/)"
        )
    by_domain: dict[str, dict[str, list[_Entry]]] = {}
    for e in entries:
        by_domain.setdefault(e.domain, {}).setdefault(e.cls, []).append(e)
    if SOURCE not in by_domain:
        raise DataError(
            f"{root}: no '{SOURCE}' domain (the domain the classifier is trained on); found {sorted(by_domain)}"
        )
    classes = tuple(sorted(by_domain[SOURCE]))
    if len(classes) < 2:
        raise DataError(
            f"{root}: only one class ({classes[0]}) in the source domain; a classifier needs at least two class folders"
        )
    for dom, cls_map in by_domain.items():
        missing = [c for c in classes if c not in cls_map]
        if missing:
            where = root / dom / missing[0] if (root / dom).is_dir() else root / missing[0]
            raise DataError(
                f"{root}: class {missing[0]} has no images in domain {dom} (expected them in {where}"
                + (" or in domains.csv" if (root / DOMAINS_CSV).is_file() else "")
                + ")"
                + (f"; also missing: {missing[1:]}" if len(missing) > 1 else "")
            )
        extra = sorted(set(cls_map) - set(classes))
        if extra:
            raise DataError(
                f"{root}: domain {dom} has class(es) {extra} that the source domain lacks; every "
                f"domain must use the source's classes {list(classes)}"
            )

    # read everything (crop, check sizes) before splitting, so that errors name files early
    images: dict[Path, np.ndarray] = {}
    warnings: list[str] = []
    bad: list[str] = []
    total = len(entries)
    for i, e in enumerate(entries):
        if check is not None:
            check()
        if progress is not None and i % 16 == 0:
            progress(i / total, f"reading {e.path.name}")
        try:
            img = read_image(e.path)
        except DataError as exc:
            bad.append(str(exc))
            continue
        crop = detect_banner(img) if opts.banner == "auto" else int(opts.banner)
        if crop >= img.shape[0]:
            bad.append(f"{e.path}: the banner crop ({crop} rows) removes the whole image ({img.shape[0]} rows)")
            continue
        images[e.path] = img[: img.shape[0] - crop] if crop else img
    if bad:
        if not opts.skip_unreadable:
            more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
            raise DataError(
                f"{len(bad)} file(s) cannot be used: "
                + "; ".join(bad[:3])
                + more
                + ". Fix or remove them, or skip unreadable files"
            )
        warnings += [f"skipped: {b}" for b in bad]
        entries = [e for e in entries if e.path in images]
    shapes = {p: im.shape for p, im in images.items()}
    tiles: dict[str, tuple[int, int, int]] = {}
    if opts.tile == 0:
        distinct = sorted(set(shapes.values()))
        if len(distinct) > 1:
            first = {s: next(p for p, v in shapes.items() if v == s) for s in distinct[:2]}
            a, b = distinct[:2]
            raise DataError(
                f"images have different sizes: {first[a]} is {a[1]}x{a[0]}, {first[b]} is "
                f"{b[1]}x{b[0]} (after the banner crop); choose a tile size to cut them into patches"
            )
    else:
        small = [p for p, s in shapes.items() if s[0] < opts.tile or s[1] < opts.tile]
        if small:
            s = shapes[small[0]]
            raise DataError(
                f"{small[0]} is {s[1]}x{s[0]} px, smaller than the tile size {opts.tile}; choose a smaller tile"
            )
        for p, s in shapes.items():
            rows, cols = tile_grid(s[0], s[1], opts.tile)
            tiles[str(p)] = (rows, cols, opts.tile)

    def as_set(files: list[_Entry]) -> ImageSet:
        xs, ys, names = [], [], []
        for e in files:
            img = images[e.path]
            label = classes.index(e.cls)
            if opts.tile:
                r, c, t = tiles[str(e.path)]
                patches = img[: r * t, : c * t].reshape(r, t, c, t).transpose(0, 2, 1, 3).reshape(r * c, t, t)
                xs.append(patches)
                ys += [label] * (r * c)
                names += [f"{e.path}#{i // c},{i % c}" for i in range(r * c)]
            else:
                xs.append(img[None])
                ys.append(label)
                names.append(str(e.path))
        if not xs:
            side = opts.tile or next(iter(shapes.values()))[0]
            return ImageSet(np.zeros((0, 1, side, side), np.float32), np.zeros(0, np.int64), ())
        return ImageSet(np.concatenate(xs)[:, None].astype(np.float32), np.asarray(ys, dtype=np.int64), tuple(names))

    rng = np.random.default_rng(opts.seed)
    src: dict[str, list[_Entry]] = {"train": [], "val": [], "test": []}
    by_domain.clear()
    for e in entries:
        by_domain.setdefault(e.domain, {}).setdefault(e.cls, []).append(e)
    for c in classes:
        files = by_domain[SOURCE].get(c, [])
        need = 3 if opts.val > 0 else 2
        if len(files) < need and not any(e.split for e in files):
            raise DataError(
                f"{root}: class {c} has {len(files)} usable source image(s); the train/val/test split "
                f"needs at least {need}"
            )
        parts = _split_files(files, {"test": opts.test, "val": opts.val, "train": 1.0}, rng)
        for k in src:
            src[k] += parts[k]
    shifted: dict[str, ImageSet] = {}
    pools: dict[str, ImageSet] = {}
    for dom in sorted(d for d in by_domain if d != SOURCE):
        edit_files: list[_Entry] = []
        test_files: list[_Entry] = []
        for c in classes:
            files = by_domain[dom].get(c, [])
            if any(e.split for e in files):
                parts = _split_files(files, {"edit": 0.0, "test": 1.0}, rng)
            else:
                if len(files) < opts.pool + 1:
                    raise DataError(
                        f"{root}: class {c} has {len(files)} usable image(s) in domain {dom}; the edit "
                        f"pool ({opts.pool} per class) and a test set need at least {opts.pool + 1}"
                    )
                order = rng.permutation(len(files))
                parts = {"edit": [files[i] for i in order[: opts.pool]], "test": [files[i] for i in order[opts.pool :]]}
            if not parts["edit"] or not parts["test"]:
                raise DataError(
                    f"{root}: domain {dom}, class {c}: the edit pool and the test set must both be non-empty"
                )
            edit_files += parts["edit"]
            test_files += parts["test"]
        pools[dom] = as_set(edit_files)
        shifted[dom] = as_set(test_files)
    for k in ("train", "test"):
        if not src[k]:
            raise DataError(f"{root}: the source {k} split is empty")
    data = MicrographData(
        classes,
        as_set(src["train"]),
        as_set(src["val"]),
        as_set(src["test"]),
        shifted,
        pools,
        f"image folder {root} ({len(entries)} files, {len(classes)} classes, shifted domains "
        f"{sorted(shifted) or 'none'}" + (f", tiles {opts.tile} px" if opts.tile else "") + ")",
        str(root),
        tiles,
        tuple(warnings),
    )
    if progress is not None:
        progress(1.0, "loaded")
    return data


@dataclass(frozen=True)
class DataRef:
    """Which data set a job uses: ``kind="default"`` (the embedded default, :class:`DefaultData`)
    or ``kind="folder"`` (a user's folder at ``path`` read with ``options``)."""

    kind: str = "default"
    path: str = ""
    options: FolderOptions = FolderOptions()
    default: DefaultData = DefaultData()

    def label(self) -> str:
        return "embedded default" if self.kind == "default" else str(self.path)


def load_data(
    ref: DataRef, check: Callable[[], None] | None = None, progress: Callable[[float, str], None] | None = None
) -> MicrographData:
    """The data set ``ref`` names (the default is cached per process)."""
    if ref.kind == "default":
        return default_data(ref.default)
    if ref.kind == "folder":
        if not ref.path:
            raise DataError("no folder given: choose the folder holding source/ (and the shifted domains)")
        return load_folder(ref.path, ref.options, check=check, progress=progress)
    raise DataError(f"unknown data kind {ref.kind!r}; use 'default' or 'folder'")
