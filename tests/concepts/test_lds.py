"""The LDS machinery (half subsets, retraining, averaging over models, Spearman, bootstrap CI)
on a case whose answer is known, and the subset models' shared data order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench_concepts.core.attribution import lds_by_retraining
from workbench_concepts.core.dataset import generate
from workbench_concepts.core.train import TrainConfig, train_member

LAMBDA = 400.0  # strong ridge: w_S = (X_S^T X_S + λI)^{-1} X_S^T y_S is nearly additive in S


def _ridge_world(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(120, 4))
    y = x @ np.array([1.0, -0.5, 0.25, 2.0]) + 0.3 * rng.normal(size=120)
    targets = rng.normal(size=(6, 4))
    return x, y, targets


def _ridge_output(x: np.ndarray, y: np.ndarray, targets: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The 'retrained model' on the subset ``idx``: ridge regression, its predictions on the targets."""
    xs, ys = x[idx], y[idx]
    w = np.linalg.solve(xs.T @ xs + LAMBDA * np.eye(x.shape[1]), xs.T @ ys)
    return targets @ w


def _influence(x: np.ndarray, y: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The correct first-order attribution of the ridge prediction at half subsets:
    τ(t, i) = x_t^T (X^T X / 2 + λI)^{-1} x_i y_i (n_train x T)."""
    h = x.T @ x / 2 + LAMBDA * np.eye(x.shape[1])
    return (x @ np.linalg.solve(h, targets.T)) * y[:, None]


def test_lds_is_near_one_for_the_correct_attribution_and_near_zero_shuffled():
    x, y, targets = _ridge_world()
    tau = _influence(x, y, targets)
    seen: list[np.ndarray] = []

    def retrain(idx: np.ndarray, r: int, progress) -> np.ndarray:
        assert idx.size == 60 and r == 0
        seen.append(idx)
        progress(1.0)
        return _ridge_output(x, y, targets, idx)

    good = lds_by_retraining(tau, retrain, n_subsets=30, n_boot=200)
    assert good.lds > 0.95 and good.ci[0] > 0.9
    assert len({tuple(i) for i in seen}) == 30  # a different half subset for each retraining
    shuffled = tau[np.random.default_rng(5).permutation(len(y))]
    bad = lds_by_retraining(shuffled, lambda i, r, p: _ridge_output(x, y, targets, i), n_subsets=30, n_boot=200)
    assert abs(bad.lds) < 0.25 and bad.ci[0] < 0 < bad.ci[1]
    # the sign: an attribution of the opposite effect is anti-correlated
    assert lds_by_retraining(-tau, retrain, n_subsets=30, n_boot=50).lds < -0.95


def test_averaging_models_per_subset_removes_retraining_noise():
    """Each retraining adds its own noise (sd 3x the subsets' spread of the prediction):
    one model per subset hides the attribution; the mean of 12 per subset recovers it."""
    x, y, targets = _ridge_world(1)
    tau = _influence(x, y, targets)
    clean = [_ridge_output(x, y, targets, np.flatnonzero(m)) for m in _masks(len(y))]
    sd = 3.0 * np.std(clean, axis=0)
    rng = np.random.default_rng(2)

    def noisy(idx: np.ndarray, r: int, progress) -> np.ndarray:
        return _ridge_output(x, y, targets, idx) + sd * rng.normal(size=len(targets))

    one = lds_by_retraining(tau, noisy, n_subsets=20, members=1, n_boot=200)
    many = lds_by_retraining(tau, noisy, n_subsets=20, members=12, n_boot=200)
    assert one.lds < 0.6 < many.lds
    assert many.lds - one.lds > 0.3


def _masks(n: int) -> np.ndarray:
    from workbench_concepts.core.attribution import half_masks

    return half_masks(n, 20, 0)


def test_lds_refuses_a_retrained_output_of_the_wrong_shape():
    x, y, targets = _ridge_world()
    with pytest.raises(ValueError, match="expected 6 finite values"):
        lds_by_retraining(_influence(x, y, targets), lambda i, r, p: np.zeros(5), n_subsets=3)
    with pytest.raises(ValueError, match="members per subset"):
        lds_by_retraining(_influence(x, y, targets), lambda i, r, p: np.zeros(6), n_subsets=3, members=0)


def _params(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.state_dict().values()]


def test_same_order_subsets_follow_the_full_sets_order():
    """same_order: the whole training set given as a shuffled index array trains the very
    model the full set trains (same order, same flips: the order comes from the full set's
    permutation, not from the positions in ``indices``); a half subset's model does not depend
    on how its indices are listed; without same_order a relisting changes the model."""
    torch.set_num_threads(1)
    train = generate(48, 3)
    cfg = TrainConfig(epochs=2, batch=8, lr=5e-3, width=4)
    full = _params(train_member(train, 7, cfg))
    shuffled = np.random.default_rng(0).permutation(len(train))
    same = _params(train_member(train, 7, cfg, indices=shuffled, same_order=True))
    assert all(torch.equal(a, b) for a, b in zip(full, same, strict=True))
    half = np.sort(np.random.default_rng(1).permutation(len(train))[:24])
    a = _params(train_member(train, 7, cfg, indices=half, same_order=True))
    b = _params(train_member(train, 7, cfg, indices=half[::-1].copy(), same_order=True))
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    c = _params(train_member(train, 7, cfg, indices=half[::-1].copy()))
    assert not all(torch.equal(u, v) for u, v in zip(a, c, strict=True))
    with pytest.raises(ValueError, match="distinct training indices"):
        train_member(train, 7, cfg, indices=np.array([0, 0, 1]), same_order=True)


@pytest.mark.parametrize("probe", ["fixed", "refit"])
def test_attribute_job_measures_the_lds_of_same_order_subset_models(tiny_ensemble, probe):
    """The job's LDS (3 subsets, 2 models each) equals the LDS recomputed here from its own
    scores and subset models built independently: member r's seed, the full set's data order,
    member r's probe (``fixed``) or a probe refitted on the concept set (``refit``), its margin
    on the targets, averaged over r."""
    from workbench.jobs import JobContext
    from workbench_concepts.core.attribution import half_masks, lds_from_outputs
    from workbench_concepts.core.probes import fit_probe, pooled_features
    from workbench_concepts.jobs import AttributeSpec, _targets, load_ensemble_and_data, probe_concepts, run_attribute

    torch.set_num_threads(1)
    spec = AttributeSpec(
        "round",
        "layer3",
        ensemble=str(tiny_ensemble),
        n_targets=6,
        proj_dim=16,
        lds=True,
        lds_subsets=3,
        lds_members=2,
        lds_probe=probe,
    )
    res = run_attribute(spec, JobContext(device="cpu"))
    loaded = load_ensemble_and_data(str(tiny_ensemble))
    data, cset = loaded.data, loaded.data.concepts["round"]
    _, fitted = probe_concepts(loaded.models, data, (1,), None, ("round",))
    xt, yt = _targets(data, "round", 6)
    masks = half_masks(len(data.train), 3, 0)
    actual = np.zeros((3, len(yt)))
    for j in range(3):
        for r in range(2):
            m = train_member(
                data.train,
                loaded.provenance["seeds"][r],
                loaded.train_cfg,
                indices=np.flatnonzero(masks[j]),
                same_order=True,
            )
            if probe == "refit":
                p = fit_probe("layer3", pooled_features(m, cset.fit)["layer3"], cset.fit_y)
            else:
                p = fitted["round"].probes[r][3]
            actual[j] += p.logits(pooled_features(m, xt)["layer3"]) / 2
    again = lds_from_outputs(res.scores, masks, actual)
    assert res.lds is not None and res.lds_ci is not None and res.lds_per_target is not None
    assert np.allclose(res.lds_per_target, again.per_target, equal_nan=True)
    assert res.lds == pytest.approx(again.lds) and res.lds_ci[0] <= res.lds <= res.lds_ci[1]
    with pytest.raises(ValueError, match="lds_probe must be"):
        AttributeSpec("round", "layer3", lds_probe="both").validate()


def test_spearman_columns_is_scipys_spearman_per_column_with_ties_and_constants():
    from scipy.stats import spearmanr

    from workbench_concepts.core.attribution import spearman_columns

    rng = np.random.default_rng(4)
    a = rng.normal(size=(15, 5))
    b = rng.integers(0, 4, size=(15, 5)).astype(float)  # many ties
    b[:, 3] = 2.0  # constant
    got = spearman_columns(a, b)
    for t in range(5):
        if t == 3:
            assert np.isnan(got[t])
        else:
            assert got[t] == pytest.approx(spearmanr(a[:, t], b[:, t]).statistic, abs=1e-12)
