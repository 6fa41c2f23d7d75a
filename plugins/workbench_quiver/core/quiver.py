"""Quivers as exchange matrices (Qt-free).

A quiver with ``n`` mutable and ``m`` frozen vertices is stored, as in SageMath, as an
integer ``(n + m) x n`` exchange matrix ``B``: the top ``n x n`` block is skew-symmetric
(``b[i, j] = -b[j, i]``), ``b[i, j] > 0`` means ``b[i, j]`` arrows ``i -> j``, and the
``m`` extra rows hold the arrows between frozen vertex ``n + r`` and the mutable vertices
(frozen-frozen arrows are not recorded: they never influence mutation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.errors import InputError

from .integers import FLOAT_EXACT, exact_float


def _as_integer_array(b: Any) -> np.ndarray:
    """Convert ``b`` to an integer array, refusing non-integer entries with a clear message.

    Nested lists are read entry by entry (numpy would turn a list holding 2**63 into float64
    and lose digits): Python ints of any size are kept exactly (an object array when some
    entry needs more than 62 bits), floats must be exact integers below 2**53
    (:func:`.integers.exact_float`).  Integer arrays are kept; float arrays follow the same rule.
    """
    if isinstance(b, np.ndarray) and b.dtype != object:
        arr = b
    else:
        try:
            arr = np.array(b, dtype=object)
        except (ValueError, TypeError) as exc:  # ragged nested lists
            raise InputError(f"exchange matrix is not a rectangular array of numbers: {exc}") from None
    if arr.dtype == object:
        out = np.empty(arr.shape, dtype=object)
        for idx, v in np.ndenumerate(arr):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, float, np.floating)):
                if isinstance(v, (list, tuple)):
                    raise InputError(
                        f"exchange matrix is not a rectangular array of numbers: the entry at {idx} "
                        "is a list (rows of different lengths or depths)"
                    )
                raise InputError(f"exchange matrix entry at {idx} is {v!r:.40}, not an integer")
            out[idx] = (
                exact_float(v, f"exchange matrix entry at {idx}") if isinstance(v, (float, np.floating)) else int(v)
            )
        if not out.size or max(abs(int(x)) for x in out.flat) < 2**62:
            return out.astype(np.int64)
        return out
    if arr.dtype.kind == "b":
        raise InputError("exchange matrix has boolean entries; use integers (arrow multiplicities)")
    if arr.dtype.kind == "i":
        return arr.astype(np.int64)
    if arr.dtype.kind == "u":
        if arr.size and int(arr.max()) >= 2**62:
            return _as_integer_array(arr.astype(object))
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (np.abs(arr) >= FLOAT_EXACT)
        if np.any(bad):
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            exact_float(arr[idx], f"exchange matrix entry at {idx}")
        return np.round(arr).astype(np.int64)
    raise InputError(f"exchange matrix has entries of type {arr.dtype}, expected integers")


def validate_b(b: Any) -> np.ndarray:
    """Return ``b`` as a validated int64 ``(n + m) x n`` exchange matrix.

    Raises ``ValueError`` naming the problem: wrong shape (not 2-D, fewer rows than
    columns), non-integer entries, loops (non-zero diagonal), or the top ``n x n``
    block not skew-symmetric (the first offending pair ``(i, j)`` is named).
    Entries too large for int64 come back as a Python-int object array (exact).
    """
    arr = _as_integer_array(b)
    if arr.ndim != 2:
        raise InputError(f"exchange matrix must be 2-D, got shape {arr.shape}")
    rows, n = arr.shape
    if rows < n:
        raise InputError(
            f"exchange matrix has shape {arr.shape}: needs at least as many rows (n + frozen) as columns (n)"
        )
    top = arr[:n, :n]
    for i in range(n):
        if top[i, i] != 0:
            raise InputError(f"loop at vertex {i}: diagonal entry b[{i},{i}] = {top[i, i]} must be 0")
    bad = np.argwhere(top != -top.T)
    if len(bad):
        i, j = (int(x) for x in bad[0])
        raise InputError(f"not skew-symmetric at ({i},{j}): b[{i},{j}] = {top[i, j]} but b[{j},{i}] = {top[j, i]}")
    return arr


def square_matrix(b: np.ndarray) -> np.ndarray:
    """The ``(n+m) x (n+m)`` skew-symmetric adjacency matrix of an exchange matrix
    (frozen-frozen block zero)."""
    rows, n = b.shape
    s = np.zeros((rows, rows), dtype=b.dtype)
    s[:, :n] = b
    s[:n, n:] = -b[n:, :].T
    return s


@dataclass
class Quiver:
    """A quiver: exchange matrix ``b`` (validated), optional vertex labels and positions.

    ``positions`` is an ``(n + m) x 2`` float array (editor coordinates, arbitrary units).
    """

    b: np.ndarray
    labels: list[str] | None = None
    positions: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.b = validate_b(self.b)
        total = self.b.shape[0]
        if self.labels is not None:
            if not isinstance(self.labels, (list, tuple)):
                raise InputError(f"labels must be a list of {total} names, got {type(self.labels).__name__}")
            self.labels = [str(x) for x in self.labels]
            if len(self.labels) != total:
                raise InputError(f"{len(self.labels)} labels for {total} vertices")
        if self.positions is not None:
            try:
                pos = np.asarray(self.positions, dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"positions must be {total} pairs of numbers (x, y)") from None
            if pos.shape != (total, 2):
                raise InputError(f"positions must have shape ({total}, 2), got {pos.shape}")
            if not np.isfinite(pos).all():
                v = int(np.argwhere(~np.isfinite(pos))[0][0])
                raise InputError(f"position of vertex {v} is not finite ({pos[v, 0]!r}, {pos[v, 1]!r})")
            self.positions = pos

    @property
    def n_mutable(self) -> int:
        return int(self.b.shape[1])

    @property
    def n_frozen(self) -> int:
        return int(self.b.shape[0] - self.b.shape[1])

    @property
    def n_vertices(self) -> int:
        return int(self.b.shape[0])

    def arrows(self) -> list[tuple[int, int, int]]:
        """``(i, j, multiplicity)`` for every ``b[i, j] > 0`` (``multiplicity`` arrows ``i -> j``),
        frozen vertices included (indices ``n .. n+m-1``)."""
        s = square_matrix(self.b)
        out = []
        for i, j in zip(*np.nonzero(s > 0), strict=True):
            out.append((int(i), int(j), int(s[i, j])))
        return out

    def vertex_labels(self) -> list[str]:
        return list(self.labels) if self.labels is not None else [str(i) for i in range(self.n_vertices)]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"b": [[int(x) for x in row] for row in self.b], "n_frozen": self.n_frozen}
        if self.labels is not None:
            d["labels"] = list(self.labels)
        if self.positions is not None:
            d["positions"] = [[float(x), float(y)] for x, y in self.positions]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Quiver:
        if not isinstance(d, dict) or "b" not in d:
            raise InputError("quiver dictionary needs a 'b' entry (the exchange matrix)")
        b = d["b"]
        if not isinstance(b, (list, tuple, np.ndarray)):
            raise InputError(f"'b' must be the exchange matrix as a list of rows, got {type(b).__name__} {b!r:.40}")
        if len(b) == 0:
            b = np.zeros((0, 0), dtype=np.int64)
        return cls(b=b, labels=d.get("labels"), positions=d.get("positions"))
