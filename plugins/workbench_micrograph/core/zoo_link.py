"""The micrograph classifiers in the adversarial plugin's model zoo, so that its PGD explorer
can attack them (Qt-free).  Called through the entry point ``workbench.adversarial_models``
(see :mod:`workbench_adversarial.core.zoo`); edited models of a session can be added with
:func:`register_edited_model`.

Registered: the dataset ``micrograph`` (the embedded default data's source domain: train and
test splits, (1, 64, 64) in [0, 1]; generated on first use) and the model
``micrograph-resnet-w8`` (the shipped classifier)."""

from __future__ import annotations

from typing import Any

from .train import DEFAULT_MODEL, ModelRef, default_model_path, load_classifier, load_model

DATASET = "micrograph"


def _source_split() -> Any:
    from workbench_adversarial.core.data import DatasetSplit

    from .data import default_data

    d = default_data()
    return DatasetSplit(
        DATASET,
        d.train.x,
        d.train.y,
        d.test.x,
        d.test.y,
        list(d.class_names),
        "embedded SEM-like micrographs, source domain (workbench_micrograph.core.data.default_data)",
    )


def register_with_adversarial_zoo() -> None:
    """Register the dataset and the shipped classifier with the adversarial zoo."""
    from workbench_adversarial.core.data import dataset_names, register_dataset
    from workbench_adversarial.core.zoo import ZooEntry, register_model

    if DATASET not in dataset_names():
        register_dataset(DATASET, _source_split)
    path = default_model_path()
    register_model(
        ZooEntry(
            DEFAULT_MODEL,
            DATASET,
            loader=lambda device: load_classifier(path, device)[0],
            description="micrograph classifier (ResNet, width 8) trained on the source domain",
            provenance=path.with_suffix(".json"),
        )
    )


def register_edited_model(name: str, ref: ModelRef, num_classes: int, description: str = "") -> None:
    """Register a model of this plugin (e.g. an edited one, ``ref`` of kind ``state``) under
    ``name`` for the source domain's dataset, so that the PGD explorer lists it."""
    from workbench_adversarial.core.data import dataset_names, register_dataset
    from workbench_adversarial.core.zoo import ZooEntry, register_model

    if DATASET not in dataset_names():
        register_dataset(DATASET, _source_split)
    register_model(
        ZooEntry(
            name,
            DATASET,
            loader=lambda device: load_model(ref, num_classes, device),
            description=description or f"micrograph classifier {name}",
        )
    )
