"""Agreement of explanations with the exact evidence (issue 21): the precision-at-k metric
against hand counts and the hypergeometric mean, the evidence of standard quivers, the job's
agreement, and the experiment's bootstrap."""

import numpy as np
import pytest

from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.gnn.agreement import (
    Agreement,
    arrows_of,
    evidence_of,
    top_k_agreement,
    top_k_hits,
)
from workbench_quiver.gnn.checkpoint import default_checkpoint_path

needs_default = pytest.mark.skipif(not default_checkpoint_path().exists(), reason="shipped checkpoint missing")

IMP = {(0, 1): 0.9, (1, 2): 0.8, (2, 3): 0.7, (3, 4): 0.1, (4, 5): 0.05}
EV = {(1, 2), (3, 4)}


def test_hits_count_the_top_k_by_hand():
    assert top_k_hits(IMP, EV, 1) == 0  # (0, 1)
    assert top_k_hits(IMP, EV, 2) == 1  # + (1, 2)
    assert top_k_hits(IMP, EV, 3) == 1
    assert top_k_hits(IMP, EV, 4) == 2
    assert top_k_hits(IMP, EV, 9) == 2  # capped at the arrows
    assert top_k_hits(IMP, EV, 0) == 0


def test_ties_are_averaged_not_broken_by_index():
    flat = {a: 1.0 for a in IMP}
    # every arrow tied: exactly the random baseline k |E| / |A|, whatever the index order
    for k in range(1, 6):
        assert top_k_hits(flat, EV, k) == pytest.approx(k * 2 / 5)
    # a tie across the k-th place: (0, 1) above, then (1, 2), (2, 3), (3, 4) tied for 2 slots
    part = {(0, 1): 1.0, (1, 2): 0.5, (2, 3): 0.5, (3, 4): 0.5, (4, 5): 0.0}
    assert top_k_hits(part, EV, 3) == pytest.approx(2 * 2 / 3)
    # float32 saturation (a sigmoid at 1 - 1e-8) counts as a tie
    sat = {(0, 1): 1.0, (1, 2): 1.0 - 1e-8, (2, 3): 1.0, (3, 4): 0.2, (4, 5): 0.1}
    assert top_k_hits(sat, EV, 1) == pytest.approx(1 / 3)


def test_agreement_fields_and_random_baseline():
    a = top_k_agreement(IMP, EV, label="D5")
    assert (a.k, a.hits, a.evidence_size, a.n_arrows) == (2, 1, 2, 5)
    assert a.fraction == 0.5 and a.random_fraction == pytest.approx(0.4) and a.random_hits == pytest.approx(0.8)
    assert a.text() == "1 of the top 2 arrows lie in the exact evidence of D5 (2 of 5 arrows; random arrows: 0.8)"
    one = top_k_agreement(IMP, EV, 1)
    assert one.text().startswith("the top arrow does not lie in the exact evidence")
    assert top_k_agreement(IMP, EV, 2).text().startswith("1 of the top 2")
    with pytest.raises(ValueError, match="not arrows of the explained quiver"):
        top_k_agreement(IMP, {(5, 0)})
    with pytest.raises(ValueError, match="k must be"):
        top_k_agreement(IMP, EV, -1)


def test_random_scores_match_the_hypergeometric_mean_by_simulation():
    rng = np.random.default_rng(0)
    arrows = list(IMP)
    sims = []
    for _ in range(4000):
        imp = dict(zip(arrows, rng.permutation(len(arrows)).astype(float), strict=True))
        sims.append(top_k_agreement(imp, EV, 3).hits)
    assert np.mean(sims) == pytest.approx(3 * 2 / 5, abs=0.04)


def test_evidence_of_standard_quivers_is_the_exact_criterion():
    # D~6: the two forks (Type I punctures) at both ends of the path
    ev, label = evidence_of(standard_quiver("D~6"))
    assert label == "D~6" and ev == {(2, 5), (2, 6), (3, 0), (4, 0)}
    # D6: the fork at the end
    ev, label = evidence_of(standard_quiver("D6"))
    assert label == "D6" and ev == {(3, 4), (3, 5)}
    # every evidence arrow is an arrow of b with its orientation, also after a relabelling
    b = standard_quiver("D~7")
    p = np.random.default_rng(3).permutation(b.shape[0])
    bp = b[np.ix_(p, p)]
    ev, _ = evidence_of(bp)
    assert ev and ev <= set(arrows_of(bp))
    # a table type draws no arrows
    assert evidence_of(standard_quiver("E6"))[0] == frozenset()


