"""Models with topological priors (issue 23): gauge invariance of the gauge-equivariant network,
the torus symmetries used for augmentation (C -> -C for reflections), exact per-cell charges, the
band-limited section fit, dense-loss training and checkpoints."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from workbench.seeding import torch_generator
from workbench_bundle.core import augment
from workbench_bundle.core import haldane_bundle as hb
from workbench_bundle.core.classifiers import build_model, plaquette_flux_torch
from workbench_bundle.core.plaquette_targets import vortex_charges
from workbench_bundle.core.section_fit import fit_sections
from workbench_bundle.core.train import TrainConfig, TrainResult, load_checkpoint, save_checkpoint, train_classifier


@pytest.fixture(scope="module")
def data() -> hb.HaldaneDataset:
    return hb.generate_dataset(20, 16, seed=3)


def _gauge(psi: torch.Tensor, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    theta = torch.rand((psi.shape[0], 1, *psi.shape[2:]), generator=g) * 2 * math.pi
    return psi * torch.exp(1j * theta)


@pytest.mark.parametrize("arch", ["gauge", "charge", "flux"])
def test_logits_invariant_under_random_local_u1_gauge(data, arch):
    model = build_model(arch, 16, generator=torch_generator(1))
    # non-zero read-out so that the logits depend on the inputs
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.3, generator=torch_generator(2))
    psi = torch.from_numpy(data.psi[:8])
    with torch.no_grad():
        a, b = model(psi), model(_gauge(psi, 0))
    assert a.std() > 1e-3  # the test would pass trivially for constant logits
    assert (a - b).abs().max() <= 1e-4 * max(1.0, float(a.abs().max()))


def test_cnn_is_not_gauge_invariant(data):
    """The invariance test can fail: a network on the raw components changes under the same phases."""
    model = build_model("cnn", 16, generator=torch_generator(1)).eval()
    psi = torch.from_numpy(data.psi[:8])
    with torch.no_grad():
        assert (model(psi) - model(_gauge(psi, 0))).abs().max() > 1e-3


def test_gauge_conv_needs_the_transport(data):
    """Without the parallel transport of the neighbours' features the gauge net is not invariant."""
    model = build_model("gauge", 16, generator=torch_generator(1))
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.3, generator=torch_generator(2))
    psi = torch.from_numpy(data.psi[:8])
    ones = torch.ones(psi.shape[0], *psi.shape[2:], dtype=torch.complex64)
    with torch.no_grad():
        conv = model.convs[0]  # type: ignore[index]
        x = psi[:, None]
        y, yg = conv(x, ones, ones), conv(_gauge(psi, 0)[:, None], ones, ones)  # type: ignore[operator]
        # an equivariant output would change only by the phase at each point: |y| would agree
        assert (y.abs().sum(2) - yg.abs().sum(2)).abs().max() > 1e-3


@pytest.mark.parametrize("element", augment.D4)
def test_lattice_symmetries_flip_c_for_reflections(data, element):
    psi = torch.from_numpy(data.psi[:6])
    c0 = plaquette_flux_torch(psi).sum(dim=(1, 2)) / (2 * math.pi)
    moved = augment.transform_nodes(psi, element, (3, 5))
    c1 = plaquette_flux_torch(moved).sum(dim=(1, 2)) / (2 * math.pi)
    expected = (
        -1 if element in ((True, False, False), (False, True, False), (False, False, True), (True, True, True)) else 1
    )
    assert augment.d4_sign(element) == expected
    assert torch.allclose(c1, expected * c0, atol=1e-4)


