"""Seeded jobs give the same result however many run at once (issue #12, workbench.seeding).

Jobs run on per-panel threads at the same time, and torch's process-wide generator is one
object for all of them: a job that seeds it (``torch.manual_seed``) or draws from it (dropout,
``torch.rand``, an ``nn.Linear`` constructor) changes the stream of every other job.  Here the
same seeded job runs on two ``PanelThread``s at once, beside a job with another seed and a job
that reseeds and draws from the process-wide generator in a loop, and must give exactly the
result it gives when run alone.
"""

from __future__ import annotations

import math
import sys
import threading
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from workbench.jobs import JobContext, JobError
from workbench.seeding import check_seed, init_module_, preserve_global_rng, seeded_global_rng, torch_generator


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread, as the panels' jobs use by default on this machine: the float
    reductions then do not depend on how many threads are busy."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _ctx() -> JobContext:
    return JobContext(device="cpu")


# ------------------------------------------------------------------------ running on threads
def _foreign_rng_job(spec: None, ctx: JobContext) -> None:
    """A job written without the rules of workbench.seeding: reseeds torch's process-wide
    generator and draws from it (dropout, torch.rand) until cancelled."""
    while not ctx.cancelled():
        torch.manual_seed(12345)
        torch.nn.functional.dropout(torch.ones(256), 0.5, training=True)
        torch.rand(64)


def _seeding_rng_job(spec: None, ctx: JobContext) -> None:
    """A job that follows workbench.seeding yet uses the process-wide generator all the time:
    seeded sections of its own (seed 99) and model constructors, until cancelled."""
    from workbench_quiver.gnn.model import DirGINE, ModelConfig

    while not ctx.cancelled():
        with seeded_global_rng(99):
            torch.rand(64)
        DirGINE(ModelConfig(hidden=4, layers=1))


def _run_on_panel_threads(qtbot, jobs: list[tuple], noise=None, timeout_ms: int = 120000) -> list:
    """Run ``jobs`` [(fn, spec), ...] each on its own PanelThread, all released at the same
    moment (a barrier), with the GIL switching every 10 us so that their Python code
    interleaves finely; ``noise`` (a job function), if given, runs on a further thread for as
    long as they run.  Returns the results in order."""
    from workbench.gui.jobrunner import JobHandle, PanelThread

    barrier = threading.Barrier(len(jobs))

    def released(fn):
        def run(spec, ctx):
            barrier.wait(timeout=60)
            return fn(spec, ctx)

        return run

    threads = [PanelThread(f"repro{i}") for i in range(len(jobs) + int(noise is not None))]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        noisy = None
        if noise is not None:
            noisy = threads[-1].submit(JobHandle("noise", noise, None, None, "test"))
        handles = [
            t.submit(JobHandle(f"job{i}", released(fn), spec, None, "test"))
            for i, (t, (fn, spec)) in enumerate(zip(threads, jobs, strict=False))
        ]  # + the noise thread
        qtbot.waitUntil(lambda: all(h.is_done for h in handles), timeout=timeout_ms)
        if noisy is not None:
            noisy.cancel()
            qtbot.waitUntil(lambda: noisy.is_done, timeout=10000)
    finally:
        sys.setswitchinterval(interval)
        for t in threads:
            t.stop(30000)
    for h in handles:
        assert h.state == "finished", f"{h.title}: {h.state} {h.error}"
    return [h.result for h in handles]


# ------------------------------------------------------------------------ the jobs and their results
@pytest.fixture(scope="module")
def bundle_data(tmp_path_factory) -> str:
    from workbench_bundle import jobs as bj

    path = tmp_path_factory.mktemp("bundle") / "tiny.npz"
    bj.run_dataset(bj.DatasetSpec(size=30, grid=8, seed=1, out=str(path)), _ctx())
    return str(path)


def _bundle_spec(data: str, seed: int, arch: str = "cnn"):
    from workbench_bundle import jobs as bj

    return bj.TrainSpec(arch=arch, data=data, epochs=2, batch_size=8, seed=seed, device="cpu")


def _bundle_key(r) -> tuple:
    """What a bundle training job returns that depends on its seed: loss and accuracy curves
    and the predictions on every sample."""
    return (tuple(tuple(sorted(h.items())) for h in r.history), tuple(r.predictions.tolist()), tuple(r.test_index))


