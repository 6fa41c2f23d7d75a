"""Orthonormal bases U (n x k) of a subspace V, as linear operators (Qt-free, torch).

PGD in a subspace V = span(U) needs two products per projection round: coefficients
z = U^T y and the expansion v = U z.  A dense U costs 2 n k multiply-adds per image for
each; on a 3x32x32 input at k = n/2 that is more than the model's own gradient step.

* :class:`DenseBasis`: any U with orthonormal columns (the ``orthonormal`` kind: QR of a
  Gaussian matrix, a Haar-random subspace); products are matrix products.
* :class:`HartleyBasis`: a subsampled randomized Hartley transform (the ``hartley`` kind),

      U = P D H E_S,

  with E_S the first-k-of-a-random-permutation coordinate embedding R^k -> R^n (k random
  frequencies S), H the orthonormal discrete Hartley transform
  (H y)_j = n^(-1/2) sum_i y_i cas(2 pi i j / n), cas t = cos t + sin t (Bracewell 1983;
  H = Re F - Im F for the unitary DFT F, symmetric and its own inverse), D a diagonal of
  random signs and P a random permutation of the n coordinates.  Each factor is orthogonal
  (E_S has orthonormal columns), so U^T U = I_k exactly in exact arithmetic; products cost
  one real FFT, O(n log n), whatever k.  The randomised Hadamard/Fourier transforms of
  sketching (Ailon & Chazelle 2009; Tropp, "Improved analysis of the subsampled randomized
  Hadamard transform", 2011) in their real-valued form; n need not be a power of 2.

Every basis has ``coef(y)`` (B, n) -> (B, k), ``expand(z)`` (B, k) -> (B, n), ``project(y)``
= U U^T y, ``dense()`` (the n x k matrix, for checks and linear programs) and ``k``, ``n``.

The Hartley basis also exposes its *frame*: the coordinates a = T y with T = D P^T (a signed
permutation, orthogonal).  In the frame the projection is U U^T = T^T (H M H) T with M the 0/1
mask of S, and H M H needs no index at all: :meth:`HartleyBasis.project_frame` is one rfft, a
2 x 2 real mix of (Re, Im) per frequency and one irfft.  A box [lo, hi] maps to a box in the
frame (:meth:`HartleyBasis.frame_bounds`) and every l_p ball to itself, so the ADMM of
:mod:`.ortho` runs its rounds in the frame and permutes once on the way in and once out.
"""

from __future__ import annotations

import torch


