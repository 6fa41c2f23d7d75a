"""Bundle core and jobs refuse what would give a quiet wrong answer: expressions that could
write into the k-grid, calls with the wrong number of arguments, zero or NaN states, NaN
Hamiltonians, corrupt sampled files."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.jobs import JobContext, JobError
from workbench_bundle.core import fhs
from workbench_bundle.core.expressions import ARITY, FUNCTIONS, ExpressionError, parse_expression
from workbench_bundle.core.models import ModelSpec, band_data, qwz_chern_exact, states_from_hamiltonians
from workbench_bundle.jobs import ChernSpec, run_chern


@pytest.mark.parametrize(
    "source,message",
    [
        ("sin()", r"sin\(\) takes 1 argument \(sin\(x\)\), got 0"),
        ("0*sin(kx, kx)", r"sin\(\) takes 1 argument.*got 2"),
        ("arctan2(kx)", r"arctan2\(\) takes 2 arguments"),
        ("cos(kx, ky, kx)", "got 3"),
        ("sin(*kx)", "unpacking"),
    ],
)
def test_calls_with_the_wrong_number_of_arguments_are_refused(source, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(source)


def test_custom_model_cannot_write_into_the_grid():
    # QWZ at u = 1 has C = -1; the second argument of sin would be numpy's out= and overwrite kx
    exprs = {"dx": "sin(kx) + 0*sin(kx, kx)", "dy": "sin(ky)", "dz": "u + cos(kx) + cos(ky)"}
    with pytest.raises(ValueError, match="takes 1 argument"):
        band_data(ModelSpec.make("custom", {"u": 1.0}, expressions=exprs), 16)
    honest = ModelSpec.make(
        "custom", {"u": 1.0}, expressions={"dx": "sin(kx)", "dy": "sin(ky)", "dz": "u + cos(kx) + cos(ky)"}
    )
    assert fhs.chern_number(band_data(honest, 24).states).chern == qwz_chern_exact(1.0) == -1


def test_evaluation_never_changes_the_callers_arrays():
    kx = np.linspace(0, 2 * np.pi, 7)[:, None] * np.ones((1, 5))
    ky = kx.T.copy().T * 0.5
    before = kx.copy(), ky.copy()
    for name in FUNCTIONS:
        args = ", ".join(["kx"] * ARITY[name])
        parse_expression(f"{name}({args}) + ky").evaluate(kx, ky)
    assert np.array_equal(kx, before[0]) and np.array_equal(ky, before[1])


def test_zero_states_are_refused_not_reported_reliable():
    with pytest.raises(ValueError, match="states are zero at every grid point"):
        fhs.chern_number(np.zeros((8, 8, 2), complex))
    u = band_data(ModelSpec.make("qwz", {"u": 1.0}), 8).states.copy()
    u[3, 4] = 0
    with pytest.raises(ValueError, match=r"zero at 1 grid point\(s\), first \(3, 4\)"):
        fhs.chern_number(u)


def test_nearly_orthogonal_neighbours_are_not_reliable():
    # one state orthogonal to all its neighbours: every link touching it is 0, every plaquette
    # phase arg(0) = 0, so C = 0 with zero flux; it must not be called reliable
    u = np.zeros((8, 8, 2), complex)
    u[..., 0] = 1
    u[3, 3] = [0, 1]
    res = fhs.chern_number(u)
    assert res.max_flux == 0 and res.min_overlap == 0 and not res.reliable
    assert res.summary()["reliable"] is False and res.summary()["min_overlap"] == 0
    smooth = fhs.chern_number(band_data(ModelSpec.make("qwz", {"u": 1.0}), 64).states)
    assert smooth.reliable and smooth.min_overlap > 0.9


def test_nan_hamiltonians_are_named_as_nan():
    h = np.zeros((4, 4, 2, 2), complex)
    h[..., 0, 0], h[..., 1, 1] = -1, 1
    h[2, 1, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r"contain NaN entries \(1, first at grid point \(2, 1\), entry \(0, 1\)\)"):
        states_from_hamiltonians(h)
    h[2, 1, 0, 1] = 0.5  # not Hermitian: named as such, with where
    with pytest.raises(ValueError, match=r"not Hermitian \(largest H - H\^dagger at grid point \(2, 1\)"):
        states_from_hamiltonians(h)


def test_sampled_files_name_the_file_and_the_problem(tmp_path):
    ctx = JobContext(device="cpu")
    np.savez(tmp_path / "zero.npz", states=np.zeros((8, 8, 2), complex))
    with pytest.raises(JobError, match=r"zero\.npz: states are zero at every grid point"):
        run_chern(ChernSpec(model="sampled", array_path=str(tmp_path / "zero.npz")), ctx)
    h = np.zeros((4, 4, 2, 2))
    h[0, 0, 0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", hamiltonians=h)
    with pytest.raises(JobError, match=r"nan\.npz: sampled Hamiltonians contain NaN"):
        run_chern(ChernSpec(model="sampled", array_path=str(tmp_path / "nan.npz")), ctx)
    (tmp_path / "cut.npz").write_bytes((tmp_path / "nan.npz").read_bytes()[:100])
    with pytest.raises(JobError, match=r"cut\.npz: a corrupt or truncated \.npz archive"):
        run_chern(ChernSpec(model="sampled", array_path=str(tmp_path / "cut.npz")), ctx)


def test_predictions_carry_the_identity_of_their_dataset():
    from workbench_bundle.core.haldane_bundle import generate_dataset
    from workbench_bundle.jobs import Predictions, predictions_fit

    a = generate_dataset(40, 16, seed=1)
    b = generate_dataset(40, 16, seed=2)  # same size, other samples
    small = a.subset(np.arange(30))
    assert a.fingerprint() == generate_dataset(40, 16, seed=1).fingerprint()
    assert len({a.fingerprint(), b.fingerprint(), small.fingerprint()}) == 3
    pred = np.zeros(len(a), np.int64)
    p = Predictions(pred, "test", dataset=a.fingerprint())
    assert predictions_fit(p, a)
    assert not predictions_fit(p, b)  # same length: only the fingerprint tells them apart
    assert not predictions_fit(p, small) and not predictions_fit(p, None)
    assert predictions_fit(Predictions(pred, "old session"), a)  # no fingerprint recorded: length decides


def test_run_predict_returns_the_fingerprint_it_was_given(tmp_path):
    from pathlib import Path

    from workbench_bundle.core.haldane_bundle import generate_dataset
    from workbench_bundle.jobs import PredictArraySpec, run_predict

    res = Path(__file__).resolve().parents[2] / "resources" / "bundle" / "flux.safetensors"
    ds = generate_dataset(12, 32, seed=3)
    pred, meta = run_predict(PredictArraySpec(str(res), ds.psi, ds.fingerprint()), JobContext(device="cpu"))
    assert len(pred) == 12 and meta["dataset"] == ds.fingerprint()
