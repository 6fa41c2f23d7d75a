"""Inputs for activations: the default data of each model family and users' own files.

* digits: scikit-learn's bundled 8 x 8 digits (1797 images, no download), pixels / 16 in
  [0, 1], split 70/30 with a fixed seed;
* text: the grammar corpus (:mod:`.corpus`) with a held-out seed, or a user's UTF-8 text file;
* images: a folder of image files, converted to 8 x 8 grey levels like the digits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .corpus import encode, generate_text, text_windows, windows

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".pgm", ".ppm")
#: seed of the held-out text used as default comparison data (training uses seed 0)
EVAL_TEXT_SEED = 12345
#: sentences of grammar text (seed 0) the zoo's language models were trained on
LM_TRAIN_SENTENCES = 20000
#: context length of the zoo's language models (characters)
LM_CONTEXT = 48


def digits_split(seed: int = 0, test_fraction: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): float32 pixels in [0, 1], int64 labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(x))
    k = int(round(len(x) * (1 - test_fraction)))
    tr, te = perm[:k], perm[k:]
    return x[tr], y[tr], x[te], y[te]


def lm_windows() -> tuple[np.ndarray, np.ndarray]:
    """(train, test) windows of ``LM_CONTEXT + 1`` token ids the zoo's language models use.

    train: 20,000 random windows of :data:`LM_TRAIN_SENTENCES` grammar sentences (seed 0);
    test: 1,000 random windows of 2,000 held-out sentences (seed :data:`EVAL_TEXT_SEED`).
    Deterministic: the same arrays on every call (training, stitching and mode connectivity
    all see the same data).
    """
    train_ids = encode(generate_text(LM_TRAIN_SENTENCES, 0))
    test_ids = encode(generate_text(2000, EVAL_TEXT_SEED))
    return windows(train_ids, LM_CONTEXT, 20000, 0), windows(test_ids, LM_CONTEXT, 1000, 1)


def default_text_windows(ctx: int, n: int) -> np.ndarray:
    """``n`` consecutive windows of ``ctx`` characters of held-out grammar text."""
    text = generate_text(max(200, n * ctx // 20), EVAL_TEXT_SEED)
    return text_windows(text, ctx, n)


def load_text_file(path: str | Path, ctx: int, max_windows: int) -> np.ndarray:
    """Windows of ``ctx`` characters from a UTF-8 text file (clear errors for missing/empty/binary files)."""
    from workbench.errors import InputError, read_text

    p = Path(path)
    if not p.is_file():
        raise InputError(f"text file {p} does not exist")
    text = read_text(p, "text file (one input per line)")
    if not text.strip():
        raise InputError(f"{p} is empty")
    return text_windows(text, ctx, max_windows)


def load_image_folder(path: str | Path, size: int = 8, max_images: int = 2000) -> np.ndarray:
    """Images of a folder as ``[n, size*size]`` float32 in [0, 1] (grey, bright strokes on dark,
    like the digits: images with a bright background are inverted)."""
    from PIL import Image

    from workbench.errors import InputError
    from workbench.image_files import open_image

    p = Path(path)
    if not p.is_dir():
        raise InputError(f"image folder {p} does not exist")
    files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)[:max_images]
    if not files:
        raise InputError(f"{p} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
    out = []
    for f in files:
        im = open_image(f, "L")  # InputError naming the file: bombs, corrupt, truncated
        g = np.asarray(im.resize((size, size), Image.Resampling.BILINEAR), np.float32) / 255.0
        if g.mean() > 0.5:
            g = 1.0 - g
        out.append(g.reshape(-1))
    return np.stack(out)


__all__ = ["digits_split", "lm_windows", "default_text_windows", "load_text_file", "load_image_folder", "encode"]
