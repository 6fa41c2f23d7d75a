"""The procedural micrograph generator: determinism, the classes and the shifts differ in
measurable image statistics, and the shift strengths mean what they say."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from workbench_micrograph.core.generator import (
    DETECTOR_B,
    DETECTOR_SOURCE,
    AgingParams,
    GeneratorParams,
    detector_at,
    generate,
    sample_scenes,
)

P = GeneratorParams()


def _spectral_centroid(x: np.ndarray) -> np.ndarray:
    """Mean radial frequency (cycles/px) of each image's power spectrum below 0.25 cycles/px
    (mean removed; above that the pixel noise's flat spectrum dominates)."""
    img = x[:, 0] - x[:, 0].mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(img)) ** 2
    n = img.shape[-1]
    f = np.fft.fftfreq(n)
    r = np.hypot(f[:, None], f[None, :])
    power = power * (r < 0.25)
    return (power * r).sum(axis=(1, 2)) / power.sum(axis=(1, 2))


def _elongation(x: np.ndarray) -> np.ndarray:
    """Median elongation sqrt(l1 / l2) (second moments) of each image's bright blobs (the
    powder mask of the smoothed image, connected components of 8 to 300 px)."""
    from scipy import ndimage

    out = []
    for img in x[:, 0]:
        lab, n = ndimage.label(ndimage.gaussian_filter(img, 0.7) > 0.33)
        vals = []
        for k in range(1, n + 1):
            yy, xx = np.nonzero(lab == k)
            if not 8 <= len(yy) <= 300:
                continue
            ev = np.linalg.eigvalsh(np.cov(np.stack([yy, xx]).astype(float)))
            vals.append(np.sqrt(ev[1] / max(ev[0], 1e-6)))
        out.append(float(np.median(vals)) if vals else 1.0)
    return np.asarray(out)


def _features(x: np.ndarray) -> np.ndarray:
    hist = np.stack([np.histogram(im, bins=12, range=(0, 1))[0] for im in x[:, 0]]) / x[0, 0].size
    return np.column_stack([hist, _spectral_centroid(x) * 10, _elongation(x), x.mean(axis=(1, 2, 3)) * 4])


def test_same_seed_same_images_other_seed_other_images():
    a = generate(P, "aged", "test", 3, seed=5)
    b = generate(P, "aged", "test", 3, seed=5)
    c = generate(P, "aged", "test", 3, seed=6)
    assert a["x"].shape == (3 * len(P.routes), 1, 64, 64) and a["x"].dtype == np.float32
    assert np.array_equal(a["x"], b["x"]) and np.array_equal(a["y"], b["y"])
    assert not np.array_equal(a["x"], c["x"])
    assert 0.0 <= a["x"].min() and a["x"].max() <= 1.0
    # 8-bit quantised like a saved micrograph
    assert np.allclose(a["x"] * 255, np.round(a["x"] * 255), atol=1e-4)


def test_size_distribution_and_shapes_of_the_scenes():
    rng = np.random.default_rng(0)
    for c, route in enumerate(P.routes):
        sc = sample_scenes(P, c, 16, rng)
        a = sc.a[sc.active]
        # log-normal with the route's median (clusters and RSA drop a few, sizes stay)
        assert abs(np.median(a) / route.radius_median - 1) < 0.15, route.name
        ratio = sc.b[sc.active] / a
        assert ratio.min() >= route.aspect[0] - 1e-9 and ratio.max() <= route.aspect[1] + 1e-9


