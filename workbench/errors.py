"""The error types of bad input at the workbench's boundary, and safe readers of text and JSON
(Qt-free, standard library only).

* :class:`WorkbenchError`: a failure whose message is meant for the user; the CLI prints it
  (``workbench: error: ...``) and exits non-zero, the GUI shows it in a dialog; no traceback.
* :class:`InputError` (a ``WorkbenchError`` and a ``ValueError``): a file, an argument or a
  value that cannot be used.  Its message names the file (when there is one) and what is
  wrong.  Every loader raises it or a subclass: :class:`workbench.checkpoint.CheckpointError`,
  the plugins' own (``DegenerateInputError``, ``ExpressionError``, ``ModelLoadError``).
  Being a ``ValueError`` keeps every ``except ValueError`` written before it working.
* :class:`workbench.jobs.JobError` (a ``WorkbenchError``): a job could not run (a wrong
  setting, no CUDA); jobs wrap an ``InputError`` into it where the panel wants one type.

:func:`read_text` and :func:`parse_json` turn what the standard library raises for hostile
files (``UnicodeDecodeError``, ``RecursionError`` from nesting 100,000 deep, a file of
gigabytes) into an ``InputError`` naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: largest text file (bytes) a reader loads whole unless it says otherwise: quiver files,
#: sidecars, configurations are kilobytes to megabytes
MAX_TEXT_BYTES = 256 * 2**20
#: most opening brackets in a row accepted in JSON; no workbench file nests more than a few levels
MAX_JSON_DEPTH = 64


class WorkbenchError(Exception):
    """A failure with a message meant for the user (printed or shown without a traceback)."""


class InputError(WorkbenchError, ValueError):
    """Bad input: the message names the file (``path``, when there is one) and what is wrong.

    ``InputError("line 3: 1.5 is not an integer", path="q.csv")`` reads
    ``q.csv: line 3: 1.5 is not an integer``; a message that already names the file is kept."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        text = str(message)
        if self.path is not None and self.path not in text and Path(self.path).name not in text:
            text = f"{self.path}: {text}"
        super().__init__(text)


def naming(exc: BaseException, path: str | os.PathLike[str]) -> InputError:
    """An :class:`InputError` of ``exc``'s message that names ``path`` (kept if it already
    does); the type is kept when ``exc`` is already an InputError subclass."""
    where = os.fspath(path)
    text = str(exc) or type(exc).__name__
    if isinstance(exc, InputError):
        if where in text or Path(where).name in text:
            return exc
        try:
            out = type(exc)(f"{where}: {text}")
        except TypeError:  # a subclass with another signature
            out = InputError(text, path=where)
        out.path = where
        return out
    return InputError(text, path=where)


def read_text(path: str | os.PathLike[str], what: str = "file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of ``path``; :class:`InputError` naming the file when it is missing, a
    folder, larger than ``max_bytes``, unreadable or not UTF-8 text (``what`` says what the
    file should be, e.g. "quiver file")."""
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputError(f"is a folder, expected a {what}", path=p)
        if size > max_bytes:
            raise InputError(
                f"the {what} is {size / 2**20:.0f} MiB, larger than the {max_bytes / 2**20:.0f} MiB "
                "this reader accepts",
                path=p,
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file (expected a {what})", path=p) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror or exc})", path=p) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the {what} is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
            "is it a binary file?",
            path=p,
        ) from None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows (non-finite values are not accepted)")


def parse_json(text: str, where: str = "JSON", *, max_depth: int = MAX_JSON_DEPTH, allow_nan: bool = False) -> Any:
    """``json.loads(text)``, with every failure an :class:`InputError` starting with ``where``
    (a file name, ``"line 3"``): invalid JSON (line and column), runs of more than ``max_depth``
    opening brackets or nesting too deep for the parser (``RecursionError``), and (unless
    ``allow_nan``) the non-standard ``NaN`` / ``Infinity``."""
    if "[" * (max_depth + 1) in text or "{" * (max_depth + 1) in text:
        raise InputError(f"{where}: JSON nested deeper than {max_depth} levels; not a workbench file")
    try:
        if allow_nan:
            return json.loads(text)
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply to read") from None
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
