"""Editing a trained micrograph classifier with a few labelled images of a shifted domain
(Qt-free, torch).  Each method is a frozen config; :func:`apply_edit` runs one on a copy of the
model and says which parameters it changed.

Methods (the edit set: k labelled shifted images per class, :meth:`MicrographData.edit_set`):

* :class:`FullFinetune`: every parameter, Adam on the edit set's cross-entropy.
* :class:`SurgicalFinetune`: the parameters of one block or one layer only (Lee et al., "Surgical
  fine-tuning improves adaptation to distribution shifts", ICLR 2023).
* :class:`SurgicalBest`: the block chosen by a small validation sweep *on the edit set*
  (``folds``-fold cross-validation: fine-tune each candidate block on the other folds, score on
  the held-out fold), then fine-tuned on the whole edit set.  No test image is used.
* :class:`LastLayer`: the fc layer only, optionally re-initialised (last-layer retraining,
  Kirichenko et al., ICLR 2023).
* :class:`LowRank`: direct low-rank editing (Brown et al., "Edit at your own risk", 2023):
  W' = W + U V^T for one layer, W as a (out, in * kh * kw) matrix, U (out, r) starting at 0 and
  V (in * kh * kw, r) random, fitted by Adam with everything else frozen; the update has rank
  <= r (= r in general).
* :class:`Rewrite`: a rank-one key-to-value rewrite of one layer in the style of Santurkar et
  al., "Editing a classifier by rewriting its prediction rules" (NeurIPS 2021), after Bau et al.
  (ECCV 2020).  Keys k_i: the layer's input patches (im2col) at the output positions inside
  the mask, on the shifted edit images; values v_i: the layer's output for the *source*
  rendering of the same image at the same position when the data have pairs (the generator's),
  else the mean output over the source training images of the same class.  With C = E[k k^T]
  (the keys' second-moment matrix over source training images, + ``ridge`` * tr(C)/d * I) and
  u the top right singular vector of the key matrix, the update is
      Delta W = Lambda d^T,  d = C^{-1} u,  Lambda = sum_i (v_i - W k_i)(d . k_i) / sum_i (d . k_i)^2,
  the least-squares Lambda for that direction (closed form, rank one).
* :class:`OneLI`: 1-layer interpolation (Brown et al. 2023): the original model with one layer's
  weights moved to (1 - alpha) W_orig + alpha W_edited, the edited weights from a base method.
  At alpha = 0 it is the original, at alpha = 1 the edited model when the base method changed
  only that layer.  ``alpha=None`` takes the smallest alpha on a grid whose edit-set accuracy
  reaches ``target`` of the way from the original's to the edited model's (the edit set only).

Gradient-based edits keep BatchNorm in eval mode (the source statistics; an edit set of a few
dozen images cannot estimate them), augment the edit images by the eight symmetries of the
square, and draw everything from explicit generators (:mod:`workbench.seeding`).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from workbench.seeding import torch_generator

from .data import ImageSet
from .models import EDITABLE_LAYERS, MicrographResNet, apply_layer, block_parameters
from .specs import (  # noqa: F401 - the edit settings live in .specs (torch-free); re-exported here
    METHODS,
    BaseEdit,
    EditConfig,
    FullFinetune,
    LastLayer,
    LowRank,
    OneLI,
    Rewrite,
    SurgicalBest,
    SurgicalFinetune,
    method_config,
)
from .train import d4

Check = Callable[[], None] | None
Progress = Callable[[float, str], None] | None


@dataclass
class EditOutcome:
    """The edited model (a new module; the original is untouched), the parameters that changed,
    the layer of a single-layer edit ("" otherwise), the loss per step (gradient methods), and
    method details (rank, chosen block and sweep scores, alpha and the alpha curve, ...)."""

    model: MicrographResNet
    changed: tuple[str, ...]
    layer: str = ""
    losses: list[float] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers
def changed_parameters(a: nn.Module, b: nn.Module) -> tuple[str, ...]:
    """Names of the parameters that differ between two models of one architecture."""
    pb = dict(b.named_parameters())
    return tuple(n for n, p in a.named_parameters() if not torch.equal(p.detach(), pb[n].detach()))


def _edit_tensors(edit: ImageSet, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.as_tensor(edit.x, device=device), torch.as_tensor(edit.y, device=device)


def _finetune(
    model: MicrographResNet,
    names: Sequence[str],
    edit: ImageSet,
    steps: int,
    lr: float,
    wd: float,
    seed: int,
    check: Check,
    progress: Progress,
    device: str,
    lo: float = 0.0,
    hi: float = 1.0,
) -> list[float]:
    """Adam on the parameters ``names`` of ``model`` (in place) for the cross-entropy of the
    edit set (with the replayed source images appended by :func:`apply_edit`); BN in eval
    mode, D4 augmentation.  Returns the loss per step."""
    if steps < 1 or not lr > 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got {steps} and {lr}")
    params = dict(model.named_parameters())
    unknown = [n for n in names if n not in params]
    if unknown or not names:
        raise ValueError(f"nothing to fine-tune: unknown parameters {unknown}" if unknown else "no parameters chosen")
    for n, p in params.items():
        p.requires_grad_(n in names)
    opt = torch.optim.Adam([params[n] for n in names], lr=lr, weight_decay=wd)
    g = torch_generator(seed)
    x, y = _edit_tensors(edit, device)
    model.eval()
    losses = []
    for t in range(steps):
        if check is not None:
            check()
        xb = d4(x, torch.randint(0, 8, (len(y),), generator=g).to(device))
        loss = F.cross_entropy(model(xb), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if progress is not None:
            progress(lo + (hi - lo) * (t + 1) / steps, f"step {t + 1}/{steps}, loss {losses[-1]:.3f}")
    for p in params.values():
        p.requires_grad_(False)
    return losses


def _as_matrix(weight: torch.Tensor) -> torch.Tensor:
    return weight.reshape(weight.shape[0], -1)


def _check_layer(name: str) -> None:
    if name not in EDITABLE_LAYERS:
        raise ValueError(f"unknown layer {name!r}; editable layers: {', '.join(EDITABLE_LAYERS)}")


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


# --------------------------------------------------------------------------- methods
def _full(
    model: MicrographResNet, cfg: FullFinetune, edit: ImageSet, seed: int, check: Check, progress: Progress, device: str
) -> EditOutcome:
    names = [n for n, _ in model.named_parameters()]
    losses = _finetune(model, names, edit, cfg.steps, cfg.lr, cfg.weight_decay, seed, check, progress, device)
    return EditOutcome(model, (), "", losses)


def _surgical(
    model: MicrographResNet,
    cfg: SurgicalFinetune,
    edit: ImageSet,
    seed: int,
    check: Check,
    progress: Progress,
    device: str,
) -> EditOutcome:
    names = block_parameters(model, cfg.layer)
    losses = _finetune(model, names, edit, cfg.steps, cfg.lr, cfg.weight_decay, seed, check, progress, device)
    return EditOutcome(
        model,
        (),
        cfg.layer if cfg.layer in EDITABLE_LAYERS else "",
        losses,
        {"block": cfg.layer, "parameters": list(names)},
    )


def _surgical_best(
    model: MicrographResNet, cfg: SurgicalBest, edit: ImageSet, seed: int, check: Check, progress: Progress, device: str
) -> EditOutcome:
    if cfg.folds < 2 or not cfg.candidates:
        raise ValueError("the validation sweep needs at least 2 folds and one candidate block")
    for b in cfg.candidates:
        block_parameters(model, b)  # validates the name
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(edit), dtype=np.int64)
    for c in np.unique(edit.y):  # stratified folds
        idx = rng.permutation(np.flatnonzero(edit.y == c))
        fold_of[idx] = np.arange(len(idx)) % cfg.folds
    scores: dict[str, float] = {}
    n_runs = len(cfg.candidates) * cfg.folds + 1
    run = 0
    for b in cfg.candidates:
        accs = []
        for f in range(cfg.folds):
            trial = copy.deepcopy(model)
            part = edit.take(np.flatnonzero(fold_of != f))
            held = edit.take(np.flatnonzero(fold_of == f))
            _finetune(
                trial,
                block_parameters(trial, b),
                part,
                cfg.sweep_steps,
                cfg.lr,
                0.0,
                seed + 1 + f,
                check,
                progress,
                device,
                run / n_runs,
                (run + 1) / n_runs,
            )
            run += 1
            accs.append(_accuracy(trial, *_edit_tensors(held, device)))
        scores[b] = float(np.mean(accs))
    best = max(cfg.candidates, key=lambda b: (scores[b], -cfg.candidates.index(b)))
    losses = _finetune(
        model,
        block_parameters(model, best),
        edit,
        cfg.steps,
        cfg.lr,
        0.0,
        seed,
        check,
        progress,
        device,
        run / n_runs,
        1.0,
    )
    return EditOutcome(model, (), "", losses, {"block": best, "sweep": scores})


def _last_layer(
    model: MicrographResNet, cfg: LastLayer, edit: ImageSet, seed: int, check: Check, progress: Progress, device: str
) -> EditOutcome:
    if cfg.reinit:
        from workbench.seeding import init_module_

        init_module_(model.fc, torch_generator(seed + 7))
    if cfg.steps < 1 or not cfg.lr > 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got {cfg.steps} and {cfg.lr}")
    # the layers below fc are frozen: their features under the 8 symmetries are computed once
    x, y = _edit_tensors(edit, device)
    with torch.no_grad():
        feats = torch.stack([model.features(d4(x, torch.full((len(y),), s, device=device))) for s in range(8)])
    g = torch_generator(seed)
    for p in model.parameters():
        p.requires_grad_(False)
    w, b = model.fc.weight, model.fc.bias
    w.requires_grad_(True)
    b.requires_grad_(True)
    opt = torch.optim.Adam([w, b], lr=cfg.lr, weight_decay=cfg.weight_decay)
    rows = torch.arange(len(y), device=device)
    losses = []
    for t in range(cfg.steps):
        if check is not None:
            check()
        k = torch.randint(0, 8, (len(y),), generator=g).to(device)
        loss = F.cross_entropy(F.linear(feats[k, rows], w, b), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if progress is not None:
            progress((t + 1) / cfg.steps, f"step {t + 1}/{cfg.steps}, loss {losses[-1]:.3f}")
    w.requires_grad_(False)
    b.requires_grad_(False)
    return EditOutcome(model, (), "fc", losses, {"reinit": cfg.reinit})


def _lowrank(
    model: MicrographResNet, cfg: LowRank, edit: ImageSet, seed: int, check: Check, progress: Progress, device: str
) -> EditOutcome:
    _check_layer(cfg.layer)
    layer = model.layer(cfg.layer)
    W = layer.weight.detach()
    M = _as_matrix(W)
    out_dim, in_dim = M.shape
    if not 1 <= cfg.rank <= min(out_dim, in_dim):
        raise ValueError(
            f"rank must be in [1, {min(out_dim, in_dim)}] for {cfg.layer} ({out_dim} x {in_dim}), got {cfg.rank}"
        )
    if cfg.steps < 1 or not cfg.lr > 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got {cfg.steps} and {cfg.lr}")
    g = torch_generator(seed)
    U = torch.zeros(out_dim, cfg.rank, device=device, requires_grad=True)
    V = (torch.randn(in_dim, cfg.rank, generator=g) / math.sqrt(in_dim)).to(device).requires_grad_(True)
    opt = torch.optim.Adam([U, V], lr=cfg.lr)
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    x, y = _edit_tensors(edit, device)
    wname = f"{cfg.layer}.weight"
    losses = []
    for t in range(cfg.steps):
        if check is not None:
            check()
        xb = d4(x, torch.randint(0, 8, (len(y),), generator=g).to(device))
        w = W + (U @ V.T).reshape(W.shape)
        loss = F.cross_entropy(torch.func.functional_call(model, {wname: w}, (xb,)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if progress is not None:
            progress((t + 1) / cfg.steps, f"step {t + 1}/{cfg.steps}, loss {losses[-1]:.3f}")
    with torch.no_grad():
        delta = (U @ V.T).detach()
        layer.weight.add_(delta.reshape(W.shape))
    return EditOutcome(
        model,
        (),
        cfg.layer,
        losses,
        {
            "rank": cfg.rank,
            "delta_rank": int(torch.linalg.matrix_rank(delta)),
            "delta_norm": float(delta.norm()),
            "weight_norm": float(M.norm()),
        },
    )


def _conv_keys(layer: nn.Conv2d, inputs: torch.Tensor) -> torch.Tensor:
    """im2col patches (B, L, in * kh * kw) of ``inputs`` for ``layer``: the keys at its L output
    positions (row-major over the output grid)."""
    pad = layer.padding
    if isinstance(pad, str):
        raise ValueError(f"the rewrite needs numeric padding, the layer has padding={pad!r}")
    cols = F.unfold(inputs, layer.kernel_size, dilation=layer.dilation, padding=pad, stride=layer.stride)
    return cols.transpose(1, 2)


def _mask_positions(
    mask: tuple[tuple[bool, ...], ...] | None, image_hw: tuple[int, int], out_hw: tuple[int, int], device: str
) -> torch.Tensor:
    """Which output positions (flattened, (L,) bool) a pixel mask covers: a position is in when
    any pixel of its cell of the image is (area pooling of the mask to the output grid)."""
    if mask is None:
        return torch.ones(out_hw[0] * out_hw[1], dtype=torch.bool, device=device)
    m = torch.as_tensor(np.asarray(mask, dtype=np.float32), device=device)
    if tuple(m.shape) != tuple(image_hw):
        raise ValueError(f"the mask is {m.shape[1]}x{m.shape[0]} px but the images are {image_hw[1]}x{image_hw[0]}")
    if not bool(m.any()):
        raise ValueError("the mask is empty: paint the region of the images the rewrite should use")
    pooled = F.adaptive_max_pool2d(m[None, None], out_hw)[0, 0]
    return (pooled > 0).flatten()


def rewrite_update(
    W: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, C: torch.Tensor, ridge: float = 1e-2
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The rank-one rewrite Delta W = Lambda d^T of the matrix W (out, d) for keys (n, d) and
    values (n, out) with the keys' second-moment matrix C (d, d): d = (C + ridge tr(C)/d I)^{-1} u
    with u the top right singular vector of the keys, Lambda the least-squares solution for d.
    Returns (Delta W, Lambda, d)."""
    dim = C.shape[0]
    Creg = C + ridge * torch.trace(C) / dim * torch.eye(dim, dtype=C.dtype, device=C.device)
    _, _, vh = torch.linalg.svd(keys, full_matrices=False)
    u = vh[0]
    direction = torch.linalg.solve(Creg, u)
    direction = direction / direction.norm()
    s = keys @ direction  # (n,)
    resid = values - keys @ W.T  # (n, out)
    lam = (resid * s[:, None]).sum(0) / (s * s).sum().clamp_min(1e-12)
    return torch.outer(lam, direction), lam, direction


