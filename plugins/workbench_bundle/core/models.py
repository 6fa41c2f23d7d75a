"""Two-band lattice models on the 2-torus and their Bloch states.

Every model is a Bloch Hamiltonian H(k) = h_0(k) + d(k) . sigma on reduced coordinates
k1, k2 in [0, 2 pi) (periodic), so the lower band is the -|d| eigenvector and its Chern number
is (minus, in the default convention) the degree of d / |d|.

* Haldane (F. D. M. Haldane, PRL 61, 2015 (1988)), in the reduced coordinates of PythTB/Z2Pack:
  h_x = t1 (1 + cos k1 + cos k2), h_y = t1 (sin k2 - sin k1),
  h_z = m - 2 t2 sin(phi) (sin k1 + sin k2 - sin(k1 + k2)),
  h_0 = 2 t2 cos(phi) (cos k1 + cos k2 + cos(k1 + k2)).
  Phase boundaries: m = +-3 sqrt(3) t2 sin(phi).
* Qi-Wu-Zhang (PRB 74, 085308 (2006)): d = (sin kx, sin ky, u + cos kx + cos ky).
* Bernevig-Hughes-Zhang (Science 314, 1757 (2006)), per spin block:
  spin up d = (A sin kx, A sin ky, M - 2 B (2 - cos kx - cos ky)), spin down H_up*(-k), i.e.
  d = (-A sin kx, A sin ky, same d_z).
* User models: d_0, d_x, d_y, d_z given as safe expressions (:mod:`.expressions`) or sampled.

Energies are in the units of the hopping parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .expressions import parse_expression

MODELS = ("haldane", "qwz", "bhz", "custom")
DEFAULT_PARAMS: dict[str, dict[str, float]] = {
    "haldane": {"t1": 1.0, "t2": 1.0 / 3.0, "phi": float(np.pi / 2), "m": 0.5},
    "qwz": {"u": 1.0},
    "bhz": {"M": 1.0, "A": 1.0, "B": 0.5},
    "custom": {},
}
PARAM_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "haldane": {"t1": (0.1, 2.0), "t2": (0.0, 1.0), "phi": (-np.pi, np.pi), "m": (-3.0, 3.0)},
    "qwz": {"u": (-3.0, 3.0)},
    "bhz": {"M": (-2.0, 6.0), "A": (0.1, 2.0), "B": (0.1, 2.0)},
    "custom": {},
}


def k_axes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Broadcastable reduced coordinates: k1 of shape (n, 1), k2 of shape (1, n) (radians)."""
    k = 2 * np.pi * np.arange(n) / n
    return k[:, None], k[None, :]


def d_on_grid(spec: ModelSpec, n: int) -> tuple[np.ndarray, ...]:
    """(h_0, d_x, d_y, d_z) on the n x n grid, each (n, n); trig of k1 and k2 is evaluated on the
    axes only and broadcast."""
    k1, k2 = k_axes(n)
    return tuple(np.ascontiguousarray(np.broadcast_to(a, (n, n)), dtype=float) for a in d_vector(spec, k1, k2))


