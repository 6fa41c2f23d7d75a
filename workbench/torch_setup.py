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


def prepare_torch() -> None:
    """Import torch and apply :func:`hide_triton_without_cuda` (idempotent)."""
    hide_triton_without_cuda()
