"""Scale-invariant measures stay so over the whole float32 range; complex activations are refused."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_repsim.core.cka import linear_cka
from workbench_repsim.core.heatmap import similarity_heatmap
from workbench_repsim.core.measures import KIND, MEASURES
from workbench_repsim.core.validate import DegenerateInputError


@pytest.fixture(scope="module")
def x32() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(200, 16)).astype(np.float32)


@pytest.mark.parametrize("scale", [1e-30, 1e-20, 1e20, 1e30, 3e36])
def test_linear_cka_of_x_and_scaled_x_is_one(x32, scale):
    y = x32 * np.float32(scale)
    assert np.isfinite(y).all()
    assert linear_cka(x32, y) == pytest.approx(1.0, abs=1e-6)
    assert linear_cka(x32, y, debiased=True) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", sorted(MEASURES))
def test_every_measure_is_scale_invariant_at_the_float32_extremes(x32, name):
    rng = np.random.default_rng(1)
    other = x32 @ np.linalg.qr(rng.normal(size=(16, 16)))[0].astype(np.float32) + 0.3 * rng.normal(
        size=x32.shape
    ).astype(np.float32)
    ref = MEASURES[name](x32, other)
    for scale in (1e-30, 1e30):
        got = MEASURES[name](x32 * np.float32(scale), other * np.float32(1 / scale))
        tol = 2e-3 if KIND[name] == "distance" else 1e-4
        assert got == pytest.approx(ref, abs=tol), (name, scale, got, ref)


def test_heatmap_is_scale_invariant(x32):
    layers_a = [x32, x32[:, :8]]
    layers_b = [x32 * np.float32(1e30), x32[:, :8] * np.float32(1e-30)]
    for measure in ("cka", "cka-debiased", "procrustes"):
        m = similarity_heatmap(layers_a, layers_b, measure).matrix
        ref = similarity_heatmap(layers_a, layers_a, measure).matrix
        assert np.isfinite(m).all()
        assert np.allclose(m, ref, atol=2e-3), (measure, m, ref)


def test_complex_activations_are_refused(x32):
    z = x32 + 1j * x32[:, ::-1]
    with pytest.raises(DegenerateInputError, match="complex activations"):
        linear_cka(z, x32)
    with pytest.raises(DegenerateInputError, match="complex activations"):
        similarity_heatmap([z], [x32], "cka")