def _rewrite(
    model: MicrographResNet,
    cfg: Rewrite,
    edit: ImageSet,
    source: ImageSet,
    seed: int,
    check: Check,
    progress: Progress,
    device: str,
) -> EditOutcome:
    _check_layer(cfg.layer)
    layer = model.layer(cfg.layer)
    if not isinstance(layer, nn.Conv2d):
        raise ValueError(f"the rewrite edits a convolution; {cfg.layer} is a {type(layer).__name__}")
    if cfg.exemplars:
        bad = [i for i in cfg.exemplars if not 0 <= i < len(edit)]
        if bad:
            raise ValueError(f"exemplar indices {bad} outside the edit set (0..{len(edit) - 1})")
        edit = edit.take(list(cfg.exemplars))
    model.eval()
    x = torch.as_tensor(edit.x, device=device)
    W = _as_matrix(layer.weight.detach())
    with torch.no_grad():
        sp = model.split(cfg.layer, x)
        keys = _conv_keys(layer, sp.inputs)  # (B, L, d)
        L = keys.shape[1]
        out_hw = apply_layer(layer, sp.inputs[:1], layer.weight, None).shape[2:]
        pos = _mask_positions(
            cfg.mask, (int(edit.x.shape[2]), int(edit.x.shape[3])), (int(out_hw[0]), int(out_hw[1])), device
        )
        if check is not None:
            check()
        if edit.pair is not None:
            pk = _conv_keys(layer, model.split(cfg.layer, torch.as_tensor(edit.pair, device=device)).inputs)
            values = pk[:, pos] @ W.T  # what the layer gives the source rendering at the same positions
            value_kind = "paired source images"
        else:
            if len(source) == 0:
                raise ValueError("the rewrite needs source training images for the values")
            sx = torch.as_tensor(source.x, device=device)
            sy = torch.as_tensor(source.y, device=device)
            sk = _conv_keys(layer, model.split(cfg.layer, sx).inputs)
            mean_out = (sk @ W.T).mean(dim=1)  # (Bs, out)
            means = torch.stack(
                [
                    mean_out[sy == c].mean(0) if bool((sy == c).any()) else mean_out.mean(0)
                    for c in range(int(model.num_classes))
                ]
            )
            values = means[torch.as_tensor(edit.y, device=device)][:, None, :].expand(-1, int(pos.sum()), -1)
            value_kind = "class means of source training images"
        K = keys[:, pos].reshape(-1, keys.shape[2])
        V = values.reshape(-1, W.shape[0])
        if progress is not None:
            progress(0.5, "second-moment matrix of the keys")
        rng = np.random.default_rng(seed)
        n = min(cfg.key_images, len(source))
        if n < 1:
            raise ValueError("the rewrite needs source training images for the keys' second-moment matrix")
        idx = np.sort(rng.choice(len(source), size=n, replace=False))
        ck = _conv_keys(layer, model.split(cfg.layer, torch.as_tensor(source.x[idx], device=device)).inputs)
        ck = ck.reshape(-1, ck.shape[2]).double()
        C = ck.T @ ck / ck.shape[0]
        dW, lam, direction = rewrite_update(W.double(), K.double(), V.double(), C, cfg.ridge)
        before = float(((V - K @ W.T) ** 2).sum(1).mean())
        after = float(((V.double() - K.double() @ (W.double() + dW).T) ** 2).sum(1).mean())
        layer.weight.add_(dW.to(layer.weight.dtype).reshape(layer.weight.shape))
    if progress is not None:
        progress(1.0, "rewritten")
    return EditOutcome(
        model,
        (),
        cfg.layer,
        [],
        {
            "keys": int(K.shape[0]),
            "positions_per_image": int(pos.sum()),
            "positions": int(L),
            "values": value_kind,
            "residual_before": before,
            "residual_after": after,
            "lambda_norm": float(lam.norm()),
            "delta_rank": int(torch.linalg.matrix_rank(dW)),
        },
    )


