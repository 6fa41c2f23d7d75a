"""A tiny ensemble trained once per test session (2 members, 100 images, 1 epoch): real
training, small enough for the 2-core test machine."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_ensemble(tmp_path_factory):
    import torch

    from workbench.jobs import JobContext
    from workbench_concepts.jobs import TrainSpec, run_train

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("concepts") / "tiny.safetensors"
    spec = TrainSpec(out=str(out), members=2, n_train=100, n_test=20, n_concept=80, epochs=1, batch=32)
    run_train(spec, JobContext(device="cpu"))
    return out
