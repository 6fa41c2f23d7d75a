"""``ast.parse`` made safe to call from several threads at once on Python < 3.13.

CPython 3.11 and 3.12 keep the recursion counter of the AST-to-object conversion in the
interpreter's shared AST state, not per call.  When a garbage collection inside that
conversion runs a finalizer that lets another thread take the GIL, and that thread parses
too, the counter of the first call is changed under it and the parse fails with
``SystemError: AST constructor recursion depth mismatch (before=33, after=30)``
(python/cpython#106905 and the race behind it; the per-call counter of 3.13 removes it).

The workbench hits it through numpy: reading an ``.npy`` member of an ``.npz`` parses its
header with ``ast.literal_eval``, and two panels (or a panel and a sweep) loading arrays on
their own threads at the same moment is ordinary use.  :func:`install` serializes
``ast.parse`` (which ``ast.literal_eval`` calls) behind one re-entrant lock; parses are short,
so the lock costs nothing measurable.  ``compile(..., PyCF_ONLY_AST)`` called directly stays
unguarded: nothing the workbench runs on its job threads does that.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading

_LOCK = threading.RLock()
_MARK = "_workbench_serialized"


def needed() -> bool:
    return sys.version_info < (3, 13)


def install() -> None:
    """Wrap ``ast.parse`` in a lock, once per process, where the Python has the race."""
    if not needed() or getattr(ast.parse, _MARK, False):
        return
    original = ast.parse

    @functools.wraps(original)
    def parse(*args, **kwargs):
        with _LOCK:
            return original(*args, **kwargs)

    setattr(parse, _MARK, True)
    ast.parse = parse
