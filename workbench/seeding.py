"""Seeded randomness for jobs without the process-wide generators (Qt-free).

Jobs run on per-panel threads at the same time.  torch's default generator (the one behind
``torch.manual_seed``, ``torch.randn(...)`` without ``generator=``, dropout and the default
initialisation of ``nn.Linear``) is one object for the whole process: a job that seeds it
changes the stream another job on another thread is drawing from, so neither is
reproducible.  The rules here:

* Every random draw in a job takes an explicit generator: :func:`torch_generator` for torch
  (``torch.randperm(n, generator=g)``, ``DataLoader(..., generator=g)``),
  ``np.random.default_rng(seed)`` for numpy.
* Initial weights come from an explicit generator too: :func:`init_module_` redraws every
  parameter with the distributions of torch's default ``reset_parameters`` (so
  ``init_module_(Model(), torch_generator(s))`` equals ``torch.manual_seed(s); Model()`` for
  the project's models, and checkpoints trained before this module existed retrain to the
  same weights).
* Library code that can only draw from the process-wide generator (torch_geometric's
  GNNExplainer and PGExplainer) runs inside :func:`seeded_global_rng`: a process-wide lock,
  the generator forked, seeded, and restored on exit.  Those sections are *serialised*: two
  jobs in them at once take turns.
* Code that draws from the process-wide generator only as a side effect whose values are
  thrown away (an ``nn.Module`` constructor before :func:`init_module_` or
  ``load_state_dict``) runs inside :func:`preserve_global_rng` (the same lock, the state
  restored afterwards), so that it cannot advance the stream of a seeded section running
  on another thread.  The project's model classes decorate their ``__init__`` with it.

A seeded section is reproducible as long as nothing else draws from the process-wide
generator while it runs; everything in this project that does takes the same lock.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # torch is imported where it is used: numpy-only jobs may check seeds without it
    import torch
    from torch import nn

M = TypeVar("M", bound="nn.Module")

#: held by every section that draws from (or restores) torch's process-wide generators
GLOBAL_RNG_LOCK = threading.RLock()

_MAX_SEED = 2**64 - 1


def check_seed(seed: object, what: str = "seed") -> int:
    """``seed`` as a Python int in [0, 2^64 - 1]; ValueError naming ``what`` otherwise (None,
    a float, a negative number: an unseeded or ambiguous stream cannot be reproduced)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            import numpy as np

            if isinstance(seed, np.integer):
                seed = int(seed)
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{what} must be an integer (got {seed!r}); a seed is needed to reproduce the result")
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"{what} must be between 0 and 2^64 - 1, got {seed}")
    return seed


def torch_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh ``torch.Generator`` on ``device`` seeded with ``seed``.

    Draws with it on the CPU give the same numbers as the process-wide generator after
    ``torch.manual_seed(seed)``.  A CUDA generator draws CUDA tensors (``torch.rand(...,
    device="cuda", generator=g)``); CPU ops such as ``torch.randperm`` on CPU need a CPU one."""
    import torch

    seed = check_seed(seed)
    return torch.Generator(device=torch.device(device)).manual_seed(seed)


def _cuda_index(device: str | torch.device) -> int | None:
    import torch

    dev = torch.device(device)
    if dev.type != "cuda":
        return None
    return dev.index if dev.index is not None else torch.cuda.current_device()


@contextlib.contextmanager
def seeded_global_rng(seed: int, device: str | torch.device = "cpu") -> Iterator[None]:
    """Run library code that only draws from torch's process-wide generator, reproducibly.

    Takes :data:`GLOBAL_RNG_LOCK` (sections on other threads wait: this serialises them),
    saves the CPU generator's state (and that of ``device`` when it is a CUDA device), seeds
    it (them) with ``seed``, and restores the saved state on exit, so the caller's and other
    threads' streams are as before."""
    import torch

    seed = check_seed(seed)
    idx = _cuda_index(device)
    with GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[] if idx is None else [idx], device_type="cuda"):
        torch.random.default_generator.manual_seed(seed)
        if idx is not None:
            with torch.cuda.device(idx):
                torch.cuda.manual_seed(seed)
        yield