class DenseBasis:
    """U given as an (n, k) tensor with orthonormal columns."""

    def __init__(self, matrix: torch.Tensor) -> None:
        self.matrix = matrix
        self.n, self.k = int(matrix.shape[0]), int(matrix.shape[1])

    def coef(self, y: torch.Tensor) -> torch.Tensor:
        return y @ self.matrix

    def expand(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.matrix.T

    def project(self, y: torch.Tensor) -> torch.Tensor:
        return self.expand(self.coef(y))

    def dense(self) -> torch.Tensor:
        return self.matrix


def hartley(y: torch.Tensor) -> torch.Tensor:
    """Orthonormal discrete Hartley transform along the last axis (real input, real output):
    Re F y - Im F y with the unitary DFT, from one real FFT (F_{n-j} = conj F_j)."""
    n = y.shape[-1]
    f = torch.fft.rfft(y, dim=-1, norm="ortho")
    lo = f.real - f.imag  # j = 0 .. n // 2
    hi = (f.real + f.imag)[..., 1 : n - n // 2].flip(-1)  # j = n // 2 + 1 .. n - 1, from F_{n-j}
    return torch.cat([lo, hi], dim=-1)


class HartleyBasis:
    """The subsampled randomized Hartley basis U = P D H E_S (see the module docstring).

    freqs: (k,) the frequencies S; signs: (n,) +-1 (the diagonal D); perm: (n,) with
    (P w)[perm[j]] = w[j]."""

    def __init__(self, freqs: torch.Tensor, signs: torch.Tensor, perm: torch.Tensor) -> None:
        self.freqs, self.signs, self.perm = freqs, signs, perm
        self.n, self.k = int(signs.shape[0]), int(freqs.shape[0])
        self.inv_perm = torch.argsort(perm)
        # H M H in the frame, per rfft frequency j = 0 .. n // 2 (M = diag of the mask m of S):
        # the Hartley coefficients are h_j = R - I and h_{n-j} = R + I (R + i I = F_j); masked
        # and mapped back, F'_j = alpha_j F_j + i beta_j conj(F_j), alpha = (m_j + m_{n-j}) / 2,
        # beta = (m_{n-j} - m_j) / 2 (j = 0 and j = n / 2 are their own mirror: beta = 0)
        m = torch.zeros(self.n, dtype=signs.dtype, device=signs.device)
        m[freqs] = 1.0
        j = torch.arange(self.n // 2 + 1, device=signs.device)
        m_j, m_mirror = m[j], m[(self.n - j) % self.n]
        self._alpha = (m_j + m_mirror) / 2
        self._ibeta = (m_mirror - m_j) * 0.5j  # i beta, complex

    @classmethod
    def draw(
        cls,
        n: int,
        k: int,
        generator: torch.Generator,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> HartleyBasis:
        """A random k-dimensional basis of R^n (``generator``: a CPU generator)."""
        if not 1 <= k <= n:
            raise ValueError(f"a Hartley basis needs 1 <= k <= n, got k = {k}, n = {n}")
        freqs = torch.randperm(n, generator=generator)[:k]
        signs = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
        perm = torch.randperm(n, generator=generator)
        return cls(freqs.to(device), signs.to(device=device, dtype=dtype), perm.to(device))

    def to_frame(self, y: torch.Tensor) -> torch.Tensor:
        """a = T y = D P^T y, (B, n) -> (B, n) (one gather along the coordinates)."""
        return y.index_select(1, self.perm).mul_(self.signs)

    def from_frame(self, a: torch.Tensor) -> torch.Tensor:
        """y = T^T a = P D a, the inverse of :meth:`to_frame`."""
        return (a * self.signs).index_select(1, self.inv_perm)

    def frame_bounds(self, lo: torch.Tensor, hi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The box {T c : lo <= c <= hi} as bounds in the frame (a sign -1 swaps and negates)."""
        lo_p, hi_p = lo.index_select(1, self.perm), hi.index_select(1, self.perm)
        pos = self.signs > 0
        return torch.where(pos, lo_p, -hi_p), torch.where(pos, hi_p, -lo_p)

    def project_frame(self, a: torch.Tensor) -> torch.Tensor:
        """H M H a: the projection onto T V in the frame, by one rfft and one irfft."""
        f = torch.fft.rfft(a, dim=-1, norm="ortho")
        g = torch.addcmul(f * self._alpha, f.conj(), self._ibeta)
        return torch.fft.irfft(g, n=self.n, dim=-1, norm="ortho")

    def coef(self, y: torch.Tensor) -> torch.Tensor:
        """U^T y = E_S^T H D P^T y."""
        return hartley(self.to_frame(y)).index_select(1, self.freqs)

    def expand(self, z: torch.Tensor) -> torch.Tensor:
        """U z = P D H E_S z."""
        a = torch.zeros(z.shape[0], self.n, dtype=z.dtype, device=z.device)
        a.index_copy_(1, self.freqs, z)
        return self.from_frame(hartley(a))

    def project(self, y: torch.Tensor) -> torch.Tensor:
        """U U^T y, through the frame (:meth:`project_frame`)."""
        return self.from_frame(self.project_frame(self.to_frame(y)))

    def dense(self) -> torch.Tensor:
        """The n x k matrix U (k expansions of the unit vectors)."""
        eye = torch.eye(self.k, dtype=self.signs.dtype, device=self.signs.device)
        return self.expand(eye).T.contiguous()