@dataclass(frozen=True)
class AdversarialTrainSpec:
    """A tiny run of the adversarial plugin's training (as train_defaults does it)."""

    arch: str = "mlp"
    seed: int = 0
    n_train: int = 300
    epochs: int = 2


def run_adversarial_training(spec: AdversarialTrainSpec, ctx: JobContext) -> dict[str, torch.Tensor]:
    from workbench_adversarial.core.data import load_dataset
    from workbench_adversarial.core.models import build_model
    from workbench_adversarial.core.training import train_classifier

    split = load_dataset("digits")
    model = build_model(spec.arch, split.shape, split.num_classes, generator=torch_generator(spec.seed))
    n = spec.n_train
    train_classifier(
        model,
        split.x_train[:n],
        split.y_train[:n],
        split.x_test[:50],
        split.y_test[:50],
        epochs=spec.epochs,
        seed=spec.seed,
    )
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def quiver_b() -> np.ndarray:
    from workbench_quiver.gnn.dataset import sample_size

    return sample_size(9, 2, seed=3, families=("A", "D", "A~", "D~", "E")).b(3)


def _explain_spec(b: np.ndarray, seed: int):
    from workbench_quiver.gnn.jobs import ExplainSpec, as_matrix

    return ExplainSpec(b=as_matrix(b), method="GNNExplainer", k=0, epochs=15, seed=seed)


def _explain_key(r) -> tuple:
    return tuple(sorted(r.overlay.edge_importance.items())) + tuple(r.overlay.node_importance)


# ------------------------------------------------------------------------ two panel threads at once
def test_training_jobs_on_two_panel_threads_at_once_equal_the_job_alone(qtbot, bundle_data):
    from workbench_bundle.jobs import run_train

    alone = run_train(_bundle_spec(bundle_data, 0), _ctx())
    adv_alone = run_adversarial_training(AdversarialTrainSpec(seed=0), _ctx())
    r = _run_on_panel_threads(
        qtbot,
        [
            (run_train, _bundle_spec(bundle_data, 0)),
            (run_train, _bundle_spec(bundle_data, 0)),
            (run_train, _bundle_spec(bundle_data, 1)),
            (run_adversarial_training, AdversarialTrainSpec(seed=0)),
            (run_adversarial_training, AdversarialTrainSpec(seed=0)),
        ],
        noise=_foreign_rng_job,
    )
    assert _bundle_key(r[0]) == _bundle_key(alone)
    assert _bundle_key(r[1]) == _bundle_key(alone)
    assert _bundle_key(r[2]) != _bundle_key(alone)  # the seed does matter
    assert _same_tensors(r[3], adv_alone) and _same_tensors(r[4], adv_alone)


def test_gnn_explanations_on_two_panel_threads_at_once_equal_the_job_alone(qtbot, quiver_b, bundle_data):
    # GNNExplainer draws its initial masks from torch's process-wide generator only: the job
    # seeds it inside seeded_global_rng.  Beside it: an explanation with another seed, a
    # training job, and a job in and out of seeded sections and model constructors.  (A job
    # that seeds the process-wide generator without the lock would still disturb it.)
    from workbench_bundle.jobs import run_train
    from workbench_quiver.gnn.jobs import run_explain

    alone = run_explain(_explain_spec(quiver_b, 0), _ctx())
    r = _run_on_panel_threads(
        qtbot,
        [
            (run_explain, _explain_spec(quiver_b, 0)),
            (run_explain, _explain_spec(quiver_b, 0)),
            (run_explain, _explain_spec(quiver_b, 1)),
            (run_train, _bundle_spec(bundle_data, 2, arch="mlp")),
        ],
        noise=_seeding_rng_job,
    )
    assert _explain_key(r[0]) == _explain_key(alone)
    assert _explain_key(r[1]) == _explain_key(alone)
    assert _explain_key(r[2]) != _explain_key(alone)


