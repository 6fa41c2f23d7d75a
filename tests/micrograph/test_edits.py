"""Each edit changes only what it claims: surgical fine-tuning one block, last-layer retraining
the fc layer, the low-rank edit a rank-r update of one weight, the rewrite a rank-one update
with the least-squares Lambda, 1-LI the original at alpha 0 and the edited model at alpha 1;
and the fast interpolation equals interpolating the weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench_micrograph.core.data import DefaultData, ImageSet, default_data
from workbench_micrograph.core.edits import (
    FullFinetune,
    LastLayer,
    LayerInterpolation,
    LowRank,
    OneLI,
    Rewrite,
    SurgicalBest,
    SurgicalFinetune,
    apply_edit,
    interpolate_layer,
    method_config,
    replay_set,
    rewrite_update,
)
from workbench_micrograph.core.models import block_parameters, build_model

TINY = DefaultData(seed=3, train=4, val=2, test=3, shifted_test=3, pool=4)


@pytest.fixture(scope="module")
def setup():
    data = default_data(TINY)
    model = build_model(5, 4, generator=torch.Generator().manual_seed(0)).eval()
    return data, model, data.edit_set(2, seed=0)


def _state(m):
    return {k: v.clone() for k, v in m.state_dict().items()}


def test_surgical_changes_only_its_block_and_not_the_original(setup):
    data, model, edit = setup
    before = _state(model)
    out = apply_edit(model, SurgicalFinetune(layer="layer2", steps=3), edit)
    assert out.changed and set(out.changed) <= set(block_parameters(model, "layer2"))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # original untouched
    one = apply_edit(model, SurgicalFinetune(layer="layer3.conv2", steps=3), edit)
    assert one.changed == ("layer3.conv2.weight",) and one.layer == "layer3.conv2"


def test_full_finetune_keeps_batchnorm_statistics(setup):
    data, model, edit = setup
    out = apply_edit(model, FullFinetune(steps=3), edit)
    assert len(out.changed) == len(list(model.parameters()))
    for name, buf in model.named_buffers():
        assert torch.equal(buf, dict(out.model.named_buffers())[name]), name


def test_last_layer_changes_only_fc(setup):
    data, model, edit = setup
    out = apply_edit(model, LastLayer(steps=5), edit)
    assert set(out.changed) == {"fc.weight", "fc.bias"}
    re = apply_edit(model, LastLayer(steps=2, reinit=True), edit)
    assert set(re.changed) == {"fc.weight", "fc.bias"}


@pytest.mark.parametrize("rank", [1, 3])
def test_lowrank_update_has_rank_r(setup, rank):
    data, model, edit = setup
    out = apply_edit(model, LowRank(layer="layer2.conv1", rank=rank, steps=5), edit)
    assert out.changed == ("layer2.conv1.weight",)
    delta = (out.model.layer2.conv1.weight - model.layer2.conv1.weight).reshape(8, -1).double()
    sv = torch.linalg.svdvals(delta)
    assert (sv[:rank] > 1e-4 * sv[0]).all() and (sv[rank:] < 1e-5 * sv[0]).all()
    with pytest.raises(ValueError, match="rank must be in"):
        apply_edit(model, LowRank(layer="layer2.conv1", rank=999), edit)


def test_rewrite_update_is_rank_one_with_least_squares_lambda():
    g = torch.Generator().manual_seed(0)
    d, out_dim, n = 12, 5, 40
    W = torch.randn(out_dim, d, generator=g, dtype=torch.float64)
    K = torch.randn(n, d, generator=g, dtype=torch.float64)
    V = torch.randn(n, out_dim, generator=g, dtype=torch.float64)
    Z = torch.randn(500, d, generator=g, dtype=torch.float64) * torch.linspace(0.2, 2, d, dtype=torch.float64)
    C = Z.T @ Z / 500
    dW, lam, direction = rewrite_update(W, K, V, C, ridge=0.0)
    assert torch.linalg.matrix_rank(dW) == 1
    # the direction is C^{-1} u for the top right singular vector u of the keys
    u = torch.linalg.svd(K, full_matrices=False).Vh[0]
    cd = C @ direction
    assert torch.allclose(cd / cd.norm(), u * torch.sign(u @ cd), atol=1e-10)
    # Lambda minimises sum_i ||v_i - (W + Lambda d^T) k_i||^2 for this d: numpy's lstsq agrees
    s = (K @ direction).numpy()
    R = (V - K @ W.T).numpy()
    lam_np = np.linalg.lstsq(s[:, None], R, rcond=None)[0][0]
    np.testing.assert_allclose(lam.numpy(), lam_np, rtol=1e-10, atol=1e-12)
    res = lambda M: float(((V - K @ M.T) ** 2).sum())  # noqa: E731
    assert res(W + dW) < res(W)


def test_rewrite_changes_one_conv_and_uses_the_mask(setup):
    data, model, edit = setup
    out = apply_edit(model, Rewrite(layer="layer1.conv1", key_images=10), edit, data.train)
    assert out.changed == ("layer1.conv1.weight",) and out.details["delta_rank"] == 1
    assert out.details["values"] == "paired source images"
    assert out.details["residual_after"] <= out.details["residual_before"]
    H = edit.x.shape[2]
    mask = np.zeros((H, H), bool)
    mask[: H // 2, : H // 2] = True
    q = apply_edit(model, Rewrite(layer="layer1.conv1", key_images=10, mask=tuple(map(tuple, mask))), edit, data.train)
    assert q.details["positions_per_image"] * 4 == q.details["positions"]
    nopair = ImageSet(edit.x, edit.y, edit.names)
    cm = apply_edit(model, Rewrite(layer="layer1.conv1", key_images=10), nopair, data.train)
    assert cm.details["values"] == "class means of source training images"
    with pytest.raises(ValueError, match="mask is empty"):
        apply_edit(model, Rewrite(mask=tuple(map(tuple, np.zeros((H, H), bool)))), edit, data.train)


def test_one_li_endpoints_and_fast_interpolation(setup):
    data, model, edit = setup
    base = apply_edit(model, LowRank(layer="layer2.conv2", rank=2, steps=5), edit)
    x = torch.as_tensor(data.test.x)
    with torch.no_grad():
        torch.testing.assert_close(interpolate_layer(model, base.model, "layer2.conv2", 0.0)(x), model(x))
        torch.testing.assert_close(interpolate_layer(model, base.model, "layer2.conv2", 1.0)(x), base.model(x))
    fast = LayerInterpolation(model, base.model, "layer2.conv2", {"test": data.test, "edit": edit})
    for a in (0.0, 0.3, 1.0):
        slow = interpolate_layer(model, base.model, "layer2.conv2", a)
        with torch.no_grad():
            torch.testing.assert_close(fast.logits("test", a), slow(x), rtol=1e-5, atol=1e-5)
    small = LayerInterpolation(model, base.model, "layer2.conv2", {"test": data.test}, limit=6)
    assert len(small.labels["test"]) == 6 and sorted(np.bincount(small.labels["test"].numpy(), minlength=5)) == [
        1,
        1,
        1,
        1,
        2,
    ]
    li = apply_edit(model, OneLI(base=LowRank(layer="layer2.conv2", rank=2, steps=5), alpha=0.5), edit)
    assert li.changed == ("layer2.conv2.weight",) and li.details["alpha"] == 0.5
    auto = apply_edit(model, OneLI(base=LowRank(layer="layer2.conv2", rank=2, steps=5)), edit)
    curve, grid = auto.details["edit_curve"], auto.details["alpha_grid"]
    a = auto.details["alpha"]
    goal = curve[0] + 0.9 * (curve[-1] - curve[0])
    if curve[-1] > curve[0]:  # the smallest alpha reaching 90 % of the edit-set gain
        assert curve[grid.index(a)] >= goal - 1e-12 and all(v < goal for v, g in zip(curve, grid, strict=True) if g < a)
    else:  # no gain on the edit set: the edited layer as it is
        assert a == 1.0
    with pytest.raises(ValueError, match="alpha must be in"):
        apply_edit(model, OneLI(alpha=1.5), edit)


def test_surgical_best_picks_a_candidate_by_the_edit_set_only(setup):
    data, model, edit = setup
    out = apply_edit(model, SurgicalBest(candidates=("layer3", "fc"), sweep_steps=2, steps=2), edit)
    assert out.details["block"] in ("layer3", "fc") and set(out.details["sweep"]) == {"layer3", "fc"}
    assert set(out.changed) <= set(block_parameters(model, out.details["block"]))


def test_replay_and_refusals(setup):
    data, model, edit = setup
    r = replay_set(data.train, 2, seed=0, num_classes=5)
    assert np.array_equal(np.bincount(r.y, minlength=5), np.full(5, 2))
    out = apply_edit(model, SurgicalFinetune(layer="fc", steps=2), edit, data.train, replay=2)
    assert set(out.changed) == {"fc.weight", "fc.bias"}
    with pytest.raises(ValueError, match="MicrographResNet"):
        apply_edit(torch.nn.Linear(3, 5), LastLayer(), edit)
    with pytest.raises(ValueError, match="unknown layer"):
        apply_edit(model, LowRank(layer="layer9.conv1"), edit)
    with pytest.raises(ValueError, match="unknown edit method"):
        method_config("dropout")
    assert method_config("lowrank", rank=2).rank == 2
