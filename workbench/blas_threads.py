"""One BLAS thread for the small numpy work done where latency matters (the GUI thread).

numpy's OpenBLAS keeps a pool of one thread per core.  For the tiny problems of an interactive
step (a Kamada-Kawai layout of a 10-vertex graph: scipy's L-BFGS over 20 coordinates) the pool
only adds hand-offs, and on a busy machine a descheduled pool thread stalls every call: the
layout of A5 took 570-610 ms with OpenBLAS's 2 threads at load 5 on 2 cores and 30 ms with one
(measured with threadpoolctl, which this module uses: scikit-learn's own dependency, the
well-kept way to set the pool of an already loaded BLAS).

The limit is process-wide while the block runs (OpenBLAS has one pool), so keep such blocks
short; a job's large products in another thread run on one thread meanwhile.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

_controller: list[Any] = []  # [controller or None, len(sys.modules) when it was made]
_lock = threading.Lock()


def _blas_controller() -> Any | None:
    """threadpoolctl's controller of the BLAS libraries loaded now, or None where threadpoolctl
    is missing.  Made again when modules were imported since (scipy brings its own OpenBLAS):
    making one takes about 5 ms, using a made one 0.07 ms."""
    with _lock:
        if not _controller or _controller[1] != len(sys.modules):
            try:
                from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
            except ImportError:  # pragma: no cover - a dependency of scikit-learn
                made = None
            else:
                made = ThreadpoolController()
            _controller[:] = [made, len(sys.modules)]
        return _controller[0]


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with numpy's BLAS on one thread (then give the pool its size back)."""
    controller = _blas_controller()
    if controller is None:  # pragma: no cover
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield
