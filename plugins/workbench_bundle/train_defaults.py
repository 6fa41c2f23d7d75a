"""Retrain the shipped default classifiers: ``python -m workbench_bundle.train_defaults``.

Data: the balanced Haldane bundle set of 12,500 samples (grid 32, classes -2..2, 2,500 each):
10,000 training samples (generation seed 0) and 2,500 test samples (seed 1), with the exact
per-cell charges of :mod:`.core.plaquette_targets` for the dense loss.  Models, each written to
resources/bundle/<name>.safetensors with a JSON of provenance (data, seed, metrics, this command):

* mlp, cnn - the baselines, with every minibatch moved by a random lattice symmetry of the torus
  (translation and D4 element, C -> -C for the reflections: :mod:`.core.augment`);
* flux - the Berry-flux model (learned per-plaquette map of the FHS fluxes);
* gauge - the U(1) gauge-equivariant network (:class:`.core.gauge_net.GaugeEquivariantClassifier`),
  cross-entropy plus the dense loss on its local density;
* gauge-c0 - the same trained on the C = 0 training samples only (the generalisation
  experiment of arXiv:2502.15376; with labels all 0 only the dense loss carries information);
* charge - the local-charge model (:class:`.core.gauge_net.ChargeClassifier`), augmented, dense loss.

Each provenance records test accuracy, the confusion matrix, accuracy by |C|, accuracy on the
test samples with C != 0, and the largest logit change under random local U(1) gauge
transformations.  ``--names`` picks some (they are independent: run them in parallel processes);
``--cache DIR`` keeps the generated data and charges between runs.  One CPU thread by default;
each model trains in under about 15 minutes on a shared 2-core machine, except subcell (about 35
minutes, almost all of it its fixed sub-cell fits).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from workbench_bundle.core.haldane_bundle import HaldaneDataset, generate_dataset, load_dataset, save_dataset
from workbench_bundle.core.plaquette_targets import vortex_charges
from workbench_bundle.core.train import TrainConfig, predict, save_checkpoint, train_classifier

TRAIN_SIZE, TEST_SIZE, GRID = 10_000, 2_500, 32
TRAIN_SEED, TEST_SEED = 0, 1
COMMAND = "python -m workbench_bundle.train_defaults"


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is trained (name: the file name; arch: the architecture)."""

    name: str
    arch: str
    epochs: int
    lr: float
    dense_weight: float = 0.0
    augment: bool = False
    c0_only: bool = False
    hidden: int | None = None
    batch_size: int = 128
    #: train on this many training samples (a seeded random subset; 0: all)
    subset: int = 0


RECIPES = {
    r.name: r
    for r in (
        Recipe("mlp", "mlp", epochs=40, lr=1e-3, augment=True, hidden=32),
        Recipe("cnn", "cnn", epochs=4, lr=2e-3, augment=True, subset=3000),
        Recipe("flux", "flux", epochs=6, lr=1e-2),
        Recipe("gauge", "gauge", epochs=3, lr=5e-3, dense_weight=1.0, batch_size=32, subset=2000),
        Recipe("gauge-c0", "gauge", epochs=3, lr=5e-3, dense_weight=1.0, c0_only=True, batch_size=32),
        Recipe("charge", "charge", epochs=4, lr=3e-3, dense_weight=1.0, augment=True, batch_size=64, subset=4000),
        Recipe("subcell", "subcell", epochs=12, lr=2e-3, dense_weight=1.0, augment=True, batch_size=64),
    )
}