def interpolate_layer(original: MicrographResNet, edited: nn.Module, layer: str, alpha: float) -> MicrographResNet:
    """A copy of ``original`` whose ``layer`` has (1 - alpha) W_orig + alpha W_edited (weight and
    bias; every other tensor the original's)."""
    _check_layer(layer)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    out = copy.deepcopy(original)
    src = dict(edited.named_parameters())
    with torch.no_grad():
        for n, p in out.named_parameters():
            if n.startswith(layer + "."):
                p.copy_((1.0 - alpha) * p + alpha * src[n].to(p.device))
    return out


def most_changed_layer(original: nn.Module, edited: nn.Module) -> str:
    """The editable layer whose weight moved most relative to its norm."""
    po, pe = dict(original.named_parameters()), dict(edited.named_parameters())
    rel = {
        n: float((pe[f"{n}.weight"] - po[f"{n}.weight"]).norm() / po[f"{n}.weight"].norm().clamp_min(1e-12))
        for n in EDITABLE_LAYERS
    }
    return max(rel, key=lambda n: rel[n])


def _stratified(images: ImageSet, n: int) -> ImageSet:
    """At most ``n`` images of ``images``, the classes in their proportions (seed 0, sorted)."""
    if len(images) <= n:
        return images
    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    # round-robin over the classes in the permuted order keeps their proportions
    by_class = [order[images.y[order] == c] for c in np.unique(images.y)]
    picked: list[int] = []
    i = 0
    while len(picked) < n:
        for rows in by_class:
            if i < len(rows) and len(picked) < n:
                picked.append(int(rows[i]))
        i += 1
    return images.take(np.sort(np.asarray(picked)))


