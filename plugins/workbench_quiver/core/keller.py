"""Keller's "New quiver" families: triangle quivers and Grassmannian quivers (Qt-free).

Bernhard Keller's quiver mutation applet (https://webusers.imj-prg.fr/~bernhard.keller/quivermutation/)
offers, besides the Dynkin and affine types, a "New quiver" menu with parametrised families.
Two of them are built here as exchange matrices in this package's convention (SageMath's: an
``(n + m) x n`` integer matrix, ``b[i, j] > 0`` meaning ``b[i, j]`` arrows ``i -> j``, frozen
vertices as the last ``m`` rows; see :mod:`.quiver`):

* :func:`triangle_quiver` -- the *triangle* of side length ``s``: the ``s (s + 1) / 2``
  lattice points of a triangle cut into ``(s - 1)**2`` small triangles, every small triangle an
  oriented 3-cycle.  Side 2 is an oriented triangle (type A3), side 3 is mutation-equivalent to
  D6, side 4 to Saito's elliptic E8^(1,1) (5,739 quivers up to isomorphism in its class),
  side >= 5 is mutation-infinite.
* :func:`grassmannian_quiver` -- the quiver of the "rectangles" seed of the Plücker cluster
  structure on the homogeneous coordinate ring of the Grassmannian Gr(k, n) (J. Scott,
  "Grassmannians and cluster algebras", Proc. LMS 92 (2006); Fomin-Williams-Zelevinsky,
  "Introduction to cluster algebras", ch. 6): ``(k - 1)(n - k - 1)`` mutable and ``n`` frozen
  vertices.  Its mutable part is the mutable part of SageMath's ``ClusterQuiver(['GR', [k, n]])``:
  Gr(2, n) is of type A_{n-3}, Gr(3, 6) D4, Gr(3, 7) E6, Gr(3, 8) E8, Gr(3, 9) and Gr(4, 8) are
  elliptic (E8^(1,1), E7^(1,1)), the rest mutation-infinite.

Labels (accepted by :func:`.standard.standard_quiver`): ``Tri{s}`` (also ``triangle{s}``) and
``Gr({k},{n})`` (also ``Gr{k},{n}``).
"""

from __future__ import annotations

import re

import numpy as np

from workbench.errors import InputError

TRIANGLE_MAX_SIDE = 40
GRASSMANNIAN_MAX_N = 60

_TRI = re.compile(r"^(?:tri|triangle)(\d+)$", re.IGNORECASE)
_GR = re.compile(r"^gr\(?(\d+),(\d+)\)?$", re.IGNORECASE)


def triangle_vertices(s: int) -> list[tuple[int, int]]:
    """The lattice points ``(i, j)``, ``i, j >= 0``, ``i + j <= s - 1`` of the triangle of side
    length ``s`` (``s`` points on every side), in the vertex order of :func:`triangle_quiver`."""
    return [(i, j) for i in range(s) for j in range(s - i)]


def triangle_quiver(s: int) -> np.ndarray:
    """The triangle quiver of side length ``s`` (Keller's applet, "New quiver" > "Triangle").

    Vertices are the points ``(i, j)`` with ``i + j <= s - 1`` (``s (s + 1) / 2`` of them, see
    :func:`triangle_vertices`); the arrows are ``(i, j) -> (i + 1, j)``, ``(i + 1, j) -> (i, j + 1)``
    and ``(i, j + 1) -> (i, j)`` wherever both ends exist, so every one of the ``(s - 1)**2`` small
    triangles (pointing up or down) is an oriented 3-cycle.  No frozen vertices: the result is a
    skew-symmetric ``N x N`` matrix, ``N = s (s + 1) / 2``.

    Raises ``ValueError`` unless ``1 <= s <= TRIANGLE_MAX_SIDE``.
    """
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
        raise InputError(f"triangle quiver: side length must be an integer, got {s!r}")
    s = int(s)
    if s < 1 or s > TRIANGLE_MAX_SIDE:
        raise InputError(f"triangle quiver: side length must be between 1 and {TRIANGLE_MAX_SIDE}, got {s}")
    verts = triangle_vertices(s)
    index = {v: r for r, v in enumerate(verts)}
    b = np.zeros((len(verts), len(verts)), dtype=np.int64)

    def arrow(p: tuple[int, int], q: tuple[int, int]) -> None:
        if p in index and q in index:
            b[index[p], index[q]] += 1
            b[index[q], index[p]] -= 1

    for i, j in verts:
        arrow((i, j), (i + 1, j))
        arrow((i + 1, j), (i, j + 1))
        arrow((i, j + 1), (i, j))
    # each edge lies in one direction class, so it was added exactly once
    return b


def triangle_positions(s: int) -> np.ndarray:
    """Editor coordinates (arbitrary units, y down) of :func:`triangle_quiver`: an equilateral
    triangle, apex at the top."""
    verts = triangle_vertices(s)
    h = np.sqrt(3.0) / 2.0
    return np.array([[100.0 * (i + 0.5 * j - 0.5 * (s - 1)), -100.0 * h * j] for i, j in verts], dtype=float)