# ------------------------------------------------------------------------ one after the other
def test_sequential_runs_same_seed_equal_other_seed_differs(quiver_b):
    from workbench_quiver.gnn.dataset import sample_size
    from workbench_quiver.gnn.model import ModelConfig
    from workbench_quiver.gnn.train import TrainConfig, train_model
    from workbench_repsim.jobs import StitchSpec, run_stitching

    # quiver GNN training: initial weights and minibatch order from the seed
    ds = sample_size(7, 12, seed=1, families=("A", "D"))

    def gnn(seed: int) -> dict[str, torch.Tensor]:
        model, _ = train_model(
            ds, ModelConfig(hidden=8, layers=2), TrainConfig(epochs=2, batch_size=16, seed=seed, threads=0)
        )
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    a, b, c = gnn(4), gnn(4), gnn(5)
    assert _same_tensors(a, b) and not _same_tensors(a, c)

    # adversarial training
    a, b = (
        run_adversarial_training(AdversarialTrainSpec(seed=3), _ctx()),
        run_adversarial_training(AdversarialTrainSpec(seed=3), _ctx()),
    )
    c = run_adversarial_training(AdversarialTrainSpec(seed=4), _ctx())
    assert _same_tensors(a, b) and not _same_tensors(a, c)

    # representation similarity: stitching layers trained on seeded minibatches
    def stitch(seed: int) -> list:
        table = run_stitching(
            StitchSpec("mlp-w16-s0", "mlp-w16-s1", points=(("h1", "h1"),), steps=10, seed=seed), _ctx()
        )
        return [(row["loss"], row["accuracy"]) for row in table.rows]

    s1, s2, s3 = stitch(0), stitch(0), stitch(1)
    assert s1 == s2 and s1 != s3

    # a PGExplainer is trained with the seed (its MLP and its sampling noise)
    from workbench_quiver.gnn.checkpoint import default_checkpoint_path, load_checkpoint
    from workbench_quiver.gnn.explain import explain, train_pgexplainer

    model = load_checkpoint(default_checkpoint_path()).model

    def pg(seed: int) -> tuple:
        ex = train_pgexplainer(model, [quiver_b], epochs=2, seed=seed)
        return tuple(sorted(explain(model, quiver_b, "PGExplainer", pg_explainer=ex).edge_importance.items()))

    p1, p2, p3 = pg(0), pg(0), pg(1)
    assert p1 == p2 and p1 != p3


def test_bundle_dataset_seed_is_explicit_and_reproduces_the_dataset():
    from workbench_bundle import jobs as bj

    a = bj.run_dataset(bj.DatasetSpec(size=12, grid=8, seed=5), _ctx())
    b = bj.run_dataset(bj.DatasetSpec(size=12, grid=8, seed=5), _ctx())
    c = bj.run_dataset(bj.DatasetSpec(size=12, grid=8, seed=6), _ctx())
    assert np.array_equal(a.psi, b.psi) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.psi, c.psi)
    assert a.provenance["seed"] == 5 and "--seed 5" in a.provenance["command"]
    for bad in (None, -1, 2.5, True):
        with pytest.raises(JobError, match="dataset seed"):
            bj.run_dataset(bj.DatasetSpec(size=12, grid=8, seed=bad), _ctx())


# ------------------------------------------------------------------------ workbench.seeding itself
def _project_models() -> dict:
    from workbench_adversarial.core import models as am
    from workbench_bundle.core import classifiers as bc
    from workbench_quiver.gnn.model import DirGINE, ModelConfig
    from workbench_repsim.core import models as rm

    lm = dict(kind="lm", vocab=20, d=16, layers=2, heads=2, d_mlp=32, ctx=10)
    return {
        **{f"bundle-{a}": (lambda g, a=a: bc.build_model(a, 8, generator=g)) for a in bc.ARCHITECTURES},
        **{
            f"adversarial-{a}": (lambda g, a=a: am.build_model(a, (1, 8, 8), 10, generator=g)) for a in am.ARCHITECTURES
        },
        "repsim-lm-solu": lambda g: rm.build_model({**lm, "act": "solu"}, generator=g),
        "repsim-lm-gelu": lambda g: rm.build_model({**lm, "act": "gelu"}, generator=g),
        "repsim-mlp": lambda g: rm.build_model(dict(kind="mlp", widths=[16, 12]), generator=g),
        "quiver-dirgine": lambda g: (
            DirGINE(ModelConfig(hidden=8, layers=2))
            if g is None
            else init_module_(DirGINE(ModelConfig(hidden=8, layers=2)), g)
        ),
    }


@pytest.mark.parametrize("name", list(_project_models()))
def test_explicit_init_equals_the_old_manual_seed_init(name):
    # the shipped checkpoints were trained after torch.manual_seed(seed); Model(): the explicit
    # generator must give the same initial weights, so their retrain commands still hold
    build = _project_models()[name]
    with seeded_global_rng(7):  # the pre-#12 recipe, without disturbing other tests
        old = build(None).state_dict()
    new = build(torch_generator(7)).state_dict()
    assert _same_tensors(old, new)
    other = build(torch_generator(8)).state_dict()
    assert not _same_tensors(new, other)


