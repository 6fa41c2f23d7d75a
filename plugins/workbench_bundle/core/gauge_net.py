"""Gauge-equivariant and local-charge classifiers of Haldane bundles (Qt-free, torch).

Both read a sample psi (B, 2, N, N) complex and output a local density q(x) on the N x N cells
whose sum s = sum_x q(x) estimates the Chern number; the logits over C in -2..2 are
-beta (s - k)^2 + b_k, as in :class:`.classifiers.FluxClassifier`.  The density can be trained
against the exact per-cell charges of :mod:`.plaquette_targets` (their sum is the label), which
is what makes training on C = 0 samples only meaningful.

* :class:`GaugeEquivariantClassifier` - in the spirit of Huang, Balabanov, Linander, Granath,
  Persson, Gerken, "Learning Chern numbers of topological insulators with gauge equivariant
  neural networks", arXiv:2502.15376 (a U(1) version of their U(N) layers).  A local gauge
  transformation psi(x) -> e^{i theta(x)} psi(x) changes the link variables (overlaps)
  U_mu(x) = <u(x)|u(x + mu)> to e^{-i theta(x)} U_mu(x) e^{i theta(x + mu)}.  Features are
  complex 2-vectors phi_c(x) transforming like psi(x) (the fundamental representation):

  - gauge-equivariant convolution: phi'_c(x) = sum_c' [w0 phi_c'(x) + sum_{+-mu} w_{+-mu}
    T_{+-mu}(x) phi_c'(x +- mu)] with complex weights and the parallel transporters
    T_{+mu}(x) = conj U_mu(x) / |U_mu(x)|, T_{-mu}(x) = U_mu(x - mu) / |U_mu(x - mu)| (products of
    them along two-step paths build the plaquette Wilson loops);
  - gauge-equivariant normalisation: phi_c(x) / sqrt(mean_c |phi_c(x)|^2 + eps) (the invariant
    norm plays the role of the paper's TrNorm);
  - gauge-equivariant activation: phi_c(x) sigmoid(a_c |phi_c(x)|^2 + b_c) (a gate by an invariant);
  - invariant read-out: the Gram matrix <phi_a(x)|phi_b(x)> (the U(1) bilinear invariant, like the
    paper's trace of GEBL products) and the plaquette Wilson loop, through a per-site map into q(x).

  Every input to the read-out is a function of overlaps of states only, so the logits are
  exactly invariant under local U(1) gauge transformations (and under a global SU(2) rotation of
  the two components).
* :class:`ChargeClassifier` - a local prior that beats the FHS lattice sum on 32 x 32 inputs.
  Per cell, gauge-invariant features: the Bloch vector n = <psi|sigma|psi> at the four corners
  (n = (Re F, Im F, G) / |.| for a Haldane pair), the winding of arg(n_x + i n_y) around the cell
  (the winding of F: a zero of F inside) and the FHS plaquette flux; a small periodic CNN maps
  them to the cell's charge (the label is the sum of the windings of F at its zeros with G < 0,
  so this is Stokes' theorem at the south pole with the sign of G learned from the neighbourhood,
  instead of the 2 pi-ambiguous Berry flux of under-resolved plaquettes).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from workbench.seeding import init_children_, preserve_global_rng

CLASSES = (-2, -1, 0, 1, 2)
_EPS = 1e-12


def _zero_last(seq: nn.Sequential) -> None:
    """Zero the last layer of a density head: the density starts at 0 (s = 0), not at a sum of
    N^2 random values."""
    last = seq[-1]
    assert isinstance(last, nn.Conv2d) and last.bias is not None
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()


def link_variables(psi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Overlaps U_1(x) = <u(x)|u(x + e_1)>, U_2(x) = <u(x)|u(x + e_2)> of (B, 2, N, N) -> (B, N, N) each
    (periodic)."""
    c = torch.conj(psi)
    return (c * torch.roll(psi, -1, dims=2)).sum(1), (c * torch.roll(psi, -1, dims=3)).sum(1)


def _unit(z: torch.Tensor) -> torch.Tensor:
    return z / z.abs().clamp_min(_EPS)


def plaquette_loop(u1: torch.Tensor, u2: torch.Tensor) -> torch.Tensor:
    """The plaquette Wilson loop U_1(x) U_2(x + e_1) conj U_1(x + e_2) conj U_2(x), (B, N, N) complex
    (gauge invariant; its angle is minus the PythTB FHS flux)."""
    return u1 * torch.roll(u2, -1, dims=1) * torch.conj(torch.roll(u1, -1, dims=2)) * torch.conj(u2)


class QuadraticReadout(nn.Module):
    """Logits -beta (s - k)^2 + b_k over k in -2..2 from a Chern estimate s (B,)."""

    ks: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.log_beta = nn.Parameter(torch.tensor(math.log(2.0)))
        self.bias = nn.Parameter(torch.zeros(len(CLASSES)))
        self.register_buffer("ks", torch.tensor(CLASSES, dtype=torch.float32))

    def init_parameters_(self, generator: torch.Generator) -> None:
        """beta = 2, b_k = 0 (nothing drawn)."""
        with torch.no_grad():
            self.log_beta.fill_(math.log(2.0))
            self.bias.zero_()

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return -torch.exp(self.log_beta) * (s[:, None] - self.ks[None]) ** 2 + self.bias


