"""SageMath's names of quiver mutation types, both ways (Qt-free).

Sage writes a mutation type as ``QuiverMutationType`` prints it: ``['A', 5]``, ``['D', 6]``,
``['E', 8]``, affine ``['A', [2, 3], 1]`` (p + q vertices on a cycle), ``['D', 5, 1]``,
``['E', 6, 1]``, elliptic ``['E', 6, [1, 1]]`` (Saito's notation), ``['X', 6]``, the triangle
``['TR', n]``, the Grassmannian ``['GR', [k, n]]`` (its mutable part, no coefficients), the
T-shaped tree ``['T', [r, p, q]]`` (arms counted with the branch point), rank two
``['R2', [b, c]]``, ``['E', n]`` for n >= 9, and reducible types ``[ ['A', 1], ['A', 1] ]``.
:func:`parse_sage_type` reads that notation (also with tuples, double quotes, or wrapped as
``QuiverMutationType(...)`` / ``ClusterQuiver(...)`` / ``ClusterSeed(...)``, or as Sage's
argument form ``'A', [2, 3], 1``) and applies Sage's own casting rules (``['D', 3]`` is
``['A', 3]``, ``['E', 9]`` is ``['E', 8, 1]``, ``['TR', 3]`` is ``['D', 6]``, ``['GR', [3, 7]]``
is ``['E', 6]``, ``['A', [5, 3], 1]`` is ``['A', [3, 5], 1]``, ...), as in SageMath's
``sage/combinat/cluster_algebra_quiver/quiver_mutation_type.py`` (``QuiverMutationTypeFactory``);
:func:`sage_name` writes the Sage name of one of this workbench's labels (``D~6`` ->
``['D', 6, 1]``).  Only quivers (skew-symmetric B) are built: Sage's valued types (B, C, F, G,
BB, BC, BD, CC, CD, the twisted and Macdonald forms) are refused with a message.

The text is read with :func:`ast.literal_eval` (literals only; nothing is executed).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

#: longest Sage type text accepted
MAX_TEXT = 300
#: the largest rank (number of vertices) built from a Sage type
MAX_RANK = 500

_WRAPPER = re.compile(r"^\s*(?:QuiverMutationType|ClusterQuiver|ClusterSeed)\s*\((.*)\)\s*$", re.DOTALL)
#: letters of Sage's valued (skew-symmetrizable, not skew-symmetric) types
_VALUED = ("B", "C", "F", "G", "BB", "BC", "BD", "CC", "CD", "BE", "CE")


@dataclass(frozen=True)
class SageType:
    """A mutation type in Sage's notation after Sage's casting: ``letter``, ``rank`` (an int or a
    tuple of ints), ``twist`` (``None``, an int or a pair); ``components``: the parts of a
    reducible type (then letter is ``""``)."""

    letter: str
    rank: int | tuple[int, ...] = 0
    twist: int | tuple[int, ...] | None = None
    components: tuple[SageType, ...] = ()

    def __str__(self) -> str:
        """As Sage prints it: ``['A', [3, 5], 1]``, ``[ ['A', 1], ['A', 1] ]``."""
        if self.components:
            return "[ " + ", ".join(str(c) for c in self.components) + " ]"

        def fmt(v: Any) -> str:
            return "[" + ", ".join(str(x) for x in v) + "]" if isinstance(v, tuple) else str(v)

        parts = [f"'{self.letter}'", fmt(self.rank)] + ([fmt(self.twist)] if self.twist is not None else [])
        return "[" + ", ".join(parts) + "]"

    @property
    def label(self) -> str | None:
        """This workbench's label of the type (``A5``, ``D~6``, ``A~3,2``, ``E6^(1,1)``, ``X7``,
        ``Tri5``), ``None`` when it has none (T trees, R2, GR beyond the named ones, E_n, reducible)."""
        r, t = self.rank, self.twist
        if self.components:
            return None
        if t is None and isinstance(r, int):
            if self.letter in ("A", "D") or (self.letter == "E" and r in (6, 7, 8)) or self.letter == "X":
                return f"{self.letter}{r}"
            if self.letter == "TR":
                return f"Tri{r}"
        if self.letter == "A" and t == 1 and isinstance(r, tuple):
            return f"A~{max(r)},{min(r)}"
        if self.letter in ("D", "E") and t == 1 and isinstance(r, int):
            return f"{self.letter}~{r}"
        if self.letter == "E" and t == (1, 1):
            return f"E{r}^(1,1)"
        return None

    @property
    def n_vertices(self) -> int:
        """The rank (number of vertices), from the type alone (nothing is built)."""
        if self.components:
            return sum(c.n_vertices for c in self.components)
        r, t, letter = self.rank, self.twist, self.letter
        if isinstance(r, tuple):
            if letter == "GR":
                return (r[0] - 1) * (r[1] - r[0] - 1)
            if letter == "T":
                return sum(r) - 2
            return 2 if letter == "R2" else sum(r)  # affine A: p + q
        if letter == "TR":
            return r * (r + 1) // 2
        return r + (0 if t is None else 1 if t == 1 else 2)  # affine: n + 1, elliptic: n + 2

    def matrix(self) -> np.ndarray:
        """An exchange matrix (square, skew-symmetric) of this mutation type: this workbench's
        standard quiver where the type has a label, else the quiver Sage describes."""
        from .keller import grassmannian_quiver
        from .standard import standard_quiver, tree_quiver

        if self.components:
            mats = [c.matrix() for c in self.components]
            size = sum(m.shape[0] for m in mats)
            out = np.zeros((size, size), dtype=np.int64)
            at = 0
            for m in mats:
                k = m.shape[0]
                out[at : at + k, at : at + k] = m
                at += k
            return out
        label = self.label
        if label is not None:
            return standard_quiver(label)
        r = self.rank
        if self.letter == "T" and isinstance(r, tuple):
            return tree_quiver(tuple(x - 1 for x in r))
        if self.letter == "E" and isinstance(r, int):  # E_n, n >= 10: the tree with arms 1, 2, n - 4
            return tree_quiver((1, 2, r - 4))
        if self.letter == "R2" and isinstance(r, tuple):  # b == c (checked when parsed)
            return np.array([[0, r[0]], [-r[0], 0]], dtype=np.int64)
        if self.letter == "GR" and isinstance(r, tuple):
            k, n = r
            b = grassmannian_quiver(k, n)
            return np.ascontiguousarray(b[: b.shape[1]])  # Sage's GR has no coefficients
        raise ValueError(f"Sage type {self}: no quiver is built for it here")


def _bad(text: str, why: str) -> ValueError:
    return ValueError(f"Sage mutation type {text!r}: {why}")


def _literal(text: str) -> Any:
    s = text.strip()
    m = _WRAPPER.match(s)
    if m:
        s = m.group(1).strip()
    if not s:
        raise _bad(text, "empty; write it as Sage does, e.g. ['A', 5], ['D', 5, 1] or ['E', 6, [1, 1]]")
    try:
        value = ast.literal_eval(s)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _bad(
            text, "not Sage's notation; write e.g. ['A', 5], ['A', [2, 3], 1], ['D', 5, 1], ['E', 6, [1, 1]]"
        ) from None
    if isinstance(value, str):  # a bare letter such as 'A'
        raise _bad(text, "a letter needs a rank, e.g. ['A', 5]")
    return value


def _int(text: str, v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(text, f"the {what} must be an integer (got {v!r})")
    return v


def _ints(text: str, v: Any, what: str, length: int) -> tuple[int, ...]:
    if not isinstance(v, (list, tuple)) or len(v) != length:
        raise _bad(text, f"the {what} must be a list of {length} integers (got {v!r})")
    return tuple(_int(text, x, what) for x in v)


def _irreducible(text: str, data: Any) -> SageType:
    """Sage's casting of one irreducible type (``QuiverMutationTypeFactory.__call__``)."""
    if not isinstance(data, (list, tuple)) or len(data) not in (2, 3):
        raise _bad(text, "a type is [letter, rank] or [letter, rank, twist], e.g. ['D', 6] or ['D', 6, 1]")
    letter = data[0]
    if not isinstance(letter, str) or not letter:
        raise _bad(text, f"the first entry must be the letter as a string, e.g. 'A' (got {letter!r})")
    rank, twist = data[1], data[2] if len(data) == 3 else None
    if isinstance(twist, list):
        twist = tuple(twist)
    if isinstance(rank, list):
        rank = tuple(rank)

    def done(t: SageType) -> SageType:
        if t.components or t.n_vertices <= MAX_RANK:
            return t
        raise _bad(text, f"{t.n_vertices} vertices: at most {MAX_RANK} here")

    if letter in _VALUED or (letter in ("A", "D", "E") and twist in (-1, 2, 3)):
        raise _bad(
            text,
            "a valued (skew-symmetrizable, not skew-symmetric) type: it has no quiver, and this workbench "
            "handles quivers only (letters A, D, E, X, TR, GR, T, R2)",
        )
    if letter == "A" and twist is None:
        n = _int(text, rank, "rank")
        if n < 1:
            raise _bad(text, "A_n needs n >= 1")
        return done(SageType("A", n))
    if letter == "A" and twist == 1:
        if isinstance(rank, int) and not isinstance(rank, bool):
            if rank != 1:
                raise _bad(text, "affine A is written ['A', [p, q], 1] (p + q vertices on a cycle)")
            rank = (1, 1)
        p, q = _ints(text, rank, "rank of affine A", 2)
        if min(p, q) < 0:
            raise _bad(text, "affine A needs p, q >= 0")
        if min(p, q) == 0:  # Sage: ['A', [n, 0], 1] is finite
            big = max(p, q)
            if big in (0, 2):
                raise _bad(text, "that is not an irreducible quiver type")
            return done(SageType("A", 1) if big == 1 else SageType("A", 3) if big == 3 else SageType("D", big))
        return done(SageType("A", (min(p, q), max(p, q)), 1))
    if letter == "D" and twist is None:
        n = _int(text, rank, "rank")
        if n == 2:
            return SageType("", components=(SageType("A", 1), SageType("A", 1)))
        if n == 3:
            return SageType("A", 3)
        if n < 2:
            raise _bad(text, "D_n needs n >= 2")
        return done(SageType("D", n))
    if letter == "D" and twist == 1:
        n = _int(text, rank, "rank")
        if n < 4:
            raise _bad(text, "affine D needs n >= 4 (['D', n, 1] has n + 1 vertices)")
        return done(SageType("D", n, 1))
    if letter == "E" and twist is None:
        n = _int(text, rank, "rank")
        if n == 9:
            return SageType("E", 8, 1)
        if n < 6:
            raise _bad(text, "E_n needs n >= 6")
        return done(SageType("E", n))
    if letter == "E" and twist == 1:
        n = _int(text, rank, "rank")
        if n not in (6, 7, 8):
            raise _bad(text, "affine E is ['E', 6, 1], ['E', 7, 1] or ['E', 8, 1]")
        return SageType("E", n, 1)
    if letter == "E" and isinstance(twist, tuple):
        n = _int(text, rank, "rank")
        if twist != (1, 1) or n not in (6, 7, 8):
            raise _bad(text, "the elliptic quiver types are ['E', 6, [1, 1]], ['E', 7, [1, 1]], ['E', 8, [1, 1]]")
        return SageType("E", n, (1, 1))
    if twist is not None:
        raise _bad(text, f"{letter!r} takes no twist")
    if letter == "X":
        n = _int(text, rank, "rank")
        if n not in (6, 7):
            raise _bad(text, "the Derksen-Owen types are ['X', 6] and ['X', 7]")
        return SageType("X", n)
    if letter == "TR":
        n = _int(text, rank, "rank")
        if n < 1:
            raise _bad(text, "a triangle needs side n >= 1")
        cast = {1: SageType("A", 1), 2: SageType("A", 3), 3: SageType("D", 6), 4: SageType("E", 8, (1, 1))}
        return done(cast.get(n, SageType("TR", n)))
    if letter == "GR":
        k, n = _ints(text, rank, "rank of GR", 2)
        if not 0 < k < n:
            raise _bad(text, "GR needs [k, n] with 0 < k < n")
        if min(k, n) > n / 2 and n != k + 1:
            k = n - k
        named = {(3, 6): SageType("D", 4), (3, 7): SageType("E", 6), (3, 8): SageType("E", 8)}
        named.update({(3, 9): SageType("E", 8, (1, 1)), (4, 8): SageType("E", 7, (1, 1))})
        if k == 2 and n > 3:
            return done(SageType("A", n - 3)) if n > 4 else SageType("A", 1)
        if (k, n) in named:
            return named[(k, n)]
        if k < 2 or n - k < 2:
            raise _bad(text, "GR [k, n] has (k-1)(n-k-1) vertices: it needs 2 <= k <= n - 2")
        return done(SageType("GR", (k, n)))
    if letter == "T":
        r, p, q = sorted(_ints(text, rank, "rank of T", 3))
        if r < 1:
            raise _bad(text, "T [r, p, q] counts the branch point in each arm: entries >= 1")
        if r == 1:
            return done(SageType("A", p + q - 1))
        if r == p == 2:
            return done(SageType("D", q + 2))
        if r == 2 and p == 3:
            return done(SageType("E", 8, 1) if q == 6 else SageType("E", q + 3))
        if (r, p, q) == (2, 4, 4):
            return SageType("E", 7, 1)
        if (r, p, q) == (3, 3, 3):
            return SageType("E", 6, 1)
        return done(SageType("T", (r, p, q)))
    if letter == "R2":
        b, c = sorted(_ints(text, rank, "rank of R2", 2))
        if b < 1:
            raise _bad(text, "R2 [b, c] needs b, c >= 1")
        if (b, c) == (1, 1):
            return SageType("A", 2)
        if (b, c) == (2, 2):
            return SageType("A", (1, 1), 1)
        if b != c:
            raise _bad(text, "R2 [b, c] with b != c is a valued type: it has no quiver (b == c: b arrows)")
        return SageType("R2", (b, c))
    raise _bad(text, f"unknown or unsupported letter {letter!r} (A, D, E, X, TR, GR, T, R2 are built here)")


