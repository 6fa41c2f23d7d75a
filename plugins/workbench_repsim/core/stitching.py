"""Model stitching: an affine map from a point of model A into a point of model B.

Lenc & Vedaldi (2015); Csiszárik et al. (2021, "Similarity and Matching of Neural Network
Representations", NeurIPS); Bansal, Nakkiran, Barak (2021, "Revisiting Model Stitching",
NeurIPS).  The stitched network is ``B_{>j}(W h_A^{(i)} + b)``: A up to point i, a trained
affine layer (initialised by least squares from A's to B's activations, then trained on the
task loss with A and B frozen), and B from point j on.  Reported: the stitched loss and
accuracy and the *stitching penalty* (stitched loss minus the receiving model's own loss);
a small penalty means B can use A's representation.  Asymmetries (A->B easy, B->A hard)
are what Brown et al. (2023, arXiv:2310.14993) report for SoLU vs GeLU language models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from workbench.seeding import preserve_global_rng, torch_generator


class Stitchable(Protocol):
    """A model cut at named points: :class:`~.models.TinyLM`, :class:`~.models.DigitsMLP`
    and :class:`~.hf_lm.HFStitchable` (``features`` gives the activation at every point,
    ``forward_from`` runs the rest of the model from one)."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def eval(self) -> Any: ...

    def parameters(self) -> Iterator[nn.Parameter]: ...

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]: ...

    def forward_from(self, point: str, h: torch.Tensor) -> torch.Tensor: ...


@dataclass
class StitchResult:
    sender: str
    receiver: str
    point_from: str
    point_to: str
    loss: float  # stitched cross-entropy, nats
    accuracy: float
    receiver_loss: float  # the receiving model alone
    receiver_accuracy: float
    ls_loss: float  # with the least-squares initialisation only

    @property
    def penalty(self) -> float:
        return self.loss - self.receiver_loss


@dataclass
class Task:
    """Inputs and targets of a stitching task.  ``x``: model inputs; ``y``: integer targets with
    the shape of the logits without their last axis (labels, or next tokens for an LM)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def lm_task(train_windows: np.ndarray, test_windows: np.ndarray) -> Task:
    """Next-character prediction from ``[N, ctx + 1]`` windows."""
    tr, te = torch.from_numpy(train_windows), torch.from_numpy(test_windows)
    return Task(tr[:, :-1], tr[:, 1:], te[:, :-1], te[:, 1:])


def classifier_task(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> Task:
    return Task(*(torch.from_numpy(a) for a in (x_train, y_train, x_test, y_test)))


def _ce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


@torch.no_grad()
def _evaluate(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    logits = fn(x)
    return float(_ce(logits, y)), float((logits.argmax(-1) == y).float().mean())


def stitch(
    model_a: Stitchable,
    point_a: str,
    model_b: Stitchable,
    point_b: str,
    task: Task,
    *,
    steps: int = 200,
    lr: float = 3e-3,
    batch: int = 128,
    seed: int = 0,
    names: tuple[str, str] = ("A", "B"),
    check: Callable[[], None] | None = None,
) -> StitchResult:
    """Train the affine stitching layer from ``point_a`` of A into ``point_b`` of B."""
    model_a.eval(), model_b.eval()
    with torch.no_grad():
        ha_tr = model_a.features(task.x_train)[point_a]
        hb_tr = model_b.features(task.x_train)[point_b]
        ha_te = model_a.features(task.x_test)[point_a]
    da, db = ha_tr.shape[-1], hb_tr.shape[-1]
    with preserve_global_rng():  # the default init is replaced by least squares below
        layer = nn.Linear(da, db)
    with torch.no_grad():  # least-squares initialisation, ridge 1e-4 for conditioning
        xa = ha_tr.reshape(-1, da).double()
        xb = hb_tr.reshape(-1, db).double()
        ma, mb = xa.mean(0), xb.mean(0)
        xa_c, xb_c = xa - ma, xb - mb
        gram = xa_c.T @ xa_c + 1e-4 * xa_c.pow(2).sum() / da * torch.eye(da, dtype=torch.float64)
        w = torch.linalg.solve(gram, xa_c.T @ xb_c)
        layer.weight.copy_(w.T.float())
        layer.bias.copy_((mb - ma @ w).float())
    frozen = list(model_a.parameters()) + list(model_b.parameters())
    for p in frozen:
        p.requires_grad_(False)

    def run(h: torch.Tensor) -> torch.Tensor:
        return model_b.forward_from(point_b, layer(h))

    try:
        ls_loss, _ = _evaluate(run, ha_te, task.y_test)
        g = torch_generator(seed)
        opt = torch.optim.Adam(layer.parameters(), lr=lr)
        for _ in range(steps):
            if check:
                check()
            idx = torch.randint(0, len(ha_tr), (min(batch, len(ha_tr)),), generator=g)
            batch_loss = _ce(run(ha_tr[idx]), task.y_train[idx])
            opt.zero_grad()
            batch_loss.backward()
            opt.step()
    finally:  # also after Cancel: the models are the caller's
        for p in frozen:
            p.requires_grad_(True)
    loss, acc = _evaluate(run, ha_te, task.y_test)
    rl, ra = _evaluate(model_b, task.x_test, task.y_test)
    return StitchResult(names[0], names[1], point_a, point_b, loss, acc, rl, ra, ls_loss)


def stitch_both(
    model_a: Stitchable,
    model_b: Stitchable,
    points: list[tuple[str, str]],
    task: Task,
    *,
    names: tuple[str, str] = ("A", "B"),
    steps: int = 200,
    seed: int = 0,
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> list[StitchResult]:
    """Stitch A->B at each ``(point_a, point_b)`` and B->A at ``(point_b, point_a)``."""
    out = []
    total = 2 * len(points)

    def stepper(done: int, what: str) -> Callable[[], None]:
        """check() each training step, plus progress within the pair (every 25 steps)."""
        count = [0]

        def step() -> None:
            if check:
                check()
            count[0] += 1
            if progress and count[0] % 25 == 0:
                progress((done + min(1.0, count[0] / max(1, steps))) / total, f"stitching {what}")

        return step

    for k, (pa, pb) in enumerate(points):
        out.append(
            stitch(
                model_a,
                pa,
                model_b,
                pb,
                task,
                steps=steps,
                seed=seed,
                names=names,
                check=stepper(2 * k, f"{names[0]}:{pa} -> {names[1]}:{pb}"),
            )
        )
        if progress:
            progress((2 * k + 1) / total, f"stitched {names[0]}:{pa} -> {names[1]}:{pb}")
        out.append(
            stitch(
                model_b,
                pb,
                model_a,
                pa,
                task,
                steps=steps,
                seed=seed,
                names=(names[1], names[0]),
                check=stepper(2 * k + 1, f"{names[1]}:{pb} -> {names[0]}:{pa}"),
            )
        )
        if progress:
            progress((2 * k + 2) / total, f"stitched {names[1]}:{pb} -> {names[0]}:{pa}")
    return out
