"""Intrinsic-dimension estimators of scikit-dimension behind one interface, on one shared
nearest-neighbour graph.

``estimate(X, "mle")`` returns what ``skdim.id.MLE().fit(X, n_neighbors=20).dimension_``
returns, and likewise for every estimator of :data:`ESTIMATORS` with scikit-dimension's own
defaults.  The estimators that need only each point's nearest-neighbour distances (and, for
TLE and ESS, the neighbours' coordinates) are computed here from one exact kNN graph
(:mod:`.knn`) built once for the largest ``k`` any of them needs, and reused across estimators
and scales:

=========  ==========================================================  ======================
name       estimator (reference)                                       computed
=========  ==========================================================  ======================
twonn      TwoNN, Facco et al. 2017, Sci. Rep. 7:12140                 here, from r1, r2
mle        Levina & Bickel 2004 / Haro et al. 2008 (no noise model)    here, from k-NN
gride      Gride, Denti et al. 2022, Sci. Rep. 12:20005 (multiscale)   here, from k-NN
mada       MADA, Farahmand et al. 2007, ICML                           here, from k-NN
tle        TLE, Amsaleg et al. 2019, SDM                               here, k-NN + coordinates
mom        method of moments, Amsaleg et al. 2018                      here, from k-NN
corrint    correlation dimension, Grassberger & Procaccia 1983         here, k-NN + pair counts
ess        expected simplex skewness, Johnsson et al. 2015             skdim on the shared k-NN
lpca       PCA eigenvalue rules (Fukunaga-Olsen, ...)                  skdim
danco      DANCo, Ceruti et al. 2014, Pattern Recognit. 47:2569        skdim
knn        Carter et al. 2010                                          skdim
fishers    Fisher separability, Albergante et al. 2019                 skdim
mind_ml    MiND-ML, Rozza et al. 2012                                  skdim
ph         persistent-homology dimension, Schweinhart 2021             skdim
=========  ==========================================================  ======================

The formulas follow scikit-dimension 0.5 exactly (the tests compare them with
scikit-dimension on the same data); where skdim's estimator takes options this fast path does
not implement (MLE's noise model), the call is passed to skdim with the shared neighbours.

Duplicates: rows closer than ``dedup_rtol`` times the data's RMS radius are removed first
(:func:`.knn.unique_rows`, with a :class:`.knn.DuplicatePointsWarning`): with duplicates MLE
returns 0 and TwoNN's ratio r2 / r1 is undefined.  ``IDEstimate.n_removed`` says how many.

Also here: bootstrap confidence intervals (:func:`bootstrap_ci`), ID against neighbourhood
scale (:func:`id_vs_scale`) and against the number of points (:func:`id_vs_n`), and the
TwoNN fit for its diagnostic plot (:func:`twonn_fit`).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .knn import DataError, KnnGraph, check_data, count_pairs_within, duplicate_tolerance, knn_graph, unique_rows

Cancel = Callable[[], None] | None


# ------------------------------------------------------------------ the registry -------------
@dataclass(frozen=True)
class EstimatorInfo:
    """What the interface knows of one estimator.

    ``knn``: computed from the shared neighbour graph; ``k_param``: the parameter that a
    neighbourhood size ``--k`` sets (``None``: the estimator has none); ``defaults``:
    scikit-dimension's defaults of the parameters this interface reads; ``pointwise``: the
    estimate combines per-point values (bootstrap resamples those; see :func:`bootstrap_ci`).
    """

    name: str
    title: str
    reference: str
    knn: bool
    k_param: str | None
    defaults: dict[str, Any] = field(default_factory=dict)
    pointwise: bool = False
    skdim_class: str = ""


ESTIMATORS: dict[str, EstimatorInfo] = {
    e.name: e
    for e in (
        EstimatorInfo(
            "twonn",
            "TwoNN",
            "Facco, d'Errico, Rodriguez & Laio 2017, Sci. Rep. 7:12140",
            True,
            None,
            {"discard_fraction": 0.1, "method": "linear"},
            True,
            "TwoNN",
        ),
        EstimatorInfo(
            "mle",
            "MLE (Levina-Bickel)",
            "Levina & Bickel 2004, NeurIPS; Haro et al. 2008",
            True,
            "n_neighbors",
            {"n_neighbors": 20, "comb": "mle", "unbiased": False},
            True,
            "MLE",
        ),
        EstimatorInfo(
            "gride",
            "Gride",
            "Denti, Doimo, Laio & Mira 2022, Sci. Rep. 12:20005",
            True,
            "n1",
            {"n1": 1, "n2": None, "multiscale": False, "range_max": 64},
            True,
            "GRIDE",
        ),
        EstimatorInfo(
            "mada",
            "MADA",
            "Farahmand, Szepesvari & Audibert 2007, ICML",
            True,
            "n_neighbors",
            {"n_neighbors": 20, "comb": "mean"},
            True,
            "MADA",
        ),
        EstimatorInfo(
            "tle",
            "TLE",
            "Amsaleg et al. 2019, SIAM SDM",
            True,
            "n_neighbors",
            {"n_neighbors": 20, "comb": "mean", "epsilon": 1e-4},
            True,
            "TLE",
        ),
        EstimatorInfo(
            "mom",
            "Method of moments",
            "Amsaleg et al. 2018, ACM TKDD",
            True,
            "n_neighbors",
            {"n_neighbors": 100, "comb": "mean"},
            True,
            "MOM",
        ),
        EstimatorInfo(
            "corrint",
            "Correlation dimension",
            "Grassberger & Procaccia 1983, Physica D 9:189",
            True,
            "k2",
            {"k1": 10, "k2": 20},
            False,
            "CorrInt",
        ),
        EstimatorInfo(
            "ess",
            "ESS",
            "Johnsson, Soneson & Fontes 2015, IEEE TPAMI 37:196",
            True,
            "n_neighbors",
            {"n_neighbors": 100, "comb": "mean", "ver": "a", "d": 1},
            True,
            "ESS",
        ),
        EstimatorInfo(
            "lpca", "Local PCA", "Fukunaga & Olsen 1971; Johnsson's intrinsicDimension", False, None, {}, False, "lPCA"
        ),
        EstimatorInfo(
            "danco", "DANCo", "Ceruti et al. 2014, Pattern Recognit. 47:2569", False, "k", {"k": 10}, False, "DANCo"
        ),
        EstimatorInfo(
            "knn", "kNN graph length", "Carter, Raich & Hero 2010, IEEE TSP 58:650", False, "k", {}, False, "KNN"
        ),
        EstimatorInfo(
            "fishers",
            "Fisher separability",
            "Albergante, Bac & Zinovyev 2019, IJCNN",
            False,
            None,
            {},
            False,
            "FisherS",
        ),
        EstimatorInfo(
            "mind_ml", "MiND-ML", "Rozza et al. 2012, Mach. Learn. 89:37", False, "k", {"k": 20}, False, "MiND_ML"
        ),
        EstimatorInfo("ph", "PH dimension", "Schweinhart 2021; Adams et al. 2020", False, None, {}, False, "PH"),
    )
}
ESTIMATOR_NAMES: tuple[str, ...] = tuple(ESTIMATORS)
#: the estimators a diffusion run computes unless told otherwise (all on one kNN graph)
DEFAULT_ESTIMATORS: tuple[str, ...] = ("mle", "twonn", "gride")


def estimator_info(name: str) -> EstimatorInfo:
    """The registry entry of ``name`` (lower case), or ``ValueError`` listing the names."""
    key = str(name).strip().lower()
    if key not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; choose one of {', '.join(ESTIMATOR_NAMES)}")
    return ESTIMATORS[key]


# ------------------------------------------------------------------ results ------------------
@dataclass(frozen=True)
class IDEstimate:
    """One intrinsic-dimension estimate (plain data).

    ``id``: the estimate (dimensionless); ``error``: its standard error where the estimator
    gives one (Gride: 1 / sqrt(observed Fisher information)), else NaN; ``n_points``: points
    used (after duplicates were removed); ``n_removed``: duplicates removed; ``params``: the
    parameters in effect (neighbourhood sizes after capping at n - 1); ``pointwise``: the local
    estimates of the local estimators (else ``None``); ``scales`` / ``scale_ids`` /
    ``scale_errors`` / ``scale_radii``: Gride's multiscale curve (n1 = 1, 2, 4, ..., the ID and
    its error at each, and the mean distance to the n2-th neighbour in data units).
    """

    estimator: str
    id: float
    n_points: int
    n_removed: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    error: float = math.nan
    pointwise: np.ndarray | None = None
    scales: np.ndarray | None = None
    scale_ids: np.ndarray | None = None
    scale_errors: np.ndarray | None = None
    scale_radii: np.ndarray | None = None


@dataclass(frozen=True)
class TwoNNFit:
    """The TwoNN diagnostic: ``y = -log(1 - F_emp(mu))`` against ``x = log(mu)`` of the kept
    ratios (a line through the origin of slope ``slope`` = the ID when the model holds), and the
    discarded largest ratios ``x_discarded`` / ``y_discarded`` (their empirical CDF values)."""

    x: np.ndarray
    y: np.ndarray
    slope: float
    x_discarded: np.ndarray
    y_discarded: np.ndarray
    n_total: int
    discard_fraction: float


@dataclass(frozen=True)
class BootstrapCI:
    """A confidence interval of an estimate: ``low`` / ``high`` at ``level``; ``samples`` the
    replicates; ``method`` ``"points"`` (per-point statistics resampled with replacement, the
    neighbour graph fixed) or ``"subsample"`` (m-out-of-n subsampling, half the points)."""

    estimate: float
    low: float
    high: float
    level: float
    samples: np.ndarray
    method: str


@dataclass(frozen=True)
class ScaleCurve:
    """ID against neighbourhood scale: ``scales`` are neighbour orders (k, or Gride's n1 with
    n2 = 2 n1), ``radii`` the mean distance to the farthest neighbour used (data units)."""

    estimator: str
    scales: np.ndarray
    ids: np.ndarray
    errors: np.ndarray
    radii: np.ndarray


@dataclass(frozen=True)
class SizeCurve:
    """ID against the number of points: ``ids[r, j]`` is repeat ``r`` at ``sizes[j]`` points
    (random subsets without replacement); ``mean`` and ``std`` over the repeats."""

    estimator: str
    sizes: np.ndarray
    ids: np.ndarray
    mean: np.ndarray
    std: np.ndarray


# ------------------------------------------------------------------ prepared data ------------
class PreparedData:
    """Data with duplicates removed and a neighbour graph that grows on demand.

    Build with :func:`prepare`.  ``X`` is the float64 data actually used, ``kept`` the indices
    of those rows in the input, ``n_removed`` the number of duplicates dropped.
    """

    def __init__(
        self,
        X: np.ndarray,
        kept: np.ndarray,
        n_input: int,
        *,
        device: str = "cpu",
        precision: str = "auto",
        graph: KnnGraph | None = None,
    ) -> None:
        self.X = X
        self.kept = kept
        self.n_input = n_input
        self.device = device
        self.precision = precision
        self.graph = graph

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_removed(self) -> int:
        return self.n_input - self.n

    def neighbours(self, k: int, cancel: Cancel = None) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices of the first ``k`` neighbours of every point (computed once
        for the largest ``k`` asked so far)."""
        if k > self.n - 1:
            raise DataError(f"{k} neighbours need at least {k + 1} distinct points; the data has {self.n}")
        if self.graph is None or self.graph.k < k:
            self.graph = knn_graph(self.X, k, device=self.device, precision=self.precision, cancel=cancel)
        return self.graph.first(k)


