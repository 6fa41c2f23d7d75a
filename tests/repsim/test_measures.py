"""Measures against published values, identities, brute force and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.stats import ortho_group

from workbench_repsim.core.cca import cca, mean_squared_cca, pwcca, svcca
from workbench_repsim.core.cka import (
    MinibatchCKA,
    center_gram,
    cka_gram,
    gram_linear,
    gram_rbf,
    linear_cka,
    minibatch_cka,
    rbf_cka,
)
from workbench_repsim.core.matching import correlation_matrix, match_neurons
from workbench_repsim.core.measure_names import MEASURE_NAMES
from workbench_repsim.core.measures import DESCRIPTION, KIND, MEASURES, compare
from workbench_repsim.core.procrustes import procrustes_angular, procrustes_distance, procrustes_similarity
from workbench_repsim.core.rsa import rsa
from workbench_repsim.core.validate import DegenerateInputError


@pytest.fixture(scope="module")
def kornblith_xy():
    """The data of Kornblith et al.'s CKA notebook: seed 1337, X = randn(100, 10), Y = randn(100, 10) + X."""
    np.random.seed(1337)
    x = np.random.randn(100, 10)
    y = np.random.randn(100, 10) + x
    return x, y


def test_kornblith_reference_values(kornblith_xy):
    x, y = kornblith_xy
    assert linear_cka(x, y) == pytest.approx(0.55761, abs=5e-6)
    assert linear_cka(x, y, debiased=True) == pytest.approx(0.51346, abs=5e-6)
    assert rbf_cka(x, y, threshold=0.5) == pytest.approx(0.65483, abs=5e-6)
    # the notebook's cca() takes a QR of the raw (uncentred) features
    assert mean_squared_cca(x, y, center=False) == pytest.approx(0.54312, abs=5e-6)


def test_gram_and_feature_forms_agree(kornblith_xy):
    x, y = kornblith_xy
    assert cka_gram(gram_linear(x), gram_linear(y)) == pytest.approx(linear_cka(x, y), abs=1e-12)
    assert cka_gram(gram_linear(x), gram_linear(y), debiased=True) == pytest.approx(linear_cka(x, y, True), abs=1e-12)


