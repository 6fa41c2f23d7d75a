"""Keller's "New quiver" families: triangle quivers and Grassmannian quivers Gr(k, n)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from workbench_quiver.core.enumerate import mutation_class
from workbench_quiver.core.identify import identify
from workbench_quiver.core.keller import (
    grassmannian_quiver,
    grassmannian_vertices,
    keller_positions,
    rectangle_subset,
    triangle_quiver,
)
from workbench_quiver.core.quiver import validate_b
from workbench_quiver.core.standard import standard_quiver


@pytest.mark.parametrize("s", [1, 2, 3, 4, 5, 6])
def test_triangle_shape_and_every_small_triangle_oriented(s):
    b = triangle_quiver(s)
    n = s * (s + 1) // 2
    assert b.shape == (n, n)
    assert np.array_equal(b, -b.T) and not np.diag(b).any()
    assert set(np.unique(b)) <= {-1, 0, 1}
    # each small triangle is an oriented 3-cycle: (s-1)**2 of them, 3 arrows each, every inner
    # edge shared by two triangles -> 3 (s-1) s / 2 arrows in all
    assert int((b > 0).sum()) == 3 * (s - 1) * s // 2
    # every oriented 3-cycle i -> j -> k -> i is counted 3 times by trace(B+^3)
    bp = (b > 0).astype(np.int64)
    assert int(np.trace(bp @ bp @ bp)) == 3 * (s - 1) ** 2


def test_triangle_types():
    assert identify(triangle_quiver(2)).label == "A3"
    r3 = identify(triangle_quiver(3))
    assert r3.label == "D6" and r3.finite_mutation is True
    r4 = identify(triangle_quiver(4))
    assert r4.label == "E8^(1,1)"
    r5 = identify(triangle_quiver(5))
    assert r5.label == "infinite" and r5.finite_mutation is False and r5.certificate


def test_triangle_side_4_class_has_5739_quivers():
    mc = mutation_class(triangle_quiver(4), max_size=10_000)
    assert mc.complete and len(mc.members) == 5739


@pytest.mark.parametrize(
    ("k", "n", "label"),
    [(2, 5, "A2"), (2, 6, "A3"), (2, 8, "A5"), (2, 10, "A7"), (3, 6, "D4"), (4, 7, "E6"), (3, 7, "E6"), (3, 8, "E8"),
     (5, 8, "E8"), (3, 9, "E8^(1,1)"), (4, 8, "E7^(1,1)"), (4, 9, "infinite")],
)  # fmt: skip
def test_grassmannian_types_and_shapes(k, n, label):
    b = grassmannian_quiver(k, n)
    nm = (k - 1) * (n - k - 1)
    assert b.shape == (nm + n, nm)
    validate_b(b)
    assert np.array_equal(b[:nm], -b[:nm].T)
    assert identify(b).label == label
    assert np.array_equal(standard_quiver(f"Gr({k},{n})"), b)


@pytest.mark.parametrize(("k", "n"), [(2, 5), (2, 7), (3, 6), (3, 7), (4, 8)])
def test_grassmannian_frozen_are_cyclic_intervals_and_exchanges_are_plucker(k, n):
    """The frozen vertices are the n cyclic intervals; every exchange relation of the seed is
    homogeneous and, evaluated on the Plücker coordinates of random integer k x n matrices, gives
    an integer (the mutated cluster variable is a polynomial in the matrix entries); where both
    sides have degree 2 it is a three-term Plücker relation: the new variable is a Plücker
    coordinate outside the seed."""
    verts = grassmannian_vertices(k, n)
    nm = (k - 1) * (n - k - 1)
    subsets = [rectangle_subset(k, n, i, j) for i, j in verts]
    intervals = {tuple(sorted((a + t) % n + 1 for t in range(k))) for a in range(n)}
    assert set(subsets[nm:]) == intervals and len(subsets[nm:]) == n
    assert len(set(subsets)) == len(subsets)
    b = grassmannian_quiver(k, n)
    rng = np.random.default_rng(0)
    three_term = 0
    for _ in range(4):
        mat = rng.integers(-3, 4, size=(k, n))
        all_pl = {
            sub: round(float(np.linalg.det(mat[:, [c - 1 for c in sub]]))) for sub in combinations(range(1, n + 1), k)
        }
        x = [all_pl[sub] for sub in subsets]
        for v in range(nm):
            col = [int(c) for c in b[:, v]]
            assert sum(c for c in col if c > 0) == -sum(c for c in col if c < 0)  # homogeneous
            if x[v] == 0:
                continue
            out = int(np.prod([x[r] ** c for r, c in enumerate(col) if c > 0], dtype=object))
            inc = int(np.prod([x[r] ** -c for r, c in enumerate(col) if c < 0], dtype=object))
            assert (out + inc) % x[v] == 0, (v, verts[v])
            if sum(c for c in col if c > 0) == 2:
                three_term += 1
                new = (out + inc) // x[v]
                assert any(val == new for sub, val in all_pl.items() if sub not in subsets), (v, verts[v])
    assert three_term > 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: triangle_quiver(0), "side length must be between 1"),
        (lambda: triangle_quiver(41), "side length must be between 1"),
        (lambda: triangle_quiver(2.5), "must be an integer"),
        (lambda: grassmannian_quiver(1, 5), r"needs 2 <= k <= n - 2"),
        (lambda: grassmannian_quiver(4, 5), r"needs 2 <= k <= n - 2"),
        (lambda: grassmannian_quiver(3, 61), "at most 60"),
        (lambda: standard_quiver("Tri0"), "side length"),
        (lambda: standard_quiver("Gr(5,3)"), r"Gr\(5, 3\)"),
    ],
)
def test_bad_parameters_are_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_positions_match_vertices():
    assert keller_positions("Tri4").shape == (10, 2)
    assert keller_positions("gr(3,7)").shape == (6 + 7, 2)  # 6 mutable + 7 frozen
    assert keller_positions("D~6") is None


def test_gallery_lists_keller_families(qtbot):
    from workbench_quiver.ui.gallery import FAMILIES, GalleryView

    g = GalleryView()
    qtbot.addWidget(g)
    names = [g.list.item(r).text() for r in range(g.list.count())]
    row_t = next(r for r, f in enumerate(FAMILIES) if f.template == "Tri{n}")
    row_g = next(r for r, f in enumerate(FAMILIES) if f.template.startswith("Gr("))
    assert FAMILIES[row_t].name in names and FAMILIES[row_g].name in names
    g.make_thumbnails(at_once=True)  # drawn with the frozen rows (Gr) and lattice positions
    assert not g.list.item(row_t).icon().isNull() and not g.list.item(row_g).icon().isNull()
    got: list[str] = []
    g.chosen.connect(got.append)
    g.list.setCurrentRow(row_t)
    assert g.n_name.text() == "side s" and not g.q_spin.isEnabled()
    g.n_spin.setValue(3)
    g.load_button.click()
    g.list.setCurrentRow(row_g)
    assert (g.q_name.text(), g.n_name.text()) == ("k", "n")
    g.q_spin.setValue(3)
    g.n_spin.setValue(8)
    g.load_button.click()
    assert got == ["Tri3", "Gr(3,8)"]
    assert identify(standard_quiver(got[0])).label == "D6"
    assert identify(standard_quiver(got[1])).label == "E8"


def test_panel_loads_grassmannian_with_frozen_vertices(make_panel, qtbot):
    """Loading Gr(3,7) from the Gallery marks its 7 frozen vertices (the extra rows of B), keeps
    the exchange matrix, places the vertices on the grid and identifies the mutable part as E6."""
    from workbench_quiver.ui.gallery import FAMILIES

    panel = make_panel("quiver")
    g = panel.gallery
    g.list.setCurrentRow(next(r for r, f in enumerate(FAMILIES) if f.template.startswith("Gr(")))
    g.q_spin.setValue(3)
    g.n_spin.setValue(7)
    g.load_button.click()
    assert panel.doc.size == 13 and sum(panel.doc.frozen) == 7
    assert np.array_equal(panel.quiver().b, grassmannian_quiver(3, 7))
    assert np.allclose(np.asarray(panel.doc.positions), keller_positions("Gr(3,7)"))
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.summary is not None and panel.summary.label == "E6", timeout=60_000
    )
