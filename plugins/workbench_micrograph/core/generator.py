"""Procedural, seeded SEM-like micrographs of powders from several synthesis routes, and the two
distribution shifts of the seed case (Qt-free; numpy + scipy.ndimage, vectorised over images).

The seed case (Brown et al., arXiv 2407.15756) classifies the synthesis route of uranium ore
concentrates from SEM micrographs and meets two shifts: the powder *aged* in humidity chambers,
and micrographs taken with *another microscope / detector*.  Nothing here is a model of a real
material; it is a generator whose classes and shifts act on the same image statistics that
matter in real micrographs, so that the editing methods can be compared on data that ships
with the program:

Scene (:func:`sample_scenes`): a powder on a flat substrate.  Each route (:class:`RouteParams`)
has its particle shape (``rounded`` ellipsoids, ``angular`` truncated polygonal pyramids, thin
polygonal ``platelet``\\ s, ``rod``\\ s as capsules), a log-normal size distribution, a surface
coverage, an agglomeration level (fraction of particles in clusters, stacked in height), a
surface texture (roughness amplitude and correlation length, pits) and fine debris.  Particles
not in clusters are placed by random sequential adsorption (RSA: a candidate centre is rejected
when it lies closer than ``packing`` x the sum of the two effective radii to a placed one).

Rendering (:func:`render`): particles are drawn into a height field with a z-buffer at
``supersample`` x the output resolution, then shaded like a secondary-electron image
(Reimer, *Scanning Electron Microscopy*, 2nd ed., ch. 6; Seiler, J. Appl. Phys. 54 (1983) R1):

    I = m * (sec theta) ** k  +  w_edge * max(H - G_e H, 0)  -  w_shadow * R(H)
        +  w_dir * (grad H . d) / sqrt(1 + |grad H|^2),      signal = o + (1 - o) (1 - exp(-g I))

with G_s the Gaussian blur of scale s, R(H) = (max(G_l H - H, 0) + max(G_{l/3} H - H, 0)) / 2
the depth of recesses at two scales, theta the local tilt (sec theta = sqrt(1 + |grad H|^2): the SE yield grows with the
surface tilt), m the material yield (substrate darker than the powder), the edge term the
brightening of convex edges and thin features from which more secondary electrons escape, the
shadow term the darkening of recesses, and the directional term the side-mounted
Everhart-Thornley detector's shadowing.  Then the detector chain (:class:`DetectorParams`):
the signal is averaged down to the output pixels, blurred by the probe (Gaussian, sigma in
pixels), reduced in resolution (sampled at ``resolution`` x the pixel density and
interpolated back), counted (Poisson with ``dose`` electrons per pixel at full signal),
passed through the amplifier's contrast/brightness/gamma curve, given Gaussian amplifier noise
and scan-line artefacts (per-line gain and horizontal jitter), clipped to [0, 1] and quantised
to 8 bits.

Shifts:

* aging (:class:`AgingParams`, scene level; the same scene as the source image, so pairs
  exist): coarsening (large particles grow, small ones shrink and dissolve: Ostwald
  ripening), growth of fine needle crystallites on the particle surfaces (hydrated phases),
  surface roughening, and cracks (random-walk grooves on the particles);
* detector (``DETECTOR_B``, image level and shading): a detector with more edge contrast and no
  directional shadowing (in-lens like), a steeper response curve, lower dose (more Poisson
  noise), a larger probe, lower resolution and scan-line artefacts.

Both shifts have a ``strength`` (0: none, 1: the default shift) so that their size can be
tuned.  All parameters sit in one documented dataclass, :class:`GeneratorParams`.  Lengths are
in output pixels unless said otherwise.  Everything is reproducible from integer seeds
(``np.random.default_rng`` with a seed sequence per (seed, split, class, stream)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from scipy import ndimage

SHAPES = ("rounded", "angular", "platelet", "rod")
SOURCE = "source"
AGED = "aged"
DETECTOR = "detector"
DOMAINS = (SOURCE, AGED, DETECTOR)


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class RouteParams:
    """One synthesis route (a class).

    name: class name; shape: one of :data:`SHAPES`; radius_median / radius_sigma: log-normal
    size of the particles' semi-major axis (px; for rods the half-length) and its log-sd;
    aspect: range of minor/major axis ratios (uniform); sides: range of polygon sides (angular,
    platelet); height: particle height relative to its lateral size (thin platelets ~0.15);
    coverage: fraction of the image area the particles cover (sets their number);
    agglomeration: fraction of particles in agglomerates; cluster_size: spread (sd, px) of an
    agglomerate; per_cluster: mean particles per agglomerate; roughness: surface texture
    amplitude (px of height); texture_scale: its correlation length (px); porosity: pits per
    px^2 of particle surface; fines: fine debris particles per 1000 px^2."""

    name: str
    shape: str
    radius_median: float
    radius_sigma: float = 0.25
    aspect: tuple[float, float] = (0.8, 1.0)
    sides: tuple[int, int] = (5, 7)
    height: float = 0.8
    coverage: float = 0.45
    agglomeration: float = 0.0
    cluster_size: float = 4.0
    per_cluster: float = 8.0
    roughness: float = 0.05
    texture_scale: float = 1.0
    porosity: float = 0.0
    fines: float = 0.5


@dataclass(frozen=True)
class AgingParams:
    """Aging in humidity (scene level), each effect at ``strength`` = 1.

    coarsen: exponent of the Ostwald ripening factor exp(coarsen * clip(log(r / r_median), -1, 1))
    on each particle's size; growth: overall relative growth of the particles; dissolve: particles
    smaller than dissolve x r_median vanish; needles: fine needle crystallites per px^2 of particle
    surface; needle_length: their half-length range (px); needle_width: their radius (px);
    roughen: surface roughness added (px of height); roughen_scale: its correlation length (px);
    cracks: cracks per 1000 px^2; crack_length: length range (px); crack_depth: groove depth
    (px of height); strength: multiplies every effect (0: no aging)."""

    coarsen: float = 0.35
    growth: float = 0.12
    dissolve: float = 0.55
    needles: float = 0.06
    needle_length: tuple[float, float] = (1.2, 3.0)
    needle_width: float = 0.6
    roughen: float = 0.35
    roughen_scale: float = 0.7
    cracks: float = 1.5
    crack_length: tuple[float, float] = (6.0, 16.0)
    crack_depth: float = 2.5
    strength: float = 1.0


@dataclass(frozen=True)
class DetectorParams:
    """A microscope/detector: the shading it sees and its signal chain.

    material: SE yield of the powder vs the substrate (substrate, powder); tilt_exponent: k in
    (sec theta)^k; edge: weight of edge brightening; edge_sigma: scale of the edge term (px);
    shadow: weight of recess darkening; shadow_sigma: its larger scale (px; the smaller is a
    third); directional: weight of the side detector's shadowing; direction: its azimuth
    (radians); offset / gain: the saturating map o + (1 - o)(1 - exp(-g I)) of the shaded
    yield I to the detector signal; blur: probe sigma (px); resolution: sampling density
    relative to the pixels (1: native; 0.6: 60 %); dose: electrons per pixel at full signal
    (Poisson; 0 = noiseless); gaussian_noise: amplifier noise sd; contrast, brightness, gamma:
    the response curve out = clip(contrast (s - 0.5) + 0.5 + brightness, 0, 1) ** gamma;
    scan_jitter: sd of a line's horizontal shift (px); scan_gain: sd of a line's relative
    gain."""

    material: tuple[float, float] = (0.35, 1.0)
    tilt_exponent: float = 1.3
    edge: float = 0.9
    edge_sigma: float = 1.2
    shadow: float = 0.8
    shadow_sigma: float = 3.0
    directional: float = 1.1
    direction: float = 0.7
    offset: float = 0.03
    gain: float = 0.6
    blur: float = 0.45
    resolution: float = 1.0
    dose: float = 150.0
    gaussian_noise: float = 0.015
    contrast: float = 1.0
    brightness: float = 0.0
    gamma: float = 1.0
    scan_jitter: float = 0.0
    scan_gain: float = 0.0


#: the source domain's microscope
DETECTOR_SOURCE = DetectorParams()
#: the shifted detector: in-lens-like shading, steeper curve, noisier, blurrier, coarser, scan lines
DETECTOR_B = DetectorParams(
    material=(0.5, 1.0),
    tilt_exponent=0.8,
    edge=1.8,
    edge_sigma=0.9,
    shadow=0.2,
    directional=-0.1,
    offset=0.0,
    gain=0.7,
    blur=0.7,
    resolution=0.8,
    dose=35.0,
    gaussian_noise=0.03,
    contrast=1.35,
    brightness=-0.05,
    gamma=0.85,
    scan_jitter=0.25,
    scan_gain=0.04,
)


def detector_at(
    strength: float, source: DetectorParams = DETECTOR_SOURCE, shifted: DetectorParams = DETECTOR_B
) -> DetectorParams:
    """The detector ``strength`` of the way from ``source`` to ``shifted`` (0: source, 1:
    shifted; every numeric parameter interpolated linearly, the dose harmonically so that the
    noise variance 1/dose is linear)."""
    s = float(strength)
    values: dict[str, Any] = {}
    for f in fields(DetectorParams):
        a, b = getattr(source, f.name), getattr(shifted, f.name)
        if isinstance(a, tuple):
            values[f.name] = tuple((1 - s) * x + s * y for x, y in zip(a, b, strict=True))
        elif f.name == "dose":
            if a <= 0 or b <= 0:
                values[f.name] = b if s >= 0.5 else a
            else:
                values[f.name] = 1.0 / ((1 - s) / a + s / b)
        else:
            values[f.name] = (1 - s) * a + s * b
    return DetectorParams(**values)


DEFAULT_ROUTES = (
    RouteParams(
        "route-A",
        "rounded",
        radius_median=2.3,
        radius_sigma=0.22,
        aspect=(0.8, 1.0),
        height=0.9,
        coverage=0.5,
        agglomeration=0.85,
        cluster_size=4.5,
        per_cluster=14,
        roughness=0.05,
        texture_scale=0.8,
        porosity=0.0,
        fines=0.6,
    ),
    RouteParams(
        "route-B",
        "rounded",
        radius_median=4.6,
        radius_sigma=0.25,
        aspect=(0.75, 1.0),
        height=0.75,
        coverage=0.5,
        agglomeration=0.25,
        cluster_size=6.0,
        per_cluster=4,
        roughness=0.25,
        texture_scale=0.9,
        porosity=0.02,
        fines=0.4,
    ),
    RouteParams(
        "route-C",
        "angular",
        radius_median=4.2,
        radius_sigma=0.3,
        aspect=(0.6, 1.0),
        sides=(4, 6),
        height=0.7,
        coverage=0.45,
        agglomeration=0.1,
        roughness=0.03,
        texture_scale=1.0,
        fines=1.0,
    ),
    RouteParams(
        "route-D",
        "platelet",
        radius_median=6.0,
        radius_sigma=0.28,
        aspect=(0.8, 1.0),
        sides=(6, 7),
        height=0.14,
        coverage=0.55,
        agglomeration=0.5,
        cluster_size=5.0,
        per_cluster=4,
        roughness=0.02,
        texture_scale=1.2,
        fines=0.5,
    ),
    RouteParams(
        "route-E",
        "rod",
        radius_median=5.5,
        radius_sigma=0.3,
        aspect=(0.2, 0.32),
        height=0.9,
        coverage=0.35,
        agglomeration=0.55,
        cluster_size=3.5,
        per_cluster=6,
        roughness=0.04,
        texture_scale=0.8,
        fines=0.5,
    ),
)


@dataclass(frozen=True)
class GeneratorParams:
    """Everything the generator needs, in one place.

    image_size: output side (px); supersample: rendering resolution factor (the signal is
    averaged over supersample^2 sub-pixels per pixel); routes: the classes; aging: the aging
    shift; detector: the source detector; detector_b: the shifted detector; detector_strength:
    how far the shifted domain's detector lies toward ``detector_b`` (see :func:`detector_at`);
    packing: RSA exclusion factor (1: no overlap of effective discs, < 1 allows some);
    rsa_tries: candidate centres per particle before it is dropped; max_particles: cap per
    image."""

    image_size: int = 64
    supersample: int = 2
    routes: tuple[RouteParams, ...] = DEFAULT_ROUTES
    aging: AgingParams = field(default_factory=AgingParams)
    detector: DetectorParams = DETECTOR_SOURCE
    detector_b: DetectorParams = DETECTOR_B
    detector_strength: float = 1.0
    packing: float = 0.85
    rsa_tries: int = 8
    max_particles: int = 400

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.routes)

    def check(self) -> GeneratorParams:
        """``self``, or ValueError naming the parameter that is out of range."""
        if not 16 <= self.image_size <= 1024:
            raise ValueError(f"image_size must be in [16, 1024] px, got {self.image_size}")
        if not 1 <= self.supersample <= 4:
            raise ValueError(f"supersample must be 1..4, got {self.supersample}")
        if len(self.routes) < 2:
            raise ValueError("at least two routes (classes) are needed")
        names = [r.name for r in self.routes]
        if len(set(names)) != len(names):
            raise ValueError(f"route names must be unique, got {names}")
        for r in self.routes:
            if r.shape not in SHAPES:
                raise ValueError(f"route {r.name}: shape must be one of {SHAPES}, got {r.shape!r}")
            if r.radius_median <= 0 or not 0 < r.coverage < 1 or not 0 <= r.agglomeration <= 1:
                raise ValueError(
                    f"route {r.name}: radius_median > 0, coverage in (0, 1) and agglomeration in [0, 1] are required"
                )
            if not 0 < r.aspect[0] <= r.aspect[1] <= 1 or not 3 <= r.sides[0] <= r.sides[1]:
                raise ValueError(f"route {r.name}: aspect must satisfy 0 < lo <= hi <= 1 and sides 3 <= lo <= hi")
        if not 0 < self.detector.resolution <= 1 or not 0 < self.detector_b.resolution <= 1:
            raise ValueError("detector resolution must be in (0, 1]")
        return self


# --------------------------------------------------------------------------- scenes
@dataclass
class Scenes:
    """A batch of B powder scenes of one route, J particle slots each (arrays (B, J)).

    x, y: centre (output px); a: semi-major axis (px; rods: half-length); b: semi-minor
    axis; theta: orientation (radians); sides: polygon sides; z0: base elevation (px);
    tilt: (B, J, 2) height gradient of platelets; active: slot holds a particle; route:
    the route's index; fines_x, fines_y, fines_r: fine debris (B, F), fines_active;
    texture_seed: seed of the surface texture (part of the scene: the same in every domain)."""

    route: int
    x: np.ndarray
    y: np.ndarray
    a: np.ndarray
    b: np.ndarray
    theta: np.ndarray
    sides: np.ndarray
    z0: np.ndarray
    tilt: np.ndarray
    active: np.ndarray
    fines_x: np.ndarray
    fines_y: np.ndarray
    fines_r: np.ndarray
    fines_active: np.ndarray
    texture_seed: int = 0

    @property
    def batch(self) -> int:
        return int(self.x.shape[0])


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *[int(k) for k in keys]]))


def _rsa_positions(
    rng: np.random.Generator,
    r_eff: np.ndarray,
    disp: np.ndarray,
    fixed_x: np.ndarray,
    fixed_y: np.ndarray,
    size: float,
    packing: float,
    tries: int,
) -> tuple[np.ndarray, ...]:
    """Random sequential adsorption of the slots marked ``disp`` (B, J), in slot order, all B
    images at once; other slots keep (fixed_x, fixed_y) and count as obstacles too.  Returns
    x, y and whether each dispersed slot found a place."""
    B, J = r_eff.shape
    x, y = fixed_x.copy(), fixed_y.copy()
    placed = ~disp  # agglomerated particles are obstacles from the start
    ok = np.ones((B, J), dtype=bool)
    margin = 0.5 * r_eff.max()
    for j in range(J):
        if not disp[:, j].any():
            continue
        cx = rng.uniform(-margin, size + margin, size=(B, tries))
        cy = rng.uniform(-margin, size + margin, size=(B, tries))
        dx = cx[:, :, None] - x[:, None, :]
        dy = cy[:, :, None] - y[:, None, :]
        dmin = packing * (r_eff[:, j, None, None] + r_eff[:, None, :])
        clash = ((dx * dx + dy * dy) < dmin * dmin) & placed[:, None, :]
        free = ~clash.any(axis=2)  # (B, tries)
        first = np.argmax(free, axis=1)
        found = free[np.arange(B), first]
        rows = disp[:, j]
        x[rows, j] = cx[rows, first[rows]]
        y[rows, j] = cy[rows, first[rows]]
        ok[rows, j] = found[rows]
        placed[:, j] |= rows & found
    return x, y, ok


def sample_scenes(params: GeneratorParams, route: int, n: int, rng: np.random.Generator) -> Scenes:
    """``n`` scenes of route ``route`` drawn from ``rng`` (see the module docstring)."""
    rp = params.routes[route]
    size = float(params.image_size)
    area = size * size
    sides_mid = 0.5 * (rp.sides[0] + rp.sides[1])
    mean_area = math.pi * rp.radius_median**2 * math.exp(2 * rp.radius_sigma**2) * 0.5 * sum(rp.aspect)
    if rp.shape == "angular":
        mean_area *= sides_mid * math.sin(2 * math.pi / sides_mid) / (2 * math.pi)
    J = int(min(params.max_particles, max(4, round(rp.coverage * area / mean_area))))
    a = rp.radius_median * np.exp(rp.radius_sigma * rng.standard_normal((n, J)))
    b = a * rng.uniform(rp.aspect[0], rp.aspect[1], size=(n, J))
    theta = rng.uniform(0, math.pi, size=(n, J))
    sides = rng.integers(rp.sides[0], rp.sides[1] + 1, size=(n, J))
    # sort by size, large first: RSA places the big ones while there is room
    order = np.argsort(-a, axis=1)
    a, b = np.take_along_axis(a, order, 1), np.take_along_axis(b, order, 1)
    agg = rng.random((n, J)) < rp.agglomeration
    n_clusters = max(1, int(round(J * max(rp.agglomeration, 1e-9) / rp.per_cluster)))
    centres = rng.uniform(0, size, size=(n, n_clusters, 2))
    which = rng.integers(0, n_clusters, size=(n, J))
    c = np.take_along_axis(centres, which[:, :, None].repeat(2, axis=2), axis=1)
    off = rng.standard_normal((n, J, 2)) * rp.cluster_size
    ax, ay = c[..., 0] + off[..., 0], c[..., 1] + off[..., 1]
    r_eff = np.sqrt(a * b)
    x, y, ok = _rsa_positions(rng, r_eff, ~agg, ax, ay, size, params.packing, params.rsa_tries)
    # agglomerated particles pile up: the nearer the cluster centre, the higher
    dist = np.hypot(off[..., 0], off[..., 1]) / max(rp.cluster_size, 1e-6)
    lateral = np.where(rp.shape == "rod", b, np.minimum(a, b * 2))
    z0 = np.where(agg, lateral * rp.height * np.clip(1.2 - 0.5 * dist, 0, 1.2) * rng.uniform(0.3, 1.0, (n, J)), 0.0)
    z0 = z0 + rng.uniform(0.05, 0.3, size=(n, J))
    tilt = rng.normal(0, 0.18, size=(n, J, 2)) if rp.shape == "platelet" else np.zeros((n, J, 2))
    n_f = int(round(rp.fines * area / 1000.0))
    F = max(n_f, 1)
    fines_x = rng.uniform(0, size, size=(n, F))
    fines_y = rng.uniform(0, size, size=(n, F))
    fines_r = rng.uniform(0.5, 1.1, size=(n, F))
    fines_active = np.arange(F)[None, :] < n_f
    fines_active = np.broadcast_to(fines_active, (n, F)).copy()
    return Scenes(
        route, x, y, a, b, theta, sides, z0, tilt, ok, fines_x, fines_y, fines_r, fines_active, int(rng.integers(2**31))
    )


def age_scenes(scenes: Scenes, params: GeneratorParams) -> Scenes:
    """The same scenes after aging's size changes (Ostwald ripening: large particles grow,
    small ones shrink, the smallest dissolve).  Surface effects are applied at rendering."""
    ag, rp = params.aging, params.routes[scenes.route]
    s = float(ag.strength)
    if s <= 0:
        return scenes
    rel = np.clip(np.log(scenes.a / rp.radius_median), -1.0, 1.0)
    factor = np.exp(ag.coarsen * s * rel) * (1.0 + ag.growth * s)
    alive = scenes.active & (scenes.a * factor >= ag.dissolve * s * rp.radius_median * 0.9)
    return replace(
        scenes,
        a=scenes.a * factor,
        b=scenes.b * factor,
        active=alive,
        fines_active=scenes.fines_active & (np.arange(scenes.fines_x.shape[1]) % 2 == 0)[None, :]
        if s >= 0.5
        else scenes.fines_active,
    )


# --------------------------------------------------------------------------- rendering
def _profile(
    shape: str,
    u: np.ndarray,
    v: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    sides: np.ndarray,
    height: float,
    tilt: np.ndarray | None,
) -> np.ndarray:
    """Height (render px) of particles in their own frame (u along the major axis), -inf outside.
    a, b, sides, tilt broadcast against u (shape (B, 1, 1) and (B, 1, 1, 2))."""
    if shape == "rounded":
        q = (u / a) ** 2 + (v / b) ** 2
        h = height * b * np.sqrt(np.clip(1.0 - q, 0.0, None))
        return np.where(q < 1.0, h, -np.inf)
    if shape in ("angular", "platelet"):
        vv = v * (a / b)
        d = np.full(u.shape, -np.inf)
        n_max = int(sides.max())
        for k in range(n_max):
            phi = 2.0 * math.pi * k / sides
            proj = (u * np.cos(phi) + vv * np.sin(phi)) / (a * np.cos(math.pi / sides))
            d = np.where(k < sides, np.maximum(d, proj), d)
        if shape == "angular":
            h = height * a * np.clip((1.0 - d) * 1.6, 0.0, 1.0)
        else:
            h = height * a * np.clip((1.0 - d) * 6.0, 0.0, 1.0) + 0.2 * height * a
            if tilt is not None:
                h = h + tilt[..., 0] * u + tilt[..., 1] * v + np.abs(tilt).sum(axis=-1) * a
        return np.where(d < 1.0, h, -np.inf)
    if shape == "rod":
        seg = np.clip(a - b, 0.0, None)
        q = np.sqrt(np.clip(np.abs(u) - seg, 0.0, None) ** 2 + v**2) / b
        h = height * b * np.sqrt(np.clip(1.0 - q * q, 0.0, None))
        return np.where(q < 1.0, h, -np.inf)
    raise ValueError(f"unknown particle shape {shape!r}")


def _draw(
    H: np.ndarray,
    shape: str,
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    theta: np.ndarray,
    sides: np.ndarray,
    z0: np.ndarray,
    tilt: np.ndarray | None,
    active: np.ndarray,
    height: float,
    scale: int,
    pad: int,
) -> None:
    """z-buffer one particle per image (arrays (B,)) into the padded height field H (B, S, S)
    (render px, float32, C-contiguous).  Coordinates in output px."""
    B, Sy, Sx = H.shape
    if not active.any():
        return
    extent = int(math.ceil(float(np.max(np.where(active, a, 0.0))) * scale)) + 1
    extent = min(extent, pad)
    offs = np.arange(-extent, extent + 1)
    xs, ys = x * scale, y * scale
    cx, cy = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    gx = cx[:, None] + offs[None, :]  # (B, P)
    gy = cy[:, None] + offs[None, :]
    X = ((gx + 0.5 - xs[:, None]) / scale).astype(np.float32)[:, None, :]  # (B, 1, P) output px
    Y = ((gy + 0.5 - ys[:, None]) / scale).astype(np.float32)[:, :, None]  # (B, P, 1)
    c = np.cos(theta).astype(np.float32)[:, None, None]
    s = np.sin(theta).astype(np.float32)[:, None, None]
    u = X * c + Y * s
    v = Y * c - X * s
    t = None if tilt is None else tilt.astype(np.float32)[:, None, None, :]
    f32 = np.float32
    h = _profile(
        shape, u, v, a.astype(f32)[:, None, None], b.astype(f32)[:, None, None], sides[:, None, None], height, t
    )
    h = h * f32(scale) + (z0.astype(f32) * f32(scale))[:, None, None]
    h[~active] = -np.inf
    iy = np.clip(gy + pad, 0, Sy - 1)
    ix = np.clip(gx + pad, 0, Sx - 1)
    idx = (np.arange(B)[:, None, None] * (Sy * Sx) + iy[:, :, None] * Sx + ix[:, None, :]).ravel()
    flat = H.reshape(-1)
    flat[idx] = np.maximum(flat[idx], h.ravel())


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int, int], sigma: float) -> np.ndarray:
    """Unit-variance Gaussian random field, correlation length ``sigma`` (render px)."""
    z = rng.standard_normal(shape, dtype=np.float32)
    if sigma > 0.3:
        z = ndimage.gaussian_filter(z, sigma=(0, sigma, sigma), mode="wrap", truncate=3.0)
        z /= max(float(z.std()), 1e-12)
    return z


def height_field(
    scenes: Scenes, params: GeneratorParams, rng: np.random.Generator, aged: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Height field (B, S, S) at render resolution (render px) and the powder mask (1 on
    particles).  ``aged``: add aging's surface effects (needles, roughening, cracks); the
    scenes' sizes must already be aged (:func:`age_scenes`)."""
    rp = params.routes[scenes.route]
    scale = params.supersample
    S = params.image_size * scale
    maxa = float(np.max(np.where(scenes.active, scenes.a, 0.0), initial=1.0))
    pad = int(math.ceil(maxa * scale)) + 4
    B = scenes.batch
    H = np.zeros((B, S + 2 * pad, S + 2 * pad), dtype=np.float32)
    J = scenes.x.shape[1]
    for j in range(J):
        _draw(
            H,
            rp.shape,
            scenes.x[:, j],
            scenes.y[:, j],
            scenes.a[:, j],
            scenes.b[:, j],
            scenes.theta[:, j],
            scenes.sides[:, j],
            scenes.z0[:, j],
            scenes.tilt[:, j],
            scenes.active[:, j],
            rp.height,
            scale,
            pad,
        )
    H = H[:, pad : pad + S, pad : pad + S].copy()
    mask = H > 0  # the substrate is at height 0, every particle above it (z0 > 0)
    tex_rng = _rng(scenes.texture_seed, 11)
    rough = rp.roughness * scale
    if rough > 0:
        H += rough * _smooth_noise(tex_rng, H.shape, rp.texture_scale * scale) * mask
    if rp.porosity > 0:
        pits = (tex_rng.random(H.shape) < rp.porosity / (scale * scale)) & mask
        H -= 2.0 * scale * ndimage.gaussian_filter(pits.astype(float), sigma=(0, 0.6 * scale, 0.6 * scale)) * mask
    # fine debris: small rounded grains on whatever lies below them
    fin_pad = 4 * scale
    Hp = np.pad(H, ((0, 0), (fin_pad, fin_pad), (fin_pad, fin_pad)), mode="edge")
    fx, fy = scenes.fines_x, scenes.fines_y
    for j in range(fx.shape[1]):
        iy = np.clip((fy[:, j] * scale).astype(int) + fin_pad, 0, Hp.shape[1] - 1)
        ix = np.clip((fx[:, j] * scale).astype(int) + fin_pad, 0, Hp.shape[2] - 1)
        base = Hp[np.arange(B), iy, ix] / scale
        r = scenes.fines_r[:, j]
        _draw(
            Hp,
            "rounded",
            fx[:, j],
            fy[:, j],
            r,
            r * 0.9,
            np.zeros(B),
            np.full(B, 6),
            base,
            None,
            scenes.fines_active[:, j],
            0.9,
            scale,
            fin_pad,
        )
    H = Hp[:, fin_pad : fin_pad + S, fin_pad : fin_pad + S].copy()
    mask = mask | (H > 0.5 * scale)
    if aged:
        H, mask = _age_surface(H, mask, params, _rng(int(rng.integers(2**31)), 12))
    return H, mask


