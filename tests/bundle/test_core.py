"""Core tests: FHS Chern numbers against published phase diagrams, gauge invariance, multi-band
consistency, exact dataset labels against analytic windings and fine-grid FHS, safe expressions."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_bundle.core import fhs, models
from workbench_bundle.core import haldane_bundle as hb
from workbench_bundle.core.expressions import ExpressionError, parse_expression


def chern(name, grid=48, convention="pythtb", **p):
    b = models.band_data(models.ModelSpec.make(name, p), grid)
    return fhs.chern_number(b.states, convention, gaps=b.gap)


@pytest.mark.parametrize("u", [-3.0, -2.5, -1.5, -1.0, -0.3, 0.3, 1.0, 1.7, 2.4, 3.0])
def test_qwz_formula(u):
    expected = (np.sign(u + 2) - 2 * np.sign(u) + np.sign(u - 2)) / 2
    r = chern("qwz", u=u)
    assert r.chern == expected
    assert r.reliable


def test_z2pack_haldane_point():
    # Z2Pack's Haldane example: t1 = 1, t2 = 1/3, phi = pi/2, m = 0.5 -> C = -1 (PythTB/Z2Pack sign)
    assert chern("haldane", t1=1.0, t2=1 / 3, phi=np.pi / 2, m=0.5).chern == -1
    assert chern("haldane", convention="fukui", t1=1.0, t2=1 / 3, phi=np.pi / 2, m=0.5).chern == 1


def test_haldane_phase_diagram():
    rng = np.random.default_rng(0)
    for _ in range(25):
        t2 = rng.uniform(0.1, 0.5)
        phi = rng.uniform(-np.pi, np.pi)
        m = rng.uniform(-3, 3)
        bound = abs(float(models.haldane_phase_boundary(np.array(phi), t2)))  # 3 sqrt(3) |t2 sin phi|
        if abs(abs(m) - bound) < 0.15:
            continue  # too close to a gap closing for a 48 grid
        c = chern("haldane", t1=1.0, t2=t2, phi=phi, m=m).chern
        assert abs(c) == (1 if abs(m) < bound else 0)
        if abs(m) < bound:
            assert c == -np.sign(np.sin(phi))


def test_bhz_blocks_are_qwz_with_opposite_spins():
    for M, B in [(1.0, 0.5), (3.0, 0.5), (-1.0, 0.5), (5.0, 0.5)]:
        up = chern("bhz", M=M, A=1.0, B=B).chern
        spec = models.ModelSpec.make("bhz", {"M": M, "A": 1.0, "B": B}, spin="down")
        down = fhs.chern_number(models.band_data(spec, 48).states).chern
        assert up == models.qwz_chern_exact((M - 4 * B) / (2 * B))
        assert down == -up


def test_gauge_invariance_random_phases():
    b = models.band_data(models.ModelSpec.make("qwz", {"u": 1.0}), 40)
    rng = np.random.default_rng(3)
    phases = np.exp(1j * rng.uniform(0, 2 * np.pi, size=(40, 40, 1)))
    r0, r1 = fhs.chern_number(b.states), fhs.chern_number(b.states * phases)
    assert r0.chern == r1.chern == -1
    np.testing.assert_allclose(r0.flux, r1.flux, atol=1e-10)


def test_multiband_det_consistency():
    # two decoupled QWZ blocks: det-FHS of both lower bands = sum of the single-band numbers,
    # also after a random unitary mixing of the two occupied states (non-abelian gauge)
    n = 32
    k1, k2 = models.k_grid(n)
    blocks = []
    for u in (1.0, 0.5):
        _, dx, dy, dz = models.qwz_d(k1, k2, u)
        blocks.append(models.lower_band_states(dx, dy, dz))
    states = np.zeros((n, n, 4, 2), dtype=complex)
    states[:, :, :2, 0] = blocks[0]
    states[:, :, 2:, 1] = blocks[1]
    c_single = fhs.chern_number(blocks[0]).chern + fhs.chern_number(blocks[1]).chern
    rng = np.random.default_rng(1)
    z = rng.normal(size=(n, n, 2, 2)) + 1j * rng.normal(size=(n, n, 2, 2))
    q, _ = np.linalg.qr(z)
    mixed = np.einsum("abij,abjk->abik", states, q)
    assert fhs.chern_number(states).chern == c_single == fhs.chern_number(mixed).chern == -2


def test_sampled_hamiltonians_match_model():
    n = 32
    k1, k2 = models.k_grid(n)
    _, dx, dy, dz = models.qwz_d(k1, k2, 1.0)
    h = np.zeros((n, n, 2, 2), dtype=complex)
    h[..., 0, 0], h[..., 1, 1] = dz, -dz
    h[..., 0, 1], h[..., 1, 0] = dx - 1j * dy, dx + 1j * dy
    states, gap = models.states_from_hamiltonians(h)
    assert fhs.chern_number(states, gaps=gap).chern == -1
    with pytest.raises(ValueError, match="Hermitian"):
        models.states_from_hamiltonians(h + np.eye(2)[None, None] * 1j)


def test_naive_equals_vectorised():
    b = models.band_data(models.ModelSpec.make("haldane", {"t2": 0.3, "phi": -1.0, "m": 0.2}), 24)
    assert fhs.chern_naive(b.states) == fhs.chern_number(b.states).chern == 1


def test_reliability_flags_coarse_grid_and_refinement():
    spec = models.ModelSpec.make("qwz", {"u": 1.99})
    coarse = fhs.chern_number(models.band_data(spec, 7).states)
    assert coarse.chern == 0  # wrong: the curvature peak falls inside one plaquette
    assert not coarse.reliable
    res = fhs.chern_refined(lambda n: (models.band_data(spec, n).states, None), 7, max_grid=512)
    assert res.reliable and res.chern == -1 and len(res.refinements) > 1


# --------------------------------------------------------------------------------- expressions
def test_custom_expression_model():
    spec = models.ModelSpec.make(
        "custom", {"u": 1.0}, expressions={"dx": "sin(kx)", "dy": "sin(ky)", "dz": "u + cos(kx) + cos(ky)"}
    )
    assert fhs.chern_number(models.band_data(spec, 32).states).chern == -1


@pytest.mark.parametrize(
    "bad",
    [
        "__import__('os').system('ls')",
        "kx.__class__",
        "open('f')",
        "[1, 2]",
        "lambda: 1",
        "sin(kx, key=1)",
        "kx if ky else 1",
        "'a' * 3",
        "x + 1",
        "",
        "sin(",
        "().__class__.__bases__",
        "eval('1')",
        "kx @ ky",
        "True",
    ],
)
def test_bad_expressions_rejected(bad):
    with pytest.raises(ExpressionError):
        parse_expression(bad)


def test_huge_power_does_not_hang():
    e = parse_expression("9**9**9")
    with pytest.raises(ExpressionError):
        e.evaluate(np.zeros(1), np.zeros(1))


# -------------------------------------------------------------------------------------- labels
def _qwz_pair(u):
    """F = sin(2 pi x) + i sin(2 pi y), G = u + cos 2 pi x + cos 2 pi y (zeros at rational points)."""
    cf = np.zeros((hb.D, hb.D), complex)
    c = hb.DEG
    cf[c + 1, c], cf[c - 1, c] = 1 / 2j, -1 / 2j
    cf[c, c + 1], cf[c, c - 1] = 0.5, -0.5
    cg = np.zeros((2, hb.D, hb.D))
    cg[0, c, c], cg[0, c + 1, c], cg[0, c, c + 1] = u, 1.0, 1.0
    return cf, cg


def test_labels_equal_analytic_winding_sums():
    # zeros of F: (0,0) w=+1 G=u+2; (0,1/2),(1/2,0) w=-1 G=u; (1/2,1/2) w=+1 G=u-2
    for u in (-3.0, -1.0, 1.0, 3.0, 0.5, -0.5):
        cf, cg = _qwz_pair(u)
        expected = (1 if u + 2 < 0 else 0) - 2 * (1 if u < 0 else 0) + (1 if u - 2 < 0 else 0)
        lab = hb.chern_labels(cf[None], cg[None])
        assert lab.ok[0] and lab.labels[0] == expected
        # L is the upper band of d . sigma: minus the QWZ lower-band number
        assert expected == -models.qwz_chern_exact(u)
        z = hb.locate_zeros(cf, cg)
        assert len(z) == 4 and int(z[z[:, 3] < 0, 2].sum()) == expected


def _fhs_fine(cf, cg, n=384):
    """FHS of the sampled section on a fine grid offset from the rational points."""
    freq = np.arange(-hb.DEG, hb.DEG + 1)
    ex = np.exp(2j * np.pi * np.outer((np.arange(n) + 0.37) / n, freq))
    ey = np.exp(2j * np.pi * np.outer((np.arange(n) + 0.61) / n, freq))
    f = ex @ cf @ ey.T
    g = (ex @ (cg[0] - 1j * cg[1]) @ ey.T).real
    psi, _ = hb.section(f, g)
    return fhs.chern_number(psi)


def test_labels_match_fine_grid_fhs_and_random_phases():
    rng = np.random.default_rng(7)
    cf, cg = hb.random_coefficients(rng, 120)
    lab = hb.chern_labels(cf, cg)
    checked = 0
    for i in np.flatnonzero(lab.ok)[:40]:
        r = _fhs_fine(cf[i], cg[i])
        if r.max_flux < 0.5 * np.pi:  # FHS reliable at this resolution
            assert r.chern == lab.labels[i], i
            checked += 1
    assert checked >= 20
    # random per-point phases of the sampled section do not change the lattice Chern number
    ds = hb.generate_dataset(20, grid=32, seed=3)
    for k in range(5):
        psi = np.moveaxis(ds.psi[k], 0, -1).astype(complex)
        ph = np.exp(1j * rng.uniform(0, 2 * np.pi, size=psi.shape[:2] + (1,)))
        assert fhs.chern_number(psi).chern == fhs.chern_number(psi * ph).chern


def test_cross_check_two_regular_values_agree():
    rng = np.random.default_rng(11)
    cf, cg = hb.random_coefficients(rng, 150)
    a = hb.chern_labels(cf, cg)
    b = hb.chern_labels(cf, cg, cross_check=True)
    both = a.ok & b.ok
    assert both.sum() > 100
    assert np.array_equal(a.labels[both], b.labels[both])


def test_degenerate_samples_rejected():
    cf, cg = _qwz_pair(0.0)  # G = cos + cos vanishes at the zeros (0, 1/2), (1/2, 0) of F
    lab = hb.chern_labels(np.stack([cf, cf]), np.stack([cg, np.zeros_like(cg)]))
    assert not lab.ok[0] and "vanish together" in lab.reason[0]
    assert not lab.ok[1] and "G identically 0" in lab.reason[1]


def test_dataset_balanced_roundtrip(tmp_path):
    ds = hb.generate_dataset(50, grid=16, seed=0)
    assert ds.class_counts() == {-2: 10, -1: 10, 0: 10, 1: 10, 2: 10}
    assert ds.psi.shape == (50, 2, 16, 16)
    np.testing.assert_allclose(np.linalg.norm(ds.psi, axis=1), 1, atol=1e-5)
    relabel = hb.chern_labels(ds.coef_f, ds.coef_g)
    assert relabel.ok.all() and np.array_equal(relabel.labels, ds.labels)
    path = hb.save_dataset(ds, tmp_path / "d.npz")
    back = hb.load_dataset(path)
    assert np.array_equal(back.labels, ds.labels) and back.provenance["seed"] == 0


def test_load_dataset_errors(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"bad\.npz: not an \.npz archive"):
        hb.load_dataset(tmp_path / "bad.npz")
    np.savez(tmp_path / "wrong.npz", psi=np.zeros((3, 2, 4, 4)))
    with pytest.raises(ValueError, match="missing arrays"):
        hb.load_dataset(tmp_path / "wrong.npz")
    np.savez(
        tmp_path / "obj.npz",
        psi=np.array([object()], dtype=object),
        labels=np.zeros(1),
        coef_f=np.zeros(1),
        coef_g=np.zeros(1),
    )
    with pytest.raises(ValueError, match="Python objects"):
        hb.load_dataset(tmp_path / "obj.npz")
    ok = {
        "psi": np.zeros((1, 2, 4, 4), np.complex64),
        "labels": np.zeros(1, np.int64),
        "coef_f": np.zeros((1, 9, 9), complex),
        "coef_g": np.zeros((1, 2, 9, 9)),
    }
    ok["psi"][0, 0, 1, 2] = np.nan
    np.savez(tmp_path / "nan.npz", **ok)
    with pytest.raises(ValueError, match=r"nan\.npz: psi contains 1 NaN or infinite"):
        hb.load_dataset(tmp_path / "nan.npz")
    with pytest.raises(ValueError, match="does not exist"):
        hb.load_dataset(tmp_path / "none.npz")


def test_families_of_the_paper():
    cf, cg, pair = hb.family_coefficients("simple")
    assert len(cf) == 22**3
    cf, cg, pair = hb.family_coefficients("intermediate")
    assert len(cf) == 9 * 10**3 + 32**2 and set(pair.tolist()) == set(range(10))
    ds = hb.generate_dataset(
        30, grid=16, seed=0, variant="simple", balance=False, classes=(-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5)
    )
    assert len(ds) == 30
