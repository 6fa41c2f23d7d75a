"""The generated data: deterministic by seed, labels and concepts what they claim to be."""

from __future__ import annotations

import numpy as np
import pytest

from workbench_concepts.core.dataset import (
    CLASS_NAMES,
    ROUND_CLASSES,
    DefaultData,
    concept_set,
    default_data,
    generate,
)


def test_same_seed_same_images_other_seed_other_images():
    a, b, c = generate(200, 3), generate(200, 3), generate(200, 4)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert np.array_equal(a.high_freq, b.high_freq)
    assert not np.allclose(a.images, c.images)
    assert a.images.shape == (200, 3, 32, 32) and a.images.dtype == np.float32
    assert a.images.min() >= 0 and a.images.max() <= 1


def test_classes_balanced_and_frequency_half():
    s = generate(1000, 0)
    assert np.bincount(s.labels, minlength=len(CLASS_NAMES)).tolist() == [100] * 10
    assert s.high_freq.sum() == 500


def _high_band_power(img: np.ndarray) -> float:
    """Share of the (mean-removed) grey image's spectral power above 0.25 cycles per pixel."""
    g = img.mean(0)
    f = np.abs(np.fft.fft2(g - g.mean())) ** 2
    fr = np.fft.fftfreq(32)
    rad = np.sqrt(fr[:, None] ** 2 + fr[None, :] ** 2)
    return float(f[rad > 0.25].sum() / f.sum())


def test_perceptual_concept_is_high_spatial_frequency_power():
    """An independent measurement: the images labelled high-frequency carry more power at
    high spatial frequencies (FFT) than the others, for every class."""
    s = generate(600, 1)
    power = np.array([_high_band_power(x) for x in s.images])
    for k in range(len(CLASS_NAMES)):
        hi = power[(s.labels == k) & s.high_freq]
        lo = power[(s.labels == k) & ~s.high_freq]
        assert np.median(hi) > 1.5 * np.median(lo), CLASS_NAMES[k]


def test_concept_sets_balanced_and_labelled():
    c = concept_set("round", 400, 0)
    assert c.kind == "object" and c.fit_y.mean() == pytest.approx(0.5, abs=0.08)
    assert np.array_equal(np.isin(c.fit.labels, ROUND_CLASSES), c.fit_y)
    f = concept_set("high_frequency", 400, 0)
    assert f.kind == "perceptual" and np.array_equal(f.test.high_freq, f.test_y)
    assert len(f.fit) == 300 and len(f.test) == 100


def test_default_data_deterministic_and_concept_images_differ_from_training():
    d1, d2 = (
        default_data(DefaultData(n_train=100, n_test=20, n_concept=40)),
        default_data(DefaultData(n_train=100, n_test=20, n_concept=40)),
    )
    assert np.array_equal(d1.train.images, d2.train.images)
    assert np.array_equal(d1.concepts["round"].fit.images, d2.concepts["round"].fit.images)
    assert not np.allclose(d1.train.images[:20], d1.test.images)


def test_bad_input_messages():
    with pytest.raises(ValueError, match="positive integer"):
        generate(0, 0)
    with pytest.raises(ValueError, match="unknown concept 'snakes'"):
        concept_set("snakes", 10, 0)
    with pytest.raises(ValueError, match="n_train must be an integer >= 20"):
        default_data(DefaultData(n_train=5))
    with pytest.raises(ValueError, match="unknown concept"):
        generate(10, 0).concept_labels("snakes")
