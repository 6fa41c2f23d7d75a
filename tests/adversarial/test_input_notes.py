"""Inputs that are clamped or ignored say so (issue 13): dim V beyond the input size, whole
pixels or channels, the full space; inputs whose feasible perturbation is zero are counted, and
the count is checked against a linear program; the sweep's ETA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.jobs import JobContext
from workbench_adversarial import jobs
from workbench_adversarial.core.subspace import build_subspace, dimension_note
from workbench_adversarial.core.sweep import Eta
from workbench_adversarial.core.zoo import ModelRef, load_model_ref

DIGITS = (1, 8, 8)
SHAPES = (3, 12, 12)


def test_dimension_notes():
    assert dimension_note("pixels", DIGITS, 16) == ""
    assert dimension_note("pixels", DIGITS, 100000) == "dim V = 100000 requested, clamped to the input size dim X = 64"
    assert "clamped to the input size dim X = 432" in dimension_note("orthonormal", SHAPES, 500)
    assert dimension_note("patch", SHAPES, 4).startswith("dim V = 4 requested, 6 realised: a patch of whole pixels")
    assert "1 of 3 channel(s)" in dimension_note("channels", SHAPES, 100)
    assert "ignored" in dimension_note("full", DIGITS, 8)


def test_sweep_dims_are_clamped_merged_and_said():
    dims, notes = jobs.sweep_dims("pixels", DIGITS, (4, 64, 100, 1000))
    assert dims == [4, 64] and notes == ["dims 100, 1000 exceed the input size: run as dim X = 64"]
    dims, notes = jobs.sweep_dims("patch", SHAPES, (4, 5, 6, 9))
    assert dims == [6, 9] and "dims 4, 5, 6 give V of dim 6" in notes[0] and "run once" in notes[0]
    dims, notes = jobs.sweep_dims("full", DIGITS, (4, 8))
    assert dims == [64] and "ignores dims V" in notes[0]
    assert jobs.sweep_dims("orthonormal", DIGITS, (2, 8)) == ([2, 8], [])


def _zero_cone(U: np.ndarray, x: np.ndarray) -> bool:
    """Whether V cap [-x, 1 - x] = {0} for V = span(U): the cone {z : (Uz)_i >= 0 where x_i = 0,
    (Uz)_i <= 0 where x_i = 1} is {0} iff max +-z_j over it (and the unit box) is 0 for every j
    (scipy's HiGHS linear programs; pixels strictly inside (0, 1) do not bound small moves)."""
    from scipy.optimize import linprog

    a = np.concatenate([-U[x <= 0], U[x >= 1]])
    k = U.shape[1]
    for j in range(k):
        for sign in (1.0, -1.0):
            c = np.zeros(k)
            c[j] = -sign
            res = linprog(c, A_ub=a, b_ub=np.zeros(len(a)), bounds=[(-1, 1)] * k, method="highs")
            if -res.fun > 1e-9:
                return False
    return True


@pytest.mark.parametrize("dim", [8, 20])
def test_inputs_that_cannot_move_are_those_with_a_zero_feasible_set(dim):
    """An orthonormal V on digits (half the pixels at 0): the count of inputs without a feasible
    perturbation agrees with an independent check (2k linear programs per input, maximising
    +-z_j over the cone, against the job's one Stiemke program); PGD moves none of them."""
    spec = jobs.AttackSpec(
        model=ModelRef(kind="zoo", name="digits-cnn"), n=40, kind="orthonormal", dim=dim, steps=5, eps=1.0
    )
    res = jobs.run_attack(spec, JobContext())
    lm = load_model_ref(spec.model, "cpu")
    split, x, y = jobs._data(lm.dataset, spec.n, spec.classes, spec.seed, "cpu")
    sub = build_subspace(
        "orthonormal", split.shape, dim, len(y), torch.Generator().manual_seed(spec.seed), dtype=x.dtype
    )
    with torch.no_grad():
        correct = (lm.model(x).argmax(1) == y).numpy()
    U, X = sub.basis.double().numpy(), x.reshape(len(y), -1).double().numpy()
    zero = sum(_zero_cone(U, X[i]) for i in range(len(y)) if correct[i])
    assert res.n_zero_feasible == zero and res.n_stuck >= zero
    if zero:
        assert "have no feasible perturbation" in res.notes[0] and "Wendel" in res.notes[0]
    if res.n_stuck > zero:
        assert "although V allows a perturbation" in res.notes[-1]
    pixels = jobs.run_attack(jobs.AttackSpec(model=spec.model, n=40, kind="pixels", dim=dim, steps=5), JobContext())
    assert pixels.n_stuck == 0 and pixels.notes == []  # coordinate subspaces can always move


def test_attack_and_sweep_say_what_they_clamped():
    ref = ModelRef(kind="zoo", name="digits-cnn")
    res = jobs.run_attack(jobs.AttackSpec(model=ref, n=20, kind="pixels", dim=100000, steps=2), JobContext())
    assert (res.dim, res.requested_dim) == (64, 100000) and "clamped to the input size" in res.notes[0]
    messages = []
    ctx = JobContext(on_progress=lambda f, m: messages.append(m))
    table = jobs.run_sweep_job(
        jobs.SweepSpec(model=ref, n=20, kind="pixels", dims=(4, 500), eps_values=(0.5, 1.0), steps=2), ctx
    )
    assert table.dims() == [4, 64] and "exceed the input size" in table.notes[0]
    assert all(c.stuck == 0 for c in table.cells)
    assert any(m.startswith("cell 4:") for m in messages) and any(" left" in m for m in messages)


def test_eta_text():
    eta = Eta()
    assert eta.text(0.5) == ""  # not started
    eta.t0 = eta.t0 or 0.0
    import time

    eta.t0 = time.perf_counter() - 10.0
    assert eta.text(0.5) == "about 10 s left"
    assert eta.text(0.1) == "about 2 min left"
    assert eta.text(0.01) == ""
