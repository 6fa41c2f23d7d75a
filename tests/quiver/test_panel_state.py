"""The quiver editor's Qt-free state (fields, versions, specs, the saved document) and the
sessions of its panel: the identification, the enumerated class, the GNN explanation and the
explorer's embeddings are kept and redrawn without recomputing, and marked stale when the
quiver or the settings change."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench import plaindata
from workbench.state import StateError
from workbench_quiver.state import QuiverState, document_from_dict

#: what ``QuiverPanel.state()`` of the first release (state version 1) returned for an A3 quiver
#: mutated at vertex 1, with a truthy non-bool show_evidence (version 1 restored bool(value))
#: and a tab index version 1 ignored
V1_STATE = {
    "version": 1,
    "matrix": [[0, -1, 1], [1, 0, -1], [-1, 1, 0]],
    "positions": [[0.0, 0.0], [120.0, 0.0], [60.0, 100.0]],
    "frozen": [False, False, False],
    "labels": ["0", "1", "2"],
    "mode": "mutate",
    "history": {"start": [[0, 1, 0], [-1, 0, 1], [0, -1, 0]], "sequence": [1], "pointer": 1, "start_label": "A3"},
    "layout": "circular",
    "show_evidence": 0,
    "tab": 9,
}


# ---- Qt-free state ------------------------------------------------------------------------
def test_version_1_state_migrates_as_version_1_restored_it():
    st = QuiverState()
    st.restore(V1_STATE)
    d = st.to_dict()
    assert d["version"] == 2
    assert (d["mode"], d["layout"], d["show_evidence"], d["tab"]) == ("mutate", "circular", False, 0)
    assert {k: d[k] for k in ("walk_steps", "seed", "enum_depth", "enum_max_size", "explain_method")} == {
        "walk_steps": 25,
        "seed": 0,
        "enum_depth": 0,
        "enum_max_size": 200_000,
        "explain_method": "GNNExplainer",
    }
    snap, history = document_from_dict(V1_STATE)
    assert snap.matrix.tolist() == V1_STATE["matrix"] and snap.labels == ["0", "1", "2"]
    assert history.sequence == [1] and history.pointer == 1 and history.start_label == "A3"


def test_newer_version_refused_and_nothing_changes():
    st = QuiverState(walk_steps=7)
    before = st.to_dict()
    with pytest.raises(StateError, match=r"newer workbench \(state version 3; this one reads up to 2\)"):
        st.restore({**before, "version": 3, "walk_steps": 9})
    assert st.to_dict() == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"walk_steps": 0}, r"walk steps \(walk_steps\) must be an integer in \[1, 10000\], got 0"),
        ({"seed": -1}, r"random seed \(seed\) must be an integer in \[0, 2147483647\]"),
        ({"enum_max_size": 0}, r"max size \(enum_max_size\) must be an integer in \[1, 5000000\]"),
        ({"enum_depth": 201}, r"max depth \(enum_depth\) must be an integer in \[0, 200\]"),
        ({"mode": "draw"}, r"mode \(mode\) must be one of edit, mutate, move"),
        ({"layout": "grid"}, r"layout \(layout\) must be one of spring, circular, kamada-kawai, keep"),
        ({"tab": 7}, r"tab \(tab\) must be an integer in \[0, 6\]"),
        ({"explain_method": "LIME"}, r"Method \(explain_method\) must be one of GNNExplainer, PGExplainer"),
        ({"explain_k": 21}, r"Mask top-k arrows \(explain_k\) must be an integer in \[0, 20\]"),
        ({"explorer_layer": "5"}, r"Embedding \(explorer_layer\) must be one of 1, 2, 3, 4, head"),
        ({"explorer_seed": 2**31}, r"Seed \(explorer_seed\) must be an integer"),
        ({"show_evidence": "yes"}, r"Highlight evidence on the canvas \(show_evidence\) must be true or false"),
    ],
)
def test_bad_value_refused_with_the_field_named_and_nothing_changes(bad, message):
    st = QuiverState()
    before = st.to_dict()
    with pytest.raises(StateError, match=message):
        st.restore({**before, "walk_steps": 3, **bad})  # walk_steps = 3 is valid: it must not be applied either
    assert st.to_dict() == before


def test_specs_are_built_from_the_state_with_its_seeds():
    b = np.array([[0, 1], [-1, 0]])
    st = QuiverState(
        explain_method="IntegratedGradients",
        explain_k=3,
        explain_seed=5,
        checkpoint="/c.safetensors",
        explorer_layer="2",
        explorer_points=500,
        explorer_seed=8,
        explorer_data="D10",
        enum_depth=0,
        enum_max_size=77,
    )
    e = st.explain_spec(b)
    assert (e.b, e.method, e.k, e.seed) == (((0, 1), (-1, 0)), "IntegratedGradients", 3, 5)
    assert e.checkpoint == "/c.safetensors"
    m = st.embed_spec()
    assert (m.layer, m.max_points, m.seed, m.probe_types, m.data) == (1, 500, 8, ("D10",), "")
    assert st.enumerate_spec(b).max_depth is None and st.enumerate_spec(b).max_size == 77
    st.update({"enum_depth": 4, "explorer_layer": "head", "explorer_data": "file"})
    assert st.enumerate_spec(b).max_depth == 4
    with pytest.raises(ValueError, match="choose a dataset file"):
        st.embed_spec()
    st.explorer_file = " /d.npz "
    assert st.embed_spec().data == "/d.npz" and st.embed_spec().layer == -1


def test_explain_methods_are_those_of_the_explainer():
    from workbench_quiver.gnn.explain import METHODS
    from workbench_quiver.state import EXPLAIN_METHODS

    assert EXPLAIN_METHODS == METHODS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "matrix": [[0, 1], [1, 0]],
                "positions": [[0, 0], [1, 1]],
                "frozen": [False] * 2,
                "labels": ["a", "b"],
                "history": {},
            },
            "skew-symmetric",
        ),
        ({"positions": [[0, 0], [1, float("nan")], [2, 2]]}, "pairs of finite numbers"),
        ({"frozen": [0, 0, 0]}, "'frozen' must be booleans"),
        ({"history": {"start": [[0]], "sequence": [], "pointer": 0}}, "different number of vertices"),
        ({"history": {**V1_STATE["history"], "pointer": 2}}, "pointer out of range"),
        ({"matrix": [[0, True, 0], [-1, 0, 1], [0, -1, 0]]}, "square list of integer rows"),
    ],
)
def test_bad_documents_are_refused_by_name(change, message):
    with pytest.raises(ValueError, match=message):
        document_from_dict({**V1_STATE, **change})


def test_enumerated_class_is_plain_data_even_beyond_64_bits():
    from workbench.jobs import JobContext
    from workbench_quiver.core.mutation import mutate
    from workbench_quiver.jobs import EnumerateSpec, as_spec_matrix, run_enumerate

    m = np.array([[0, 3, 0], [-3, 0, 3], [0, -3, 0]], dtype=object)
    for step in range(8):
        m = mutate(m, (1, 0, 2)[step % 3])
    assert max(abs(int(x)) for x in m.flat) > 2**63
    for b, depth in ((m, 1), (np.array([[0, 1, 0], [-1, 0, 1], [0, -1, 0]]), None)):
        res = run_enumerate(EnumerateSpec(as_spec_matrix(b), max_depth=depth), JobContext())
        back = plaindata.decode(*plaindata.encode(res))
        assert len(back) == len(res) and back.paths == res.paths and back.depths == res.depths
        for i in range(len(res)):
            assert np.asarray(back.members[i]).tolist() == np.asarray(res.members[i]).tolist()
    assert isinstance(res.members, np.ndarray) and res.members.shape == (4, 3, 3)  # A3: 4 quivers, one array


# ---- the panel ----------------------------------------------------------------------------
qt = pytest.importorskip("PySide6")


def _identified(panel):
    return panel.is_idle() and panel.summary is not None and panel.gnn_pred.result is not None


def _record_submits(monkeypatch):
    from workbench_quiver.panel import QuiverPanel

    calls = []
    monkeypatch.setattr(QuiverPanel, "submit", lambda self, fn, spec, **kw: calls.append(spec))
    return calls


@pytest.fixture
def small_dataset(tmp_path):
    """A real GNN dataset file (the D5 and A5 classes), small enough to embed quickly."""
    from workbench.jobs import JobContext
    from workbench_quiver.gnn.jobs import DatasetSpec, run_dataset

    spec = DatasetSpec(out=str(tmp_path / "d5a5.npz"), split="custom", sizes=(), families=(), extra_types=("D5", "A5"))
    return run_dataset(spec, JobContext()).path


@pytest.fixture
def computed(make_panel, qtbot, small_dataset):
    """A started panel with every result computed: the A4 class, an explanation, embeddings."""
    panel = make_panel("quiver")
    panel.load_standard("A4")
    qtbot.waitUntil(lambda: _identified(panel), timeout=120_000)
    panel.enumerate_class()
    panel.state_model.update(
        {
            "explain_method": "IntegratedGradients",
            "explain_k": 1,
            "explorer_data": "file",
            "explorer_file": small_dataset,
            "explorer_points": 100,
            "explorer_layer": "2",
        }
    )
    panel.gnn_explain.explain()
    panel.gnn_explorer.compute()
    qtbot.waitUntil(
        lambda: (
            panel.is_idle()
            and panel.gnn_explain.result is not None
            and panel.gnn_explorer.result is not None
            and panel.mutation_class is not None
            and panel.mutation_class.complete
        ),
        timeout=240_000,
    )
    assert panel.stale == {"class": False, "explanation": False, "embedding": False}
    return panel


def test_results_survive_a_fresh_panel_without_recomputing(computed, make_panel, qtbot, monkeypatch, standalone_shell):
    panel = computed
    assert standalone_shell.errors == []
    assert sorted(panel.results()) == ["class", "embedding", "explanation", "prediction", "projection", "summary"]
    for name, kept in panel.results().items():  # sessions store them pickle-free
        assert plaindata.same(plaindata.decode(*plaindata.encode(kept.result)), kept.result), name
    state, results = json.loads(json.dumps(panel.state())), panel.results()
    calls = _record_submits(monkeypatch)
    fresh = make_panel("quiver", start=False)
    fresh.restore(state)
    fresh.restore_results(results)
    fresh.start()  # the quiver's summary and prediction are there: nothing is identified again
    qtbot.wait(150)  # the debounced live identification would fire now
    assert calls == [] and fresh.is_idle()
    assert fresh.summary is results["summary"].result and fresh.info.type_label.text() == "A\u2084"
    assert fresh.gnn_pred.result is results["prediction"].result
    assert fresh.mutation_class is results["class"].result.result and fresh.class_browser.model.rowCount() == 6
    assert fresh.gnn_explain.result is results["explanation"].result
    assert fresh.canvas.gnn_overlay is results["explanation"].result.overlay
    assert fresh.gnn_explorer.result is results["embedding"].result and len(fresh.gnn_explorer._items) > 0
    assert fresh.gnn_explorer.current_xy == results["projection"].result  # the star, without a job
    assert fresh.stale == {"class": False, "explanation": False, "embedding": False}
    assert "stale" not in fresh.class_browser.header.text() + fresh.gnn_explain.summary.text()
    assert fresh.state() == panel.state()
    # a member of the restored class loads from the restored start, without any job
    path = list(fresh.mutation_class.paths[5])
    fresh.load_class_member(5)
    from workbench_quiver.core.mutation import mutate_sequence
    from workbench_quiver.core.standard import standard_quiver

    assert np.array_equal(fresh.doc.matrix, mutate_sequence(standard_quiver("A4"), path))


def test_results_are_marked_stale_when_the_quiver_or_the_settings_change(computed, qtbot):
    from workbench_quiver.ui.model import AddVertex

    panel = computed
    st = panel.state_model
    overlay = panel.canvas.gnn_overlay
    assert overlay is panel.gnn_explain.result.overlay
    panel.mutate(1)  # a mutation stays in the class: the class is current, the explanation is not
    assert panel.stale == {"class": False, "explanation": True, "embedding": False}
    assert "stale: the quiver changed" in panel.gnn_explain.summary.text() and panel.canvas.gnn_overlay is None
    panel.undo()  # the explained quiver again: the overlay is drawn again
    assert not panel.stale["explanation"] and panel.canvas.gnn_overlay is overlay
    panel.stack.push(AddVertex((300.0, 300.0)))  # an edit leaves the class
    assert panel.stale["class"] and panel.class_browser.header.text().startswith(
        "<b>stale: the quiver was edited since this class was enumerated</b>"
    )
    assert "(stale)" in panel.info.progress.format()
    panel.undo()
    assert not panel.stale["class"] and "stale" not in panel.class_browser.header.text()
    st.enum_max_size = 5  # other limits: the class would be another one
    assert panel.stale["class"] and "stale: the enumeration limits changed" in panel.class_browser.header.text()
    st.enum_max_size = 200_000
    st.explain_seed = 3  # the explanation of this quiver with another seed: stale, still drawn
    assert panel.stale["explanation"] and "settings changed" in panel.gnn_explain.summary.text()
    assert panel.canvas.gnn_overlay is overlay
    st.explorer_colour = "type"  # a view setting: redrawn, not stale
    assert not panel.stale["embedding"]
    st.explorer_layer = "head"
    assert panel.stale["embedding"] and "stale: the explorer settings changed" in panel.gnn_explorer.info.text()
    assert panel.stale == {"class": False, "explanation": True, "embedding": True}


def test_panel_restore_refuses_bad_state_and_changes_nothing(make_panel, qtbot):
    panel = make_panel("quiver", start=False)
    panel.walk_steps.setValue(9)
    panel.mutate(2)
    before, matrix = panel.state(), panel.doc.matrix.copy()
    for bad, message in (
        ({"walk_steps": 0}, r"walk steps \(walk_steps\)"),
        ({"version": 3}, "newer workbench"),
        ({"frozen": [1] * 7}, "'frozen' must be booleans"),
        ({"explorer_data": "x"}, "Quivers"),
    ):
        with pytest.raises(ValueError, match=message):
            panel.restore({**before, "layout": "circular", "tab": 2, **bad})
    assert panel.state() == before and np.array_equal(panel.doc.matrix, matrix)
    assert panel.walk_steps.value() == 9 and panel.layout_combo.currentText() == "spring"


def test_widgets_take_their_ranges_from_the_state_and_follow_it(make_panel):
    panel = make_panel("quiver", start=False)
    st = panel.state_model
    assert (panel.walk_steps.minimum(), panel.walk_steps.maximum()) == (1, 10_000)
    assert (panel.info.max_size.minimum(), panel.info.max_size.maximum()) == (1, 5_000_000)
    assert [panel.gnn_explain.method.itemData(i) for i in range(panel.gnn_explain.method.count())] == list(
        st.field("explain_method").choices()
    )
    st.update({"mode": "move", "layout": "circular", "tab": 4, "show_evidence": False, "explain_k": 5})
    assert panel.canvas.mode == "move" and panel.mode_actions["move"].isChecked()
    assert (panel.layout_combo.currentText(), panel.tabs.currentIndex()) == ("circular", 4)
    assert not panel.canvas.show_evidence and not panel.info.show_evidence.isChecked()
    assert panel.gnn_explain.k.value() == 5
    panel.canvas.set_mode("mutate")
    panel.tabs.setCurrentIndex(1)
    panel.info.max_depth.setValue(3)
    assert (st.mode, st.tab, st.enum_depth) == ("mutate", 1, 3)
    assert panel.state_model.enumerate_spec(panel.doc.b_matrix()).max_depth == 3


def test_the_seed_repeats_random_mutations(make_panel):
    panels = [make_panel("quiver", start=False) for _ in range(3)]
    panels[2].state_model.seed = 11
    panels[0].state_model.seed = 11
    panels[0].state_model.seed = 0  # back to the seed of panel 1: the sequence starts again
    for p in panels:
        for _ in range(6):
            p.random_mutation()
    seqs = [p.doc.history.sequence for p in panels]
    assert seqs[0] == seqs[1] != seqs[2]


@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def test_session_keeps_the_class_without_recomputing(window, qtbot, tmp_path, monkeypatch):
    panel = window.open_panel("quiver")
    panel.load_standard("A4")
    panel.enumerate_class()
    qtbot.waitUntil(
        lambda: _identified(panel) and panel.mutation_class is not None and panel.mutation_class.complete,
        timeout=120_000,
    )
    cls = panel.mutation_class
    path = tmp_path / "q.wbsession"
    window.save_session(path)
    assert (tmp_path / "q.results.npz").exists()
    assert json.loads(path.read_text())["panels"]["quiver"]["version"] == 2

    panel.load_standard("E6")
    panel.state_model.walk_steps = 3
    qtbot.waitUntil(lambda: _identified(panel) and panel.summary.label == "E6", timeout=120_000)
    calls = _record_submits(monkeypatch)
    assert window.load_session(path), window.errors_shown
    qtbot.wait(150)
    assert calls == [] and panel.is_idle()  # already started: restoring identifies nothing, enumerates nothing
    assert plaindata.same(panel.mutation_class, cls) and panel.class_browser.model.rowCount() == 6
    assert panel.summary.label == "A4" and panel.state_model.walk_steps == 25
    assert not panel.stale["class"]

    bad = json.loads(path.read_text())
    bad["panels"]["quiver"]["version"] = 3
    newer = tmp_path / "newer.wbsession"
    newer.write_text(json.dumps({k: v for k, v in bad.items() if k != "results"}))
    panel.state_model.walk_steps = 4
    assert not window.load_session(newer)
    assert "newer workbench" in window.errors_shown[-1][1] and panel.state_model.walk_steps == 4


def test_version_1_session_of_the_first_release_opens(window, qtbot, tmp_path):
    from workbench.session import FORMAT

    path = tmp_path / "old.wbsession"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "app_version": "0.1.0",
                "layout": {"open_panels": ["quiver"]},
                "panels": {"quiver": V1_STATE},
            }
        )
    )
    assert window.load_session(path), window.errors_shown
    panel = window.panels["quiver"]
    qtbot.waitUntil(lambda: _identified(panel), timeout=120_000)  # no results in it: start() identifies
    assert panel.doc.matrix.tolist() == V1_STATE["matrix"] and panel.doc.history.sequence == [1]
    assert panel.canvas.mode == "mutate" and panel.layout_combo.currentText() == "circular"
    assert not panel.info.show_evidence.isChecked() and panel.tabs.currentIndex() == 0
    assert panel.summary.label == "A3"