def _global_generator_copy() -> torch.Generator:
    """A CPU generator in the state of torch's process-wide one.  The gauge models' constructors
    take one before any draw and end with ``init_parameters_`` from it, so after
    ``torch.manual_seed(s)`` a constructor gives the weights of ``init_module_(model,
    torch_generator(s))`` (the old recipe and the explicit one agree, as for the other models)."""
    g = torch.Generator()
    g.set_state(torch.get_rng_state())
    return g


class GaugeConv(nn.Module):
    """Gauge-equivariant convolution of fundamental features (B, C, 2, N, N) over the site and its
    four neighbours, transported by the links (see the module docstring)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        scale = 1.0 / math.sqrt(5 * cin)
        self.wr = nn.Parameter(torch.randn(cout, 5 * cin) * scale)
        self.wi = nn.Parameter(torch.randn(cout, 5 * cin) * scale)

    def init_parameters_(self, generator: torch.Generator) -> None:
        scale = 1.0 / math.sqrt(self.wr.shape[1])
        with torch.no_grad():
            self.wr.copy_(torch.randn(self.wr.shape, generator=generator) * scale)
            self.wi.copy_(torch.randn(self.wi.shape, generator=generator) * scale)

    def forward(self, phi: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor) -> torch.Tensor:
        t1, t2 = t1[:, None, None], t2[:, None, None]
        parts = [
            phi,
            t1 * torch.roll(phi, -1, dims=3),  # from x + e1
            torch.roll(torch.conj(t1), 1, dims=3) * torch.roll(phi, 1, dims=3),  # from x - e1
            t2 * torch.roll(phi, -1, dims=4),  # from x + e2
            torch.roll(torch.conj(t2), 1, dims=4) * torch.roll(phi, 1, dims=4),  # from x - e2
        ]
        x = torch.cat(parts, dim=1)  # (B, 5 C, 2, N, N)
        b, k, p, n1, n2 = x.shape
        w = torch.complex(self.wr, self.wi)
        return torch.matmul(w, x.reshape(b, k, p * n1 * n2)).reshape(b, -1, p, n1, n2)


class GaugeEquivariantClassifier(nn.Module):
    """U(1) gauge-equivariant network on link variables (module docstring), local density summed."""

    iu: torch.Tensor  # buffer: the Gram matrix's upper-triangle indices

    @preserve_global_rng()  # default init thrown away: see classifiers.build_model
    def __init__(self, grid: int = 32, width: int = 4, layers: int = 2, hidden: int = 24) -> None:
        super().__init__()
        start = _global_generator_copy()  # before any default draw
        self.grid, self.width = grid, width
        self.convs = nn.ModuleList([GaugeConv(1 if i == 0 else width, width) for i in range(layers)])
        self.gate_a = nn.Parameter(torch.zeros(layers, width))
        self.gate_b = nn.Parameter(torch.zeros(layers, width))
        iu = torch.triu_indices(width, width)
        self.register_buffer("iu", iu, persistent=False)
        n_inv = 2 * iu.shape[1] + 3 * width + 3 + 3 + 1
        self.local = nn.Sequential(nn.Conv2d(n_inv, hidden, 1), nn.Tanh(), nn.Conv2d(hidden, 2, 1))
        self.readout = QuadraticReadout()
        self.init_parameters_(start)

    def init_parameters_(self, generator: torch.Generator) -> None:
        """Gates at 1/2, beta = 2, b_k = 0; the rest drawn from ``generator``."""
        for conv in self.convs:
            assert isinstance(conv, GaugeConv)
            conv.init_parameters_(generator)
        with torch.no_grad():
            self.gate_a.zero_()
            self.gate_b.zero_()
            self.readout.log_beta.fill_(math.log(2.0))
            self.readout.bias.zero_()
        init_children_(self.local, generator)
        _zero_last(self.local)

    def invariants(self, psi: torch.Tensor) -> torch.Tensor:
        """Gauge-invariant features per site (B, F, N, N)."""
        psi = psi.to(torch.complex64)
        u1, u2 = link_variables(psi)
        t1, t2 = torch.conj(_unit(u1)), torch.conj(_unit(u2))
        phi = psi[:, None]  # (B, 1, 2, N, N)
        for i, conv in enumerate(self.convs):
            phi = conv(phi, t1, t2)
            power = (phi.real**2 + phi.imag**2).sum(2)  # (B, C, N, N), invariant
            phi = phi / torch.sqrt(power.mean(1, keepdim=True) + 1e-6)[:, :, None]  # equivariant norm
            power = (phi.real**2 + phi.imag**2).sum(2)
            gate = torch.sigmoid(self.gate_a[i][None, :, None, None] * power + self.gate_b[i][None, :, None, None])
            phi = phi * gate[:, :, None]
        gram = torch.einsum("bapij,bcpij->bacij", torch.conj(phi), phi)[:, self.iu[0], self.iu[1]]
        a, b = phi[:, :, 0], phi[:, :, 1]
        ab = torch.conj(a) * b
        pauli = torch.cat([2 * ab.real, 2 * ab.imag, a.abs() ** 2 - b.abs() ** 2], dim=1)  # <phi|sigma|phi>
        loop = plaquette_loop(u1, u2)
        w = _unit(loop)
        flux = -torch.angle(loop) / math.pi
        n = bloch_vector(psi)
        wind = cell_winding_torch(torch.complex(n[:, 0], n[:, 1]))
        scalars = [w.real[:, None], w.imag[:, None], flux[:, None], wind[:, None]]
        return torch.cat([gram.real, gram.imag, pauli, n, *scalars], dim=1)

    def density(self, psi: torch.Tensor) -> torch.Tensor:
        """The learned local Chern density q (B, N, N) (the estimate is its sum): the winding of F
        around the cell gated by a learned invariant, plus a learned invariant correction."""
        inv = self.invariants(psi)
        out = self.local(inv)
        return inv[:, -1] * torch.sigmoid(out[:, 0]) + out[:, 1]

    def forward(self, psi: torch.Tensor) -> torch.Tensor:
        return self.readout(self.density(psi).sum(dim=(1, 2)))


def bloch_vector(psi: torch.Tensor) -> torch.Tensor:
    """n = <psi|sigma|psi> / <psi|psi> of (B, 2, N, N) -> (B, 3, N, N) (gauge invariant)."""
    a, b = psi[:, 0], psi[:, 1]
    ab = torch.conj(a) * b
    norm = (a.abs() ** 2 + b.abs() ** 2).clamp_min(_EPS)
    return torch.stack([2 * ab.real, 2 * ab.imag, a.abs() ** 2 - b.abs() ** 2], dim=1) / norm[:, None]


def cell_winding_torch(z: torch.Tensor) -> torch.Tensor:
    """Winding of arg z around every cell (corners (i, j), (i+1, j), (i+1, j+1), (i, j+1)) of a
    periodic grid (B, N, N) -> (B, N, N) float (integers)."""
    ph = torch.angle(z)

    def step(d: torch.Tensor) -> torch.Tensor:
        return d - 2 * math.pi * torch.round(d / (2 * math.pi))

    d1 = step(torch.roll(ph, -1, dims=1) - ph)  # (i, j) -> (i + 1, j)
    d2 = step(torch.roll(ph, -1, dims=2) - ph)  # (i, j) -> (i, j + 1)
    w = d1 + torch.roll(d2, -1, dims=1) - torch.roll(d1, -1, dims=2) - d2
    return torch.round(w / (2 * math.pi))


class ChargeClassifier(nn.Module):
    """Local charge per cell from gauge-invariant flux and vortex features (module docstring)."""

    @preserve_global_rng()  # default init thrown away: see classifiers.build_model
    def __init__(self, grid: int = 32, hidden: int = 24) -> None:
        super().__init__()
        start = _global_generator_copy()  # before any default draw
        self.grid = grid

        def conv(cin: int, cout: int, k: int) -> nn.Conv2d:
            return nn.Conv2d(cin, cout, k, padding=k // 2, padding_mode="circular")

        self.net = nn.Sequential(conv(14, hidden, 3), nn.Tanh(), conv(hidden, hidden, 3), nn.Tanh(), conv(hidden, 2, 1))
        self.readout = QuadraticReadout()
        self.init_parameters_(start)

    def init_parameters_(self, generator: torch.Generator) -> None:
        with torch.no_grad():
            self.readout.log_beta.fill_(math.log(2.0))
            self.readout.bias.zero_()
        init_children_(self.net, generator)
        _zero_last(self.net)

    def features(self, psi: torch.Tensor) -> torch.Tensor:
        """(B, 14, N, N): n at the cell's four corners, the winding of arg(n_x + i n_y) around it,
        the FHS flux / pi."""
        psi = psi.to(torch.complex64)
        n = bloch_vector(psi)
        corners = [n, torch.roll(n, -1, dims=2), torch.roll(n, (-1, -1), dims=(2, 3)), torch.roll(n, -1, dims=3)]
        wind = cell_winding_torch(torch.complex(n[:, 0], n[:, 1]))
        u1, u2 = link_variables(psi)
        flux = -torch.angle(plaquette_loop(u1, u2)) / math.pi
        return torch.cat([*corners, wind[:, None], flux[:, None]], dim=1)

    def density(self, psi: torch.Tensor) -> torch.Tensor:
        """Learned charge per cell (B, N, N): the winding of F around the cell gated by a learned
        function of the neighbourhood (is G < 0 at the zero?), plus a learned correction."""
        feats = self.features(psi)
        out = self.net(feats)
        return feats[:, 12] * torch.sigmoid(out[:, 0]) + out[:, 1]

    def forward(self, psi: torch.Tensor) -> torch.Tensor:
        return self.readout(self.density(psi).sum(dim=(1, 2)))
