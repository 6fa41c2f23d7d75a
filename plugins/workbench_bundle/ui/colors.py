"""Colour maps for the torus faces (pure numpy, no Qt): diverging for Berry curvature, cyclic
hue for phases (domain colouring with |psi| contour bands), two colours for the sign of G; the
key of each (:func:`colour_key`) for colour bars."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COLOR_MODES = ("curvature", "phase1", "phase2", "sign_g")
MODE_TITLES = {
    "curvature": "Berry curvature",
    "phase1": "phase of psi_1",
    "phase2": "phase of psi_2",
    "sign_g": "sign of G (charts)",
}


def diverging(values: np.ndarray, vmax: float) -> np.ndarray:
    """Blue - white - red RGBA for values in [-vmax, vmax]."""
    t = np.clip(values / max(vmax, 1e-12), -1, 1)
    r = np.where(t > 0, 1.0, 1.0 + t)
    g = 1.0 - np.abs(t)
    b = np.where(t < 0, 1.0, 1.0 - t)
    return np.stack([r * 0.9 + 0.05, g * 0.9 + 0.05, b * 0.9 + 0.05, np.ones_like(t)], axis=-1).astype(np.float32)


def hue(phase: np.ndarray, modulus: np.ndarray | None = None) -> np.ndarray:
    """Cyclic HSV hue of a phase (radians); with ``modulus``, domain colouring: brightness bands
    at the contours log2 |psi| = integer (and darker where |psi| -> 0)."""
    h = (phase / (2 * np.pi)) % 1.0
    k = np.floor(h * 6)
    f = h * 6 - k
    p, q, t = np.zeros_like(h), 1 - f, f
    one = np.ones_like(h)
    k = k.astype(int) % 6
    r = np.choose(k, [one, q, p, p, t, one])
    g = np.choose(k, [t, one, one, q, p, p])
    b = np.choose(k, [p, p, t, one, one, q])
    v = np.ones_like(h)
    if modulus is not None:
        lm = np.log2(np.maximum(modulus, 1e-12))
        frac = lm - np.floor(lm)
        v = 0.72 + 0.28 * frac  # sawtooth bands: contours of |psi|
        v = v * np.clip(modulus / (np.median(modulus) + 1e-12) * 4, 0.25, 1)
    rgb = np.stack([r, g, b], axis=-1) * v[..., None] * 0.9 + 0.05
    return np.concatenate([rgb, np.ones(h.shape + (1,))], axis=-1).astype(np.float32)


def charts(sign: np.ndarray) -> np.ndarray:
    """Orange where G > 0, teal where G < 0, grey where G = 0."""
    out = np.empty(sign.shape + (4,), dtype=np.float32)
    out[:] = (0.6, 0.6, 0.6, 1.0)
    out[sign > 0] = (0.95, 0.6, 0.2, 1.0)
    out[sign < 0] = (0.2, 0.6, 0.65, 1.0)
    return out


def face_colors(view, mode: str) -> np.ndarray:
    """(n, n, 4) RGBA per face of a :class:`workbench_bundle.jobs.ViewResult`."""
    if mode == "curvature":
        return diverging(view.curvature, curvature_vmax(view.curvature))
    if mode in ("phase1", "phase2"):
        c = 0 if mode == "phase1" else 1
        return hue(view.phase[..., c], view.modulus[..., c])
    if mode == "sign_g":
        return charts(view.sign_g)
    raise ValueError(f"unknown colour mode {mode!r}")


@dataclass
class ColourKey:
    """What a colour means, for a colour bar or a key drawn beside a view (plain data).

    title: what is coloured, with units; gradient: (N, 4) RGBA floats along a bar (None for a
    key of swatches); ticks: (position in [0, 1] along the bar, label); swatches: (RGBA, label)."""

    title: str
    gradient: np.ndarray | None = None
    ticks: list[tuple[float, str]] = field(default_factory=list)
    swatches: list[tuple[tuple[float, float, float, float], str]] = field(default_factory=list)


def curvature_vmax(curvature: np.ndarray) -> float:
    """The flux at which the curvature colours saturate: the 99.5th percentile of |flux|."""
    return float(np.percentile(np.abs(curvature), 99.5)) or 1e-12


def colour_key(view, mode: str) -> ColourKey:
    """The key of :func:`face_colors` for ``view`` (a ViewResult, or None) in ``mode``."""
    if mode == "curvature":
        vmax = curvature_vmax(view.curvature) if view is not None else 1.0
        values = np.linspace(-vmax, vmax, 256)
        ticks = [(0.0, f"-{vmax:.3g}"), (0.5, "0"), (1.0, f"+{vmax:.3g}")] if view is not None else []
        return ColourKey(
            "Berry flux per plaquette (rad); saturates at the 99.5th percentile of |flux|",
            diverging(values, vmax),
            ticks,
        )
    if mode in ("phase1", "phase2"):
        c = 1 if mode == "phase1" else 2
        ticks = [(0.0, "-pi"), (0.25, "-pi/2"), (0.5, "0"), (0.75, "pi/2"), (1.0, "pi")]
        return ColourKey(
            f"phase of psi_{c} (rad); brightness bands: contours of log2 |psi_{c}|, dark where psi_{c} -> 0",
            hue(np.linspace(-np.pi, np.pi, 256)),
            ticks,
        )
    if mode == "sign_g":
        sw = [((0.95, 0.6, 0.2, 1.0), "G > 0"), ((0.2, 0.6, 0.65, 1.0), "G < 0"), ((0.6, 0.6, 0.6, 1.0), "G = 0")]
        return ColourKey("sign of G = d_z (the two charts of the bundle)", swatches=sw)
    raise ValueError(f"unknown colour mode {mode!r}")


#: the vortex markers on the torus
VORTEX_KEY = (
    "vortices: zeros of F (of a model: d_x + i d_y), labelled with their winding (red +1, blue -1); "
    "filled where G < 0 at the zero, ring where G >= 0 (for a dataset sample the windings of the filled "
    "ones add up to C)"
)
