"""Explanations of the classifier's predictions (Qt-free).

* GNNExplainer (Ying et al. 2019): soft edge and vertex masks optimised per quiver to keep the
  prediction with sparse masks (``torch_geometric.explain.algorithm.GNNExplainer``).
* PGExplainer (Luo et al. 2020): an MLP on pairs of vertex embeddings, trained once on a set
  of quivers, predicts edge masks (``torch_geometric.explain.algorithm.PGExplainer``).  Arrows
  are ranked by the MLP's logits, not by the mask (their sigmoid, 1.0 in float32 for most
  arrows), and the size penalty is :data:`PG_EDGE_SIZE`, not PyG's 0.05 (see there).
* Integrated Gradients (Sundararajan et al. 2017) via captum: the path integral
  ``(m - m0) * int_0^1 dF(m0 + a (m - m0))/dm da`` of the predicted logit with respect to the
  edge mask (all-ones input, all-zeros baseline) and vertex features
  (``torch_geometric.explain.algorithm.CaptumExplainer("IntegratedGradients")``).

Edge masks act inside :class:`model.DirGINEConv` on both the in- and the out-aggregation of
an arrow (PyG's explain hook multiplies every message of that arrow).  Importances are
returned as an :class:`overlay.ExplanationOverlay` normalised to [0, 1].

The masking experiment of arXiv 2411.07467: mask the top-k arrows by importance and compare
the drop of the predicted family's probability with masking k random arrows.  How often the top
arrows lie in the exact recogniser's evidence is measured by :mod:`.agreement` and
:mod:`.explain_agreement` (table in docs/quiver_gnn.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from workbench.seeding import seeded_global_rng

from . import FAMILIES
from .dataset import to_data
from .model import DirGINE
from .overlay import ExplanationOverlay

METHODS = ("GNNExplainer", "PGExplainer", "IntegratedGradients")
_MODEL_CONFIG = dict(mode="multiclass_classification", task_level="graph", return_type="raw")

#: PGExplainer's size penalty per unit of mask (PyG's default is 0.05).  With 0.05 the mask
#: predictor learns to keep every arrow of these quivers (switching any message off sends the
#: prediction to E or E~), so its masks carry no ranking; with 0.5 its top arrows lie in the exact
#: evidence of D~ and D quivers (docs/quiver_gnn.md, scripts/quiver_explain_agreement.py).
PG_EDGE_SIZE = 0.5
#: PGExplainer's concrete-relaxation temperature at the first and the last epoch (PyG's default)
PG_TEMP = (5.0, 2.0)


def _arrows(b: np.ndarray) -> list[tuple[int, int]]:
    n = b.shape[1]
    i, j = np.nonzero(np.asarray(b)[:n, :n] > 0)
    return [(int(a), int(c)) for a, c in zip(i, j, strict=True)]


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.abs(np.asarray(v, dtype=np.float64))
    m = v.max() if v.size else 0.0
    return v / m if m > 0 else v


def _node_from_edges(n: int, arrows: list[tuple[int, int]], w: np.ndarray) -> np.ndarray:
    out = np.zeros(n)
    for (i, j), x in zip(arrows, w, strict=True):
        out[i] += x
        out[j] += x
    return out


def reset_explain_state(model: torch.nn.Module) -> None:
    """Clear PyG's explain masks *and* the ``_edge_mask`` parameter slot that GNNExplainer
    registers on every MessagePassing layer.  Without this, a later ``set_masks`` (Captum,
    PGExplainer) wraps its mask in a fresh ``Parameter`` and gradients never reach the
    explainer's input (torch_geometric 2.x behaviour when one model serves several
    explainers)."""
    from torch_geometric.explain.algorithm.utils import clear_masks
    from torch_geometric.nn import MessagePassing

    clear_masks(model)
    for module in model.modules():
        if isinstance(module, MessagePassing):
            module._parameters.pop("_edge_mask", None)
            module.__dict__.pop("_edge_mask", None)
            module._edge_mask = None


def pg_explainer(
    model: torch.nn.Module,
    epochs: int,
    lr: float,
    edge_size: float,
    temp: Sequence[float],
    device: str = "cpu",
) -> tuple[Any, Any]:
    """An untrained PyG PGExplainer (``epochs``, ``lr``; size penalty ``edge_size``, temperature
    schedule ``temp``) and the ``Explainer`` around it, explaining ``model``'s phenomenon with
    an object-level edge mask.  PyG keeps ``coeffs`` as a class attribute that
    ``PGExplainer(**kwargs)`` would update for every later instance: this one gets its own copy.
    Call it inside :func:`workbench.seeding.seeded_global_rng` (its MLP is drawn from torch's
    process-wide generator)."""
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import PGExplainer

    algo = PGExplainer(epochs=epochs, lr=lr).to(device)
    algo.coeffs = {**algo.coeffs, "edge_size": float(edge_size), "temp": [float(t) for t in temp]}
    explainer = Explainer(
        model=model,
        algorithm=algo,
        explanation_type="phenomenon",
        edge_mask_type="object",
        model_config=_MODEL_CONFIG,
    )
    return algo, explainer


def train_pgexplainer(
    model: DirGINE,
    bs: Sequence[np.ndarray],
    epochs: int = 20,
    lr: float = 3e-3,
    seed: int = 0,
    device: str = "cpu",
    cancelled=None,
    progress=None,
    edge_size: float = PG_EDGE_SIZE,
    temp: tuple[float, float] = PG_TEMP,
):
    """Train a PGExplainer on the quivers ``bs`` (explaining the model's own predictions);
    returns the trained ``Explainer``.  ``edge_size``: the size penalty (see
    :data:`PG_EDGE_SIZE`); ``temp``: the temperature schedule.

    The work is bounded: ``epochs * len(bs)`` optimisation steps of PyG's PGExplainer (one
    quiver each), nothing else.  ``progress(fraction, message)`` is called after every step,
    ``cancelled()`` polled before every step (``InterruptedError`` when it returns True).

    PyG's PGExplainer draws its MLP's initial weights and its concrete-distribution noise from
    torch's process-wide generator only, so construction and training run inside
    :func:`workbench.seeding.seeded_global_rng` (``seed``): reproducible, and serialised with
    other such sections on other threads."""

    model.eval()
    data = [to_data(np.asarray(b), model.config.feature_set).to(device) for b in bs]
    data = [d for d in data if d.edge_index.shape[1] > 0]
    reset_explain_state(model)
    with torch.no_grad():
        targets = [model(d.x, d.edge_index, d.edge_attr).argmax(-1) for d in data]
    with seeded_global_rng(seed, device):
        algo, explainer = pg_explainer(model, epochs, lr, edge_size, temp, device)
        total = max(epochs * len(data), 1)
        try:
            for epoch in range(epochs):
                for step, (d, t) in enumerate(zip(data, targets, strict=True)):
                    if cancelled is not None and cancelled():
                        raise InterruptedError("PGExplainer training cancelled")
                    algo.train(epoch, model, d.x, d.edge_index, target=t, edge_attr=d.edge_attr)
                    if progress is not None:
                        done = epoch * len(data) + step + 1
                        progress(done / total, f"training PGExplainer: epoch {epoch + 1}/{epochs}, step {done}/{total}")
        finally:
            reset_explain_state(model)
    return explainer


def explain(
    model: DirGINE,
    b: np.ndarray,
    method: str = "GNNExplainer",
    seed: int = 0,
    epochs: int = 100,
    pg_explainer=None,
    device: str = "cpu",
    target: int | None = None,
    ig_steps: int = 25,
) -> ExplanationOverlay:
    """Importances of the arrows and vertices of ``b`` for the model's predicted family
    (or ``target``).  ``pg_explainer``: an Explainer from :func:`train_pgexplainer` (required
    for PGExplainer).  ``seed`` seeds GNNExplainer's initial masks inside
    :func:`workbench.seeding.seeded_global_rng` (serialised with other such sections)."""
    if method not in METHODS:
        raise ValueError(f"unknown explanation method {method!r}: choose from {METHODS}")
    b = np.asarray(b)
    n = b.shape[1]
    arrows = _arrows(b)
    model.eval()
    d = to_data(b, model.config.feature_set).to(device)
    with torch.no_grad():
        probs = torch.softmax(model(d.x, d.edge_index, d.edge_attr), -1)[0].cpu().numpy()
    pred = int(np.argmax(probs)) if target is None else int(target)
    if not arrows:
        return ExplanationOverlay({}, [0.0] * n, method, FAMILIES[pred], float(probs[pred]))
    tgt = torch.tensor([pred], device=device)
    reset_explain_state(model)
    try:
        # GNNExplainer draws its initial masks from torch's process-wide generator only
        with seeded_global_rng(seed, device):
            ew, nw = _run_method(model, d, n, arrows, method, tgt, epochs, pg_explainer, ig_steps)
    finally:
        reset_explain_state(model)
    ew, nw = _normalise(ew), _normalise(nw)
    return ExplanationOverlay(
        {a: float(w) for a, w in zip(arrows, ew, strict=True)},
        [float(x) for x in nw],
        method,
        FAMILIES[pred],
        float(probs[pred]),
    )


@torch.no_grad()
def pg_logits(explainer, model: torch.nn.Module, d) -> torch.Tensor:
    """A trained PGExplainer's per-arrow logits for the graph ``d`` (its edge mask is their
    sigmoid): the MLP of Luo et al. on the last message-passing layer's vertex embeddings of
    both ends of every arrow."""
    from torch_geometric.utils import get_embeddings

    algo = explainer.algorithm
    if algo._curr_epoch < algo.epochs - 1:
        raise ValueError("PGExplainer is not trained yet: call train_pgexplainer first")
    z = get_embeddings(model, d.x, d.edge_index, edge_attr=d.edge_attr)[-1]
    return algo.mlp(algo._get_inputs(z, d.edge_index, None)).view(-1)


def _run_method(model, d, n, arrows, method, tgt, epochs, pg_explainer, ig_steps):
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import CaptumExplainer, GNNExplainer

    if method == "GNNExplainer":
        explainer = Explainer(
            model=model,
            algorithm=GNNExplainer(epochs=epochs),
            explanation_type="phenomenon",
            node_mask_type="object",
            edge_mask_type="object",
            model_config=_MODEL_CONFIG,
        )
        ex = explainer(d.x, d.edge_index, target=tgt, edge_attr=d.edge_attr)
        ew = ex.edge_mask.detach().cpu().numpy()
        nw = ex.node_mask.detach().cpu().numpy().reshape(n, -1).sum(1)
    elif method == "PGExplainer":
        if pg_explainer is None:
            raise ValueError("PGExplainer needs a trained explainer: call train_pgexplainer first")
        # rank by the mask predictor's logits: its mask, their sigmoid, is 1.0 in float32 for
        # most arrows of a confident prediction, which ties them all (and ties rank at random)
        lg = pg_logits(pg_explainer, model, d).cpu().numpy().astype(np.float64)
        ew = lg - lg.min()
        nw = _node_from_edges(n, arrows, ew)
    else:
        explainer = Explainer(
            model=model,
            algorithm=CaptumExplainer("IntegratedGradients", n_steps=ig_steps),
            explanation_type="phenomenon",
            node_mask_type="attributes",
            edge_mask_type="object",
            model_config=_MODEL_CONFIG,
        )
        ex = explainer(d.x, d.edge_index, target=tgt, edge_attr=d.edge_attr)
        ew = ex.edge_mask.detach().cpu().numpy()
        nw = np.abs(ex.node_mask.detach().cpu().numpy()).sum(1)
    return ew, nw


def remove_arrows(b: np.ndarray, arrows: Sequence[tuple[int, int]]) -> np.ndarray:
    """``b`` with the arrows ``i -> j`` in ``arrows`` deleted (all their multiplicity)."""
    out = np.array(b, copy=True)
    for i, j in arrows:
        out[i, j] = 0
        out[j, i] = 0
    return out


@dataclass
class MaskingResult:
    """Top-k masking: probabilities before and after masking the ``k`` most important arrows,
    the drop of the originally predicted family's probability, and the mean drop over random
    k-sets of arrows."""

    k: int
    masked: list[tuple[int, int]]
    probs_before: dict[str, float]
    probs_after: dict[str, float]
    predicted_before: str
    predicted_after: str
    prob_drop: float
    random_prob_drop: float
    random_prob_drops: list[float] = field(default_factory=list)


@torch.no_grad()
def _logits(
    model: DirGINE, b: np.ndarray, device: str, drop: Sequence[tuple[int, int]] = (), mode: str = "messages"
) -> np.ndarray:
    """Logits of ``b`` with the arrows ``drop`` masked.

    mode "messages": the arrows' messages are switched off inside every layer through PyG's
    explain hook (the explainers' own notion of masking; vertex features unchanged);
    mode "delete": the arrows are deleted from the quiver (vertex features recomputed)."""
    from torch_geometric.explain.algorithm.utils import set_masks

    if mode == "delete":
        d = to_data(remove_arrows(b, drop), model.config.feature_set).to(device)
        return model(d.x, d.edge_index, d.edge_attr)[0].cpu().numpy()
    if mode != "messages":
        raise ValueError(f"unknown masking mode {mode!r}: 'messages' or 'delete'")
    d = to_data(b, model.config.feature_set).to(device)
    if not drop:
        return model(d.x, d.edge_index, d.edge_attr)[0].cpu().numpy()
    arrows = _arrows(b)
    gone = set(map(tuple, drop))
    mask = torch.tensor([0.0 if a in gone else 1.0 for a in arrows], device=device)
    reset_explain_state(model)
    set_masks(model, mask, d.edge_index, apply_sigmoid=False)
    try:
        return model(d.x, d.edge_index, d.edge_attr)[0].cpu().numpy()
    finally:
        reset_explain_state(model)


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max())
    return e / e.sum()


def mask_top_k(
    model: DirGINE,
    b: np.ndarray,
    overlay: ExplanationOverlay,
    k: int,
    n_random: int = 20,
    seed: int = 0,
    device: str = "cpu",
    mode: str = "messages",
) -> MaskingResult:
    """Mask the top-``k`` arrows of ``overlay`` and ``n_random`` random k-sets of arrows; the
    drops are of the originally predicted family's probability
    ``prob_drop``: P(predicted) before minus after; logits saturate once a quiver is broken)."""
    b = np.asarray(b)
    arrows = _arrows(b)
    k = max(0, min(int(k), len(arrows)))
    lg0 = _logits(model, b, device)
    pred = int(np.argmax(lg0))
    p0 = _softmax(lg0)
    top = overlay.top_arrows(k)
    lg1 = _logits(model, b, device, top, mode)
    p1 = _softmax(lg1)
    rng = np.random.default_rng(seed)
    drops = []
    for _ in range(n_random if k else 0):
        sel = rng.choice(len(arrows), size=k, replace=False)
        pr = _softmax(_logits(model, b, device, [arrows[s] for s in sel], mode))
        drops.append(float(p0[pred] - pr[pred]))
    return MaskingResult(
        k,
        top,
        dict(zip(FAMILIES, p0.tolist(), strict=True)),
        dict(zip(FAMILIES, p1.tolist(), strict=True)),
        FAMILIES[pred],
        FAMILIES[int(np.argmax(lg1))],
        float(p0[pred] - p1[pred]),
        float(np.mean(drops)) if drops else 0.0,
        drops,
    )
