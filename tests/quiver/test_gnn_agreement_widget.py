"""The GNN tab's "agreement with the exact evidence" line (issue 21): computed by the explain
job, shown with the explanation, marked stale when the quiver changes, back after an undo."""

import pytest

pytest.importorskip("PySide6")

from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.gnn.agreement import evidence_of, top_k_hits
from workbench_quiver.gnn.checkpoint import default_checkpoint_path

needs_default = pytest.mark.skipif(not default_checkpoint_path().exists(), reason="shipped checkpoint missing")


@pytest.fixture
def host(qtbot, standalone_shell):
    from workbench_quiver.ui.gnn_host import GnnDemoPanel

    panels = []

    def make(b=None):
        p = GnnDemoPanel(standalone_shell, b, "")
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
def test_agreement_line_follows_the_explanation_and_the_quiver(host, qtbot):
    b = standard_quiver("D~6")
    p = host(b)
    w = p.explain
    assert not w.agreement.isVisible()  # nothing explained yet
    w.method.setCurrentIndex(2)  # Integrated Gradients: fastest
    w.k.setValue(0)
    w.explain()
    qtbot.waitUntil(lambda: w.result is not None, timeout=240_000)
    a = w.result.agreement
    ev, label = evidence_of(b)
    assert a is not None and a.k == len(ev) == 4 and label == "D~6"
    # the number is the overlay's own top-|E| count against the recogniser's evidence
    assert a.hits == pytest.approx(top_k_hits(w.result.overlay.edge_importance, ev, 4))
    text = w.agreement.text()
    assert w.agreement.isVisible() and "exact evidence of D~6" in text
    assert "of the top 4 arrows lie" in text and "random arrows: 2.7" in text  # 4 * 4 / 6
    # another quiver: the agreement is not claimed for it
    p.set_b(standard_quiver("A5"))
    assert "stale" in w.agreement.text() and "of the top" not in w.agreement.text()
    # the explained quiver again (an undo): the line is back
    p.set_b(b)
    assert w.agreement.text() == text
    # a restored explanation (sessions keep no agreement) says so instead of a number
    from workbench_quiver.gnn.jobs import ExplainResult

    w.show_result(ExplainResult(w.result.overlay, None, 0.0), w.result_spec)
    assert "restored" in w.agreement.text() and "of the top" not in w.agreement.text()
    w.clear()
    assert not w.agreement.isVisible()
