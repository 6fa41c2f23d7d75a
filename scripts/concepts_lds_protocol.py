"""The LDS protocol study behind docs/concepts.md (concept ``round``, layer4, default ensemble).

Three steps, so the retrainings can run in two processes on the 2-core machine:

    python scripts/concepts_lds_protocol.py features DIR [--proj-dim 512]
    python scripts/concepts_lds_protocol.py retrain DIR --order same|subset --subsets 20 --seeds 0 1
    python scripts/concepts_lds_protocol.py report DIR

``features``: TRAK scores (our ``trak_scores`` wiring: ``ProbedNet``, traker's
``image_classification`` task for the training set, ``ProbeMarginOutput`` for the targets, one
``BasicProjector`` block) of all 200 held-out ``round`` images (100 positives, 100 negatives)
against the 3,000 training images, over the 5 checkpoints, with each member's probe at layer4;
also each checkpoint alone and, as a reference output, traker's class margin.  Writes
DIR/scores.npz.

``retrain``: for each half subset j (``half_masks(3000, subsets, 0)``, the job's masks) and
each seed index r, member r's seed and settings trained on the subset (``--order same``: the
full set's data order, ``train_member(..., same_order=True)``, the CLI's protocol; ``subset``:
the subset's own shuffling, the earlier protocol); records the margin of a probe refitted on
it, of member r's original probe applied to it, and its class margin.  One file per (j, r),
DIR/<order>/j{j}_r{r}.npz; a (j, r) already claimed by another process is skipped.

``report``: the LDS table (mean per-target Spearman over subsets, 95 % bootstrap CI) for each
order, output, target set and number of models per subset, as Markdown.
"""

from __future__ import annotations

import argparse
import copy
import glob
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

CONCEPT, LAYER, LI = "round", "layer4", 4


def _setup():
    from workbench_concepts.jobs import load_ensemble_and_data, probe_concepts

    loaded = load_ensemble_and_data()
    _, fitted = probe_concepts(loaded.models, loaded.data, (1,), None, (CONCEPT,))
    probes = [fitted[CONCEPT].probes[m][LI] for m in range(len(loaded.models))]
    return loaded, probes


def features(d: Path, proj_dim: int) -> None:
    import trak
    from trak.projectors import BasicProjector, ProjectionType

    from workbench_concepts.core.attribution import ProbedNet, _probe_margin_output
    from workbench_concepts.core.resnet import ConceptResNet

    t0 = time.time()
    loaded, probes = _setup()
    train, cset = loaded.data.train, loaded.data.concepts[CONCEPT]
    xt = torch.from_numpy(np.ascontiguousarray(cset.test.images))
    yt = torch.from_numpy(cset.test_y.astype(np.int64))
    ct = torch.from_numpy(cset.test.labels)
    nets = [ProbedNet(copy.deepcopy(m), LAYER, p).eval() for m, p in zip(loaded.models, probes, strict=True)]
    cks = [{k: v.detach().clone() for k, v in n.state_dict().items()} for n in nets]
    work = ProbedNet(ConceptResNet(loaded.models[0].width, loaded.models[0].num_classes), LAYER).eval()
    npar = sum(p.numel() for p in work.parameters())

    def proj() -> BasicProjector:
        return BasicProjector(
            grad_dim=npar,
            proj_dim=proj_dim,
            seed=0,
            proj_type=ProjectionType.normal,
            device="cpu",
            block_size=proj_dim,
            dtype=torch.float32,
        )

    common = dict(
        train_set_size=len(train),
        device="cpu",
        proj_dim=proj_dim,
        use_half_precision=False,
        projector_seed=0,
        lambda_reg=0.0,
        logging_level=logging.ERROR,
    )
    x, y = torch.from_numpy(train.images), torch.from_numpy(train.labels)
    out: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as save_dir:
        f = trak.TRAKer(model=work, task="image_classification", save_dir=save_dir, projector=proj(), **common)
        for mid, ck in enumerate(cks):
            f.load_checkpoint(ck, model_id=mid)
            for s in range(0, len(train), 100):
                f.featurize(batch=(x[s : s + 100], y[s : s + 100]), num_samples=min(100, len(train) - s))
            print(f"featurized checkpoint {mid}: {time.time() - t0:.0f} s", flush=True)
        f.finalize_features()
        for name, task, lab in (("probe", _probe_margin_output(), yt), ("class", "image_classification", ct)):
            sc = trak.TRAKer(
                model=work, task=task, save_dir=save_dir, load_from_save_dir=True, projector=proj(), **common
            )
            for mid, ck in enumerate(cks):
                sc.start_scoring_checkpoint(exp_name=name, checkpoint=ck, model_id=mid, num_targets=len(yt))
                for s in range(0, len(yt), 100):
                    sc.score(batch=(xt[s : s + 100], lab[s : s + 100]), num_samples=min(100, len(yt) - s))
            out[f"{name}_all"] = np.array(sc.finalize_scores(exp_name=name), dtype=np.float64)
            for mid in range(len(cks)):
                out[f"{name}_{mid}"] = np.array(sc.finalize_scores(exp_name=name, model_ids=[mid]), dtype=np.float64)
    np.savez(d / "scores.npz", y=cset.test_y, **out)
    print(f"features and scores: {time.time() - t0:.0f} s", flush=True)


