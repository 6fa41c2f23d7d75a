"""The quiver panel as a user lives in it (issue 13): never stale (a cancelled or failed job
never replaces the last complete result; the masking bars and the live prediction of a
previous quiver are not shown as this one's), never misleading (a mutation-infinite quiver
asks before an unbounded enumeration and counts instead of a percentage; thumbnails, the
history and the tooltips say what is true), right in dark theme and in small windows,
figures that stand alone, the B-matrix editor and the mutation sequence player, and a
rolled-back session load that keeps the undo history."""

from __future__ import annotations

import multiprocessing
import os
import signal
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QScrollArea

from workbench.gui.figures import ExportOptions, export_figure
from workbench_quiver.core.mutation import mutate_sequence
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.ui import style


def identified(panel):
    return panel.is_idle() and panel.summary is not None and panel.live.is_current()


@pytest.fixture
def panel(make_panel, qtbot):
    p = make_panel("quiver")
    qtbot.waitUntil(lambda: identified(p), timeout=90_000)  # the first prediction imports torch_geometric
    return p


def _enumerate(panel, qtbot, label, timeout=60_000):
    panel.load_standard(label)
    qtbot.waitUntil(lambda: identified(panel), timeout=30_000)
    panel.enumerate_class()
    qtbot.waitUntil(
        lambda: (
            panel.is_idle()
            and panel.kept("class") is not None
            and panel.kept("class").inputs.b == panel.state_model.enumerate_spec(panel.doc.b_matrix()).b
        ),
        timeout=timeout,
    )


def _start_long_enumeration(panel, qtbot):
    """D~12: its class (37,808 quivers) takes many BFS layers; wait for a first partial class."""
    panel.load_standard("D~12")
    qtbot.waitUntil(lambda: identified(panel), timeout=30_000)
    panel.enumerate_class()
    handle = panel._enum_handle
    en = panel.enumeration
    qtbot.waitUntil(
        lambda: (
            handle.state == "running" and en.shown is not None and en.shown is not en.kept and len(en.shown.result) > 1
        ),
        timeout=60_000,
    )
    return handle


# ---- enumeration: never stale, never misleading -----------------------------------------------
def test_a_cancelled_enumeration_never_replaces_the_last_complete_class(panel, qtbot, standalone_shell):
    _enumerate(panel, qtbot, "A4")
    a4 = panel.kept("class")
    assert len(a4.result.result) == 6
    handle = _start_long_enumeration(panel, qtbot)
    # while it runs its partial class is drawn ("so far"), but the kept result is still A4's
    assert panel.kept("class") is a4 and "so far (enumerating" in panel.class_browser.header.text()
    handle.cancel()
    qtbot.waitUntil(panel.is_idle, timeout=20_000)
    assert handle.state == "cancelled"
    assert panel.kept("class") is a4 and panel.mutation_class is a4.result.result
    assert panel.class_browser.model.rowCount() == 6
    assert panel.info.progress.format() == "cancelled; showing the last complete class"
    # A4's class is of another quiver than D~12: drawn again, marked stale
    assert panel.stale["class"] and "stale: the quiver was edited" in panel.class_browser.header.text()
    assert not standalone_shell.errors


def test_a_failed_enumeration_never_replaces_the_last_complete_class(panel, qtbot, standalone_shell):
    _enumerate(panel, qtbot, "A4")
    a4 = panel.kept("class")
    handle = _start_long_enumeration(panel, qtbot)
    # a real failure: the worker process running the job dies
    for child in multiprocessing.active_children():
        if child.name == "workbench-job-worker":
            os.kill(child.pid, signal.SIGKILL)
    qtbot.waitUntil(panel.is_idle, timeout=20_000)
    assert handle.state == "failed"
    assert standalone_shell.errors and "ended unexpectedly" in standalone_shell.errors[-1][1]
    assert panel.kept("class") is a4 and panel.class_browser.model.rowCount() == 6
    assert panel.info.progress.format().startswith("failed: the worker process running this job ended")
    # and the next enumeration runs in a fresh worker
    _enumerate(panel, qtbot, "A3")
    assert len(panel.mutation_class) == 4 and panel.kept("class") is not a4


