"""The model families of the default zoo, with a common interface for comparison:

``layer_names()`` lists the representation points; ``features(x)`` returns their activations
in that order; ``stitch_points()`` lists the points a stitching layer may join, and
``forward_from(name, h)`` runs the model from such a point to its logits.

* :class:`TinyLM` - a character-level, pre-LayerNorm decoder-only transformer with GeLU or
  SoLU MLPs.  SoLU(x) = LayerNorm(x * softmax(x)) (Elhage et al. 2022, "Softmax Linear
  Units", transformer-circuits.pub).  Representation points: the residual stream after the
  embedding and after every block (``resid0..L``) and the MLP neurons of every block
  (``mlp0..L-1``, after the activation).
* :class:`DigitsMLP` - a ReLU multilayer perceptron for 8 x 8 digit images; points ``h1..hK``
  (hidden activations after ReLU) and ``logits``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from workbench.seeding import init_module_, preserve_global_rng


class SoLU(nn.Module):
    """``LayerNorm(x * softmax(x))`` over the last dimension (Elhage et al. 2022)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.ln = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(x * torch.softmax(x, dim=-1))


class Block(nn.Module):
    """Pre-LN transformer block: causal self-attention and an MLP, each added to the residual."""

    def __init__(self, d: int, heads: int, d_mlp: int, act: str) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc_in = nn.Linear(d, d_mlp)
        self.act = SoLU(d_mlp) if act == "solu" else nn.GELU()
        self.fc_out = nn.Linear(d_mlp, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
        return x + self.fc_out(self.act(self.fc_in(self.ln2(x))))


class TinyLM(nn.Module):
    """Character-level transformer language model (config: vocab, d, layers, heads, d_mlp, ctx, act)."""

    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, vocab: int, d: int, layers: int, heads: int, d_mlp: int, ctx: int, act: str) -> None:
        super().__init__()
        if act not in ("gelu", "solu"):
            raise ValueError(f"act must be gelu or solu, got {act!r}")
        self.config = dict(kind="lm", vocab=vocab, d=d, layers=layers, heads=heads, d_mlp=d_mlp, ctx=ctx, act=act)
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(ctx, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads, d_mlp, act) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.unembed = nn.Linear(d, vocab)

    def init_parameters_(self, generator: torch.Generator) -> None:
        """torch's default init from ``generator`` in the order of construction: token embedding
        N(0, 1), positions N(0, 0.02^2), the blocks, the final LayerNorm, the unembedding."""
        init_module_(self.embed, generator)
        self.pos.copy_(torch.randn(tuple(self.pos.shape), generator=generator) * 0.02)
        for part in (self.blocks, self.ln_f, self.unembed):
            init_module_(part, generator)

    def layer_names(self) -> list[str]:
        names = ["resid0"]
        for i in range(len(self.blocks)):
            names += [f"mlp{i}", f"resid{i + 1}"]
        return names

    def stitch_points(self) -> list[str]:
        return [f"resid{i}" for i in range(len(self.blocks) + 1)]

    def embed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.embed(tokens) + self.pos[: tokens.shape[1]]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.forward_from("resid0", self.embed_tokens(tokens))

    def forward_from(self, point: str, h: torch.Tensor) -> torch.Tensor:
        start = int(point.removeprefix("resid"))
        for blk in self.blocks[start:]:
            h = blk(h)
        return self.unembed(self.ln_f(h))

    def features(self, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """Activations of every point, each ``[batch, tokens, width]``."""
        feats: dict[str, torch.Tensor] = {}
        h = self.embed_tokens(tokens)
        feats["resid0"] = h
        hooks = []
        for j, blk in enumerate(self.blocks):
            assert isinstance(blk, Block)  # a ModuleList's items are typed Module
            hooks.append(blk.act.register_forward_hook(lambda m, i, o, k=f"mlp{j}": feats.__setitem__(k, o)))
        try:
            for j, blk in enumerate(self.blocks):
                h = blk(h)
                feats[f"resid{j + 1}"] = h
        finally:
            for hk in hooks:
                hk.remove()
        return {k: feats[k] for k in self.layer_names()}


class DigitsMLP(nn.Module):
    """ReLU MLP 64 -> widths... -> 10 on 8 x 8 digits (pixels scaled to [0, 1])."""

    @preserve_global_rng()  # default init thrown away: see build_model
    def __init__(self, widths: list[int], n_in: int = 64, n_out: int = 10) -> None:
        super().__init__()
        self.config = dict(kind="mlp", widths=list(widths), n_in=n_in, n_out=n_out)
        dims = [n_in] + list(widths)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(dims))
        self.out = nn.Linear(dims[-1], n_out)

    def layer_names(self) -> list[str]:
        return [f"h{i + 1}" for i in range(len(self.hidden))] + ["logits"]

    def stitch_points(self) -> list[str]:
        return [f"h{i + 1}" for i in range(len(self.hidden))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for lin in self.hidden:
            x = F.relu(lin(x))
        return self.out(x)

    def forward_from(self, point: str, h: torch.Tensor) -> torch.Tensor:
        start = int(point.removeprefix("h"))
        for lin in self.hidden[start:]:
            h = F.relu(lin(h))
        return self.out(h)

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = {}
        for i, lin in enumerate(self.hidden):
            x = F.relu(lin(x))
            feats[f"h{i + 1}"] = x
        feats["logits"] = self.out(x)
        return feats


def build_model(config: dict[str, Any], generator: torch.Generator | None = None) -> nn.Module:
    """Instantiate a model from its config dict (as stored in the safetensors metadata).

    generator: the initial weights are drawn from it (:func:`workbench.seeding.init_module_`;
    ``torch_generator(seed)`` gives the weights ``torch.manual_seed(seed)`` gave before).  None:
    placeholder weights for ``load_state_dict`` (drawn without changing torch's process-wide
    generator, so not reproducible by themselves)."""
    cfg = dict(config)
    kind = cfg.pop("kind", None)
    if kind == "lm":
        model: nn.Module = TinyLM(**cfg)
    elif kind == "mlp":
        model = DigitsMLP(**cfg)
    else:
        raise ValueError(f"unknown model kind {kind!r} (expected 'lm' or 'mlp')")
    return model if generator is None else init_module_(model, generator)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def lm_loss(model: TinyLM, batch: torch.Tensor) -> torch.Tensor:
    """Mean next-character cross-entropy in nats of a ``[B, ctx + 1]`` batch."""
    logits = model(batch[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
