"""Hidden representations of the classifier: graph embeddings, PCA, linear probe (Qt-free).

arXiv 2411.07467 shows that the graph embeddings of a trained DirGINE separate Vatne's four
types of D_n quivers (Vatne 2010: Type I, a fork of two leaves at one vertex; Type II, an
oriented 4-cycle-with-diagonal core; Type III, an oriented square with two spikes; Type IV, a
central oriented cycle of length >= 3 with spikes) although the network was never told them;
a linear probe (multinomial logistic regression on the embeddings) recovers them with 99.7%
accuracy.  The types are read from the exact core's evidence
(``identify(b).evidence["vatne_type"]``).

PCA: projection on the two leading right-singular vectors of the centred embedding matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .dataset import QuiverDataset, pack
from .model import DirGINE

VATNE_TYPES = ("I", "II", "III", "IV")


@torch.no_grad()
def graph_embeddings(
    model: DirGINE,
    ds: QuiverDataset,
    layer: int = -1,
    device: str = "cpu",
    batch_size: int = 2048,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """(G, d) pooled embeddings after message-passing layer ``layer`` (0-based; -1 = the
    head's hidden layer, the representation the classifier reads)."""
    n_layers = model.config.layers
    if not (-1 <= layer < n_layers):
        raise ValueError(f"layer must be -1 (head) or 0..{n_layers - 1}, got {layer}")
    packed = pack(ds, model.config.feature_set, cancelled)
    model.eval()
    out = []
    for s in range(0, len(ds), batch_size):
        if cancelled is not None and cancelled():
            raise InterruptedError("embedding cancelled")
        x, ei, ea, b, _ = packed.batch(np.arange(s, min(s + batch_size, len(ds))), device)
        embs = model.graph_embeddings(x, ei, ea, b)
        out.append(embs[layer if layer >= 0 else len(embs) - 1].cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.hidden))


@dataclass
class PCAResult:
    coords: np.ndarray  # (G, 2)
    explained: np.ndarray  # fraction of variance of PC1, PC2
    mean: np.ndarray
    components: np.ndarray  # (2, d)


def pca_2d(z: np.ndarray) -> PCAResult:
    """Two-component PCA by SVD of the centred data."""
    z = np.asarray(z, dtype=np.float64)
    mean = z.mean(0)
    c = z - mean
    _, s, vt = np.linalg.svd(c, full_matrices=False)
    comps = vt[:2]
    if comps.shape[0] < 2:
        comps = np.vstack([comps, np.zeros((2 - comps.shape[0], z.shape[1]))])
    var = s**2
    expl = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    return PCAResult(c @ comps.T, np.pad(expl, (0, 2 - len(expl))), mean, comps)


def vatne_types(bs: Sequence[np.ndarray], cancelled: Callable[[], bool] | None = None) -> list[str]:
    """Vatne type (I-IV) of each D_n quiver from the exact core (``""`` if not of type D)."""
    from ..core.identify import identify

    out = []
    for k, b in enumerate(bs):
        if cancelled is not None and k % 200 == 0 and cancelled():
            raise InterruptedError("cancelled")
        r = identify(np.asarray(b))
        out.append(str(r.evidence.get("vatne_type", "")) if r.family == "D" else "")
    return out


@dataclass
class ProbeResult:
    """Linear probe: train/test accuracy of logistic regression on embeddings, per-class counts."""

    train_accuracy: float
    test_accuracy: float
    n_train: int
    n_test: int
    classes: list[str]
    confusion: list[list[int]] = field(default_factory=list)


def linear_probe(z: np.ndarray, labels: Sequence[str], test_fraction: float = 0.3, seed: int = 0) -> ProbeResult:
    """Multinomial logistic regression (scikit-learn, standardised inputs) on a stratified
    split; accuracy on the held-out part."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(labels)
    classes = sorted(set(y.tolist()))
    if len(classes) < 2:
        raise ValueError(f"a linear probe needs at least two classes, got {classes}")
    counts = {c: int((y == c).sum()) for c in classes}
    strat = y if min(counts.values()) >= 2 else None
    ztr, zte, ytr, yte = train_test_split(z, y, test_size=test_fraction, random_state=seed, stratify=strat)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=10.0))
    clf.fit(ztr, ytr)
    cm = confusion_matrix(yte, clf.predict(zte), labels=classes)
    return ProbeResult(float(clf.score(ztr, ytr)), float(clf.score(zte, yte)), len(ytr), len(yte), classes, cm.tolist())