def _triple_arrow_quiver(panel):
    """0 => 1 with three arrows, 1 -> 2, 2 -> 0: mutation-infinite (an arrow of multiplicity 3)."""
    b = np.array([[0, 3, -1], [-3, 0, 1], [1, -1, 0]])
    assert panel.load_matrix(b, label="triple arrow")


def _answer(panel, qtbot, button):
    def answer():
        box = panel.enumeration.question
        if box is None:
            QTimer.singleShot(50, answer)
            return
        box.button(button).click()

    QTimer.singleShot(50, answer)


def test_a_mutation_infinite_quiver_asks_before_an_unbounded_enumeration(panel, qtbot):
    _triple_arrow_quiver(panel)
    qtbot.waitUntil(lambda: identified(panel), timeout=30_000)
    assert panel.summary.finite_mutation is False
    panel.state_model.enum_max_size = 3000
    _answer(panel, qtbot, QMessageBox.StandardButton.No)
    panel.enumerate_class()
    assert panel._enum_handle is None and panel.is_idle()  # refused: nothing started
    assert "not started" in panel.status_label.text()
    _answer(panel, qtbot, QMessageBox.StandardButton.Yes)
    panel.enumerate_class()
    handle = panel._enum_handle
    assert handle is not None
    # the total is the max size the enumeration will reach: "n quivers of max size 3,000 (p%)"
    seen = []
    handle.progress.connect(lambda _f, _m: seen.append(panel.info.progress.format()))
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert handle.state == "finished" and len(panel.mutation_class) >= 3000  # stopped after the batch
    assert any(" quivers of max size 3,000 (" in s for s in seen), seen
    assert "partial (max_size=3000)" in panel.class_browser.header.text()
    # with a max depth there is nothing to ask, and no total: a count, no percentage
    panel.state_model.enum_depth = 3
    panel.enumerate_class()
    assert panel.enumeration.question is None
    qtbot.waitUntil(panel.is_idle, timeout=30_000)
    assert panel.kept("class").inputs.max_depth == 3


def test_enumeration_progress_is_a_count_when_the_total_is_unknown(panel, qtbot):
    info, en = panel.info, panel.enumeration
    st = panel.state_model
    spec = st.enumerate_spec(panel.doc.b_matrix())  # D~6: 146 quivers (published)
    assert en.expected_total(spec) == (146, "of")
    info.set_count_progress(73, en.expected_total(spec), "73 quivers, depth 4")
    assert info.progress.format() == "73 of 146 quivers (50%)" and info.progress.value() == 500
    st.enum_depth = 2  # a neighbourhood: total unknown
    assert en.expected_total(st.enumerate_spec(panel.doc.b_matrix())) is None
    info.set_count_progress(1234, None, "1234 quivers, depth 2")
    assert info.progress.format() == "1,234 quivers found, depth 2 (total unknown)"
    assert "%" not in info.progress.format() and info.progress.value() == 0


def test_class_thumbnails_are_numbered_as_the_member_they_load(panel, qtbot):
    _enumerate(panel, qtbot, "A4")
    model = panel.class_browser.model
    start = standard_quiver("A4")
    for row in (0, 4):
        caption = model.data(model.index(row), Qt.ItemDataRole.DisplayRole)
        assert caption.startswith(f"#{row + 1} \u00b7 depth ")
        panel.class_browser.member_clicked.emit(row)
        assert panel.status_label.text().startswith(f"class member #{row + 1}:")
        assert np.array_equal(panel.doc.matrix, mutate_sequence(start, panel.mutation_class.paths[row]))