def retrain(d: Path, order: str, subsets: int, seeds: list[int]) -> None:
    from workbench_concepts.core.attribution import half_masks
    from workbench_concepts.core.probes import fit_probe, pooled_features
    from workbench_concepts.core.train import train_member

    loaded, probes = _setup()
    data, cset = loaded.data, loaded.data.concepts[CONCEPT]
    xt, ct = cset.test.images, cset.test.labels
    masks = half_masks(len(data.train), subsets, 0)
    (d / order).mkdir(exist_ok=True)
    (d / "claims").mkdir(exist_ok=True)
    for r in seeds:
        for j in range(subsets):
            try:
                os.mkdir(d / "claims" / f"{order}_j{j}_r{r}")
            except FileExistsError:
                continue
            t0 = time.time()
            m = train_member(
                data.train,
                int(loaded.provenance["seeds"][r]),
                loaded.train_cfg,
                indices=np.flatnonzero(masks[j]),
                same_order=order == "same",
            )
            p = fit_probe(LAYER, pooled_features(m, cset.fit)[LAYER], cset.fit_y)
            feats = pooled_features(m, xt)[LAYER]
            with torch.no_grad():
                lg = m(torch.from_numpy(np.ascontiguousarray(xt))).double()
            rows, c = torch.arange(len(ct)), torch.from_numpy(ct)
            correct = lg[rows, c].clone()
            lg[rows, c] = -torch.inf
            np.savez(
                d / order / f"j{j}_r{r}.npz",
                refit=p.logits(feats),
                fixed=probes[r].logits(feats),
                cls=(correct - torch.logsumexp(lg, 1)).numpy(),
            )
            print(f"{order} j{j} r{r}: {time.time() - t0:.0f} s", flush=True)


def report(d: Path) -> None:
    from workbench_concepts.core.attribution import half_masks, lds_from_outputs

    s = np.load(d / "scores.npz")
    y = s["y"].astype(bool)
    sign = np.where(y, 1.0, -1.0)
    print("| data order | output measured / attributed | targets | models per subset | subsets | LDS | 95 % CI |")
    print("|---|---|---|---|---|---|---|")
    for order in ("subset", "same"):
        res = {}
        for f in glob.glob(str(d / order / "*.npz")):
            j, r = map(int, re.findall(r"j(\d+)_r(\d+)", f)[0])
            res[(j, r)] = np.load(f)
        if not res:
            continue
        seeds = sorted({r for _, r in res})
        n = max(j for j, _ in res) + 1
        masks = half_masks(len(s["probe_all"]), n, 0)
        for k in range(1, len(seeds) + 1):
            members = seeds[:k]
            js = [j for j in range(n) if all((j, r) in res for r in members)]
            if len(js) < 4:
                continue
            for kind, label in (
                ("refit", "a refitted probe's margin / probe margin (`--lds-probe refit`)"),
                ("fixed", "member r's own probe on subset model r / probe margin (the CLI's default)"),
                ("cls", "class margin / traker's class margin"),
            ):
                act = np.array([np.mean([res[(j, r)][kind] for r in members], 0) for j in js])
                if kind != "cls":
                    act = act * sign
                sc = s["class_all" if kind == "cls" else "probe_all"]
                for tname, sel in (("100 positives", y), ("all 200", np.ones_like(y))):
                    a = lds_from_outputs(sc[:, sel], masks[js], act[:, sel])
                    ci = f"{a.ci[0]:.3f} .. {a.ci[1]:.3f}"
                    print(f"| {order} | {label} | {tname} | {k} | {len(js)} | {a.lds:.3f} | {ci} |")


def main() -> None:
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=("features", "retrain", "report"))
    ap.add_argument("dir", type=Path)
    ap.add_argument("--proj-dim", type=int, default=512)
    ap.add_argument("--order", choices=("same", "subset"), default="same")
    ap.add_argument("--subsets", type=int, default=20)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    a = ap.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    if a.step == "features":
        features(a.dir, a.proj_dim)
    elif a.step == "retrain":
        retrain(a.dir, a.order, a.subsets, a.seeds)
    else:
        report(a.dir)


if __name__ == "__main__":
    main()
