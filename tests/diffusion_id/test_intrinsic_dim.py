"""Intrinsic-dimension estimators on a shared kNN graph against scikit-dimension itself (the
independent oracle: the same estimator computed by the library the field uses), scikit-learn's
exact neighbours, and simple facts (a uniform cube has dimension 3)."""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pytest
import skdim
from sklearn.neighbors import NearestNeighbors

from workbench_diffusion_id.core import intrinsic_dim as idim
from workbench_diffusion_id.core import knn as knnmod

RTOL = 1e-9


def _subspace(n=400, d=10, D=1000, seed=0):
    """A 10-d linear subspace of R^1000 (random orthonormal basis), Gaussian coordinates."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((D, d)))
    return rng.standard_normal((n, d)) @ basis.T


@functools.lru_cache(maxsize=4)
def _manifolds(n=300):
    bm = skdim.datasets.BenchmarkManifolds(random_state=0)
    data = bm.generate(n=n)
    # a spread of true dimensions and ambient sizes, small enough for the test budget
    return {
        name: np.asarray(data[name], dtype=float)
        for name in (
            "M1_Sphere",
            "M3_Nonlinear_4to6",
            "M5a_Helix1d",
            "M7_Roll",
            "M9_Affine",
            "M10a_Cubic",
            "M12_Norm",
            "M13a_Scurve",
        )
    }


def _skdim_value(name, X):
    if name == "twonn":
        return skdim.id.TwoNN().fit(X).dimension_
    if name == "mle":
        return skdim.id.MLE().fit(X, n_neighbors=20).dimension_
    if name == "gride":
        return skdim.id.GRIDE().fit(X).dimension_
    if name == "mada":
        return skdim.id.MADA().fit(X).dimension_
    if name == "tle":
        return skdim.id.TLE().fit(X).dimension_
    if name == "mom":
        return skdim.id.MOM().fit(X).dimension_
    if name == "corrint":
        return skdim.id.CorrInt().fit(X).dimension_
    raise AssertionError(name)


KNN_NAMES = ("twonn", "mle", "gride", "mada", "tle", "mom", "corrint")


@pytest.mark.parametrize("name", KNN_NAMES)
def test_knn_estimators_equal_skdim_on_benchmark_manifolds(name):
    for mname, X in _manifolds().items():
        ours = idim.estimate(X, name).id
        ref = _skdim_value(name, X)
        assert ours == pytest.approx(ref, rel=RTOL), (mname, ours, ref)


@pytest.mark.parametrize("name", [n for n in KNN_NAMES if n != "corrint"])
def test_knn_estimators_equal_skdim_on_a_10d_subspace_of_r1000(name):
    X = _subspace()
    assert idim.estimate(X, name).id == pytest.approx(_skdim_value(name, X), rel=RTOL)


def _corrint_by_pdist(X, k1=10, k2=20):
    """CorrInt with every distance from one scipy pdist (consistent ties), skdim's formula."""
    from scipy.spatial.distance import pdist, squareform

    D = squareform(pdist(X))
    n = len(X)
    srt = np.sort(D, axis=1)  # column 0 is the point itself
    r1, r2 = np.median(srt[:, k1]), np.median(srt[:, k2])
    c = np.array([(D < r1).sum() - n, (D < r2).sum() - n]) / n**2
    return np.diff(np.log(c))[0] / np.log(r2 / r1)


def test_corrint_on_a_10d_subspace_of_r1000():
    """Here a pair lies exactly at the median radius r1 (it is each end's 10th neighbour), and
    skdim counts it or not depending on the last bit of two different distance computations
    of scikit-learn; ours uses one computation for both, as does a pdist oracle."""
    X = _subspace()
    ours = idim.estimate(X, "corrint").id
    assert ours == pytest.approx(_corrint_by_pdist(X), rel=RTOL)
    assert ours == pytest.approx(_skdim_value("corrint", X), rel=2e-3)


def test_skdim_delegated_estimators_equal_skdim():
    X = _manifolds(200)["M10a_Cubic"]
    assert idim.estimate(X, "lpca").id == skdim.id.lPCA().fit(X).dimension_
    assert idim.estimate(X, "lpca", params={"ver": "participation_ratio"}).id == pytest.approx(
        skdim.id.lPCA(ver="participation_ratio").fit(X).dimension_, rel=RTOL
    )
    small = X[:150]
    assert idim.estimate(small, "danco", params={"random_state": 0}).id == pytest.approx(
        skdim.id.DANCo(random_state=0).fit(small).dimension_, rel=RTOL
    )
    # ESS is given the shared graph's neighbours; skdim computes its own
    assert idim.estimate(small, "ess", params={"n_neighbors": 30}).id == pytest.approx(
        skdim.id.ESS().fit(small, n_neighbors=30).dimension_, rel=RTOL
    )