def prepare(
    X: Any,
    *,
    k: int = 0,
    device: str = "cpu",
    precision: str = "auto",
    dedup_rtol: float = 1e-6,
    min_points: int = 3,
    cancel: Cancel = None,
) -> PreparedData:
    """Check ``X`` (n x D), remove duplicate rows (with a warning) and, if ``k > 0``, build the
    neighbour graph for ``k`` neighbours.  Raises :class:`.knn.DataError` on bad input.

    With ``k > 0`` the graph is built first and its nearest-neighbour distances show whether
    any row lies within the duplicate tolerance of another; only then are duplicates removed
    and the graph rebuilt, so clean data costs one neighbour search."""
    X = check_data(X, min_points=min_points)
    n_input = X.shape[0]
    if k > 0:
        graph = knn_graph(X, min(k, n_input - 1), device=device, precision=precision, cancel=cancel)
        if not np.any(graph.distances[:, 0] <= duplicate_tolerance(X, dedup_rtol)):
            return PreparedData(X, np.arange(n_input), n_input, device=device, precision=precision, graph=graph)
    Xu, kept = unique_rows(X, rtol=dedup_rtol, device=device, cancel=cancel)
    if Xu.shape[0] < min_points:
        raise DataError(
            f"data: only {Xu.shape[0]} distinct point(s) remain after removing duplicates; "
            f"at least {min_points} are needed"
        )
    prep = PreparedData(Xu, kept, n_input, device=device, precision=precision)
    if k > 0:
        prep.neighbours(min(k, prep.n - 1), cancel)
    return prep