def _check_grassmannian(k: int, n: int) -> tuple[int, int]:
    for name, v in (("k", k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise InputError(f"Grassmannian Gr(k, n): {name} must be an integer, got {v!r}")
    k, n = int(k), int(n)
    if n > GRASSMANNIAN_MAX_N:
        raise InputError(f"Grassmannian Gr({k}, {n}): n must be at most {GRASSMANNIAN_MAX_N}")
    if k < 2 or n - k < 2:
        raise InputError(f"Grassmannian Gr({k}, {n}): needs 2 <= k <= n - 2 (otherwise there is no mutable vertex)")
    return k, n


def grassmannian_vertices(k: int, n: int) -> list[tuple[int, int]]:
    """The vertices of :func:`grassmannian_quiver` in its order: the ``i x j`` rectangles
    ``(i, j)`` (``1 <= i <= k``, ``1 <= j <= n - k``) with the mutable ones (``i < k`` and
    ``j < n - k``) first, row by row, then the frozen ones ``(k, j)``, ``(i, n - k)`` and last the
    empty diagram ``(0, 0)``."""
    k, n = _check_grassmannian(k, n)
    m = n - k
    mutable = [(i, j) for i in range(1, k) for j in range(1, m)]
    frozen = [(k, j) for j in range(1, m + 1)] + [(i, m) for i in range(k - 1, 0, -1)] + [(0, 0)]
    return mutable + frozen


def rectangle_subset(k: int, n: int, i: int, j: int) -> tuple[int, ...]:
    """The k-subset of ``{1..n}`` (the Plücker coordinate) of the ``i x j`` rectangle Young
    diagram in the ``k x (n - k)`` box: ``{1..k-i} ∪ {k-i+1+j .. k+j}``; ``i = 0`` or ``j = 0`` is
    the empty diagram ``{1..k}``."""
    if i == 0 or j == 0:
        return tuple(range(1, k + 1))
    return tuple(range(1, k - i + 1)) + tuple(range(k - i + 1 + j, k + j + 1))


def grassmannian_quiver(k: int, n: int) -> np.ndarray:
    """The rectangles-seed quiver of the cluster algebra of Gr(k, n) (Scott 2006).

    Vertices are the rectangles ``i x j`` in a ``k x (n - k)`` box (order in
    :func:`grassmannian_vertices`): on the grid ``0 <= i <= k``, ``0 <= j <= n - k`` the arrows are
    ``(i, j) -> (i, j + 1)``, ``(i, j) -> (i + 1, j)`` and ``(i + 1, j + 1) -> (i, j)``, and every
    point with ``i = 0`` or ``j = 0`` is the one vertex "empty diagram" (arrows between the
    identified points cancel or are dropped).  The ``(k - 1)(n - k - 1)`` rectangles with
    ``i < k`` and ``j < n - k`` are mutable; the ``n`` others (the cyclic intervals of ``{1..n}``)
    are frozen, the last ``n`` rows of the returned ``((k-1)(n-k-1) + n) x (k-1)(n-k-1)`` matrix
    (frozen-frozen arrows are not recorded).  Every exchange relation of this seed is a
    homogeneous relation among Plücker coordinates (:func:`rectangle_subset`).

    Raises ``ValueError`` unless ``2 <= k <= n - 2`` and ``n <= GRASSMANNIAN_MAX_N``.
    """
    verts = grassmannian_vertices(k, n)
    m = n - k
    index = {v: r for r, v in enumerate(verts)}

    def where(p: tuple[int, int]) -> int | None:
        i, j = p
        if not (0 <= i <= k and 0 <= j <= m):
            return None
        return index[(0, 0)] if i == 0 or j == 0 else index[p]

    total = len(verts)
    s = np.zeros((total, total), dtype=np.int64)
    for i in range(k + 1):
        for j in range(m + 1):
            for p, q in (((i, j), (i, j + 1)), ((i, j), (i + 1, j)), ((i + 1, j + 1), (i, j))):
                a, c = where(p), where(q)
                if a is None or c is None or a == c:
                    continue
                s[a, c] += 1
                s[c, a] -= 1
    n_mut = (k - 1) * (m - 1)
    return s[:, :n_mut].copy()


def grassmannian_positions(k: int, n: int) -> np.ndarray:
    """Editor coordinates (arbitrary units, y down) of :func:`grassmannian_quiver`: rectangle
    ``(i, j)`` at column ``j``, row ``i``; the empty diagram at the top-left corner."""
    return np.array([[100.0 * j, 100.0 * i] for i, j in grassmannian_vertices(k, n)], dtype=float)


def parse_keller_label(label: str) -> tuple[str, tuple[int, ...]] | None:
    """``("triangle", (s,))`` or ``("Gr", (k, n))`` for a Keller family label, ``None`` for any
    other label (the parameters are not range-checked here)."""
    t = label.strip().replace(" ", "")
    if m := _TRI.match(t):
        return "triangle", (int(m.group(1)),)
    if m := _GR.match(t):
        return "Gr", (int(m.group(1)), int(m.group(2)))
    return None


def keller_quiver(label: str) -> np.ndarray:
    """The exchange matrix of a Keller family label (``Tri4``, ``Gr(3,7)``); ``ValueError`` for
    other labels or bad parameters."""
    parsed = parse_keller_label(label)
    if parsed is None:
        raise InputError(f"{label!r} is not a Keller family label: use Tri{{s}} or Gr({{k}},{{n}})")
    family, params = parsed
    if family == "triangle":
        return triangle_quiver(params[0])
    return grassmannian_quiver(*params)


def keller_positions(label: str) -> np.ndarray | None:
    """Lattice positions for a Keller family label, ``None`` for any other label."""
    parsed = parse_keller_label(label)
    if parsed is None:
        return None
    family, params = parsed
    if family == "triangle":
        triangle_quiver(params[0])  # range check
        return triangle_positions(params[0])
    return grassmannian_positions(*params)
