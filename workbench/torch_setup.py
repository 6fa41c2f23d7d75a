"""Process-wide torch set-up done by the shell before any panel or job uses torch (Qt-free)."""

from __future__ import annotations

import sys


def hide_triton_without_cuda() -> None:
    """Keep torch from importing triton when there is no CUDA.

    torch's first optimizer imports ``torch._dynamo``, which imports triton; triton bundles its
    own LLVM, and loading it crashes the process (segmentation fault) when Mesa's llvmpipe, the
    software OpenGL of the vispy and pyqtgraph GL views, has already loaded another LLVM.
    Without CUDA triton is never used, so ``sys.modules['triton'] = None`` makes torch see it as
    absent.  Nothing is done if triton or ``torch._dynamo`` is already imported, or CUDA is there.
    """
    if "triton" in sys.modules or "torch._dynamo" in sys.modules:
        return
    import torch

    if not torch.cuda.is_available():
        sys.modules["triton"] = None  # type: ignore[assignment]


#: torch's largest shared libraries, in dependency order (those absent from a build are skipped)
_TORCH_LIBRARIES = ("libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so")


def preload_torch_libraries() -> list[str]:
    """Load torch's shared libraries with the GIL released, before ``import torch`` (Linux).

    ``import torch`` loads ``libtorch_cpu.so`` (hundreds of MB, thousands of static
    initialisers) through the import system's ``dlopen``, which holds the GIL: 0.5-0.9 s in
    which no other Python thread runs, so importing torch on a background thread still froze
    the GUI thread for that long.  Calling ``dlopen`` through ctypes releases the GIL during
    the call; the libraries then load while the GUI thread runs, and the import finds them
    already loaded (the dynamic loader matches them by soname).  They are loaded with
    RTLD_LOCAL, as the import would.  Returns the libraries loaded; does nothing (``[]``) if
    torch is already imported, off Linux, or when a library cannot be found or loaded (the
    import then loads it as usual)."""
    import ctypes
    import importlib.util
    import os
    from pathlib import Path

    if "torch" in sys.modules or not sys.platform.startswith("linux"):
        return []
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return []
    lib_dir = Path(list(spec.submodule_search_locations)[0]) / "lib"
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return []
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    loaded = []
    for name in _TORCH_LIBRARIES:
        path = lib_dir / name
        if path.exists() and dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL):
            loaded.append(name)
    return loaded


def prepare_torch() -> None:
    """Import torch (its libraries loaded first without holding the GIL,
    :func:`preload_torch_libraries`) and apply :func:`hide_triton_without_cuda` (idempotent)."""
    preload_torch_libraries()
    hide_triton_without_cuda()
