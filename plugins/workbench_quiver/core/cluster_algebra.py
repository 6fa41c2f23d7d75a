"""Cluster seeds with exact cluster variables, in SageMath's ``ClusterSeed`` conventions (Qt-free).

A seed of a quiver with ``n`` mutable and ``m`` frozen vertices holds

* the extended exchange matrix ``B`` ((n+m) x n, SageMath's: ``b_ij > 0`` is ``b_ij`` arrows
  ``i -> j``; frozen rows last), and below it the C-matrix (its columns are the c-vectors): the
  bottom of the principal extension ``[B; I]`` after the same mutations (Sage's
  ``principal_extension()``, Fomin-Zelevinsky, Cluster algebras IV, 2007, Def. 3.1);
* the G-matrix (columns: g-vectors), mutated by Nakanishi-Zelevinsky's rule (On tropical dualities
  in cluster algebras, 2012, (1.13) with eps the sign of the c-vector ``c_k``, which makes its last
  term vanish): ``g'_k = -g_k + sum_i [-eps b_ik]_+ g_i``;
* the cluster variables as exact Laurent polynomials (:mod:`.laurent`) in the initial variables
  ``x0..x{n-1}``, the frozen variables (named ``y0..y{m-1}`` as Sage names them) and the principal
  coefficients ``t0..t{n-1}``, updated under every mutation by the exchange relation
  ``x_k x_k' = prod x_i^[b_ik]_+ + prod x_i^[-b_ik]_+`` over the whole column ``k`` of the
  extended matrix (frozen and principal rows included).

Derived, as Sage defines them: the *cluster* (principal coefficients set to 1: Sage's
``ClusterSeed(B).cluster()``), *F-polynomials* (principal-coefficient variable at ``x = 1`` and
frozen ``= 1``; in ``y0..y{n-1}`` as Sage's ``f_polynomials()``), *g-vectors* (the x-degree of the
``t``-free term, FZ IV Prop. 6.1 and (6.4)), *c-vectors* and *d-vectors* (``d_i`` = the exponent of
``x_i`` in the denominator; ``-e_i`` for the initial variable ``x_i``, Sage's ``d_matrix()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import flint
import numpy as np

from workbench.errors import InputError

from .laurent import Laurent, exchange, make_context
from .mutation import mutate
from .quiver import validate_b


@dataclass(frozen=True)
class ClusterRing:
    """Variables of the ambient ring: x0..x{n-1} (cluster), y0..y{m-1} (frozen, Sage's names),
    t0..t{n-1} (principal coefficients)."""

    n: int
    m: int
    ctx: Any = field(compare=False)
    plain_ctx: Any = field(compare=False)  # x and y only (the coefficient-free cluster)
    f_ctx: Any = field(compare=False)  # y0..y{n-1}: F-polynomials, as Sage names them

    @staticmethod
    def create(n: int, m: int) -> ClusterRing:
        xs = [f"x{i}" for i in range(n)]
        ys = [f"y{i}" for i in range(m)]
        ts = [f"t{i}" for i in range(n)]
        return ClusterRing(
            n,
            m,
            make_context(xs + ys + ts),
            make_context(xs + ys),
            make_context([f"y{i}" for i in range(n)] or ["y0"]),
        )

    @property
    def principal(self) -> range:
        return range(self.n + self.m, self.n + self.m + self.n)


def _sign_coherent(c: np.ndarray) -> int:
    if (c >= 0).all():
        return 1
    if (c <= 0).all():
        return -1
    raise ArithmeticError(f"c-vector {c.tolist()} is not sign-coherent (not a skew-symmetric seed?)")


@dataclass(frozen=True)
class ClusterSeed:
    """A seed: ``matrix`` is ``[B; C]`` ((n+m+n) x n), ``g`` the G-matrix (n x n, columns),
    ``variables`` the cluster variables (principal coefficients and frozen variables included),
    ``path`` the mutations from the initial seed (consecutive repeats cancelled, as in Sage)."""

    ring: ClusterRing
    matrix: np.ndarray
    g: np.ndarray
    variables: tuple[Laurent, ...]
    path: tuple[int, ...] = ()

    # ------------------------------------------------------------------ construction
    @staticmethod
    def initial(b: Any) -> ClusterSeed:
        """The initial seed of the exchange matrix ``b`` ((n+m) x n, validated): cluster
        ``x0..x{n-1}``, C = G = identity."""
        b = validate_b(b)
        if b.dtype == object:
            raise InputError("exchange matrix entries beyond 64 bits are not supported for cluster variables")
        n, m = b.shape[1], b.shape[0] - b.shape[1]
        if n == 0:
            raise InputError("the quiver has no mutable vertices")
        ring = ClusterRing.create(n, m)
        matrix = np.vstack([b.astype(np.int64), np.eye(n, dtype=np.int64)])
        variables = tuple(Laurent.variable(ring.ctx, i) for i in range(n))
        return ClusterSeed(ring, matrix, np.eye(n, dtype=np.int64), variables)

    @property
    def n(self) -> int:
        return self.ring.n

    @property
    def b(self) -> np.ndarray:
        """The extended exchange matrix ((n+m) x n)."""
        return self.matrix[: self.ring.n + self.ring.m]

    @property
    def c_matrix(self) -> np.ndarray:
        """The C-matrix (n x n; column j is the c-vector of vertex j)."""
        return self.matrix[self.ring.n + self.ring.m :]

    # ------------------------------------------------------------------ mutation
    def mutate(self, k: int) -> ClusterSeed:
        """Mutation at the mutable vertex ``k`` (an involution: ``s.mutate(k).mutate(k) == s``)."""
        n = self.n
        if not isinstance(k, (int, np.integer)) or not 0 <= int(k) < n:
            raise InputError(f"cannot mutate at vertex {k!r}: the mutable vertices are 0..{n - 1}")
        k = int(k)
        col = self.matrix[:, k]
        eps = _sign_coherent(self.c_matrix[:, k])
        w = np.maximum(-eps * self.matrix[:n, k], 0)
        g = self.g.copy()
        g[:, k] = -self.g[:, k] + self.g @ w
        new_var = exchange(self.ring.ctx, self.variables, col.tolist(), k)
        variables = self.variables[:k] + (new_var,) + self.variables[k + 1 :]
        path = self.path[:-1] if self.path and self.path[-1] == k else (*self.path, k)
        return ClusterSeed(self.ring, mutate(self.matrix, k), g, variables, path)

    def mutate_path(self, path: Iterable[int]) -> ClusterSeed:
        """Mutate along ``path`` (first element first)."""
        s = self
        for k in path:
            s = s.mutate(k)
        return s

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClusterSeed):
            return NotImplemented
        return (
            self.ring == other.ring
            and np.array_equal(self.matrix, other.matrix)
            and np.array_equal(self.g, other.g)
            and self.variables == other.variables
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ derived data
    def cluster(self) -> list[Laurent]:
        """The cluster variables with principal coefficients set to 1 (Sage's ``cluster()`` of
        ``ClusterSeed(B)``): Laurent polynomials in x0..x{n-1} and the frozen y0..y{m-1}."""
        ring = self.ring
        ones = {i: 1 for i in ring.principal}
        keep = list(range(ring.n + ring.m))
        return [v.specialise(ones).project(ring.plain_ctx, keep) for v in self.variables]

    def cluster_strings(self) -> list[str]:
        return [v.to_str() for v in self.cluster()]

    def principal_variables(self) -> list[Laurent]:
        """Cluster variables with principal coefficients of the mutable part (frozen set to 1)."""
        ring = self.ring
        ones = {ring.n + r: 1 for r in range(ring.m)}
        return [v.specialise(ones) for v in self.variables]

    def f_polynomials(self) -> list[flint.fmpz_mpoly]:
        """F-polynomials (FZ IV Def. 3.3) in y0..y{n-1}, Sage's ``f_polynomials()``."""
        ring = self.ring
        ones = {i: 1 for i in range(ring.n + ring.m)}
        mapping = list(ring.principal)
        out = []
        for v in self.variables:
            f = v.specialise(ones)
            out.append(f.project(ring.f_ctx, mapping).polynomial())
        return out

    def g_vectors(self) -> list[list[int]]:
        """g-vectors (columns of the G-matrix), Sage's ``g_vectors()`` of the principal extension."""
        return [[int(x) for x in col] for col in self.g.T]

    def g_vectors_from_variables(self) -> list[list[int]]:
        """g-vectors read off the cluster variables: the x-exponent of the unique term free of the
        principal coefficients (FZ IV (6.4): x = x^g F(yhat) and F has constant term 1).  An
        independent check of :meth:`g_vectors`."""
        ring = self.ring
        zeros = {i: 0 for i in ring.principal}
        out = []
        for v in self.principal_variables():
            lead = v.specialise(zeros)
            if not lead.is_monomial():
                raise ArithmeticError(f"the t-free part of {v.to_str()} is not a monomial")
            out.append(list(lead.shift[: ring.n]))
        return out

    def c_vectors(self) -> list[list[int]]:
        """c-vectors (columns of the C-matrix), Sage's ``c_vectors()``."""
        return [[int(x) for x in col] for col in self.c_matrix.T]

    def d_vectors(self) -> list[list[int]]:
        """d-vectors (denominator vectors, FZ IV §7): ``d_i`` = minus the smallest exponent of
        ``x_i`` (``-e_i`` for ``x_i`` itself), Sage's ``d_vectors()``."""
        return [[-s for s in v.shift[: self.n]] for v in self.cluster()]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the CLI: cluster, g-, c-, d-vectors, B and the path."""
        return {
            "cluster": self.cluster_strings(),
            "g_vectors": self.g_vectors(),
            "c_vectors": self.c_vectors(),
            "d_vectors": self.d_vectors(),
            "f_polynomials": [str(f) for f in self.f_polynomials()],
            "b_matrix": [[int(x) for x in row] for row in self.b],
            "path": list(self.path),
        }


def parse_path(text: str, n: int) -> list[int]:
    """A mutation path such as ``"0,2,1"`` (commas or spaces); InputError naming the bad entry
    or the vertex out of range."""
    out = []
    for tok in text.replace(",", " ").split():
        try:
            k = int(tok)
        except ValueError:
            raise InputError(f"mutation path entry {tok!r} is not a vertex number") from None
        if not 0 <= k < n:
            raise InputError(f"mutation path entry {k} is not a mutable vertex (0..{n - 1})")
        out.append(k)
    return out


def seed_after(b: Any, path: Sequence[int]) -> ClusterSeed:
    """The seed reached from the initial seed of ``b`` along ``path``."""
    return ClusterSeed.initial(b).mutate_path(path)
