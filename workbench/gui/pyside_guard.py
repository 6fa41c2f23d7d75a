"""Guard against a reference-counting bug of PySide6 6.12 on CPython 3.11.

PySide6 6.12's bindings return ``None`` from every ``void`` C++ method without taking a
new reference (harmless on CPython >= 3.12, where ``None`` is immortal).  On 3.11 each such
call (``QPainter.setPen``, ``QWidget.update``, ``QApplication.processEvents``...) lowers the
reference count of ``None`` by one, and after a few thousand calls the interpreter aborts
with "Fatal Python error: none_dealloc: deallocating None".  A drawing canvas makes tens
of thousands of such calls a minute.

:func:`make_none_immortal` detects the leak (a void call that lowers ``sys.getrefcount(None)``)
and, only then, raises the reference count of ``None`` by 2**40 through ``ctypes`` (what
CPython 3.12 does by making it immortal): ``None`` is never freed anyway, so nothing else
changes.  It is idempotent and a no-op where there is no leak.
"""

from __future__ import annotations

import ctypes
import sys

_DONE = False
_BOOST = 1 << 40


def none_leaks_per_void_call() -> int:
    """How many references of ``None`` one void PySide6 call loses (0 where the bug is absent)."""
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        obj.setObjectName("x")
    after = sys.getrefcount(None)
    return max(0, (before - after) // 64)


def make_none_immortal() -> bool:
    """Apply the workaround if needed; True when the reference count was raised."""
    global _DONE
    if _DONE or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if none_leaks_per_void_call() == 0:
        _DONE = True
        return False
    refcnt = ctypes.c_ssize_t.from_address(id(None))
    refcnt.value += _BOOST
    _DONE = True
    return True
