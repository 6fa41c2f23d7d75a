"""Keeping the cyclic collector off the GUI thread's back after imports.

A full collection walks every container object not frozen, with the GIL held, on whichever
thread happened to allocate, the GUI thread waiting.  After torch, torch_geometric, captum,
scikit-learn or diffusers are imported that is hundreds of thousands of objects: 0.1-0.5 s a
collection on a busy machine (up to 534 ms measured while the quiver panel opened at load 5).
:func:`gc.freeze` moves every object alive to the permanent generation, which collections
skip (Python documentation of ``gc.freeze``).  The shell freezes after a panel's import
(:mod:`workbench.gui.panel_loading`); modules imported later, by a job on its thread, are
frozen by :func:`freeze_new_imports`, which the panel threads call after every job, and the
collector is paused while a job function runs for the first time, when it imports
(:func:`collector_paused_on_first_run`).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Iterator

_modules_frozen = [0]
_lock = threading.Lock()


def freeze_new_imports() -> bool:
    """:func:`gc.freeze` what is alive now if modules were imported since the last freeze
    (a cheap check otherwise); returns whether it froze.  Objects frozen while still in use by
    a result are freed by reference counting as usual; only cyclic garbage alive at that moment
    is kept, once per batch of imports."""
    with _lock:
        if len(sys.modules) == _modules_frozen[0]:
            return False
        _modules_frozen[0] = len(sys.modules)
    gc.freeze()
    return True


#: the longest a first run keeps the collector paused (s): a long job's cyclic garbage is
#: collected again after this even while it runs
FIRST_RUN_PAUSE_S = 30.0
_pauses: set[int] = set()
_pause_ids = [0]
_first_runs_seen: set[str] = set()


def _resume(token: int) -> None:
    """End pause ``token``; the last one to end freezes what is alive, then lets the collector
    run again: its first pass would otherwise walk every object made during the pause (a young
    collection of several hundred thousand objects: 80-120 ms each, measured while the quiver and
    repsim panels opened on the quiet machine)."""
    with _lock:
        if token not in _pauses:
            return
        _pauses.discard(token)
        if not _pauses:
            _modules_frozen[0] = len(sys.modules)
            gc.freeze()
            gc.enable()


@contextlib.contextmanager
def collector_paused_on_first_run(key: str, limit_s: float = FIRST_RUN_PAUSE_S) -> Iterator[None]:
    """Pause the cyclic collector while the job function ``key`` runs for the first time in
    this process (at most ``limit_s`` seconds; later runs: no change).

    A first run is when a job imports what it needs: the representation-similarity panel's first
    heatmap job imported 1,428 modules (scipy, sympy through torch, the rest of torch) on its
    thread, and each full collection during that walked the new objects with the GIL held (3
    full collections, up to 432 ms, while the panel opened at load 10 on 2 cores). Paused, none
    runs; :func:`freeze_new_imports` after the job takes the new objects out of later ones."""
    with _lock:
        first = key not in _first_runs_seen
        _first_runs_seen.add(key)
        if first:
            if not _pauses and not gc.isenabled():  # paused by someone else: leave it to them
                first = False
            else:
                _pause_ids[0] += 1
                token = _pause_ids[0]
                _pauses.add(token)
                gc.disable()
    if not first:
        yield
        return
    timer = threading.Timer(limit_s, _resume, args=(token,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        _resume(token)
