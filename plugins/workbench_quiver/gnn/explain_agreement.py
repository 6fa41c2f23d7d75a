"""Explanation-vs-evidence experiment on D~ and D quivers (Qt-free; issue 21).

For a fixed, seeded set of D~ and D quivers (deep random mutation walks from the standard
quiver, then a random relabelling; deduplicated up to isomorphism) and for each explainer
variant, the precision at k of its edge mask against the arrows the exact recogniser draws
(:mod:`.agreement`), at k = 1, 3 and k = |E|, with percentile-bootstrap 95 % intervals over
the quivers, next to random arrows (``|E| / |A|`` per quiver) and the paired difference.

PGExplainer is trained the paper's way (arXiv 2411.07467, after Luo et al. 2020): one mask
predictor on the model's vertex embeddings of many D~ and D quivers (a training pool drawn
with another seed than the evaluation set), then applied to every evaluation quiver.  The
variants change one thing each: training budget, mask temperature, the explained output (the
six family logits or the D-vs-D~ pair, whose cross-entropy is ``softplus`` of the logit
difference), the training set (the panel's own: one quiver's mutants), and for GNNExplainer
and Integrated Gradients the masks (edges and vertex features, or edges only) and the
explanation type (``phenomenon``: the predicted family; ``model``: PyG's "model" target).

Run: ``python scripts/quiver_explain_agreement.py [--json] [--checkpoint FILE]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from workbench.seeding import seeded_global_rng

from . import FAMILIES
from .agreement import Agreement, arrows_of, evidence_of, top_k_agreement
from .dataset import sample_by_walks, to_data
from .explain import _MODEL_CONFIG, PG_EDGE_SIZE, _normalise, pg_explainer, pg_logits, reset_explain_state

#: D~_m has m + 1 vertices: D~6..D~9 and D7..D10 are the 7-10-vertex members of both families
EVAL_TYPES = ("D~6", "D~7", "D~8", "D~9", "D7", "D8", "D9", "D10")
KS: tuple[int | None, ...] = (1, 3, None)  # None: k = |E|


@dataclass(frozen=True)
class Variant:
    """One explainer configuration (see the module docstring)."""

    name: str
    method: str  # "GNNExplainer" | "PGExplainer" | "IntegratedGradients" | "random"
    output: str = "family"  # "family": the six logits | "contrast": (D, D~) logits only
    node_mask: bool = True  # GNNExplainer / IG: also a vertex-feature mask
    explanation_type: str = "phenomenon"  # GNNExplainer: "phenomenon" | "model"
    epochs: int = 10  # PGExplainer training epochs (GNNExplainer: 100 steps, fixed)
    pool_per_type: int = 24  # PGExplainer: training quivers per type in EVAL_TYPES
    temp: tuple[float, float] = (5.0, 2.0)  # PGExplainer: concrete temperature, first and last epoch
    train_on: str = "pool"  # PGExplainer: "pool" (many D~, D) | "mutants" (the panel: this quiver's)
    score: str = "mask"  # PGExplainer: "mask" (PyG's sigmoid mask) | "logit" (its MLP's logit: same order, unsaturated)
    edge_size: float = 0.05  # PGExplainer: PyG's size-penalty coefficient
    gnn_edge_size: float = 0.005  # GNNExplainer: PyG's size-penalty coefficient


#: the panel's PGExplainer (explain.py): ranked by its MLP's logits, size penalty PG_EDGE_SIZE
_PANEL_PG: dict[str, Any] = dict(score="logit", edge_size=PG_EDGE_SIZE)

DEFAULT_VARIANTS = (
    Variant("random arrows", "random"),
    Variant("Integrated Gradients (panel)", "IntegratedGradients"),
    Variant("GNNExplainer (panel)", "GNNExplainer"),
    Variant("PGExplainer, PyG defaults (size 0.05, sigmoid mask; the panel before)", "PGExplainer"),
    Variant(f"PGExplainer, panel now (size {PG_EDGE_SIZE}, ranked by logits)", "PGExplainer", **_PANEL_PG),
)

INVESTIGATION_VARIANTS = (
    Variant("PGExplainer, size 0.05, ranked by logits", "PGExplainer", score="logit"),
    Variant(f"PGExplainer, size {PG_EDGE_SIZE}, sigmoid mask", "PGExplainer", edge_size=PG_EDGE_SIZE),
    Variant("PGExplainer, size 0.05, 30 epochs", "PGExplainer", epochs=30),
    Variant("PGExplainer, size 0.05, temperature 1 -> 1", "PGExplainer", temp=(1.0, 1.0)),
    Variant("PGExplainer, size 0.05, explains D~ vs D", "PGExplainer", output="contrast"),
    Variant("PGExplainer, panel now, explains D~ vs D", "PGExplainer", output="contrast", **_PANEL_PG),
    Variant("PGExplainer, panel now, 30 epochs", "PGExplainer", epochs=30, **_PANEL_PG),
    Variant("GNNExplainer, edge mask only", "GNNExplainer", node_mask=False),
    Variant("GNNExplainer, edge mask only, D~ vs D", "GNNExplainer", node_mask=False, output="contrast"),
    Variant("GNNExplainer, edge mask only, size penalty 0.5", "GNNExplainer", node_mask=False, gnn_edge_size=0.5),
    Variant("Integrated Gradients, edge mask only", "IntegratedGradients", node_mask=False),
    Variant("Integrated Gradients, D~ minus D logit", "IntegratedGradients", output="contrast"),
)

#: too slow for the table (one PGExplainer training per quiver): run with --only mutants
MUTANT_VARIANTS = (
    Variant("PGExplainer, panel now, trained on this quiver's mutants", "PGExplainer", train_on="mutants", **_PANEL_PG),
)


class _Contrast(torch.nn.Module):
    """The model restricted to its D and D~ logits; for Integrated Gradients (``diff=True``)
    the two differences ``(l_D - l_D~, l_D~ - l_D)``, so the attributed output of the target
    column is the logit difference itself."""

    def __init__(self, model: torch.nn.Module, diff: bool = False) -> None:
        super().__init__()
        self.model = model
        self.config = model.config
        self.idx = [FAMILIES.index("D"), FAMILIES.index("D~")]
        self.diff = diff

    def forward(self, x, edge_index, edge_attr, batch=None):
        z = self.model(x, edge_index, edge_attr, batch)[:, self.idx]
        if self.diff:
            return torch.stack([z[:, 0] - z[:, 1], z[:, 1] - z[:, 0]], -1)
        return z


@dataclass
class QuiverSet:
    """Evaluation quivers: matrices, exact labels, evidence arrows; ``skipped`` counts quivers
    left out because the evidence is empty or covers every arrow (no information)."""

    bs: list[np.ndarray]
    labels: list[str]
    evidence: list[frozenset]
    skipped: int = 0


def sample_quivers(
    types: Sequence[str] = EVAL_TYPES, per_type: int = 8, seed: int = 0, walk: tuple[int, int] = (50, 200)
) -> QuiverSet:
    """``per_type`` pairwise non-isomorphic quivers of each type: a random walk of a length
    drawn from ``walk`` from the standard quiver, then a random relabelling.  Quivers whose
    evidence is empty or all arrows are replaced (counted in ``skipped``)."""
    rng = np.random.default_rng(seed)
    bs, labels, evs = [], [], []
    skipped = 0
    for t in types:
        got = 0
        for _attempt in range(20):
            if got >= per_type:
                break
            cand, _ = sample_by_walks(t, 2 * per_type, rng, walk_length=int(rng.integers(walk[0], walk[1] + 1)))
            for b in cand:
                if got >= per_type:
                    break
                p = rng.permutation(b.shape[0])
                b = np.asarray(b)[np.ix_(p, p)]
                ev, label = evidence_of(b)
                if not ev or len(ev) == len(arrows_of(b)):
                    skipped += 1
                    continue
                bs.append(b)
                labels.append(label)
                evs.append(ev)
                got += 1
    return QuiverSet(bs, labels, evs, skipped)


def _mutants(b: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The panel's PGExplainer training set (``jobs._explain``): ``b`` and ``count - 1``
    random mutants, 1..2n mutations each."""
    from ..core.mutation import mutate

    out = [b]
    n = b.shape[1]
    for _ in range(count - 1):
        c = b.copy()
        for _s in range(int(rng.integers(1, 2 * n + 1))):
            c = mutate(c, int(rng.integers(0, n)))
        if int(np.abs(c).max()) < 1000:
            out.append(c)
    return out


