"""Shared-work heatmaps equal the per-pair definitions; progress and cancellation work."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_repsim.core.heatmap import choose_form, similarity_heatmap
from workbench_repsim.core.measures import MEASURES
from workbench_repsim.core.validate import DegenerateInputError


def _layers(rng, n=300, dims=(20, 35, 20, 50), dtype=np.float64):
    out, h = [], rng.standard_normal((n, dims[0]))
    for d in dims:
        h = np.tanh(h @ rng.standard_normal((h.shape[1], d)) / np.sqrt(h.shape[1])) + 0.1 * rng.standard_normal((n, d))
        out.append(h.astype(dtype))
    return out


# Procrustes has the feature form only (its nuclear norm needs the p x q cross-covariance)
@pytest.mark.parametrize(
    "measure,form",
    [
        ("cka", "feature"),
        ("cka", "gram"),
        ("cka-debiased", "feature"),
        ("cka-debiased", "gram"),
        ("procrustes", "feature"),
        ("procrustes-angular", "feature"),
    ],
)
def test_shared_equals_pairwise(measure, form):
    rng = np.random.default_rng(0)
    a, b = _layers(rng), _layers(rng, dims=(10, 60, 30))
    fn = MEASURES[measure]
    # sqrt(2 - 2s) and arccos(s) amplify rounding near s = 1 (the diagonal) to ~sqrt(eps)
    tol = 1e-6 if measure.startswith("procrustes") else 1e-10
    h = similarity_heatmap(a, b, measure, form=form)
    ref = np.array([[fn(x, y) for y in b] for x in a])
    assert h.matrix.shape == (4, 3)
    assert np.allclose(h.matrix, ref, atol=tol)
    hs = similarity_heatmap(a, None, measure, form=form)
    refs = np.array([[fn(x, y) for y in a] for x in a])
    assert np.allclose(hs.matrix, refs, atol=tol)


@pytest.mark.parametrize("measure", ["procrustes", "procrustes-angular"])
def test_procrustes_has_no_gram_form(measure):
    """Asking for the Gram form of Procrustes is refused (it used to return wrong numbers)."""
    a = _layers(np.random.default_rng(0), n=50)
    with pytest.raises(ValueError, match="no Gram form"):
        similarity_heatmap(a, None, measure, form="gram")
    assert similarity_heatmap(a, None, measure).form == "feature"


def test_unknown_form_is_refused():
    a = _layers(np.random.default_rng(0), n=50)
    with pytest.raises(ValueError, match="form must be"):
        similarity_heatmap(a, None, "cka", form="grams")


def test_float32_offsets_shared_path():
    rng = np.random.default_rng(1)
    a = _layers(rng, n=5000)
    a32 = [(x * 10 + 1e4).astype(np.float32) for x in a]
    ref = similarity_heatmap([x.astype(np.float64) for x in a32], None, "cka").matrix
    got = similarity_heatmap(a32, None, "cka", form="feature").matrix
    assert np.abs(got - ref).max() < 1e-6


def test_pairwise_fallback_and_progress():
    rng = np.random.default_rng(2)
    a = _layers(rng, n=120, dims=(5, 6, 7))
    seen = []
    h = similarity_heatmap(a, None, "svcca", progress=lambda f, m: seen.append(f))
    assert np.allclose(np.diag(h.matrix), 1.0)
    assert np.allclose(h.matrix, h.matrix.T)
    assert seen and seen[-1] == 1.0


def test_cancel_raises():
    class StopError(Exception):
        pass

    calls = []

    def check():
        calls.append(1)
        if len(calls) > 2:
            raise StopError()

    rng = np.random.default_rng(3)
    with pytest.raises(StopError):
        similarity_heatmap(_layers(rng), None, "cka", check_cancelled=check)


def test_form_choice():
    assert choose_form(10000, [768] * 12, [768] * 12, True) == "feature"
    assert choose_form(200, [4096] * 4, [4096] * 4, False) == "gram"


def test_mismatched_layers_clear_error():
    rng = np.random.default_rng(4)
    with pytest.raises(DegenerateInputError, match="same inputs"):
        similarity_heatmap([rng.standard_normal((10, 3))], [rng.standard_normal((12, 3))], "cka")
    with pytest.raises(DegenerateInputError, match="constant"):
        similarity_heatmap([np.zeros((10, 3))], None, "cka")


@pytest.mark.parametrize("measure", ["cka", "cka-debiased", "procrustes"])
def test_torch_backend_matches_numpy(measure):
    """The torch path (used on CUDA) checked on the CPU: same matrices as the numpy path."""
    rng = np.random.default_rng(5)
    a, b = _layers(rng, n=400, dtype=np.float32), _layers(rng, n=400, dims=(8, 16), dtype=np.float32)
    for other in (None, b):
        ref = similarity_heatmap(a, other, measure, form="feature").matrix
        got = similarity_heatmap(a, other, measure, device="torch-cpu").matrix
        assert np.allclose(got, ref, atol=1e-6)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="no CUDA device")
def test_cuda_backend_matches_numpy():
    rng = np.random.default_rng(6)
    a = _layers(rng, n=3000, dtype=np.float32)
    ref = similarity_heatmap(a, None, "cka", form="feature").matrix
    assert np.allclose(similarity_heatmap(a, None, "cka", device="cuda").matrix, ref, atol=1e-6)


def test_streamed_minibatch_equals_accumulator(tmp_path):
    """Streaming over .npz batches equals MinibatchCKA fed the same batches; one batch = debiased CKA."""
    from workbench_repsim.core.cka import MinibatchCKA
    from workbench_repsim.core.streaming import streamed_minibatch_cka

    rng = np.random.default_rng(7)
    a, b = _layers(rng, n=600, dims=(12, 20)), _layers(rng, n=600, dims=(9, 15, 7))
    np.savez(tmp_path / "a.npz", *a)
    np.savez(tmp_path / "b.npz", *b)
    res = streamed_minibatch_cka(str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), batch_size=200)
    acc = MinibatchCKA()
    for s in range(0, 600, 200):
        acc.update([x[s : s + 200] for x in a], [y[s : s + 200] for y in b])
    assert res.batches == 3 and res.n == 600
    assert np.allclose(res.matrices["AB"], acc.value(), atol=1e-12)
    one = streamed_minibatch_cka(str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), batch_size=600)
    assert np.allclose(one.matrices["AB"], similarity_heatmap(a, b, "cka-debiased").matrix, atol=1e-10)
    assert np.allclose(np.diag(one.matrices["AA"]), 1.0)


def test_streamed_minibatch_job_on_zoo_model():
    from workbench.jobs import JobContext
    from workbench_repsim.jobs import HeatmapSpec, run_heatmap

    res = run_heatmap(HeatmapSpec("mlp-w16-s0", "mlp-w16-s1", max_samples=400, minibatch=100), JobContext())
    assert res.measure.startswith("cka-minibatch") and res.n == 400
    assert res.matrices["AB"].shape == (4, 4)
    assert np.allclose(np.diag(res.matrices["AA"]), 1.0)
