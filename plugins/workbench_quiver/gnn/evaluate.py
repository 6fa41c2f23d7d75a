"""Accuracy of one classifier, or of an ensemble, by number of vertices (Qt-free).

``workbench quiver evaluate --data deep.npz [--checkpoint a.safetensors --checkpoint b...]``
prints, for every vertex count n of the data set, the accuracy, the accuracy of each family and
the confusion matrix (rows: true family, columns: predicted, in the order of
:data:`workbench_quiver.gnn.FAMILIES`), next to the paper's size-generalisation accuracy
(arXiv 2411.07467) where it reports one.  Several checkpoints are an ensemble: the prediction is
the argmax of the mean of their logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from . import FAMILIES
from .dataset import QuiverDataset, pack

#: arXiv 2411.07467, size generalisation of the model trained on 7-10 vertices (percent)
PAPER_BY_SIZE: dict[int, float] = {
    11: 99.2,
    12: 99.6,
    13: 98.7,
    14: 97.7,
    15: 95.5,
    16: 94.3,
    17: 92.0,
    18: 91.1,
    19: 89.4,
    20: 89.1,
}


@dataclass
class SizeRow:
    """One vertex count: ``accuracy`` in [0, 1] of ``count`` quivers, ``per_family`` accuracy,
    ``confusion`` (6 x 6 counts, rows true, columns predicted), the paper's percent or None."""

    n: int
    count: int
    accuracy: float
    per_family: dict[str, float]
    confusion: list[list[int]]
    paper: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def ensemble_logits(models: Sequence, ds: QuiverDataset, cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """Mean logits (G, 6) of ``models`` (DirGINE, eval mode) on ``ds``; packs once per feature set."""
    from .train import logits_of

    if not models:
        raise ValueError("no model to evaluate")
    packs: dict[str, object] = {}
    total = None
    for m in models:
        fs = m.config.feature_set
        if fs not in packs:
            packs[fs] = pack(ds, fs, cancelled)
        lg = logits_of(m, packs[fs], cancelled=cancelled).numpy().astype(np.float64)  # type: ignore[arg-type]
        total = lg if total is None else total + lg
    assert total is not None
    return total / len(models)


def by_size(pred: np.ndarray, ds: QuiverDataset) -> list[SizeRow]:
    """Rows of :class:`SizeRow`, one per vertex count of ``ds``, from predicted family indices."""
    pred = np.asarray(pred, dtype=np.int64)
    y = np.asarray(ds.label, dtype=np.int64)
    nn = np.asarray(ds.n_nodes, dtype=np.int64)
    if len(pred) != len(y):
        raise ValueError(f"{len(pred)} predictions for {len(y)} quivers")
    rows = []
    for n in sorted(set(nn.tolist())):
        sel = nn == n
        ok = pred[sel] == y[sel]
        conf = np.zeros((len(FAMILIES), len(FAMILIES)), dtype=np.int64)
        np.add.at(conf, (y[sel], pred[sel]), 1)
        per_family = {f: float(ok[y[sel] == k].mean()) for k, f in enumerate(FAMILIES) if np.any(y[sel] == k)}
        rows.append(SizeRow(n, int(sel.sum()), float(ok.mean()), per_family, conf.tolist(), PAPER_BY_SIZE.get(n)))
    return rows


def evaluate_by_size(models: Sequence, ds: QuiverDataset) -> list[SizeRow]:
    """:func:`by_size` of the (ensemble) argmax of ``models`` on ``ds``."""
    return by_size(ensemble_logits(models, ds).argmax(1), ds)


def format_table(rows: Sequence[SizeRow]) -> str:
    """A plain-text table: n, count, accuracy %, paper %, per-family %, and the main confusions."""
    fams = [f for f in FAMILIES if any(f in r.per_family for r in rows)]
    head = f"{'n':>3} {'count':>6} {'acc %':>7} {'paper':>6} " + " ".join(f"{f:>6}" for f in fams) + "  main errors"
    lines = [head]
    for r in rows:
        paper = f"{r.paper:6.1f}" if r.paper is not None else f"{'':>6}"
        fam = " ".join(f"{100 * r.per_family[f]:6.1f}" if f in r.per_family else f"{'':>6}" for f in fams)
        errs = []
        c = np.asarray(r.confusion)
        for i, j in sorted(
            ((i, j) for i in range(len(FAMILIES)) for j in range(len(FAMILIES)) if i != j and c[i, j]),
            key=lambda ij: -c[ij],
        )[:3]:
            errs.append(f"{FAMILIES[i]}->{FAMILIES[j]} {c[i, j]}")
        lines.append(f"{r.n:>3} {r.count:>6} {100 * r.accuracy:7.2f} {paper} {fam}  {', '.join(errs)}")
    return "\n".join(lines)