def train_pg(
    model: torch.nn.Module, bs: Sequence[np.ndarray], v: Variant, seed: int, feature_set: str
) -> tuple[Any, dict[str, float]]:
    """A PGExplainer for ``model`` trained on ``bs`` as ``v`` says; returns the Explainer and
    training statistics (final loss)."""
    data = [to_data(np.asarray(b), feature_set) for b in bs]
    data = [d for d in data if d.edge_index.shape[1] > 0]
    model.eval()
    reset_explain_state(model)
    with torch.no_grad():
        targets = [model(d.x, d.edge_index, d.edge_attr).argmax(-1) for d in data]
    losses: list[float] = []
    with seeded_global_rng(seed, "cpu"):
        algo, explainer = pg_explainer(model, v.epochs, 3e-3, v.edge_size, v.temp)
        order = np.random.default_rng(seed).permutation(len(data))
        try:
            for epoch in range(v.epochs):
                for i in order:
                    d = data[i]
                    losses.append(algo.train(epoch, model, d.x, d.edge_index, target=targets[i], edge_attr=d.edge_attr))
        finally:
            reset_explain_state(model)
    last = losses[-len(data) :] if losses else [float("nan")]
    return explainer, {"final_loss": float(np.mean(last)), "steps": float(len(losses))}


