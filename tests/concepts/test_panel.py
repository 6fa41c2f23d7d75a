"""GUI: the concepts panel opens, probes the shipped default ensemble at start-up and draws
accuracy by layer for both concepts; the attribution job (on the session's tiny, really trained
ensemble) fills the gallery and the histogram; changing the concept or the layer marks it
stale; the state and the kept results survive a pickle-free session round trip; every figure
exports with its data."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("PySide6")

from workbench import plaindata
from workbench.gui.figures import ExportOptions, export_figure
from workbench.gui.panel import KeptResult


@pytest.fixture
def concepts_panel(qtbot, standalone_shell):
    from workbench_concepts.panel import ConceptsPanel

    panels = []

    def make(start: bool = True):
        panel = ConceptsPanel(standalone_shell)
        qtbot.addWidget(panel)
        panel.resize(1200, 800)
        panel.show()
        panels.append(panel)
        if start:
            panel.start()
        return panel

    yield make
    for p in panels:
        assert p.shutdown(10000), "the concepts panel did not stop its thread"


def test_state_layers_are_the_networks_layers():
    from workbench_concepts.core.resnet import LAYERS
    from workbench_concepts.state import LAYERS as STATE_LAYERS

    assert STATE_LAYERS == LAYERS


def test_state_data_choice_passes_the_folders_to_every_job_spec(tmp_path):
    from workbench_concepts.state import ConceptsState

    st = ConceptsState()
    st.update({"data_folder": "/x/task", "concept_folder": "/x/stripes"})
    assert st.probe_spec().data_folder == "" and st.attribute_spec().concept_folder == ""  # embedded: ignored
    st.data = "folders"
    for spec in (st.probe_spec(), st.attribute_spec(), st.image_spec(), st.remove_spec()):
        assert (spec.data_folder, spec.concept_folder) == ("/x/task", "/x/stripes")
    st.update({"concept": "user", "concept_folder": ""})
    with pytest.raises(ValueError, match="concept 'user' is a concept folder's"):
        st.attribute_spec()
    assert st.validate({"version": 1, "layer": "stem"}) == {"layer": "stem"}  # a version-1 session still opens


def test_opens_and_draws_probe_accuracy_of_every_layer_for_both_concepts(concepts_panel, qtbot, standalone_shell):
    from workbench_concepts.core.dataset import CONCEPT_KINDS
    from workbench_concepts.core.resnet import LAYERS

    panel = concepts_panel()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert standalone_shell.errors == []
    kept = panel.kept("probe")
    assert kept is not None and kept.result.layers == LAYERS
    view = panel.probe_view
    assert view.layers == LAYERS and set(view.curves) == set(CONCEPT_KINDS)
    for name, c in view.curves.items():
        assert c["mean"].shape == (len(LAYERS),) and c["members"].shape == (5, len(LAYERS))
        assert np.allclose(c["mean"], kept.result.concepts[name].mean())
    # the drawn curves: one line per concept with a point per layer
    lines = [it for it in view.getPlotItem().listDataItems() if it.name()]
    assert sorted(len(it.xData) for it in lines) == [len(LAYERS)] * len(CONCEPT_KINDS)
    # the shipped default's peaks (docs/concepts.md): round late, high_frequency early
    assert LAYERS[int(np.argmax(view.curves["round"]["mean"]))] == "layer4"
    assert int(np.argmax(view.curves["high_frequency"]["mean"])) < LAYERS.index("layer3")
    assert panel.sparsity_view.layer == "layer4" and set(panel.sparsity_view.curves) == set(CONCEPT_KINDS)
    panel.layer.setCurrentText("layer1")  # through the widget: the sparsity curves follow
    assert panel.state_model.layer == "layer1" and panel.sparsity_view.layer == "layer1"
    assert not panel.stale["probe"]  # the probes cover every layer
    assert not panel.data_folder.isEnabled()
    panel.data.setCurrentText("folders")  # the folder pickers open; with no folder yet the job is the same
    assert panel.data_folder.isEnabled() and panel.concept_folder.isEnabled() and not panel.stale["probe"]
    panel.state_model.concept_folder = "/somewhere/stripes"  # a concept folder chosen: the probes go stale
    assert panel.concept_folder.text() == "/somewhere/stripes" and panel.stale["probe"]


def test_attribution_fills_gallery_and_goes_stale_when_concept_or_layer_change(
    concepts_panel, qtbot, standalone_shell, tiny_ensemble, tmp_path
):
    panel = concepts_panel(start=False)
    panel.state_model.update({"ensemble": str(tiny_ensemble), "n_targets": 4, "proj_dim": 16, "gallery": 5})
    panel.state_model.layer = "layer2"
    assert panel.run_attribute() is not None
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert standalone_shell.errors == []
    kept = panel.kept("attribute")
    assert kept is not None and not panel.stale["attribute"]
    a = kept.result.attribution
    assert (a.concept, a.layer) == ("round", "layer2") and a.scores.shape == (100, 4)
    rows = panel.gallery.rows
    assert [len(ts) for _, ts in rows] == [5, 5, 16]  # top, bottom, test images to pick from
    top = rows[0][1]
    assert [t.index for t in top] == [int(i) for i in a.top[:5]]
    assert all(abs(t.score - a.concept_scores[t.index]) < 1e-12 for t in top)
    assert top[0].image.shape == (32, 32, 3) and top[0].image.dtype == np.uint8
    assert panel.histogram.scores.size == 100
    # changing the concept or the layer marks the attribution stale; going back clears it
    panel.concept.setCurrentText("high_frequency")
    assert panel.stale["attribute"] and "stale" in panel.summary.text()
    assert "stale" in panel.caption("Score distribution")
    panel.concept.setCurrentText("round")
    assert not panel.stale["attribute"]
    panel.layer.setCurrentText("layer3")
    assert panel.stale["attribute"]
    panel.layer.setCurrentText("layer2")
    assert not panel.stale["attribute"]
    # every figure exports with its data
    for fig in panel.figures():
        png = export_figure(fig, tmp_path / f"{fig.name}.png", ExportOptions(fmt="png", width=400, height=300))
        assert png[0].is_file()
        data = fig.data()
        assert data["concept"] == "round" and "caption" in data
    gdata = panel.figures()[2].data()
    assert list(gdata["top_index"]) == [int(i) for i in a.top[:5]]

    from PySide6.QtCore import Qt

    # per test image: a click on a test thumbnail chooses it; Attribute image attributes the
    # probe's output on it alone, in the Test image tab; stale when the chosen image changes
    test_thumbs = rows[2][1]
    assert all(t.kind == "test" for t in test_thumbs) and [t.index for t in test_thumbs] == list(range(16))
    rect = next(r for r, k in panel.gallery._rects if k == 10 + 7)  # flat index: after 5 + 5 training images
    qtbot.mouseClick(panel.gallery, Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.state_model.test_image == 7 and panel.test_image.value() == 7
    assert panel.run_image() is not None
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert standalone_shell.errors == []
    img = panel.kept("image").result.attribution
    assert (img.test_image, img.concept, img.layer) == (7, "round", "layer2") and img.scores.shape == (100, 1)
    irows = panel.image_gallery.rows
    assert [len(ts) for _, ts in irows] == [1, 5, 5] and irows[0][1][0].index == 7
    assert [t.index for t in irows[1][1]] == [int(i) for i in img.top[:5]]
    assert panel.tabs.tabText(panel.tabs.currentIndex()) == "Test image" and "test image 7" in panel.summary.text()
    assert not panel.stale["attribute"]  # the concept's attribution does not depend on the test image
    fig = next(f for f in panel.figures() if f.name == "concepts_test_image")
    fdata = fig.data()
    assert list(fdata["top_index"]) == [int(i) for i in img.top[:5]] and fdata["test_image"] == 7
    assert export_figure(fig, tmp_path / "ti.png", ExportOptions(fmt="png", width=400, height=300))[0].is_file()
    panel.state_model.test_image = 8
    assert panel.stale["image"] and "stale" in panel.caption(fig.title)


def test_session_round_trip_of_state_and_results(concepts_panel, qtbot, tiny_ensemble):
    panel = concepts_panel(start=False)
    panel.state_model.update({"ensemble": str(tiny_ensemble), "n_targets": 3, "proj_dim": 16, "gallery": 4})
    panel.run_probe()
    panel.run_attribute()
    qtbot.waitUntil(panel.is_idle, timeout=60_000)
    assert panel.kept("probe") is not None and panel.kept("attribute") is not None
    state = json.loads(json.dumps(panel.state()))
    tree, arrays = plaindata.encode({n: (k.result, k.inputs) for n, k in panel.results().items()})
    tree = json.loads(json.dumps(tree))

    other = concepts_panel(start=False)
    other.validate_state(state)
    other.restore(state)
    back = plaindata.decode(tree, arrays)
    other.restore_results({n: KeptResult(r, i) for n, (r, i) in back.items()})
    assert other.is_idle()  # restoring never starts a job
    assert json.loads(json.dumps(other.state())) == state
    assert not other.stale["probe"] and not other.stale["attribute"]
    assert [t.index for t in other.gallery.thumbs()] == [t.index for t in panel.gallery.thumbs()]
    assert np.array_equal(other.histogram.scores, panel.histogram.scores)
    assert other.probe_view.layers == panel.probe_view.layers
    other.state_model.layer = "stem"
    assert other.stale["attribute"] and not other.stale["probe"]
    with pytest.raises(ValueError):
        other.validate_state({"version": 1, "concept": "snakes"})


def test_removal_experiment_job_draws_before_top_k_and_random_k(concepts_panel, qtbot, standalone_shell, tiny_ensemble):
    from workbench_concepts.core.resnet import LAYERS

    panel = concepts_panel(start=False)
    panel.state_model.update(
        {"ensemble": str(tiny_ensemble), "n_targets": 3, "proj_dim": 16, "rm_k": 10, "rm_members": 2}
    )
    assert panel.run_remove() is not None
    qtbot.waitUntil(panel.is_idle, timeout=90_000)
    assert standalone_shell.errors == []
    kept = panel.kept("remove")
    assert kept is not None and kept.result.k == 10 and len(kept.result.removed_top) == 10
    view = panel.removal_view
    assert view.layers == LAYERS and set(view.arms) == {"before", "top_k", "random_k"}
    for attr, arm in view.arms.items():
        assert arm["members"].shape == (2, len(LAYERS))
        assert np.allclose(arm["mean"], getattr(kept.result, attr).accuracy.mean(0))
    assert "top-k minus random-k" in panel.summary.text() and not panel.stale["remove"]
    panel.state_model.rm_k = 12
    assert panel.stale["remove"] and "stale" in panel.caption("Removal experiment")
