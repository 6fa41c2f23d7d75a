"""TRAK attribution of a concept probe's output to the training examples, through ``traker``.

How traker is wired (MadryLab's package, arXiv 2303.14186):

* the module given to :class:`trak.TRAKer` is :class:`ProbedNet`: the task network with one
  member's probe for the chosen layer held in *buffers* (``probe_w``, ``probe_b``), so the
  per-example gradients are taken with respect to the network's parameters only, and the
  state dict passed to ``load_checkpoint`` carries that member's probe with its weights;
* training examples are featurized with traker's own ``image_classification`` task (the
  multiclass margin log p/(1-p) of the training label, and its out-to-loss term Q = 1 - p),
  because that is the loss the network was trained on: TRAK attributes a target's output to
  the training examples through their *training-loss* gradients;
* the targets (concept positives of the held-out concept set) are scored by a second TRAKer
  on the same ``save_dir`` (traker's documented way to score in another process) whose task is
  :class:`ProbeMarginOutput`: the model up to the layer, global average pooling, then the
  probe, as a binary logit margin (2y - 1)(w·h_l(x) + b);
* on the CPU traker's :class:`trak.projectors.BasicProjector` (Gaussian JL matrix) is used; we
  construct it with one block of ``proj_dim`` columns so the matrix is drawn once per
  checkpoint instead of once per batch (traker's default block of 100 columns regenerates it
  ``proj_dim/100`` times per batch).  On CUDA, traker's own choice (fast_jl's CudaProjector
  when installed, else BasicProjector) is left as is.  float32 throughout (traker's float16
  default is meant for GPUs).

The score of training example i for target t is traker's τ(t, i) averaged over the ensemble's
checkpoints (Park et al. 2023, eq. 13); the concept-level score of i is the mean over the
targets.  The linear datamodeling score (LDS, their eq. 5) is in :func:`lds`.
"""

from __future__ import annotations

import copy
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .dataset import ImageSet
from .probes import Probe
from .resnet import ConceptResNet, check_layer


class ProbedNet(nn.Module):
    """The task network plus one probe at ``layer`` (in buffers, not parameters).

    ``forward(x)`` gives class logits; ``forward(x, probe=True)`` the probe's logit (N,)."""

    def __init__(self, net: ConceptResNet, layer: str, probe: Probe | None = None) -> None:
        super().__init__()
        self.net = net
        self.layer = check_layer(layer)
        n = net.layer_width(layer)
        self.probe_w: torch.Tensor
        self.probe_b: torch.Tensor
        self.register_buffer("probe_w", torch.zeros(n))
        self.register_buffer("probe_b", torch.zeros(()))
        if probe is not None:
            w, b = probe.effective()
            if w.shape != (n,):
                raise ValueError(f"probe for {probe.layer} has {w.size} weights; layer {layer} has {n} neurons")
            self.probe_w.copy_(torch.from_numpy(w))
            self.probe_b.fill_(b)

    def forward(self, x: torch.Tensor, probe: bool = False) -> torch.Tensor:
        if probe:
            return self.net.pooled(x, self.layer) @ self.probe_w + self.probe_b
        return self.net(x)


def _trak_modules() -> Any:
    try:
        import trak
        from trak.modelout_functions import AbstractModelOutput
        from trak.projectors import BasicProjector, ProjectionType
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise RuntimeError("TRAK attribution needs the traker package: pip install traker") from exc
    return trak, AbstractModelOutput, BasicProjector, ProjectionType


