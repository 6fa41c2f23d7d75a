"""Exact integer entries of exchange matrices, from text tokens and from numbers (Qt-free).

Arrow multiplicities are integers of any size: mutation makes them grow exponentially in a
mutation-infinite class, so a file may hold entries beyond 64 bits (2**70), which are kept
exactly as Python ints.  What is refused, with a message saying why:

* a non-integer (``1.5``): truncating it would answer a different quiver;
* a non-finite value (``inf``, ``nan``);
* an integer written in float notation (``1.18e21``, ``1e300``, or a float from JSON) at or
  beyond 2**53, where floats are no longer exact integers: the digits the file meant are not
  known (converting through int64 would wrap silently).  Written as plain digits, the same
  value is read exactly.

``3.0`` and ``1e3`` (float notation of small integers) are accepted as 3 and 1000.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from workbench.errors import InputError

#: floats are exact integers below this magnitude (the 53-bit significand of IEEE doubles)
FLOAT_EXACT = 2**53
_DIGITS = re.compile(r"[+-]?\d+")


class NotANumberError(InputError):
    """A token that is not a number at all (a header word, a class label)."""


def parse_entry(token: str, where: str = "") -> int:
    """The integer a text token stands for, exactly (Python int, any size).

    where: the place named in errors ("line 3, column 2").  Raises :class:`NotANumberError` when
    the token is not a number, :class:`InputError` when it is a number but not an exact
    integer (non-integer, non-finite, float notation at or beyond 2**53)."""
    t = token.strip()
    at = f"{where}: " if where else ""
    if _DIGITS.fullmatch(t):
        try:
            return int(t)
        except ValueError:  # beyond Python's int-string limit (4300 digits)
            raise InputError(f"{at}an entry of {len(t)} digits is too long to be an arrow multiplicity") from None
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise NotANumberError(f"{at}{t[:40]!r} is not a number") from None
    if not d.is_finite():
        raise InputError(f"{at}{t!r} is not finite; entries are integer arrow multiplicities")
    if d != d.to_integral_value():
        raise InputError(f"{at}{t!r} is not an integer; entries are arrow multiplicities (integers)")
    if d.adjusted() >= 16 or abs(int(d)) >= FLOAT_EXACT:
        raise InputError(
            f"{at}{t!r} is an integer in float notation beyond 2**53, where floats are not exact; "
            "write it with all its digits"
        )
    return int(d)


def exact_float(v: Any, where: str = "") -> int:
    """The integer a float (Python or numpy scalar) holds; InputError when it is not finite, not
    integral, or at or beyond 2**53 in magnitude (where the float may not be the integer meant)."""
    at = f"{where}: " if where else ""
    f = float(v)
    if f != f or f in (float("inf"), float("-inf")):
        raise InputError(f"{at}{v!r} is not finite; entries are integer arrow multiplicities")
    if not f.is_integer():
        raise InputError(f"{at}{v!r} is not an integer; entries are arrow multiplicities (integers)")
    if abs(f) >= FLOAT_EXACT:
        raise InputError(
            f"{at}{v!r} is a float beyond 2**53, where floats are not exact integers; "
            "write it as an integer (all its digits)"
        )
    return int(f)
