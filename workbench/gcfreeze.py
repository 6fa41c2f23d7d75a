"""Keeping the cyclic collector off the GUI thread's back after imports.

A full collection walks every container object not frozen, with the GIL held, on whichever
thread happened to allocate, the GUI thread waiting.  After torch, torch_geometric, captum,
scikit-learn or diffusers are imported that is hundreds of thousands of objects: 0.1-0.5 s a
collection on a busy machine (up to 534 ms measured while the quiver panel opened at load 5).
:func:`gc.freeze` moves every object alive to the permanent generation, which collections
skip (Python documentation of ``gc.freeze``).  The shell freezes after a panel's import
(:mod:`workbench.gui.panel_loading`); modules imported later, by a job on its thread, are
frozen by :func:`freeze_new_imports`, which the panel threads call after every job.
"""

from __future__ import annotations

import gc
import sys
import threading

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