# ---- the GNN tab: never stale ------------------------------------------------------------------
def test_masking_bars_of_another_quiver_are_not_drawn_and_failures_keep_the_last(panel, qtbot):
    ex = panel.gnn_explain
    panel.state_model.update({"explain_method": "IntegratedGradients", "explain_k": 1})
    ex.explain()
    qtbot.waitUntil(lambda: panel.is_idle() and ex.result is not None, timeout=180_000)
    before, after = ex.bar_heights()
    assert max(before) > 0.5 and sum(before) == pytest.approx(1.0, abs=1e-5)
    shown = ex.result
    panel.mutate(1)  # another quiver: its bars are not drawn
    assert ex.stale.startswith("stale: the quiver changed") and max(ex.bar_heights()[0]) == 0
    assert "stale" in ex.plot.getPlotItem().titleLabel.text
    panel.undo()  # the explained quiver again: drawn again
    assert ex.stale == "" and ex.bar_heights() == (before, after)
    # a failed explanation (a quiver without arrows) keeps the last complete one, and says so
    panel.new_quiver()
    panel.canvas.press(panel.canvas.mapToScene(10, 10))
    panel.canvas.release(panel.canvas.mapToScene(10, 10))
    assert panel.doc.size == 1
    ex.explain()
    qtbot.waitUntil(lambda: not ex.running() and panel.is_idle(), timeout=60_000)
    assert ex.result is shown and "failed" in ex.status.text() and "no arrows" in ex.status.text()
    assert "last complete explanation stays shown" in ex.status.text()
    assert ex.summary.text().startswith("<b>stale: the quiver changed")  # its text is still there, marked


def test_a_cancelled_explanation_keeps_the_last_one(panel, qtbot):
    ex = panel.gnn_explain
    panel.state_model.update({"explain_method": "IntegratedGradients", "explain_k": 0})
    ex.explain()
    qtbot.waitUntil(lambda: panel.is_idle() and ex.result is not None, timeout=180_000)
    shown = ex.result
    panel.state_model.explain_method = "PGExplainer"  # 480 training steps: long enough to cancel
    assert ex.stale.startswith("stale: the explanation settings changed")
    ex.explain()
    qtbot.waitUntil(lambda: ex.running() and ex.progress.value() > 100, timeout=120_000)
    assert "training PGExplainer" in ex.status.text()  # real progress, step by step
    ex.cancel_button.click()
    qtbot.waitUntil(lambda: panel.is_idle(), timeout=20_000)
    assert ex.result is shown and ex.status.text().startswith("Explanation cancelled")
    assert ex.run_button.isEnabled() and not ex.cancel_button.isVisible()


def test_the_previous_quivers_prediction_is_marked_pending(panel, qtbot):
    pred = panel.gnn_pred
    old = pred.result
    panel.mutate(1)
    panel.live.run()  # what the debounce timer calls
    assert "predicting the edited quiver" in pred.verdict.text()
    grey = pred.bars.opts["brushes"][0].color()
    assert (grey.red(), grey.green(), grey.blue()) == (150, 150, 150)
    qtbot.waitUntil(lambda: pred.result is not old and panel.is_idle(), timeout=30_000)
    assert "predicting" not in pred.verdict.text() and pred.bars.opts["brushes"][0].color() != grey
    panel.undo()
    qtbot.waitUntil(
        lambda: (
            panel.is_idle()
            and pred.result is not None
            and pred.result_spec == panel.state_model.predict_spec(panel.doc.b_matrix())
        ),
        timeout=30_000,
    )
    assert "predicting" not in pred.verdict.text()


def test_tooltips_and_status_lines_tell_the_truth(panel, qtbot):
    assert "Ctrl+E" not in panel.gnn_explain.run_button.toolTip()
    for k in (1, 2, 3):
        panel.mutate(k)
    panel.go_to_history(1)
    assert panel.status_label.text() == ("history: step 1 of 3: D~6 then \u03bc1; 2 later steps can be redone")
    assert "(1 of 3 steps applied; the 2 grey ones can be redone)" in panel.history.sequence.text()
    panel.go_to_history(0)
    assert panel.status_label.text().startswith("history: step 0 of 3: the start (D~6)")