def _as_prepared(data: Any, device: str, cancel: Cancel, k: int = 0) -> PreparedData:
    return data if isinstance(data, PreparedData) else prepare(data, k=k, device=device, cancel=cancel)


# ------------------------------------------------------------------ parameters ---------------
def resolve_params(name: str, params: dict[str, Any] | None, n: int) -> dict[str, Any]:
    """The parameters of estimator ``name`` in effect on ``n`` points: defaults filled in,
    unknown names refused, neighbourhood sizes capped at ``n - 1`` as scikit-dimension does."""
    info = estimator_info(name)
    params = dict(params or {})
    if info.knn:
        allowed = set(info.defaults) | (_skdim_param_names(info) if info.name in ("mle", "ess") else set())
        unknown = set(params) - allowed
        if unknown:
            raise ValueError(
                f"{info.name}: unknown parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(allowed))}"
            )
    out = {**info.defaults, **params}
    for key in ("n_neighbors",):
        if key in out:
            v = out[key]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{info.name}: {key} must be a positive integer, got {v!r}")
            out[key] = int(min(v, n - 1))
    if info.name == "mada" and out["n_neighbors"] < 2:
        raise ValueError("mada: n_neighbors must be at least 2 (it compares the k-th and k/2-th neighbours)")
    if info.name == "corrint":
        k1, k2 = int(out["k1"]), int(out["k2"])
        if k2 >= n:
            k2 = n - 1
        if k1 >= n or k1 > k2:
            k1 = k2 - 1
        if k1 < 1:
            raise ValueError("corrint: needs k1 >= 1; give more points or a larger k2")
        out["k1"], out["k2"] = k1, k2
    if info.name == "gride":
        n1 = out["n1"]
        n2 = 2 * n1 if out["n2"] is None else out["n2"]
        for v, what in ((n1, "n1"), (n2, "n2")):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"gride: {what} must be an integer, got {v!r}")
        if not 1 <= n1 < n2:
            raise ValueError("gride: n1 and n2 must be integers with 1 <= n1 < n2")
        if n2 > n - 1:
            raise ValueError(f"gride: n2={n2} needs at least n2 + 1 = {n2 + 1} points; there are {n}")
        out["n1"], out["n2"] = int(n1), int(n2)
        if out["multiscale"]:
            rm = out["range_max"]
            if isinstance(rm, bool) or not isinstance(rm, (int, np.integer)) or rm < 2:
                raise ValueError("gride: range_max must be an integer >= 2")
            out["range_max"] = int(min(rm, n - 1))
    if info.name == "twonn":
        if out["method"] not in ("linear", "mle"):
            raise ValueError("twonn: method must be 'linear' or 'mle'")
        if not 0 <= float(out["discard_fraction"]) < 1:
            raise ValueError("twonn: discard_fraction must be in [0, 1)")
    return out


