"""Checks on activation matrices before a similarity measure sees them.

Every measure in :mod:`workbench_repsim.core` takes ``n x d`` matrices (rows = the same
``n`` stimuli / tokens in both matrices, columns = neurons).  Degenerate inputs give a
:class:`DegenerateInputError` that says what is wrong and what to do, never a silent NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.errors import InputError


class DegenerateInputError(InputError):
    """An activation matrix a measure cannot use (shape, NaN/inf, constant, too few samples)."""


def as_matrix(x: Any, name: str = "X") -> np.ndarray:
    """Return ``x`` as a 2-D float array (float32 kept, everything else float64).

    A 1-D array is read as one feature (``n x 1``); arrays of more than two dimensions are
    flattened after the first axis (``n x prod(rest)``), as for convolutional feature maps.
    """
    try:
        if hasattr(x, "detach"):  # torch tensor
            x = x.detach().cpu().numpy()
        a = np.asarray(x)
    except Exception as exc:  # noqa: BLE001
        raise DegenerateInputError(f"{name}: cannot read as a numeric array ({exc})") from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise DegenerateInputError(f"{name}: expected a numeric array, got dtype {a.dtype}")
    if np.iscomplexobj(a):
        raise DegenerateInputError(
            f"{name}: complex activations ({a.dtype}); the measures compare real features and would drop the "
            "imaginary part: pass the real and imaginary parts as separate features "
            "(np.concatenate([x.real, x.imag], axis=1))"
        )
    if a.ndim == 0:
        raise DegenerateInputError(f"{name}: expected an n x d matrix, got a scalar")
    if a.ndim == 1:
        a = a[:, None]
    elif a.ndim > 2:
        a = a.reshape(a.shape[0], -1)
    if a.dtype != np.float32:
        a = a.astype(np.float64)
    return a


def check_finite(a: np.ndarray, name: str = "X") -> None:
    """Raise if ``a`` holds NaN or inf (reports how many and the first row)."""
    bad = ~np.isfinite(a)
    if bad.any():
        rows = np.nonzero(bad.any(axis=1))[0]
        raise DegenerateInputError(
            f"{name}: {int(bad.sum())} NaN/inf value(s) (first in row {int(rows[0])}); "
            "remove those samples or fix the activations before comparing"
        )


def rescale(a: np.ndarray) -> np.ndarray:
    """``a`` times the power of two that brings its largest |entry| into [0.5, 1) (exact: only
    the exponents change), so the products of a scale-invariant measure neither overflow nor
    underflow anywhere in the float32 range (``1e30 * X`` gives the same value as ``X``).
    ``a`` must be finite; an all-zero array is returned as it is."""
    top = float(np.max(np.abs(a))) if a.size else 0.0
    if top == 0.0:
        return a
    e = int(np.frexp(top)[1])
    return a if e == 0 else np.ldexp(a, -e).astype(a.dtype, copy=False)


def check_pair(
    x: Any, y: Any, *, min_samples: int = 2, names: tuple[str, str] = ("X", "Y")
) -> tuple[np.ndarray, np.ndarray]:
    """Validate two activation matrices for a paired measure and return them as arrays.

    Checks: 2-D real numeric, finite, same number of rows ``n`` and ``n >= min_samples``.  Each
    matrix comes back rescaled by a power of two (:func:`rescale`): every measure in this package
    is invariant under scaling, and this keeps them so over the whole float range.
    """
    a = as_matrix(x, names[0])
    b = as_matrix(y, names[1])
    if a.shape[0] != b.shape[0]:
        raise DegenerateInputError(
            f"{names[0]} has {a.shape[0]} samples (rows) but {names[1]} has {b.shape[0]}: "
            "both must hold activations of the same n inputs, in the same order"
        )
    check_samples(a, min_samples, names[0])
    if a.shape[1] == 0 or b.shape[1] == 0:
        raise DegenerateInputError(f"{names[0] if a.shape[1] == 0 else names[1]}: has no features (0 columns)")
    check_finite(a, names[0])
    check_finite(b, names[1])
    return rescale(a), rescale(b)


def check_samples(a: np.ndarray, min_samples: int, name: str = "X", why: str = "") -> None:
    """Raise if ``a`` has fewer than ``min_samples`` rows."""
    if a.shape[0] < min_samples:
        reason = f" ({why})" if why else ""
        raise DegenerateInputError(
            f"{name}: {a.shape[0]} sample(s), but this estimator needs at least {min_samples}{reason}"
        )


def centre(a: np.ndarray) -> np.ndarray:
    """Subtract the column means, computed in float64; returns the input dtype.

    Centring before any product is what keeps float32 data with a large offset exact:
    the mean is taken in float64 and removed before the big float32 products.
    """
    mean = a.mean(axis=0, dtype=np.float64)
    if a.dtype == np.float32:
        # subtract the float64 mean rounded to float32: no float64 temporary (4x less memory
        # traffic).  What is left of the mean is below half an ulp of it, i.e. the same size
        # as the rounding already present in float32 data with that offset.
        return np.subtract(a, mean.astype(np.float32))
    return a - mean


def check_not_constant(a: np.ndarray, name: str = "X", *, each_column: bool = False, rtol: float = 1e-10) -> None:
    """Raise if the whole matrix (or, with ``each_column``, any column) is constant over samples.

    ``a`` must already be centred.  A column counts as constant when its norm is below
    ``rtol`` times the largest column norm (or is exactly zero).
    """
    if not each_column:
        # finite input: some column norm > 0 iff an entry != 0 (the first row usually decides)
        top = 1.0 if a.size and (np.any(a[0]) or np.any(a)) else 0.0
    else:
        norms = np.sqrt(np.einsum("ij,ij->j", a, a, dtype=np.float64))
        top = float(norms.max()) if norms.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        raise DegenerateInputError(
            f"{name}: every feature is constant over the samples (zero variance); "
            "the similarity is undefined — check that the layer is not dead or the inputs are not identical"
        )
    if each_column:
        const = np.nonzero(norms <= rtol * top)[0]
        if const.size:
            shown = ", ".join(str(int(i)) for i in const[:8]) + (" ..." if const.size > 8 else "")
            raise DegenerateInputError(
                f"{name}: {const.size} constant feature(s) (zero variance), columns {shown}; "
                "this measure divides by each feature's standard deviation — drop those columns "
                "(e.g. dead units) or use CKA / Procrustes, which allow them"
            )
