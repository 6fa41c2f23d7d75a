"""Micrograph tests run torch on one thread: the machine's cores are shared, and at these tiny
sizes a second thread only adds synchronisation (a 20-image training step: 0.2 s on one
thread, seconds on two under load)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
