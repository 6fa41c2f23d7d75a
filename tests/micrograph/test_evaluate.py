"""Evaluation: PGD robust accuracy through the adversarial plugin's core against the exact
robust accuracy of a linear classifier (Hölder duality), the corruption suite, the mean
corruption error, the comparison job (schema, seeds, cancel), and the zoo registration."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch
from torch import nn

from workbench.jobs import JobCancelled, JobContext
from workbench_micrograph.core.data import DataRef, DefaultData, ImageSet, default_data
from workbench_micrograph.core.edits import LastLayer, LowRank, OneLI, SurgicalFinetune
from workbench_micrograph.core.evaluate import (
    CORRUPTIONS,
    CorruptionScores,
    RobustnessConfig,
    corrupt,
    eval_sets,
    format_table,
    mean_corruption_error,
    measure,
    robust_accuracy,
)
from workbench_micrograph.jobs import CompareSpec, run_compare

TINY = DefaultData(seed=3, train=4, val=2, test=3, shifted_test=3, pool=4)
SMALL_ROBUST = RobustnessConfig(
    steps=3, n_robust=6, n_corrupt=6, severities=(1, 5), corruptions=("gaussian_noise", "jpeg")
)


class Linear2(nn.Module):
    """Two-class linear classifier on flattened images: logits (0, w . x + b)."""

    def __init__(self, w: torch.Tensor, b: float) -> None:
        super().__init__()
        self.w = nn.Parameter(w.flatten().clone())
        self.b = b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.flatten(1) @ self.w + self.b
        return torch.stack([torch.zeros_like(z), z], dim=1)


@pytest.mark.parametrize("p", [math.inf, 2.0])
def test_pgd_robust_accuracy_matches_the_linear_oracle(p):
    """For logits (0, w.x + b) away from the box, the worst case in the l_p ball of radius eps
    changes the margin by eps ||w||_q (q the dual exponent): robust iff correct and
    |w.x + b| > eps ||w||_q."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(1, 8, 8, generator=g)
    x = 0.4 + 0.2 * torch.rand(200, 1, 8, 8, generator=g)  # inside [0.4, 0.6]: the box never binds
    model = Linear2(w, b=-float((x.flatten(1) @ w.flatten()).median()))
    margin = x.flatten(1) @ model.w.detach() + model.b
    y = (margin > 0).long()
    y[:20] = 1 - y[:20]  # some wrong from the start
    dual = w.abs().sum() if math.isinf(p) else w.norm()
    eps = 0.002 if math.isinf(p) else 0.03
    exact = float(((margin > 0).long().eq(y) & (margin.abs() > eps * dual)).float().mean())
    images = ImageSet(x.numpy(), y.numpy(), tuple(str(i) for i in range(200)))
    got = robust_accuracy(model, images, p, eps, steps=30)
    # an attack never breaks a truly robust image; PGD from a random start gets within a point
    assert exact - 1e-9 <= got <= exact + 0.01
    clean = float((margin > 0).long().eq(y).float().mean())
    assert robust_accuracy(model, images, p, 0.0, steps=2) == pytest.approx(clean)
    assert model.w.requires_grad  # restored after the attack


def test_corruptions_are_seeded_in_range_and_worsen_with_severity():
    x = default_data(TINY).test.x
    for name in CORRUPTIONS:
        a = corrupt(x, name, 1)
        assert a.shape == x.shape and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
        assert np.array_equal(a, corrupt(x, name, 1))
        dev = [np.abs(corrupt(x, name, s) - x).mean() for s in (1, 3, 5)]
        assert dev[0] < dev[1] < dev[2], name
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt(x, "fog", 1)
    with pytest.raises(ValueError, match="severity"):
        corrupt(x, "blur", 6)


def test_mean_corruption_error():
    base = CorruptionScores({"a": [0.9, 0.8], "b": [0.5, 0.5]}, 0.675)
    other = CorruptionScores({"a": [0.95, 0.9], "b": [0.5, 0.0]}, 0.5875)
    assert mean_corruption_error(base, base) == pytest.approx(1.0)
    # a: (0.05 + 0.1) / (0.1 + 0.2) = 0.5; b: (0.5 + 1.0) / (0.5 + 0.5) = 1.5
    assert mean_corruption_error(other, base) == pytest.approx(1.0)
    assert mean_corruption_error(CorruptionScores({"a": [0.95, 0.9]}, 0), base) == pytest.approx(0.5)


def test_measure_gives_every_metric():
    data = default_data(TINY)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64 * 64, 5))
    sets = eval_sets(data.test, dict(data.shifted), SMALL_ROBUST)
    edit = data.edit_set(2, seed=0)
    m = measure(model, sets, edit)
    assert set(m.acc) == {"source", "aged", "detector", "edit"} and m.mce == 1.0
    assert 0 <= m.robust_inf <= m.acc["source"] + 1e-9 or len(sets.robust) < len(data.test)
    assert set(m.corruption.accuracy) == {"gaussian_noise", "jpeg"}
    assert math.isnan(m.corruption.accuracy["jpeg"][1]) and not math.isnan(m.corruption.accuracy["jpeg"][4])


