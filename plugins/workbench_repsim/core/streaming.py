"""Layer-by-layer minibatch CKA streamed over batches of inputs (Nguyen, Raghu & Kornblith 2021).

Activations of each batch are computed, folded into :class:`.cka.MinibatchCKA` accumulators
(A-vs-A, A-vs-B, B-vs-B) and dropped, so the full n x d activations are never held: memory is
O(batch x width).  The estimate is mean_k HSIC_1 / sqrt(mean_k HSIC_1 mean_k HSIC_1) over the
batches; with one batch it is debiased linear CKA.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.jobs import checking, heartbeat

from .cka import MinibatchCKA, minibatch_form, unbiased_grams
from .validate import DegenerateInputError
from .zoo import classify_source


@dataclass
class StreamedHeatmaps:
    names_a: list[str]
    names_b: list[str]
    matrices: dict[str, np.ndarray]
    n: int
    batches: int


def _batches(
    source: str,
    data: str,
    pooling: str,
    max_samples: int,
    batch_size: int,
    device: str,
    check: Callable[[], None] | None,
):
    """Yield (names, list of per-layer arrays) for consecutive input batches of ``source``."""
    from .extract import extract_zoo
    from .sources import load_model_source, load_npz_layers, model_inputs

    kind = classify_source(source)
    if kind == "npz":
        layers = load_npz_layers(source)
        n = min(layers.n, max_samples)
        for s in range(0, n, batch_size):
            heartbeat()
            yield layers.names, [a[s : min(s + batch_size, n)] for a in layers.arrays]
        return
    if kind == "hf":
        raise DegenerateInputError(
            "streamed minibatch CKA supports the plugin's own models and .npz files; "
            "for Hugging Face folders use the in-memory heatmap"
        )
    model, family = load_model_source(source)
    inputs = model_inputs(family, data, max_samples, model.config.get("ctx", 48))
    for s in range(0, len(inputs), batch_size):
        feats = extract_zoo(model, inputs[s : s + batch_size], pooling=pooling, device=device, check=check)
        yield list(feats), list(feats.values())


def streamed_minibatch_cka(
    source_a: str,
    source_b: str = "",
    *,
    data: str = "default",
    pooling: str = "mean",
    max_samples: int = 100000,
    batch_size: int = 256,
    device: str = "cpu",
    check: Callable[[], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> StreamedHeatmaps:
    """Minibatch-CKA heatmaps of A (and B) over batches of ``batch_size`` inputs."""
    if batch_size < 4:
        raise DegenerateInputError("minibatch CKA needs batches of at least 4 inputs")
    state: dict[str, Any] = {"fraction": 0.0, "message": "loading activations"}

    def beat() -> None:  # called by heartbeat() inside loading and the accumulators
        if check:
            check()
        if progress:
            progress(float(state["fraction"]), str(state["message"]))

    with checking(beat):
        return _streamed(source_a, source_b, data, pooling, max_samples, batch_size, device, check, progress, state)


def _streamed(
    source_a: str,
    source_b: str,
    data: str,
    pooling: str,
    max_samples: int,
    batch_size: int,
    device: str,
    check: Callable[[], None] | None,
    progress: Callable[[float, str], None] | None,
    state: dict[str, Any],
) -> StreamedHeatmaps:
    accs = {"AA": MinibatchCKA()}
    if source_b:
        accs.update(AB=MinibatchCKA(), BB=MinibatchCKA())
    gen_a = _batches(source_a, data, pooling, max_samples, batch_size, device, check)
    gen_b = _batches(source_b, data, pooling, max_samples, batch_size, device, check) if source_b else None
    names_a: list[str] = []
    names_b: list[str] = []
    n = k = 0
    total = max(1, max_samples // batch_size)
    for batch_names_a, xs in gen_a:
        names_a = batch_names_a
        if check:
            check()
        if gen_b is not None:
            try:
                names_b, ys = next(gen_b)
            except StopIteration:
                raise DegenerateInputError("B ran out of inputs before A: both must see the same data") from None
            if ys[0].shape[0] != xs[0].shape[0]:
                raise DegenerateInputError(f"batch {k}: A gives {xs[0].shape[0]} rows and B {ys[0].shape[0]}")
        if xs[0].shape[0] < 4:
            break  # a trailing batch too small for the unbiased estimator
        dims_a = [x.shape[1] for x in xs]
        dims_b = [y.shape[1] for y in ys] if gen_b is not None else []
        gx: list[np.ndarray] | None
        gy: list[np.ndarray] | None
        if minibatch_form(xs[0].shape[0], dims_a, dims_b or dims_a) == "gram":
            gx = unbiased_grams(xs)  # shared by the three accumulators
            gy = unbiased_grams(ys) if gen_b is not None else None
        else:
            gx = gy = None
        accs["AA"].update(xs, xs, gx, gx)
        if gen_b is not None:
            accs["AB"].update(xs, ys, gx, gy)
            accs["BB"].update(ys, ys, gy, gy)
        n += xs[0].shape[0]
        k += 1
        state.update(fraction=min(0.99, k / total), message=f"minibatch {k}: {n} rows")
        if progress:
            progress(state["fraction"], state["message"])
    if k == 0:
        raise DegenerateInputError("no batch of at least 4 inputs was available")
    return StreamedHeatmaps(names_a, names_b, {key: acc.value() for key, acc in accs.items()}, n, k)
