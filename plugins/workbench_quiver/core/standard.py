"""Standard quivers of every supported mutation type (gallery and ``class --type``).

Labels (see docs/quiver.md): ``A{n}``, ``D{n}``, ``E6``-``E8``, ``A~{p},{q}`` (p >= q >= 1,
p + q vertices, p arrows clockwise and q anticlockwise around an unoriented cycle; A~1,1 is
the Kronecker quiver, a double arrow), ``D~{n}`` (n + 1 vertices, n >= 4), ``E~6``-``E~8``,
``E6^(1,1)``-``E8^(1,1)`` (Saito's elliptic types), ``X6``, ``X7`` (Derksen-Owen).  SageMath's
names are accepted too (``['D', 6, 1]``, ``['A', [2, 3], 1]``, ``['E', 6, [1, 1]]``, ...:
:mod:`.sage_types`).
"""

from __future__ import annotations

import re

import numpy as np

from .keller import keller_quiver, parse_keller_label


def _empty(n: int) -> np.ndarray:
    return np.zeros((n, n), dtype=np.int64)


def _arrow(b: np.ndarray, i: int, j: int, mult: int = 1) -> None:
    b[i, j] += mult
    b[j, i] -= mult


def path_quiver(n: int) -> np.ndarray:
    """Linearly oriented A_n: 0 -> 1 -> ... -> n-1."""
    b = _empty(n)
    for i in range(n - 1):
        _arrow(b, i, i + 1)
    return b


def tree_quiver(arms: tuple[int, ...]) -> np.ndarray:
    """Star-shaped tree: centre 0 and arms of the given numbers of vertices, every arrow
    oriented away from the centre."""
    n = 1 + sum(arms)
    b = _empty(n)
    v = 1
    for length in arms:
        prev = 0
        for _ in range(length):
            _arrow(b, prev, v)
            prev = v
            v += 1
    return b


def d_quiver(n: int) -> np.ndarray:
    """D_n (n >= 4): path 0 -> ... -> n-3 and two leaves n-2, n-1 at vertex n-3."""
    if n < 4:
        raise ValueError(f"D{n}: D_n needs n >= 4 (D3 = A3)")
    b = _empty(n)
    for i in range(n - 3):
        _arrow(b, i, i + 1)
    _arrow(b, n - 3, n - 2)
    _arrow(b, n - 3, n - 1)
    return b


def affine_a_quiver(p: int, q: int) -> np.ndarray:
    """A~(p,q): an unoriented cycle on p + q vertices, p arrows one way, q the other."""
    if p < 1 or q < 1:
        raise ValueError(f"A~{p},{q}: needs p >= 1 and q >= 1")
    n = p + q
    b = _empty(n)
    if n == 2:
        _arrow(b, 0, 1, 2)
        return b
    for i in range(n):
        j = (i + 1) % n
        if i < p:
            _arrow(b, i, j)
        else:
            _arrow(b, j, i)
    return b


def affine_d_quiver(n: int) -> np.ndarray:
    """D~_n (n >= 4, n + 1 vertices): a path c_1 .. c_{n-3} with two leaves at each end."""
    if n < 4:
        raise ValueError(f"D~{n}: needs n >= 4")
    k = n - 3
    b = _empty(n + 1)
    for i in range(k - 1):
        _arrow(b, i, i + 1)
    _arrow(b, k, 0)
    _arrow(b, k + 1, 0)
    _arrow(b, k - 1, k + 2)
    _arrow(b, k - 1, k + 3)
    return b


def elliptic_quiver(arms: tuple[int, int, int]) -> np.ndarray:
    """E^(1,1) type: the tree T(arms) with its centre doubled into c => c' (double arrow);
    the first vertex a of every arm closes an oriented triangle c -> c' -> a -> c, and the
    rest of the arm hangs off a as a path."""
    n = 2 + sum(arms)
    b = _empty(n)
    _arrow(b, 0, 1, 2)
    v = 2
    for length in arms:
        first = v
        _arrow(b, 1, first)
        _arrow(b, first, 0)
        prev = first
        v += 1
        for _ in range(length - 1):
            _arrow(b, prev, v)
            prev = v
            v += 1
    return b


def x_quiver(n: int) -> np.ndarray:
    """Derksen-Owen X6 / X7: a centre 0 with (n-1)//2 triangles 0 -> x => y -> 0 (double arrow
    x => y) and, for X6, one more simple arrow 0 -> leaf."""
    if n not in (6, 7):
        raise ValueError("X type exists only for 6 and 7 vertices")
    b = _empty(n)
    v = 1
    for _ in range(3 if n == 7 else 2):
        _arrow(b, 0, v)
        _arrow(b, v, v + 1, 2)
        _arrow(b, v + 1, 0)
        v += 2
    if n == 6:
        _arrow(b, 0, v)
    return b


