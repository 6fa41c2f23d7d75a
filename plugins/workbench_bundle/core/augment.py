"""Data augmentation by the symmetries of the square-lattice torus (Qt-free, torch).

A sample psi (B, 2, N, N) lives on the nodes x_i = i / N of the torus; per-cell targets q (B, N, N)
on the cells [i/N, (i+1)/N) x [j/N, (j+1)/N).  The torus's lattice symmetries act on both:

* translations by whole cells: nodes and cells are rolled alike; C is unchanged;
* the reflection x1 -> -x1: node i goes to (-i) mod N, cell i to N - 1 - i;
* the transposition x1 <-> x2 (the reflection in the diagonal);
* the rotations by 90, 180, 270 degrees are products of two of these reflections.

The Chern number of the pulled-back bundle is the degree of the map times C: an orientation-
reversing map (a reflection: det = -1) flips its sign, a rotation (det = +1) keeps it.  So of the
eight elements of the dihedral group D4 the four reflections (x1 -> -x1, x2 -> -x2, x1 <-> x2,
x1 <-> -x2) change C to -C and the four rotations keep it; per-cell charges follow the cells and
change sign with C.
"""

from __future__ import annotations

import torch

#: the eight elements of D4 as (transpose, flip axis 1, flip axis 2); det = (-1)^(number of True)
D4 = tuple((t, f1, f2) for t in (False, True) for f1 in (False, True) for f2 in (False, True))


def d4_sign(element: tuple[bool, bool, bool]) -> int:
    """+1 for a rotation, -1 for a reflection (the factor C picks up)."""
    return -1 if sum(element) % 2 else 1


def _flip_nodes(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Node i -> (-i) mod N along ``dim``."""
    return torch.roll(torch.flip(x, dims=(dim,)), 1, dims=dim)


def transform_nodes(
    psi: torch.Tensor, element: tuple[bool, bool, bool], shift: tuple[int, int] = (0, 0)
) -> torch.Tensor:
    """Apply a D4 element, then a translation, to node samples (..., N, N)."""
    t, f1, f2 = element
    x = psi.transpose(-1, -2) if t else psi
    if f1:
        x = _flip_nodes(x, x.dim() - 2)
    if f2:
        x = _flip_nodes(x, x.dim() - 1)
    return torch.roll(x, shift, dims=(-2, -1))


def transform_cells(q: torch.Tensor, element: tuple[bool, bool, bool], shift: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """The same element on per-cell charges (..., N, N), including their sign change."""
    t, f1, f2 = element
    x = q.transpose(-1, -2) if t else q
    if f1:
        x = torch.flip(x, dims=(x.dim() - 2,))
    if f2:
        x = torch.flip(x, dims=(x.dim() - 1,))
    return d4_sign(element) * torch.roll(x, shift, dims=(-2, -1))


def random_symmetry(
    psi: torch.Tensor, labels: torch.Tensor, cells: torch.Tensor | None, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """One random D4 element and translation for the whole batch: (psi, labels, cells) transformed
    (labels are Chern numbers -2..2, multiplied by the element's sign)."""
    n1, n2 = psi.shape[-2:]
    element = D4[int(torch.randint(len(D4), (1,), generator=generator))]
    shift = (int(torch.randint(n1, (1,), generator=generator)), int(torch.randint(n2, (1,), generator=generator)))
    out_cells = None if cells is None else transform_cells(cells, element, shift)
    return transform_nodes(psi, element, shift), d4_sign(element) * labels, out_cells
