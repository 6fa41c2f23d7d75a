"""Layer-by-layer similarity matrices (L_A x L_B) that share work across pairs.

For linear CKA (biased or debiased) and the Procrustes measures every layer is validated and
centred once (column means in float64), its self-statistics (``||X^T X||_F``, row norms) are
computed once, and each pair then needs only one cross-product.  The form is chosen by cost:

* feature form: ``||X_i^T Y_j||_F^2`` from the p x q cross-covariance, cost ``n p q`` per pair;
* Gram form: ``<K_i, L_j>`` with ``K_i = X_i X_i^T`` built once per layer (cost ``n^2 d``),
  then ``n^2`` per pair — cheaper when features outnumber samples.

Cross-products of float32 data run in float32 BLAS, over row chunks summed in float64 when
n is large (:func:`workbench_repsim.core.linalg.row_chunks`).  Within a row of the heatmap the cross-products
against all B layers are batched into one product with the column-concatenated B block (up to
a memory cap).  ``progress(fraction, message)`` is called after every product and
``check_cancelled()`` before each one (a product takes well under 0.5 s for d <= 4096 on a
laptop core).  Other measures fall back to one call per pair.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.jobs import checking

from .cka import LinearStats, cka_from_stats
from .linalg import frob2, row_chunks, row_sq_norms
from .measures import get_measure
from .procrustes import nuclear_from_cross
from .validate import DegenerateInputError, as_matrix, check_finite, check_not_constant, check_samples

SHARED = ("cka", "cka-debiased", "procrustes", "procrustes-angular")
#: bytes of B-layers concatenated into one block for a batched product
BATCH_BYTES = 192 * 2**20
#: largest total size of cached Gram matrices
GRAM_BYTES = 1536 * 2**20


@dataclass
class Heatmap:
    """An L_A x L_B matrix of one measure between the layers of A (rows) and B (columns)."""

    matrix: np.ndarray
    names_a: list[str]
    names_b: list[str]
    measure: str
    form: str = "pairwise"
    n: int = 0


def _noop(*_a: Any) -> None:
    return None


def prepare_layers(layers: Sequence[Any], side: str = "A", names: Sequence[str] | None = None) -> list[np.ndarray]:
    """Validate (2-D, finite, same n, not constant) and centre each layer once.

    The centred layers are written side by side into one n x sum(d_i) buffer and returned as
    column views of it, so that products against several layers run as one BLAS call.
    """
    mats: list[np.ndarray] = []
    n = None
    for i, x in enumerate(layers):
        label = f"{side} layer {names[i] if names else i}"
        a = as_matrix(x, label)
        if n is None:
            n = a.shape[0]
        elif a.shape[0] != n:
            raise DegenerateInputError(
                f"{label} has {a.shape[0]} samples but earlier layers have {n}: every layer must hold the same inputs"
            )
        mats.append(a)
    if not mats:
        raise DegenerateInputError(f"{side}: no layers given")
    dtype = np.float32 if all(a.dtype == np.float32 for a in mats) else np.float64
    offs = np.cumsum([0] + [a.shape[1] for a in mats])
    buf = _empty_no_hugepages((mats[0].shape[0], int(offs[-1])), dtype)
    views = [buf[:, offs[i] : offs[i + 1]] for i in range(len(mats))]

    def centre_into(i: int) -> None:
        label = f"{side} layer {names[i] if names else i}"
        a, view = mats[i], views[i]
        with np.errstate(over="ignore", invalid="ignore"):
            mean = a.mean(axis=0, dtype=np.float64)
        if not np.isfinite(mean).all():
            # a float64 sum of finite float32 values cannot overflow, so a non-finite mean means
            # NaN/inf in the data: the full scan finds and reports them (float64 data near
            # 1e308 can overflow the sum itself)
            check_finite(a, label)
            raise DegenerateInputError(
                f"{label}: values too large to average in float64 (|x| near 1e308); rescale the activations"
            )
        # float32 layers: subtract the mean rounded to float32 (see validate.centre); no float64 temporary
        np.subtract(a, mean.astype(dtype), out=view)
        # an exact power-of-two rescale (validate.rescale): the shared measures are scale
        # invariant, and products of float32 layers near 1e30 would overflow
        top = float(np.max(np.abs(view))) if view.size else 0.0
        if top > 0.0 and np.frexp(top)[1] != 0:
            np.ldexp(view, -int(np.frexp(top)[1]), out=view)
        check_not_constant(view, label)

    # the layers are centred on several threads (numpy releases the GIL): the first write to
    # the fresh buffer is page faults, which the kernel serves on all cores at once (0.34 s on
    # one core, 0.17 s on two for 12 layers of 10,000 x 768)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(len(mats), cores, 8)
    if workers > 1 and buf.nbytes >= 2**24:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(centre_into, range(len(mats))))  # re-raises the first layer's error
    else:
        for i in range(len(mats)):
            centre_into(i)
    return views


def _empty_no_hugepages(shape: tuple[int, int], dtype: Any) -> np.ndarray:
    """``np.empty`` without numpy's transparent-huge-page advice.

    numpy marks large allocations MADV_HUGEPAGE; with the common Linux setting
    ``transparent_hugepage/defrag = madvise`` the kernel then compacts memory synchronously on
    the first write, which measured 0.6 s for the 370 MB buffer of a 12-layer, n = 10,000,
    d = 768 heatmap against 0.15 s with ordinary pages (and no difference in BLAS speed).
    """
    setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    if setter is None:
        return np.empty(shape, dtype)
    before = setter(False)
    try:
        return np.empty(shape, dtype)
    finally:
        setter(before)


def choose_form(n: int, dims_a: Sequence[int], dims_b: Sequence[int], symmetric: bool) -> str:
    """``"feature"`` or ``"gram"``, whichever needs fewer multiply-adds (Gram only if it fits in memory)."""
    pairs = [(p, q) for p in dims_a for q in dims_b]
    feature = sum(n * p * q for p, q in pairs) + sum(
        n * d * d for d in (dims_a if symmetric else list(dims_a) + list(dims_b))
    )
    gram_layers = len(dims_a) if symmetric else len(dims_a) + len(dims_b)
    gram = sum(n * n * d for d in (dims_a if symmetric else list(dims_a) + list(dims_b))) + len(pairs) * n * n
    fits = gram_layers * n * n * 8 <= GRAM_BYTES
    return "gram" if fits and gram < feature else "feature"


def _batched_cross(a: np.ndarray, bs: list[np.ndarray], cancelled: Callable[[], None]) -> list[np.ndarray]:
    """``[a.T @ b for b in bs]`` in float64.

    Consecutive b's that are adjacent column views of one buffer (see :func:`prepare_layers`)
    are multiplied in one BLAS call, as many as fit in about 3e10 flop (a fraction of a second,
    so that cancellation, checked before every call, stays responsive).  float32 products run
    over all rows at once up to ``CHUNK_ROWS`` rows, beyond that over equal row chunks summed
    in float64 (:func:`workbench_repsim.core.linalg.row_chunks`).
    """
    out: list[np.ndarray] = []
    n = a.shape[0]
    wide = a.dtype == np.float64 or any(b.dtype == np.float64 for b in bs)
    chunks = [(0, n)] if wide else row_chunks(n)
    rows = max(e - s for s, e in chunks)
    target = 3e10  # flop per BLAS call
    i = 0
    while i < len(bs):
        j = i + 1
        cols = bs[i].shape[1]
        while (
            j < len(bs) and _adjacent(bs[j - 1], bs[j]) and 2.0 * a.shape[1] * (cols + bs[j].shape[1]) * rows <= target
        ):
            cols += bs[j].shape[1]
            j += 1
        block = bs[i] if j == i + 1 else _span(bs[i], cols)
        if wide:
            cancelled()
            prod = np.asarray(a, np.float64).T @ np.asarray(block, np.float64)
        else:
            cancelled()
            s0, e0 = chunks[0]
            prod = (a[s0:e0].T @ block[s0:e0]).astype(np.float64)
            for s, e in chunks[1:]:
                cancelled()
                prod += a[s:e].T @ block[s:e]
        offs = np.cumsum([0] + [b.shape[1] for b in bs[i:j]])
        out += [prod[:, offs[k] : offs[k + 1]] for k in range(j - i)]
        i = j
    return out


def _adjacent(left: np.ndarray, right: np.ndarray) -> bool:
    """True when ``right`` starts in memory where ``left``'s columns end (same buffer, same rows)."""
    if left.base is None or left.base is not right.base or left.strides != right.strides or left.dtype != right.dtype:
        return False
    return right.__array_interface__["data"][0] == left.__array_interface__["data"][0] + left.shape[1] * left.itemsize


