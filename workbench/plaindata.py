"""Pickle-free encoding of plain-data results: JSON for the tree, named numpy arrays beside it.

Job results are plain data (dataclasses holding numbers, strings, tuples, lists, dicts,
numpy arrays and torch tensors).  :func:`encode` turns such a value into a JSON-able tree
plus a ``{key: ndarray}`` dict (stored in an ``.npz`` written with ``allow_pickle=False``);
:func:`decode` rebuilds it.  Nothing in the data can run code: a dataclass is rebuilt only if
its class lives in a module of the workbench or of an installed plugin (``workbench``,
``workbench_*``, the top-level package of every discovered plugin, or a package registered
with :func:`allow_module`), is a dataclass, and
receives exactly its declared fields; arrays of object dtype are refused on both sides.

Tree forms::

    {"__array__": "k3"}                      numpy array (dtype and shape in the npz)
    {"__tensor__": "k4"}                     torch tensor (rebuilt on the CPU)
    {"__dataclass__": "pkg.mod:Qual", "fields": {...}}
    {"__tuple__": [...]}, {"__float__": "inf" | "-inf" | "nan"}, {"__dict__": [[k, v], ...]}
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from typing import Any

import numpy as np

from workbench.errors import InputError

_ALLOWED_PACKAGES: set[str] = set()


class PlainDataError(InputError):
    """A value that cannot be encoded, or a stored tree that cannot be decoded."""


def allow_module(package: str) -> None:
    """Let :func:`decode` rebuild dataclasses defined in ``package`` or below it."""
    _ALLOWED_PACKAGES.add(package)


def _module_allowed(module: str) -> bool:
    from workbench.plugin_api import TRUSTED_PACKAGES

    top = module.split(".")[0]
    if top == "workbench" or top.startswith("workbench_"):
        return True
    return any(module == p or module.startswith(p + ".") for p in _ALLOWED_PACKAGES | TRUSTED_PACKAGES)


def encode(
    value: Any, arrays: dict[str, np.ndarray] | None = None, prefix: str = "a"
) -> tuple[Any, dict[str, np.ndarray]]:
    """``(tree, arrays)`` for ``value``; array keys are ``prefix`` + a counter."""
    arrays = {} if arrays is None else arrays
    counter = [len(arrays)]

    def key() -> str:
        while True:
            k = f"{prefix}{counter[0]}"
            counter[0] += 1
            if k not in arrays:
                return k

    def enc(v: Any, path: str) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return int(v)
        if isinstance(v, (float, np.floating)):
            f = float(v)
            if math.isfinite(f):
                return f
            return {"__float__": "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")}
        if isinstance(v, np.bool_):
            return bool(v)
        if isinstance(v, np.ndarray):
            if v.dtype == object:
                raise PlainDataError(f"{path}: arrays of Python objects cannot be stored")
            k = key()
            arrays[k] = np.ascontiguousarray(v)
            return {"__array__": k}
        if type(v).__module__.startswith("torch") and hasattr(v, "detach") and hasattr(v, "numpy"):
            k = key()
            arrays[k] = v.detach().cpu().numpy().copy()
            return {"__tensor__": k}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            cls = type(v)
            if not _module_allowed(cls.__module__):
                raise PlainDataError(f"{path}: {cls.__module__}.{cls.__qualname__} is not a workbench dataclass")
            return {
                "__dataclass__": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {
                    f.name: enc(getattr(v, f.name), f"{path}.{f.name}") for f in dataclasses.fields(v) if f.init
                },
            }
        if isinstance(v, tuple):
            return {"__tuple__": [enc(x, f"{path}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, list):
            return [enc(x, f"{path}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, dict):
            if all(isinstance(k, str) and not k.startswith("__") for k in v):
                return {k: enc(x, f"{path}.{k}") for k, x in v.items()}
            return {"__dict__": [[enc(k, f"{path}<key>"), enc(x, f"{path}[{k!r}]")] for k, x in v.items()]}
        raise PlainDataError(f"{path}: a {type(v).__name__} is not plain data")

    return enc(value, "result"), arrays


def decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild what :func:`encode` stored; :class:`PlainDataError` on anything unexpected."""

    def dec(t: Any, path: str) -> Any:
        if t is None or isinstance(t, (bool, int, float, str)):
            return t
        if isinstance(t, list):
            return [dec(x, f"{path}[{i}]") for i, x in enumerate(t)]
        if not isinstance(t, dict):
            raise PlainDataError(f"{path}: unexpected {type(t).__name__}")
        if "__array__" in t or "__tensor__" in t:
            k = t.get("__array__", t.get("__tensor__"))
            if not isinstance(k, str) or k not in arrays:
                raise PlainDataError(f"{path}: array {k!r} is missing from the results file")
            arr = arrays[k]
            if arr.dtype == object:
                raise PlainDataError(f"{path}: arrays of Python objects are refused")
            if "__tensor__" in t:
                import torch

                return torch.from_numpy(np.array(arr))
            return np.array(arr)
        if "__float__" in t:
            return float(t["__float__"])
        if "__tuple__" in t:
            return tuple(dec(x, f"{path}[{i}]") for i, x in enumerate(t["__tuple__"]))
        if "__dict__" in t:
            return {_hashable(dec(k, f"{path}<key>")): dec(v, f"{path}[{k!r}]") for k, v in t["__dict__"]}
        if "__dataclass__" in t:
            ref = t["__dataclass__"]
            if not isinstance(ref, str) or ":" not in ref:
                raise PlainDataError(f"{path}: bad class reference {ref!r}")
            module, _, qual = ref.partition(":")
            if not _module_allowed(module):
                raise PlainDataError(f"{path}: {ref} is not a workbench class; refusing to build it")
            try:
                obj: Any = importlib.import_module(module)
                for part in qual.split("."):
                    obj = getattr(obj, part)
            except (ImportError, AttributeError):
                raise PlainDataError(f"{path}: class {ref} no longer exists in this workbench") from None
            if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
                raise PlainDataError(f"{path}: {ref} is not a dataclass; refusing to build it")
            stored = t.get("fields")
            if not isinstance(stored, dict):
                raise PlainDataError(f"{path}: fields of {ref} missing")
            declared = {f.name for f in dataclasses.fields(obj) if f.init}
            if set(stored) != declared:
                extra, missing = sorted(set(stored) - declared), sorted(declared - set(stored))
                raise PlainDataError(
                    f"{path}: stored {ref} does not match this version (unknown fields {extra}, missing {missing})"
                )
            return obj(**{k: dec(v, f"{path}.{k}") for k, v in stored.items()})
        return {k: dec(v, f"{path}.{k}") for k, v in t.items()}

    try:
        return dec(tree, "result")
    except PlainDataError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise PlainDataError(f"stored result cannot be rebuilt: {exc}") from None


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    return v


def same(a: Any, b: Any) -> bool:
    """Whether two plain-data values are equal (arrays compared by value, NaN equal to NaN)."""
    ta, aa = encode(a)
    tb, ab = encode(b)
    if ta != tb or aa.keys() != ab.keys():
        return False
    return all(
        aa[k].shape == ab[k].shape
        and aa[k].dtype == ab[k].dtype
        and np.array_equal(aa[k], ab[k], equal_nan=aa[k].dtype.kind in "fc")
        for k in aa
    )