def balanced_data(cache: Path | None) -> tuple[HaldaneDataset, HaldaneDataset, np.ndarray]:
    """The training and test sets and the training samples' per-cell charges (cached in ``cache``)."""
    out = []
    for name, size, seed in (("train", TRAIN_SIZE, TRAIN_SEED), ("test", TEST_SIZE, TEST_SEED)):
        path = cache / f"bundle-{name}-{size}-s{seed}.npz" if cache else None
        if path is not None and path.exists():
            out.append(load_dataset(path))
            continue
        ds = generate_dataset(size, GRID, seed=seed)
        if path is not None:
            save_dataset(ds, path)
        out.append(ds)
    train, test = out
    qpath = cache / f"bundle-train-{TRAIN_SIZE}-s{TRAIN_SEED}-charges.npy" if cache else None
    if qpath is not None and qpath.exists():
        q = np.load(qpath, allow_pickle=False)
    else:
        q = vortex_charges(train.coef_f, train.coef_g, GRID)
        if qpath is not None:
            np.save(qpath, q, allow_pickle=False)
    return train, test, q


def accuracy_by_abs_c(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Accuracy of the test samples with |C| = 0, 1, 2 (keys "0", "1", "2")."""
    return {str(k): float(np.mean(pred[np.abs(true) == k] == true[np.abs(true) == k])) for k in (0, 1, 2)}


def gauge_invariance_error(model: torch.nn.Module, psi: np.ndarray, seed: int = 0) -> float:
    """Largest |logit(e^{i theta(x)} psi) - logit(psi)| over samples and classes, theta(x) uniform in
    [0, 2 pi) independently at every grid point (float32 arithmetic)."""
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(np.ascontiguousarray(psi.astype(np.complex64)))
    theta = torch.from_numpy(rng.uniform(0.0, 2 * math.pi, (len(psi), 1, *psi.shape[2:])).astype(np.float32))
    model.eval()
    with torch.no_grad():
        return float((model(x) - model(x * torch.exp(1j * theta))).abs().max())


def evaluate(model: torch.nn.Module, test: HaldaneDataset) -> dict:
    """Accuracy by |C|, on C != 0, and the gauge-invariance error (first 256 test samples)."""
    pred = predict(model, test.psi)
    nz = test.labels != 0
    return {
        "accuracy_by_abs_c": accuracy_by_abs_c(test.labels, pred),
        "accuracy_nonzero_c": float(np.mean(pred[nz] == test.labels[nz])),
        "gauge_invariance_max_logit_error": gauge_invariance_error(model, test.psi[:256]),
    }


def fhs_baseline(test: HaldaneDataset) -> dict:
    """Accuracy of the raw FHS lattice sum of the test samples, and chance."""
    from workbench_bundle.core.classifiers import plaquette_flux_torch

    flux = plaquette_flux_torch(torch.from_numpy(test.psi)).numpy()
    pred = np.rint(flux.sum(axis=(1, 2)) / (2 * np.pi)).astype(np.int64)
    return {
        "test_accuracy": float(np.mean(pred == test.labels)),
        "accuracy_by_abs_c": accuracy_by_abs_c(test.labels, pred),
        "chance": 1.0 / 5,
    }


def train_one(recipe: Recipe, train: HaldaneDataset, test: HaldaneDataset, q: np.ndarray, threads: int) -> Path:
    """Train one recipe and write its checkpoint; returns the weights' path."""
    from workbench_resources import resource_path

    idx = np.flatnonzero(train.labels == 0) if recipe.c0_only else np.arange(len(train))
    if recipe.subset and recipe.subset < len(idx):
        idx = np.sort(np.random.default_rng(0).choice(idx, recipe.subset, replace=False))
    cfg = TrainConfig(
        arch=recipe.arch,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        seed=0,
        dense_weight=recipe.dense_weight,
        augment=recipe.augment,
        hidden=recipe.hidden,
    )

    def progress(fraction: float, message: str) -> None:
        if int(fraction * 1000) % 50 == 0:
            print(f"{recipe.name}: {fraction:.0%} {message}", file=sys.stderr, flush=True)

    if recipe.arch == "subcell":
        from workbench_bundle.core.subcell import train_subcell

        res = train_subcell(
            train.psi[idx],
            train.labels[idx],
            train.coef_f[idx],
            train.coef_g[idx],
            test.psi,
            test.labels,
            epochs=recipe.epochs,
            lr=recipe.lr,
            batch_size=recipe.batch_size,
            seed=cfg.seed,
            dense_weight=recipe.dense_weight,
            augment=recipe.augment,
            progress=progress,
            hidden=recipe.hidden or 128,
        )
    else:
        res = train_classifier(
            train.psi[idx],
            train.labels[idx],
            test.psi,
            test.labels,
            cfg,
            progress=progress,
            cells_train=q[idx] if recipe.dense_weight > 0 else None,
        )
    prov = {
        "name": recipe.name,
        "data": {
            "dataset": "Haldane bundles (arXiv:2312.04600), random variant, balanced over C in -2..2",
            "grid": GRID,
            "train_size": int(len(idx)),
            "train_selection": "C = 0 samples only" if recipe.c0_only else "all",
            "train_seed": TRAIN_SEED,
            "test_size": len(test),
            "test_seed": TEST_SEED,
            "label_method": train.provenance["label_method"],
            "dense_targets": (
                "exact 4 pi corrections m of the candidate cells (core/subcell.py exact_corrections)"
                if recipe.arch == "subcell"
                else "per-cell charges (core/plaquette_targets.py)"
                if recipe.dense_weight
                else None
            ),
        },
        **evaluate(res.model, test),
        "fhs_lattice_sum": fhs_baseline(test),
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "dense_weight": cfg.dense_weight,
        "augment": (
            "random D4 element and n -> -n per minibatch (on the candidates' features)"
            if cfg.augment and recipe.arch == "subcell"
            else "random translation and D4 element per minibatch"
            if cfg.augment
            else None
        ),
        "threads": threads,
        "command": f"{COMMAND} --names {recipe.name}",
    }
    path, _ = save_checkpoint(res, resource_path("bundle", f"{recipe.name}.safetensors"), prov)
    print(
        f"{recipe.name}: test accuracy {res.test_accuracy:.4f}, C != 0 {prov['accuracy_nonzero_c']:.4f}, "
        f"gauge error {prov['gauge_invariance_max_logit_error']:.2e}, {res.seconds:.0f} s -> {path}",
        file=sys.stderr,
        flush=True,
    )
    return path


def evaluate_fit(test: HaldaneDataset) -> dict:
    """The band-limited section fit (:mod:`.core.section_fit`, no training) on the test set:
    accuracy, by |C|, on C != 0, and how many of 100 predictions random local phases change."""
    from workbench_bundle.core.section_fit import fit_sections

    t0 = time.perf_counter()
    fit = fit_sections(test.psi)
    nz = test.labels != 0
    rng = np.random.default_rng(0)
    phases = np.exp(1j * rng.uniform(0.0, 2 * np.pi, (100, 1, *test.psi.shape[2:])))
    gauged = fit_sections((test.psi[:100] * phases).astype(np.complex64))
    return {
        "test_accuracy": float(np.mean(fit.chern == test.labels)),
        "accuracy_nonzero_c": float(np.mean(fit.chern[nz] == test.labels[nz])),
        "accuracy_by_abs_c": accuracy_by_abs_c(test.labels, fit.chern),
        "fit_refused": int((~fit.ok).sum()),
        "gauge_changed_predictions_of_100": int((gauged.chern != fit.chern[:100]).sum()),
        "seconds": round(time.perf_counter() - t0, 1),
        "command": f"{COMMAND} --fit",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--names", default=",".join(RECIPES), help=f"comma-separated, among {', '.join(RECIPES)}")
    ap.add_argument("--cache", default="", help="folder keeping the generated data and charges between runs")
    ap.add_argument("--fit", action="store_true", help="evaluate the band-limited section fit instead (JSON)")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.names.split(",") if n.strip()]
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; choose among {', '.join(RECIPES)}")
    torch.set_num_threads(args.threads)
    cache = Path(args.cache) if args.cache else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    train, test, q = balanced_data(cache)
    print(f"data: {len(train)} train, {len(test)} test in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.fit:
        import json

        print(json.dumps({**evaluate_fit(test), "fhs_lattice_sum": fhs_baseline(test)}, indent=1))
        return 0
    for name in names:
        train_one(RECIPES[name], train, test, q, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
