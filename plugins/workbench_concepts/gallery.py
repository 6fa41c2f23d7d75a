"""The panel's attribution job: :func:`workbench_concepts.jobs.run_attribute` plus the pixels of
the top- and bottom-attributing training images, so the gallery (and a session) can show them
without regenerating the data set on the GUI thread (Qt-free; torch only inside the job)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from workbench.jobs import JobContext

if TYPE_CHECKING:
    from .jobs import AttributeResult, AttributeSpec

#: images kept per side (the gallery shows at most this many)
MAX_SHOWN = 32
#: test images offered in the gallery's row to pick one from (the spin box reaches all)
TEST_SHOWN = 16


@dataclass(frozen=True)
class AttributionGallery:
    """``attribution``: the job's :class:`~workbench_concepts.jobs.AttributeResult`;
    ``top_images`` / ``bottom_images``: uint8 n x 32 x 32 x 3 (RGB) of its ``top[:n]`` and
    ``bottom[:n]`` training indices, in that order."""

    attribution: AttributeResult
    top_images: np.ndarray
    bottom_images: np.ndarray
    #: the first test images of the task (uint8 n x 32 x 32 x 3), their class indices and
    #: concept labels: the gallery's row to pick a test image from; for a per-image
    #: attribution (``attribution.test_image >= 0``) the attributed test image alone
    test_images: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 1, 3), np.uint8))
    test_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    test_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    test_positive: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def _uint8_rgb(images: np.ndarray) -> np.ndarray:
    """float N x 3 x H x W in [0, 1] -> uint8 N x H x W x 3."""
    return np.ascontiguousarray((np.clip(images, 0.0, 1.0) * 255 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1))


def run_attribute_gallery(spec: AttributeSpec, ctx: JobContext) -> AttributionGallery:
    """Run the attribution ``spec`` (an ``AttributeSpec``) and attach the images it ranks."""
    from .jobs import load_ensemble_and_data, run_attribute

    res = run_attribute(spec, ctx)
    data = load_ensemble_and_data(spec.ensemble, spec.data_folder, spec.concept_folder).data
    train, test = data.train, data.test
    top, bottom = res.top[:MAX_SHOWN], res.bottom[:MAX_SHOWN]
    shown = np.array([spec.test_image]) if spec.test_image >= 0 else np.arange(min(TEST_SHOWN, len(test)))
    known = test.known_concept_labels(spec.concept)
    positive = np.zeros(shown.size, bool) if known is None else known[shown].astype(bool)
    return AttributionGallery(
        res,
        _uint8_rgb(train.images[top]),
        _uint8_rgb(train.images[bottom]),
        _uint8_rgb(test.images[shown]),
        shown.astype(np.int64),
        test.labels[shown].astype(np.int64),
        positive,
    )
