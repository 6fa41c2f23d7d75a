"""Explanations and hidden representations on the shipped classifier: overlay shapes, the
masking experiment (Integrated Gradients' top arrow beats random arrows), Integrated
Gradients' completeness axiom, PCA against scikit-learn, and the Vatne-type linear probe."""

import numpy as np
import pytest
import torch

from workbench_quiver.gnn.checkpoint import default_checkpoint_path, load_checkpoint
from workbench_quiver.gnn.dataset import DatasetRecipe, build_dataset, sample_size, to_data
from workbench_quiver.gnn.embed import graph_embeddings, linear_probe, pca_2d, vatne_types
from workbench_quiver.gnn.explain import METHODS, _arrows, explain, mask_top_k, train_pgexplainer


@pytest.fixture(scope="module")
def model():
    return load_checkpoint(default_checkpoint_path()).model


@pytest.fixture(scope="module")
def quivers():
    ds = sample_size(9, 2, seed=3, families=("A", "D", "A~", "D~", "E"))
    return [ds.b(i) for i in range(len(ds))]


def test_overlay_shapes_for_every_method(model, quivers):
    b = quivers[3]
    pg = train_pgexplainer(model, quivers[:3], epochs=1)
    arrows = set(_arrows(b))
    for method in METHODS:
        ov = explain(model, b, method, epochs=10, pg_explainer=pg, ig_steps=8)
        assert set(ov.edge_importance) == arrows
        assert len(ov.node_importance) == b.shape[0]
        vals = np.array(list(ov.edge_importance.values()))
        assert vals.min() >= 0 and vals.max() == pytest.approx(1.0)
        assert ov.method == method and ov.predicted in ("A", "D", "E", "A~", "D~", "E~")
    with pytest.raises(ValueError):
        explain(model, b, "PGExplainer")  # needs a trained explainer


def test_integrated_gradients_top_arrow_beats_random_arrows(model, quivers):
    # masking the arrow IG ranks first lowers P(predicted family) more than masking a random
    # arrow, on average over the quivers (measured: 0.43 versus 0.11 on 24 quivers)
    top, rnd = [], []
    for b in quivers[:6]:
        ov = explain(model, b, "IntegratedGradients", ig_steps=10)
        r = mask_top_k(model, b, ov, 1, n_random=6)
        top.append(r.prob_drop)
        rnd.append(r.random_prob_drop)
    assert np.mean(top) > np.mean(rnd) + 0.1


def test_integrated_gradients_completeness(model, quivers):
    # sum of attributions over all inputs = F(input) - F(baseline) (Sundararajan et al. 2017)
    from captum.attr import IntegratedGradients
    from torch_geometric.explain.algorithm.utils import clear_masks, set_masks

    b = quivers[0]
    d = to_data(b)
    pred = int(model(d.x, d.edge_index, d.edge_attr).argmax())
    E = d.edge_index.shape[1]

    def f(x, m):
        out = []
        for k in range(x.shape[0]):
            set_masks(model, m[k], d.edge_index, apply_sigmoid=False)
            out.append(model(x[k], d.edge_index, d.edge_attr)[0, pred])
            clear_masks(model)
        return torch.stack(out)

    x1, m1 = d.x[None].clone(), torch.ones(1, E)
    ig = IntegratedGradients(f)
    ax, am = ig.attribute(
        (x1, m1), baselines=(torch.zeros_like(x1), torch.zeros_like(m1)), n_steps=64, internal_batch_size=16
    )
    with torch.no_grad():
        gap = float(f(x1, m1) - f(torch.zeros_like(x1), torch.zeros_like(m1)))
    total = float(ax.sum() + am.sum())
    assert total == pytest.approx(gap, rel=0.05, abs=0.05)
    assert float(am.abs().sum()) > 0.01 * abs(gap)  # the edge mask really reaches the messages


def test_pca_matches_scikit_learn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6))
    mine = pca_2d(z)
    ref = PCA(2).fit(z)
    assert np.allclose(mine.explained, ref.explained_variance_ratio_, atol=1e-8)
    sk = ref.transform(z)
    for c in range(2):
        assert np.allclose(np.abs(mine.coords[:, c]), np.abs(sk[:, c]), atol=1e-6)


def test_vatne_probe_on_hidden_representation(model):
    ds = build_dataset(DatasetRecipe(sizes=(), families=(), extra_types=("D7",)))  # 246 quivers
    bs = [ds.b(i) for i in range(len(ds))]
    vt = vatne_types(bs)
    assert set(vt) == {"I", "II", "III", "IV"}
    z = graph_embeddings(model, ds, layer=-1)
    assert z.shape == (len(ds), 32)
    probe = linear_probe(z, vt, seed=0)
    shuffled = linear_probe(z, list(np.random.default_rng(0).permutation(vt)), seed=0)
    assert probe.test_accuracy > 0.8
    assert probe.test_accuracy > shuffled.test_accuracy + 0.3