def test_unbiased_hsic_matches_song_formula():
    """n(n-3) HSIC_1 via the centred Gram equals the explicit U-statistic formula of Song et al. (2012)."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((9, 3)), rng.standard_normal((9, 4))
    K, L = gram_linear(x), gram_linear(y)  # Song et al.'s K~ and L~: Grams with zero diagonals
    np.fill_diagonal(K, 0), np.fill_diagonal(L, 0)
    n = 9
    one = np.ones(n)
    explicit = np.trace(K @ L) + one @ K @ one * (one @ L @ one) / ((n - 1) * (n - 2)) - 2 / (n - 2) * one @ K @ L @ one
    centred = np.vdot(center_gram(gram_linear(x), True), center_gram(gram_linear(y), True))
    assert centred == pytest.approx(explicit, rel=1e-10)


@pytest.mark.parametrize(
    "name", ["cka", "cka-debiased", "cka-rbf", "procrustes", "procrustes-angular", "cca", "svcca", "pwcca", "rsa"]
)
def test_invariance_to_rotation_and_scale(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((80, 6))
    y = x @ rng.standard_normal((6, 6)) + 0.5 * rng.standard_normal((80, 6))
    q = ortho_group.rvs(6, random_state=1)
    base = compare(x, y, name)
    assert compare(x * 3.7, y * 0.01 + 5.0, name) == pytest.approx(base, abs=1e-9)
    if name in ("pwcca", "rsa"):
        # PWCCA weights and RSA's per-input correlation depend on the neuron basis
        assert compare(x @ q, y, name) != pytest.approx(base, abs=1e-3)
    else:
        assert compare(x @ q, y, name) == pytest.approx(base, abs=1e-9)


def test_measure_names_match_the_registry():
    """The numpy-free name list (CLI choices, panel menu) is exactly the registry, in order."""
    assert MEASURE_NAMES == tuple(MEASURES)
    assert set(KIND) == set(DESCRIPTION) == set(MEASURES)


@pytest.mark.parametrize("name", list(MEASURES))
def test_self_similarity(name):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((60, 5))
    expected = 0.0 if name.startswith("procrustes") else 1.0
    assert compare(x, x, name) == pytest.approx(expected, abs=1e-6)


def test_independent_gaussians():
    """Biased linear CKA of independent Gaussians concentrates near d/(n+d); debiased near 0."""
    rng = np.random.default_rng(5)
    n, d = 1000, 50
    vals = [linear_cka(rng.standard_normal((n, d)), rng.standard_normal((n, d))) for _ in range(5)]
    assert np.mean(vals) == pytest.approx(d / (n + d), rel=0.1)
    deb = [linear_cka(rng.standard_normal((n, d)), rng.standard_normal((n, d)), debiased=True) for _ in range(5)]
    assert abs(np.mean(deb)) < 0.005


def test_procrustes_against_scipy():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((50, 8))
    y = x @ ortho_group.rvs(8, random_state=2) + 0.3 * rng.standard_normal((50, 8))
    xc, yc = x - x.mean(0), y - y.mean(0)
    xc, yc = xc / np.linalg.norm(xc), yc / np.linalg.norm(yc)
    r, scale = orthogonal_procrustes(xc, yc)
    assert procrustes_similarity(x, y) == pytest.approx(scale, rel=1e-10)
    assert procrustes_distance(x, y) == pytest.approx(np.linalg.norm(xc @ r - yc), rel=1e-8)
    assert procrustes_angular(x, y) == pytest.approx(np.arccos(scale), rel=1e-10)


def test_cca_against_sklearn_free_brute_force():
    """First canonical correlation equals the max correlation of linear projections (eigenproblem)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((200, 3))
    y = np.c_[x[:, 0] + 0.5 * rng.standard_normal(200), rng.standard_normal((200, 2))]
    xc, yc = x - x.mean(0), y - y.mean(0)
    sxx, syy, sxy = xc.T @ xc, yc.T @ yc, xc.T @ yc
    m = np.linalg.solve(sxx, sxy) @ np.linalg.solve(syy, sxy.T)
    rho2 = np.sort(np.linalg.eigvals(m).real)[::-1]
    assert np.allclose(cca(x, y).rho ** 2, rho2, atol=1e-10)


def test_svcca_pwcca_bounds():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 10))
    y = x[:, :5] @ rng.standard_normal((5, 12)) + 0.1 * rng.standard_normal((300, 12))
    assert 0 < svcca(x, y) <= 1
    assert 0 < pwcca(x, y) <= 1


def test_rsa_matches_definition():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((30, 5)), rng.standard_normal((30, 7))
    from scipy.stats import spearmanr

    rx, ry = 1 - np.corrcoef(x), 1 - np.corrcoef(y)
    iu = np.triu_indices(30, 1)
    assert rsa(x, y) == pytest.approx(spearmanr(rx[iu], ry[iu]).statistic, abs=1e-12)


def test_matching_recovers_permutation():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((400, 12))
    perm = rng.permutation(12)
    y = x[:, perm] + 0.05 * rng.standard_normal((400, 12))
    m = match_neurons(x, y)
    assert np.array_equal(perm[m.cols], m.rows)
    assert m.basis_correlation > 0.99
    c = correlation_matrix(x, y)
    assert np.allclose(c, np.corrcoef(x.T, y.T)[:12, 12:], atol=1e-12)
    # a random rotation destroys the basis but not CKA
    yr = y @ ortho_group.rvs(12, random_state=3)
    assert match_neurons(x, yr).basis_correlation < 0.7
    assert linear_cka(x, yr) > 0.99


def test_minibatch_one_batch_is_debiased(kornblith_xy):
    x, y = kornblith_xy
    assert minibatch_cka(x, y, batch_size=100) == pytest.approx(linear_cka(x, y, debiased=True), abs=1e-12)


