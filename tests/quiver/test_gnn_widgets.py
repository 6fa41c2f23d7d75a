"""GNN widgets in a host panel: live prediction and its agreement with the exact type,
explanation overlay signal, explorer click opens a quiver, figures export, bad checkpoint."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.gnn.checkpoint import default_checkpoint_path

needs_default = pytest.mark.skipif(not default_checkpoint_path().exists(), reason="shipped checkpoint missing")


@pytest.fixture
def host(qtbot, standalone_shell):
    from workbench_quiver.ui.gnn_host import GnnDemoPanel

    panels = []

    def make(b=None, checkpoint=""):
        p = GnnDemoPanel(standalone_shell, b, checkpoint)
        qtbot.addWidget(p)
        p.resize(1100, 700)
        p.show()
        p.start()
        panels.append(p)
        return p

    yield make
    for p in panels:
        assert p.shutdown(10000)


@needs_default
def test_prediction_agrees_with_exact_type(host, qtbot):
    p = host(standard_quiver("D~6"))
    qtbot.waitUntil(lambda: p.prediction.result is not None, timeout=20000)
    r = p.prediction.result
    assert abs(sum(r.probabilities.values()) - 1) < 1e-5
    assert r.exact_label == "D~6" and r.exact_family == "D~"
    assert r.agrees == (r.predicted == "D~")
    assert "agrees" in p.prediction.verdict.text() or "disagrees" in p.prediction.verdict.text()
    # an edit gives the prediction of the new quiver (how fast is the stall benchmark's business:
    # the suite asserts behaviour, not timings); its edit-to-draw latency is recorded
    p.set_b(standard_quiver("A~4,2"))
    qtbot.waitUntil(lambda: p.prediction.result.exact_label == "A~4,2", timeout=10000)
    assert p.prediction.result.exact_family == "A~" and "A~4,2" in p.prediction.verdict.text()
    assert p.prediction.latency_ms > 0
    figs = p.prediction.figures()
    assert figs[0].data()["probability"][3] == pytest.approx(p.prediction.result.probabilities["A~"])


def test_missing_checkpoint_is_reported_and_nothing_breaks(host, qtbot, tmp_path):
    p = host(standard_quiver("A4"), checkpoint=str(tmp_path / "none.safetensors"))
    qtbot.waitUntil(lambda: bool(p.prediction.error), timeout=20000)
    assert "not found" in p.prediction.error
    assert "exact classification is unaffected" in p.prediction.verdict.text()


@needs_default
def test_explanation_emits_overlay_and_masking(host, qtbot):
    p = host(standard_quiver("D~5"))
    got = []
    p.explain.overlay_changed.connect(got.append)
    p.explain.method.setCurrentIndex(2)  # Integrated Gradients: fastest
    p.explain.k.setValue(2)
    p.explain.explain()
    qtbot.waitUntil(lambda: p.explain.result is not None, timeout=60000)
    ov = got[-1]
    n_arrows = int((standard_quiver("D~5") > 0).sum())
    assert len(ov.edge_importance) == n_arrows and len(ov.node_importance) == 6
    assert max(ov.edge_importance.values()) == pytest.approx(1.0)
    assert len(ov.masked) == 2 and p.view.overlay is ov
    p.explain.show_box.setChecked(False)
    assert got[-1] is None
    p.explain.show_box.setChecked(True)
    p.set_b(standard_quiver("A5"))  # an edit invalidates the explanation
    assert got[-1] is None
    data = p.figures()[-1].data()
    assert "family" in data


@needs_default
def test_explorer_click_opens_quiver(host, qtbot):
    from workbench_quiver.gnn.jobs import EmbedSpec

    p = host(standard_quiver("A4"))
    ex = p.explorer
    ex.dataset.setCurrentIndex(0)
    spec = EmbedSpec(probe_types=("D6",), max_points=200)
    ex.spec = lambda: spec
    ex.compute()
    qtbot.waitUntil(lambda: ex.result is not None, timeout=60000)
    assert ex.result.coords.shape == (80, 2)
    assert ex.result.probe is not None and 0 <= ex.result.probe.test_accuracy <= 1
    opened = []
    ex.open_quiver.connect(opened.append)
    pts = ex._items[0].points()
    ex._clicked(ex._items[0], [pts[0]])
    assert opened and opened[0].shape == (6, 6)
    assert np.array_equal(p.b, opened[0])
    d = ex.figures()[0].data()
    assert len(d["pc1"]) == 80


def test_figures_export(host, qtbot, tmp_path):
    from workbench.gui.figures import ExportOptions, export_figure

    p = host(standard_quiver("A3"))
    qtbot.waitUntil(p.is_idle, timeout=20000)
    for fig in p.figures():
        for fmt in ("png", "svg"):
            paths = export_figure(fig, tmp_path / f"{fig.name}.{fmt}", ExportOptions(fmt=fmt))
            assert paths[0].exists() and paths[0].stat().st_size > 100