# ---- B-matrix editor and sequence player ---------------------------------------------------------
def test_b_matrix_view_follows_the_document_and_edits_are_undoable(panel, qtbot):
    model = panel.matrix_view.model
    b = panel.doc.b_matrix()
    assert (model.rowCount(), model.columnCount()) == b.shape
    assert all(model.data(model.index(i, j)) == str(b[i, j]) for i in range(b.shape[0]) for j in range(b.shape[1]))
    panel.mutate(1)  # the table follows a mutation
    assert model.data(model.index(0, 1)) == str(panel.doc.b_matrix()[0, 1])
    before = panel.doc.matrix.copy()
    # typed by the user: select the cell, type 3 and Enter
    table = panel.matrix_view.table
    table.setCurrentIndex(model.index(0, 3))
    table.setFocus()
    qtbot.keyClicks(table, "3")  # a key press starts the cell's editor with it
    editor = table.viewport().findChild(QLineEdit)
    assert editor is not None and editor.text() == "3"
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.doc.matrix[0, 3] == 3, timeout=2000)  # the delegate commits queued
    assert panel.doc.matrix[0, 3] == 3 and panel.doc.matrix[3, 0] == -3, panel.status_label.text()
    assert "set b[0, 3] = 3" in panel.status_label.text()
    qtbot.waitUntil(lambda: identified(panel), timeout=30_000)
    assert panel.summary.finite_mutation is False  # a triple arrow: mutation-infinite
    panel.undo()
    assert np.array_equal(panel.doc.matrix, before)
    # refused, nothing changed, the reason said
    for text, reason in (("x", "is not an integer"), ("1.5", "is not an integer"), (str(2**62), "too large")):
        assert not model.setData(model.index(1, 2), text)
        assert reason in panel.status_label.text() and np.array_equal(panel.doc.matrix, before)
    assert not model.flags(model.index(2, 2)) & Qt.ItemFlag.ItemIsEditable
    assert not model.set_entry(2, 2, "1") and "no loops" in panel.status_label.text()


def test_the_b_matrix_of_frozen_vertices_edits_one_row(panel, qtbot):
    panel.load_standard("A3")
    panel.canvas.toggle_frozen([2])
    model = panel.matrix_view.model
    assert (model.rowCount(), model.columnCount()) == (3, 2)
    assert model.headerData(2, Qt.Orientation.Vertical).endswith("\u25a1")  # the frozen row
    assert model.setData(model.index(2, 0), "2")
    assert panel.doc.matrix[2, 0] == 2 and panel.doc.matrix[0, 2] == -2
    assert panel.doc.b_matrix()[2, 0] == 2


def test_a_typed_mutation_sequence_plays_stepwise_and_animated(panel, qtbot):
    start = panel.doc.matrix.copy()
    player = panel.player
    player.field.setText("1 3 2 1")
    for k in range(4):
        assert player.step()
        assert player.where.text() == f"{k + 1}/4" or k == 3
    assert np.array_equal(panel.doc.matrix, mutate_sequence(start, [1, 3, 2, 1]))
    assert panel.doc.history.sequence[-4:] == [1, 3, 2, 1]
    for _ in range(4):
        panel.undo()
    assert np.array_equal(panel.doc.matrix, start)
    player.field.setText("\u03bc2, 0")
    player.play_button.click()  # animated, through the document
    assert player.play_button.isChecked()
    qtbot.waitUntil(lambda: not player.play_button.isChecked(), timeout=10_000)
    assert np.array_equal(panel.doc.matrix, mutate_sequence(start, [2, 0]))
    assert "(done)" in panel.status_label.text()
    # refused, naming the token, nothing mutated
    now = panel.doc.matrix.copy()
    player.field.setText("1 9 2")
    player.play_button.click()
    assert not player.play_button.isChecked() and np.array_equal(panel.doc.matrix, now)
    assert "step 2: no vertex is labelled '9'" in panel.status_label.text()
    panel.canvas.toggle_frozen([3])
    player.field.setText("3")
    assert not player.step() and "vertex 3 is frozen" in panel.status_label.text()


