"""The quiver editor panel: drawing with the mouse, Keller's arrow rules, mutation (matches
the core), undo/redo, history, identification with evidence, class enumeration as a job,
files, figure export and session state."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from workbench.gui.figures import ExportOptions, export_figure
from workbench_quiver.core.mutation import mutate, mutate_sequence
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.jobs import summary_spec

L, R = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


def click(canvas, x, y, button=L, mods=Qt.KeyboardModifier.NoModifier):
    canvas.press(QPointF(x, y), button, mods)
    canvas.release(QPointF(x, y), button)


def drag(canvas, a, b, button=L):
    canvas.press(QPointF(*a), button)
    for t in (0.3, 0.7, 1.0):
        canvas.drag_to(QPointF(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
    canvas.release(QPointF(*b), button)


def identified(panel):
    return panel.is_idle() and panel.summary is not None


@pytest.fixture
def panel(make_panel, qtbot):
    p = make_panel("quiver")
    qtbot.waitUntil(lambda: identified(p), timeout=90_000)  # the first prediction imports torch_geometric
    return p


def test_startup_shows_dtilde_with_evidence(panel, standalone_shell):
    assert panel.summary.label == "D~6" and panel.summary.family == "D~"
    assert panel.summary.class_size == 146  # published size of the D~ class on 7 vertices
    assert panel.info.type_label.text() == "D\u0303\u2086"
    assert panel.canvas.highlight_vertices and panel.canvas.highlight_arrows
    assert any(it.evidence for it in panel.canvas.vertex_items)
    assert not standalone_shell.errors


def test_draw_with_clicks_and_drags_keller_rules(panel, qtbot):
    panel.new_quiver()
    c = panel.canvas
    click(c, 0, 0)
    click(c, 120, 0)
    click(c, 60, 100)
    assert panel.doc.size == 3 and panel.doc.labels == ["0", "1", "2"]
    drag(c, (0, 0), (120, 0))  # new arrow 0 -> 1
    assert panel.doc.matrix[0, 1] == 1
    drag(c, (0, 0), (120, 0))  # again: multiplicity 2
    assert panel.doc.matrix[0, 1] == 2 and c.arrow_items[(0, 1)].mult == 2
    drag(c, (120, 0), (0, 0))  # against it: multiplicity - 1
    assert panel.doc.matrix[0, 1] == 1
    drag(c, (120, 0), (60, 100))
    drag(c, (60, 100), (0, 0))
    assert len(panel.doc.arrows()) == 3
    drag(c, (0, 0), (300, 300))  # released on empty space: nothing
    assert len(panel.doc.arrows()) == 3
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    assert panel.summary.label == "A3" and not panel.summary.acyclic
    # undo everything back to the empty canvas, then redo it all
    n = 0
    while panel.stack.can_undo() and panel.doc.size:
        panel.undo()
        n += 1
    assert panel.doc.size == 0
    for _ in range(n):
        panel.redo()
    assert panel.doc.size == 3 and len(panel.doc.arrows()) == 3


def test_real_mouse_events_on_the_viewport(panel, qtbot):
    panel.new_quiver()
    c = panel.canvas
    vp = c.viewport()
    p0 = c.mapFromScene(QPointF(0, 0))
    p1 = c.mapFromScene(QPointF(150, 20))
    qtbot.mouseClick(vp, L, pos=p0)
    qtbot.mouseClick(vp, L, pos=p1)
    assert panel.doc.size == 2
    qtbot.mousePress(vp, L, pos=p0)
    qtbot.mouseMove(vp, pos=(p0 + p1) / 2)
    qtbot.mouseMove(vp, pos=p1)
    qtbot.mouseRelease(vp, L, pos=p1)
    assert panel.doc.matrix[0, 1] == 1
    qtbot.mouseClick(vp, L, Qt.KeyboardModifier.ShiftModifier, pos=p0)  # Shift-click mutates
    assert panel.doc.matrix[0, 1] == -1


def test_mutation_matches_core_and_reuses_items(panel):
    panel.load_standard("E~7")
    c = panel.canvas
    b0 = panel.doc.matrix.copy()
    vitems = list(c.vertex_items)
    c.set_mode("mutate")
    seq = [3, 0, 5, 3, 7]
    for k in seq:
        x, y = panel.doc.positions[k]
        click(c, x, y)
    assert np.array_equal(panel.doc.matrix, mutate_sequence(b0, seq))
    assert c.vertex_items == vitems  # vertices reused, not rebuilt
    for (a, b), item in c.arrow_items.items():  # every arrow item matches the matrix
        v = panel.doc.matrix[a, b]
        assert v != 0 and item.mult == abs(v) and (item.i, item.j) == ((a, b) if v > 0 else (b, a))
    assert len(c.arrow_items) == int(np.count_nonzero(np.triu(panel.doc.matrix, 1)))
    c.set_mode("edit")  # Ctrl-click in edit mode mutates too
    x, y = panel.doc.positions[2]
    click(c, x, y, mods=Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(panel.doc.matrix, mutate(mutate_sequence(b0, seq), 2))
    for _ in range(len(seq) + 1):
        panel.undo()
    assert np.array_equal(panel.doc.matrix, b0)


def test_remove_and_freeze(panel, qtbot):
    panel.load_standard("A4")
    c = panel.canvas
    x, y = panel.doc.positions[3]
    click(c, x, y, R)  # right-click removes the vertex
    assert panel.doc.size == 3
    x, y = panel.doc.positions[0]
    click(c, x, y)  # select, then Delete
    assert c.selected_vertices == {0}
    c.setFocus()
    qtbot.keyClick(c, Qt.Key.Key_Delete)
    assert panel.doc.size == 2
    x, y = panel.doc.positions[1]
    click(c, x, y, mods=Qt.KeyboardModifier.AltModifier)  # Alt-click freezes
    assert panel.doc.frozen == [False, True] and c.vertex_items[1].frozen
    assert panel.doc.b_matrix().shape == (2, 1)
    before = panel.doc.matrix.copy()
    assert not c.mutate_at(1)  # a frozen vertex cannot be mutated
    assert np.array_equal(panel.doc.matrix, before)
    assert "frozen" in panel.status_label.text()
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    assert panel.summary.n_frozen == 1 and panel.summary.label == "A1"


def test_history_click_goes_back(panel):
    b0 = panel.doc.matrix.copy()
    for k in (1, 4, 2):
        panel.mutate(k)
    assert panel.history.list.count() == 4
    item = panel.history.list.item(1)
    panel.history.list.itemClicked.emit(item)
    assert np.array_equal(panel.doc.matrix, mutate(b0, 1))
    assert panel.doc.history.pointer == 1 and "\u03bc1" in panel.history.sequence.text()
    panel.go_to_history(0)
    assert np.array_equal(panel.doc.matrix, b0)
    panel.undo()
    panel.undo()
    assert np.array_equal(panel.doc.matrix, mutate_sequence(b0, [1, 4, 2]))


def test_shortcuts_random_mutation_and_layout(panel, qtbot):
    c = panel.canvas
    c.setFocus()
    qtbot.keyClick(c, Qt.Key.Key_M)
    assert c.mode == "mutate" and panel.mode_actions["mutate"].isChecked()
    qtbot.keyClick(c, Qt.Key.Key_E)
    assert c.mode == "edit"
    b0 = panel.doc.matrix.copy()
    qtbot.keyClick(c, Qt.Key.Key_R)
    k = panel.doc.history.sequence[-1]
    assert np.array_equal(panel.doc.matrix, mutate(b0, k))
    qtbot.keyClick(c, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(panel.doc.matrix, b0)
    qtbot.keyClick(c, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert np.array_equal(panel.doc.matrix, mutate(b0, k))
    old = list(panel.doc.positions)
    panel.layout_combo.setCurrentText("circular")
    qtbot.keyClick(c, Qt.Key.Key_L)
    assert panel.doc.positions != old
    r = [np.hypot(x, y) for x, y in panel.doc.positions]
    assert max(r) - min(r) < 1e-6 * max(r) + 0.05  # all on one circle
    panel.undo()
    assert panel.doc.positions == old


def test_gallery_loads_chosen_size(panel, qtbot):
    g = panel.gallery
    row = [f.template for f in __import__("workbench_quiver.ui.gallery", fromlist=["FAMILIES"]).FAMILIES].index("D~{n}")
    g.list.setCurrentRow(row)
    g.n_spin.setValue(8)
    g.load_button.click()
    assert panel.doc.size == 9
    assert np.array_equal(panel.doc.matrix, standard_quiver("D~8"))
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    assert panel.summary.label == "D~8" and panel.summary.class_size == 1868  # published D~ size on 9 vertices


def test_enumerate_class_and_load_member(panel, qtbot):
    panel.load_standard("A4")
    b0 = panel.doc.matrix.copy()
    panel.enumerate_class()
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.mutation_class is not None and panel.mutation_class.complete, timeout=30_000
    )
    assert panel.class_browser.model.rowCount() == 6  # A4: 6 quivers up to isomorphism
    model = panel.class_browser.model
    model.data(model.index(3), Qt.ItemDataRole.DecorationRole)  # asked for: drawn on a later turn
    qtbot.waitUntil(lambda: 3 in model._icons, timeout=5000)
    icon = model.data(model.index(3), Qt.ItemDataRole.DecorationRole)
    assert icon is model._icons[3] and not icon.isNull() and icon is not model._placeholder_icon()
    path = panel.mutation_class.paths[5]
    panel.class_browser.member_clicked.emit(5)
    assert np.array_equal(panel.doc.matrix, mutate_sequence(b0, path))
    assert panel.doc.history.sequence == list(path)
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    assert panel.summary.label == "A4"


def test_enumeration_can_be_cancelled(panel, qtbot, standalone_shell):
    panel.load_standard("D~12")  # its class outgrows max_size: > 10 s to enumerate
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    panel.enumerate_class()
    handle = panel._enum_handle
    qtbot.waitUntil(lambda: handle.state == "running" and handle.fraction > 0, timeout=10_000)
    panel.info.cancel_button.click()
    qtbot.waitUntil(panel.is_idle, timeout=10_000)
    assert handle.state == "cancelled"  # stopped, not run to the end
    assert handle.result is None
    assert not standalone_shell.errors
    # nothing was kept before: the cancelled job's partial class stays shown, said to be partial
    assert panel.info.progress.format().startswith("cancelled after ")
    assert "partial class, not kept" in panel.info.progress.format()
    assert panel.kept("class") is None and "not kept" in panel.class_browser.header.text()
    assert panel.info.enum_button.isEnabled()


def test_figure_export_png_svg_pdf(panel, tmp_path):
    fig = panel.figures()[0]
    png = export_figure(fig, tmp_path / "q.png", ExportOptions(fmt="png", width=640, height=480))
    img = QImage(str(png[0]))
    assert (img.width(), img.height()) == (640, 480)
    # the drawing is there: some pixels are the dark arrow/vertex ink
    dark = sum(1 for x in range(0, 640, 4) for y in range(0, 480, 4) if QImage.pixelColor(img, x, y).value() < 120)
    assert dark > 20
    assert (tmp_path / "q.data.json").exists() or any(p.name.startswith("q.data") for p in png[1:])
    svg = export_figure(fig, tmp_path / "q.svg", ExportOptions(fmt="svg", write_data=False))[0]
    root = ET.parse(svg).getroot()
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert "path" in tags or "polygon" in tags or "ellipse" in tags  # vector drawing, not an image
    assert "image" not in tags
    pdf = export_figure(fig, tmp_path / "q.pdf", ExportOptions(fmt="pdf", write_data=False))[0]
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_session_state_round_trip(panel, make_panel, qtbot):
    panel.load_standard("A~3,2")
    for k in (0, 2, 3):
        panel.mutate(k)
    panel.canvas.toggle_frozen([4])
    panel.mutate(1)
    panel.set_mode("mutate")
    state = json.loads(json.dumps(panel.state()))
    panel.validate_state(state)
    other = make_panel("quiver")
    other.restore(state)
    assert json.loads(json.dumps(other.state())) == state
    assert np.array_equal(other.doc.matrix, panel.doc.matrix) and other.doc.frozen == panel.doc.frozen
    assert other.canvas.mode == "mutate" and other.doc.history.sequence == [1]
    qtbot.waitUntil(lambda: identified(other), timeout=10_000)
    bad = dict(state, matrix=[[0, 1], [1, 0]], positions=[[0, 0], [1, 1]], frozen=[False, False], labels=["a", "b"])
    with pytest.raises(ValueError, match="skew"):
        other.validate_state(bad)
    with pytest.raises(ValueError):
        other.validate_state(dict(state, history={"start": [[0]], "sequence": [], "pointer": 0}))
    with pytest.raises(ValueError):
        other.validate_state({"version": 1})
    assert np.array_equal(other.doc.matrix, panel.doc.matrix)


@pytest.mark.parametrize("suffix", [".qmu", ".json", ".txt", ".csv"])
def test_save_and_load_files(panel, tmp_path, suffix, standalone_shell):
    panel.load_standard("E6")
    panel.mutate(2)
    if suffix in (".qmu", ".json"):
        panel.canvas.toggle_frozen([5])
    b = panel.doc.b_matrix()
    path = panel.save_file(tmp_path / f"quiver{suffix}")
    panel.load_standard("A2")
    assert panel.load_file(path), standalone_shell.errors
    assert np.array_equal(panel.doc.b_matrix(), b)
    if suffix == ".qmu":  # positions survive
        assert panel.doc.frozen[-1] and panel.doc.size == 6


@pytest.mark.parametrize("suffix", [".qmu", ".json", ".txt", ".b", ".csv", ".tex"])
def test_save_writes_what_write_quiver_writes(panel, tmp_path, suffix):
    from workbench_quiver.core import formats

    panel.load_standard("E6")
    panel.mutate(2)
    path = panel.save_file(tmp_path / f"quiver{suffix}")
    assert path == tmp_path / f"quiver{suffix}"
    expected = panel.tikz() if suffix == ".tex" else formats.quiver_text(panel.quiver(), suffix)
    assert path.read_text() == expected


def test_save_without_suffix_unknown_suffix_and_frozen_csv(panel, tmp_path):
    from workbench_quiver.core import formats

    panel.load_standard("E6")
    path = panel.save_file(tmp_path / "quiver")
    assert path == tmp_path / "quiver.txt"
    assert path.read_text() == formats.write_b_text(panel.quiver().b)
    with pytest.raises(ValueError, match="unknown quiver format '.png'"):
        panel.save_file(tmp_path / "quiver.png")
    panel.canvas.toggle_frozen([5])
    with pytest.raises(ValueError, match="1 frozen vertex"):
        panel.save_file(tmp_path / "quiver.csv")
    assert not (tmp_path / "quiver.png").exists()
    assert not (tmp_path / "quiver.csv").exists()


def test_tikz_export(panel, tmp_path):
    path = panel.save_file(tmp_path / "q.tex")
    text = path.read_text()
    assert text.startswith("\\begin{tikzpicture}") and text.count("\\draw[->]") == len(panel.doc.arrows())


@pytest.mark.parametrize(
    "content,expect",
    [
        ("[[0, 1], [1, 0]]", "skew"),
        ("//Matrix\n2 2\n0 1\n", "rows"),
        ("0,1,2\n", "square"),
        ("", "empty"),
    ],
)
def test_bad_files_give_an_error_and_keep_the_quiver(panel, tmp_path, standalone_shell, content, expect):
    suffix = ".qmu" if content.startswith("//") else (".csv" if "," in content and "[" not in content else ".txt")
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    before = panel.doc.snapshot()
    assert not panel.load_file(path)
    assert standalone_shell.errors and expect in standalone_shell.errors[-1][1].lower()
    assert np.array_equal(panel.doc.matrix, before.matrix) and panel.doc.positions == before.positions
    standalone_shell.errors.clear()
    assert not panel.load_file(tmp_path / "missing.qmu")
    assert "does not exist" in standalone_shell.errors[-1][1]


def test_random_walk_runs_and_stops(panel, qtbot):
    b0 = panel.doc.matrix.copy()
    panel.walk_steps.setValue(4)
    panel.walk_action.setChecked(True)
    qtbot.waitUntil(lambda: not panel.walk_action.isChecked(), timeout=10_000)
    seq = panel.doc.history.sequence
    assert len(seq) == 4 and all(a != b for a, b in itertools.pairwise(seq))  # never undoes the last step
    assert np.array_equal(panel.doc.matrix, mutate_sequence(b0, seq))
    assert panel.history.list.count() == 5
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    assert panel.summary.label == "D~6"  # mutation keeps the type


def test_infinite_quiver_certificate_and_rename(panel, qtbot):
    from workbench_quiver.ui.model import QuiverSnapshot, SetQuiver

    m = np.array([[0, 2, 2], [-2, 0, 2], [-2, -2, 0]])  # acyclic, multiplicities 2: mutation-infinite
    panel.stack.push(SetQuiver(QuiverSnapshot(m, [(0, 0), (120, 0), (60, 100)], [False] * 3, ["a", "b", "c"])))
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    s = panel.summary
    assert s.label == "infinite" and s.finite_mutation is False and s.certificate
    assert not panel.info.certificate_button.isHidden()
    panel.info.certificate_button.click()
    assert np.abs(panel.doc.matrix).max() >= 3  # the certificate reaches multiplicity >= 3
    assert np.array_equal(panel.doc.matrix, mutate_sequence(m, s.certificate))
    assert panel.rename_vertex(0, "x") and panel.doc.labels[0] == "x" and panel.canvas.vertex_items[0].label == "x"
    assert not panel.rename_vertex(1, "x")  # labels stay unique
    panel.undo()
    assert panel.doc.labels[0] == "a"


def test_session_keeps_huge_entries_exact(panel, make_panel):
    from workbench_quiver.ui.model import QuiverSnapshot, SetQuiver

    m = np.array([[0, 3, 0], [-3, 0, 3], [0, -3, 0]])
    panel.stack.push(SetQuiver(QuiverSnapshot(m, [(0, 0), (120, 0), (60, 100)], [False] * 3, ["0", "1", "2"])))
    for step in range(8):
        panel.mutate((1, 0, 2)[step % 3])
    assert max(abs(int(x)) for x in panel.doc.matrix.flat) > 2**63
    state = json.loads(json.dumps(panel.state()))
    other = make_panel("quiver", start=False)
    other.restore(state)
    assert [[int(x) for x in r] for r in other.doc.matrix] == [[int(x) for x in r] for r in panel.doc.matrix]
    assert any(it.mult > 2**63 for it in other.canvas.arrow_items.values())


def test_enumerate_with_a_frozen_vertex_keeps_vertex_identities(panel, qtbot):
    from workbench_quiver.ui.model import AddArrows, AddVertex, SetFrozen

    panel.load_standard("A3")
    panel.stack.push(AddVertex((0.0, 150.0)))
    panel.stack.push(AddArrows(3, 1))
    panel.stack.push(SetFrozen([3]))
    full0 = panel.doc.matrix.copy()
    panel.enumerate_class()
    qtbot.waitUntil(
        lambda: panel.is_idle() and panel.mutation_class is not None and panel.mutation_class.complete, timeout=30_000
    )
    mc = panel.mutation_class
    assert len(mc.members) >= 4  # at least the A3 class (frozen vertices only refine it)
    i = max(range(len(mc.members)), key=lambda r: len(mc.paths[r]))
    panel.class_browser.member_clicked.emit(i)
    path = list(mc.paths[i])
    assert np.array_equal(panel.doc.matrix, mutate_sequence(full0, path))  # mutable vertices 0..2 keep their index
    assert np.array_equal(panel.doc.b_matrix(), np.asarray(mc.members[i]))
    assert panel.doc.frozen == [False, False, False, True]


def test_load_matrix_and_gnn_overlay_drawing(panel, standalone_shell):
    from workbench_quiver.gnn.overlay import ExplanationOverlay

    b = standard_quiver("E6")
    assert panel.load_matrix(b, "E6")
    assert np.array_equal(panel.doc.b_matrix(), b)
    assert not panel.load_matrix([[0, 1], [1, 0]]) and "skew" in standalone_shell.errors[-1][1]
    arrows = [(i, j) for i, j, _ in panel.quiver().arrows()]
    ov = ExplanationOverlay(
        {a: (k + 1) / len(arrows) for k, a in enumerate(arrows)}, [0.1] * 6, "IntegratedGradients", masked=[arrows[0]]
    )
    panel.canvas.set_gnn_overlay(ov)
    items = {(it.i, it.j): it for it in panel.canvas.arrow_items.values()}
    assert items[arrows[-1]].overlay == (1.0, False) and items[arrows[0]].overlay[1] is True
    assert items[arrows[-1]]._pen.widthF() > items[arrows[0]]._pen.widthF()
    assert all(it.halo == 0.1 for it in panel.canvas.vertex_items)
    panel.mutate(0)  # the explanation is stale after an edit
    assert panel.canvas.gnn_overlay is None and all(it.halo is None for it in panel.canvas.vertex_items)


def test_zoom_to_fit_shows_every_vertex(panel, qtbot):
    panel.load_standard("E~8")
    c = panel.canvas
    c.zoom(6.0)
    c.centerOn(5000, 5000)
    c.setFocus()
    qtbot.keyClick(c, Qt.Key.Key_F)
    view = c.viewport().rect()
    for x, y in panel.doc.positions:
        assert view.contains(c.mapFromScene(QPointF(x, y)))


def test_arrow_selection_delete_and_right_click(panel, qtbot):
    panel.load_standard("A4")
    c = panel.canvas
    m = c.arrow_items[(0, 1)].midpoint()
    click(c, m.x(), m.y())  # click on an arrow selects it
    assert c.selected_arrow == (0, 1) and c.arrow_items[(0, 1)].selected_
    c.setFocus()
    qtbot.keyClick(c, Qt.Key.Key_Delete)
    assert panel.doc.matrix[0, 1] == 0 and (0, 1) not in c.arrow_items and panel.doc.size == 4
    m = c.arrow_items[(2, 3)].midpoint()
    click(c, m.x(), m.y(), R)  # right-click on an arrow removes it
    assert panel.doc.matrix[2, 3] == 0
    panel.undo()
    panel.undo()
    assert np.array_equal(panel.doc.matrix, standard_quiver("A4"))


def test_identification_during_enumeration_does_not_wait(panel, qtbot):
    """Identification is always a job (never run on the GUI thread), in a lane of its own: it
    answers while a long enumeration occupies the panel's main job thread."""
    panel.load_standard("D~12")  # its class outgrows max_size: > 10 s to enumerate
    qtbot.waitUntil(lambda: identified(panel), timeout=10_000)
    panel.enumerate_class()
    qtbot.waitUntil(lambda: panel._enum_handle.state == "running", timeout=10_000)
    panel.load_standard("A5")
    panel.mutate(2)
    qtbot.waitUntil(lambda: panel.summary is not None, timeout=10_000)
    assert panel.summary.label == "A5"
    assert panel._enum_handle.state == "running"  # answered while the enumeration still ran
    job = panel._identify_handle
    assert job.state == "finished" and job.spec == summary_spec(panel.doc.matrix, panel.doc.frozen)
    panel.cancel_enumeration()
    qtbot.waitUntil(panel.is_idle, timeout=20_000)
