"""Parsing on several threads at once (numpy's .npy header reader does it) must not fail with
CPython 3.11/3.12's "AST constructor recursion depth mismatch" (see workbench.threadsafe_ast)."""

from __future__ import annotations

import ast
import threading
import time

import numpy as np
import pytest

import workbench  # noqa: F401  (installs the guard)
from workbench import threadsafe_ast


class _CycleWithFinalizer:
    """Garbage that a collection inside ast2obj finalizes, yielding the GIL to another thread
    (what torch and Qt objects do in the app)."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        time.sleep(0)


def _parse_on_threads(parse_one, threads: int = 4, rounds: int = 30) -> list[BaseException]:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(rounds):
                for _ in range(50):
                    _CycleWithFinalizer()
                parse_one()
        except Exception as e:  # noqa: BLE001 - collected and asserted on
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errors


def test_literal_eval_on_four_threads_with_finalizers_running():
    # Without the guard, the same workload as a plain script raised SystemError in 4 of 4
    # runs on Python 3.11.7 here; the npz test below failed without it under pytest too.
    big = "[" + ",".join(f"({i}, {{'a': [1, 2, (3, 4)]}})" for i in range(200)) + "]"
    assert _parse_on_threads(lambda: ast.literal_eval(big)) == []


def test_npz_members_read_on_four_threads(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, **{f"x{i}": np.arange(i + 1) for i in range(20)})

    def read() -> None:
        with np.load(path) as z:
            for name in z.files:
                z[name]

    assert _parse_on_threads(read, rounds=10) == []


@pytest.mark.skipif(not threadsafe_ast.needed(), reason="Python 3.13+ has a per-call counter")
def test_installed_once():
    parse = ast.parse
    threadsafe_ast.install()
    threadsafe_ast.install()
    assert ast.parse is parse and getattr(parse, "_workbench_serialized", False)
    assert ast.literal_eval("(1, [2])") == (1, [2])
