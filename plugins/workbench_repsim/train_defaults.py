"""Retrain the default zoo and recompute its results table (``resources/repsim/``).

    python -m workbench_repsim.train_defaults [--out DIR] [--threads 2] [--only lm|mlp]

Trains, on the CPU with fixed seeds (about ten minutes on one thread of a shared 2-core machine):

* 8 character transformers (GeLU / SoLU, width 32 / 64, seeds 0 / 1; 2 blocks, context 48)
  on 20,000 sentences of the project's grammar (:mod:`workbench_repsim.core.corpus`, seed 0);
* digit MLPs on scikit-learn's digits: width 64 seeds 0-3, width 16 and 128 seeds 0-1, and
  four width-64 networks whose first two layers are copied from one trained "trunk"
  network and frozen identically;

then writes ``results.json``: basis correlation and CKA between seeds with and without the
frozen early layers, linear mode connectivity barriers vs width with and without permutation
alignment, the rotation test, and the SoLU/GeLU stitching table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from workbench.seeding import init_module_, torch_generator
from workbench_repsim.core.cka import linear_cka
from workbench_repsim.core.data import EVAL_TEXT_SEED, LM_TRAIN_SENTENCES, digits_split, lm_windows
from workbench_repsim.core.lmc import lmc_curve
from workbench_repsim.core.matching import basis_correlation
from workbench_repsim.core.models import DigitsMLP, build_model, n_params
from workbench_repsim.core.rotation import rotation_test
from workbench_repsim.core.stitching import lm_task, stitch_both
from workbench_repsim.core.training import eval_classifier, eval_lm, train_lm, train_mlp
from workbench_repsim.core.zoo import ZOO, resource_dir, save_model

COMMAND = "python -m workbench_repsim.train_defaults"
LM_STEPS, LM_BATCH, LM_LR = 500, 32, 3e-3
MLP_EPOCHS, MLP_LR = 40, 1e-3
#: hidden layers copied from the trunk network and frozen in the mlp-w64-frozen group
FROZEN_LAYERS = 2


def _common() -> dict:
    return {
        "command": COMMAND,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def train_lms(out: Path) -> dict:
    tr, te = lm_windows()
    metrics = {}
    for name, e in ZOO.items():
        if e.family != "lm":
            continue
        t0 = time.perf_counter()
        model = build_model(e.config, generator=torch_generator(e.seed))
        train_lm(model, tr, LM_STEPS, LM_BATCH, LM_LR, e.seed)
        loss, acc = eval_lm(model, te)
        secs = time.perf_counter() - t0
        prov = {
            "name": name,
            "config": e.config,
            "seed": e.seed,
            "parameters": n_params(model),
            "data": f"{LM_TRAIN_SENTENCES} sentences of the grammar in workbench_repsim/core/corpus.py (seed 0), "
            "random windows of 49 characters; test: 2000 sentences with seed "
            f"{EVAL_TEXT_SEED}",
            "training": {"optimizer": "AdamW(wd=0.01) one-cycle", "lr": LM_LR, "steps": LM_STEPS, "batch": LM_BATCH},
            "metrics": {"test_loss_nats_per_char": round(loss, 4), "test_next_char_accuracy": round(acc, 4)},
            "train_seconds": round(secs, 1),
            **_common(),
        }
        save_model(model, out / f"{name}.safetensors", prov)
        metrics[name] = prov["metrics"]
        print(f"{name}: loss {loss:.3f} nats/char, acc {acc:.3f}, {secs:.1f} s", flush=True)
    return metrics


def train_mlps(out: Path) -> dict:
    xtr, ytr, xte, yte = digits_split(0)
    metrics = {}
    trunk = init_module_(DigitsMLP([64, 64, 64]), torch_generator(100))
    train_mlp(trunk, xtr, ytr, MLP_EPOCHS, MLP_LR, 100)
    for name, e in ZOO.items():
        if e.family != "mlp":
            continue
        t0 = time.perf_counter()
        model = build_model(e.config, generator=torch_generator(e.seed))
        if e.frozen_from:
            for k in range(FROZEN_LAYERS):
                model.hidden[k].load_state_dict(trunk.hidden[k].state_dict())
                for p in model.hidden[k].parameters():
                    p.requires_grad_(False)
        train_mlp(model, xtr, ytr, MLP_EPOCHS, MLP_LR, e.seed)
        for p in model.parameters():
            p.requires_grad_(True)
        loss, acc = eval_classifier(model, xte, yte)
        prov = {
            "name": name,
            "config": e.config,
            "seed": e.seed,
            "parameters": n_params(model),
            "data": "scikit-learn load_digits, pixels/16, 70/30 split with numpy seed 0 (1258 train, 539 test)",
            "training": {
                "optimizer": "Adam",
                "lr": MLP_LR,
                "epochs": MLP_EPOCHS,
                "batch": 64,
                "frozen_layers": f"hidden layers 1-{FROZEN_LAYERS} copied from a width-64 network "
                "trained with seed 100, not trained"
                if e.frozen_from
                else "none",
            },
            "metrics": {"test_loss_nats": round(loss, 4), "test_accuracy": round(acc, 4)},
            "train_seconds": round(time.perf_counter() - t0, 2),
            **_common(),
        }
        save_model(model, out / f"{name}.safetensors", prov)
        metrics[name] = prov["metrics"]
        print(f"{name}: acc {acc:.3f}", flush=True)
    return metrics


def _load(out: Path, name: str):
    from workbench_repsim.core.zoo import load_safetensors_model

    return load_safetensors_model(out / f"{name}.safetensors")


def mlp_results(out: Path) -> dict:
    xtr, ytr, xte, yte = digits_split(0)
    res: dict = {"basis": {}, "lmc": {}, "rotation": []}
    for group in ("mlp-w64", "mlp-w64-frozen"):
        names = [n for n, e in ZOO.items() if e.group == group]
        feats = {n: _load(out, n).features(torch.from_numpy(xte)) for n in names}
        per_layer = {}
        for layer in ("h1", "h2", "h3"):
            bc, ck = [], []
            for a, b in itertools.combinations(names, 2):
                ha, hb = (
                    feats[a][layer].detach().numpy().astype(np.float64),
                    feats[b][layer].detach().numpy().astype(np.float64),
                )
                keep = ha.std(0) > 1e-8
                keepb = hb.std(0) > 1e-8
                bc.append(basis_correlation(ha[:, keep], hb[:, keepb]))
                ck.append(linear_cka(ha, hb))
            per_layer[layer] = {
                "basis_correlation_mean": float(np.mean(bc)),
                "basis_correlation_pairs": bc,
                "cka_mean": float(np.mean(ck)),
            }
        res["basis"][group] = per_layer
    for w in (16, 64, 128):
        a, b = _load(out, f"mlp-w{w}-s0"), _load(out, f"mlp-w{w}-s1")
        plain = lmc_curve(a, b, xte, yte)
        aligned = lmc_curve(a, b, xte, yte, align=True, x_align=xtr)
        fa, fb = a.features(torch.from_numpy(xte)), b.features(torch.from_numpy(xte))
        bcs = []
        for layer in ("h1", "h2", "h3"):
            ha, hb = fa[layer].detach().numpy().astype(np.float64), fb[layer].detach().numpy().astype(np.float64)
            bcs.append(basis_correlation(ha[:, ha.std(0) > 1e-8], hb[:, hb.std(0) > 1e-8]))
        res["lmc"][f"w{w}"] = {
            "barrier_nats": plain.barrier,
            "barrier_aligned_nats": aligned.barrier,
            "loss_path": plain.loss.tolist(),
            "loss_path_aligned": aligned.loss.tolist(),
            "basis_correlation_mean": float(np.mean(bcs)),
        }
        print(f"LMC w{w}: barrier {plain.barrier:.3f}, aligned {aligned.barrier:.3f}", flush=True)
    model = _load(out, "mlp-w64-s0")
    for k in (1, 2):
        r = rotation_test(model, k, xtr, ytr, xte, yte, epochs=20, seed=0)
        res["rotation"].append(r.__dict__)
        print(f"rotation k={k}: {r}", flush=True)
    return res


def lm_results(out: Path) -> dict:
    tr, te = lm_windows()
    task = lm_task(tr[:1500], te[:300])
    table = []
    pairs = [
        ("lm-solu-d64-s0", "lm-gelu-d64-s0"),
        ("lm-gelu-d64-s0", "lm-gelu-d64-s1"),
        ("lm-solu-d64-s0", "lm-solu-d64-s1"),
    ]
    for a, b in pairs:
        ma, mb = _load(out, a), _load(out, b)
        for r in stitch_both(ma, mb, [("resid1", "resid1")], task, names=(a, b), steps=150):
            d = dict(r.__dict__)
            d["penalty"] = r.penalty
            table.append(d)
            print(
                f"stitch {r.sender}:{r.point_from} -> {r.receiver}:{r.point_to}: loss {r.loss:.3f} "
                f"(receiver {r.receiver_loss:.3f}, penalty {r.penalty:.3f})",
                flush=True,
            )
    return {"stitching": table}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: resources/repsim)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", choices=("lm", "mlp", "results"), default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = args.out or resource_dir()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    if args.only in (None, "mlp"):
        results["mlp_metrics"] = train_mlps(out)
    if args.only in (None, "lm"):
        results["lm_metrics"] = train_lms(out)
    if args.only in (None, "mlp", "results"):
        results.update(mlp_results(out))
    if args.only in (None, "lm", "results"):
        results.update(lm_results(out))
    results["provenance"] = {**_common(), "total_seconds": round(time.perf_counter() - t0, 1), "threads": args.threads}
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {results_path} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
