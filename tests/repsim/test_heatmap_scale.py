"""Qt-free pieces of the panel's honesty and looks: the shared colour scale, tick thinning,
elided names, cell text; the notes of settings that are clamped or do not apply."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench_repsim.jobs import (
    ALIGN_NOT_APPLIED,
    HeatmapSpec,
    LMCSpec,
    heatmap_setting_notes,
    lmc_setting_notes,
)
from workbench_repsim.state import RepsimState
from workbench_repsim.ui.heatmap_scale import base_measure, cell_text, elide_middle, shared_levels, tick_step


# ------------------------------------------------------------------ colour scale ----------------
def test_cka_shares_zero_to_one_whatever_the_values():
    mats = [np.array([[1.0, 0.93], [0.93, 1.0]]), np.array([[0.41, 0.62]])]
    assert shared_levels(mats, "cka") == (0.0, 1.0)
    assert shared_levels(mats, "cka-minibatch (batch 100)") == (0.0, 1.0)


def test_data_scale_is_the_range_of_all_matrices_together():
    mats = [np.array([[1.0, 0.93]]), np.array([[0.41, np.nan]]), np.array([[0.62]])]
    assert shared_levels(mats, "cka", "data") == (0.41, 1.0)


def test_procrustes_distance_range_is_zero_to_sqrt2():
    assert shared_levels([np.array([[0.0, 0.7]])], "procrustes") == (0.0, math.sqrt(2))
    assert shared_levels([np.array([[0.0, 1.2]])], "procrustes-angular") == (0.0, math.pi / 2)


def test_signed_measure_starts_at_minus_one_only_when_a_value_is_negative():
    assert shared_levels([np.array([[0.2, 0.9]])], "rsa") == (0.0, 1.0)
    assert shared_levels([np.array([[-0.05, 0.9]])], "rsa") == (-1.0, 1.0)
    assert shared_levels([np.array([[-0.05, 0.9]])], "cka-debiased") == (-1.0, 1.0)


def test_values_outside_the_measure_range_fall_back_to_the_data():
    # CKA (biased) cannot exceed 1; if a matrix says otherwise the scale must not clip it silently
    assert shared_levels([np.array([[0.5, 1.5]])], "cka") == (0.5, 1.5)


def test_constant_and_empty_data():
    assert shared_levels([np.array([[0.3, 0.3]])], "nonsense", "data") == (pytest.approx(-0.2), pytest.approx(0.8))
    assert shared_levels([], "cka", "data") == (0.0, 1.0)
    with pytest.raises(ValueError, match="colour scale"):
        shared_levels([np.ones((1, 1))], "cka", "rainbow")


def test_base_measure():
    assert base_measure("cka-minibatch (batch 64)") == "cka"
    assert base_measure("procrustes-angular") == "procrustes-angular"


# ------------------------------------------------------------------ tick labels ----------------
@pytest.mark.parametrize("count, cell, label", [(40, 7.0, 60.0), (5, 60.0, 40.0), (12, 20.0, 13.0), (3, 1.0, 500.0)])
def test_tick_step_keeps_labels_apart(count, cell, label):
    k = tick_step(count, cell, label, gap_px=4)
    assert 1 <= k <= count
    assert k * cell >= label + 4 or k == count  # consecutive labels do not touch
    assert k == 1 or (k - 1) * cell < label + 4  # and no sparser than needed


def test_elide_middle():
    assert elide_middle("resid0", 14) == "resid0"
    short = elide_middle("model.layers.10.mlp", 12)
    assert len(short) == 12 and short.startswith("model.") and short.endswith("mlp") and "…" in short


def test_cell_text():
    assert cell_text(0.8734) == "0.87" and cell_text(-0.051) == "-0.05"
    assert cell_text(123.456) == "123" and cell_text(float("nan")) == "n/a"


# ------------------------------------------------------------------ notes -----------------------
def test_permutation_align_on_language_models_is_said_not_to_apply():
    assert ALIGN_NOT_APPLIED in lmc_setting_notes(LMCSpec("lm-gelu-d32-s0", "lm-gelu-d32-s1", align=True), ("lm", "lm"))
    assert lmc_setting_notes(LMCSpec("lm-gelu-d32-s0", "lm-gelu-d32-s1", align=False), ("lm", "lm")) == []
    assert lmc_setting_notes(LMCSpec("mlp-w16-s0", "mlp-w16-s1", align=True), ("mlp", "mlp")) == []


def test_heatmap_setting_notes():
    spec = HeatmapSpec("mlp-w16-s0", "mlp-w16-s1", pooling="last", measure="rsa", minibatch=50)
    notes = heatmap_setting_notes(spec, {"A": "mlp", "B": "mlp"})
    assert any("measure 'rsa' is not used" in n for n in notes)
    assert any("pooling 'last' does not apply" in n for n in notes)
    # a language model uses the pooling: only the MLP's side is named
    assert [n for n in heatmap_setting_notes(spec, {"A": "mlp", "B": "lm"}) if "pooling" in n] == [
        "pooling 'last' does not apply to A: a digit MLP (one image per input) has no token sequence to pool"
    ]
    assert not any("pooling" in n for n in heatmap_setting_notes(spec, {"A": "lm", "B": "hf"}))
    # nothing is said about families that are not known yet
    assert heatmap_setting_notes(HeatmapSpec("x", "y", pooling="last"), {"A": "", "B": "mlp"}) == []
    npz = heatmap_setting_notes(
        HeatmapSpec("a.npz", "b.npz", data="/some/folder", pooling="last"), {"A": "npz", "B": "npz"}
    )
    # one note per setting, not one per side
    assert npz == [
        "pooling 'last' does not apply: an .npz of activations has no token sequence to pool",
        "data does not apply to A and B: an .npz holds its own activations",
    ]
    mixed = heatmap_setting_notes(HeatmapSpec("a.npz", "m", pooling="first"), {"A": "npz", "B": "mlp"})
    assert mixed == [
        "pooling 'first' does not apply: a digit MLP (one image per input) and an .npz of "
        "activations has no token sequence to pool"
    ]


def test_state_notes_from_names_alone(tmp_path):
    st = RepsimState(model_a="lm-gelu-d32-s0", model_b="lm-gelu-d32-s1", lmc_align=True)
    assert ALIGN_NOT_APPLIED in st.setting_notes()["lmc"]
    st.lmc_align = False
    assert st.setting_notes()["lmc"] == []
    st.update({"model_a": "mlp-w16-s0", "model_b": "mlp-w16-s1", "data": str(tmp_path / "t.txt")})
    assert any("data does not apply" in n for n in st.setting_notes()["stitching"])
    st.update({"model_a": str(tmp_path / "missing"), "data": "default"})  # unknown family: no guess
    assert st.setting_notes() == {"heatmap": [], "stitching": [], "lmc": []}
