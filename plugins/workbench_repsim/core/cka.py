"""Centred kernel alignment (CKA): linear (biased and debiased), RBF, and minibatch CKA.

References
----------
* Kornblith, Norouzi, Lee, Hinton (2019), "Similarity of Neural Network Representations
  Revisited", ICML, arXiv:1905.00414.  CKA(K, L) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))
  with HSIC(K, L) = tr(K H L H) / (n - 1)^2 and H = I - 11^T / n.  For linear kernels
  K = X X^T and centred X, Y this is ``||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)``.
* Song, Smola, Gretton, Bedo, Borgwardt (2012), "Feature Selection via Dependence
  Maximization", JMLR 13: the unbiased estimator
  HSIC_1(K, L) = [tr(K~ L~) + 1^T K~ 1 1^T L~ 1 / ((n-1)(n-2)) - 2/(n-2) 1^T K~ L~ 1] / (n (n-3)),
  with K~ = K with its diagonal set to zero; "debiased CKA" uses it in place of HSIC.
* Nguyen, Raghu, Kornblith (2021), "Do Wide and Deep Networks Learn the Same Things?",
  ICLR, arXiv:2010.15327: minibatch CKA = mean_i HSIC_1(K_i, L_i) /
  sqrt(mean_i HSIC_1(K_i, K_i) mean_i HSIC_1(L_i, L_i)) over k minibatches.

All values are dimensionless in [0, 1] (the debiased estimator can be slightly negative).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.jobs import heartbeat

from .linalg import cross, frob2, row_sq_norms
from .validate import DegenerateInputError, centre, check_not_constant, check_pair, check_samples


# ---------------------------------------------------------------- Gram-matrix form ----------
def gram_linear(x: np.ndarray) -> np.ndarray:
    """Linear kernel ``K = X X^T`` (n x n, float64)."""
    x = np.asarray(x, np.float64)
    return x @ x.T


def _row_blocks(n: int, cols: int) -> list[tuple[int, int]]:
    """Row ranges of an n x cols float64 matrix in blocks of about 4 MiB (a heartbeat each)."""
    step = max(1, (1 << 19) // max(1, cols))
    return [(s, min(n, s + step)) for s in range(0, n, step)]


def blocked_median(a: np.ndarray, bins: int = 4096) -> float:
    """``np.median(a)`` of a 2-D float array, exactly, in two passes over blocks of rows with a
    :func:`workbench.jobs.heartbeat` between blocks (np.median sorts a copy of all n^2 entries
    in one call that Cancel cannot interrupt).  Pass 1 counts the entries per bin of
    [min, max]; pass 2 keeps only the bins holding the middle order statistics and selects in
    them; the result is the same (the mean of the two middle values for an even count)."""
    blocks = _row_blocks(a.shape[0], a.shape[1])
    lo, hi = np.inf, -np.inf
    for s, e in blocks:
        heartbeat()
        lo, hi = min(lo, float(a[s:e].min())), max(hi, float(a[s:e].max()))
    if not lo < hi:
        return float(lo)
    scale = bins / (hi - lo)

    def bin_of(block: np.ndarray) -> np.ndarray:
        return np.minimum(((block - lo) * scale).astype(np.int64), bins - 1)

    counts = np.zeros(bins, dtype=np.int64)
    for s, e in blocks:
        heartbeat()
        counts += np.bincount(bin_of(a[s:e]).ravel(), minlength=bins)
    total = a.size
    wanted = sorted({(total - 1) // 2, total // 2})
    cum = np.cumsum(counts)
    where = {k: int(np.searchsorted(cum, k, side="right")) for k in wanted}
    keep = sorted(set(where.values()))
    parts: dict[int, list[np.ndarray]] = {b: [] for b in keep}
    for s, e in blocks:
        heartbeat()
        block = a[s:e]
        idx = bin_of(block)
        for b in keep:
            parts[b].append(block[idx == b])
    values = []
    for k in wanted:
        b = where[k]
        before = int(cum[b - 1]) if b > 0 else 0
        values.append(float(np.partition(np.concatenate(parts[b]), k - before)[k - before]))
    return float(np.mean(values))


def gram_rbf(x: np.ndarray, threshold: float = 1.0) -> np.ndarray:
    """RBF kernel ``K_ij = exp(-||x_i - x_j||^2 / (2 sigma^2))`` with
    ``sigma = threshold * sqrt(median squared distance)`` (Kornblith et al. 2019, Sec. 3).

    Built in blocks of rows with a :func:`workbench.jobs.heartbeat` between them, so a job
    computing it on thousands of samples stays cancellable."""
    x = np.asarray(x, np.float64)
    x = x - x.mean(axis=0)
    n = x.shape[0]
    sq = np.einsum("ij,ij->i", x, x)
    d2 = np.empty((n, n))
    for s, e in _row_blocks(n, max(n, x.shape[1])):
        heartbeat()
        np.matmul(x[s:e], x.T, out=d2[s:e])
        d2[s:e] *= -2.0
        d2[s:e] += sq[s:e, None]
        d2[s:e] += sq[None, :]
        np.maximum(d2[s:e], 0.0, out=d2[s:e])
    med = blocked_median(d2)
    if med <= 0.0:
        raise DegenerateInputError(
            "RBF CKA: the median squared distance between samples is zero "
            "(most samples are identical); the kernel bandwidth is undefined"
        )
    scale = -1.0 / (2.0 * threshold**2 * med)
    for s, e in _row_blocks(n, n):
        heartbeat()
        d2[s:e] *= scale
        np.exp(d2[s:e], out=d2[s:e])
    return d2


def center_gram(gram: np.ndarray, unbiased: bool = False) -> np.ndarray:
    """Centre a Gram matrix (copy).  ``unbiased`` gives the U-statistic centring whose
    inner product with another such matrix is ``n (n-3) HSIC_1`` (Song et al. 2012)."""
    gram = np.asarray(gram)
    if gram.ndim != 2:
        raise DegenerateInputError(f"Gram matrix must be 2-D, got shape {gram.shape}")
    rows, cols = gram.shape
    g = np.empty((rows, cols), dtype=np.float64)
    blocks = _row_blocks(rows, cols)  # every full-matrix pass in blocks: heartbeat()
    peak = 0.0
    for s, e in blocks:
        heartbeat()
        g[s:e] = gram[s:e]
        peak = max(peak, float(np.abs(g[s:e]).max(initial=0.0)))
    atol = 1e-10 * max(1.0, peak)
    for s, e in blocks:
        heartbeat()
        if not np.allclose(g[s:e], g[:, s:e].T, rtol=1e-8, atol=atol):
            raise DegenerateInputError("Gram matrix is not symmetric")
    n = g.shape[0]
    if unbiased:
        check_samples(g, 4, "Gram", "the unbiased HSIC estimator divides by n - 3")
        np.fill_diagonal(g, 0.0)
        means = _column_sums(g, blocks) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
    else:
        means = _column_sums(g, blocks) / n
        means -= means.mean() / 2
    for s, e in blocks:
        heartbeat()
        g[s:e] -= means[s:e, None]
        g[s:e] -= means[None, :]
    if unbiased:
        np.fill_diagonal(g, 0.0)
    return g


def _column_sums(g: np.ndarray, blocks: list[tuple[int, int]]) -> np.ndarray:
    """``g.sum(axis=0)`` accumulated over row blocks (a heartbeat each)."""
    total = np.zeros(g.shape[1])
    for s, e in blocks:
        heartbeat()
        total += g[s:e].sum(axis=0)
    return total


def cka_gram(gram_x: np.ndarray, gram_y: np.ndarray, debiased: bool = False) -> float:
    """CKA of two Gram matrices (any kernel)."""
    gx = center_gram(gram_x, debiased)
    heartbeat()
    gy = center_gram(gram_y, debiased)
    heartbeat()
    nx = np.sqrt(frob2(gx)) if not debiased else np.sqrt(max(float(np.vdot(gx, gx)), 0.0))
    ny = np.sqrt(frob2(gy)) if not debiased else np.sqrt(max(float(np.vdot(gy, gy)), 0.0))
    if nx == 0.0 or ny == 0.0:
        raise DegenerateInputError(
            "CKA: a representation has zero variance across samples (constant); CKA is undefined"
        )
    return float(np.vdot(gx, gy) / (nx * ny))


# ---------------------------------------------------------------- feature form (linear) -----
def _debiased_dot(xty2: float, rx: np.ndarray, ry: np.ndarray, sx: float, sy: float, n: int) -> float:
    """``n (n-3) HSIC_1`` for centred features from ``||X^T Y||_F^2``, row norms and totals
    (the identity behind Kornblith et al.'s ``_debiased_dot_product_similarity_helper``)."""
    return xty2 - n / (n - 2.0) * float(rx @ ry) + sx * sy / ((n - 1.0) * (n - 2.0))


@dataclass
class LinearStats:
    """Sufficient statistics of one centred representation for linear (debiased) CKA."""

    xtx2: float  # ||X^T X||_F^2
    rows: np.ndarray  # squared row norms, length n
    total: float  # ||X||_F^2
    n: int

    def norm(self, debiased: bool) -> float:
        if not debiased:
            return float(np.sqrt(self.xtx2))
        v = _debiased_dot(self.xtx2, self.rows, self.rows, self.total, self.total, self.n)
        return float(np.sqrt(max(v, 0.0)))


def linear_stats(xc: np.ndarray, xtx: np.ndarray | None = None) -> LinearStats:
    """Statistics of centred ``xc`` (``xtx`` = ``xc^T xc`` if already computed)."""
    if xtx is None:
        xtx = cross(xc, xc)
    rows = row_sq_norms(xc)
    return LinearStats(frob2(xtx), rows, float(rows.sum()), xc.shape[0])


def cka_from_stats(xty2: float, sx: LinearStats, sy: LinearStats, debiased: bool = False) -> float:
    """Linear CKA from ``||X^T Y||_F^2`` and the two sides' statistics."""
    num = _debiased_dot(xty2, sx.rows, sy.rows, sx.total, sy.total, sx.n) if debiased else xty2
    den = sx.norm(debiased) * sy.norm(debiased)
    if den == 0.0:
        raise DegenerateInputError(
            "CKA: a representation has zero variance across samples (constant); CKA is undefined"
        )
    return float(num / den)


def linear_cka(x: Any, y: Any, debiased: bool = False) -> float:
    """Linear CKA ``||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)`` of centred X (n x p), Y (n x q).

    Computed in the feature form (cost n p q) with float64 accumulation.  ``debiased``
    uses the unbiased HSIC estimator (needs n >= 4).  Kornblith et al. (2019), eq. (5).
    """
    a, b = check_pair(x, y, min_samples=4 if debiased else 2)
    a, b = centre(a), centre(b)
    check_not_constant(a, "X")
    check_not_constant(b, "Y")
    sx, sy = linear_stats(a), linear_stats(b)
    return cka_from_stats(frob2(cross(a, b)), sx, sy, debiased)


def rbf_cka(x: Any, y: Any, threshold: float = 1.0, debiased: bool = False) -> float:
    """CKA with RBF kernels of bandwidth ``threshold`` x median distance (Kornblith et al. 2019).

    Needs the n x n Gram matrices (memory 8 n^2 bytes each).
    """
    a, b = check_pair(x, y, min_samples=4 if debiased else 2)
    if a.shape[0] > 20000:
        raise DegenerateInputError(
            f"RBF CKA builds n x n kernels; n = {a.shape[0]} is too large (use at most 20000 samples)"
        )
    check_not_constant(centre(a), "X")
    check_not_constant(centre(b), "Y")
    gx = gram_rbf(a, threshold)
    return cka_gram(gx, gram_rbf(b, threshold), debiased)


# ---------------------------------------------------------------- minibatch CKA -------------
def hsic1_linear_terms(xs: list[np.ndarray], ys: list[np.ndarray] | None = None) -> np.ndarray:
    """``n (n-3) HSIC_1`` for every pair of linear kernels of one minibatch.

    ``xs`` (and ``ys``) are lists of n x d_i arrays for the same n inputs.  Returns a
    matrix ``M[i, j]`` (float64) over xs x ys (or xs x xs).  Centring inside the batch does
    not change HSIC_1 (it is translation invariant) and keeps float32 exact.
    """
    ys_ = xs if ys is None else ys
    xc = [centre(np.asarray(x)) for x in xs]
    yc = xc if ys is None else [centre(np.asarray(y)) for y in ys_]
    n = xc[0].shape[0]
    check_samples(xc[0], 4, "minibatch", "the unbiased HSIC estimator divides by n - 3")
    rx = [row_sq_norms(a) for a in xc]
    ry = rx if ys is None else [row_sq_norms(b) for b in yc]
    out = np.empty((len(xc), len(yc)))
    for i, a in enumerate(xc):
        for j, b in enumerate(yc):
            if ys is None and j < i:
                out[i, j] = out[j, i]
                continue
            heartbeat()
            out[i, j] = _debiased_dot(frob2(cross(a, b)), rx[i], ry[j], float(rx[i].sum()), float(ry[j].sum()), n)
    return out


def unbiased_grams(xs: list[np.ndarray]) -> list[np.ndarray]:
    """U-centred linear Gram matrices of one minibatch (``<G_i, G_j> = n (n-3) HSIC_1``), float64.

    Each layer is centred in float64 first (HSIC_1 is translation invariant), so float32 data
    with offsets stays exact; the b x b product runs in the layer's dtype.
    """
    out = []
    for x in xs:
        heartbeat()
        xc = centre(np.asarray(x))
        n = xc.shape[0]
        if n <= 2048:
            g = (xc @ xc.T).astype(np.float64)
        else:  # large batches: the product in blocks of rows, with a heartbeat between them
            g = np.empty((n, n))
            for s, e in _row_blocks(n, max(n, 4 * xc.shape[1])):
                heartbeat()
                g[s:e] = xc[s:e] @ xc.T
        np.fill_diagonal(g, 0.0)
        means = g.sum(axis=0) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
        g -= means[:, None]
        g -= means[None, :]
        np.fill_diagonal(g, 0.0)
        out.append(g)
    return out


def minibatch_form(b: int, dims_x: list[int], dims_y: list[int]) -> str:
    """ "gram" when b x b Gram matrices per layer cost less than the p x q products per pair."""
    feature = sum(b * p * q for p in dims_x for q in dims_y) + sum(b * d * d for d in dims_x + dims_y)
    gram = sum(b * b * d for d in dims_x + dims_y) + (len(dims_x) * len(dims_y) + len(dims_x) + len(dims_y)) * b * b
    return "gram" if gram < feature and b <= 8192 else "feature"


def _beat_vdot(a: np.ndarray, b: np.ndarray) -> float:
    heartbeat()
    return float(np.vdot(a, b))


@dataclass
class MinibatchCKA:
    """Streaming linear CKA over minibatches (Nguyen, Raghu & Kornblith 2021).

    Call :meth:`update` with each batch's activations of the L_A layers of A and the L_B
    layers of B (same inputs, same order); :meth:`value` returns the L_A x L_B matrix
    ``mean_k HSIC_1(K_k, L_k) / sqrt(mean_k HSIC_1(K_k, K_k) mean_k HSIC_1(L_k, L_k))``.
    Each batch needs at least 4 samples.  Memory is O(batch); data never has to fit at once.
    With one batch this equals debiased linear CKA.  Per batch, the Gram form (a b x b
    matrix per layer, then one inner product per pair) or the feature form (a p x q product
    per pair) is used, whichever costs less.
    """

    cross_sum: np.ndarray | None = None
    self_x: np.ndarray | None = None
    self_y: np.ndarray | None = None
    batches: int = 0

    @staticmethod
    def _check(xs: list[np.ndarray], n: int, batch: int) -> None:
        for k, a in enumerate(xs):
            heartbeat()
            if a.shape[0] != n:
                raise DegenerateInputError(
                    f"minibatch CKA: layer {k} has {a.shape[0]} rows, expected {n} (same inputs for every layer)"
                )
            if not np.isfinite(a).all():
                raise DegenerateInputError(f"minibatch CKA: NaN/inf in layer {k} of batch {batch}")

    def update(
        self,
        xs: list[np.ndarray] | np.ndarray,
        ys: list[np.ndarray] | np.ndarray,
        grams_x: list[np.ndarray] | None = None,
        grams_y: list[np.ndarray] | None = None,
    ) -> None:
        """Fold in one batch.  ``grams_x``/``grams_y``: :func:`unbiased_grams` already computed
        for this batch (lets several accumulators share them)."""
        same = ys is xs
        xs = [np.asarray(xs)] if isinstance(xs, np.ndarray) else [np.asarray(a) for a in xs]
        ys = xs if same else ([np.asarray(ys)] if isinstance(ys, np.ndarray) else [np.asarray(b) for b in ys])
        n = xs[0].shape[0]
        self._check(xs + ([] if same else ys), n, self.batches)
        check_samples(xs[0], 4, "minibatch", "the unbiased HSIC estimator divides by n - 3")
        scale = 1.0 / (n * (n - 3.0))
        form = "gram" if grams_x is not None else minibatch_form(n, [a.shape[1] for a in xs], [b.shape[1] for b in ys])
        if form == "gram":
            gx = grams_x if grams_x is not None else unbiased_grams(xs)
            gy = gx if same else (grams_y if grams_y is not None else unbiased_grams(ys))
            c = np.array([[_beat_vdot(a, b) for b in gy] for a in gx]) * scale
            sx = np.array([float(np.vdot(a, a)) for a in gx]) * scale
            sy = sx if same else np.array([float(np.vdot(b, b)) for b in gy]) * scale
        else:
            c = hsic1_linear_terms(xs, None if same else ys) * scale
            sx = np.array([hsic1_linear_terms([a])[0, 0] for a in xs]) * scale
            sy = sx if same else np.array([hsic1_linear_terms([b])[0, 0] for b in ys]) * scale
        if self.cross_sum is None:
            self.cross_sum, self.self_x, self.self_y = c, sx, sy
        else:
            if c.shape != self.cross_sum.shape:
                raise DegenerateInputError(
                    f"minibatch CKA: batch has {c.shape} layers, earlier batches {self.cross_sum.shape}"
                )
            self.cross_sum = self.cross_sum + c
            self.self_x = self.self_x + sx
            self.self_y = self.self_y + sy
        self.batches += 1

    def value(self) -> np.ndarray:
        if self.cross_sum is None or self.self_x is None or self.self_y is None:
            raise DegenerateInputError("minibatch CKA: no batch was given")
        den = np.sqrt(np.clip(np.outer(self.self_x, self.self_y), 0.0, None))
        if (den == 0).any():
            raise DegenerateInputError(
                "minibatch CKA: a layer has zero variance in every batch (constant); CKA is undefined"
            )
        return self.cross_sum / den


def minibatch_cka(x: Any, y: Any, batch_size: int) -> float:
    """Minibatch linear CKA of two full matrices split into consecutive batches of ``batch_size``
    (a trailing batch smaller than 4 rows is dropped)."""
    a, b = check_pair(x, y, min_samples=4)
    acc = MinibatchCKA()
    for s in range(0, a.shape[0], batch_size):
        if a[s : s + batch_size].shape[0] >= 4:
            acc.update([a[s : s + batch_size]], [b[s : s + batch_size]])
    return float(acc.value()[0, 0])