class LayerInterpolation:
    """Fast 1-LI for a fixed layer and fixed image sets: the inputs entering the layer, its
    output under the original weights y_0 and the difference d = y_1 - y_0 under the edited
    ones, and what the rest of the network needs are computed once; since the layer is linear
    in its weights, its output at alpha is y_0 + alpha d, so each alpha costs only the network
    after the layer.

    The network after the layer runs in the inference form of :mod:`.folded` (BatchNorm folded
    into the convolutions, channels-last, in-place, ``torch.inference_mode``), on chunks of
    :attr:`CHUNK` images (whose activations stay in the CPU's cache): the same logits as
    :func:`interpolate_layer` + forward within float rounding.

    ``original``: the unedited model; ``edited``: any model of the same architecture;
    ``sets``: name -> ImageSet; ``limit``: at most this many images per set (a class-stratified
    subset drawn with seed 0; 0: all), e.g. for a live preview while a slider moves when the
    layer is early and the full sets take longer than a frame.  :meth:`logits` and
    :meth:`accuracies` at any alpha in [0, 1].  One object is not to be used from two threads at
    once (the chunks share one buffer)."""

    #: images per chunk of the per-alpha forward (64: fastest on the 2-core CPU, 32-128 within 10 %)
    CHUNK = 64

    def __init__(
        self,
        original: MicrographResNet,
        edited: nn.Module,
        layer: str,
        sets: dict[str, ImageSet],
        device: str = "cpu",
        check: Check = None,
        limit: int = 0,
    ) -> None:
        from .folded import FoldedResNet

        _check_layer(layer)
        if limit > 0:
            sets = {n: _stratified(s, limit) for n, s in sets.items()}
        self.layer = layer
        self.net = FoldedResNet(original, device)
        lay = original.layer(layer)
        e = dict(edited.named_parameters())
        w0 = lay.weight.detach().to(device)
        dw = e[f"{layer}.weight"].detach().to(device) - w0
        db = e[f"{layer}.bias"].detach().to(device) - lay.bias.detach().to(device) if lay.bias is not None else None
        b0 = lay.bias.detach().to(device) if lay.bias is not None else None
        self.labels: dict[str, torch.Tensor] = {}
        self._cache: dict[str, list[tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]]] = {}
        self._buffer: torch.Tensor | None = None
        with torch.inference_mode():
            for name, s in sets.items():
                chunks = []
                xt = torch.as_tensor(s.x)
                for i in range(0, len(s), self.CHUNK):
                    if check is not None:
                        check()
                    inputs, aux = self.net.cut(layer, xt[i : i + self.CHUNK])
                    y0 = self.net.layer_output(layer, inputs, w0, b0)
                    d = self.net.layer_output(layer, inputs, dw, db, folded_bias=False)
                    chunks.append((y0, d, aux))
                self._cache[name] = chunks
                self.labels[name] = torch.as_tensor(s.y, device=device)

    def _chunk_logits(self, name: str, alpha: float) -> list[torch.Tensor]:
        # the mix y0 + alpha d goes into one buffer reused by every chunk (the network after the
        # layer overwrites it in place): a fresh 2 MB tensor per chunk cost ~6000 page faults
        # and ~20 ms per update of layer1.conv1 (glibc returns such blocks to the system)
        a = float(alpha)
        out = []
        with torch.inference_mode():
            for y0, d, aux in self._cache[name]:
                if self.layer == "fc":  # the mix is the logits: a tensor of its own
                    out.append(torch.add(y0, d, alpha=a))
                    continue
                if self._buffer is None or self._buffer.shape[0] < y0.shape[0]:
                    self._buffer = torch.empty_like(y0)
                y = torch.add(y0, d, alpha=a, out=self._buffer[: y0.shape[0]])
                out.append(self.net.after(self.layer, y, aux))
        return out

    def logits(self, name: str, alpha: float) -> torch.Tensor:
        """Logits of set ``name`` at ``alpha``."""
        parts = self._chunk_logits(name, alpha)
        if not parts:
            return torch.zeros(0, int(self.net.fc_weight.shape[0]), device=self.net.device)
        with torch.inference_mode():
            return torch.cat(parts)

    def accuracies(self, alpha: float) -> dict[str, float]:
        """Accuracy of every set at ``alpha``."""
        out = {}
        with torch.inference_mode():
            for n in self._cache:
                labels = self.labels[n]
                hits = sum(
                    int((z.argmax(1) == labels[i * self.CHUNK : i * self.CHUNK + len(z)]).sum())
                    for i, z in enumerate(self._chunk_logits(n, alpha))
                )
                out[n] = hits / len(labels) if len(labels) else float("nan")
        return out