def _probe_margin_output() -> Any:
    """traker model-output function of the probe (defined lazily: traker is imported on use)."""
    _, abstract, _, _ = _trak_modules()

    class ProbeMarginOutput(abstract):  # type: ignore[misc, valid-type]
        """f(z; θ) = (2y - 1) · probe(h_layer(x; θ)): the probe's binary logit margin."""

        def __init__(self) -> None:
            super().__init__()

        @staticmethod
        def get_output(model: nn.Module, weights: Any, buffers: Any, image: torch.Tensor, label: torch.Tensor) -> Any:
            logit = torch.func.functional_call(model, (weights, buffers), (image.unsqueeze(0),), {"probe": True})
            return ((2.0 * label.to(logit.dtype) - 1.0) * logit).sum()

        def get_out_to_loss_grad(self, model: nn.Module, weights: Any, buffers: Any, batch: Any) -> torch.Tensor:
            images, labels = batch
            logit = torch.func.functional_call(model, (weights, buffers), (images,), {"probe": True})
            margin = (2.0 * labels.to(logit.dtype) - 1.0) * logit
            return (1.0 - torch.sigmoid(margin)).detach().unsqueeze(-1)

    return ProbeMarginOutput()


@dataclass(frozen=True)
class TrakConfig:
    """proj_dim: JL projection dimension; batch: examples per per-sample-gradient batch;
    lambda_reg: ridge term added to Φ^TΦ (traker's ``lambda_reg``)."""

    proj_dim: int = 512
    batch: int = 100
    lambda_reg: float = 0.0
    seed: int = 0

    def validate(self) -> None:
        if not 8 <= self.proj_dim <= 65_536:
            raise ValueError(f"proj_dim must be in 8..65536, got {self.proj_dim}")
        if not 1 <= self.batch <= 10_000:
            raise ValueError(f"batch must be in 1..10000, got {self.batch}")


