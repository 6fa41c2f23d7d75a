"""Mutation equivalence of two quivers (Qt-free).

Decided exactly when both mutation types are identified (same label <=> equivalent; for
disconnected quivers the product labels are compared, which assumes a component-wise
correspondence).  Otherwise a bounded breadth-first search from the smaller side: if the
other quiver's canonical form shows up, the answer is True with the path; if the whole class
was enumerated without it, False; else None ("not decided").
"""

from __future__ import annotations

from typing import Any

from .canonical import canonical_form
from .quiver import validate_b


def mutation_equivalent(b1: Any, b2: Any, max_class: int = 50_000) -> tuple[bool | None, str]:
    """(True | False | None, reason).  Frozen vertices must match in number."""
    from .enumerate import mutation_class
    from .identify import identify

    b1, b2 = validate_b(b1), validate_b(b2)
    if b1.shape != b2.shape:
        return False, f"different numbers of vertices: {b1.shape} vs {b2.shape} (mutation keeps both)"
    if canonical_form(b1) == canonical_form(b2):
        return True, "isomorphic quivers"
    frozen = b1.shape[0] > b1.shape[1]
    if not frozen:
        r1, r2 = identify(b1), identify(b2)
        known = {"infinite", "unknown"}
        if r1.label not in known and r2.label not in known:
            if r1.label == r2.label:
                return True, f"both of type {r1.label}"
            return False, f"types differ: {r1.label} vs {r2.label}"
        if (r1.label == "infinite") != (r2.label == "infinite") and "unknown" not in (r1.label, r2.label):
            return (
                False,
                f"one is mutation-infinite, the other of type {r1.label if r1.label != 'infinite' else r2.label}",
            )
    mc = mutation_class(b1, max_size=max_class)
    key2 = canonical_form(b2)
    for i, k in enumerate(mc.keys):
        if k == key2:
            return True, f"found by enumeration: mutation sequence {mc.path(i)} (up to relabelling)"
    if mc.complete:
        return False, f"the whole class of the first quiver ({len(mc)} quivers) does not contain the second"
    return None, f"not decided: searched {len(mc)} quivers of the first class without finding the second"


def find_path(b1: Any, b2: Any, max_class: int = 50_000) -> list[int] | None:
    """A mutation sequence taking b1 to a quiver isomorphic to b2, by enumeration (or None)."""
    from .enumerate import mutation_class

    key2 = canonical_form(validate_b(b2))
    mc = mutation_class(b1, max_size=max_class)
    for i, k in enumerate(mc.keys):
        if k == key2:
            return mc.path(i)
    return None