def test_table_formats():
    mu = [
        {
            "source_acc": 1.0,
            "aged_acc": 0.7,
            "edit_acc": 0.6,
            "robust_acc": 0.5,
            "robust_l2": 0.4,
            "corruption_acc": 0.8,
            "mce": 1.0,
            "shift_mean": 0.7,
        }
    ]
    sd = [{k: 0.01 for k in mu[0]}]
    md = format_table(["unedited"], mu, sd, ["aged"], "markdown", seeds=3)
    assert "| unedited | 1.000 ± 0.010 | 0.700 ± 0.010 |" in md
    assert format_table(["x_y"], mu, sd, ["aged"], "latex", seeds=3).count(r"$\pm$") == 7
    assert format_table(["a"], mu, sd, ["aged"], "csv").splitlines()[1].startswith("a,1,0.01,0.7,0.01")


def _methods():
    return (
        SurgicalFinetune(layer="fc", steps=2),
        LastLayer(steps=3),
        LowRank(layer="layer3.conv2", rank=2, steps=2),
        OneLI(base=LowRank(layer="layer3.conv2", rank=2, steps=2), alpha=0.5),
    )


def test_compare_rows_seeds_and_reuse():
    spec = CompareSpec(
        data=DataRef(default=TINY), methods=_methods(), seeds=2, k=2, replay=1, robustness=SMALL_ROBUST, device="cpu"
    )
    partials = []
    res = run_compare(spec, JobContext(device="cpu", on_partial=lambda r: partials.append(r.done)))
    assert res.methods == ["unedited", "surgical", "last_layer", "lowrank", "one_li"]
    assert partials == list(range(1, 11)) and res.done == res.total == 10
    rows = res.json_rows()
    keys = ["method", "source_acc", "aged_acc", "detector_acc", "edit_acc", "robust_acc", "corruption_acc"]
    assert [list(r) for r in rows] == [keys] * 5
    for r in rows:
        assert all(0.0 <= r[k] <= 1.0 for k in keys[1:])
    assert all(len(v) == 2 for v in res.per_seed.values())
    assert res.mean["unedited"]["mce"] == 1.0
    assert res.details["one_li"]["alpha"] == 0.5 and res.details["lowrank"]["delta_rank"] == 2
    assert res.curve is not None and res.curve.layer == "layer3.conv2" and len(res.curve.alphas) == 21
    # the curve's ends are the original's and the base edit's accuracies
    assert res.curve.acc["source"][0] == pytest.approx(res.per_seed["unedited"][0]["source_acc"])
    assert res.curve.acc["source"][-1] == pytest.approx(res.per_seed["lowrank"][0]["source_acc"])
    assert "| lowrank |" in res.table("markdown")


def test_compare_cancels():
    cancel = threading.Event()
    ctx = JobContext(device="cpu", cancel_event=cancel, on_partial=lambda r: cancel.set())
    spec = CompareSpec(data=DataRef(default=TINY), methods=_methods(), seeds=1, k=2, robustness=SMALL_ROBUST)
    with pytest.raises(JobCancelled):
        run_compare(spec, ctx)


def test_micrograph_models_are_in_the_adversarial_zoo():
    from workbench_adversarial.core.data import dataset_names
    from workbench_adversarial.core.zoo import HOOK_ERRORS, ModelRef, load_model_ref, model_names, zoo_entry

    assert "micrograph-resnet-w8" in model_names(), HOOK_ERRORS
    assert zoo_entry("micrograph-resnet-w8").dataset == "micrograph" and "micrograph" in dataset_names()
    lm = load_model_ref(ModelRef(name="micrograph-resnet-w8"))
    assert lm.info["provenance"]["command"].startswith("python -m workbench_micrograph.train_defaults")
    with torch.no_grad():
        assert lm.model(torch.rand(2, 1, 64, 64)).shape == (2, 5)


