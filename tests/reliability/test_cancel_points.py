"""The long inner loops reach a Cancel check (not timed: the number of checks is counted and a
check that raises stops the computation).  Latencies are measured by benchmarks/bench_cancel.py."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.jobs import JobCancelled, checking


class Counter:
    def __init__(self, stop_after: int | None = None) -> None:
        self.calls, self.stop_after = 0, stop_after

    def __call__(self) -> None:
        self.calls += 1
        if self.stop_after is not None and self.calls >= self.stop_after:
            raise JobCancelled()


def test_blocked_median_is_numpys_median():
    from workbench_repsim.core.cka import blocked_median

    rng = np.random.default_rng(0)
    for a in (
        rng.normal(size=(300, 301)),
        rng.integers(0, 4, size=(40, 40)).astype(float),
        np.ones((3, 3)),
        rng.normal(size=(1, 7)),
    ):
        assert blocked_median(a) == np.median(a)


def test_rbf_gram_and_cka_check_between_blocks():
    from workbench_repsim.core.cka import rbf_cka

    x = np.random.default_rng(1).normal(size=(1500, 8))
    count = Counter()
    with checking(count):
        rbf_cka(x, x[:, :4])
    assert count.calls > 20
    with pytest.raises(JobCancelled), checking(Counter(stop_after=5)):
        rbf_cka(x, x[:, :4])


def test_large_minibatch_grams_check_between_row_blocks():
    from workbench_repsim.core.cka import unbiased_grams

    x = np.random.default_rng(2).normal(size=(2100, 300)).astype(np.float32)
    count = Counter()
    with checking(count):
        g = unbiased_grams([x])[0]
    assert count.calls > 5 and g.shape == (2100, 2100)


def test_pairwise_heatmap_wires_the_measures_heartbeat_to_cancel():
    from workbench_repsim.core.heatmap import similarity_heatmap

    rng = np.random.default_rng(3)
    layers = [rng.normal(size=(1200, 6)) for _ in range(2)]
    seen = Counter(stop_after=4)
    with pytest.raises(JobCancelled):
        similarity_heatmap(layers, None, "cka-rbf", check_cancelled=seen)
    assert seen.calls == 4  # the 4th check came from inside the first pair's measure


def test_bundle_dataset_checks_per_labelling_sub_batch():
    from workbench_bundle.core.haldane_bundle import generate_dataset

    count = Counter()
    generate_dataset(5, 96, seed=0, check_cancelled=count)
    assert count.calls >= 3  # the 250 candidates of a batch are labelled in sub-batches of 111


def test_stitching_reports_progress_within_a_pair():
    import torch

    from workbench_repsim.core.stitching import classifier_task, stitch_both
    from workbench_repsim.core.zoo import load_zoo_model

    rng = np.random.default_rng(4)
    task = classifier_task(
        rng.random((200, 64), dtype=np.float32),
        rng.integers(0, 10, 200),
        rng.random((50, 64), dtype=np.float32),
        rng.integers(0, 10, 50),
    )
    a, b = load_zoo_model("mlp-w16-s0"), load_zoo_model("mlp-w16-s1")
    seen: list[float] = []
    stitch_both(a, b, [("h1", "h1")], task, steps=100, check=Counter(), progress=lambda f, m: seen.append(f))
    assert any(0 < f < 0.5 for f in seen)  # before the first of the two stitchings ended
    with pytest.raises(JobCancelled):
        stitch_both(a, b, [("h1", "h1")], task, steps=100, check=Counter(stop_after=10))
    assert all(p.requires_grad for p in a.parameters())  # given back after Cancel
    assert torch.is_grad_enabled()
