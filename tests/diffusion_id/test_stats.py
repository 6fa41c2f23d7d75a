"""Correlation statistics against scipy and against the textbook formulas computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from workbench_diffusion_id.core.stats import correlate, correlation_table, fisher_interval, linear_fit


def test_fisher_interval_textbook_value():
    # r = 0.5, n = 50: z = 0.5493, se = 1/sqrt(47); 95% interval (0.2575, 0.6833)
    lo, hi = fisher_interval(0.5, 50, 0.95)
    assert lo == pytest.approx(0.2575, abs=1e-4) and hi == pytest.approx(0.6833, abs=1e-4)


def test_pearson_matches_the_t_test_and_scipy_interval():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(30)
    y = 0.6 * x + rng.standard_normal(30)
    c = correlate(x, y, "pearson")
    r = np.corrcoef(x, y)[0, 1]
    t = r * math.sqrt(28 / (1 - r * r))
    assert c.r == pytest.approx(r, rel=1e-12)
    assert c.p_value == pytest.approx(2 * sps.t.sf(abs(t), 28), rel=1e-9)
    ci = sps.pearsonr(x, y).confidence_interval(0.95)
    assert (c.low, c.high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert c.ci_method == "fisher-z" and c.n == 30


def test_spearman_is_pearson_of_ranks_with_fieller_interval():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(25)
    y = np.exp(x) + 0.3 * rng.standard_normal(25)
    c = correlate(x, y, "spearman", level=0.9)
    rho = np.corrcoef(sps.rankdata(x), sps.rankdata(y))[0, 1]
    assert c.r == pytest.approx(rho, rel=1e-12)
    z, half = math.atanh(rho), sps.norm.ppf(0.95) * math.sqrt(1.06 / 22)
    assert (c.low, c.high) == pytest.approx((math.tanh(z - half), math.tanh(z + half)), rel=1e-12)


def test_bootstrap_interval_covers_and_is_reproducible():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(40)
    y = x + rng.standard_normal(40)
    a = correlate(x, y, "pearson", n_boot=300, seed=3)
    assert a == correlate(x, y, "pearson", n_boot=300, seed=3)
    assert a.ci_method == "bootstrap" and a.low < a.r < a.high


def test_undefined_cases_are_nan_with_a_note():
    assert "at least 3" in correlate([1, 2], [3, 4]).note
    c = correlate([1, 1, 1, 1], [1, 2, 3, 4])
    assert math.isnan(c.r) and "constant" in c.note
    # NaN pairs are left out
    assert correlate([1, 2, np.nan, 4, 5], [2, 4, 5, 8, 10]).n == 4
    with pytest.raises(ValueError, match="pairs"):
        correlate([1, 2, 3], [1, 2])


def test_table_per_layer_and_step_with_bh_adjustment():
    rng = np.random.default_rng(4)
    ppl = rng.uniform(10, 100, 12)
    ids = np.empty((12, 2, 3))
    ids[:, 0, :] = 0.05 * ppl[:, None] + 0.2 * rng.standard_normal((12, 3))  # correlated layer
    ids[:, 1, :] = rng.standard_normal((12, 3))  # unrelated layer
    rows = correlation_table(ids, ppl, layers=["mid", "latent"], estimator="mle", steps=[0, 10, 19])
    assert len(rows) == 2 * 4 * 2
    mid = [r for r in rows if r.layer == "mid" and r.result.method == "pearson"]
    assert [r.step for r in mid] == [0, 10, 19, -1] and all(r.result.r > 0.8 for r in mid)
    mean_row = [r for r in mid if r.step == -1][0]
    assert mean_row.result.r == pytest.approx(sps.pearsonr(ids[:, 0, :].mean(axis=1), ppl).statistic)
    pv = [r.result.p_value for r in rows if r.result.method == "pearson"]
    adj = [r.result.p_adjusted for r in rows if r.result.method == "pearson"]
    np.testing.assert_allclose(adj, sps.false_discovery_control(pv, method="bh"))


def test_linear_fit():
    f = linear_fit([0, 1, 2, 3], [1, 3, 5, 7])
    assert f.slope == pytest.approx(2) and f.intercept == pytest.approx(1) and f.r == pytest.approx(1)