def test_edit_job_reports_accuracies_first_then_robustness_progressively():
    from workbench_micrograph.core.edits import interpolate_layer
    from workbench_micrograph.core.evaluate import alpha_curve
    from workbench_micrograph.jobs import EditSpec, _data, _model, run_edit

    method = LowRank(layer="layer3.conv2", rank=2, steps=2)
    spec = EditSpec(method=method, data=DataRef(default=TINY), k=2, replay=1, robustness=SMALL_ROBUST, device="cpu")
    partials = []
    res = run_edit(spec, JobContext(device="cpu", on_partial=partials.append))
    first = partials[0]
    # the first partial: every accuracy of both models and of the alpha curve, no robustness yet
    assert first.row_after["source_acc"] == res.row_after["source_acc"] and first.row_after["edit_acc"] >= 0
    assert math.isnan(first.row_before["robust_acc"]) and math.isnan(first.row_after["robust_acc"])
    assert first.curve.acc == res.curve.acc and all(math.isnan(v) for v in first.curve.robust_inf)
    # then the original's robustness, then the edited model's, the curve's alphas one by one
    assert not math.isnan(partials[1].row_before["robust_acc"]) and math.isnan(partials[1].row_after["robust_acc"])
    filled = [sum(not math.isnan(v) for v in p.curve.robust_inf) for p in partials[2:]]
    assert filled == sorted(filled) and filled[0] == 1 and len(partials) == 5  # 0.25, 0.5, 0.75 measured; 0, 1 reused
    assert all(not math.isnan(v) for v in res.curve.robust_inf + res.curve.robust_2 + res.curve.corruption)
    assert partials[0].curve.robust_inf is not res.curve.robust_inf  # partials are copies, not shared lists
    # the same numbers as the one-shot evaluation of the curve (endpoints reused: exact same weights)
    data = _data(spec.data, JobContext(device="cpu"))
    model = _model(spec.model, data.num_classes, JobContext(device="cpu"))
    edited = _model(res.edited, data.num_classes, JobContext(device="cpu"))
    sets = eval_sets(data.test, dict(data.shifted), SMALL_ROBUST)
    ref = alpha_curve(model, edited, "layer3.conv2", sets, data.edit_set(2, 0), robust_alphas=res.curve.robust_alphas)
    assert res.curve.robust_inf == ref.robust_inf and res.curve.robust_2 == ref.robust_2
    assert res.curve.corruption == pytest.approx(ref.corruption)
    full = measure(edited, sets, data.edit_set(2, 0), base=measure(model, sets).corruption)
    assert res.row_after["robust_acc"] == full.robust_inf and res.row_after["mce"] == pytest.approx(full.mce)
    assert torch.equal(interpolate_layer(model, edited, "layer3.conv2", 1.0).fc.weight, edited.fc.weight)


def test_edit_job_cancelled_after_the_accuracies_leaves_them_with_the_caller():
    from workbench_micrograph.jobs import EditSpec, run_edit

    cancel = threading.Event()
    partials = []
    ctx = JobContext(device="cpu", cancel_event=cancel, on_partial=lambda r: (partials.append(r), cancel.set()))
    spec = EditSpec(
        method=LowRank(layer="layer3.conv2", rank=2, steps=2), data=DataRef(default=TINY), k=2, robustness=SMALL_ROBUST
    )
    with pytest.raises(JobCancelled):
        run_edit(spec, ctx)
    assert len(partials) == 1 and not math.isnan(partials[0].row_after["source_acc"])


def test_the_panels_jobs_run_on_one_torch_thread():
    from workbench_micrograph.jobs import in_app, run_live_alpha

    torch.set_num_threads(2)  # torch's default on this machine (the fixture restores the number after)
    assert in_app(lambda spec, ctx: torch.get_num_threads())(None, None) == 1
    assert torch.get_num_threads() == 2
    assert in_app(run_live_alpha).__name__ == "run_live_alpha"


def test_later_edits_reuse_the_originals_robustness(monkeypatch):
    """The original's PGD and corruption numbers depend only on the model, the data, the edit set
    and the attack settings: a second edit with another method measures only the edited model."""
    import workbench_micrograph.core.evaluate as evaluate
    from workbench_micrograph import jobs
    from workbench_micrograph.jobs import EditSpec, run_edit

    jobs._ORIGINAL_ROBUSTNESS.clear()
    calls = []
    real = evaluate.measure_robustness

    def counted(model, *a, **k):
        calls.append(model)
        return real(model, *a, **k)

    monkeypatch.setattr(evaluate, "measure_robustness", counted)
    base = dict(data=DataRef(default=TINY), k=2, replay=1, robustness=SMALL_ROBUST, device="cpu", curve=False)
    first = run_edit(EditSpec(method=LowRank(layer="layer3.conv2", rank=2, steps=2), **base), JobContext(device="cpu"))
    assert len(calls) == 2  # the original and the edited model
    second = run_edit(EditSpec(method=LowRank(layer="layer3.conv1", rank=1, steps=2), **base), JobContext(device="cpu"))
    assert len(calls) == 3  # only the edited model: the original's numbers come from the first edit
    assert second.row_before == first.row_before
    other_seed = run_edit(
        EditSpec(method=LowRank(layer="layer3.conv1", rank=1, steps=2), **{**base, "seed": 1}), JobContext(device="cpu")
    )
    assert len(calls) == 5 and other_seed.row_before["edit_acc"] >= 0  # another edit set: measured again