def importance(
    model: torch.nn.Module, b: np.ndarray, v: Variant, seed: int, feature_set: str, pg: Any = None
) -> dict[tuple[int, int], float]:
    """Edge importances of ``b`` under ``v`` (normalised to [0, 1]); ``model`` is the one the
    variant explains (already wrapped by :class:`_Contrast` where ``v.output`` says so)."""
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import CaptumExplainer, GNNExplainer

    arrows = arrows_of(b)
    d = to_data(b, feature_set)
    model.eval()
    with torch.no_grad():
        tgt = model(d.x, d.edge_index, d.edge_attr).argmax(-1)
    reset_explain_state(model)
    try:
        with seeded_global_rng(seed, "cpu"):
            if v.method == "PGExplainer" and v.score == "logit":
                w = pg_logits(pg, model, d).numpy().astype(np.float64)
                w = w - w.min()
                w = w / w.max() if w.max() > 0 else w
                return {a: float(x) for a, x in zip(arrows, w, strict=True)}
            if v.method == "PGExplainer":
                ex = pg(d.x, d.edge_index, target=tgt, edge_attr=d.edge_attr)
            elif v.method == "GNNExplainer":
                algo = GNNExplainer(epochs=100)
                algo.coeffs = {**algo.coeffs, "edge_size": float(v.gnn_edge_size)}  # per instance, as for PG
                ex = Explainer(
                    model=model,
                    algorithm=algo,
                    explanation_type=v.explanation_type,
                    node_mask_type="object" if v.node_mask else None,
                    edge_mask_type="object",
                    model_config=_MODEL_CONFIG,
                )(d.x, d.edge_index, target=tgt if v.explanation_type == "phenomenon" else None, edge_attr=d.edge_attr)
            elif v.method == "IntegratedGradients":
                ex = Explainer(
                    model=model,
                    algorithm=CaptumExplainer("IntegratedGradients", n_steps=25),
                    explanation_type="phenomenon",
                    node_mask_type="attributes" if v.node_mask else None,
                    edge_mask_type="object",
                    model_config=_MODEL_CONFIG,
                )(d.x, d.edge_index, target=tgt, edge_attr=d.edge_attr)
            else:
                raise ValueError(f"unknown explainer {v.method!r}")
    finally:
        reset_explain_state(model)
    w = _normalise(ex.edge_mask.detach().cpu().numpy())
    return {a: float(x) for a, x in zip(arrows, w, strict=True)}