# ---- looks right: dark theme, small windows --------------------------------------------------------
def test_dark_theme_repaints_the_canvas_and_figures_stay_printable(panel, qtbot, tmp_path):
    from workbench.gui.theme import apply_theme

    app = QApplication.instance()
    light_bg = panel.canvas.backgroundBrush().color()
    try:
        apply_theme(app, "dark")
        assert style.current is style.DARK
        bg = panel.canvas.backgroundBrush().color()
        assert bg.lightness() < 60 < light_bg.lightness()
        arrows = list(panel.canvas.arrow_items.values())
        assert arrows and all(it._pen.color().lightness() > 128 for it in arrows)
        shot = panel.canvas.grab().toImage()
        assert QColor(shot.pixel(3, 3)).lightness() < 60  # the canvas itself is dark
        # no text of the Info tab is painted in a fixed dark colour
        assert "#52606d" not in panel.info.family_label.styleSheet() + panel.info.evidence.styleSheet()
        # an exported figure is drawn for paper: white background, dark ink
        fig = panel.figures()[0]
        png = export_figure(fig, tmp_path / "dark.png", ExportOptions(dpi=96))[0]
        img = QImage(str(png))
        assert QColor(img.pixel(2, img.height() - 3)).lightness() > 240
        dark_px = sum(
            QColor(img.pixel(x, y)).lightness() < 90
            for x in range(0, img.width(), 3)
            for y in range(0, img.height(), 3)
        )
        assert dark_px > 20
        assert style.current is style.DARK  # and the screen stays dark
    finally:
        apply_theme(app, "light")
    assert style.current is style.LIGHT and panel.canvas.backgroundBrush().color() == light_bg


def test_small_window_refits_the_canvas_and_keeps_forms_usable(panel, qtbot):
    panel.resize(1024, 700)
    qtbot.wait(50)
    c = panel.canvas
    assert c.fitted and c.visible_rect().contains(c.items_rect())
    panel.resize(700, 520)  # smaller: fitted again
    qtbot.waitUntil(lambda: c.visible_rect().contains(c.items_rect()), timeout=2000)
    c.zoom(3.0)
    c.fitted = False  # the user zoomed in: a resize keeps it
    panel.resize(900, 600)
    qtbot.wait(50)
    assert not c.visible_rect().contains(c.items_rect())
    tabs = panel.tabs
    assert tabs.tabBar().elideMode() == Qt.TextElideMode.ElideRight and not tabs.tabBar().usesScrollButtons()
    scrolled = [tabs.widget(i) for i in range(tabs.count()) if isinstance(tabs.widget(i), QScrollArea)]
    assert {w.objectName() for w in scrolled} == {"quiver-info-scroll", "quiver-gnn-scroll", "quiver-explorer-scroll"}


# ---- exports that stand alone ------------------------------------------------------------------------
def test_figures_carry_the_quivers_context_in_caption_and_data(panel, qtbot, tmp_path):
    figs = {f.name: f for f in panel.figures()}
    q = figs["quiver"]
    assert q.title == "Quiver of type D~6, n = 7, B 7 \u00d7 7; red: the evidence of its type"
    data = q.data()
    assert data["quiver_type"] == "D~6" and data["n_mutable"] == 7 and data["b_matrix_shape"] == "7x7"
    assert data["caption"] == q.title
    assert "of the quiver of type D~6, n = 7, B 7 \u00d7 7" in figs["gnn_probabilities"].title
    assert figs["gnn_probabilities"].data()["quiver_type"] == "D~6"
    paths = export_figure(q, tmp_path / "q.svg", ExportOptions())
    svg = ET.parse(paths[0]).getroot()
    text = " ".join(t for el in svg.iter() for t in (el.text or "",) if t.strip())
    assert "D~6" in text and "n = 7" in text  # the caption is in the drawing
    png = export_figure(q, tmp_path / "q.png", ExportOptions(dpi=96))[0]
    assert QImage(str(png)).height() > q.widget.height()  # the band is added, not drawn over
    panel.canvas.toggle_frozen([6])
    qtbot.waitUntil(lambda: identified(panel), timeout=30_000)
    assert "n = 6 + 1 frozen, B 7 \u00d7 6" in panel.figures()[0].title


def test_explanation_figure_names_its_method(panel, qtbot):
    panel.state_model.update({"explain_method": "IntegratedGradients", "explain_k": 1, "explain_seed": 3})
    panel.gnn_explain.explain()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.gnn_explain.result is not None, timeout=180_000)
    fig = next(f for f in panel.figures() if f.name == "gnn_masking")
    assert fig.title.startswith("GNN top-1 masking, Integrated Gradients (seed 3), n = 7, B 7 \u00d7 7")
    d = fig.data()
    assert d["explanation_method"] == "Integrated Gradients" and d["canvas_quiver_type"] == "D~6"
    assert d["caption"] == fig.title
    canvas = panel.figures()[0].title  # the quiver drawn with the importances says so
    assert "Integrated Gradients importance for the GNN's prediction D~" in canvas
    assert "dashed: the 1 masked arrow (top-1)" in canvas