def test_gride_multiscale_and_id_vs_scale_equal_skdim():
    X = _manifolds(400)["M7_Roll"]
    ref = skdim.id.GRIDE(multiscale=True).fit(X)
    ours = idim.estimate(X, "gride", params={"multiscale": True})
    np.testing.assert_allclose(ours.scale_ids, ref.dimension_scales_, rtol=RTOL)
    np.testing.assert_allclose(ours.scale_errors, ref.error_scales_, rtol=1e-7)
    np.testing.assert_allclose(ours.scale_radii, ref.radius_scales_, rtol=RTOL)
    np.testing.assert_array_equal(ours.scales, ref.scales_)
    curve = idim.id_vs_scale(X, "gride")
    np.testing.assert_allclose(curve.ids, ref.dimension_scales_, rtol=RTOL)
    mle = idim.id_vs_scale(X, "mle", [5, 10, 40])
    for k, v in zip(mle.scales, mle.ids, strict=True):
        assert v == pytest.approx(skdim.id.MLE().fit(X, n_neighbors=int(k)).dimension_, rel=RTOL)


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_knn_graph_is_exact(precision):
    rng = np.random.default_rng(3)
    X = np.tanh(rng.standard_normal((700, 6)) @ rng.standard_normal((6, 80)))
    g = knnmod.knn_graph(X, 25, precision=precision)
    d, i = NearestNeighbors(n_neighbors=25).fit(X).kneighbors()
    np.testing.assert_allclose(g.distances, d, rtol=1e-11)
    assert (g.indices == i).mean() > 0.999  # equal except where two distances tie to rounding


def test_float32_fallback_rows_stay_exact(monkeypatch):
    """On an integer lattice many distances tie exactly, so the float32 margin cannot prove a
    row complete: those rows are recomputed in float64 and the distances stay exact."""
    monkeypatch.setattr(knnmod, "FLOAT32_MARGIN", 1)
    g = np.stack(np.meshgrid(np.arange(7), np.arange(7), np.arange(7)), -1).reshape(-1, 3).astype(float)
    X = np.hstack([g, np.zeros((len(g), 2))])
    ours = knnmod.knn_graph(X, 10, precision="float32")
    d, _ = NearestNeighbors(n_neighbors=10).fit(X).kneighbors()
    np.testing.assert_allclose(ours.distances, d, rtol=1e-12, atol=1e-12)


def test_one_graph_serves_every_estimator(monkeypatch):
    X = _manifolds(300)["M1_Sphere"]
    calls = []
    real = knnmod.knn_graph

    def counting(*a, **kw):
        calls.append(a[1])
        return real(*a, **kw)

    monkeypatch.setattr(idim, "knn_graph", counting)
    res = idim.estimate_many(X, ["twonn", "mle", ("gride", {"multiscale": True}), "mada", "tle"])
    assert calls == [64]  # Gride's range_max; TwoNN, MLE (20), MADA (20) and TLE (20) read the same graph
    for r, name in zip(res, ["twonn", "mle", "gride", "mada", "tle"], strict=True):
        assert r.id == pytest.approx(_skdim_value(name, X), rel=RTOL)


def test_duplicates_are_removed_with_a_warning():
    X = _subspace(300, D=50)
    Xd = np.vstack([X, X[:40], X[:10] + 1e-12])  # exact and near duplicates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert skdim.id.MLE().fit(Xd, n_neighbors=20).dimension_ == 0.0  # what the issue is about
    for name in ("mle", "twonn", "gride", "tle", "mada"):
        with pytest.warns(knnmod.DuplicatePointsWarning, match="50 duplicate"):
            r = idim.estimate(Xd, name)
        assert np.isfinite(r.id) and r.id > 1 and r.n_removed == 50 and r.n_points == 300
        assert r.id == pytest.approx(_skdim_value(name, X), rel=RTOL)


def test_unique_rows_handles_many_near_duplicates_of_one_point():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 5))
    blob = X[0] + 1e-10 * rng.standard_normal((30, 5))  # more copies than the 8 neighbours looked at
    with pytest.warns(knnmod.DuplicatePointsWarning):
        Xu, kept = knnmod.unique_rows(np.vstack([X, blob]))
    assert len(Xu) == 100 and list(kept) == list(range(100))


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros(10), "n x D"),
        (np.zeros((4, 3, 2)), "n x D"),
        (np.array([[1.0, np.nan], [0, 1], [2, 3]]), "NaN"),
        (np.ones((2, 4)), "at least 3"),
        (np.array([["a", "b"], ["c", "d"], ["e", "f"]]), "numeric"),
        (np.ones((10, 1)), "at least 2 features"),
    ],
)
def test_bad_input_is_refused_with_a_message(bad, match):
    with pytest.raises(knnmod.DataError, match=match):
        idim.estimate(bad, "mle")