def neighbours_needed(name: str, params: dict[str, Any] | None, n: int) -> int:
    """How many neighbours estimator ``name`` with ``params`` reads from the shared graph
    (0 for the estimators that do not use it)."""
    info = estimator_info(name)
    if not info.knn:
        return 0
    p = resolve_params(name, params, n)
    if info.name == "twonn":
        return 2
    if info.name == "gride":
        return max(p["n2"], p["range_max"] if p["multiscale"] else 0)
    if info.name == "corrint":
        return p["k2"]
    return int(p["n_neighbors"])


def with_k(name: str, k: int | None, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """``params`` with the neighbourhood size ``k`` put where estimator ``name`` takes it
    (see :attr:`EstimatorInfo.k_param`); ``ValueError`` for an estimator without one."""
    params = dict(params or {})
    if k is None:
        return params
    info = estimator_info(name)
    if info.k_param is None:
        raise ValueError(f"{info.name} has no neighbourhood size; leave out --k")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"--k must be a positive integer, got {k!r}")
    params[info.k_param] = int(k)
    return params


# ------------------------------------------------------------------ kNN estimators -----------
def _twonn_ratios(dists: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = dists[:, 1] / dists[:, 0]
    return mu[np.isfinite(mu)]


def _twonn_combine(mu: np.ndarray, discard_fraction: float, method: str) -> float:
    """TwoNN from the ratios ``mu`` (skdim 0.5 ``TwoNN._twonn``): linear fit through the origin
    of ``-log(1 - F_emp)`` on ``log mu`` over the smallest ``int(N (1 - discard))`` ratios, or the
    censored MLE ``(k - 1) / (sum log mu_(i<=k) + (N - k) log mu_(k))``."""
    N = len(mu)
    n_keep = int(N * (1 - discard_fraction))
    if n_keep < 2:
        raise DataError("twonn: fewer than 2 points left to estimate the dimension")
    m = np.sort(mu)[:n_keep]
    x = np.log(m)
    if method == "mle":
        return float((n_keep - 1) / (np.sum(x) + (N - n_keep) * x[-1]))
    y = -np.log(1 - np.arange(1, 1 + n_keep) / N)
    return float(np.dot(x, y) / np.dot(x, x))


def _mle_pointwise(dists: np.ndarray, unbiased: bool) -> np.ndarray:
    """Levina-Bickel local estimates ``(k - 1) / sum_j log(R_k / R_j)`` over the k neighbour
    distances ``R_j`` (``k - 2`` with ``unbiased``; skdim ``_maxLikDimEstFromR_haro_approx``)."""
    k = dists.shape[1]
    kfac = k - 2 if unbiased else k - 1
    Rk = dists.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return kfac / np.sum(np.log(Rk / dists), axis=1)


def _combine(pw: np.ndarray, comb: str, name: str) -> float:
    if comb == "mean":
        return float(np.mean(pw))
    if comb == "median":
        return float(np.median(pw))
    if comb == "mle" and name == "mle":
        return float(1 / np.mean(1 / pw))
    raise ValueError(f"{name}: comb must be 'mean' or 'median'" + (" or 'mle'" if name == "mle" else ""))


def _gride_logmu(dists: np.ndarray, n1: int, n2: int) -> np.ndarray:
    """log(r_n2 / r_n1) of every point, duplicates and ties dropped (with a warning, as skdim)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mu = np.log(dists[:, n2 - 1] / dists[:, n1 - 1])
    ok = np.isfinite(log_mu) & (log_mu > 0)
    if not np.all(ok):
        warnings.warn(
            f"Gride (n1={n1}, n2={n2}): dropping {int(np.sum(~ok))} points with zero or tied "
            "neighbour distances (duplicate points).",
            stacklevel=3,
        )
        log_mu = log_mu[ok]
    return log_mu


def _gride_combine(log_mu: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    """Gride MLE and its standard error (skdim 0.5 ``_gride``; Denti et al. 2022 eq. 5): the root
    in d of ``(N - 1)/d + (n2 - n1 - 1) sum log mu / (1 - mu^-d) - (n2 - 1) sum log mu`` after
    DADApy's outlier cut ``mu < q50 + 20 (q95 - q50)``."""
    mu = np.exp(log_mu)
    q95, q50 = np.percentile(mu, [95, 50])
    log_mu = log_mu[mu < 20 * (q95 - q50) + q50]
    N = len(log_mu)
    if N < 2:
        raise DataError("gride: fewer than 2 points left to estimate the dimension")
    s = float(np.sum(log_mu))

    def score(d: float) -> float:
        return (N - 1) / d + (n2 - n1 - 1) * float(np.sum(log_mu / -np.expm1(-d * log_mu))) - (n2 - 1) * s

    hi = 1.0
    while score(hi) > 0:
        hi *= 2
    d = brentq(score, 1e-8, hi, xtol=1e-12, rtol=1e-12)
    info = N / d**2 + (n2 - n1 - 1) * float(np.sum((log_mu / (2 * np.sinh(d * log_mu / 2))) ** 2))
    return float(d), float(1 / np.sqrt(info))


def _mada_pointwise(dists: np.ndarray) -> np.ndarray:
    """MADA local estimates ``log 2 / log(r_k / r_floor(k/2))`` (skdim ``MADA._mada``)."""
    k = dists.shape[1]
    return np.log(2) / np.log(dists[:, k - 1] / dists[:, int(np.floor(k / 2) - 1)])


def _mom_pointwise(dists: np.ndarray) -> np.ndarray:
    """Method-of-moments local estimates ``-m1 / (m1 - w)``, ``m1`` the mean neighbour distance
    and ``w`` the k-th (skdim ``MOM._mom``)."""
    w = dists[:, -1]
    m1 = np.sum(dists, axis=1) / dists.shape[1]
    return -m1 / (m1 - w)


def _tle_pointwise(
    X: np.ndarray, dists: np.ndarray, idx: np.ndarray, epsilon: float, cancel: Cancel = None
) -> np.ndarray:
    """TLE local estimates (Amsaleg et al. 2019, ``idtlec.m`` with central measurements and
    reflections), vectorised over points: every array of skdim's ``TLE._idtle`` gains a leading
    batch axis, the boundary cases are applied with masks in the same order."""
    n, k = dists.shape
    out = np.empty(n)
    step = max(1, int(4e6 // max(1, k * k * 12 + k * X.shape[1])))
    diag = np.eye(k, dtype=bool)[None]
    for s in range(0, n, step):
        if cancel is not None:
            cancel()
        e = min(n, s + step)
        nn = X[idx[s:e]]  # (b, k, D)
        dd = dists[s:e]  # (b, k)
        b = e - s
        # pairwise distances between each point's neighbours (skdim: pdist), from the centred
        # neighbourhood with the Gram identity in float64
        G = nn - nn.mean(axis=1, keepdims=True)
        sq = np.sum(G * G, axis=2)
        V = np.sqrt(np.maximum(sq[:, :, None] + sq[:, None, :] - 2 * np.matmul(G, G.transpose(0, 2, 1)), 0.0))
        V[:, np.arange(k), np.arange(k)] = 0.0
        r = dd[:, -1][:, None, None]  # (b, 1, 1)
        if np.any(r == 0):
            raise DataError("tle: all k-NN distances are zero for some point (duplicates)")
        Di = np.broadcast_to(dd[:, :, None], (b, k, k))
        Dj = np.broadcast_to(dd[:, None, :], (b, k, k))
        Z2 = 2 * Di**2 + 2 * Dj**2 - V**2
        with np.errstate(divide="ignore", invalid="ignore"):
            S = (
                r
                * (np.sqrt((Di**2 + V**2 - Dj**2) ** 2 + 4 * V**2 * (r**2 - Di**2)) - (Di**2 + V**2 - Dj**2))
                / (2 * (r**2 - Di**2))
            )
            T = (
                r
                * (np.sqrt((Di**2 + Z2 - Dj**2) ** 2 + 4 * Z2 * (r**2 - Di**2)) - (Di**2 + Z2 - Dj**2))
                / (2 * (r**2 - Di**2))
            )
            Dr = np.broadcast_to((dd == dd[:, -1:])[:, :, None], (b, k, k))
            S = np.where(Dr, r * V**2 / (r**2 + V**2 - Dj**2), S)
            T = np.where(Dr, r * Z2 / (r**2 + Z2 - Dj**2), T)
            Di0 = Di == 0
            T = np.where(Di0, Dj, T)
            S = np.where(Di0, Dj, S)
            Dj0 = Dj == 0
            T = np.where(Dj0, r * V / (r + V), T)
            S = np.where(Dj0, r * V / (r + V), S)
            V0 = (V == 0) & ~diag
            T = np.where(V0, r, T)
            S = np.where(V0, r, S)
            nV0 = V0.sum(axis=(1, 2))
            TSeps = ((T < epsilon) | (S < epsilon) | np.isnan(T) | np.isnan(S)) & ~diag
            nTSeps = TSeps.sum(axis=(1, 2))
            T = np.log(np.where(TSeps, r, T) / r)
            S = np.log(np.where(TSeps, r, S) / r)
        T = np.where(diag, 0.0, T)
        S = np.where(diag, 0.0, S)
        s1t = T.sum(axis=(1, 2))
        s1s = S.sum(axis=(1, 2))
        Deps = dd < epsilon
        nDeps = Deps.sum(axis=1)
        with np.errstate(divide="ignore"):
            logs = np.log(dd / dd[:, -1:])
        # skdim drops the first nDeps distances (those below epsilon; the row is sorted)
        keep = np.arange(k)[None, :] >= nDeps[:, None]
        s2 = np.where(keep, logs, 0.0).sum(axis=1)
        ids = -2 * (k**2 - nTSeps - nDeps - nV0) / (s1t + s1s + 2 * s2)
        out[s:e] = np.where(s1t + s1s > -epsilon, 0.0, ids)
    return out


def _corrint_value(prep: PreparedData, k1: int, k2: int, cancel: Cancel) -> float:
    """Correlation dimension between the median k1-th and k2-th neighbour distances r1 < r2:
    ``(log C(r2) - log C(r1)) / log(r2 / r1)``, ``C(r)`` the fraction of ordered pairs i != j
    closer than r (skdim ``CorrInt._corrint``; its denominator n^2 kept)."""
    dists, _ = prep.neighbours(k2, cancel)
    r1 = float(np.median(dists[:, k1 - 1]))
    r2 = float(np.median(dists[:, k2 - 1]))
    c1, c2 = count_pairs_within(prep.X, [r1, r2], device=prep.device, cancel=cancel)
    n = prep.n
    Cr = np.array([c1 / n**2, c2 / n**2])
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.diff(np.log(Cr))[0] / np.log(r2 / r1))


# ------------------------------------------------------------------ skdim calls --------------
def _skdim_class(info: EstimatorInfo) -> Any:
    import skdim

    return getattr(skdim.id, info.skdim_class)


def _skdim_param_names(info: EstimatorInfo) -> set[str]:
    cls = _skdim_class(info)
    names = set(inspect.signature(cls.__init__).parameters) | set(inspect.signature(cls.fit).parameters)
    return names - {"self", "X", "y", "precomputed_knn_arrays"}


def _split_skdim_params(info: EstimatorInfo, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    cls = _skdim_class(info)
    init = set(inspect.signature(cls.__init__).parameters) - {"self"}
    fit = set(inspect.signature(cls.fit).parameters) - {"self", "X", "y", "precomputed_knn_arrays"}
    unknown = set(params) - init - fit
    if unknown:
        raise ValueError(
            f"{info.name}: unknown parameter(s) {', '.join(sorted(unknown))}; "
            f"scikit-dimension's {info.skdim_class} takes {', '.join(sorted(init | fit))}"
        )
    return {k: v for k, v in params.items() if k in init}, {k: v for k, v in params.items() if k in fit}


def _run_skdim(info: EstimatorInfo, X: np.ndarray, params: dict[str, Any], **fit_extra: Any) -> Any:
    init, fit = _split_skdim_params(info, params)
    est = _skdim_class(info)(**init)
    with contextlib.redirect_stdout(io.StringIO()):  # DANCo / ESS print warnings
        est.fit(X, **fit, **fit_extra)
    return est


# ------------------------------------------------------------------ the interface ------------
def _pointwise_stats(prep: PreparedData, name: str, p: dict[str, Any], cancel: Cancel) -> np.ndarray:
    """Per-point statistics a pointwise estimator combines (bootstrap resamples them)."""
    if name == "twonn":
        return _twonn_ratios(prep.neighbours(2, cancel)[0])
    if name == "mle":
        return _mle_pointwise(prep.neighbours(p["n_neighbors"], cancel)[0], bool(p["unbiased"]))
    if name == "gride":
        return _gride_logmu(prep.neighbours(p["n2"], cancel)[0], p["n1"], p["n2"])
    if name == "mada":
        return _mada_pointwise(prep.neighbours(p["n_neighbors"], cancel)[0])
    if name == "mom":
        return _mom_pointwise(prep.neighbours(p["n_neighbors"], cancel)[0])
    if name == "tle":
        d, i = prep.neighbours(p["n_neighbors"], cancel)
        return _tle_pointwise(prep.X, d, i, float(p["epsilon"]), cancel)
    if name == "ess":
        d, i = prep.neighbours(p["n_neighbors"], cancel)
        sk = {k: v for k, v in p.items() if k not in ("n_neighbors",)}
        est = _run_skdim(ESTIMATORS["ess"], prep.X, sk, precomputed_knn_arrays=(d, i), n_neighbors=p["n_neighbors"])
        return np.asarray(est.dimension_pw_, dtype=float)
    raise ValueError(f"{name} is not a pointwise estimator")


def _combine_stats(name: str, stats: np.ndarray, p: dict[str, Any]) -> float:
    if name == "twonn":
        return _twonn_combine(stats, float(p["discard_fraction"]), p["method"])
    if name == "gride":
        return _gride_combine(stats, p["n1"], p["n2"])[0]
    return _combine(stats, p["comb"], name)


def _mle_fast(p: dict[str, Any]) -> bool:
    """Whether skdim's MLE with these parameters is the closed form computed here."""
    return (
        p.get("dnoise") is None
        and not p.get("smooth", False)
        and p.get("neighborhood_based", True)
        and p.get("integral_approximation", "Haro") == "Haro"
    )


def estimate(
    data: Any,
    estimator: str = "mle",
    *,
    params: dict[str, Any] | None = None,
    device: str = "cpu",
    cancel: Cancel = None,
) -> IDEstimate:
    """The intrinsic dimension of ``data`` (an n x D array, or :class:`PreparedData` to share
    its neighbour graph) by ``estimator`` with scikit-dimension's parameters ``params``
    (defaults: scikit-dimension's).  Raises :class:`.knn.DataError` / ``ValueError`` with a
    message on bad input."""
    info = estimator_info(estimator)
    if not isinstance(data, PreparedData):
        n0 = check_data(data).shape[0]
        data = prepare(data, k=neighbours_needed(info.name, params, n0), device=device, cancel=cancel)
    prep = data
    n = prep.n
    common = {"n_points": n, "n_removed": prep.n_removed}
    if not info.knn:
        user = dict(params or {})
        est = _run_skdim(info, prep.X, user)
        return IDEstimate(info.name, float(est.dimension_), params=user, **common)
    p = resolve_params(info.name, params, n)
    if info.name == "mle" and not _mle_fast(p):
        k = p["n_neighbors"]
        d, i = prep.neighbours(k, cancel)
        est = _run_skdim(info, prep.X, p, precomputed_knn_arrays=(d, i))
        return IDEstimate("mle", float(est.dimension_), params=p, pointwise=np.asarray(est.dimension_pw_), **common)
    if info.name == "corrint":
        return IDEstimate("corrint", _corrint_value(prep, p["k1"], p["k2"], cancel), params=p, **common)
    stats = _pointwise_stats(prep, info.name, p, cancel)
    if info.name == "twonn":
        return IDEstimate("twonn", _twonn_combine(stats, float(p["discard_fraction"]), p["method"]), params=p, **common)
    if info.name == "gride":
        d, err = _gride_combine(stats, p["n1"], p["n2"])
        extra: dict[str, Any] = {}
        if p["multiscale"]:
            dists, _ = prep.neighbours(p["range_max"], cancel)
            scales = 2 ** np.arange(int(np.log2(p["range_max"])))
            res = np.array(
                [_gride_combine(_gride_logmu(dists, int(s), int(2 * s)), int(s), int(2 * s)) for s in scales]
            )
            extra = {
                "scales": scales,
                "scale_ids": res[:, 0],
                "scale_errors": res[:, 1],
                "scale_radii": dists[:, 2 * scales - 1].mean(axis=0),
            }
        return IDEstimate("gride", d, params=p, error=err, **common, **extra)
    return IDEstimate(info.name, _combine(stats, p["comb"], info.name), params=p, pointwise=stats, **common)


def estimate_many(
    data: Any,
    estimators: Sequence[str | tuple[str, dict[str, Any]]] = DEFAULT_ESTIMATORS,
    *,
    device: str = "cpu",
    cancel: Cancel = None,
) -> list[IDEstimate]:
    """Several estimates on one neighbour graph, built once for the largest ``k`` they need."""
    specs = [(e, {}) if isinstance(e, str) else (e[0], dict(e[1])) for e in estimators]
    if not isinstance(data, PreparedData):
        n0 = check_data(data).shape[0]
        data = prepare(
            data, k=max([neighbours_needed(nm, p, n0) for nm, p in specs] + [0]), device=device, cancel=cancel
        )
    prep = data
    kmax = max([neighbours_needed(name, p, prep.n) for name, p in specs] + [0])
    if kmax:
        prep.neighbours(kmax, cancel)
    return [estimate(prep, name, params=p, cancel=cancel) for name, p in specs]


# ------------------------------------------------------------------ diagnostics --------------
def twonn_fit(data: Any, *, discard_fraction: float = 0.1, device: str = "cpu", cancel: Cancel = None) -> TwoNNFit:
    """The data of the TwoNN diagnostic plot (Facco et al. 2017, fig. 1): the slope through
    the origin is :func:`estimate` ``(data, "twonn")`` with the same ``discard_fraction``."""
    prep = _as_prepared(data, device, cancel)
    mu = np.sort(_twonn_ratios(prep.neighbours(2, cancel)[0]))
    N = len(mu)
    n_keep = int(N * (1 - discard_fraction))
    if n_keep < 2:
        raise DataError("twonn: fewer than 2 points left to estimate the dimension")
    F = np.arange(1, N + 1) / N
    with np.errstate(divide="ignore"):
        y_all = -np.log(1 - F)
    x_all = np.log(mu)
    x, y = x_all[:n_keep], y_all[:n_keep]
    return TwoNNFit(
        x=x,
        y=y,
        slope=float(np.dot(x, y) / np.dot(x, x)),
        x_discarded=x_all[n_keep:],
        y_discarded=y_all[n_keep:],
        n_total=N,
        discard_fraction=float(discard_fraction),
    )


def bootstrap_ci(
    data: Any,
    estimator: str = "mle",
    *,
    params: dict[str, Any] | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
    device: str = "cpu",
    cancel: Cancel = None,
) -> BootstrapCI:
    """A percentile confidence interval of ``estimate(data, estimator)``.

    Pointwise estimators (TwoNN, MLE, Gride, MADA, TLE, MOM, ESS): the per-point statistics
    (ratios, local estimates) are resampled with replacement and recombined, the neighbour graph
    of the full data held fixed, so no resample contains duplicate points (method ``"points"``).
    Others: m-out-of-n subsampling without replacement, m = n // 2 (Politis & Romano 1994, Ann.
    Stat. 22:2031), the basic interval ``theta - sqrt(m / n) q`` of the rescaled deviations
    (method ``"subsample"``).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n_boot < 10:
        raise ValueError(f"n_boot must be at least 10, got {n_boot}")
    info = estimator_info(estimator)
    prep = _as_prepared(data, device, cancel)
    rng = np.random.default_rng(seed)
    alpha = (1 - level) / 2
    theta = estimate(prep, info.name, params=params, cancel=cancel).id
    samples = np.empty(n_boot)
    if info.pointwise and not (info.name == "mle" and not _mle_fast(resolve_params("mle", params, prep.n))):
        p = resolve_params(info.name, params, prep.n)
        stats = _pointwise_stats(prep, info.name, p, cancel)
        for b in range(n_boot):
            if cancel is not None and b % 20 == 0:
                cancel()
            samples[b] = _combine_stats(info.name, stats[rng.integers(0, len(stats), len(stats))], p)
        lo, hi = np.quantile(samples, [alpha, 1 - alpha])
        return BootstrapCI(theta, float(lo), float(hi), level, samples, "points")
    n = prep.n
    m = max(3, n // 2)
    for b in range(n_boot):
        if cancel is not None:
            cancel()
        sub = prep.X[np.sort(rng.choice(n, m, replace=False))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            samples[b] = estimate(
                PreparedData(sub, np.arange(m), m, device=prep.device), info.name, params=params, cancel=cancel
            ).id
    dev = np.sqrt(m / n) * (samples - theta)
    q_lo, q_hi = np.quantile(dev, [alpha, 1 - alpha])
    return BootstrapCI(theta, float(theta - q_hi), float(theta - q_lo), level, samples, "subsample")


def id_vs_scale(
    data: Any,
    estimator: str = "gride",
    scales: Sequence[int] | None = None,
    *,
    params: dict[str, Any] | None = None,
    device: str = "cpu",
    cancel: Cancel = None,
) -> ScaleCurve:
    """ID against neighbourhood scale on one neighbour graph.  Gride: ``scales`` are n1 with
    n2 = 2 n1 (default 1, 2, 4, ... up to n2 <= min(64, n - 1)); the k-NN local estimators
    (MLE, MADA, TLE, MOM): ``scales`` are k (default 5, 10, 20, 40, 80 up to n - 1)."""
    info = estimator_info(estimator)
    prep = _as_prepared(data, device, cancel)
    n = prep.n
    if info.name == "gride":
        ks = [int(s) for s in (scales or 2 ** np.arange(int(np.log2(min(64, n - 1)))))]
        if not ks or min(ks) < 1 or 2 * max(ks) > n - 1:
            raise ValueError(f"gride scales need 1 <= n1 and 2 n1 <= n - 1 = {n - 1}")
        dists, _ = prep.neighbours(2 * max(ks), cancel)
        res = np.array([_gride_combine(_gride_logmu(dists, s, 2 * s), s, 2 * s) for s in ks])
        return ScaleCurve("gride", np.array(ks), res[:, 0], res[:, 1], dists[:, [2 * s - 1 for s in ks]].mean(axis=0))
    if info.name not in ("mle", "mada", "tle", "mom"):
        raise ValueError(f"id_vs_scale supports gride, mle, mada, tle and mom, not {info.name}")
    ks = [int(s) for s in (scales or [k for k in (5, 10, 20, 40, 80) if k <= n - 1])]
    if not ks or min(ks) < 2 or max(ks) > n - 1:
        raise ValueError(f"{info.name} scales need 2 <= k <= n - 1 = {n - 1}")
    dists, _ = prep.neighbours(max(ks), cancel)
    ids = [estimate(prep, info.name, params={**(params or {}), "n_neighbors": k}, cancel=cancel).id for k in ks]
    return ScaleCurve(
        info.name, np.array(ks), np.array(ids), np.full(len(ks), np.nan), dists[:, [k - 1 for k in ks]].mean(axis=0)
    )


def id_vs_n(
    X: Any,
    estimator: str = "mle",
    sizes: Sequence[int] | None = None,
    *,
    repeats: int = 5,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    device: str = "cpu",
    cancel: Cancel = None,
) -> SizeCurve:
    """ID against the number of points: ``repeats`` random subsets (without replacement) of
    each size in ``sizes`` (default: 8 sizes from n / 16 to n, geometrically)."""
    prep = _as_prepared(X, device, cancel)
    n = prep.n
    info = estimator_info(estimator)
    if sizes is None:
        lo = max(8, n // 16)
        sizes = sorted({int(round(s)) for s in np.geomspace(lo, n, 8)}) if lo < n else [n]
    sizes = [int(s) for s in sizes]
    if min(sizes) < 3 or max(sizes) > n:
        raise ValueError(f"sizes must lie in [3, {n}] (the distinct points), got {sizes}")
    rng = np.random.default_rng(seed)
    ids = np.empty((repeats, len(sizes)))
    for r in range(repeats):
        for j, m in enumerate(sizes):
            if cancel is not None:
                cancel()
            sub = prep.X[np.sort(rng.choice(n, m, replace=False))]
            ids[r, j] = estimate(
                PreparedData(sub, np.arange(m), m, device=prep.device), info.name, params=params, cancel=cancel
            ).id
    return SizeCurve(
        info.name,
        np.array(sizes),
        ids,
        ids.mean(axis=0),
        ids.std(axis=0, ddof=1) if repeats > 1 else np.zeros(len(sizes)),
    )