def trak_scores(
    models: Sequence[ConceptResNet],
    probes: Sequence[Probe],
    layer: str,
    train: ImageSet,
    targets: np.ndarray,
    target_y: np.ndarray,
    cfg: TrakConfig = TrakConfig(),
    *,
    device: str = "cpu",
    check: Callable[[float], None] | None = None,
) -> np.ndarray:
    """TRAK scores (n_train x n_targets, float32) of each member's probe at ``layer`` on
    ``targets`` (images N x 3 x 32 x 32 with concept labels ``target_y``), against every
    training example of ``train``, over the ensemble ``models`` (one probe per member)."""
    cfg.validate()
    check_layer(layer)
    if len(models) != len(probes) or not models:
        raise ValueError(f"{len(models)} models and {len(probes)} probes: need one probe per member")
    if targets.shape[0] < 1:
        raise ValueError("no target examples to attribute")
    trak, _, basic_projector, projection_type = _trak_modules()
    # copies: nn.Module.to moves in place, and the callers' models stay on the CPU
    nets = [ProbedNet(copy.deepcopy(m), layer, p).to(device).eval() for m, p in zip(models, probes, strict=True)]
    ckpts = [{k: v.detach().clone() for k, v in n.state_dict().items()} for n in nets]
    work = ProbedNet(ConceptResNet(models[0].width, models[0].num_classes), layer).to(device).eval()
    n_params = sum(p.numel() for p in work.parameters())

    def projector() -> Any:
        if device != "cpu":
            return None  # traker picks CudaProjector / BasicProjector itself
        return basic_projector(
            grad_dim=n_params,
            proj_dim=cfg.proj_dim,
            seed=cfg.seed,
            proj_type=projection_type.normal,
            device="cpu",
            block_size=cfg.proj_dim,
            dtype=torch.float32,
        )

    common = dict(
        train_set_size=len(train),
        device=device,
        proj_dim=cfg.proj_dim,
        use_half_precision=False,
        projector_seed=cfg.seed,
        lambda_reg=cfg.lambda_reg,
        logging_level=logging.ERROR,
    )
    n_batches = -(-len(train) // cfg.batch)
    n_tb = -(-targets.shape[0] // cfg.batch)
    total = len(models) * (n_batches + n_tb)
    done = 0
    x_train = torch.from_numpy(train.images)
    y_train = torch.from_numpy(train.labels)
    xt = torch.from_numpy(np.ascontiguousarray(targets, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(target_y, dtype=np.int64))
    with tempfile.TemporaryDirectory(prefix="concepts-trak-") as save_dir:
        featurizer = trak.TRAKer(
            model=work,
            task="image_classification",
            save_dir=save_dir,
            load_from_save_dir=False,
            projector=projector(),
            **common,
        )
        for mid, ck in enumerate(ckpts):
            featurizer.load_checkpoint(ck, model_id=mid)
            for s in range(0, len(train), cfg.batch):
                batch = (x_train[s : s + cfg.batch].to(device), y_train[s : s + cfg.batch].to(device))
                featurizer.featurize(batch=batch, num_samples=batch[0].shape[0])
                done += 1
                if check is not None:
                    check(done / total)
        featurizer.finalize_features()
        scorer = trak.TRAKer(
            model=work,
            task=_probe_margin_output(),
            save_dir=save_dir,
            load_from_save_dir=True,
            projector=projector(),
            **common,
        )
        for mid, ck in enumerate(ckpts):
            scorer.start_scoring_checkpoint(exp_name="concept", checkpoint=ck, model_id=mid, num_targets=xt.shape[0])
            for s in range(0, xt.shape[0], cfg.batch):
                scorer.score(
                    batch=(xt[s : s + cfg.batch].to(device), yt[s : s + cfg.batch].to(device)),
                    num_samples=min(cfg.batch, xt.shape[0] - s),
                )
                done += 1
                if check is not None:
                    check(done / total)
        scores = np.array(scorer.finalize_scores(exp_name="concept"), dtype=np.float32)
    if not np.isfinite(scores).all():
        raise RuntimeError("TRAK produced non-finite scores (try a larger lambda_reg or a smaller proj_dim)")
    return scores


def top_bottom(concept_scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``k`` highest and ``k`` lowest concept-level scores (highest first,
    lowest first)."""
    order = np.argsort(-concept_scores, kind="stable")
    k = min(int(k), order.size)
    return order[:k], order[::-1][:k]


def top_positive_fraction(concept_scores: np.ndarray, positives: np.ndarray, k: int = 100) -> tuple[float, float]:
    """(fraction of the ``k`` top-attributing training examples that are concept positives,
    that fraction by chance = the positives' share of the training set)."""
    top, _ = top_bottom(concept_scores, k)
    pos = np.asarray(positives, dtype=bool)
    return float(pos[top].mean()), float(pos.mean())


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); nan when either is constant."""
    from scipy.stats import rankdata

    ra, rb = rankdata(a), rankdata(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def spearman_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`spearman` of each column of ``a`` with the same column of ``b`` (both M x T),
    computed for all columns at once; nan for a column where either is constant."""
    from scipy.stats import rankdata

    ra = rankdata(a, axis=0)
    rb = rankdata(b, axis=0)
    ra = ra - ra.mean(0)
    rb = rb - rb.mean(0)
    na, nb = np.sqrt((ra * ra).sum(0)), np.sqrt((rb * rb).sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (ra * rb).sum(0) / (na * nb)
    # constant ranks have exactly zero spread; rounding leaves nothing else at 0
    return np.where((na < 1e-12) | (nb < 1e-12), np.nan, out)


@dataclass(frozen=True)
class LdsResult:
    """lds: mean over targets of the Spearman correlation, across the subsets, between the
    predicted Σ_{i∈S} τ(t, i) and the actual probe margin after retraining on S; ci: 95 %
    bootstrap interval (subsets and targets resampled); per_target: the correlations."""

    lds: float
    ci: tuple[float, float]
    per_target: np.ndarray
    predicted: np.ndarray  # subsets x targets
    actual: np.ndarray  # subsets x targets
    masks: np.ndarray  # subsets x n_train (bool)


def lds_from_outputs(
    scores: np.ndarray, masks: np.ndarray, actual: np.ndarray, *, n_boot: int = 1000, seed: int = 0
) -> LdsResult:
    """LDS (Park et al. 2023, eq. 5) of ``scores`` (n_train x T) from subset ``masks``
    (M x n_train) and the retrained models' outputs ``actual`` (M x T), with a percentile
    bootstrap CI over subsets and targets."""
    masks = np.asarray(masks, dtype=bool)
    predicted = masks.astype(np.float64) @ scores.astype(np.float64)  # M x T
    actual = np.asarray(actual, dtype=np.float64)
    per = spearman_columns(predicted, actual)
    rng = np.random.default_rng(seed)
    boots = []
    n_sub, n_tgt = actual.shape
    for _ in range(n_boot):
        rows = rng.integers(0, n_sub, size=n_sub)
        cols = np.asarray(rng.integers(0, n_tgt, size=n_tgt))
        vals = spearman_columns(predicted[rows], actual[rows])[cols]
        boots.append(np.nanmean(vals) if np.isfinite(vals).any() else np.nan)
    b = np.asarray(boots)
    b = b[np.isfinite(b)]
    ci = (float(np.percentile(b, 2.5)), float(np.percentile(b, 97.5))) if b.size else (float("nan"), float("nan"))
    return LdsResult(float(np.nanmean(per)), ci, per, predicted, actual, masks)


def lds_by_retraining(
    scores: np.ndarray,
    retrain: Callable[[np.ndarray, int, Callable[[float], None]], np.ndarray],
    *,
    n_subsets: int,
    members: int = 1,
    seed: int = 0,
    n_boot: int = 1000,
    check: Callable[[float, str], None] | None = None,
) -> LdsResult:
    """LDS of ``scores`` (n_train x T) measured by retraining (Park et al. 2023, eq. 5).

    For each of ``n_subsets`` random half subsets S_j (:func:`half_masks` with ``seed``),
    ``retrain(indices, r, progress)`` trains model r = 0..members-1 on the training examples
    ``indices`` (sorted) and returns its output on the T targets, which must be the very
    function the scores attribute; the actual output of S_j is the mean over the ``members``
    models (averaging out what a single retraining adds on its own), correlated per target
    with the prediction Σ_{i∈S_j} τ(t, i) by :func:`lds_from_outputs`.  ``progress(f)`` takes
    the fraction done of that one model; ``check(fraction, message)`` gets the overall one."""
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be n_train x targets, got shape {scores.shape}")
    if not 1 <= members <= 1000:
        raise ValueError(f"members per subset must be in 1..1000, got {members}")
    n_train, n_targets = scores.shape
    masks = half_masks(n_train, n_subsets, seed)
    actual = np.zeros((n_subsets, n_targets))
    total = n_subsets * members
    for j in range(n_subsets):
        for r in range(members):
            done = j * members + r

            def progress(f: float, done: int = done, j: int = j) -> None:
                if check is not None:
                    check((done + f) / total, f"LDS: subset {j + 1}/{n_subsets}")

            out = np.asarray(retrain(np.flatnonzero(masks[j]), r, progress), dtype=np.float64)
            if out.shape != (n_targets,) or not np.isfinite(out).all():
                raise ValueError(
                    f"the retrained model's output has shape {out.shape} "
                    f"(finite: {bool(np.isfinite(out).all())}); expected {n_targets} finite values"
                )
            actual[j] += out / members
    return lds_from_outputs(scores, masks, actual, n_boot=n_boot, seed=seed)


def half_masks(n_train: int, n_subsets: int, seed: int) -> np.ndarray:
    """``n_subsets`` random subsets of exactly half the training set (M x n_train, bool)."""
    if n_subsets < 3:
        raise ValueError(f"LDS needs at least 3 subsets, got {n_subsets}")
    rng = np.random.default_rng([seed, 11])
    out = np.zeros((n_subsets, n_train), dtype=bool)
    for j in range(n_subsets):
        out[j, rng.permutation(n_train)[: n_train // 2]] = True
    return out
