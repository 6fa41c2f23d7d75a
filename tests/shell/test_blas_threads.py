"""workbench.blas_threads: numpy's BLAS pool is one thread inside the block and its old size after."""

from __future__ import annotations

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def test_one_blas_thread_limits_and_restores():
    from workbench.blas_threads import one_blas_thread

    np.ones((4, 4)) @ np.ones((4, 4))  # numpy's BLAS is loaded
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        assert before and all(n == min(2, n) for n in before)
        with one_blas_thread():
            assert all(n == 1 for n in _blas_threads())
        assert _blas_threads() == before
    with pytest.raises(RuntimeError):
        with one_blas_thread():
            raise RuntimeError("boom")
