"""workbench.gcfreeze: the cyclic collector paused for a job function's first run only, for at
most its limit, and resumed whatever happens."""

from __future__ import annotations

import gc
import time

import pytest

from workbench import gcfreeze


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_on_the_first_run_only():
    key = f"test.first.{time.monotonic_ns()}"
    with gcfreeze.collector_paused_on_first_run(key):
        assert not gc.isenabled()
    assert gc.isenabled()
    with gcfreeze.collector_paused_on_first_run(key):
        assert gc.isenabled()  # a later run: no change


def test_resumed_after_an_exception_and_after_the_limit():
    with pytest.raises(RuntimeError):
        with gcfreeze.collector_paused_on_first_run(f"test.raise.{time.monotonic_ns()}"):
            raise RuntimeError("job failed")
    assert gc.isenabled()
    with gcfreeze.collector_paused_on_first_run(f"test.limit.{time.monotonic_ns()}", limit_s=0.2):
        assert not gc.isenabled()
        time.sleep(0.6)
        assert gc.isenabled()  # a long first run gets its collector back
    assert gc.isenabled()


def test_overlapping_first_runs_resume_when_the_last_ends():
    a, b = (f"test.overlap.{k}.{time.monotonic_ns()}" for k in "ab")
    outer = gcfreeze.collector_paused_on_first_run(a)
    outer.__enter__()
    with gcfreeze.collector_paused_on_first_run(b):
        assert not gc.isenabled()
    assert not gc.isenabled()  # a still runs
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_someone_elses_pause_is_left_alone():
    gc.disable()
    with gcfreeze.collector_paused_on_first_run(f"test.other.{time.monotonic_ns()}"):
        assert not gc.isenabled()
    assert not gc.isenabled()  # still theirs to resume


def test_what_the_pause_made_is_frozen_before_the_collector_runs_again():
    keep = []
    frozen_before = gc.get_freeze_count()
    with gcfreeze.collector_paused_on_first_run(f"test.freeze.{time.monotonic_ns()}"):
        keep.extend([i] for i in range(50000))
        assert gc.get_count()[0] >= 50000  # young, waiting for a collection
    assert gc.isenabled()
    assert gc.get_count()[0] < 1000  # no young pile left for the first collection to walk
    assert gc.get_freeze_count() >= frozen_before + 50000