def bootstrap_ci(x: np.ndarray, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``x`` (resampling its entries)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


@dataclass
class VariantResult:
    """Per variant: mean precision at each k with its CI, the random baseline, the paired
    difference explainer minus random with its CI, wins/ties/losses, diagnostics."""

    name: str
    method: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    diagnostics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _k_name(k: int | None) -> str:
    return "|E|" if k is None else str(k)


def summarise(name: str, method: str, agreements: list[list[Agreement]], seed: int = 0) -> VariantResult:
    """Aggregate per-quiver agreements (``agreements[q][i]`` at ``KS[i]``)."""
    res = VariantResult(name, method)
    for i, k in enumerate(KS):
        fr = np.array([a[i].fraction for a in agreements])
        rnd = np.array([a[i].random_fraction for a in agreements])
        diff = fr - rnd
        res.rows[_k_name(k)] = {
            "precision": float(fr.mean()),
            "ci": bootstrap_ci(fr, seed=seed),
            "random": float(rnd.mean()),
            "diff": float(diff.mean()),
            "diff_ci": bootstrap_ci(diff, seed=seed),
            "better_same_worse": (
                int((diff > 1e-9).sum()),
                int((np.abs(diff) <= 1e-9).sum()),
                int((diff < -1e-9).sum()),
            ),
        }
    return res


def run_experiment(
    model: Any,
    variants: Sequence[Variant] = DEFAULT_VARIANTS,
    per_type: int = 8,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The table: every variant on the same evaluation set (``sample_quivers(seed=seed)``);
    PGExplainer pools are drawn with ``seed + 1`` and never overlap it by construction of the
    seeds (a coincident quiver would only make PGExplainer's task easier)."""
    import copy

    feature_set = str(model.config.feature_set)
    qs = sample_quivers(per_type=per_type, seed=seed)
    out: dict[str, Any] = {
        "quivers": len(qs.bs),
        "types": list(EVAL_TYPES),
        "per_type": per_type,
        "skipped_uninformative": qs.skipped,
        "mean_arrows": float(np.mean([len(arrows_of(b)) for b in qs.bs])),
        "mean_evidence": float(np.mean([len(e) for e in qs.evidence])),
        "variants": [],
    }
    pools: dict[int, list[np.ndarray]] = {}
    for v in variants:
        t0 = time.perf_counter()
        base = copy.deepcopy(model)
        m = _Contrast(base, diff=v.method == "IntegratedGradients") if v.output == "contrast" else base
        diag: dict[str, float] = {}
        pg = None
        if v.method == "PGExplainer" and v.train_on == "pool":
            if v.pool_per_type not in pools:
                pools[v.pool_per_type] = sample_quivers(per_type=v.pool_per_type, seed=seed + 1).bs
            pg, diag = train_pg(m, pools[v.pool_per_type], v, seed, feature_set)
        agreements = []
        masks_sat, masks_sd = [], []
        for q, (b, ev, label) in enumerate(zip(qs.bs, qs.evidence, qs.labels, strict=True)):
            if v.method == "random":
                imp = {a: 1.0 for a in arrows_of(b)}  # all tied: the expected hits are the baseline
            else:
                if v.method == "PGExplainer" and v.train_on == "mutants":
                    pg, _ = train_pg(m, _mutants(b, 48, np.random.default_rng(seed + q)), v, seed, feature_set)
                imp = importance(m, b, v, seed, feature_set, pg)
                w = np.array(list(imp.values()))
                masks_sd.append(float(w.std()))
                masks_sat.append(float(np.mean(w > 0.99)))
            agreements.append([top_k_agreement(imp, ev, k, label) for k in KS])
        if masks_sd:
            diag["mask_sd_within_quiver"] = float(np.mean(masks_sd))
            diag["share_of_arrows_at_max"] = float(np.mean(masks_sat))
        r = summarise(v.name, v.method, agreements, seed)
        r.diagnostics = diag
        r.seconds = time.perf_counter() - t0
        out["variants"].append({**asdict(r), "variant": asdict(v)})
        if log is not None:
            row = r.rows["|E|"]
            log(f"{v.name}: precision@|E| {row['precision']:.3f} (random {row['random']:.3f}), {r.seconds:.0f} s")
    return out


def seed_stability(model: Any, variant: Variant, per_type: int = 1, seed: int = 1) -> list[float]:
    """Per quiver of ``sample_quivers(per_type, seed)``, the Spearman rank correlation of the
    edge importances that ``variant`` gives with explainer seeds 0 and 1 (1: the ranking does
    not depend on the explainer's random start).  GNNExplainer and Integrated Gradients only."""
    import copy

    from scipy.stats import spearmanr

    if variant.method not in ("GNNExplainer", "IntegratedGradients"):
        raise ValueError("seed stability is measured for GNNExplainer and Integrated Gradients")
    m = copy.deepcopy(model)
    fs = str(model.config.feature_set)
    out = []
    for b in sample_quivers(per_type=per_type, seed=seed).bs:
        a0, a1 = importance(m, b, variant, 0, fs), importance(m, b, variant, 1, fs)
        out.append(float(spearmanr(list(a0.values()), [a1[k] for k in a0]).correlation))
    return out


def format_table(result: dict[str, Any]) -> str:
    """Markdown table of :func:`run_experiment`'s result."""
    head = (
        "| explainer | "
        + " | ".join(f"top-{k} in evidence" for k in ("1", "3", "|E|"))
        + " | minus random at k=|E| | better/same/worse |"
    )
    lines = [head, "|---|---|---|---|---|---|"]
    for v in result["variants"]:
        cells = []
        for k in ("1", "3", "|E|"):
            r = v["rows"][k]
            cells.append(f"{r['precision']:.2f} [{r['ci'][0]:.2f}, {r['ci'][1]:.2f}]")
        r = v["rows"]["|E|"]
        bsw = "/".join(str(x) for x in r["better_same_worse"]) if v["method"] != "random" else "-"
        diff = f"{r['diff']:+.2f} [{r['diff_ci'][0]:+.2f}, {r['diff_ci'][1]:+.2f}]" if v["method"] != "random" else "-"
        lines.append(f"| {v['name']} | " + " | ".join(cells) + f" | {diff} | {bsw} |")
    return "\n".join(lines)
