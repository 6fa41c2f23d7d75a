"""BHZ spin blocks through the job: the requested block is the one reported, and the spin Chern
number is (C_up - C_down) / 2, checked against an FHS lattice Chern number computed here from
the BHZ Hamiltonian itself (independent of the plugin's models and fhs modules).

BHZ (Bernevig, Hughes, Zhang, Science 314, 1757 (2006)): H(k) = diag(h(k), h*(-k)) with
h(k) = A sin kx sigma_x + A sin ky sigma_y + (M - 2 B (2 - cos kx - cos ky)) sigma_z; the
spin-down block is the time-reversal partner of the spin-up block, so C_down = -C_up.
FHS: T. Fukui, Y. Hatsugai, H. Suzuki, J. Phys. Soc. Jpn. 74, 1674 (2005).
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.jobs import JobContext
from workbench_bundle.jobs import ChernSpec, run_chern

SX = np.array([[0, 1], [1, 0]], complex)
SY = np.array([[0, -1j], [1j, 0]], complex)
SZ = np.array([[1, 0], [0, -1]], complex)


def h_up(kx: np.ndarray, ky: np.ndarray, M: float, A: float, B: float) -> np.ndarray:
    """Spin-up BHZ block, (..., 2, 2)."""
    dz = M - 2 * B * (2 - np.cos(kx) - np.cos(ky))
    return (A * np.sin(kx))[..., None, None] * SX + (A * np.sin(ky))[..., None, None] * SY + dz[..., None, None] * SZ


def h_down(kx: np.ndarray, ky: np.ndarray, M: float, A: float, B: float) -> np.ndarray:
    """Spin-down block = time-reversal partner of the spin-up block: h*(-k)."""
    return np.conj(h_up(-kx, -ky, M, A, B))


def fhs_lower_band(h: np.ndarray) -> int:
    """FHS Chern number of the lower band of h (n, n, 2, 2) on a periodic grid, with the
    PythTB/Z2Pack sign (Berry connection i<u|grad u>, plaquette flux -arg of the loop product)."""
    _, vecs = np.linalg.eigh(h)
    u = vecs[..., :, 0]

    def link(a, b):
        z = np.sum(np.conj(a) * b, axis=-1)
        return z / np.abs(z)

    u1 = np.roll(u, -1, axis=0)
    u2 = np.roll(u, -1, axis=1)
    loop = (
        link(u, u1)
        * link(u1, np.roll(u1, -1, axis=1))
        * np.conj(link(u2, np.roll(u2, -1, axis=0)))
        * np.conj(link(u, u2))
    )
    total = -np.angle(loop).sum() / (2 * np.pi)
    assert abs(total - round(total)) < 1e-8
    return int(round(total))


def independent_cherns(M: float, A: float, B: float, n: int = 48) -> tuple[int, int]:
    k = 2 * np.pi * np.arange(n) / n
    kx, ky = np.meshgrid(k, k, indexing="ij")
    return fhs_lower_band(h_up(kx, ky, M, A, B)), fhs_lower_band(h_down(kx, ky, M, A, B))


@pytest.mark.parametrize(
    "M, B, topological", [(1.0, 0.5, True), (3.0, 0.5, True), (-1.0, 0.5, False), (5.0, 0.5, False)]
)
@pytest.mark.parametrize("spin", ["up", "down"])
def test_bhz_job_reports_requested_spin_and_spin_chern(M, B, topological, spin):
    params = {"M": M, "A": 1.0, "B": B}
    c_up, c_down = independent_cherns(M, 1.0, B)
    assert c_down == -c_up  # time-reversal partners
    assert (c_up != 0) == topological
    out = run_chern(ChernSpec(model="bhz", params=tuple(params.items()), grid=48, spin=spin), JobContext(device="cpu"))
    assert out["spin"] == spin
    assert out["chern"] == (c_up if spin == "up" else c_down)
    assert out["spin_up"]["chern"] == c_up
    assert out["spin_down"]["chern"] == c_down
    assert out["spin_chern_number"] == (c_up - c_down) / 2
    assert out["spin_chern_number"] == c_up  # = C_up because C_down = -C_up


def test_bhz_bad_spin_is_refused():
    from workbench.jobs import JobError

    with pytest.raises(JobError, match="spin must be 'up' or 'down'"):
        run_chern(ChernSpec(model="bhz", spin="sideways"), JobContext(device="cpu"))