def looks_like_sage(text: str) -> bool:
    """Whether ``text`` is written in Sage's notation (a list, tuple or wrapper) rather than as
    one of this workbench's labels."""
    s = text.strip()
    return bool(s) and (s[0] in "[(" or (s[0] in "'\"" and "," in s) or bool(_WRAPPER.match(s)))


def parse_sage_type(text: str) -> SageType:
    """Read a mutation type written in Sage's notation (see the module doc); ``ValueError`` with
    what is wrong and an example otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"Sage mutation type: expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise _bad(text[:40] + "...", f"longer than {MAX_TEXT} characters")
    data = _literal(text)
    if isinstance(data, (list, tuple)) and data and all(isinstance(c, (list, tuple)) for c in data):
        parts = tuple(_irreducible(text, c) for c in data)
        if len(parts) == 1:
            return parts[0]
        flat: list[SageType] = []
        for p in parts:
            flat.extend(p.components or (p,))
        total = sum(p.n_vertices for p in flat)
        if total > MAX_RANK:
            raise _bad(text, f"{total} vertices: at most {MAX_RANK} here")
        return SageType("", components=tuple(flat))
    return _irreducible(text, data)


def sage_name(label: str) -> str:
    """The Sage name of one of this workbench's labels: ``A5`` -> ``['A', 5]``, ``A~3,2`` ->
    ``['A', [2, 3], 1]``, ``D~6`` -> ``['D', 6, 1]``, ``E~7`` -> ``['E', 7, 1]``, ``E6^(1,1)`` ->
    ``['E', 6, [1, 1]]``, ``X6`` -> ``['X', 6]``, ``Tri5`` -> ``['TR', 5]``, ``Gr(3,10)`` ->
    ``['GR', [3, 10]]`` (the mutable part: Sage's GR has no coefficients), each after Sage's
    casting (``Tri3`` -> ``['D', 6]``, ``Gr(3,7)`` -> ``['E', 6]``)."""
    from .keller import parse_keller_label
    from .standard import parse_label

    keller = parse_keller_label(label)
    if keller is not None:
        fam, params = keller
        if fam == "triangle":
            return str(parse_sage_type(f"['TR', {params[0]}]"))
        return str(parse_sage_type(f"['GR', [{params[0]}, {params[1]}]]"))
    family, params = parse_label(label)
    k = params[0]
    data: list[Any]
    if family == "A~":
        data = ["A", [min(params), max(params)], 1]
    elif family in ("D~", "E~"):
        data = [family[0], k, 1]
    elif family == "E^(1,1)":
        data = ["E", k, [1, 1]]
    else:
        data = [family, k]
    return str(parse_sage_type(repr(data)))