# ---- sessions ------------------------------------------------------------------------------------------
@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def test_a_rolled_back_session_load_keeps_the_undo_history(window, qtbot, tmp_path, monkeypatch):
    panel = window.open_panel("quiver")
    qtbot.waitUntil(lambda: identified(panel), timeout=90_000)
    panel.load_standard("A4")
    path = tmp_path / "s.wbsession"
    window.save_session(path)
    panel.load_standard("D5")
    panel.mutate(1)
    panel.mutate(2)
    panel.undo()  # one step on the redo stack
    matrix, history = panel.doc.matrix.copy(), panel.doc.history.copy()
    undo_texts = [c.text for c, _ in panel.stack._undo]
    original = panel.restore_results

    calls = []

    def failing(results):  # the session's results fail; the rollback's own go back in
        calls.append(results)
        if len(calls) == 1:
            raise ValueError("deliberate failure while restoring results")
        original(results)

    monkeypatch.setattr(panel, "restore_results", failing)
    assert not window.load_session(path)
    assert len(calls) == 2 and "deliberate failure" in window.errors_shown[-1][1]
    monkeypatch.setattr(panel, "restore_results", original)
    assert np.array_equal(panel.doc.matrix, matrix) and panel.doc.history.sequence == history.sequence
    assert [c.text for c, _ in panel.stack._undo] == undo_texts and panel.stack.can_redo()
    panel.redo()
    assert np.array_equal(panel.doc.matrix, mutate_sequence(standard_quiver("D5"), [1, 2]))
    panel.undo()
    panel.undo()
    panel.undo()  # back through the D5 load to A4
    assert np.array_equal(panel.doc.matrix, standard_quiver("A4"))
    assert panel.toolbar.undo_action.isEnabled()


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    from workbench.jobs import JobContext
    from workbench_quiver.gnn.jobs import DatasetSpec, run_dataset

    out = tmp_path_factory.mktemp("explorer") / "d5a5.npz"
    spec = DatasetSpec(out=str(out), split="custom", sizes=(), families=(), extra_types=("D5", "A5"))
    return run_dataset(spec, JobContext()).path


def test_the_explorer_marks_the_quiver_and_a_failed_computation_keeps_the_last(panel, qtbot, small_dataset, tmp_path):
    ex = panel.gnn_explorer
    panel.state_model.update({"explorer_data": "file", "explorer_file": small_dataset, "explorer_points": 80})
    ex.compute()
    qtbot.waitUntil(lambda: panel.is_idle() and ex.result is not None and ex.current_xy is not None, timeout=240_000)
    shown = ex.result
    assert ex._marker is not None and panel.kept("projection").result == ex.current_xy
    # the quiver of a point, opened: the star moves onto that point
    ex.open_point(7)
    qtbot.waitUntil(lambda: identified(panel) and ex.current_xy is not None, timeout=60_000)
    assert ex.current_xy == pytest.approx(tuple(shown.coords[7]), abs=1e-4)
    # a computation that fails keeps the shown embeddings and says so
    panel.state_model.explorer_file = str(tmp_path / "missing.npz")
    assert ex.stale  # other settings than the shown ones
    ex.compute()
    qtbot.waitUntil(lambda: panel.is_idle() and ex.run_button.isEnabled(), timeout=60_000)
    assert ex.result is shown and ex.status.text().startswith("Computation failed")
    assert "the last complete embeddings stay shown" in ex.status.text()
    fig = next(f for f in panel.figures() if f.name == "gnn_embedding_pca")
    assert small_dataset in fig.title and "embedding head (penultimate)" in fig.title and "[stale" in fig.title
    assert fig.data()["current_quiver_pc1"] == pytest.approx(ex.current_xy[0])
