"""SageMath's names of mutation types (issue 20, Gallery): the parser follows Sage's documented
casting (the outputs printed in Sage's QuiverMutationType docstring), names round-trip, the
quivers built have the type named, and bad input gets a message naming what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_quiver.core.identify import identify
from workbench_quiver.core.keller import grassmannian_quiver
from workbench_quiver.core.sage_types import looks_like_sage, parse_sage_type, sage_name
from workbench_quiver.core.standard import gallery_labels, normalise_label, standard_quiver

#: Sage's own examples: QuiverMutationType(input) prints output (quiver_mutation_type.py docstring)
SAGE_DOCUMENTED = [
    ("('A', 5)", "['A', 5]"),
    ("('D', 3)", "['A', 3]"),
    ("('D', 2)", "[ ['A', 1], ['A', 1] ]"),
    ("('A', (1, 0), 1)", "['A', 1]"),
    ("('A', (7, 0), 1)", "['D', 7]"),
    ("('A', (2, 4), 1)", "['A', [2, 4], 1]"),
    ("['A', [5, 3], 1]", "['A', [3, 5], 1]"),
    ("('A', 1, 1)", "['A', [1, 1], 1]"),
    ("('D', 6, 1)", "['D', 6, 1]"),
    ("('E', 8, 1)", "['E', 8, 1]"),
    ("('E', 6, [1, 1])", "['E', 6, [1, 1]]"),
    ("('X', 6)", "['X', 6]"),
    ("('E', 9)", "['E', 8, 1]"),
    ("('E', 10)", "['E', 10]"),
    ("('GR', (2, 6))", "['A', 3]"),
    ("('GR', (3, 6))", "['D', 4]"),
    ("('GR', (3, 7))", "['E', 6]"),
    ("('GR', (3, 8))", "['E', 8]"),
    ("('GR', (3, 10))", "['GR', [3, 10]]"),
    ("('TR', 2)", "['A', 3]"),
    ("('TR', 3)", "['D', 6]"),
    ("('TR', 4)", "['E', 8, [1, 1]]"),
    ("('TR', 5)", "['TR', 5]"),
    ("('T', (1, 1, 4))", "['A', 4]"),
    ("('T', (1, 4, 4))", "['A', 7]"),
    ("('T', (2, 2, 2))", "['D', 4]"),
    ("('T', (2, 2, 4))", "['D', 6]"),
    ("('T', (2, 3, 3))", "['E', 6]"),
    ("('T', (2, 3, 4))", "['E', 7]"),
    ("('T', (2, 3, 5))", "['E', 8]"),
    ("('T', (2, 3, 6))", "['E', 8, 1]"),
    ("('T', (2, 3, 7))", "['E', 10]"),
    ("('T', (3, 3, 3))", "['E', 6, 1]"),
    ("('T', (3, 3, 4))", "['T', [3, 3, 4]]"),
    ("('R2', (1, 1))", "['A', 2]"),
    ("('R2', (2, 2))", "['A', [1, 1], 1]"),
]


@pytest.mark.parametrize("given,printed", SAGE_DOCUMENTED)
def test_sages_documented_casting(given, printed):
    t = parse_sage_type(given)
    assert str(t) == printed
    assert str(parse_sage_type(printed)) == printed  # Sage's output reads back as itself


@pytest.mark.parametrize(
    "text,label",
    [
        ("['A', 5]", "A5"),
        ("['D', 6]", "D6"),
        ("['E', 8]", "E8"),
        ("['A', [2, 3], 1]", "A~3,2"),
        ("['D', 5, 1]", "D~5"),
        ("['E', 7, 1]", "E~7"),
        ("['E', 6, [1, 1]]", "E6^(1,1)"),
        ("['X', 7]", "X7"),
        ("['TR', 5]", "Tri5"),
        # other spellings Sage accepts
        ('QuiverMutationType("D", 5, 1)', "D~5"),
        ("ClusterQuiver(['A', (2, 3), 1])", "A~3,2"),
        ("'E', 6, (1, 1)", "E6^(1,1)"),
        ("  [ 'A' ,5 ]  ", "A5"),
    ],
)
def test_parsed_types_give_the_workbench_quiver(text, label):
    t = parse_sage_type(text)
    assert looks_like_sage(text) and t.label == label == normalise_label(text)
    assert np.array_equal(t.matrix(), standard_quiver(label)) and np.array_equal(standard_quiver(text), t.matrix())
    assert t.n_vertices == t.matrix().shape[0]


def test_names_round_trip_over_the_gallery():
    for label in [*gallery_labels(9), "Tri5", "Tri7"]:
        t = parse_sage_type(sage_name(label))
        assert t.label == normalise_label(label) if not label.startswith("Tri") else t.label == label, label
    assert sage_name("Tri3") == "['D', 6]" and sage_name("Gr(3,7)") == "['E', 6]"
    assert sage_name("Gr(4,8)") == "['E', 7, [1, 1]]" and sage_name("A~2,3") == "['A', [2, 3], 1]"


def test_quivers_without_a_workbench_label_have_the_type_named():
    """Sage's GR has no coefficients: the mutable part of Gr(3,10); T and E_n are trees; R2 [b, b]
    is b arrows; reducible types are block diagonal.  Checked with the identification."""
    gr = parse_sage_type("['GR', [3, 10]]")
    assert gr.label is None and gr.n_vertices == 12
    assert np.array_equal(gr.matrix(), grassmannian_quiver(3, 10)[:12])
    t = parse_sage_type("['T', [3, 3, 4]]").matrix()
    assert t.shape == (8, 8) and int(np.abs(t).sum()) == 2 * 7  # a tree: 7 arrows
    assert identify(t).label == "infinite" and identify(parse_sage_type("['E', 10]").matrix()).label == "infinite"
    assert parse_sage_type("['R2', [3, 3]]").matrix().tolist() == [[0, 3], [-3, 0]]
    both = parse_sage_type("[['A', 2], ['D', 4]]")
    assert str(both) == "[ ['A', 2], ['D', 4] ]" and both.n_vertices == 6
    m = both.matrix()
    assert np.array_equal(m[:2, :2], standard_quiver("A2")) and np.array_equal(m[2:, 2:], standard_quiver("D4"))
    assert not m[:2, 2:].any()
    # Sage's casting agrees with this workbench's identification of the quiver it casts
    assert identify(grassmannian_quiver(4, 8)[:9]).label == "E7^(1,1)"


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("A5", "not Sage's notation"),
        ("['A']", "a type is [letter, rank]"),
        ("[5, 'A']", "the first entry must be the letter"),
        ("['A', 0]", "A_n needs n >= 1"),
        ("['A', 5.0]", "the rank must be an integer"),
        ("['A', True]", "the rank must be an integer"),
        ("['A', 100000]", "100000 vertices: at most 500"),
        ("['B', 3]", "valued (skew-symmetrizable, not skew-symmetric) type: it has no quiver"),
        ("['C', 4, 1]", "valued"),
        ("['D', 4, 2]", "valued"),
        ("['R2', [1, 5]]", "R2 [b, c] with b != c is a valued type"),
        ("['E', 6, [1, 2]]", "the elliptic quiver types are"),
        ("['E', 5]", "E_n needs n >= 6"),
        ("['E', 9, 1]", "affine E is"),
        ("['X', 8]", "['X', 6] and ['X', 7]"),
        ("['GR', [5, 3]]", "GR needs [k, n] with 0 < k < n"),
        ("['GR', [1, 5]]", "it needs 2 <= k <= n - 2"),
        ("['T', [0, 2, 3]]", "entries >= 1"),
        ("['T', [2, 3]]", "a list of 3 integers"),
        ("['Q', 3]", "unknown or unsupported letter 'Q'"),
        ("['A', 5, 7]", "'A' takes no twist"),
        ("__import__('os').system('echo hacked')", "not Sage's notation"),
        ("['A', 5" + "]" * 400, "longer than 300 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message(text, message):
    with pytest.raises(ValueError, match="Sage mutation type") as err:
        parse_sage_type(text)
    assert message in str(err.value)


def test_labels_and_sage_names_are_told_apart():
    assert not looks_like_sage("D~6") and not looks_like_sage("Gr(3,7)") and not looks_like_sage("")
    assert looks_like_sage("['D', 6, 1]") and looks_like_sage("('A', 3)") and looks_like_sage("'A', 3")
    with pytest.raises(ValueError, match="has no label here"):
        normalise_label("['T', [3, 3, 4]]")


@pytest.mark.gui
def test_gallery_sage_box_loads_or_explains(make_panel, qtbot):
    from PySide6.QtCore import Qt

    from workbench_quiver.ui.gallery import FAMILIES

    panel = make_panel("quiver", start=False)
    g = panel.gallery
    g.list.setCurrentRow(next(r for r, f in enumerate(FAMILIES) if f.template == "D~{n}"))
    g.n_spin.setValue(7)
    assert "Sage: <code>['D', 7, 1]</code>" in g.note.text()  # the chosen family's Sage name
    got: list[str] = []
    g.chosen.connect(got.append)
    g.sage_box.setEditText("['D', 5, 1]")
    qtbot.keyClick(g.sage_box.lineEdit(), Qt.Key.Key_Return)  # typed, then Enter
    assert got == ["D~5"] and panel.doc.size == 6 and panel.doc.history.start_label == "D~5"
    g.sage_box.setEditText("['T', [3, 3, 4]]")
    g.sage_button.click()
    assert got[-1] == "['T', [3, 3, 4]]" and panel.doc.size == 8
    assert np.array_equal(panel.doc.b_matrix(), parse_sage_type("['T', [3, 3, 4]]").matrix())
    g.sage_box.setEditText("['B', 3]")
    g.sage_button.click()
    assert len(got) == 2 and panel.doc.size == 8  # refused: nothing loaded
    assert "valued" in g.sage_message.text() and "no quiver" in g.sage_message.text()
    g.sage_box.setCurrentIndex(g.sage_box.findText("['E', 6, [1, 1]]"))
    g.sage_box.textActivated.emit(g.sage_box.currentText())  # picked from the list
    assert got[-1] == "E6^(1,1)" and panel.doc.size == 8
