"""Per-class metrics of Chern-number predictions (Qt-free, numpy): the 5 x 5 confusion matrix and
the accuracy by |C|, computed in the prediction and training jobs (never on the GUI thread)."""

from __future__ import annotations

import numpy as np

CLASSES = (-2, -1, 0, 1, 2)


def prediction_metrics(labels: np.ndarray, predicted: np.ndarray) -> dict:
    """{"confusion": 5 x 5 counts (rows: true C = -2..2, columns: predicted), "accuracy_by_abs_c":
    {"0", "1", "2": accuracy of the samples with that |C| (nan when there are none)}, "counts_by_abs_c",
    "accuracy"}; predictions outside -2..2 count as wrong and are left out of the matrix."""
    y, p = np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    if y.shape != p.shape:
        raise ValueError(f"{len(p)} predictions for {len(y)} labels")
    conf = np.zeros((5, 5), dtype=np.int64)
    inside = (np.abs(y) <= 2) & (np.abs(p) <= 2)
    np.add.at(conf, (y[inside] + 2, p[inside] + 2), 1)
    by, counts = {}, {}
    for k in (0, 1, 2):
        sel = np.abs(y) == k
        counts[str(k)] = int(sel.sum())
        by[str(k)] = float(np.mean(p[sel] == y[sel])) if sel.any() else float("nan")
    return {
        "confusion": conf.tolist(),
        "accuracy_by_abs_c": by,
        "counts_by_abs_c": counts,
        "accuracy": float(np.mean(p == y)) if len(y) else float("nan"),
    }