def _one_li(
    model: MicrographResNet,
    cfg: OneLI,
    edit: ImageSet,
    source: ImageSet,
    seed: int,
    check: Check,
    progress: Progress,
    device: str,
    anchors: ImageSet | None = None,
) -> EditOutcome:
    if isinstance(cfg.base, OneLI):
        raise ValueError("1-LI needs a base edit other than 1-LI")
    if cfg.alpha is not None and not 0.0 <= cfg.alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {cfg.alpha}")
    original = copy.deepcopy(model)
    sub = None if progress is None else (lambda f, m: progress(0.8 * f, m))
    base = _dispatch(model, cfg.base, edit, source, seed, check, sub, device, anchors)
    base.changed = changed_parameters(original, base.model)
    return one_li_from_base(original, base, cfg, edit, device, check, progress)


def one_li_from_base(
    original: MicrographResNet,
    base: EditOutcome,
    cfg: OneLI,
    edit: ImageSet,
    device: str = "cpu",
    check: Check = None,
    progress: Progress = None,
) -> EditOutcome:
    """1-LI toward an edit already made (``base``, an outcome of ``cfg.base`` on ``original``):
    the layer and alpha chosen as in :class:`OneLI`.  ``changed`` of the result is filled."""
    if cfg.alpha is not None and not 0.0 <= cfg.alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {cfg.alpha}")
    layer = cfg.layer or base.layer or most_changed_layer(original, base.model)
    _check_layer(layer)
    grid = np.linspace(0.0, 1.0, max(2, int(cfg.grid)))
    interp = LayerInterpolation(original, base.model, layer, {"edit": edit}, device, check)
    curve = [interp.accuracies(float(a))["edit"] for a in grid]
    if cfg.alpha is not None:
        alpha = float(cfg.alpha)
    else:
        lo, hi = curve[0], curve[-1]
        goal = lo + cfg.target * (hi - lo)
        alpha = float(next((a for a, v in zip(grid, curve, strict=True) if v >= goal - 1e-12), 1.0)) if hi > lo else 1.0
    edited = interpolate_layer(original, base.model, layer, alpha)
    if progress is not None:
        progress(1.0, f"1-LI at alpha {alpha:.2f}")
    return EditOutcome(
        edited,
        changed_parameters(original, edited),
        layer,
        base.losses,
        {
            "alpha": alpha,
            "alpha_grid": grid.tolist(),
            "edit_curve": curve,
            "base": cfg.base.name,
            "base_details": base.details,
        },
    )


