"""Benchmark: TRAK of a concept probe, our wiring against traker's own defaults.

    python benchmarks/bench_concepts.py [--n-train 3000] [--members 1] [--targets 50]
        [--proj-dim 512] [--lds 0] [--threads 1]

Both sides featurize the same training images on the same checkpoints of the shipped default
ensemble (resources/concepts/; member 0 by default: "one checkpoint") and score the same
targets (the ``round`` probe's margin at layer4 on held-out concept positives, the model output
function of :mod:`workbench_concepts.core.attribution`), in this one run, one after the other:

* ours: :func:`workbench_concepts.core.attribution.trak_scores` (float32, ``proj_dim`` 512,
  traker's ``BasicProjector`` built with one block of ``proj_dim`` columns, so the Gaussian
  matrix is drawn once per checkpoint);
* anchor: ``trak.TRAKer(model, task="image_classification", train_set_size=n, save_dir=...,
  device="cpu")`` with nothing else set: traker's defaults (``proj_dim`` 2048, half precision,
  its CPU projector: ``BasicProjector`` with blocks of 100 columns, i.e. the matrix redrawn
  2048 / 100 times per batch), scoring with the same target function.

Printed: featurizing and scoring time of each side, featurizing time per 1,000 training
examples and checkpoint, the ratio anchor / ours; the agreement of the two score matrices
(Spearman correlation of the concept-level scores, mean per-target Spearman, overlap of the
100 top-attributing examples); and with ``--lds M`` the linear datamodeling score of both
(Park et al. 2023, eq. 5) against the same M models retrained on random half subsets (member
0's seed, settings and data order, scored through member 0's own probe: the concepts job's
protocol, docs/concepts.md), with 95 % bootstrap intervals.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

CONCEPT, LAYER = "round", "layer4"


def ours(models, probes, train, xt, yt, proj_dim: int) -> tuple[np.ndarray, float, float]:
    """(scores, featurizing seconds, scoring seconds) through our wiring."""
    from workbench_concepts.core.attribution import TrakConfig, trak_scores

    cfg = TrakConfig(proj_dim=proj_dim)
    n_feat = len(models) * -(-len(train) // cfg.batch)
    stamps: list[float] = []
    t0 = time.perf_counter()
    scores = trak_scores(models, probes, LAYER, train, xt, yt, cfg, check=lambda _f: stamps.append(time.perf_counter()))
    t1 = time.perf_counter()
    return scores, stamps[n_feat - 1] - t0, t1 - stamps[n_feat - 1]


def traker_defaults(models, probes, train, xt, yt, batch: int = 100) -> tuple[np.ndarray, float, float]:
    """(scores, featurizing seconds, scoring seconds) through ``trak.TRAKer`` with its defaults."""
    import copy

    import torch
    import trak

    from workbench_concepts.core.attribution import ProbedNet, _probe_margin_output
    from workbench_concepts.core.resnet import ConceptResNet

    nets = [ProbedNet(copy.deepcopy(m), LAYER, p).eval() for m, p in zip(models, probes, strict=True)]
    ckpts = [{k: v.detach().clone() for k, v in n.state_dict().items()} for n in nets]
    work = ProbedNet(ConceptResNet(models[0].width, models[0].num_classes), LAYER).eval()
    x, y = torch.from_numpy(train.images), torch.from_numpy(train.labels)
    xs, ys = torch.from_numpy(np.ascontiguousarray(xt)), torch.from_numpy(yt)
    with tempfile.TemporaryDirectory(prefix="bench-trak-") as d:
        t0 = time.perf_counter()
        tr = trak.TRAKer(model=work, task="image_classification", train_set_size=len(train), save_dir=d, device="cpu")
        tr.logger.setLevel(logging.ERROR)
        for mid, ck in enumerate(ckpts):
            tr.load_checkpoint(ck, model_id=mid)
            for s in range(0, len(train), batch):
                b = (x[s : s + batch], y[s : s + batch])
                tr.featurize(batch=b, num_samples=b[0].shape[0])
        tr.finalize_features()
        t1 = time.perf_counter()
        sc = trak.TRAKer(
            model=work,
            task=_probe_margin_output(),
            train_set_size=len(train),
            save_dir=d,
            device="cpu",
            load_from_save_dir=True,
        )
        sc.logger.setLevel(logging.ERROR)
        for mid, ck in enumerate(ckpts):
            sc.start_scoring_checkpoint(exp_name="bench", checkpoint=ck, model_id=mid, num_targets=xs.shape[0])
            for s in range(0, xs.shape[0], batch):
                sc.score(batch=(xs[s : s + batch], ys[s : s + batch]), num_samples=min(batch, xs.shape[0] - s))
        scores = np.array(sc.finalize_scores(exp_name="bench"), dtype=np.float32)
        t2 = time.perf_counter()
    return scores, t1 - t0, t2 - t1


def lds_outputs(train, probe, cfg, xt, yt, masks, seed: int) -> np.ndarray:
    """The subset models' outputs on the targets (subsets x targets), by the protocol of the
    concepts job (docs/concepts.md): model j is trained from member 0's seed in member 0's data
    order (``same_order``: the subset is the only difference from member 0) and scored through
    member 0's own probe, held fixed: the very function both sides' scores attribute."""
    from workbench_concepts.core.probes import pooled_features
    from workbench_concepts.core.train import train_member

    out = np.zeros((masks.shape[0], xt.shape[0]))
    for j, m in enumerate(masks):
        model = train_member(train, seed, cfg, indices=np.flatnonzero(m), same_order=True)
        out[j] = (2 * yt - 1) * probe.logits(pooled_features(model, xt)[LAYER])
        print(f"  LDS subset {j + 1}/{masks.shape[0]} retrained", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-train", type=int, default=0, help="training images featurized (default: all of them)")
    ap.add_argument("--members", type=int, default=1, help="checkpoints (ensemble members 0..M-1; default 1)")
    ap.add_argument("--targets", type=int, default=50, help="held-out concept positives scored (default 50)")
    ap.add_argument("--proj-dim", type=int, default=512, help="our projection dimension (default 512)")
    ap.add_argument("--lds", type=int, default=0, help="random half subsets retrained for the LDS (default 0: none)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from scipy.stats import spearmanr

    from workbench_concepts.core.attribution import half_masks, lds_from_outputs, top_bottom
    from workbench_concepts.jobs import _targets, load_ensemble_and_data, probe_concepts

    loaded = load_ensemble_and_data()
    data = loaded.data
    n = args.n_train or len(data.train)
    train = data.train.subset(np.arange(n))
    models = loaded.models[: args.members]
    _, fitted = probe_concepts(models, data, (1,), None, (CONCEPT,))
    probes = [fitted[CONCEPT].probes[m][4] for m in range(len(models))]
    xt, yt = _targets(data, CONCEPT, args.targets)
    print(
        f"TRAK of the {CONCEPT} probe at {LAYER}: {n} training images, {len(models)} checkpoint(s), "
        f"{xt.shape[0]} targets, {args.threads} thread(s)",
        flush=True,
    )
    a, a_feat, a_score = ours(models, probes, train, xt, yt, args.proj_dim)
    print(
        f"ours     (proj_dim {args.proj_dim}, float32, one projector block): "
        f"featurize {a_feat:.1f} s, score {a_score:.1f} s",
        flush=True,
    )
    b, b_feat, b_score = traker_defaults(models, probes, train, xt, yt)
    print(
        f"traker's defaults (proj_dim 2048, float16, blocks of 100):  featurize {b_feat:.1f} s, score {b_score:.1f} s",
        flush=True,
    )
    per = 1000 / (n * len(models))
    print(
        f"featurizing per 1,000 examples and checkpoint: ours {a_feat * per:.1f} s, "
        f"traker's defaults {b_feat * per:.1f} s"
    )
    print(
        f"ratio anchor / ours: featurize {b_feat / a_feat:.2f}, "
        f"featurize + score {(b_feat + b_score) / (a_feat + a_score):.2f}"
    )

    ca, cb = a.mean(1), b.mean(1)
    rho = float(spearmanr(ca, cb).statistic)
    per_t = float(np.nanmean([spearmanr(a[:, t], b[:, t]).statistic for t in range(a.shape[1])]))
    ta, tb = top_bottom(ca, 100)[0], top_bottom(cb, 100)[0]
    overlap = len(set(ta.tolist()) & set(tb.tolist())) / min(100, n)
    print(
        f"agreement: Spearman of the concept-level scores {rho:.3f}, mean per-target Spearman {per_t:.3f}, "
        f"top-100 overlap {overlap:.2f}"
    )
    if args.lds:
        masks = half_masks(n, args.lds, 0)
        seed = int(loaded.provenance["seeds"][0])
        actual = lds_outputs(train, probes[0], loaded.train_cfg, xt, yt, masks, seed)
        for name, s in (("ours", a), ("traker's defaults", b)):
            r = lds_from_outputs(s, masks, actual)
            print(f"LDS {name}: {r.lds:.3f} (95 % CI {r.ci[0]:.3f} .. {r.ci[1]:.3f}), {args.lds} subsets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
