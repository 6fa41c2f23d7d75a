"""Sizes of mutation classes up to isomorphism (Qt-free).

Formulas (N = n + 3, C_k the Catalan numbers, phi Euler's totient):

* A_n (Torkildsen 2008; triangulations of the N-gon up to rotation, Burnside):
  |A_n| = C_{N-2} / N + [2 | N] C_{N/2-1} / 2 + [3 | N] 2 C_{N/3-1} / 3.
* D_n (Buan-Torkildsen 2009): |D_4| = 6, |D_n| = sum_{d | n} phi(n/d) binom(2d, d) / (2n), n >= 5.
* A~(p, q) (Bastian-Prellberg-Rubey-Stump 2011, OEIS A189942):
  p != q: (1/2) sum_{k | gcd(p,q)} phi(k) binom(2p/k, p/k) binom(2q/k, q/k) / (p + q);
  p == q: (1/2) [ binom(2p, p) / 2 + sum_{k | p} phi(k) binom(2p/k, p/k)^2 / (4p) ].
* Everything else (D~, E, E~, E^(1,1), X): no closed formula is used; the size comes from our
  own enumeration (recorded in resources/quiver/type_tables.json when the tables are built,
  else enumerated on demand when ``allow_enumeration``).
"""

from __future__ import annotations

import json
from fractions import Fraction
from functools import lru_cache
from math import comb, gcd

from .standard import normalise_label, parse_label


def _catalan(k: int) -> int:
    return comb(2 * k, k) // (k + 1)


def _phi(n: int) -> int:
    result, m, p = n, n, 2
    while p * p <= m:
        if m % p == 0:
            while m % p == 0:
                m //= p
            result -= result // p
        p += 1
    if m > 1:
        result -= result // m
    return result


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def size_a(n: int) -> int:
    """Torkildsen's formula for the number of quivers mutation equivalent to A_n."""
    if n < 1:
        raise ValueError("A_n needs n >= 1")
    N = n + 3
    total = Fraction(_catalan(N - 2), N)
    if N % 2 == 0:
        total += Fraction(_catalan(N // 2 - 1), 2)
    if N % 3 == 0:
        total += Fraction(2 * _catalan(N // 3 - 1), 3)
    assert total.denominator == 1
    return int(total)


def size_d(n: int) -> int:
    """Buan-Torkildsen: number of quivers mutation equivalent to D_n (n >= 4); D3 = A3."""
    if n == 3:
        return size_a(3)
    if n == 4:
        return 6
    if n < 3:
        raise ValueError("D_n needs n >= 4")
    total = Fraction(sum(_phi(n // d) * comb(2 * d, d) for d in _divisors(n)), 2 * n)
    assert total.denominator == 1
    return int(total)


def size_affine_a(p: int, q: int) -> int:
    """Bastian-Prellberg-Rubey-Stump: number of quivers mutation equivalent to A~(p, q)."""
    if p < 1 or q < 1:
        raise ValueError("A~(p,q) needs p, q >= 1")
    if p == q:
        r = p
        total = Fraction(comb(2 * r, r), 2) + sum(
            Fraction(_phi(k) * comb(2 * r // k, r // k) ** 2, 4 * r) for k in _divisors(r)
        )
        total /= 2
    else:
        total = (
            sum(
                (
                    Fraction(_phi(k) * comb(2 * p // k, p // k) * comb(2 * q // k, q // k), p + q)
                    for k in _divisors(gcd(p, q))
                ),
                Fraction(0),
            )
            / 2
        )
    assert total.denominator == 1
    return int(total)


@lru_cache(maxsize=1)
def _enumerated_sizes() -> dict[str, int]:
    from .tables import _resource_dir

    path = _resource_dir() / "type_tables.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {label: int(v["class_size"]) for label, v in data.get("classes", {}).items()}


def class_size(label: str, allow_enumeration: bool = True, max_members: int = 2_000_000) -> int | None:
    """Number of quivers (up to isomorphism) in the mutation class of type ``label``.

    Formulas for A, D, A~; our own enumeration for the other types (cached sizes from the
    shipped tables, else a fresh enumeration when ``allow_enumeration``).  None when not
    known and enumeration is not allowed (or exceeds ``max_members``).
    """
    label = normalise_label(label)
    family, params = parse_label(label)
    if family == "A":
        return size_a(params[0])
    if family == "D":
        return size_d(params[0])
    if family == "A~":
        return size_affine_a(*params)
    known = _enumerated_sizes()
    if label in known:
        return known[label]
    if not allow_enumeration:
        return None
    return enumerated_size(label, max_members)


@lru_cache(maxsize=64)
def enumerated_size(label: str, max_members: int = 2_000_000) -> int | None:
    """Size of the class by breadth-first enumeration from the standard quiver."""
    from .enumerate import mutation_class
    from .standard import standard_quiver

    mc = mutation_class(standard_quiver(label), max_size=max_members)
    return len(mc) if mc.complete else None
