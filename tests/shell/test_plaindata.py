"""Pickle-free result encoding: round trips, and nothing in stored data can build foreign objects."""

import io
import math
from dataclasses import dataclass

import numpy as np
import pytest

from workbench import plaindata
from workbench.plaindata import PlainDataError, decode, encode, same


@dataclass(frozen=True)
class Inner:
    name: str
    values: np.ndarray


@dataclass
class Outer:
    items: list
    pair: tuple
    table: dict
    x: float
    inner: Inner


Inner.__module__ = Outer.__module__ = "workbench_testdata"  # pretend to be a plugin's classes


@pytest.fixture(autouse=True)
def _fake_plugin_module(monkeypatch):
    import sys
    import types

    mod = types.ModuleType("workbench_testdata")
    mod.Inner, mod.Outer = Inner, Outer
    monkeypatch.setitem(sys.modules, "workbench_testdata", mod)


def _round_trip(value):
    tree, arrays = encode(value)
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        back = {k: npz[k] for k in npz.files}
    return decode(tree, back)


def test_nested_dataclasses_arrays_tuples_and_special_floats_round_trip():
    value = Outer(
        items=[1, "a", None, True],
        pair=(1, (2.5, "b")),
        table={"k": np.arange(3), 2: "int key"},
        x=math.inf,
        inner=Inner("i", np.eye(2, dtype=np.float32)),
    )
    back = _round_trip(value)
    assert isinstance(back, Outer) and isinstance(back.inner, Inner)
    assert back.pair == (1, (2.5, "b")) and math.isinf(back.x)
    assert back.table[2] == "int key" and np.array_equal(back.table["k"], np.arange(3))
    assert back.inner.values.dtype == np.float32 and np.array_equal(back.inner.values, np.eye(2))
    assert same(value, back)


def test_torch_tensors_come_back_as_cpu_tensors():
    torch = pytest.importorskip("torch")
    back = _round_trip({"t": torch.arange(4.0)})
    assert isinstance(back["t"], torch.Tensor) and back["t"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_same_compares_values():
    a = Inner("x", np.array([1.0, np.nan]))
    assert same(a, Inner("x", np.array([1.0, np.nan])))
    assert not same(a, Inner("x", np.array([1.0, 2.0])))
    assert not same(a, Inner("y", np.array([1.0, np.nan])))


def test_foreign_classes_and_objects_are_refused_on_both_sides():
    @dataclass
    class Foreign:
        x: int

    with pytest.raises(PlainDataError, match="not a workbench dataclass"):
        encode(Foreign(1))
    with pytest.raises(PlainDataError, match="not plain data"):
        encode({"f": object()})
    with pytest.raises(PlainDataError, match="Python objects"):
        encode(np.array([object()], dtype=object))
    # a crafted tree naming a class outside the workbench is never built
    for ref in ("os:system", "subprocess:Popen", "builtins:eval"):
        with pytest.raises(PlainDataError, match="not a workbench class"):
            decode({"__dataclass__": ref, "fields": {}}, {})
    # a workbench object that is not a dataclass is not built either
    with pytest.raises(PlainDataError, match="not a dataclass"):
        decode({"__dataclass__": "workbench.plaindata:PlainDataError", "fields": {}}, {})


def test_field_mismatch_and_missing_arrays_are_clear():
    tree, arrays = encode(Inner("a", np.zeros(2)))
    tree["fields"]["extra"] = 1
    with pytest.raises(PlainDataError, match="does not match this version"):
        decode(tree, arrays)
    tree, arrays = encode(Inner("a", np.zeros(2)))
    with pytest.raises(PlainDataError, match="missing from the results file"):
        decode(tree, {})


def test_registered_packages_are_trusted():
    plaindata.allow_module("workbench_testdata")  # already trusted by prefix; registering is harmless
    assert _round_trip(Inner("z", np.ones(1))).name == "z"
