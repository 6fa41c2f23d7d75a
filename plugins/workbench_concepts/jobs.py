"""Jobs of the concepts plugin: picklable specs and ``run(spec, ctx)`` functions (Qt-free).

* :class:`TrainSpec` / :func:`run_train`: train an ensemble on the embedded default data and
  save it as one checkpoint (safetensors + provenance sidecar).
* :class:`ProbeSpec` / :func:`run_probe`: a linear probe per layer, per concept, per member;
  accuracy by layer with its spread over the ensemble, and probing sparsity.
* :class:`AttributeSpec` / :func:`run_attribute`: TRAK scores of a concept's probe at a layer
  against every training example (traker; see :mod:`workbench_concepts.core.attribution`),
  top/bottom examples, the top-100 positive fraction against chance, and optionally the LDS
  on random half subsets with a bootstrap CI; with ``test_image=i`` the same for one test
  image of the task (the probe's logit on it as the only TRAK target).
* :class:`RemoveSpec` / :func:`run_remove`: the removal experiment of Konz et al. (arXiv
  2310.03149, section 4.3): remove the k top-attributing training images, and as the control k
  random ones, retrain, re-probe every layer, compare location and sparsity with CIs.

The ensemble is the shipped default (``ensemble=""``) or a checkpoint file written by
:func:`run_train`; the data are regenerated from the seed and sizes its provenance records, or
read again from the user's task folder it was trained on (``data_folder`` when the folder has
moved).  ``concept_folder`` adds a user's concept (``positives/``, ``negatives/``; see
:mod:`workbench_concepts.core.folders`) under the name ``user``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InputError
from workbench.jobs import JobContext

from .core.dataset import CONCEPT_KINDS, USER_CONCEPT, Data, DefaultData, default_data
from .core.resnet import LAYERS, check_layer

#: the default ensemble's recipe (resources/concepts/); the retrain command is train_defaults
DEFAULT_MEMBERS = 5


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")


def _check_concept(concept: str, concept_folder: str = "") -> None:
    names = (*CONCEPT_KINDS, USER_CONCEPT)
    if concept not in names:
        raise ValueError(f"unknown concept {concept!r}: choose one of {', '.join(names)}")
    if concept == USER_CONCEPT and not concept_folder.strip():
        raise ValueError(f"concept {USER_CONCEPT!r} is a concept folder's: give the folder (positives/ and negatives/)")


def _data_concept(data: Data, concept: str) -> None:
    """ValueError when ``data`` lacks ``concept`` (a user's task folder has no embedded concepts)."""
    if concept not in data.concepts:
        have = ", ".join(data.concepts) or "none"
        raise ValueError(
            f"concept {concept!r} is not in these data (concepts: {have}); the embedded concepts exist only for "
            "the embedded data: give a concept folder (positives/ and negatives/) and choose concept 'user'"
        )


# ---------------------------------------------------------------------------------------------
# the ensemble and its data


@dataclass(frozen=True)
class Loaded:
    models: list[Any]
    provenance: dict[str, Any]
    data: Data
    train_cfg: Any


def load_ensemble_and_data(ensemble: str = "", data_folder: str = "", concept_folder: str = "") -> Loaded:
    """The ensemble (shipped default when ``ensemble`` is empty) and the data it was trained on
    (see the module docstring for ``data_folder`` and ``concept_folder``)."""
    from .core.folders import load_concept_folder, load_task_folder
    from .core.train import TrainConfig, default_ensemble_path, load_ensemble

    path = Path(ensemble) if ensemble else default_ensemble_path()
    if not path.with_suffix(".safetensors").is_file():
        hint = " (retrain it: python -m workbench_concepts.train_defaults)" if not ensemble else ""
        raise ValueError(f"ensemble checkpoint not found: {path}{hint}")
    models, prov = load_ensemble(path)
    try:
        d = prov["data"]
        folder = str(d["folder"]) if "folder" in d else ""
        if folder:
            classes = [str(c) for c in d["classes"]]
            n_train, split_seed, test_fraction = int(d["n_train"]), int(d["seed"]), float(d["test_fraction"])
        else:
            spec = DefaultData(
                seed=int(d["seed"]), n_train=int(d["n_train"]), n_test=int(d["n_test"]), n_concept=int(d["n_concept"])
            )
        t = prov["training"]
        cfg = TrainConfig(
            epochs=int(t["epochs"]),
            batch=int(t["batch"]),
            lr=float(t["lr"]),
            weight_decay=float(t["weight_decay"]),
            width=int(t["width"]),
        )
        seeds = [int(s) for s in prov["seeds"]]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{path}: provenance lacks the data/training/seeds records of a concepts ensemble") from None
    if len(seeds) != len(models):
        raise ValueError(f"{path}: {len(models)} members but {len(seeds)} seeds in the provenance")
    if folder:
        where = data_folder.strip() or folder
        train, test, names = load_task_folder(where, seed=split_seed, test_fraction=test_fraction)
        if list(names) != classes or len(train) != n_train:
            raise InputError(
                f"task image folder {where} holds {len(train)} training images of the classes {', '.join(names)}, "
                f"but the ensemble {path} was trained on {n_train} of {', '.join(classes)}: the folder has changed "
                "since (retrain the ensemble on it)"
            )
        data = Data(train, test, {}, names)
    else:
        if data_folder.strip():
            raise InputError(
                f"the ensemble {path} was trained on the embedded generated data, not on {data_folder}: train one on "
                f"the folder first (workbench concepts train --data-folder {data_folder} --out FILE.safetensors) and "
                "choose that ensemble"
            )
        data = default_data(spec)
    if models[0].num_classes != len(data.class_names):
        raise InputError(f"{path}: {models[0].num_classes} output classes, but the data have {len(data.class_names)}")
    if concept_folder.strip():
        data = dataclasses.replace(data, concepts={**data.concepts, USER_CONCEPT: load_concept_folder(concept_folder)})
    return Loaded(models, prov, data, cfg)


# ---------------------------------------------------------------------------------------------
# training


@dataclass(frozen=True)
class TrainSpec:
    out: str
    members: int = DEFAULT_MEMBERS
    seed: int = 0  # member i is trained from seed + i
    data_seed: int = 0
    n_train: int = 3000
    n_test: int = 1000
    n_concept: int = 800
    epochs: int = 8
    batch: int = 64
    lr: float = 5e-3
    width: int = 12
    device: str = "cpu"
    command: str = ""
    #: a user's task folder (``FOLDER/<class>/*.png``) instead of the embedded data; split per
    #: class with ``data_seed``, ``test_fraction`` of each class to the test set
    data_folder: str = ""
    test_fraction: float = 0.2

    def validate(self) -> None:
        if not self.out:
            raise ValueError("an output checkpoint path is needed")
        _check_int("members", self.members, 1, 100)
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test fraction must be in (0, 1), got {self.test_fraction}")
        DefaultData(self.data_seed, self.n_train, self.n_test, self.n_concept).validate()


@dataclass(frozen=True)
class TrainResult:
    path: str
    test_accuracy: tuple[float, ...]
    seconds: float


def run_train(spec: TrainSpec, ctx: JobContext) -> TrainResult:
    """Train ``spec.members`` members on the default data and save them to ``spec.out``."""
    import platform

    import torch

    from .core.train import TrainConfig, accuracy, save_ensemble, train_member

    spec.validate()
    cfg = TrainConfig(epochs=spec.epochs, batch=spec.batch, lr=spec.lr, width=spec.width)
    cfg.validate()
    t0 = time.time()
    if spec.data_folder.strip():
        from .core.folders import load_task_folder

        folder = str(Path(spec.data_folder).expanduser().resolve())
        train, test, names = load_task_folder(folder, seed=spec.data_seed, test_fraction=spec.test_fraction)
        data = Data(train, test, {}, names)
        data_prov: dict[str, Any] = {
            "folder": folder,
            "classes": list(names),
            "seed": spec.data_seed,
            "test_fraction": spec.test_fraction,
            "n_train": len(train),
            "n_test": len(test),
            "image_size": list(train.images.shape[2:]),
        }
    else:
        data = default_data(DefaultData(spec.data_seed, spec.n_train, spec.n_test, spec.n_concept))
        data_prov = {
            "generator": "workbench_concepts.core.dataset.default_data",
            "seed": spec.data_seed,
            "n_train": spec.n_train,
            "n_test": spec.n_test,
            "n_concept": spec.n_concept,
        }
    seeds = [spec.seed + i for i in range(spec.members)]
    models = []
    for i, s in enumerate(seeds):

        def check(f: float, i: int = i) -> None:
            ctx.check_cancelled()
            ctx.progress((i + f) / spec.members, f"member {i + 1}/{spec.members}")

        models.append(train_member(data.train, s, cfg, device=ctx.device, check=check))
        ctx.log(f"member {i + 1}: test accuracy {accuracy(models[-1], data.test):.3f}")
    acc = tuple(round(accuracy(m, data.test), 4) for m in models)
    prov = {
        "model": f"ConceptResNet width {spec.width}, {spec.members} members",
        "data": data_prov,
        "training": {
            "epochs": cfg.epochs,
            "batch": cfg.batch,
            "lr": cfg.lr,
            "weight_decay": cfg.weight_decay,
            "width": cfg.width,
            "optimizer": "Adam, cosine decay, random horizontal flips",
        },
        "seeds": seeds,
        "test_accuracy": list(acc),
        "parameters_per_member": int(sum(p.numel() for p in models[0].parameters())),
        "seconds": round(time.time() - t0, 1),
        "device": ctx.device,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "command": spec.command,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    save_ensemble(spec.out, models, prov)
    ctx.progress(1.0, "saved")
    return TrainResult(spec.out, acc, round(time.time() - t0, 1))


# ---------------------------------------------------------------------------------------------
# probing


@dataclass(frozen=True)
class ProbeSpec:
    ensemble: str = ""
    ks: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    device: str = "cpu"
    data_folder: str = ""
    concept_folder: str = ""

    def validate(self) -> None:
        if not self.ks or any(not isinstance(k, int) or k < 1 for k in self.ks):
            raise ValueError(f"sparsity k values must be positive integers, got {self.ks}")


@dataclass(frozen=True)
class ConceptProbes:
    """Probe results of one concept: accuracy members x layers; sparsity members x layers x k."""

    name: str
    kind: str
    accuracy: np.ndarray
    sparsity_k: tuple[int, ...]
    sparsity: np.ndarray

    def mean(self) -> list[float]:
        return [float(v) for v in self.accuracy.mean(0)]

    def spread(self) -> list[float]:
        return [float(v) for v in self.accuracy.std(0)]


@dataclass(frozen=True)
class ProbeResult:
    layers: tuple[str, ...]
    concepts: dict[str, ConceptProbes]

    def to_json(self) -> dict[str, Any]:
        """The CLI's schema: {"layers": [...], "concepts": {NAME: {"kind", "accuracy", "spread"}}}."""
        return {
            "layers": list(self.layers),
            "concepts": {
                n: {"kind": c.kind, "accuracy": c.mean(), "spread": c.spread()} for n, c in self.concepts.items()
            },
        }


def probe_concepts(
    models: list[Any],
    data: Data,
    ks: tuple[int, ...],
    ctx: JobContext | None = None,
    concepts: tuple[str, ...] | None = None,
) -> tuple[dict[str, ConceptProbes], dict[str, Any]]:
    """Probe every concept in ``concepts`` (default: every concept of ``data``) at every layer
    of every member; also returns the fitted probes (concept -> LayerProbes)."""
    from .core.probes import probe_layers

    if concepts is None:
        concepts = tuple(data.concepts)
    if not concepts:
        raise ValueError(
            "no concept to probe: a user's task folder has no embedded concepts; give a concept folder "
            "(positives/ and negatives/)"
        )
    for name in concepts:
        _data_concept(data, name)
    out: dict[str, ConceptProbes] = {}
    fitted: dict[str, Any] = {}
    for ci, name in enumerate(concepts):

        def check(f: float, ci: int = ci) -> None:
            if ctx is not None:
                ctx.check_cancelled()
                ctx.progress((ci + f) / len(concepts), f"probing {concepts[ci]}")

        lp = probe_layers(models, data.concepts[name], ks, check=check)
        fitted[name] = lp
        out[name] = ConceptProbes(name, lp.kind, lp.accuracy, lp.sparsity_k, lp.sparsity)
    return out, fitted


def run_probe(spec: ProbeSpec, ctx: JobContext) -> ProbeResult:
    spec.validate()
    loaded = load_ensemble_and_data(spec.ensemble, spec.data_folder, spec.concept_folder)
    concepts, _ = probe_concepts(loaded.models, loaded.data, spec.ks, ctx)
    ctx.progress(1.0, "done")
    return ProbeResult(LAYERS, concepts)


# ---------------------------------------------------------------------------------------------
# attribution


@dataclass(frozen=True)
class AttributeSpec:
    concept: str
    layer: str
    ensemble: str = ""
    n_targets: int = 100  # concept positives of the held-out concept set
    proj_dim: int = 512
    top: int = 100
    lds: bool = False
    lds_subsets: int = 8
    lds_members: int = 1  # models trained per subset (their outputs averaged)
    #: the LDS's measured output on a subset model: "fixed": member r's own probe applied to
    #: subset model r (exactly the function TRAK attributes); "refit": a probe refitted on it
    lds_probe: str = "fixed"
    seed: int = 0
    device: str = "cpu"
    #: -1: attribute the concept (its ``n_targets`` held-out positives); i >= 0: the probe's
    #: output (its logit, "concept present") on test image i of the task's test set alone
    test_image: int = -1
    data_folder: str = ""
    concept_folder: str = ""

    def validate(self) -> None:
        _check_concept(self.concept, self.concept_folder)
        check_layer(self.layer)
        _check_int("test_image", self.test_image, -1, 10_000_000)
        _check_int("n_targets", self.n_targets, 1, 100_000)
        _check_int("proj_dim", self.proj_dim, 8, 65_536)
        _check_int("top", self.top, 1, 1_000_000)
        _check_int("lds_subsets", self.lds_subsets, 3, 1000)
        _check_int("lds_members", self.lds_members, 1, 100)
        if self.lds_probe not in ("fixed", "refit"):
            raise ValueError(f"lds_probe must be 'fixed' or 'refit', got {self.lds_probe!r}")


@dataclass(frozen=True)
class AttributeResult:
    concept: str
    layer: str
    scores: np.ndarray  # n_train x n_targets
    concept_scores: np.ndarray  # n_train: mean over targets
    top: np.ndarray  # training indices, highest concept score first
    bottom: np.ndarray  # lowest first
    train_labels: np.ndarray
    train_positive: np.ndarray
    top_positive_fraction: float
    chance: float
    n_top: int
    lds: float | None = None
    lds_ci: tuple[float, float] | None = None
    lds_per_target: np.ndarray | None = None
    seconds: float = 0.0
    #: the attributed test image (-1: the concept as a whole), its task class index, its
    #: concept label and the ensemble's mean probe logit on it (nan for the concept as a whole)
    test_image: int = -1
    test_label: int = -1
    test_positive: bool = False
    probe_logit: float = float("nan")
    #: False for a user's task folder: which training images are concept positives is unknown
    #: (``train_positive`` all False, ``top_positive_fraction`` and ``chance`` nan)
    positives_known: bool = True
    class_names: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "concept": self.concept,
            "layer": self.layer,
            "n_train": int(self.scores.shape[0]),
            "n_targets": int(self.scores.shape[1]),
            "top_positive_fraction": self.top_positive_fraction if self.positives_known else None,
            "chance": self.chance if self.positives_known else None,
            "n_top": self.n_top,
            "top": [int(i) for i in self.top[:10]],
            "bottom": [int(i) for i in self.bottom[:10]],
            "seconds": self.seconds,
        }
        if self.lds is not None:
            out["lds"] = self.lds
            out["lds_ci"] = list(self.lds_ci) if self.lds_ci is not None else None
        if self.test_image >= 0:
            out["test_image"] = self.test_image
            out["test_label"] = self.test_label
            out["test_concept_positive"] = self.test_positive
            out["probe_logit"] = self.probe_logit
        return out


def _targets(data: Data, concept: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    cset = data.concepts[concept]
    pos = np.flatnonzero(cset.test_y)[:n]
    return cset.test.images[pos], np.ones(pos.size, dtype=np.int64)


def _test_image_target(data: Data, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Test image ``index`` of the task's test set as one TRAK target with label 1, so the
    target's output is the probe's logit itself (positive: "concept present")."""
    n = len(data.test)
    if not 0 <= index < n:
        raise ValueError(f"test image {index} does not exist: the test set has {n} images (0..{n - 1})")
    return data.test.images[index : index + 1], np.ones(1, dtype=np.int64)


def run_attribute(spec: AttributeSpec, ctx: JobContext) -> AttributeResult:
    """TRAK scores of the concept's probe at the layer (see the module doc)."""
    from .core.attribution import (
        TrakConfig,
        lds_by_retraining,
        top_bottom,
        top_positive_fraction,
        trak_scores,
    )
    from .core.probes import fit_probe, pooled_features
    from .core.train import train_member

    spec.validate()
    t0 = time.time()
    loaded = load_ensemble_and_data(spec.ensemble, spec.data_folder, spec.concept_folder)
    data = loaded.data
    _data_concept(data, spec.concept)
    li = LAYERS.index(spec.layer)
    ctx.progress(0.0, "fitting probes")
    _, fitted = probe_concepts(loaded.models, data, (1,), None, (spec.concept,))
    probes = [fitted[spec.concept].probes[m][li] for m in range(len(loaded.models))]
    if spec.test_image >= 0:
        xt, yt = _test_image_target(data, spec.test_image)
        probe_logit = float(
            np.mean(
                [p.logits(pooled_features(m, xt)[spec.layer])[0] for m, p in zip(loaded.models, probes, strict=True)]
            )
        )
    else:
        xt, yt = _targets(data, spec.concept, spec.n_targets)
        probe_logit = float("nan")
    share = 0.4 if spec.lds else 1.0

    def check(f: float) -> None:
        ctx.check_cancelled()
        ctx.progress(share * f, "TRAK: featurizing and scoring")

    scores = trak_scores(
        loaded.models,
        probes,
        spec.layer,
        data.train,
        xt,
        yt,
        TrakConfig(proj_dim=spec.proj_dim, seed=spec.seed),
        device=ctx.device,
        check=check,
    )
    cs = scores.mean(1)
    top, bottom = top_bottom(cs, spec.top)
    known = data.train.known_concept_labels(spec.concept)
    positives = np.zeros(len(data.train), bool) if known is None else known
    frac, chance = (float("nan"), float("nan")) if known is None else top_positive_fraction(cs, known, spec.top)
    lds = ci = per = None
    if spec.lds:
        cset = data.concepts[spec.concept]
        seeds = loaded.provenance["seeds"]

        def retrain(indices: np.ndarray, r: int, progress: Callable[[float], None]) -> np.ndarray:
            """Subset model r: member r's seed and settings with the full set's data order
            (``same_order``: the subset is the only difference from member r), then member r's
            probe (or a refitted one, ``lds_probe``); its margin on the targets."""
            member = r % len(seeds)
            model = train_member(
                data.train,
                int(seeds[member]),
                loaded.train_cfg,
                indices=indices,
                device=ctx.device,
                check=progress,
                same_order=True,
            )
            if spec.lds_probe == "refit":
                p = fit_probe(spec.layer, pooled_features(model, cset.fit)[spec.layer], cset.fit_y)
            else:
                p = probes[member]
            return np.asarray((2 * yt - 1) * p.logits(pooled_features(model, xt)[spec.layer]), dtype=np.float64)

        def lds_check(f: float, message: str) -> None:
            ctx.check_cancelled()
            ctx.progress(share + (1 - share) * f, message)

        res = lds_by_retraining(
            scores,
            retrain,
            n_subsets=spec.lds_subsets,
            members=spec.lds_members,
            seed=spec.seed,
            check=lds_check,
        )
        lds, ci, per = res.lds, res.ci, res.per_target
    ctx.progress(1.0, "done")
    return AttributeResult(
        spec.concept,
        spec.layer,
        scores,
        cs,
        top,
        bottom,
        data.train.labels,
        positives,
        frac,
        chance,
        min(spec.top, cs.size),
        lds,
        ci,
        per,
        round(time.time() - t0, 1),
        spec.test_image,
        int(data.test.labels[spec.test_image]) if spec.test_image >= 0 else -1,
        _is_positive(data, spec.concept, spec.test_image),
        probe_logit,
        known is not None,
        data.class_names,
    )


def _is_positive(data: Data, concept: str, index: int) -> bool:
    """Test image ``index`` is a known positive of ``concept`` (False when -1 or unknown)."""
    labels = data.test.known_concept_labels(concept)
    return bool(labels[index]) if index >= 0 and labels is not None else False


# ---------------------------------------------------------------------------------------------
# the removal experiment


@dataclass(frozen=True)
class RemoveSpec:
    concept: str
    layer: str
    k: int
    ensemble: str = ""
    members: int = 3  # the first members are retrained (same seeds) for each arm
    n_targets: int = 100
    proj_dim: int = 512
    seed: int = 0
    ks: tuple[int, ...] = field(default=(1, 2, 4, 8, 16, 32))
    device: str = "cpu"
    data_folder: str = ""
    concept_folder: str = ""

    def validate(self) -> None:
        _check_concept(self.concept, self.concept_folder)
        check_layer(self.layer)
        _check_int("k", self.k, 1, 10_000_000)
        _check_int("members", self.members, 2, 100)
        _check_int("n_targets", self.n_targets, 1, 100_000)


@dataclass(frozen=True)
class Arm:
    """One arm: probe accuracy members x layers, its mean, 95 % t-interval half width, the peak
    layer of the mean, and the sparsity curve at the chosen layer (members x len(ks))."""

    name: str
    accuracy: np.ndarray
    sparsity: np.ndarray

    def mean(self) -> np.ndarray:
        return self.accuracy.mean(0)

    def ci_half(self) -> np.ndarray:
        from scipy.stats import t

        m = self.accuracy.shape[0]
        return t.ppf(0.975, m - 1) * self.accuracy.std(0, ddof=1) / math.sqrt(m)

    def to_json(self, layer_index: int) -> dict[str, Any]:
        return {
            "accuracy": [float(v) for v in self.mean()],
            "ci95": [float(v) for v in self.ci_half()],
            "peak_layer": LAYERS[int(np.argmax(self.mean()))],
            "sparsity": [float(v) for v in self.sparsity.mean(0)],
        }


@dataclass(frozen=True)
class RemoveResult:
    concept: str
    layer: str
    k: int
    removed_top: np.ndarray
    removed_random: np.ndarray
    removed_top_positive_fraction: float
    before: Arm
    top_k: Arm
    random_k: Arm
    ks: tuple[int, ...]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        li = LAYERS.index(self.layer)
        d = self.top_k.accuracy[:, li] - self.random_k.accuracy[:, li]
        return {
            "concept": self.concept,
            "layer": self.layer,
            "k": self.k,
            "members": int(self.before.accuracy.shape[0]),
            "layers": list(LAYERS),
            "sparsity_k": list(self.ks),
            "removed_top_positive_fraction": (
                self.removed_top_positive_fraction if math.isfinite(self.removed_top_positive_fraction) else None
            ),
            "before": self.before.to_json(li),
            "top_k": self.top_k.to_json(li),
            "random_k": self.random_k.to_json(li),
            "accuracy_change_at_layer": {
                "top_k_minus_random_k": float(d.mean()),
                "top_k_minus_before": float((self.top_k.accuracy[:, li] - self.before.accuracy[:, li]).mean()),
            },
            "seconds": self.seconds,
        }


def run_remove(spec: RemoveSpec, ctx: JobContext) -> RemoveResult:
    """Remove the top-k attributing images (TRAK at the layer) and k random ones, retrain the
    first ``members`` members with their seeds on what is left, re-probe every layer."""
    from .core.attribution import TrakConfig, top_bottom, trak_scores
    from .core.probes import probe_layers
    from .core.train import train_member

    spec.validate()
    t0 = time.time()
    loaded = load_ensemble_and_data(spec.ensemble, spec.data_folder, spec.concept_folder)
    data = loaded.data
    _data_concept(data, spec.concept)
    n = len(data.train)
    if spec.k >= n // 2:
        raise ValueError(f"k = {spec.k} removes half or more of the {n} training images; use k < {n // 2}")
    if spec.members > len(loaded.models):
        raise ValueError(f"members = {spec.members}, but the ensemble has {len(loaded.models)}")
    li = LAYERS.index(spec.layer)
    models = loaded.models[: spec.members]
    cset = data.concepts[spec.concept]
    before = probe_layers(models, cset, spec.ks)
    ctx.progress(0.05, "TRAK")
    probes = [before.probes[m][li] for m in range(spec.members)]
    xt, yt = _targets(data, spec.concept, spec.n_targets)

    def trak_check(f: float) -> None:
        ctx.check_cancelled()
        ctx.progress(0.05 + 0.15 * f, "TRAK")

    scores = trak_scores(
        models,
        probes,
        spec.layer,
        data.train,
        xt,
        yt,
        TrakConfig(proj_dim=spec.proj_dim, seed=spec.seed),
        device=ctx.device,
        check=trak_check,
    )
    top, _ = top_bottom(scores.mean(1), spec.k)
    rng = np.random.default_rng([spec.seed, 23])
    rand = rng.choice(n, spec.k, replace=False)
    arms = {}
    seeds = loaded.provenance["seeds"]
    for a, (name, removed) in enumerate((("top_k", top), ("random_k", rand))):
        keep = np.setdiff1d(np.arange(n), removed)
        retrained = []
        for m in range(spec.members):

            def check(f: float, a: int = a, m: int = m, name: str = name) -> None:
                ctx.check_cancelled()
                ctx.progress(0.2 + 0.75 * (a * spec.members + m + f) / (2 * spec.members), f"retraining ({name})")

            retrained.append(
                train_member(data.train, int(seeds[m]), loaded.train_cfg, indices=keep, device=ctx.device, check=check)
            )
        lp = probe_layers(retrained, cset, spec.ks)
        arms[name] = Arm(name, lp.accuracy, lp.sparsity[:, li])
    known = data.train.known_concept_labels(spec.concept)
    ctx.progress(1.0, "done")
    return RemoveResult(
        spec.concept,
        spec.layer,
        spec.k,
        top,
        rand,
        float(known[top].mean()) if known is not None else float("nan"),
        Arm("before", before.accuracy, before.sparsity[:, li]),
        arms["top_k"],
        arms["random_k"],
        tuple(spec.ks),
        round(time.time() - t0, 1),
    )