def test_cell_charges_sum_to_labels_and_follow_the_symmetries(data):
    q = vortex_charges(data.coef_f, data.coef_g, 16)
    assert np.array_equal(q.sum(axis=(1, 2)), data.labels)
    assert (q != 0).any()
    # x1 -> -x1 on the coefficients (f_ab -> f_-a,b) is the reflection of the nodes
    flip = (False, True, False)
    qf = vortex_charges(data.coef_f[:, ::-1, :], data.coef_g[:, :, ::-1, :], 16)
    assert np.array_equal(qf, augment.transform_cells(torch.from_numpy(q).long(), flip).numpy())
    psi_f, _ = hb.sample_sections(data.coef_f[:2, ::-1, :], data.coef_g[:2, :, ::-1, :], 16)
    moved = augment.transform_nodes(torch.from_numpy(data.psi[:2]), flip).numpy()
    assert np.allclose(np.abs(psi_f), np.abs(moved), atol=1e-5)
    # transposition x1 <-> x2
    tr = (True, False, False)
    qt = vortex_charges(data.coef_f.transpose(0, 2, 1), data.coef_g.transpose(0, 1, 3, 2), 16)
    assert np.array_equal(qt, augment.transform_cells(torch.from_numpy(q).long(), tr).numpy())


def test_section_fit_counts_the_exact_labels(data):
    sub = data.subset(np.arange(6))
    fit = fit_sections(sub.psi)
    assert fit.ok.all()
    assert np.array_equal(fit.chern, sub.labels)
    gauged = _gauge(torch.from_numpy(sub.psi), 1).numpy()
    assert np.array_equal(fit_sections(gauged).chern, sub.labels)
    with pytest.raises(ValueError, match="shape"):
        fit_sections(sub.psi[:, 0])


def test_dense_training_and_checkpoint_round_trip(data, tmp_path):
    q = vortex_charges(data.coef_f, data.coef_g, 16)
    cfg = TrainConfig(arch="charge", epochs=1, batch_size=10, lr=1e-2, dense_weight=1.0, augment=True)
    res = train_classifier(data.psi, data.labels, data.psi[:4], data.labels[:4], cfg, cells_train=q)
    assert np.isfinite(res.history[0]["loss"])
    psi = torch.from_numpy(data.psi[:4])
    for arch in ("charge", "gauge"):
        if arch == "gauge":
            res = TrainResult(model=build_model("gauge", 16, generator=torch_generator(4)), arch="gauge", grid=16)
        path, _ = save_checkpoint(res, tmp_path / f"{arch}.safetensors", {"command": "test"})
        model, meta = load_checkpoint(path)
        with torch.no_grad():
            assert torch.allclose(model(psi), res.model.eval()(psi))
        assert meta["arch"] == arch
    with pytest.raises(ValueError, match="dense loss"):
        train_classifier(
            data.psi, data.labels, data.psi[:2], data.labels[:2], TrainConfig(arch="cnn", dense_weight=1.0)
        )


def test_mlp_width_is_kept_in_the_checkpoint(data, tmp_path):
    cfg = TrainConfig(arch="mlp", epochs=1, batch_size=10, hidden=8)
    res = train_classifier(data.psi, data.labels, data.psi[:4], data.labels[:4], cfg)
    path, _ = save_checkpoint(res, tmp_path / "m.safetensors", {"command": "test"})
    model, _ = load_checkpoint(path)
    assert model.net[1].out_features == 8  # type: ignore[index,union-attr]


def test_prediction_metrics_against_counting():
    from workbench_bundle.core.metrics import prediction_metrics

    rng = np.random.default_rng(0)
    y = rng.integers(-2, 3, 200)
    p = np.where(rng.random(200) < 0.6, y, rng.integers(-3, 4, 200))
    m = prediction_metrics(y, p)
    conf = np.asarray(m["confusion"])
    for i in range(5):
        for j in range(5):
            assert conf[i, j] == np.sum((y == i - 2) & (p == j - 2))
    assert m["accuracy_by_abs_c"]["1"] == pytest.approx(np.mean(p[np.abs(y) == 1] == y[np.abs(y) == 1]))
    assert m["accuracy"] == pytest.approx(np.mean(p == y))
    with pytest.raises(ValueError, match="predictions"):
        prediction_metrics(y, p[:3])
