"""Adaptive refinement of the FHS Chern number near a gap closing (core.refine, jobs.run_view),
against independent facts: Haldane's analytic phase boundary m = +-3 sqrt(3) t2 sin(phi), the
Qi-Wu-Zhang formula, gauge invariance, and a uniform grid fine enough to be reliable."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.jobs import JobContext
from workbench_bundle import jobs
from workbench_bundle.core import fhs, models
from workbench_bundle.core.refine import refine_chern

SQRT3 = float(np.sqrt(3.0))


def _states_at(spec: models.ModelSpec, shift: float = 0.0, gauge_seed: int | None = None):
    rng = np.random.default_rng(gauge_seed) if gauge_seed is not None else None

    def states_at(k1, k2):
        _h0, dx, dy, dz = (np.broadcast_to(a, np.shape(k1)) for a in models.d_vector(spec, k1 + shift, k2 + shift))
        u = models.lower_band_states(dx, dy, dz)
        if rng is not None:  # an arbitrary phase per point: FHS must not care
            u = u * np.exp(1j * rng.uniform(0, 2 * np.pi, np.shape(k1)))[..., None]
        return u, 2 * np.sqrt(dx * dx + dy * dy + dz * dz)

    return states_at


def _coarse(states_at, n: int) -> fhs.ChernResult:
    k = 2 * np.pi * np.arange(n) / n
    k1, k2 = np.meshgrid(k, k, indexing="ij")
    states, gaps = states_at(k1, k2)
    return fhs.chern_number(states, gaps=gaps)


def _haldane_exact(m: float, t2: float = 1 / 3, phi: float = np.pi / 2) -> int:
    """Haldane (PRL 61, 2015): C = -sign(t2 sin phi) inside |m| < 3 sqrt(3) |t2 sin phi|, else 0
    (default convention; models.haldane_phase_boundary)."""
    b = float(models.haldane_phase_boundary(np.array(phi), t2))
    return -int(np.sign(b)) if abs(m) < abs(b) else 0


@pytest.mark.parametrize("m", [1.70, 1.72, 1.73, 1.731, 1.732, 1.733, 1.74, -1.73, -1.732])
@pytest.mark.parametrize("n", [32, 128])
def test_haldane_near_the_boundary_matches_the_phase_diagram(m, n):
    spec = models.ModelSpec.make("haldane", {"m": m})
    coarse = _coarse(_states_at(spec), n)
    r = refine_chern(_states_at(spec), coarse.flux, "pythtb", coarse_gap=coarse.min_gap)
    assert r.reliable, r.reason
    assert r.chern == _haldane_exact(m)
    assert r.max_flux < fhs.FLUX_TOL and r.points < 20000  # local: a few hundred points, not 2048^2


def test_the_coarse_grid_alone_is_wrong_where_refinement_is_needed():
    """m = 1.732 (gap 2.5e-4): the 128 grid says C = 0, refinement gives the phase diagram's -1."""
    spec = models.ModelSpec.make("haldane", {"m": 1.732})
    coarse = _coarse(_states_at(spec), 128)
    assert coarse.chern == 0 and not coarse.reliable
    r = refine_chern(_states_at(spec), coarse.flux, "pythtb", coarse_gap=coarse.min_gap)
    assert r.reliable and r.chern == -1 and r.corrections == -1 and r.coarse_chern == 0
    assert r.effective_grid >= 4096


def test_agrees_with_a_uniform_grid_fine_enough_to_be_reliable():
    """m = 1.72: a uniform 512 grid is reliable on its own; refining the 64 grid agrees."""
    spec = models.ModelSpec.make("haldane", {"m": 1.72})
    uniform = _coarse(_states_at(spec), 512)
    assert uniform.reliable
    coarse = _coarse(_states_at(spec), 64)
    assert not coarse.reliable
    r = refine_chern(_states_at(spec), coarse.flux, "pythtb", coarse_gap=coarse.min_gap)
    assert r.reliable and r.chern == uniform.chern


def test_gauge_invariant_and_the_seam_of_the_torus():
    """Random phases per point change nothing; a Dirac point moved onto the seam (k = 0, the
    corner shared by the first and last plaquettes) is refined across it."""
    spec = models.ModelSpec.make("haldane", {"m": 1.731})
    shift = 2 * np.pi / 3  # the gap closes at k1 = k2 = 2 pi / 3: shifted to k = 0
    for gauge in (None, 7):
        at = _states_at(spec, shift=shift, gauge_seed=gauge)
        coarse = _coarse(at, 96)
        assert np.abs(coarse.flux[[0, -1]][:, [0, -1]]).max() > fhs.FLUX_TOL  # the spot sits on the seam
        r = refine_chern(at, coarse.flux, "pythtb", coarse_gap=coarse.min_gap)
        assert r.reliable and r.chern == -1, r.reason


@pytest.mark.parametrize("u", [-2.003, -1.997, -0.002, 0.002, 1.997, 2.003])
def test_qwz_formula_near_its_gap_closings(u):
    spec = models.ModelSpec.make("qwz", {"u": u})
    coarse = _coarse(_states_at(spec), 16)
    r = refine_chern(_states_at(spec), coarse.flux, "pythtb", coarse_gap=coarse.min_gap)
    assert r.reliable and r.chern == models.qwz_chern_exact(u)


def test_a_closed_gap_stays_unreliable_with_the_reason():
    spec = models.ModelSpec.make("haldane", {"m": SQRT3})  # exactly on the boundary
    coarse = _coarse(_states_at(spec), 96)  # 96: the closing point k = 2 pi / 3 is a grid node
    r = refine_chern(_states_at(spec), coarse.flux, "pythtb", coarse_gap=coarse.min_gap)
    assert not r.reliable and "gap closes" in r.reason


def test_a_grid_coarse_everywhere_is_not_refined_locally():
    spec = models.ModelSpec.make("qwz", {"u": 1.0})
    coarse = _coarse(_states_at(spec), 3)
    assert np.mean(np.abs(coarse.flux) > fhs.FLUX_TOL) > 0.05
    r = refine_chern(_states_at(spec), coarse.flux, "pythtb")
    assert not r.reliable and "too coarse everywhere" in r.reason and r.points == 0


def test_view_job_refines_the_model_it_draws():
    """The torus view at m = 1.73 (the issue's 'C = -1 ?') is refined and reliable; the drawn
    fields keep the view grid; a sample's view is not refined (its label is exact)."""
    params = tuple(sorted({"t1": 1.0, "t2": 1 / 3, "phi": float(np.pi / 2), "m": 1.732}.items()))
    res = jobs.run_view(jobs.ViewSpec(params=params, grid=128), JobContext())
    assert res.curvature.shape == (128, 128)
    assert res.chern == -1 and res.summary["reliable"] and res.summary["coarse_chern"] == 0
    assert res.summary["refined"]["effective_grid"] >= 4096
    easy = jobs.run_view(jobs.ViewSpec(params=(("m", 0.5),), grid=64), JobContext())
    assert "refined" not in easy.summary and easy.summary["reliable"]