def _dispatch(
    model: MicrographResNet,
    cfg: EditConfig,
    edit: ImageSet,
    source: ImageSet,
    seed: int,
    check: Check,
    progress: Progress,
    device: str,
    anchors: ImageSet | None = None,
) -> EditOutcome:
    if isinstance(cfg, Rewrite):
        return _rewrite(model, cfg, edit, source, seed, check, progress, device)
    if isinstance(cfg, OneLI):
        return _one_li(model, cfg, edit, source, seed, check, progress, device, anchors)
    if anchors is not None and len(anchors):
        edit = ImageSet.concat([ImageSet(edit.x, edit.y, edit.names), anchors])
    if isinstance(cfg, FullFinetune):
        return _full(model, cfg, edit, seed, check, progress, device)
    if isinstance(cfg, SurgicalFinetune):
        return _surgical(model, cfg, edit, seed, check, progress, device)
    if isinstance(cfg, SurgicalBest):
        return _surgical_best(model, cfg, edit, seed, check, progress, device)
    if isinstance(cfg, LastLayer):
        return _last_layer(model, cfg, edit, seed, check, progress, device)
    if isinstance(cfg, LowRank):
        return _lowrank(model, cfg, edit, seed, check, progress, device)
    raise ValueError(f"unknown edit method {type(cfg).__name__}")


