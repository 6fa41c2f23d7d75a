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


def test_thin_svd_checks_between_row_blocks():
    from workbench_repsim.core.blocked_svd import thin_svd

    a = np.random.default_rng(5).normal(size=(3000, 100))
    count = Counter()
    with checking(count):
        thin_svd(a)
    assert count.calls >= 2 * (3000 // 256)  # the QR steps and the rebuilding of U
    with pytest.raises(JobCancelled), checking(Counter(stop_after=3)):
        thin_svd(a)


def test_pwcca_and_svcca_check_inside_their_svds_and_products():
    from workbench_repsim.core.cca import pwcca, svcca

    rng = np.random.default_rng(6)
    x = rng.normal(size=(2400, 120))
    y = x @ rng.normal(size=(120, 120)) + rng.normal(size=(2400, 120))
    for measure in (pwcca, svcca):
        count = Counter()
        with checking(count):
            measure(x, y)
        assert count.calls > 20
        with pytest.raises(JobCancelled), checking(Counter(stop_after=8)):
            measure(x, y)


def test_rsa_checks_inside_the_rdms_and_the_ranking(monkeypatch):
    from workbench_repsim.core import rsa as rsa_mod

    monkeypatch.setattr(rsa_mod, "BLOCK_VALUES", 20000)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 10))
    count = Counter()
    with checking(count):
        rsa_mod.rsa(x, x + rng.normal(size=x.shape))
    # 2 RDMs of 179,700 values in blocks of 33 rows, 2 rankings in 9 + 65 steps, 9 sums
    assert count.calls > 2 * 17 + 2 * 60
    with pytest.raises(JobCancelled), checking(Counter(stop_after=40)):
        rsa_mod.rsa(x, x)


def test_centring_a_gram_matrix_checks_between_row_blocks():
    from workbench_repsim.core.cka import center_gram

    g = np.random.default_rng(8).normal(size=(1500, 40))
    g = g @ g.T
    count = Counter()
    with checking(count):
        center_gram(g, unbiased=True)
    assert count.calls >= 4 * 5  # copy, symmetry, column sums, subtraction: 5+ blocks each


def test_the_cell_job_checks_inside_the_measures_and_the_principal_components():
    from workbench.jobs import JobContext
    from workbench_repsim.jobs import CellSpec, run_cell

    rng = np.random.default_rng(9)
    x = rng.normal(size=(1200, 60))
    y = x @ rng.normal(size=(60, 60)) + rng.normal(size=(1200, 60))
    checks = Counter()
    ctx = JobContext(device="cpu", min_interval=0.0)
    keep_alive = ctx.keep_alive

    def counted(message: str = "") -> None:
        checks()
        keep_alive(message)

    ctx.keep_alive = counted  # type: ignore[method-assign]
    run_cell(CellSpec(x=x, y=y), ctx)
    # the heartbeats of the measures' blocked steps and of the two thin SVDs of the PCA
    assert checks.calls > 100


def test_zero_feasible_checks_before_every_linear_program():
    from workbench_adversarial.core.subspace import zero_feasible

    rng = np.random.default_rng(10)
    q, _ = np.linalg.qr(rng.normal(size=(64, 6)))
    x = rng.random((12, 64))
    x[:, :40] = 0.0  # many pixels at the box's bound: the programs are posed
    count = Counter()
    free = zero_feasible(q, x, count)
    assert count.calls == len(x)
    assert np.array_equal(free, zero_feasible(q, x))  # the check changes nothing
    with pytest.raises(JobCancelled):
        zero_feasible(q, x, Counter(stop_after=3))


def test_the_orthonormal_sweep_is_cancellable_and_reports_inside_the_feasibility_programs():
    import torch

    from workbench_adversarial.core.sweep import run_sweep

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)).eval()
    x = torch.rand(40, 1, 8, 8)
    x[:, :, :5] = 0.0
    with torch.no_grad():
        y = model(x).argmax(1)  # all correctly classified: 40 linear programs
    kw = dict(model_name="lin", p=2.0, kind="orthonormal", dims=[6], eps_values=[0.5], steps=1, predict=False)
    seen: list[str] = []
    run_sweep(model, x, y, **kw, check=Counter(), progress=lambda f, m: seen.append(m))
    assert sum("which inputs V lets move" in m for m in seen) == 4  # every 10 programs
    cells: list = []
    with pytest.raises(JobCancelled):  # 1 check per dim + 2 per cell's PGD: 3 without the programs'
        run_sweep(model, x, y, **kw, check=Counter(stop_after=6), on_cell=lambda t, f: cells.append(t))
    assert cells == []


WILD = ((0, 2, -3, 1, 0), (-2, 0, 2, 0, 3), (3, -2, 0, 2, -1), (-1, 0, -2, 0, 2), (0, -3, 1, -2, 0))


def test_packing_an_enumerated_class_checks_between_chunks_and_gives_the_same_result(monkeypatch):
    from workbench_quiver import jobs
    from workbench_quiver.core.enumerate import mutation_class

    mc = mutation_class(np.array(WILD), max_size=3000)
    monkeypatch.setattr(jobs, "PACK_CHUNK", 256)
    count = Counter()
    res = jobs._enumerate_result(mc, check=count)
    assert count.calls >= len(mc) // 256
    ref = jobs.EnumerateResult(mc.matrices(), mc.paths(), list(mc.depth), mc.complete, mc.stopped, mc.seconds, 5)
    assert np.array_equal(res.members, ref.members) and res.paths == ref.paths and res.depths == ref.depths
    with pytest.raises(JobCancelled):
        jobs._enumerate_result(mc, check=Counter(stop_after=3))


def test_a_cancelled_enumeration_packs_its_class_only_when_small(monkeypatch):
    import threading

    from workbench.jobs import JobContext
    from workbench_quiver import jobs

    for limit, sent in ((10**9, True), (0, False)):
        monkeypatch.setattr(jobs, "CANCEL_PARTIAL_MAX", limit)
        cancel = threading.Event()
        partials: list = []
        ctx = JobContext(device="cpu", cancel_event=cancel, on_partial=partials.append, min_interval=0.0)
        # Cancel once the first quivers are found (from inside the progress reports)
        ctx_progress = ctx.progress

        def progress(f: float, m: str, ctx_progress=ctx_progress, cancel=cancel) -> None:
            ctx_progress(f, m)
            cancel.set()

        ctx.progress = progress  # type: ignore[method-assign]
        with pytest.raises(JobCancelled):
            jobs.run_enumerate(jobs.EnumerateSpec(WILD, max_size=None), ctx)
        # after Cancel: the class so far is sent only where packing it is quick
        assert bool(partials) and (partials[-1].stopped == "cancelled") == sent
