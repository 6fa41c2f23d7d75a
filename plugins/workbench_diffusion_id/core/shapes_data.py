"""The generated captioned image data set of the embedded default text-to-image model.

Each image (32 x 32 RGB, uint8) holds one to three flat shapes on a plain background; its
caption says what is drawn, in compositional English of varied length, or (a fraction of the
time) in deliberately ungrammatical or nonsense form, so that prompts of very different
perplexity describe comparable images.

Attributes: shape (circle, square, triangle, cross), colour (8 named colours), size (small,
large), texture (plain, striped, checkered), position (a 3 x 3 grid: top left ... bottom right),
count (one, two, three of a kind), a second object of another kind ("a red circle and a blue
square"), a vertical relation ("a red circle above a blue square"), background (black, gray).

Rendering: 4x supersampled masks (128 x 128) box-filtered to 32 x 32, so edges are
antialiased.  Everything is drawn from ``numpy.random.Generator(seed)``: the same seed gives
the same images and captions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 32
SUPER = 4
SHAPES = ("circle", "square", "triangle", "cross")
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "cross": "crosses"}
COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 180, 40),
    "blue": (40, 70, 230),
    "yellow": (235, 220, 40),
    "purple": (150, 50, 190),
    "orange": (245, 140, 20),
    "white": (240, 240, 240),
    "cyan": (40, 210, 220),
}
BACKGROUNDS = {"black": (0, 0, 0), "gray": (110, 110, 110)}
SIZES = {"small": 0.14, "large": 0.24}  # half-extent as a fraction of the image side
TEXTURES = ("plain", "striped", "checkered")
#: (row, column) of each named cell of the 3 x 3 grid
POSITIONS = {
    "top left": (0, 0),
    "top": (0, 1),
    "top right": (0, 2),
    "left": (1, 0),
    "center": (1, 1),
    "right": (1, 2),
    "bottom left": (2, 0),
    "bottom": (2, 1),
    "bottom right": (2, 2),
}
NUMBERS = {1: "one", 2: "two", 3: "three"}
NONSENSE = ("blorp", "zint", "quoxa", "frell", "mib", "snarg", "vool", "krit", "plim", "zorb")


@dataclass(frozen=True)
class Item:
    """One drawn object: kind, colour name, size name, texture, centre (fractions of the side)."""

    shape: str
    colour: str
    size: str
    texture: str
    cx: float
    cy: float


def _mask(item: Item, n: int) -> np.ndarray:
    """A boolean n x n mask of ``item`` (n = SIZE * SUPER)."""
    yy, xx = np.mgrid[0:n, 0:n] + 0.5
    cx, cy = item.cx * n, item.cy * n
    r = SIZES[item.size] * n
    dx, dy = xx - cx, yy - cy
    if item.shape == "circle":
        return dx * dx + dy * dy <= r * r
    if item.shape == "square":
        s = r * 0.85
        return (np.abs(dx) <= s) & (np.abs(dy) <= s)
    if item.shape == "triangle":
        # apex up: inside when below the two slanted edges and above the base
        h = r * 1.0
        return (dy <= h * 0.75) & (dy >= -h) & (np.abs(dx) <= (dy + h) * 0.62)
    if item.shape == "cross":
        w = r * 0.36
        return ((np.abs(dx) <= r) & (np.abs(dy) <= w)) | ((np.abs(dy) <= r) & (np.abs(dx) <= w))
    raise ValueError(f"unknown shape {item.shape!r}")


def _texture(item: Item, n: int) -> np.ndarray:
    """Per-pixel brightness factor of the texture (1 = the colour itself)."""
    yy, xx = np.mgrid[0:n, 0:n]
    period = 2 * SUPER * (2 if item.size == "large" else 1)
    if item.texture == "striped":
        return np.where((yy // period) % 2 == 0, 1.0, 0.35)
    if item.texture == "checkered":
        return np.where(((yy // period) + (xx // period)) % 2 == 0, 1.0, 0.35)
    return np.ones((n, n))


def render(items: list[Item], background: str = "black") -> np.ndarray:
    """The 32 x 32 x 3 uint8 image of ``items`` drawn in order on ``background``."""
    n = SIZE * SUPER
    img = np.empty((n, n, 3), dtype=np.float64)
    img[:] = BACKGROUNDS[background]
    for it in items:
        m = _mask(it, n)
        col = np.asarray(COLOURS[it.colour], dtype=np.float64)
        img[m] = (_texture(it, n)[..., None] * col)[m]
    small = img.reshape(SIZE, SUPER, SIZE, SUPER, 3).mean(axis=(1, 3))
    return np.clip(np.round(small), 0, 255).astype(np.uint8)


def _cell_centre(
    cell: tuple[int, int], rng: np.random.Generator, size: str = "small", jitter: float = 0.03
) -> tuple[float, float]:
    """Centre of a grid cell, jittered, pulled in so that a shape of ``size`` stays inside."""
    r, c = cell
    m = SIZES[size] + 0.02
    cx = (c + 0.5) / 3 + rng.uniform(-jitter, jitter)
    cy = (r + 0.5) / 3 + rng.uniform(-jitter, jitter)
    return float(np.clip(cx, m, 1 - m)), float(np.clip(cy, m, 1 - m))


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _phrase(it: Item, rng: np.random.Generator, *, with_size: bool, with_texture: bool) -> list[str]:
    words = []
    if with_size:
        words.append(it.size)
    if with_texture and it.texture != "plain":
        words.append(it.texture)
    words += [it.colour, it.shape]
    return words


_WHERE = ("in the", "at the", "on the")


def _position_words(name: str, rng: np.random.Generator) -> list[str]:
    if name == "center":
        return list(rng.choice(["in the center", "in the middle", "at the center"]).split())
    prep = str(rng.choice(_WHERE))
    tail = " corner" if " " in name and rng.random() < 0.3 else ""
    return (prep + " " + name + tail).split()


def _garble(words: list[str], rng: np.random.Generator) -> list[str]:
    """An ungrammatical or nonsense variant of a caption: shuffled order, dropped function
    words, inserted nonsense words, duplicated words or letter typos."""
    kind = rng.integers(0, 5)
    w = list(words)
    if kind == 0:
        rng.shuffle(w)
    elif kind == 1:
        w = [x for x in w if x not in ("a", "an", "the", "in", "at", "on", "and", "of")] or w
        if rng.random() < 0.5:
            rng.shuffle(w)
    elif kind == 2:
        for _ in range(rng.integers(1, 4)):
            w.insert(int(rng.integers(0, len(w) + 1)), str(rng.choice(NONSENSE)))
    elif kind == 3:
        i = int(rng.integers(0, len(w)))
        w = w[: i + 1] + [w[i]] * int(rng.integers(1, 3)) + w[i + 1 :]
    else:
        i = int(rng.integers(0, len(w)))
        if len(w[i]) > 3:
            chars = list(w[i])
            j = int(rng.integers(0, len(chars) - 1))
            chars[j], chars[j + 1] = chars[j + 1], chars[j]
            w[i] = "".join(chars)
        w.append(str(rng.choice(NONSENSE)))
    return w


def sample(
    rng: np.random.Generator, garble_fraction: float = 0.15, draw: bool = True
) -> tuple[np.ndarray | None, str, dict[str, object]]:
    """One ``(image, caption, attributes)`` triple (``image`` None when not ``draw``; the random
    draws, hence the captions, are the same either way)."""
    bg = "black" if rng.random() < 0.8 else "gray"
    cells = list(POSITIONS)
    kind = rng.choice(["single", "single", "single", "count", "pair", "relation"])
    items: list[Item] = []
    words: list[str]
    if kind == "single":
        pos = str(rng.choice(cells))
        size = str(rng.choice(list(SIZES)))
        it = Item(
            str(rng.choice(SHAPES)),
            str(rng.choice(list(COLOURS))),
            size,
            str(rng.choice(TEXTURES, p=[0.6, 0.2, 0.2])),
            *_cell_centre(POSITIONS[pos], rng, size),
        )
        items.append(it)
        with_size, with_tex = rng.random() < 0.7, rng.random() < 0.8
        adj = _phrase(it, rng, with_size=with_size, with_texture=with_tex)
        words = [_article(adj[0])] + adj
        if rng.random() < 0.85:
            words += _position_words(pos, rng)
    elif kind == "count":
        k = int(rng.integers(2, 4))
        shape, colour = str(rng.choice(SHAPES)), str(rng.choice(list(COLOURS)))
        chosen = rng.choice(len(cells), size=k, replace=False)
        for ci in chosen:
            items.append(Item(shape, colour, "small", "plain", *_cell_centre(POSITIONS[cells[ci]], rng)))
        words = (
            [NUMBERS[k], "small", colour, PLURAL[shape]] if rng.random() < 0.4 else [NUMBERS[k], colour, PLURAL[shape]]
        )
    elif kind == "pair":
        a, b = rng.choice(len(cells), size=2, replace=False)
        sa, sb = rng.choice(SHAPES, size=2, replace=False)
        ca, cb = rng.choice(list(COLOURS), size=2, replace=False)
        ia = Item(str(sa), str(ca), "small", "plain", *_cell_centre(POSITIONS[cells[a]], rng))
        ib = Item(str(sb), str(cb), "small", "plain", *_cell_centre(POSITIONS[cells[b]], rng))
        items += [ia, ib]
        words = ["a", str(ca), str(sa)]
        if rng.random() < 0.5:
            words += _position_words(cells[a], rng)
        words += ["and", _article(str(cb)), str(cb), str(sb)]
        if rng.random() < 0.5:
            words += _position_words(cells[b], rng)
    else:
        col = int(rng.integers(0, 3))
        sa, sb = rng.choice(SHAPES, size=2, replace=False)
        ca, cb = rng.choice(list(COLOURS), size=2, replace=False)
        ia = Item(str(sa), str(ca), "small", "plain", *_cell_centre((0, col), rng))
        ib = Item(str(sb), str(cb), "small", "plain", *_cell_centre((2, col), rng))
        items += [ia, ib]
        if rng.random() < 0.5:
            words = ["a", str(ca), str(sa), "above", _article(str(cb)), str(cb), str(sb)]
        else:
            words = ["a", str(cb), str(sb), "below", _article(str(ca)), str(ca), str(sa)]
    if bg == "gray" and rng.random() < 0.7:
        words += ["on", "a", "gray", "background"]
    if rng.random() < 0.15:
        words = str(rng.choice(["a picture of", "an image of", "a drawing of"])).split() + words
    garbled = rng.random() < garble_fraction
    if garbled:
        words = _garble(words, rng)
    attrs = {
        "kind": str(kind),
        "background": bg,
        "garbled": bool(garbled),
        "items": [(i.shape, i.colour, i.size, i.texture) for i in items],
    }
    return (render(items, bg) if draw else None), " ".join(words), attrs


def make_dataset(n: int, seed: int, garble_fraction: float = 0.15) -> tuple[np.ndarray, list[str]]:
    """``n`` images ``(n, 32, 32, 3)`` uint8 and their captions, from ``seed``."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, SIZE, SIZE, 3), dtype=np.uint8)
    captions = []
    for i in range(n):
        img, cap, _ = sample(rng, garble_fraction)
        assert img is not None
        images[i] = img
        captions.append(cap)
    return images, captions


def caption_corpus(n: int, seed: int, garble_fraction: float = 0.0) -> list[str]:
    """Captions only (for the language model), grammatical unless ``garble_fraction`` > 0."""
    rng = np.random.default_rng(seed)
    return [sample(rng, garble_fraction, draw=False)[1] for _ in range(n)]


#: prompts of the paper-style experiment on the embedded default, from plain to nonsense
DEMO_PROMPTS = (
    "a red circle",
    "a large blue square in the center",
    "two green triangles",
    "a small yellow cross in the top left corner",
    "a red circle above a blue square",
    "a large striped purple circle on a gray background",
    "three small white squares",
    "a cyan triangle in the bottom right and an orange circle in the top left",
    "circle red the top in left",
    "square blue large center the in the",
    "blorp zint a green quoxa triangle",
    "frell mib snarg vool krit plim",
)