def test_minibatch_converges_and_streams():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4000, 20))
    y = x @ rng.standard_normal((20, 20)) + 2 * rng.standard_normal((4000, 20))
    full = linear_cka(x, y, debiased=True)
    acc = MinibatchCKA()
    for s in range(0, 4000, 500):
        acc.update([x[s : s + 500], y[s : s + 500]], [y[s : s + 500]])
    v = acc.value()
    assert v.shape == (2, 1)
    assert v[0, 0] == pytest.approx(full, abs=0.02)
    assert v[1, 0] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    "name", ["cka", "cka-debiased", "procrustes", "procrustes-angular", "basis-correlation", "cca"]
)
def test_float32_large_offset_matches_float64(name):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((20000, 16))
    y = x @ rng.standard_normal((16, 16)) + rng.standard_normal((20000, 16))
    ref = compare(x, y, name)
    x32 = (x + 1e4).astype(np.float32)
    y32 = (y - 3e4).astype(np.float32)
    # compare with float64 of the same rounded data: the offset must not cost precision
    ref32 = compare(x32.astype(np.float64), y32.astype(np.float64), name)
    assert compare(x32, y32, name) == pytest.approx(ref32, abs=1e-5)
    assert ref32 == pytest.approx(ref, abs=1e-3)


@pytest.mark.parametrize("name", list(MEASURES))
def test_degenerate_inputs_raise(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 4))
    with pytest.raises(DegenerateInputError, match="NaN"):
        bad = x.copy()
        bad[3, 1] = np.nan
        compare(bad, x, name)
    with pytest.raises(DegenerateInputError, match="inf"):
        bad = x.copy()
        bad[0, 0] = np.inf
        compare(x, bad, name)
    with pytest.raises(DegenerateInputError, match="same n|samples"):
        compare(x, x[:40], name)
    with pytest.raises(DegenerateInputError, match="constant|identical|same activation|undefined"):
        compare(np.ones((50, 4)), x, name)
    with pytest.raises(DegenerateInputError, match="sample"):
        compare(x[:1], x[:1], name)


def test_constant_column_refused_where_it_matters():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 4))
    y = x.copy()
    y[:, 2] = 3.0
    for name in ("cca", "basis-correlation"):
        with pytest.raises(DegenerateInputError, match="constant feature"):
            compare(x, y, name)
    assert 0 < compare(x, y, "cka") < 1  # CKA allows a dead unit


def test_cca_needs_more_samples_than_features():
    rng = np.random.default_rng(0)
    with pytest.raises(DegenerateInputError, match="more samples than features"):
        mean_squared_cca(rng.standard_normal((10, 12)), rng.standard_normal((10, 3)))


def test_debiased_needs_four_samples():
    with pytest.raises(DegenerateInputError, match="at least 4"):
        linear_cka(np.eye(3), np.eye(3)[::-1], debiased=True)


def test_rbf_gram_symmetric_unit_diagonal():
    g = gram_rbf(np.random.default_rng(0).standard_normal((20, 3)))
    assert np.allclose(g, g.T) and np.allclose(np.diag(g), 1)


def test_minibatch_gram_and_feature_forms_agree():
    from workbench_repsim.core.cka import minibatch_form, unbiased_grams

    rng = np.random.default_rng(13)
    n = 256  # batches large enough that update() by itself takes the feature form (checked below)
    xs = [rng.standard_normal((n, 100)).astype(np.float32) + 50, rng.standard_normal((n, 7))]
    ys = [rng.standard_normal((n, 90)), rng.standard_normal((n, 3))]
    assert minibatch_form(n, [100, 7], [90, 3]) == "feature"
    g, f = MinibatchCKA(), MinibatchCKA()
    for _ in range(2):
        g.update(xs, ys, unbiased_grams(xs), unbiased_grams(ys))  # given Grams: the Gram form
        f.update(xs, ys)  # by cost: the feature form
    from workbench_repsim.core.cka import hsic1_linear_terms

    ref = hsic1_linear_terms(xs, ys) / np.sqrt(
        np.outer(np.diag(hsic1_linear_terms(xs)), np.diag(hsic1_linear_terms(ys)))
    )
    assert np.allclose(g.value(), ref, atol=1e-9)
    assert np.allclose(f.value(), ref, atol=1e-9)
    assert np.allclose(g.value(), f.value(), atol=1e-9)
    # two copies of one batch: debiased linear CKA of that batch (Kornblith et al.'s estimator)
    direct = np.array([[linear_cka(x, y, debiased=True) for y in ys] for x in xs])
    assert np.allclose(f.value(), direct, atol=1e-9)
