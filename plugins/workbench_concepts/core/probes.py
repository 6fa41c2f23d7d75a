"""Linear concept probes on pooled layer outputs, their accuracy by layer and their sparsity.

A probe for concept c at layer l of one network is a logistic regression on the
channel-averaged block output h_l(x) (one value per neuron), standardised with the fit set's
mean and standard deviation, fitted by full-batch L-BFGS on the concept set's fit part with a
small L2 penalty, and scored by its accuracy on the held-out part (Konz et al., arXiv
2310.03149, section 3.1; Alain & Bengio 2016 for linear probes).

Probing sparsity (the paper's section 3.2): the neurons are ranked by |w| of the full probe
(weights on standardised features, so comparable across neurons), a probe is refitted on the
top k only, and its held-out accuracy is reported for each k.  A concept carried by a few
neurons reaches its full accuracy at small k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .dataset import ConceptSet, ImageSet
from .resnet import LAYERS, ConceptResNet


@dataclass(frozen=True)
class Probe:
    """w·((h - mean)/std) + b; a logit > 0 predicts a concept positive."""

    layer: str
    weight: np.ndarray  # (neurons,)
    bias: float
    mean: np.ndarray
    std: np.ndarray

    def effective(self) -> tuple[np.ndarray, float]:
        """(w', b') with logit = w'·h + b' on the raw pooled features."""
        w = self.weight / self.std
        return w.astype(np.float32), float(self.bias - (w * self.mean).sum())

    def logits(self, feats: np.ndarray) -> np.ndarray:
        w, b = self.effective()
        return feats @ w + b


@torch.no_grad()
def pooled_features(model: ConceptResNet, images: ImageSet | np.ndarray, batch: int = 500) -> dict[str, np.ndarray]:
    """Pooled outputs of every layer for ``images`` (layer -> N x neurons, float32)."""
    x = images.images if isinstance(images, ImageSet) else images
    model.eval()
    parts: dict[str, list[np.ndarray]] = {name: [] for name in LAYERS}
    for s in range(0, x.shape[0], batch):
        out = model.all_pooled(torch.from_numpy(x[s : s + batch]))
        for name in LAYERS:
            parts[name].append(out[name].numpy())
    return {name: np.concatenate(v) for name, v in parts.items()}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, iters: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression (weights, bias) minimising mean log-loss + l2/2 |w|^2 (the bias
    unpenalised) by damped Newton steps in torch float64 (the Hessian is neurons x neurons,
    at most a few hundred here; converges in about ten steps)."""
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    n, d = xt.shape
    a = torch.cat([xt, torch.ones(n, 1, dtype=torch.float64)], 1)
    yt = torch.from_numpy(np.asarray(y, dtype=np.float64))
    reg = torch.full((d + 1,), float(l2), dtype=torch.float64)
    reg[-1] = 1e-10  # keeps the Hessian invertible; the bias is effectively unpenalised
    theta = torch.zeros(d + 1, dtype=torch.float64)

    def loss(t: torch.Tensor) -> float:
        z = a @ t
        return float(torch.nn.functional.softplus(z).mean() - (yt * z).mean() + 0.5 * (reg * t * t).sum())

    cur = loss(theta)
    for _ in range(iters):
        p = torch.sigmoid(a @ theta)
        grad = a.T @ (p - yt) / n + reg * theta
        hess = (a.T * (p * (1 - p))) @ a / n + torch.diag(reg)
        step = torch.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-6:
            cand = theta - t * step
            new = loss(cand)
            if new <= cur:
                break
            t *= 0.5
        theta, prev, cur = cand, cur, new
        if prev - cur < 1e-12 and float(grad.abs().max()) < 1e-9:
            break
    w = theta[:-1].numpy().copy()
    return w, float(theta[-1])


def fit_probe(layer: str, feats: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> Probe:
    """A :class:`Probe` fitted on pooled features ``feats`` (N x neurons) with labels ``y``."""
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        raise ValueError("a concept set needs both positives and negatives")
    mean = feats.mean(0)
    std = feats.std(0) + 1e-6
    w, b = fit_logistic((feats - mean) / std, y, l2)
    return Probe(layer, w, b, mean.astype(np.float32), std.astype(np.float32))


def probe_accuracy(probe: Probe, feats: np.ndarray, y: np.ndarray) -> float:
    """Fraction of ``y`` the probe's sign predicts."""
    return float(((probe.logits(feats) > 0) == np.asarray(y, dtype=bool)).mean())


@dataclass(frozen=True)
class LayerProbes:
    """Probes of one concept at every layer of every member, and what they score.

    accuracy: members x layers (held-out accuracy); probes[m][l]; sparsity_k: the k values;
    sparsity: members x layers x len(k) (held-out accuracy of the top-k probe)."""

    concept: str
    kind: str
    layers: tuple[str, ...]
    accuracy: np.ndarray
    probes: tuple[tuple[Probe, ...], ...]
    sparsity_k: tuple[int, ...]
    sparsity: np.ndarray

    def mean(self) -> np.ndarray:
        return self.accuracy.mean(0)

    def spread(self) -> np.ndarray:
        """Standard deviation over the ensemble (ddof=0; 0 for one member)."""
        return self.accuracy.std(0)

    def peak_layer(self) -> str:
        return self.layers[int(np.argmax(self.mean()))]


def sparsity_curve(
    probe: Probe, fit_x: np.ndarray, fit_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, ks: Sequence[int]
) -> np.ndarray:
    """Held-out accuracy of probes refitted on the top-k neurons by |w| of ``probe``, per k
    (k larger than the layer's width uses every neuron)."""
    order = np.argsort(-np.abs(probe.weight), kind="stable")
    out = []
    for k in ks:
        keep = order[: min(int(k), order.size)]
        sub = fit_probe(probe.layer, fit_x[:, keep], fit_y)
        out.append(probe_accuracy(sub, test_x[:, keep], test_y))
    return np.asarray(out)


DEFAULT_K: tuple[int, ...] = (1, 2, 4, 8, 16, 32)


def probe_layers(
    models: Sequence[ConceptResNet], cset: ConceptSet, ks: Sequence[int] = DEFAULT_K, check: object = None
) -> LayerProbes:
    """Fit and score a probe of ``cset`` at every layer of every member (see module doc)."""
    acc = np.zeros((len(models), len(LAYERS)))
    sp = np.zeros((len(models), len(LAYERS), len(ks)))
    probes: list[tuple[Probe, ...]] = []
    for m, model in enumerate(models):
        fit_f = pooled_features(model, cset.fit)
        test_f = pooled_features(model, cset.test)
        row = []
        for li, layer in enumerate(LAYERS):
            p = fit_probe(layer, fit_f[layer], cset.fit_y)
            acc[m, li] = probe_accuracy(p, test_f[layer], cset.test_y)
            sp[m, li] = sparsity_curve(p, fit_f[layer], cset.fit_y, test_f[layer], cset.test_y, ks)
            row.append(p)
            if callable(check):
                check((m * len(LAYERS) + li + 1) / (len(models) * len(LAYERS)))
        probes.append(tuple(row))
    return LayerProbes(cset.name, cset.kind, LAYERS, acc, tuple(probes), tuple(int(k) for k in ks), sp)