def replay_set(source: ImageSet, per_class: int, seed: int, num_classes: int) -> ImageSet:
    """``per_class`` source images of each class (fewer if a class has fewer), drawn with ``seed``."""
    rng = np.random.default_rng([seed, 99])
    idx = []
    for c in range(num_classes):
        rows = np.flatnonzero(source.y == c)
        idx += sorted(rng.choice(rows, size=min(per_class, len(rows)), replace=False).tolist())
    return source.take(idx)


def apply_edit(
    model: nn.Module,
    cfg: EditConfig,
    edit: ImageSet,
    source: ImageSet | None = None,
    seed: int = 0,
    device: str = "cpu",
    check: Check = None,
    progress: Progress = None,
    replay: int = 0,
) -> EditOutcome:
    """Run the edit ``cfg`` on a copy of ``model`` (a :class:`MicrographResNet`) with the edit
    set ``edit``; ``source``: source training images (the rewrite's keys and values, replay).
    ``replay``: source training images per class appended to the edit set of the gradient-based
    methods (anchors that keep the source classes in place; the rewrite, closed form, ignores
    them).  The original model is not changed.  ValueError for settings out of range."""
    if not isinstance(model, MicrographResNet):
        raise ValueError(
            f"edits need a MicrographResNet (a checkpoint or state dict of this plugin); a "
            f"{type(model).__name__} (e.g. TorchScript) can only be evaluated"
        )
    if len(edit) == 0:
        raise ValueError("the edit set is empty")
    if replay < 0:
        raise ValueError(f"replay must be >= 0 source images per class, got {replay}")
    work = copy.deepcopy(model).to(device).eval()
    src = source if source is not None else ImageSet(edit.x[:0], edit.y[:0], ())
    if replay and len(src) == 0:
        raise ValueError("replay needs the source training images")
    out = _dispatch(
        work,
        cfg,
        edit,
        src,
        seed,
        check,
        progress,
        device,
        replay_set(src, replay, seed, work.num_classes) if replay else None,
    )
    out.model.eval()
    for p in out.model.parameters():
        p.requires_grad_(False)
    out.changed = changed_parameters(model.to(device), out.model)
    return out
