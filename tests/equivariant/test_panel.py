"""GUI: the equivariant panel draws every diagram of k + l points grouped by number of blocks
(counts against the issue's dimension table), shows a clicked diagram's orbit expansion and its
matrices (checked against matrices written by hand), runs the live equivariance check and the
timing chart as jobs (stale marks when inputs change, Cancel keeps the last complete chart),
and exports every figure with its data."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt

from workbench.gui.figures import ExportOptions, export_figure
from workbench_equivariant.core.partitions import Diagram

#: Bell numbers B(1..6) (OEIS A000110) and the issue's dimension table, (k, l) -> dims for n = 1..6
BELL = {1: 1, 2: 2, 3: 5, 4: 15, 5: 52, 6: 203}
DIMS = {(1, 1): [1, 2, 2, 2, 2, 2], (2, 1): [1, 4, 5, 5, 5, 5], (2, 2): [1, 8, 14, 15, 15, 15]}
DIMS |= {(2, 3): [1, 16, 41, 51, 52, 52], (3, 3): [1, 32, 122, 187, 202, 203]}


def _quiet(make_panel):
    panel = make_panel("equivariant", start=False)
    panel.state_model.live = False  # no background checks while the diagrams are tested
    return panel


def test_changing_k_l_n_redraws_the_right_diagrams(make_panel, qtbot, standalone_shell):
    panel = _quiet(make_panel)
    for (k, l), dims in DIMS.items():  # noqa: E741
        for n in (1, 2, 3, 6):
            panel.k.setValue(k)  # through the widgets, as a user would
            panel.l.setValue(l)
            panel.n.setValue(n)
            assert (panel.state_model.k, panel.state_model.l, panel.state_model.n) == (k, l, n)
            items = panel.gallery.items()
            assert len(items) == BELL[k + l]
            blocks = [it.diagram.num_blocks for it in items]
            assert blocks == sorted(blocks)  # ordered by number of blocks
            assert len({it.diagram for it in items}) == len(items)
            assert sum(not it.faded for it in items) == dims[n - 1]  # drawn full: at most n blocks
            assert all(it.faded == (it.diagram.num_blocks > n) for it in items)
            assert f"Bell({k + l}) = {BELL[k + l]} diagrams; {dims[n - 1]} with at most n = {n}" in panel.counts.text()
    # the groups' titles count the diagrams with exactly j blocks: S(6, j)
    titles = [g.title for g in panel.gallery.groups]
    assert [int(t.split(" = ")[1].split()[0]) for t in titles] == [1, 31, 90, 65, 15, 1]
    assert not any("linearly dependent" in t for t in titles)  # n = 6: every diagram independent
    panel.n.setValue(4)
    titles = [g.title for g in panel.gallery.groups]
    assert ["linearly dependent" in t for t in titles] == [False] * 4 + [True] * 2
    # k + l above 6 is refused (the widget goes back, the state stays, the reason is logged)
    panel.k.setValue(4)
    assert panel.state_model.k == 3 and panel.k.value() == 3 and len(panel.gallery.items()) == 203
    assert "at most 6 points" in panel.k.toolTip()
    assert standalone_shell.errors == [] and panel.is_idle()


def test_clicking_a_diagram_shows_its_orbit_expansion_and_matrices(make_panel, qtbot):
    panel = _quiet(make_panel)
    panel.resize(1400, 900)
    panel.state_model.update({"k": 2, "l": 2, "n": 3})
    # the identity of (R^3)^⊗2: blocks {1,1'}{2,2'} (points 0, 1 on top, 2, 3 at the bottom)
    ident = Diagram.from_blocks(2, 2, [(0, 2), (1, 3)])
    index = [it.diagram for it in panel.gallery.items()].index(ident)
    rect = panel.gallery.item_rect(index)
    assert not rect.isEmpty()
    qtbot.mouseClick(panel.gallery, Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.state_model.selected == index and panel.gallery.selected == index
    qtbot.keyClick(panel.gallery, Qt.Key.Key_Right)  # the keyboard moves the selection too
    assert panel.state_model.selected == index + 1
    qtbot.keyClick(panel.gallery, Qt.Key.Key_Left)
    assert panel.state_model.selected == index
    # D_π is the sum of the orbit elements of its coarsenings: itself and the one-block diagram
    exp = panel.expansion.items()
    assert [it.diagram.label() for it in exp] == ["{1,1'}{2,2'}", "{1,2,1',2'}"]
    assert [it.caption.split("\n")[1] for it in exp] == ["μ = +1", "μ = -1"]
    m = panel.matrix.data()
    np.testing.assert_array_equal(m["D"], np.eye(9))  # D_π x = x
    one_block = np.zeros((9, 9))
    for i in range(3):
        one_block[4 * i, 4 * i] = 1  # only x[i, i] -> y[i, i]
    np.testing.assert_array_equal(m["X"], np.eye(9) - one_block)  # the orbit: i1 != i2
    # a 3-block diagram has Bell(3) = 5 coarsenings; clicking one in the expansion selects it
    three = Diagram.from_blocks(2, 2, [(0, 2), (1,), (3,)])
    panel.select([it.diagram for it in panel.gallery.items()].index(three))
    exp = panel.expansion.items()
    assert len(exp) == 5 and exp[0].diagram == three and exp[0].caption.endswith("μ = +1")
    assert sorted(int(it.caption.split("μ = ")[1]) for it in exp) == [-1, -1, -1, 1, 2]  # Möbius of Π_3
    target = exp[-1]
    qtbot.mouseClick(panel.expansion, Qt.MouseButton.LeftButton, pos=panel.expansion.item_rect(target.key).center())
    assert panel.selected_diagram() == target.diagram and target.diagram.num_blocks == 1
    # X_π of a 4-block diagram vanishes at n = 3 and not at n = 4
    four = [it.diagram for it in panel.gallery.items()].index(Diagram.from_blocks(2, 2, [(0,), (1,), (2,), (3,)]))
    panel.select(four)
    assert panel.matrix.data()["X"].sum() == 0 and panel.matrix.data()["D"].sum() == 81
    panel.state_model.n = 4
    assert panel.matrix.data()["X"].sum() == 4 * 3 * 2 * 1  # all four indices distinct
    # large n: the matrices are not drawn, and the panel says why
    panel.state_model.update({"k": 3, "l": 3, "n": 7})
    assert "matrices not drawn" in panel.matrix.data()["message"] and "D" not in panel.matrix.data()
    assert panel.is_idle()


def test_live_check_reports_a_small_error_and_stale_marks(make_panel, qtbot, standalone_shell):
    panel = make_panel("equivariant")  # start(): the embedded default's check
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    res = panel.check_result
    assert res is not None and (res.k, res.l, res.n) == (2, 2, 3)
    assert res.equivariance_error < 1e-5 and res.fast_vs_materialised_error < 1e-12
    assert res.rank == res.dimension == 14 and res.diagrams == 15
    assert "equivariance error" in panel.check_label.text() and "stale" not in panel.check_label.text()
    assert panel.kept("check").result is res
    panel.n.setValue(4)  # an input of the check: stale at once, rerun by itself (live)
    assert panel.stale["check"] and "stale" in panel.check_label.text()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    res = panel.check_result
    assert res.n == 4 and res.rank == 15 and res.equivariance_error < 1e-5
    assert not panel.stale["check"] and "stale" not in panel.check_label.text()
    panel.state_model.live = False
    panel.seed.setValue(3)  # not live: stays stale, nothing runs until Check
    assert panel.is_idle() and panel.stale["check"] and "press Check" in panel.check_label.text()
    panel.state_model.seed = 0  # the kept check's settings again: not stale
    assert not panel.stale["check"]
    panel.state_model.update({"k": 3, "l": 3, "n": 256})  # too large to check: said, not run
    assert panel.run_check() is None and "use a smaller n" in panel.check_label.text()
    assert standalone_shell.errors == []


def test_timing_chart_is_a_cancellable_job_and_figures_export(
    make_panel, qtbot, standalone_shell, tmp_path, monkeypatch
):
    import workbench_equivariant.panel as panel_module

    panel = _quiet(make_panel)
    st = panel.state_model
    st.update({"t_n_max": 6, "t_channels": 2, "t_batch": 2, "t_repeats": 1})
    handle = panel.run_timing()
    assert handle is not None and panel.cancel_btn.isEnabled() and st.tab == 1
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    res = panel.timing_result
    assert res is not None and res.ns == (2, 3, 4, 6) and panel.kept("timing").result is res
    assert all(t > 0 for t in res.fast_ms + res.dense_ms) and max(res.max_rel_diff) < 1e-4
    data = panel.timing.data()
    np.testing.assert_array_equal(data["n"], [2, 3, 4, 6])
    np.testing.assert_allclose(data["dense_over_fast"], np.asarray(res.dense_ms) / np.asarray(res.fast_ms))
    assert not panel.cancel_btn.isEnabled() and not panel.stale["timing"]
    st.t_repeats = 2  # an input of the chart: stale, visibly
    assert panel.stale["timing"] and "stale" in panel.timing_note.text()
    st.t_repeats = 1
    assert not panel.stale["timing"] and "stale" not in panel.timing_note.text()

    # Cancel after the first n: the partial chart is not kept, the last complete one comes back
    # (the real job, only synchronised: it waits after its first partial until Cancel is pressed)
    pressed = threading.Event()
    real = panel_module.run_timing

    def waits_after_first_n(spec, ctx):
        send = ctx.partial

        def partial(r):
            send(r)
            if len(r.ns) == 1:
                pressed.wait(30)

        ctx.partial = partial
        return real(spec, ctx)

    monkeypatch.setattr(panel_module, "run_timing", waits_after_first_n)
    seen = []
    draw = panel._timing_partial

    def cancel_on_first(r):
        draw(r)
        seen.append(len(r.ns))
        if len(r.ns) == 1:
            assert panel.timing.data()["n"].tolist() == [2]  # the partial is drawn as it comes
            panel.cancel_run()
            pressed.set()

    panel._timing_partial = cancel_on_first
    st.t_n_max = 12
    panel.run_timing()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert seen == [1] and panel.timing_result is res and panel.kept("timing").result is res
    assert "cancelled" in panel.status.text() and panel.stale["timing"] and "stale" in panel.timing_note.text()
    assert standalone_shell.errors == []

    figs = panel.figures()
    names = ["equivariant_diagrams", "equivariant_expansion", "equivariant_matrices", "equivariant_timing"]
    names.append("equivariant_training")
    assert [f.name for f in figs] == names
    for fig in figs:
        written = export_figure(fig, tmp_path / f"{fig.name}.png", ExportOptions(fmt="png", dpi=72))
        meta = json.loads(next(p for p in written if p.suffix == ".json").read_text())
        assert meta["k"] == 2 and meta["l"] == 2 and "arXiv 2303.06208" in meta["caption"]
    assert "stale" in figs[3].caption_text() and "fast ~ n^" in figs[3].caption_text()