def _span(first: np.ndarray, cols: int) -> np.ndarray:
    """A column view of ``cols`` columns of ``first``'s buffer starting at ``first``."""
    return np.lib.stride_tricks.as_strided(first, shape=(first.shape[0], cols), strides=first.strides, writeable=False)


def similarity_heatmap(
    layers_a: Sequence[Any],
    layers_b: Sequence[Any] | None = None,
    measure: str = "cka",
    *,
    names_a: Sequence[str] | None = None,
    names_b: Sequence[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
    form: str = "auto",
    device: str = "cpu",
) -> Heatmap:
    """The L_A x L_B matrix of ``measure`` between every layer of A and every layer of B.

    ``layers_b=None`` compares A with itself (only the upper triangle is computed).
    ``form``: "auto", "feature" or "gram" (shared measures only; Procrustes has the feature
    form only, and asking for its Gram form raises ``ValueError``).
    ``device``: "cpu" runs the products in numpy's BLAS; a torch device ("cuda", "cuda:1", or
    "torch-cpu" to test the path) runs the feature-form cross-products with torch on it
    (float32 products, float64 accumulation), the rest on the host.
    """
    get_measure(measure)
    if form not in ("auto", "feature", "gram"):
        raise ValueError(f"form must be 'auto', 'feature' or 'gram', got {form!r}")
    if form == "gram" and measure.startswith("procrustes"):
        raise ValueError(
            f"{measure} has no Gram form (its nuclear norm needs the p x q cross-covariance); "
            "use form='feature' or 'auto'"
        )
    progress = progress or _noop
    cancelled = check_cancelled or _noop
    symmetric = layers_b is None
    na = list(names_a) if names_a else [str(i) for i in range(len(layers_a))]
    if layers_b is None:
        nb = na
    else:
        nb = list(names_b) if names_b else [str(i) for i in range(len(layers_b))]
    if measure not in SHARED:
        return _pairwise(layers_a, layers_b, measure, na, nb, progress, cancelled)
    xs = prepare_layers(layers_a, "A", na)
    ys = xs if layers_b is None else prepare_layers(layers_b, "B", nb)
    n = xs[0].shape[0]
    if ys[0].shape[0] != n:
        raise DegenerateInputError(
            f"A has {n} samples per layer but B has {ys[0].shape[0]}: both must hold activations of the same inputs"
        )
    debiased = measure == "cka-debiased"
    check_samples(xs[0], 4 if debiased else 2, "A", "the unbiased HSIC estimator divides by n - 3" if debiased else "")
    if form == "auto":
        form = choose_form(n, [x.shape[1] for x in xs], [y.shape[1] for y in ys], symmetric)
        if measure.startswith("procrustes"):
            form = "feature"
    la, lb = len(xs), len(ys)
    m = np.full((la, lb), np.nan)
    crossfn = _batched_cross if device == "cpu" else _torch_cross(xs, ys, symmetric, device)
    if form == "gram" and device != "cpu":
        form = "feature"
    if form == "gram":
        m = _gram_cka(xs, ys, symmetric, debiased, progress, cancelled)
    else:
        steps = (la * (la + 1)) // 2 if symmetric else la + lb + la * lb
        done = 0
        stats: dict[tuple[str, int], LinearStats] = {}
        sq: dict[tuple[str, int], float] = {}
        sides = [("a", xs)] if symmetric else [("a", xs), ("b", ys)]
        if measure.startswith("cka"):
            if not symmetric:
                for side, ls in sides:
                    for i, x in enumerate(ls):
                        xtx = crossfn(x, [x], cancelled)[0]
                        stats[(side, i)] = _stats(x, xtx, debiased)
                        done += 1
                        progress(done / steps, f"{measure}: self-products {done}/{la + lb}")
        else:
            for side, ls in sides:
                for i, x in enumerate(ls):
                    sq[(side, i)] = float(np.einsum("ij,ij->", x, x, dtype=np.float64))
        for i, x in enumerate(xs):
            js = list(range(i, lb)) if symmetric else list(range(lb))
            if symmetric:
                # X_i^T X_i on its own: numpy runs x.T @ x as a symmetric rank-k update (syrk,
                # half the flops of a general product); the rest of the row as one product
                prods = crossfn(x, [x], cancelled) + (crossfn(x, [ys[j] for j in js[1:]], cancelled) if js[1:] else [])
            else:
                prods = crossfn(x, [ys[j] for j in js], cancelled)
            if symmetric and measure.startswith("cka"):
                stats[("a", i)] = _stats(x, prods[0], debiased)
            for j, c in zip(js, prods, strict=True):
                if measure.startswith("cka"):
                    m[i, j] = frob2(c)  # ||X_i^T Y_j||_F^2; divided by the norms below
                else:
                    s = nuclear_from_cross(c, sq[("a", i)], sq[("a", j) if symmetric else ("b", j)])
                    m[i, j] = np.sqrt(max(2 - 2 * s, 0.0)) if measure == "procrustes" else np.arccos(s)
            done += len(js)
            progress(min(done / steps, 1.0), f"{measure}: row {i + 1}/{la}")
        if measure.startswith("cka"):
            for i in range(la):
                for j in range(i if symmetric else 0, lb):
                    sj = stats[("a", j)] if symmetric else stats[("b", j)]
                    m[i, j] = cka_from_stats(m[i, j], stats[("a", i)], sj, debiased)
        if symmetric:
            iu = np.triu_indices(la, 1)
            m[(iu[1], iu[0])] = m[iu]
            if measure.startswith("procrustes"):
                # a layer's distance to itself is exactly 0; computing it through sqrt(2 - 2s)
                # would only show float32 rounding amplified to ~sqrt(eps)
                np.fill_diagonal(m, 0.0)
    progress(1.0, f"{measure}: done")
    return Heatmap(m, na, nb, measure, form, n)


def _stats(x: np.ndarray, xtx: np.ndarray, debiased: bool) -> LinearStats:
    """A layer's CKA statistics; the squared row norms (a pass over the data) only where the
    debiased estimator needs them."""
    if debiased:
        rows = row_sq_norms(x)
        return LinearStats(frob2(xtx), rows, float(rows.sum()), x.shape[0])
    return LinearStats(frob2(xtx), np.zeros(0), float(np.trace(xtx)), x.shape[0])


def _torch_cross(xs: list[np.ndarray], ys: list[np.ndarray], symmetric: bool, device: str) -> Callable:
    """A drop-in for :func:`_batched_cross` that multiplies on a torch device.

    Every layer is copied to the device once (float32 stays float32); products of adjacent
    layers are batched into one call and summed over row chunks in float64.
    """
    import torch

    dev = torch.device("cpu" if device == "torch-cpu" else device)
    cache: dict[int, Any] = {}

    def on_device(x: np.ndarray):
        key = id(x)
        if key not in cache:
            cache[key] = torch.from_numpy(np.ascontiguousarray(x)).to(dev)
        return cache[key]

    def cross(a: np.ndarray, bs: list[np.ndarray], cancelled: Callable[[], None]) -> list[np.ndarray]:
        ta = on_device(a)
        tb = torch.cat([on_device(b) for b in bs], dim=1) if len(bs) > 1 else on_device(bs[0])
        n = ta.shape[0]
        rows = int(min(n, max(1024, 3e10 / (2.0 * ta.shape[1] * tb.shape[1]))))
        prod = torch.zeros((ta.shape[1], tb.shape[1]), dtype=torch.float64, device=dev)
        for s in range(0, n, rows):
            cancelled()
            prod += (ta[s : s + rows].T @ tb[s : s + rows]).double()
        host = prod.cpu().numpy()
        offs = np.cumsum([0] + [b.shape[1] for b in bs])
        return [host[:, offs[k] : offs[k + 1]] for k in range(len(bs))]

    return cross


def _gram_cka(
    xs: list[np.ndarray],
    ys: list[np.ndarray],
    symmetric: bool,
    debiased: bool,
    progress: Callable[[float, str], None],
    cancelled: Callable[[], None],
) -> np.ndarray:
    """Linear (debiased) CKA through n x n Gram matrices built once per layer."""
    from .cka import center_gram

    def grams(ls: list[np.ndarray], side: str, offset: int, total: int) -> list[np.ndarray]:
        out = []
        for i, x in enumerate(ls):
            cancelled()
            g = (x @ x.T).astype(np.float64) if x.dtype == np.float32 else x @ x.T
            if debiased:
                g = center_gram(g, unbiased=True)
            out.append(g)
            progress((offset + i + 1) / total, f"Gram matrices {side} {i + 1}/{len(ls)}")
        return out

    total = len(xs) + (0 if symmetric else len(ys)) + 1
    ga = grams(xs, "A", 0, total)
    gb = ga if symmetric else grams(ys, "B", len(xs), total)
    na = np.sqrt(np.maximum([float(np.vdot(g, g)) for g in ga], 0.0))
    nb = na if symmetric else np.sqrt(np.maximum([float(np.vdot(g, g)) for g in gb], 0.0))
    if (na == 0).any() or (nb == 0).any():
        raise DegenerateInputError("CKA: a layer has zero variance across samples")
    m = np.empty((len(ga), len(gb)))
    for i, g in enumerate(ga):
        cancelled()
        for j in range(i if symmetric else 0, len(gb)):
            m[i, j] = float(np.vdot(g, gb[j])) / (na[i] * nb[j])
            if symmetric:
                m[j, i] = m[i, j]
    return m


def _pairwise(
    layers_a: Sequence[Any],
    layers_b: Sequence[Any] | None,
    measure: str,
    na: list[str],
    nb: list[str],
    progress: Callable[[float, str], None],
    cancelled: Callable[[], None],
) -> Heatmap:
    """One call of the measure per pair (used for measures without shared work)."""
    fn = get_measure(measure)
    symmetric = layers_b is None
    lb_layers = layers_a if layers_b is None else layers_b
    la, lb = len(layers_a), len(lb_layers)
    m = np.full((la, lb), np.nan)
    pairs = [(i, j) for i in range(la) for j in range(lb) if not symmetric or j >= i]
    for k, (i, j) in enumerate(pairs):
        cancelled()

        def beat(k: int = k) -> None:  # the measure's inner loops call heartbeat()
            cancelled()
            progress(k / len(pairs), f"{measure}: pair {k + 1}/{len(pairs)}")

        try:
            with checking(beat):
                m[i, j] = fn(layers_a[i], lb_layers[j])
        except DegenerateInputError as exc:
            raise DegenerateInputError(f"{measure} between A layer {na[i]} and B layer {nb[j]}: {exc}") from None
        if symmetric:
            m[j, i] = m[i, j]
        progress((k + 1) / len(pairs), f"{measure}: pair {k + 1}/{len(pairs)}")
    return Heatmap(m, na, nb, measure, "pairwise", np.asarray(layers_a[0]).shape[0] if la else 0)