def test_classes_differ_in_measurable_statistics():
    x = generate(P, "source", "train", 20, seed=1)
    names = P.class_names
    cent = _spectral_centroid(x["x"])
    elong = _elongation(x["x"])
    by = {n: x["y"] == i for i, n in enumerate(names)}
    # fine particles (route-A, r ~ 2.3 px) put more power at high frequencies than coarse ones
    # (route-B, r ~ 4.6 px), in nearly every image
    assert np.median(cent[by["route-A"]]) > np.percentile(cent[by["route-B"]], 75)
    # rods are elongated blobs, the rounded coarse powder is not
    assert np.median(elong[by["route-E"]]) > 1.5 * np.median(elong[by["route-B"]])
    # a nearest-centroid classifier on simple image statistics separates the routes
    f = _features(x["x"])
    t = generate(P, "source", "test", 20, seed=1)
    ft = _features(t["x"])
    mu, sd = f.mean(0), f.std(0) + 1e-9
    cents = np.stack([((f[x["y"] == c] - mu) / sd).mean(0) for c in range(len(names))])
    pred = np.argmin(((((ft - mu) / sd)[:, None, :] - cents[None]) ** 2).sum(-1), axis=1)
    assert (pred == t["y"]).mean() > 0.7


def _powder_fraction(x: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    sm = ndimage.gaussian_filter(x[:, 0], sigma=(0, 1.0, 1.0))
    return (sm > 0.3).mean(axis=(1, 2))


def test_aging_coarsens_and_roughens_the_same_scenes():
    src = generate(P, "source", "test", 12, seed=2)
    aged = generate(P, "aged", "test", 12, seed=2, with_source_pair=True)
    assert np.array_equal(aged["x_source"], src["x"])  # the pairs are the source renderings of the same scenes
    # particles grow: more of the image is powder
    assert _powder_fraction(aged["x"]).mean() > _powder_fraction(src["x"]).mean() + 0.02

    # needles, roughening and cracks: more fine structure on the powder (gradient energy)
    def grad_energy(x):
        gy, gx = np.gradient(x[:, 0], axis=(1, 2))
        return (gx**2 + gy**2).mean(axis=(1, 2))

    assert grad_energy(aged["x"]).mean() > grad_energy(src["x"]).mean() * 1.1


def test_strength_zero_is_no_shift_beyond_noise():
    p0 = replace(P, aging=replace(P.aging, strength=0.0), detector_strength=0.0)
    src = generate(p0, "source", "test", 6, seed=3)
    aged0 = generate(p0, "aged", "test", 6, seed=3)
    det0 = generate(p0, "detector", "test", 6, seed=3)
    det1 = generate(P, "detector", "test", 6, seed=3)
    noise = np.abs(aged0["x"] - src["x"]).mean()  # other noise draws, same scenes and detector
    assert noise < 0.08
    assert np.abs(det0["x"] - src["x"]).mean() < noise * 1.2
    assert np.abs(det1["x"] - src["x"]).mean() > 2 * noise
    assert detector_at(0.0) == DETECTOR_SOURCE
    assert detector_at(1.0) == DETECTOR_B
    mid = detector_at(0.5)
    assert 1.0 / mid.dose == pytest.approx(0.5 / DETECTOR_SOURCE.dose + 0.5 / DETECTOR_B.dose)


def test_detector_shift_changes_contrast_noise_and_scan_lines():
    det = generate(P, "detector", "test", 10, seed=4, with_source_pair=True)
    src, shifted = det["x_source"][:, 0], det["x"][:, 0]
    # steeper response curve: more spread of the grey levels
    assert shifted.std(axis=(1, 2)).mean() > src.std(axis=(1, 2)).mean()

    # per-line gain: the line means vary more around the column-smoothed image
    def line_var(x):
        rows = x.mean(axis=2)
        return np.var(np.diff(rows, axis=1), axis=1).mean()

    assert line_var(shifted) > 1.5 * line_var(src)


def test_bad_parameters_are_refused_with_the_name():
    with pytest.raises(ValueError, match="image_size"):
        generate(replace(P, image_size=8), "source", "test", 1, seed=0)
    with pytest.raises(ValueError, match="shape"):
        generate(replace(P, routes=(replace(P.routes[0], shape="cube"), P.routes[1])), "source", "test", 1, seed=0)
    with pytest.raises(ValueError, match="domain"):
        generate(P, "infrared", "test", 1, seed=0)
    with pytest.raises(ValueError, match="split"):
        generate(P, "source", "holdout", 1, seed=0)
    assert isinstance(P.aging, AgingParams)
