"""Headless subcommands: ``workbench concepts train|probe|attribute|remove``.

* ``probe [--json]``: probe accuracy per layer per concept for the ensemble, JSON
  ``{"layers": [...], "concepts": {NAME: {"kind": "object"|"perceptual", "accuracy": [...],
  "spread": [...]}}}`` (mean and standard deviation over the members).
* ``attribute --concept NAME --layer L --out scores.npy [--json] [--lds]``: TRAK scores
  (n_train x n_targets, float32) written to ``--out``; the JSON has ``top_positive_fraction``
  (of the 100 top-attributing training examples) beside ``chance``, and ``lds`` / ``lds_ci``
  with ``--lds``.  ``--test-image I`` attributes the probe's output on test image I of the
  task's test set instead (the JSON adds ``test_image``, ``test_label``,
  ``test_concept_positive``, ``probe_logit``; scores n_train x 1).
* ``remove --concept NAME --layer L --k K [--json]``: the removal experiment and its random
  control.
* ``train --out FILE``: train an ensemble on the embedded default data.

Cheap to import: torch and the jobs are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

CONCEPTS = ("round", "high_frequency", "user")
LAYERS = ("stem", "layer1", "layer2", "layer3", "layer4")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ensemble",
        default="",
        metavar="FILE",
        help="ensemble checkpoint (.safetensors); default: the shipped one in resources/concepts/",
    )
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:N (default cpu)")
    p.add_argument(
        "--data-folder",
        default="",
        metavar="DIR",
        help="the task folder (DIR/<class>/*.png) the ensemble was trained on, where it has moved since "
        "(default: as its provenance records)",
    )
    p.add_argument(
        "--concept-folder",
        default="",
        metavar="DIR",
        help="a concept of your own: DIR/positives/* and DIR/negatives/* (then --concept user)",
    )


def _concept_layer(p: argparse.ArgumentParser) -> None:
    p.add_argument("--concept", required=True, help=f"concept: {', '.join(CONCEPTS)} (user: the --concept-folder's)")
    p.add_argument("--layer", required=True, help=f"layer: {', '.join(LAYERS)}")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "probe",
        help="probe accuracy per layer per concept",
        description="Fit a linear probe per layer, concept and ensemble member; print "
        "accuracy by layer (mean and spread over the members).",
    )
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_probe)

    a = subparsers.add_parser(
        "attribute",
        help="TRAK scores of a concept's probe against the training set",
        description="TRAK (traker) scores of the probe's output at LAYER on concept positives "
        "against every training example; writes n_train x n_targets float32 to --out.",
    )
    _concept_layer(a)
    a.add_argument("--out", required=True, help="scores file (.npy)")
    a.add_argument("--targets", type=int, default=100, help="concept positives attributed (default 100)")
    a.add_argument(
        "--test-image",
        type=int,
        default=-1,
        metavar="I",
        help="attribute the probe's output on test image I of the task's test set alone (default: the concept)",
    )
    a.add_argument("--proj-dim", type=int, default=512, help="TRAK projection dimension (default 512)")
    a.add_argument("--lds", action="store_true", help="also measure the LDS on random half subsets (retrains)")
    a.add_argument("--lds-subsets", type=int, default=8, help="half subsets for the LDS (default 8)")
    a.add_argument("--lds-members", type=int, default=1, help="models per subset (default 1)")
    a.add_argument(
        "--lds-probe",
        choices=("fixed", "refit"),
        default="fixed",
        help="LDS output of a subset model: member r's own probe on it, the function TRAK attributes "
        "(default), or a probe refitted on it",
    )
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--json", action="store_true", help="print JSON")
    _common(a)
    a.set_defaults(func=cmd_attribute)

    r = subparsers.add_parser(
        "remove",
        help="remove the top-k attributing images, retrain, re-probe",
        description="Removal experiment: remove the K top-attributing training images (and, "
        "as control, K random ones), retrain MEMBERS members, re-probe every layer.",
    )
    _concept_layer(r)
    r.add_argument("--k", type=int, required=True, help="training images removed")
    r.add_argument("--members", type=int, default=3, help="members retrained per arm (default 3)")
    r.add_argument("--targets", type=int, default=100, help="concept positives attributed (default 100)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--json", action="store_true", help="print JSON")
    _common(r)
    r.set_defaults(func=cmd_remove)

    t = subparsers.add_parser("train", help="train an ensemble on the embedded default data")
    t.add_argument("--out", required=True, help="checkpoint path (.safetensors)")
    t.add_argument("--members", type=int, default=5)
    t.add_argument("--epochs", type=int, default=8)
    t.add_argument("--n-train", type=int, default=3000)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument(
        "--data-folder",
        default="",
        metavar="DIR",
        help="train on your own images: DIR/<class>/*.png (20 %% of each class held out as the test set)",
    )
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--device", default="cpu")
    t.set_defaults(func=cmd_train)


def _threads(args: argparse.Namespace) -> None:
    import torch

    if not 1 <= int(args.threads) <= 256:
        raise ValueError(f"--threads must be in 1..256, got {args.threads}")
    torch.set_num_threads(int(args.threads))


def _check_names(args: argparse.Namespace) -> None:
    if args.concept not in CONCEPTS:
        raise ValueError(f"--concept {args.concept!r}: choose one of {', '.join(CONCEPTS)}")
    if args.layer not in LAYERS:
        raise ValueError(f"--layer {args.layer!r}: choose one of {', '.join(LAYERS)}")


def cmd_probe(args: argparse.Namespace) -> int:
    from workbench.jobs import run_in_terminal

    from .jobs import ProbeSpec, run_probe

    _threads(args)
    spec = ProbeSpec(
        ensemble=args.ensemble, device=args.device, data_folder=args.data_folder, concept_folder=args.concept_folder
    )
    res = run_in_terminal(run_probe, spec, title="probe", quiet=args.json)
    doc = res.to_json()
    if args.json:
        print(json.dumps(doc))
        return 0
    print("layer      " + "".join(f"{n:>22}" for n in doc["concepts"]))
    for i, layer in enumerate(doc["layers"]):
        cells = "".join(f"{c['accuracy'][i]:>14.3f} ± {c['spread'][i]:.3f}" for c in doc["concepts"].values())
        print(f"{layer:<11}{cells}")
    return 0


def cmd_attribute(args: argparse.Namespace) -> int:
    import numpy as np

    from workbench.jobs import run_in_terminal

    from .jobs import AttributeSpec, run_attribute

    _check_names(args)
    out = Path(args.out)
    if out.suffix != ".npy":
        raise ValueError(f"--out {out}: the scores are written as NumPy .npy; name the file *.npy")
    if not out.parent.is_dir():
        raise ValueError(f"--out {out}: folder {out.parent} does not exist")
    _threads(args)
    spec = AttributeSpec(
        args.concept,
        args.layer,
        ensemble=args.ensemble,
        n_targets=args.targets,
        proj_dim=args.proj_dim,
        lds=args.lds,
        lds_subsets=args.lds_subsets,
        lds_members=args.lds_members,
        lds_probe=args.lds_probe,
        seed=args.seed,
        device=args.device,
        test_image=args.test_image,
        data_folder=args.data_folder,
        concept_folder=args.concept_folder,
    )
    spec.validate()
    res = run_in_terminal(run_attribute, spec, title="attribute", quiet=args.json)
    np.save(out, res.scores)
    doc = res.to_json()
    doc["out"] = str(out)
    if args.json:
        print(json.dumps(doc))
        return 0
    print(f"{res.concept} at {res.layer}: scores {res.scores.shape} -> {out}")
    if res.test_image >= 0:
        label = "concept positive" if res.test_positive else "concept negative"
        print(f"test image {res.test_image} (class {res.test_label}, {label}): mean probe logit {res.probe_logit:.3f}")
    if res.positives_known:
        print(
            f"top-{res.n_top} attributing training examples that are concept positives: "
            f"{res.top_positive_fraction:.3f} (chance {res.chance:.3f})"
        )
    if res.lds is not None and res.lds_ci is not None:
        print(f"LDS {res.lds:.3f} (95% CI {res.lds_ci[0]:.3f} .. {res.lds_ci[1]:.3f})")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from workbench.jobs import run_in_terminal

    from .jobs import RemoveSpec, run_remove

    _check_names(args)
    _threads(args)
    spec = RemoveSpec(
        args.concept,
        args.layer,
        args.k,
        ensemble=args.ensemble,
        members=args.members,
        n_targets=args.targets,
        seed=args.seed,
        device=args.device,
        data_folder=args.data_folder,
        concept_folder=args.concept_folder,
    )
    spec.validate()
    res = run_in_terminal(run_remove, spec, title="remove", quiet=args.json)
    doc = res.to_json()
    if args.json:
        print(json.dumps(doc))
        return 0
    li = LAYERS.index(args.layer)
    print(
        f"{res.concept}: removed {res.k} images at {res.layer} "
        + (
            f"({doc['removed_top_positive_fraction']:.2f} of the top-k are concept positives)"
            if doc["removed_top_positive_fraction"] is not None
            else "(the training images' concept labels are unknown)"
        )
    )
    for name in ("before", "top_k", "random_k"):
        arm = doc[name]
        print(
            f"{name:<9} accuracy by layer "
            + " ".join(f"{v:.3f}" for v in arm["accuracy"])
            + f"  peak {arm['peak_layer']}  at {res.layer}: {arm['accuracy'][li]:.3f} ± {arm['ci95'][li]:.3f}"
        )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from workbench.jobs import run_in_terminal

    from .jobs import TrainSpec, run_train

    _threads(args)
    spec = TrainSpec(
        out=args.out,
        members=args.members,
        epochs=args.epochs,
        n_train=args.n_train,
        seed=args.seed,
        device=args.device,
        data_folder=args.data_folder,
        command=f"workbench concepts train --out {args.out} --members {args.members} "
        f"--epochs {args.epochs} --n-train {args.n_train} --seed {args.seed}"
        + (f" --data-folder {args.data_folder}" if args.data_folder else ""),
    )
    res = run_in_terminal(run_train, spec, title="train")
    print(f"{res.path}: test accuracy " + ", ".join(f"{a:.3f}" for a in res.test_accuracy) + f" ({res.seconds} s)")
    return 0