_LABEL = re.compile(r"^(A|D|E|A~|D~|E~|X)(\d+)(?:,(\d+))?(\^\(1,1\))?$")


def parse_label(label: str) -> tuple[str, tuple[int, ...]]:
    """Split a type label into (family, parameters); raises ValueError for unknown labels."""
    s = label.strip().replace(" ", "")
    m = _LABEL.match(s)
    if not m:
        raise ValueError(
            f"unknown quiver type label {label!r}: use A{{n}}, D{{n}}, E6..E8, A~{{p}},{{q}}, D~{{n}}, "
            "E~6..E~8, E6^(1,1)..E8^(1,1), X6, X7, or Sage's notation such as ['D', 6, 1]"
        )
    letter, a, b2, ell = m.groups()
    if ell:
        if letter != "E" or b2 is not None:
            raise ValueError(f"unknown elliptic label {label!r}: only E6^(1,1), E7^(1,1), E8^(1,1)")
        return "E^(1,1)", (int(a),)
    if letter == "A~":
        if b2 is None:
            raise ValueError(f"A~ needs two parameters, e.g. A~3,2 (got {label!r})")
        return "A~", (int(a), int(b2))
    if b2 is not None:
        raise ValueError(f"label {label!r} takes one parameter")
    return letter, (int(a),)


def normalise_label(label: str) -> str:
    """The label in this workbench's spelling (``A~2,3`` -> ``A~3,2``; Sage's ``['D', 6, 1]`` -> ``D~6``)."""
    from .sage_types import looks_like_sage, parse_sage_type

    if isinstance(label, str) and looks_like_sage(label):
        t = parse_sage_type(label)
        if t.label is None:
            raise ValueError(f"Sage type {t} has no label here (it is not one of the enumerated families)")
        if t.label.startswith("Tri"):
            return t.label
        label = t.label
    family, params = parse_label(label)
    if family == "A~":
        p, q = max(params), min(params)
        return f"A~{p},{q}"
    if family == "E^(1,1)":
        return f"E{params[0]}^(1,1)"
    return f"{family}{params[0]}"


def standard_quiver(label: str) -> np.ndarray:
    """The standard (gallery) exchange matrix of a type label, e.g. ``"D~7"`` or ``"A~3,2"``.

    Keller's "New quiver" families (:mod:`.keller`) are accepted too: ``Tri{s}`` (triangle of
    side length ``s``) and ``Gr({k},{n})`` (Grassmannian, with its ``n`` frozen vertices as the
    last rows, so that matrix is ``(n_mutable + n) x n_mutable``), and Sage's names of mutation
    types (``['E', 6, [1, 1]]``, :func:`.sage_types.parse_sage_type`).
    """
    from .sage_types import looks_like_sage, parse_sage_type

    if isinstance(label, str) and looks_like_sage(label):
        return parse_sage_type(label).matrix()
    if isinstance(label, str) and parse_keller_label(label) is not None:
        return keller_quiver(label)
    family, params = parse_label(label)
    k = params[0]
    if family == "A":
        if k < 1:
            raise ValueError("A_n needs n >= 1")
        return path_quiver(k)
    if family == "D":
        return d_quiver(k)
    if family == "E":
        if k not in (6, 7, 8):
            raise ValueError(f"E{k} does not exist: E6, E7, E8")
        return tree_quiver((1, 2, k - 4))
    if family == "A~":
        return affine_a_quiver(max(params), min(params))
    if family == "D~":
        return affine_d_quiver(k)
    if family == "E~":
        arms = {6: (2, 2, 2), 7: (1, 3, 3), 8: (1, 2, 5)}.get(k)
        if arms is None:
            raise ValueError(f"E~{k} does not exist: E~6, E~7, E~8")
        return tree_quiver(arms)
    if family == "E^(1,1)":
        arms = {6: (2, 2, 2), 7: (1, 3, 3), 8: (1, 2, 5)}.get(k)
        if arms is None:
            raise ValueError(f"E{k}^(1,1) does not exist: E6^(1,1), E7^(1,1), E8^(1,1)")
        return elliptic_quiver(arms)
    if family == "X":
        return x_quiver(k)
    raise ValueError(f"no standard quiver for {label!r}")


def gallery_labels(max_n: int = 12) -> list[str]:
    """Labels offered by the editor gallery (small representatives of every family)."""
    out = [f"A{n}" for n in range(1, max_n + 1)] + [f"D{n}" for n in range(4, max_n + 1)]
    out += ["E6", "E7", "E8"]
    out += [f"A~{p},{q}" for n in range(2, max_n + 1) for q in range(1, n // 2 + 1) for p in [n - q]]
    out += [f"D~{n}" for n in range(4, max_n)]
    out += ["E~6", "E~7", "E~8", "E6^(1,1)", "E7^(1,1)", "E8^(1,1)", "X6", "X7"]
    return out