_TORCH_LAYERS = {
    "Linear": lambda: torch.nn.Linear(7, 5),
    "Linear-no-bias": lambda: torch.nn.Linear(7, 5, bias=False),
    "Conv1d": lambda: torch.nn.Conv1d(3, 4, 3),
    "Conv2d-groups": lambda: torch.nn.Conv2d(3, 6, 3, groups=3),
    "Conv3d": lambda: torch.nn.Conv3d(2, 3, 2),
    "ConvTranspose2d": lambda: torch.nn.ConvTranspose2d(4, 6, 3, groups=2),
    "Bilinear": lambda: torch.nn.Bilinear(3, 4, 5),
    "Embedding": lambda: torch.nn.Embedding(10, 4, padding_idx=2),
    "BatchNorm2d": lambda: torch.nn.BatchNorm2d(3),
    "LayerNorm": lambda: torch.nn.LayerNorm(4),
    "GroupNorm": lambda: torch.nn.GroupNorm(2, 4),
    "RMSNorm": lambda: torch.nn.RMSNorm(4),
}


@pytest.mark.parametrize("name", list(_TORCH_LAYERS))
def test_init_module_equals_torchs_own_default_init(name):
    # the oracle: torch's reset_parameters, drawing from the process-wide generator seeded alike
    make = _TORCH_LAYERS[name]
    with seeded_global_rng(11):
        theirs = make().state_dict()
    assert _same_tensors(init_module_(make(), torch_generator(11)).state_dict(), theirs)


def test_model_constructors_leave_the_process_wide_generator_alone():
    from workbench_bundle.core.classifiers import build_model

    state = torch.get_rng_state()
    init_module_(build_model("cnn", 8), torch_generator(0))
    assert torch.equal(torch.get_rng_state(), state)


def test_init_module_refuses_parameters_it_does_not_know():
    class Scale(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.s = torch.nn.Parameter(torch.ones(3))

    with pytest.raises(TypeError, match=r"\['s'\] of Scale"):
        init_module_(torch.nn.Sequential(torch.nn.Linear(3, 3), Scale()), torch_generator(0))


def test_init_module_distributions():
    # Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias; Embedding N(0, 1); LayerNorm 1, 0
    fan_in = 400
    lin = init_module_(torch.nn.Linear(fan_in, 300), torch_generator(0))
    bound = 1 / math.sqrt(fan_in)
    w = lin.weight.detach()
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.99 * bound
    assert float(w.var()) == pytest.approx(bound**2 / 3, rel=0.02)  # variance of U(-b, b)
    assert float(lin.bias.detach().abs().max()) <= bound
    emb = init_module_(torch.nn.Embedding(200, 300), torch_generator(0)).weight.detach()
    assert float(emb.mean()) == pytest.approx(0, abs=0.01) and float(emb.std()) == pytest.approx(1, abs=0.01)
    ln = torch.nn.LayerNorm(5)
    with torch.no_grad():
        ln.weight.fill_(3.0)
    init_module_(ln, torch_generator(0))
    assert torch.equal(ln.weight.detach(), torch.ones(5)) and torch.equal(ln.bias.detach(), torch.zeros(5))


def test_seeded_global_rng_seeds_and_restores():
    torch.manual_seed(99)
    state = torch.get_rng_state()
    with seeded_global_rng(3):
        inside = torch.rand(5)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(inside, torch.rand(5, generator=torch_generator(3)))
    with preserve_global_rng():
        torch.rand(5)
    assert torch.equal(torch.get_rng_state(), state)


def test_seeded_sections_take_turns():
    # a second thread's section waits until the first one has left its own
    order: list[str] = []
    entered = threading.Event()

    def first() -> None:
        with seeded_global_rng(1):
            entered.set()
            order.append("first in")
            threading.Event().wait(0.2)
            order.append("first out")

    t = threading.Thread(target=first)
    t.start()
    entered.wait(5)
    with preserve_global_rng():
        order.append("second in")
    t.join()
    assert order == ["first in", "first out", "second in"]


def test_check_seed():
    assert check_seed(3) == 3 and check_seed(np.int64(4)) == 4
    for bad in (None, -1, 1.0, "1", True, 2**64):
        with pytest.raises(ValueError, match="seed"):
            check_seed(bad)