def test_evidence_agreement_refuses_certificates_of_mutated_quivers():
    from workbench_quiver.gnn.jobs import evidence_agreement
    from workbench_quiver.gnn.overlay import ExplanationOverlay

    # an acyclic quiver of infinite type with simple arrows: its certificate lives after mutations
    b = np.zeros((4, 4), dtype=np.int64)
    for i, j in [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)]:
        b[i, j], b[j, i] = 1, -1
    from workbench_quiver.core.identify import identify

    r = identify(b)
    assert r.label == "infinite" and r.certificate  # 3 arrows 0 -> 3 after mutating at 2, 1
    ov = ExplanationOverlay({a: 1.0 for a in arrows_of(b)}, [0.0] * 4, "GNNExplainer")
    assert evidence_agreement(ov, b) is None
    d = standard_quiver("D~6")
    imp = {a: (1.0 if a in {(2, 5), (2, 6), (3, 0), (4, 0)} else 0.1) for a in arrows_of(d)}
    a = evidence_agreement(ExplanationOverlay(imp, [0.0] * 7, "GNNExplainer"), d)
    assert isinstance(a, Agreement) and (a.k, a.hits, a.label) == (4, 4, "D~6")


def test_bootstrap_interval_and_summary():
    from workbench_quiver.gnn.explain_agreement import KS, bootstrap_ci, summarise

    assert bootstrap_ci(np.full(10, 0.3)) == pytest.approx((0.3, 0.3))
    lo, hi = bootstrap_ci(np.r_[np.zeros(50), np.ones(50)])
    assert lo < 0.5 < hi and hi - lo < 0.25
    flat = {a: 1.0 for a in IMP}
    good = {a: (1.0 if a in EV else 0.0) for a in IMP}
    rnd = summarise("random", "random", [[top_k_agreement(flat, EV, k) for k in KS]] * 5)
    best = summarise("oracle", "x", [[top_k_agreement(good, EV, k) for k in KS]] * 5)
    assert rnd.rows["|E|"]["diff"] == pytest.approx(0) and rnd.rows["|E|"]["better_same_worse"] == (0, 5, 0)
    assert best.rows["|E|"]["precision"] == 1 and best.rows["|E|"]["diff"] == pytest.approx(0.6)
    assert best.rows["1"]["precision"] == 1


@needs_default
def test_explain_job_reports_agreement_with_the_evidence():
    from workbench.jobs import JobContext
    from workbench_quiver.gnn.jobs import ExplainSpec, as_matrix, run_explain

    b = standard_quiver("D~6")
    res = run_explain(ExplainSpec(as_matrix(b), method="IntegratedGradients", k=0), JobContext())
    a = res.agreement
    ev, _ = evidence_of(b)
    assert a is not None and a.k == len(ev) == a.evidence_size and a.n_arrows == len(arrows_of(b))
    assert a.hits == pytest.approx(top_k_hits(res.overlay.edge_importance, ev, len(ev)))
    # E6 is recognised from a table: no arrows drawn, so no number but a reason
    from workbench_quiver.gnn.jobs import NO_EVIDENCE

    e6 = run_explain(ExplainSpec(as_matrix(standard_quiver("E6")), method="IntegratedGradients", k=0), JobContext())
    assert e6.agreement == NO_EVIDENCE


def test_evaluation_set_is_seeded_and_informative():
    from workbench_quiver.gnn.explain_agreement import EVAL_TYPES, sample_quivers

    a, b = sample_quivers(per_type=1, seed=3), sample_quivers(per_type=1, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a.bs, b.bs, strict=True))
    assert a.labels == list(EVAL_TYPES)  # the exact type of each walk's end is its start's
    for q, ev in zip(a.bs, a.evidence, strict=True):
        arrows = set(arrows_of(q))
        assert ev and ev < arrows  # neither empty nor every arrow
    c = sample_quivers(per_type=1, seed=4)
    assert any(not np.array_equal(x, y) for x, y in zip(a.bs, c.bs, strict=True))