def _age_surface(
    H: np.ndarray, mask: np.ndarray, params: GeneratorParams, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Aging's surface effects on a height field (render px): needle crystallites grown on the
    particles, roughening, cracks."""
    ag = params.aging
    s, scale = float(ag.strength), params.supersample
    if s <= 0:
        return H, mask
    B, S, _ = H.shape
    size = params.image_size
    # needles nucleate on particle surfaces
    n_needles = rng.poisson(ag.needles * s * mask.reshape(B, -1).sum(axis=1) / (scale * scale))
    N = int(n_needles.max(initial=0))
    if N > 0:
        pad = int(math.ceil(ag.needle_length[1] * scale)) + 3
        Hp = np.pad(H, ((0, 0), (pad, pad), (pad, pad)), mode="edge")
        flat_mask = mask.reshape(B, -1)
        for j in range(N):
            active = j < n_needles
            # a position on the powder: rejection from uniform candidates (8 tries)
            cand = rng.integers(0, S * S, size=(B, 8))
            good = np.take_along_axis(flat_mask, cand, axis=1)
            pick = cand[np.arange(B), np.argmax(good, axis=1)]
            active = active & good.any(axis=1)
            py, px = pick // S, pick % S
            x = np.asarray((px + 0.5) / scale, dtype=np.float64)
            y = np.asarray((py + 0.5) / scale, dtype=np.float64)
            base = H[np.arange(B), py, px] / scale
            half = np.asarray(rng.uniform(ag.needle_length[0], ag.needle_length[1], size=B))
            width = np.full(B, ag.needle_width) * rng.uniform(0.8, 1.2, size=B)
            turn = np.asarray(rng.uniform(0, math.pi, size=B))
            _draw(Hp, "rod", x, y, half, width, turn, np.full(B, 6), base, None, active, 1.5, scale, pad)
        H = Hp[:, pad : pad + S, pad : pad + S].copy()
    if ag.roughen > 0:
        H = H + ag.roughen * s * scale * _smooth_noise(rng, H.shape, ag.roughen_scale * scale) * mask
    # cracks: persistent random walks, grooves only where there is powder
    n_cracks = np.asarray(rng.poisson(ag.cracks * s * size * size / 1000.0, size=B))
    C = int(n_cracks.max(initial=0))
    if C > 0:
        L = int(math.ceil(ag.crack_length[1] * 2))  # steps of 0.5 px
        groove = np.zeros((B, S, S))
        start = rng.uniform(0, size, size=(B, C, 2))
        heading = rng.uniform(0, 2 * math.pi, size=(B, C))
        length = rng.uniform(*ag.crack_length, size=(B, C)) * 2
        turn = rng.normal(0, 0.25, size=(B, C, L)).cumsum(axis=2)
        ang = heading[:, :, None] + turn
        steps = 0.5 * np.stack([np.cos(ang), np.sin(ang)], axis=-1)
        pts = start[:, :, None, :] + np.cumsum(steps, axis=2)  # (B, C, L, 2)
        on = (np.arange(L)[None, None, :] < length[:, :, None]) & (
            np.arange(C)[None, :, None] < n_cracks[:, None, None]
        )
        bi = np.broadcast_to(np.arange(B)[:, None, None], on.shape)[on]
        iy = np.clip((pts[..., 1][on] * scale).astype(int), 0, S - 1)
        ix = np.clip((pts[..., 0][on] * scale).astype(int), 0, S - 1)
        groove[bi, iy, ix] = 1.0
        groove = ndimage.gaussian_filter(groove, sigma=(0, 0.45 * scale, 0.45 * scale))
        groove /= max(float(groove.max(initial=0.0)), 1e-12)
        H = H - ag.crack_depth * s * scale * np.clip(groove * 2.0, 0, 1) * mask
    return H, mask


def _blurs(x: np.ndarray, sigmas: tuple[float, ...], scale: int) -> list[np.ndarray]:
    """Gaussian blurs (sd ``sigmas`` in render px) of each image of x (B, S, S) at render
    resolution, computed at the output resolution (block means of ``scale`` x ``scale``) and
    repeated back: the final image averages the same blocks, so up to the shading's
    nonlinearity this equals blurring at render resolution, at 1 / (2 scale^3) of the cost."""
    B, S, _ = x.shape
    n = S // scale
    low = x.reshape(B, n, scale, n, scale).mean(axis=(2, 4)) if scale > 1 else x
    out = []
    for sig in sigmas:
        y = ndimage.gaussian_filter(low, sigma=(0, sig / scale, sig / scale), truncate=3.0)
        out.append(np.repeat(np.repeat(y, scale, axis=1), scale, axis=2) if scale > 1 else y)
    return out


def shade(H: np.ndarray, mask: np.ndarray, det: DetectorParams, scale: int) -> np.ndarray:
    """Secondary-electron signal (B, S, S) in about [0, 1] of a height field (render px); see the
    module docstring for the formula.  Lengths of ``det`` are in output px (times ``scale``)."""
    H = H.astype(np.float32, copy=False)
    gy, gx = np.gradient(H, axis=(1, 2))
    slope2 = gx * gx + gy * gy
    sec = np.sqrt(1.0 + slope2)
    m = np.where(mask, det.material[1], det.material[0])
    yield_ = m * np.minimum(sec, 5.0) ** det.tilt_exponent
    Hs = H / scale  # heights in output px for the edge and shadow terms
    es, ss = det.edge_sigma * scale, det.shadow_sigma * scale
    blur_e, blur_l, blur_s = _blurs(Hs, (es, ss, ss / 3), scale)
    edge = np.clip(Hs - blur_e, 0.0, 3.0)
    # recesses at two scales: the particle's surroundings (sigma) and narrow grooves (sigma / 3)
    shadow = 0.5 * np.clip(blur_l - Hs, 0.0, 4.0) + 0.5 * np.clip(blur_s - Hs, 0.0, 4.0)
    d = (math.cos(det.direction), math.sin(det.direction))
    directional = (gx * d[0] + gy * d[1]) / sec
    raw = np.clip(yield_ + det.edge * edge - det.shadow * shadow + det.directional * directional, 0.0, None)
    return det.offset + (1.0 - det.offset) * (1.0 - np.exp(-det.gain * raw))


def detect(signal: np.ndarray, det: DetectorParams, scale: int, rng: np.random.Generator) -> np.ndarray:
    """The detector chain on a render-resolution signal: average to output pixels, probe blur,
    resolution, Poisson counting, response curve, amplifier noise, scan lines, clip, 8-bit."""
    B, S, _ = signal.shape
    n = S // scale
    img = signal.reshape(B, n, scale, n, scale).mean(axis=(2, 4)) if scale > 1 else signal.copy()
    img = np.clip(img, 0.0, None)
    if det.blur > 0:
        img = ndimage.gaussian_filter(img, sigma=(0, det.blur, det.blur), mode="reflect")
    if det.resolution < 0.999:
        m = max(4, int(round(n * det.resolution)))
        low = ndimage.zoom(img, (1, m / n, m / n), order=1, grid_mode=True, mode="grid-constant")
        img = ndimage.zoom(low, (1, n / m, n / m), order=1, grid_mode=True, mode="nearest")[:, :n, :n]
    if det.dose > 0:
        img = rng.poisson(np.clip(img, 0, 4) * det.dose) / det.dose
    img = det.contrast * (img - 0.5) + 0.5 + det.brightness
    img = np.clip(img, 0.0, 1.0) ** det.gamma
    if det.gaussian_noise > 0:
        img = img + det.gaussian_noise * rng.standard_normal(img.shape)
    if det.scan_gain > 0:
        img = img * (1.0 + det.scan_gain * rng.standard_normal((B, n, 1)))
    if det.scan_jitter > 0:
        shift = rng.normal(0, det.scan_jitter, size=(B, n))
        cols = np.arange(n)[None, None, :] + shift[:, :, None]
        lo = np.clip(np.floor(cols).astype(int), 0, n - 1)
        hi = np.clip(lo + 1, 0, n - 1)
        w = cols - np.floor(cols)
        img = (1 - w) * np.take_along_axis(img, lo, axis=2) + w * np.take_along_axis(img, hi, axis=2)
    img = np.clip(img, 0.0, 1.0)
    return (np.round(img * 255.0) / 255.0).astype(np.float32)


def render(scenes: Scenes, params: GeneratorParams, domain: str, rng: np.random.Generator) -> np.ndarray:
    """Images (B, 1, size, size) float32 in [0, 1] of ``scenes`` in ``domain`` (source, aged or
    detector).  For ``aged`` pass the scenes before aging: this function ages them."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; use one of {DOMAINS}")
    aged = domain == AGED
    sc = age_scenes(scenes, params) if aged else scenes
    H, mask = height_field(sc, params, rng, aged=aged)
    det = (
        detector_at(params.detector_strength, params.detector, params.detector_b)
        if domain == DETECTOR
        else params.detector
    )
    sig = shade(H, mask, det, params.supersample)
    return detect(sig, det, params.supersample, rng)[:, None]


