"""Safe numpy-style expressions of kx, ky for user Hamiltonians.

An expression such as ``"sin(kx) + 0.5*cos(kx + ky)"`` is parsed with :mod:`ast` and checked
against a whitelist before anything is evaluated: only numbers, the names ``kx``, ``ky``,
``pi``, ``e`` and declared parameters, the functions in :data:`FUNCTIONS`, and the operators
``+ - * / **`` (unary and binary) are allowed.  Evaluation walks the checked tree with numpy;
Python's ``eval`` is never called, so a session file written by someone else cannot run code.
Integer literals become floats, so ``9**9**9`` overflows to inf instead of hanging.

Every call must pass exactly the function's number of arguments (:data:`ARITY`; ``sin()`` and
``sin(kx, kx)`` are refused when parsing): a second positional argument of a numpy ufunc is
its ``out`` array, so ``sin(kx, kx)`` would otherwise write into the k-grid.  The arrays the
expression sees are private read-only copies, so no call can change the caller's arrays.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.errors import InputError

FUNCTIONS: dict[str, Any] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "arctan": np.arctan,
    "arctan2": np.arctan2,
    "log": np.log,
    "sign": np.sign,
    "real": np.real,
    "imag": np.imag,
    "conj": np.conj,
}
#: how many positional arguments each function takes: exactly these, checked when parsing (a
#: numpy ufunc's extra positional argument is ``out``, which would write into its array)
ARITY: dict[str, int] = {name: 2 if name == "arctan2" else 1 for name in FUNCTIONS}
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}
VARIABLES = ("kx", "ky")
MAX_LENGTH = 2000
MAX_NODES = 500

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNOPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class ExpressionError(InputError):
    """An expression is not allowed or cannot be parsed; the message says what and where."""


@dataclass(frozen=True)
class Expression:
    """A checked expression; call :meth:`evaluate` with kx, ky arrays (radians)."""

    source: str
    tree: ast.Expression
    parameters: tuple[str, ...] = ()

    def evaluate(self, kx: np.ndarray, ky: np.ndarray, params: dict[str, float] | None = None) -> np.ndarray:
        env: dict[str, Any] = {"kx": _read_only_copy(kx), "ky": _read_only_copy(ky), **CONSTANTS}
        for name in self.parameters:
            if params is None or name not in params:
                raise ExpressionError(f"expression {self.source!r} needs parameter {name!r}")
            env[name] = float(params[name])
        with np.errstate(all="ignore"):
            value = _eval(self.tree.body, env)
        out = np.broadcast_to(np.asarray(value), np.broadcast(env["kx"], env["ky"]).shape)
        return np.array(out)


def _read_only_copy(a: Any) -> np.ndarray:
    """A private float copy of ``a`` that nothing can write into."""
    out = np.array(a, dtype=float, copy=True)
    out.setflags(write=False)
    return out


def parse_expression(source: str, parameters: tuple[str, ...] | list[str] = ()) -> Expression:
    """Parse and whitelist-check ``source``; raise :class:`ExpressionError` with a clear message."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("empty expression: give a formula in kx, ky such as 'sin(kx)'")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {source!r}: {exc.msg} at column {exc.offset}") from None
    allowed_names = set(VARIABLES) | set(CONSTANTS) | set(parameters)
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"expression too large ({len(nodes)} nodes, at most {MAX_NODES})")
    for node in nodes:
        _check(node, allowed_names, source)
    return Expression(source=source, tree=tree, parameters=tuple(parameters))


def _check(node: ast.AST, allowed: set[str], source: str) -> None:
    where = f" in {source!r}"
    if isinstance(node, (ast.Expression, ast.Load)):
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float, complex)):
            raise ExpressionError(f"only numbers are allowed as constants, not {node.value!r}{where}")
        return
    if isinstance(node, ast.Name):
        if node.id not in allowed and node.id not in FUNCTIONS:
            raise ExpressionError(
                f"unknown name {node.id!r}{where}; allowed: {', '.join(sorted(allowed))} "
                f"and functions {', '.join(sorted(FUNCTIONS))}"
            )
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed{where}")
        return
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNOPS:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed{where}")
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExpressionError(f"function {name!r} is not allowed{where}; allowed: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise ExpressionError(f"keyword arguments are not allowed{where}")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"argument unpacking (*) is not allowed{where}")
        want = ARITY[node.func.id]
        if len(node.args) != want:
            args = ", ".join(("y", "x") if want == 2 else ("x",))
            raise ExpressionError(
                f"{node.func.id}() takes {want} argument{'s' if want > 1 else ''} "
                f"({node.func.id}({args})), got {len(node.args)}{where}"
            )
        return
    if isinstance(node, (ast.operator, ast.unaryop)):
        return
    raise ExpressionError(f"{type(node).__name__} is not allowed{where} (only arithmetic and whitelisted functions)")


def _eval(node: ast.AST, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, complex):
            return complex(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        raise ExpressionError(f"only numbers are allowed as constants, not {v!r}")
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise ExpressionError(f"function {node.id!r} used as a value")
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        try:
            return _BINOPS[type(node.op)](left, right)
        except (OverflowError, ZeroDivisionError) as exc:
            raise ExpressionError(f"arithmetic error: {exc}") from None
    if isinstance(node, ast.UnaryOp):
        return _UNOPS[type(node.op)](_eval(node.operand, env))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(f"function {ast.unparse(node.func)!r} is not allowed")
        name = node.func.id
        if len(node.args) != ARITY[name]:
            raise ExpressionError(f"{name}() takes {ARITY[name]} argument(s), got {len(node.args)}")
        args = [_eval(a, env) for a in node.args]
        try:
            return FUNCTIONS[name](*args)
        except (TypeError, ValueError) as exc:
            raise ExpressionError(f"{name}(): {exc}") from None
    raise ExpressionError(f"{type(node).__name__} is not allowed")
