"""The blocked steps that make the repsim measures cancellable give what the single library
calls gave: the thin SVD by TSQR (LAPACK's SVD, up to the signs fixed by fix_signs), the
correlation RDM (scipy's pdist), the Spearman correlation of average ranks (scipy's
spearmanr, ties included), the centred Gram matrices and the float64 cross-products (the
unblocked formulas), all to rounding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import rankdata, spearmanr

from workbench_repsim.core import rsa as rsa_mod
from workbench_repsim.core.blocked_svd import fix_signs, thin_svd
from workbench_repsim.core.cka import center_gram
from workbench_repsim.core.linalg import cross, times


@pytest.mark.parametrize("shape", [(3000, 200), (1300, 256), (900, 40), (50, 80)])
def test_thin_svd_is_lapacks_svd(shape):
    rng = np.random.default_rng(0)
    n, p = shape
    a = rng.normal(size=shape) @ np.diag(np.logspace(0, -8, p))  # condition number 1e8
    u0, s0, vt0 = fix_signs(*np.linalg.svd(a, full_matrices=False))
    u, s, vt = thin_svd(a)
    k = min(n, p)
    assert u.shape == (n, k) and s.shape == (k,) and vt.shape == (k, p)
    assert np.allclose(s, s0, rtol=0, atol=1e-13 * s0[0])
    assert np.allclose(u.T @ u, np.eye(k), atol=1e-12)
    assert np.allclose((u * s) @ vt, a, atol=1e-13 * s0[0])
    top = 10  # well separated singular values: the vectors themselves agree
    assert np.allclose(u[:, :top], u0[:, :top], atol=1e-10) and np.allclose(vt[:top], vt0[:top], atol=1e-10)


def test_fix_signs_makes_the_largest_entry_of_each_right_vector_positive():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(30, 5))
    u, s, vt = fix_signs(*np.linalg.svd(a, full_matrices=False))
    assert (vt[np.arange(5), np.abs(vt).argmax(1)] > 0).all()
    assert np.allclose((u * s) @ vt, a)


def test_correlation_rdm_is_pdists(monkeypatch):
    rng = np.random.default_rng(2)
    a = rng.normal(size=(700, 30))
    monkeypatch.setattr(rsa_mod, "BLOCK_VALUES", 5000)  # many blocks of rows
    d = rsa_mod.rdm(a)
    ref = pdist(a, "correlation")
    assert d.shape == ref.shape and np.allclose(d, ref, rtol=0, atol=1e-14)


@pytest.mark.parametrize("ties", [False, True])
def test_blocked_spearman_is_scipys(monkeypatch, ties):
    rng = np.random.default_rng(3)
    a = rng.normal(size=60000)
    b = 0.5 * a + rng.normal(size=60000)
    if ties:  # many equal values, across the value ranges' edges too
        a, b = np.round(a * 3) / 3, np.round(b * 2) / 2
    monkeypatch.setattr(rsa_mod, "BLOCK_VALUES", 7000)
    assert np.array_equal(rsa_mod.average_ranks(a), rankdata(a))
    assert rsa_mod.spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)


@pytest.mark.parametrize("unbiased", [False, True])
def test_blocked_centring_is_the_formula(unbiased):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(900, 7))
    g = x @ x.T
    n = len(g)
    ref = g.copy()
    if unbiased:
        np.fill_diagonal(ref, 0.0)
        means = ref.sum(0) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
    else:
        means = ref.mean(0)
        means -= means.mean() / 2
    ref -= means[:, None]
    ref -= means[None, :]
    if unbiased:
        np.fill_diagonal(ref, 0.0)
    assert np.allclose(center_gram(g, unbiased), ref, rtol=0, atol=1e-10)


def test_float64_products_in_row_blocks_are_the_products(monkeypatch):
    from workbench_repsim.core import linalg

    rng = np.random.default_rng(5)
    a, b, m = rng.normal(size=(5000, 40)), rng.normal(size=(5000, 30)), rng.normal(size=(40, 20))
    monkeypatch.setattr(linalg, "BLOCK_PRODUCTS", 40 * 30 * 333)  # blocks of 333 rows
    assert np.allclose(cross(a, b), a.T @ b, rtol=1e-12, atol=1e-10)
    monkeypatch.setattr(linalg, "BLOCK_PRODUCTS", 40 * 20 * 333)
    assert np.allclose(times(a, m), a @ m, rtol=1e-12, atol=1e-12)
