"""The GNN jobs' budgets and helpers (issue 13): PGExplainer's training is bounded (epochs x
quivers steps) with progress after every step, the jobs run torch on one intra-op thread and
give the caller's setting back, and the explorer's projection of a quiver onto the PCA plane
lands where the PCA put that quiver."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from workbench.jobs import JobContext
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.gnn.jobs import (
    DatasetSpec,
    EmbedSpec,
    ExplainSpec,
    as_matrix,
    one_thread,
    project_spec,
    run_dataset,
    run_embed,
    run_explain,
    run_project,
)


def test_pgexplainer_training_is_bounded_and_reports_every_step():
    seen: list[tuple[float, str]] = []
    ctx = JobContext(device="cpu", min_interval=0.0, on_progress=lambda f, m: seen.append((f, m)))
    spec = ExplainSpec(as_matrix(standard_quiver("D~5")), method="PGExplainer", k=0, pg_train_quivers=4, pg_epochs=2)
    res = run_explain(spec, ctx)
    steps = [tuple(map(int, m.groups())) for _f, msg in seen if (m := re.search(r"step (\d+)/(\d+)", msg))]
    assert steps == [(s, 8) for s in range(1, 9)]  # 2 epochs x 4 quivers, each step reported
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert res.overlay.method == "PGExplainer" and res.overlay.edge_importance


def test_the_jobs_run_torch_on_one_thread_and_restore_the_callers():
    before = torch.get_num_threads()
    want = 2 if before == 1 else before
    torch.set_num_threads(want)
    try:
        with one_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == want
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    path = run_dataset(
        DatasetSpec(
            out=str(tmp_path_factory.mktemp("ds") / "d5a5.npz"),
            split="custom",
            sizes=(),
            families=(),
            extra_types=("D5", "A5"),
        ),
        JobContext(),
    ).path
    return run_embed(EmbedSpec(data=path, layer=1, max_points=60, seed=2), JobContext(device="cpu"))


def test_a_quiver_projects_where_the_pca_put_it(embedded):
    assert embedded.pca_components.shape == (2, embedded.pca_mean.shape[0])
    for i in (0, 17, 41):
        spec = project_spec(embedded.dataset.b(i), embedded)
        xy = run_project(spec, JobContext(device="cpu"))
        assert xy == pytest.approx(tuple(embedded.coords[i]), abs=1e-4)
    # an older result without PCA axes: no projection to ask for
    from dataclasses import replace

    assert project_spec(standard_quiver("A5"), replace(embedded, pca_mean=None)) is None
    assert np.isfinite(run_project(project_spec(standard_quiver("E6"), embedded), JobContext(device="cpu"))).all()
