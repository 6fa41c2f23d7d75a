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

    def coef(self, y: torch.Tensor) -> torch.Tensor:
        """U^T y = E_S^T H D P^T y."""
        return hartley(y[:, self.perm] * self.signs)[:, self.freqs]

    def expand(self, z: torch.Tensor) -> torch.Tensor:
        """U z = P D H E_S z."""
        a = torch.zeros(z.shape[0], self.n, dtype=z.dtype, device=z.device)
        a[:, self.freqs] = z
        return (hartley(a) * self.signs)[:, self.inv_perm]

    def project(self, y: torch.Tensor) -> torch.Tensor:
        return self.expand(self.coef(y))

    def dense(self) -> torch.Tensor:
        """The n x k matrix U (k expansions of the unit vectors)."""
        eye = torch.eye(self.k, dtype=self.signs.dtype, device=self.signs.device)
        return self.expand(eye).T.contiguous()