def test_all_duplicates_is_refused():
    X = np.repeat(np.ones((1, 4)), 10, axis=0)
    with pytest.warns(knnmod.DuplicatePointsWarning), pytest.raises(knnmod.DataError, match="distinct"):
        idim.estimate(X, "mle")


def test_bootstrap_intervals():
    X = _manifolds(400)["M10a_Cubic"]
    a = idim.bootstrap_ci(X, "mle", n_boot=100, seed=1)
    b = idim.bootstrap_ci(X, "mle", n_boot=100, seed=1)
    assert a.method == "points" and np.array_equal(a.samples, b.samples)
    assert a.low < a.estimate < a.high and a.high - a.low < 1.5
    g = idim.bootstrap_ci(X, "gride", n_boot=50, seed=0)
    err = idim.estimate(X, "gride").error  # Fisher-information standard error of the same estimate
    assert g.low < g.estimate < g.high
    assert 0.5 < (g.high - g.low) / (2 * 1.96 * err) < 2.0
    c = idim.bootstrap_ci(X, "corrint", n_boot=20, seed=0)
    assert c.method == "subsample" and np.isfinite([c.low, c.high]).all() and c.low <= c.high


def test_id_vs_n_approaches_three_on_a_cube():
    X = np.random.default_rng(0).uniform(size=(800, 3)) @ np.eye(3, 6)
    curve = idim.id_vs_n(X, "twonn", [100, 400, 800], repeats=3, seed=0)
    assert curve.ids.shape == (3, 3)
    assert abs(curve.mean[-1] - 3) < 0.3


def test_twonn_fit_is_the_diagnostic_of_the_estimate():
    X = _manifolds(400)["M13a_Scurve"]
    fit = idim.twonn_fit(X)
    ref = skdim.id.TwoNN().fit(X)
    assert fit.slope == pytest.approx(ref.dimension_, rel=RTOL)
    np.testing.assert_allclose(fit.x, ref.x_.ravel(), rtol=RTOL)
    np.testing.assert_allclose(fit.y, ref.y_.ravel(), rtol=RTOL)
    assert len(fit.x) + len(fit.x_discarded) == fit.n_total == 400


def test_knn_graph_cancels():
    class StopError(Exception):
        pass

    def cancel():
        raise StopError

    with pytest.raises(StopError):
        knnmod.knn_graph(_subspace(300, D=40), 5, cancel=cancel)


def test_cli_estimate_json(tmp_path, capsys):
    from workbench.cli import main

    X = _subspace(300, D=60)
    np.save(tmp_path / "x.npy", X)
    assert main(["diffusion-id", "estimate", "--data", str(tmp_path / "x.npy"), "--estimator", "mle", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["id"] == pytest.approx(skdim.id.MLE().fit(X, n_neighbors=20).dimension_, rel=RTOL)
    assert (
        main(
            ["diffusion-id", "estimate", "--data", str(tmp_path / "x.npy"), "--estimator", "mle", "--k", "10", "--json"]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["id"] == pytest.approx(
        skdim.id.MLE().fit(X, n_neighbors=10).dimension_, rel=RTOL
    )


@pytest.mark.parametrize(
    "payload, args, match",
    [
        ("object", ["--estimator", "mle"], "unpickling"),
        ("shape", ["--estimator", "mle"], "n x D"),
        ("nan", ["--estimator", "twonn"], "NaN"),
        ("few", ["--estimator", "mle"], "at least"),
        ("ok", ["--estimator", "twonn", "--k", "4"], "no neighbourhood size"),
    ],
)
def test_cli_estimate_refuses_bad_input(tmp_path, capsys, payload, args, match):
    from workbench.cli import main

    f = tmp_path / "x.npy"
    if payload == "object":
        np.save(f, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    elif payload == "shape":
        np.save(f, np.zeros((3, 4, 5)))
    elif payload == "nan":
        a = np.random.default_rng(0).standard_normal((50, 4))
        a[3, 2] = np.nan
        np.save(f, a)
    elif payload == "few":
        np.save(f, np.zeros((2, 4)))
    else:
        np.save(f, np.random.default_rng(0).standard_normal((50, 4)))
    assert main(["diffusion-id", "estimate", "--data", str(f), *args, "--json"]) != 0
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