def k_grid(n1: int, n2: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reduced coordinates k1[i, j] = 2 pi i / n1, k2[i, j] = 2 pi j / n2 (radians)."""
    n2 = n1 if n2 is None else n2
    k1 = 2 * np.pi * np.arange(n1) / n1
    k2 = 2 * np.pi * np.arange(n2) / n2
    return np.meshgrid(k1, k2, indexing="ij")


def haldane_d(k1: np.ndarray, k2: np.ndarray, t1: float, t2: float, phi: float, m: float) -> tuple[np.ndarray, ...]:
    """(h_0, h_x, h_y, h_z) of the Haldane model (formulas in the module docstring)."""
    hx = t1 * (1 + np.cos(k1) + np.cos(k2))
    hy = t1 * (np.sin(k2) - np.sin(k1))
    hz = m - 2 * t2 * np.sin(phi) * (np.sin(k1) + np.sin(k2) - np.sin(k1 + k2))
    h0 = 2 * t2 * np.cos(phi) * (np.cos(k1) + np.cos(k2) + np.cos(k1 + k2))
    return h0, hx, hy, hz


def qwz_d(kx: np.ndarray, ky: np.ndarray, u: float) -> tuple[np.ndarray, ...]:
    """(0, d_x, d_y, d_z) of the Qi-Wu-Zhang model."""
    return np.zeros_like(kx), np.sin(kx), np.sin(ky), u + np.cos(kx) + np.cos(ky)


def bhz_d(kx: np.ndarray, ky: np.ndarray, M: float, A: float, B: float, spin: str = "up") -> tuple[np.ndarray, ...]:
    """(0, d_x, d_y, d_z) of one spin block of the BHZ model (``spin`` = "up" or "down")."""
    dz = M - 2 * B * (2 - np.cos(kx) - np.cos(ky))
    sx = A * np.sin(kx)
    if spin == "down":
        sx = -sx
    elif spin != "up":
        raise ValueError(f"spin must be 'up' or 'down', got {spin!r}")
    return np.zeros_like(kx), sx, A * np.sin(ky), dz


def lower_band_states(dx: np.ndarray, dy: np.ndarray, dz: np.ndarray) -> np.ndarray:
    """Normalised lower-band eigenvectors of d . sigma, shape (..., 2), in a smooth-enough gauge.

    Two gauges, [d_z - |d|, d_x + i d_y] and [-(d_x - i d_y), d_z + |d|], each singular on one
    pole of d/|d|; the one with the larger norm is used at each point (FHS is gauge invariant).
    Points with d = 0 (closed gap) give an arbitrary unit vector.
    """
    r = np.sqrt(dx * dx + dy * dy + dz * dz)
    a = np.stack([dz - r + 0j, dx + 1j * dy], axis=-1)
    b = np.stack([-(dx - 1j * dy), dz + r + 0j], axis=-1)
    use_a = (dz <= 0)[..., None]
    u = np.where(use_a, a, b)
    norm = np.sqrt((u.real**2 + u.imag**2).sum(axis=-1, keepdims=True))
    bad = norm[..., 0] < 1e-300
    norm[bad] = 1.0
    u = u / norm
    if bad.any():
        u[bad] = np.array([1.0, 0.0])
    return u


@dataclass(frozen=True)
class ModelSpec:
    """A two-band model and its parameters.

    name: haldane | qwz | bhz | custom.  params: the model's parameters (floats).
    spin: BHZ block ("up" or "down").  expressions: custom model, keys among d0, dx, dy, dz.
    """

    name: str = "haldane"
    params: tuple[tuple[str, float], ...] = ()
    spin: str = "up"
    expressions: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def make(
        name: str, params: dict[str, float] | None = None, spin: str = "up", expressions: dict[str, str] | None = None
    ) -> ModelSpec:
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
        p = dict(DEFAULT_PARAMS[name])
        for key, value in (params or {}).items():
            if name != "custom" and key not in p:
                raise ValueError(f"model {name} has no parameter {key!r} (parameters: {', '.join(p)})")
            p[key] = float(value)
        exprs = tuple(sorted((expressions or {}).items()))
        return ModelSpec(name, tuple(sorted(p.items())), spin, exprs)

    def param_dict(self) -> dict[str, float]:
        return dict(self.params)


@dataclass
class BandData:
    """Lower-band states and spectrum of a two-band model on an n x n grid."""

    states: np.ndarray  # (n, n, 2) complex, lower band
    d: np.ndarray  # (n, n, 3) d-vector
    h0: np.ndarray  # (n, n)
    gap: np.ndarray  # (n, n) direct gap 2 |d|
    meta: dict = field(default_factory=dict)


def d_vector(spec: ModelSpec, k1: np.ndarray, k2: np.ndarray) -> tuple[np.ndarray, ...]:
    """(h_0, d_x, d_y, d_z) of ``spec`` on the given reduced coordinates."""
    p = spec.param_dict()
    if spec.name == "haldane":
        return haldane_d(k1, k2, p["t1"], p["t2"], p["phi"], p["m"])
    if spec.name == "qwz":
        return qwz_d(k1, k2, p["u"])
    if spec.name == "bhz":
        return bhz_d(k1, k2, p["M"], p["A"], p["B"], spec.spin)
    if spec.name == "custom":
        exprs = dict(spec.expressions)
        unknown = set(exprs) - {"d0", "dx", "dy", "dz"}
        if unknown:
            raise ValueError(f"custom model: unknown components {sorted(unknown)}; use d0, dx, dy, dz")
        names = tuple(p)
        out = []
        for comp in ("d0", "dx", "dy", "dz"):
            src = exprs.get(comp, "0")
            value = parse_expression(src, names).evaluate(k1, k2, p)
            if np.iscomplexobj(value):
                if np.abs(value.imag).max() > 1e-9 * max(1.0, np.abs(value.real).max()):
                    raise ValueError(f"custom model: {comp} = {src!r} is not real (a Hermitian H needs real d)")
                value = value.real
            if not np.isfinite(value).all():
                raise ValueError(f"custom model: {comp} = {src!r} is not finite everywhere on the torus")
            out.append(np.asarray(value, dtype=float))
        return tuple(out)
    raise ValueError(f"unknown model {spec.name!r}")


def band_data(spec: ModelSpec, n: int) -> BandData:
    """Lower-band states of ``spec`` on an n x n grid of the torus."""
    h0, dx, dy, dz = d_on_grid(spec, n)
    d = np.stack([dx, dy, dz], axis=-1)
    return BandData(states=lower_band_states(dx, dy, dz), d=d, h0=h0, gap=2 * np.linalg.norm(d, axis=-1))


def haldane_phase_boundary(phi: np.ndarray, t2: float) -> np.ndarray:
    """m at which the Haldane gap closes: m = +-3 sqrt(3) t2 sin(phi) (the + branch is returned).

    Units of t1 (= 1), with next-nearest hopping t2 and flux phase phi in radians; inside
    |m| < |boundary| the lower band has C = -sign(t2 sin phi) in the default convention, outside
    C = 0 (Haldane, PRL 61, 2015 (1988)).
    """
    return 3 * np.sqrt(3) * t2 * np.sin(phi)


def qwz_chern_exact(u: float) -> int:
    """C(u) = (sgn(u + 2) - 2 sgn(u) + sgn(u - 2)) / 2 (default convention)."""
    return int((np.sign(u + 2) - 2 * np.sign(u) + np.sign(u - 2)) / 2)


def states_from_hamiltonians(h: np.ndarray, bands: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvectors of sampled Hermitian matrices h (n1, n2, dim, dim): the chosen bands
    (default: the lower half) as (n1, n2, dim, nb), and the direct gap above them (n1, n2)."""
    h = np.asarray(h)
    if h.ndim != 4 or h.shape[2] != h.shape[3] or h.shape[2] < 2:
        raise ValueError(f"sampled Hamiltonians must have shape (N1, N2, dim, dim) with dim >= 2; got {h.shape}")
    if h.dtype.kind not in "biufc":
        raise ValueError(f"sampled Hamiltonians must be numbers, got dtype {h.dtype}")
    finite = np.isfinite(h)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        kinds = "NaN" if np.isnan(h).any() else "infinite"
        if np.isnan(h).any() and np.isinf(h).any():
            kinds = "NaN and infinite"
        raise ValueError(
            f"sampled Hamiltonians contain {kinds} entries ({int((~finite).sum())}, first at grid "
            f"point ({int(bad[0])}, {int(bad[1])}), entry ({int(bad[2])}, {int(bad[3])}))"
        )
    if not np.allclose(h, np.conj(np.swapaxes(h, -1, -2)), atol=1e-9):
        worst = np.unravel_index(np.argmax(np.abs(h - np.conj(np.swapaxes(h, -1, -2)))), h.shape)
        raise ValueError(
            f"sampled Hamiltonians are not Hermitian (largest H - H^dagger at grid point "
            f"({int(worst[0])}, {int(worst[1])}), entry ({int(worst[2])}, {int(worst[3])}))"
        )
    w, v = np.linalg.eigh(h)
    dim = h.shape[2]
    bands = list(range(dim // 2)) if bands is None else list(bands)
    if not bands or min(bands) < 0 or max(bands) >= dim:
        raise ValueError(f"bands must be indices in 0..{dim - 1}")
    sel = v[..., bands]
    top = max(bands)
    gap = w[..., top + 1] - w[..., top] if top + 1 < dim else np.full(h.shape[:2], np.inf)
    low = min(bands)
    if low > 0:
        gap = np.minimum(gap, w[..., low] - w[..., low - 1])
    return sel, gap
