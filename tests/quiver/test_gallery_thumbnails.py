"""The gallery's thumbnails are drawn one per event-loop turn from cached layouts, and the
quiver panel computes those layouts ahead, off the GUI thread (issue 13: the 17 Kamada-Kawai
layouts ran in one turn of the GUI thread when the gallery was first shown)."""

from __future__ import annotations

import numpy as np
import pytest


def test_standard_layout_is_cached_and_matches_the_gallery_quiver():
    from workbench_quiver.core.quiver import square_matrix
    from workbench_quiver.core.standard import standard_quiver
    from workbench_quiver.ui.layout import layout_positions, standard_layout

    standard_layout.cache_clear()
    m, pos, frozen = standard_layout("D~6")
    assert np.array_equal(m, square_matrix(standard_quiver("D~6")))
    assert list(pos) == layout_positions(square_matrix(standard_quiver("D~6")), "kamada-kawai")
    assert frozen == (False,) * 7
    assert standard_layout("D~6")[1] is pos  # the same cached object
    assert standard_layout.cache_info().hits == 1
    with pytest.raises(ValueError):
        m[0, 1] = 5  # shared by every caller: read-only
    _m, _pos, gr = standard_layout("Gr(3,7)")
    assert sum(gr) == 7  # the frozen rows of Gr(3, 7)
    with pytest.raises(ValueError):
        standard_layout("Q7")


def test_thumbnails_are_drawn_one_per_turn(qtbot):
    from workbench_quiver.ui.gallery import FAMILIES, GalleryView

    g = GalleryView()
    qtbot.addWidget(g)
    g.make_thumbnails()
    drawn = sum(not g.list.item(r).icon().isNull() for r in range(len(FAMILIES)))
    assert drawn == 0 and g.thumbnails_pending()  # nothing in the calling turn
    qtbot.waitUntil(lambda: not g.thumbnails_pending(), timeout=20000)
    assert all(not g.list.item(r).icon().isNull() for r in range(len(FAMILIES)))


def test_prepare_in_background_fills_the_layout_cache():
    from workbench_quiver.panel import DEFAULT_LABEL, QuiverPanel
    from workbench_quiver.ui.gallery import FAMILIES, family_label
    from workbench_quiver.ui.layout import standard_layout

    standard_layout.cache_clear()
    QuiverPanel.prepare_in_background()
    info = standard_layout.cache_info()
    labels = {DEFAULT_LABEL} | {family_label(f) for f in FAMILIES}
    assert info.currsize == len(labels)
    standard_layout(DEFAULT_LABEL)
    assert standard_layout.cache_info().hits == info.hits + 1