# --------------------------------------------------------------------------- data sets
SPLIT_CODES = {"train": 1, "val": 2, "test": 3, "edit": 4}


def generate(
    params: GeneratorParams,
    domain: str,
    split: str,
    per_class: int,
    seed: int,
    with_source_pair: bool = False,
    batch: int = 64,
) -> dict[str, np.ndarray]:
    """``per_class`` images of every route in ``domain``, from the scenes of ``split`` (train,
    val, test, edit) and ``seed``.  Returns ``x`` (N, 1, S, S) float32 in [0, 1], ``y`` (N,)
    int64 and ``scene`` (N,) int64 (the scene index within its class); with
    ``with_source_pair`` also ``x_source``: the same scenes rendered in the source domain (the
    pairs of aged or detector images; the source images of ``domain`` = source are themselves).

    The scenes depend on (seed, split, class) only, never on the domain, so the same call in
    two domains gives the same powders seen by two domains."""
    params.check()
    if split not in SPLIT_CODES:
        raise ValueError(f"unknown split {split!r}; use one of {tuple(SPLIT_CODES)}")
    if per_class < 0:
        raise ValueError(f"per_class must be >= 0, got {per_class}")
    code = SPLIT_CODES[split]
    dom_code = DOMAINS.index(domain) if domain in DOMAINS else -1
    if dom_code < 0:
        raise ValueError(f"unknown domain {domain!r}; use one of {DOMAINS}")
    xs, ys, ids, pairs = [], [], [], []
    for c in range(len(params.routes)):
        for start in range(0, per_class, batch):
            n = min(batch, per_class - start)
            scene_rng = _rng(seed, code, c, start, 0)
            scenes = sample_scenes(params, c, n, scene_rng)
            xs.append(render(scenes, params, domain, _rng(seed, code, c, start, 1 + dom_code)))
            if with_source_pair:
                pairs.append(
                    xs[-1] if domain == SOURCE else render(scenes, params, SOURCE, _rng(seed, code, c, start, 1))
                )
            ys.append(np.full(n, c, dtype=np.int64))
            ids.append(np.arange(start, start + n, dtype=np.int64))
    size = params.image_size
    out = {
        "x": np.concatenate(xs) if xs else np.zeros((0, 1, size, size), np.float32),
        "y": np.concatenate(ys) if ys else np.zeros(0, np.int64),
        "scene": np.concatenate(ids) if ids else np.zeros(0, np.int64),
    }
    if with_source_pair:
        out["x_source"] = np.concatenate(pairs) if pairs else np.zeros((0, 1, size, size), np.float32)
    return out