@contextlib.contextmanager
def preserve_global_rng() -> Iterator[None]:
    """Let code draw from torch's process-wide CPU generator without changing it for anyone:
    takes :data:`GLOBAL_RNG_LOCK` and restores the generator's state on exit.

    For draws whose values are thrown away: an ``nn.Module`` constructor's default init
    followed by :func:`init_module_` or ``load_state_dict``.  Also a decorator
    (``@preserve_global_rng()`` on ``__init__``)."""
    import torch

    with GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[], device_type="cuda"):
        yield


# --------------------------------------------------------------------------- initialisation
def _fan_in_uniform_(weight: torch.Tensor, bias: torch.Tensor | None, generator: torch.Generator) -> None:
    """torch's default for Linear and ConvNd: weight ~ kaiming_uniform(a = sqrt 5), i.e.
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    from torch import nn

    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:
        # fan_in as torch computes it: input feature maps times the receptive field
        fan_in = weight.shape[1] * math.prod(weight.shape[2:]) if weight.dim() >= 2 else 0
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        nn.init.uniform_(bias, -bound, bound, generator=generator)


def _kinds() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(layers initialised like Linear, normalisation layers), from torch's public classes."""
    from torch import nn

    fan_in = (
        nn.Linear,
        nn.Bilinear,
        nn.Conv1d,
        nn.Conv2d,
        nn.Conv3d,
        nn.ConvTranspose1d,
        nn.ConvTranspose2d,
        nn.ConvTranspose3d,
    )
    norms = (
        nn.BatchNorm1d,
        nn.BatchNorm2d,
        nn.BatchNorm3d,
        nn.SyncBatchNorm,
        nn.InstanceNorm1d,
        nn.InstanceNorm2d,
        nn.InstanceNorm3d,
        nn.LayerNorm,
        nn.GroupNorm,
        nn.RMSNorm,
    )
    return fan_in, norms


def _init(module: nn.Module, generator: torch.Generator) -> None:
    import torch
    from torch import nn

    hook = getattr(module, "init_parameters_", None)
    if callable(hook):
        hook(generator)  # the module initialises its whole subtree itself
        return
    fan_in_layers, norms = _kinds()
    if isinstance(module, nn.Bilinear):
        # torch: weight and bias ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features))
        bound = 1 / math.sqrt(module.weight.shape[1])
        nn.init.uniform_(module.weight, -bound, bound, generator=generator)
        if module.bias is not None:
            nn.init.uniform_(module.bias, -bound, bound, generator=generator)
    elif isinstance(module, fan_in_layers):
        weight, bias = module.weight, module.bias
        assert isinstance(weight, torch.Tensor) and (bias is None or isinstance(bias, torch.Tensor))
        _fan_in_uniform_(weight, bias, generator)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, generator=generator)
        if module.padding_idx is not None:
            module.weight[module.padding_idx].fill_(0)
    elif isinstance(module, norms):
        module.reset_parameters()  # type: ignore[operator]  # ones and zeros (fresh running statistics)
    else:
        own = [name for name, p in module.named_parameters(recurse=False) if p is not None]
        if own:
            raise TypeError(
                f"init_module_ does not know how to initialise the parameters {own} of "
                f"{type(module).__name__}: give the class an init_parameters_(generator) method"
            )
    init_children_(module, generator)


def init_children_(module: nn.Module, generator: torch.Generator) -> None:
    """:func:`init_module_` on each child of ``module`` in registration order (for
    ``init_parameters_`` hooks that set their own parameters and leave the children to it)."""
    for child in module.children():
        _init(child, generator)


def init_module_(module: M, generator: torch.Generator) -> M:
    """Re-initialise every parameter of ``module`` in place from ``generator``; returns it.

    Distributions are torch's defaults: Linear and (transposed) convolution weights
    ``kaiming_uniform_(a = sqrt 5)`` = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and biases
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)); Bilinear U(-1/sqrt(in1), 1/sqrt(in1)); Embedding
    N(0, 1) (padding row 0); batch / instance / layer / group / RMS norms weight 1, bias 0.
    A module with a method ``init_parameters_(generator)`` initialises its own subtree (for
    parameters of its own, e.g. a positional embedding).  Any other module holding
    parameters of its own raises TypeError, so no parameter silently keeps an
    initialisation from the process-wide generator.

    Modules are visited in registration order, which for the project's models is the order
    of construction: the draws then equal those of ``torch.manual_seed(seed)`` followed by
    the constructor, with ``generator = torch_generator(seed)``."""
    import torch

    with torch.no_grad():
        _init(module, generator)
    return module
