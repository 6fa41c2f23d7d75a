"""Probes and TRAK on tiny, really trained networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench_concepts.core.attribution import (
    ProbedNet,
    TrakConfig,
    half_masks,
    lds_from_outputs,
    spearman,
    top_positive_fraction,
    trak_scores,
)
from workbench_concepts.core.dataset import ConceptSet, ImageSet, concept_set, generate
from workbench_concepts.core.probes import fit_logistic, fit_probe, pooled_features, probe_layers
from workbench_concepts.core.resnet import LAYERS
from workbench_concepts.core.train import TrainConfig, accuracy, train_member


def test_logistic_regression_satisfies_its_optimality_condition():
    """At the minimum of mean log-loss + l2/2 |w|^2 the gradient vanishes:
    X^T (sigmoid(Xw + b) - y) / n + l2 w = 0 and mean(sigmoid(Xw + b) - y) = 0."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0, 0.3]) + 0.4 + rng.normal(size=300) > 0).astype(float)
    l2 = 0.01
    w, b = fit_logistic(x, y, l2)
    r = 1 / (1 + np.exp(-(x @ w + b))) - y
    assert np.abs(x.T @ r / len(y) + l2 * w).max() < 1e-6 and abs(r.mean()) < 1e-6
    assert w[1] < -1 < 0.3 < w[0]  # the signs and order of the generating weights


def _tinted(s: ImageSet) -> ImageSet:
    """``s`` relabelled: the task and the concept are 'red tint' (half the images, the
    high-frequency ones, get their red channel lifted), a concept learned in a few steps."""
    x = s.images.copy()
    pos = s.high_freq
    x[pos, 0] = 0.5 + 0.5 * x[pos, 0]
    return ImageSet(x, pos.astype(np.int64), pos)


@pytest.fixture(scope="module")
def two_class():
    """A network trained on the trivially learned 'red tint' concept as its task."""
    torch.set_num_threads(1)
    train, test = _tinted(generate(160, 5)), _tinted(generate(100, 6))
    models = [train_member(train, s, TrainConfig(epochs=2, batch=16, lr=5e-3, width=8)) for s in (0, 1)]
    y = test.high_freq
    cset = ConceptSet("tint", "perceptual", test.subset(np.arange(60)), y[:60], test.subset(np.arange(60, 100)), y[60:])
    return train, models, cset


def test_probe_finds_the_perceptual_concept_above_chance(tiny_ensemble):
    from workbench_concepts.core.train import load_ensemble

    models, _ = load_ensemble(tiny_ensemble)
    cset = concept_set("high_frequency", 480, 0)
    lp = probe_layers(models, cset, ks=(1, 4))
    assert lp.accuracy.shape == (2, len(LAYERS)) and lp.sparsity.shape == (2, len(LAYERS), 2)
    assert lp.mean().max() >= 0.7  # chance is 0.5 (balanced held-out set of 120: sd 0.046)
    assert lp.kind == "perceptual"


def test_probed_net_is_the_probe_on_pooled_features(two_class):
    train, (model, _), cset = two_class
    feats = pooled_features(model, cset.fit)["layer3"]
    p = fit_probe("layer3", feats, cset.fit_y)
    with torch.no_grad():
        out = ProbedNet(model, "layer3", p)(torch.from_numpy(cset.fit.images), probe=True).numpy()
    assert np.allclose(out, p.logits(feats), atol=1e-4)
    with pytest.raises(ValueError, match="layer4 has"):
        ProbedNet(model, "layer4", fit_probe("stem", pooled_features(model, cset.fit)["stem"], cset.fit_y))


def test_trak_scores_shape_and_top_examples_enriched_for_positives(two_class):
    """TRAK of the 'tint' probe (two checkpoints, 20 positive targets): the training images
    with the concept rank above those without (AUC over all 160), and the top 40 hold more
    positives than chance.  (The margin is modest: both networks fit their task perfectly, so
    traker's Q = 1 - p weights a few hard examples heavily.)"""
    from scipy.stats import rankdata

    train, models, cset = two_class
    assert min(accuracy(m, cset.test) for m in models) > 0.9
    probes = [fit_probe("layer4", pooled_features(m, cset.fit)["layer4"], cset.fit_y) for m in models]
    pos = cset.test.images[cset.test_y][:20]
    pos = np.concatenate([pos, cset.fit.images[cset.fit_y][: 20 - len(pos)]])
    scores = trak_scores(models, probes, "layer4", train, pos, np.ones(len(pos), int), TrakConfig(proj_dim=32))
    assert scores.shape == (len(train), 20) and np.isfinite(scores).all()
    cs, y = scores.mean(1), train.high_freq
    r = rankdata(cs)
    auc = (r[y].sum() - y.sum() * (y.sum() + 1) / 2) / (y.sum() * (~y).sum())
    frac, chance = top_positive_fraction(cs, y, k=40)
    assert chance == 0.5 and frac > chance and auc > 0.55


def test_spearman_and_lds_against_known_cases():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=30), rng.normal(size=30)
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)
    scores = rng.normal(size=(60, 5))
    masks = half_masks(60, 12, 0)
    assert (masks.sum(1) == 30).all()
    exact = masks @ scores
    res = lds_from_outputs(scores, masks, exact + 1e-9 * rng.normal(size=exact.shape), n_boot=100)
    assert res.lds == pytest.approx(1.0) and res.ci[0] > 0.99
    noise = lds_from_outputs(scores, masks, rng.normal(size=exact.shape), n_boot=100)
    assert abs(noise.lds) < 0.3 and noise.ci[0] < 0 < noise.ci[1]
    with pytest.raises(ValueError, match="at least 3 subsets"):
        half_masks(60, 2, 0)
