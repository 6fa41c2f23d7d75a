"""The default zoo shows the kind of results of the two papers (from the committed results
table and, where cheap, recomputed from the shipped weights)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from workbench_repsim.core.data import digits_split
from workbench_repsim.core.matching import basis_correlation
from workbench_repsim.core.zoo import ZOO, load_zoo_model, results_table


@pytest.fixture(scope="module")
def table():
    return results_table()


def _group_basis(group: str, layer: str) -> float:
    _, _, xte, _ = digits_split(0)
    names = [n for n, e in ZOO.items() if e.group == group]
    feats = {}
    for n in names:
        with torch.no_grad():
            h = load_zoo_model(n).features(torch.from_numpy(xte))[layer].numpy().astype(np.float64)
        feats[n] = h[:, h.std(0) > 1e-8]
    return float(np.mean([basis_correlation(feats[a], feats[b]) for a, b in itertools.combinations(names, 2)]))


def test_frozen_early_layers_raise_basis_correlation(table):
    """Brown et al. (2023): different seeds do not converge to one basis; freezing the early
    layers identically raises the basis correlation of the layer after them."""
    free, frozen = _group_basis("mlp-w64", "h3"), _group_basis("mlp-w64-frozen", "h3")
    assert frozen > free
    assert free < 0.95  # seeds do not share a basis
    assert table["basis"]["mlp-w64-frozen"]["h3"]["basis_correlation_mean"] == pytest.approx(frozen, abs=1e-6)
    assert table["basis"]["mlp-w64"]["h3"]["basis_correlation_mean"] == pytest.approx(free, abs=1e-6)


def test_rotation_is_not_undone(table):
    for r in table["rotation"]:
        assert r["acc_retrained"] > r["acc_rotated"] + 0.3  # retraining recovers the task
        assert r["undo_error"] > 3 * r["undo_error_control"]  # but not by inverting the rotation
        assert r["basis_corr"] < r["basis_corr_control"] - 0.1  # and the next basis is a new one
        assert r["cka"] > 0.8  # while the representation is similar


def test_alignment_lowers_lmc_barrier(table):
    for v in table["lmc"].values():
        assert v["barrier_aligned_nats"] < v["barrier_nats"]


def test_stitching_table_both_directions(table):
    rows = table["stitching"]
    pairs = {(r["sender"], r["receiver"]) for r in rows}
    assert ("lm-solu-d64-s0", "lm-gelu-d64-s0") in pairs and ("lm-gelu-d64-s0", "lm-solu-d64-s0") in pairs
    for r in rows:
        assert np.isfinite(r["loss"]) and r["loss"] < 4.56  # better than uniform over the 96 characters


def test_lmc_numbers_recomputed_from_the_shipped_weights(table):
    """The committed LMC numbers of the w16 pair, recomputed from the shipped weights on the
    digits test split (539 images): the loss at both ends and half-way by interpolating the
    state dicts here, the barriers through core.lmc; and each end model's accuracy."""
    import copy

    import torch.nn.functional as F

    from workbench_repsim.core.lmc import lmc_curve

    xtr, _, xte, yte = digits_split(0)
    a, b = load_zoo_model("mlp-w16-s0"), load_zoo_model("mlp-w16-s1")
    row = table["lmc"]["w16"]
    sa, sb = a.state_dict(), b.state_dict()
    x, y = torch.from_numpy(xte), torch.from_numpy(yte)
    for alpha, k in ((0.0, 0), (0.5, 5), (1.0, 10)):
        mid = copy.deepcopy(a)
        mid.load_state_dict({n: (1 - alpha) * sa[n] + alpha * sb[n] for n in sa})
        with torch.no_grad():
            loss = float(F.cross_entropy(mid(x), y))
        assert loss == pytest.approx(row["loss_path"][k], abs=1e-5), alpha
    plain = lmc_curve(a, b, xte, yte)
    aligned = lmc_curve(a, b, xte, yte, align=True, x_align=xtr)
    assert plain.barrier == pytest.approx(row["barrier_nats"], abs=1e-5)
    assert aligned.barrier == pytest.approx(row["barrier_aligned_nats"], abs=1e-5)
    assert aligned.barrier < plain.barrier
    for name, model in (("mlp-w16-s0", a), ("mlp-w16-s1", b)):
        with torch.no_grad():
            acc = float((model(x).argmax(1) == y).float().mean())
        assert acc == pytest.approx(table["mlp_metrics"][name]["test_accuracy"], abs=5e-5)
