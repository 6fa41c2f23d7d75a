"""DirGINE: a directed GIN with edge features (Qt-free).

Layer (arXiv 2411.07467, directed variant of GINE, Hu et al. 2020, with the separate in/out
aggregation of Dir-GNN, Rossi et al. 2023):

    m_in(i)  = sum_{j -> i} ReLU(h_j + W_in  e_ji)
    m_out(i) = sum_{i -> j} ReLU(h_j + W_out e_ij)
    h'_i     = MLP( (1 + eps) h_i  ||  m_in(i)  ||  m_out(i) )

``e`` are the arrow features (multiplicity).  Because the two sums are concatenated, not
added, the layer distinguishes a vertex with an incoming arrow from one with an outgoing
arrow (torch_geometric's ``DirGNNConv`` takes no edge features, hence this layer).

Network: input linear map, ``layers`` DirGINE layers of width ``hidden`` (32, 4 in the
paper), graph read-out by mean and max pooling of the concatenated layer outputs (jumping
knowledge; mean/max do not grow with the number of vertices, which helps size
generalisation), then a 2-layer MLP to the 6 family logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch_geometric.nn import MessagePassing, global_add_pool, global_max_pool, global_mean_pool

from workbench.seeding import init_children_, preserve_global_rng

from . import FAMILIES

POOLINGS = {"meanmax": 2, "meanmax2": 3, "meanmaxsum": 3, "sum": 1, "mean": 1, "meanmaxcount": 3}


def second_max_pool(h: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
    """Per graph and channel, the second-largest vertex value (the largest for one-vertex
    graphs): an order statistic, so it does not grow with the number of vertices, yet it tells
    one detected structure (a D puncture) from two (D~)."""
    from torch_geometric.utils import to_dense_batch

    dense, mask = to_dense_batch(h, batch, fill_value=float("-inf"))
    if dense.shape[1] < 2:
        return dense[:, 0]
    top = dense.topk(2, dim=1).values
    return torch.where(torch.isfinite(top[:, 1]), top[:, 1], top[:, 0])


class DirGINEConv(MessagePassing):
    """One directed GINE layer; see the module docstring for the formula."""

    def __init__(self, channels: int, edge_dim: int) -> None:
        super().__init__(aggr="add", flow="source_to_target")
        self.lin_in = nn.Linear(edge_dim, channels)
        self.lin_out = nn.Linear(edge_dim, channels)
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(nn.Linear(3 * channels, channels), nn.ReLU(), nn.Linear(channels, channels))

    def init_parameters_(self, generator: torch.Generator) -> None:
        """eps = 0 and torch's default init of the linear maps from ``generator``
        (:func:`workbench.seeding.init_module_`)."""
        self.eps.zero_()
        init_children_(self, generator)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        # messages along the arrows (j -> i aggregated at i) and against them (flip the index)
        m_in = self.propagate(edge_index, x=x, e=self.lin_in(edge_attr))
        m_out = self.propagate(edge_index.flip(0), x=x, e=self.lin_out(edge_attr))
        return self.mlp(torch.cat([(1 + self.eps) * x, m_in, m_out], dim=-1))

    def message(self, x_j: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        return torch.relu(x_j + e)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture; stored in every checkpoint's JSON."""

    in_dim: int = 7
    edge_dim: int = 4
    hidden: int = 32
    layers: int = 4
    pooling: str = "meanmax"  # one of POOLINGS
    n_classes: int = len(FAMILIES)
    feature_set: str = "blocks"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


class DirGINE(nn.Module):
    """Graph classifier; ``forward(x, edge_index, edge_attr, batch)`` returns (G, 6) logits.

    The constructor's weights are placeholders (drawn without changing torch's process-wide
    generator): ``init_module_(DirGINE(c), torch_generator(seed))`` for seeded initial weights
    (the weights ``torch.manual_seed(seed); DirGINE(c)`` gave before), or ``load_state_dict``."""

    @preserve_global_rng()
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {config.pooling!r}")
        self.config = config
        h = config.hidden
        self.inp = nn.Linear(config.in_dim, h)
        self.convs = nn.ModuleList([DirGINEConv(h, config.edge_dim) for _ in range(config.layers)])
        self.norms = nn.ModuleList([nn.LayerNorm(h) for _ in range(config.layers)])
        width = h * config.layers * POOLINGS[config.pooling]
        self.head = nn.Sequential(nn.Linear(width, h), nn.ReLU(), nn.Linear(h, config.n_classes))
        if config.pooling == "meanmaxcount":  # registered last: the other poolings' init is unchanged
            self.count_maps = nn.ModuleList([nn.Linear(h, h) for _ in range(config.layers)])

    def node_states(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> list[torch.Tensor]:
        """Vertex representations after each layer (list of (N, hidden))."""
        h = self.inp(x)
        states = []
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = norm(torch.relu(conv(h, edge_index, edge_attr)) + h)
            states.append(h)
        return states

    def pool(self, h: torch.Tensor, batch: torch.Tensor, layer: int = 0) -> torch.Tensor:
        """Graph read-out of the vertex states ``h`` after layer ``layer`` (0-based)."""
        if self.config.pooling == "meanmaxcount":
            # soft count: sum over vertices of sigmoid(C h_i), per channel; a channel that learns to
            # fire only at a local structure (a D puncture) counts those structures, whatever n
            count = global_add_pool(torch.sigmoid(self.count_maps[layer](h)), batch)
            return torch.cat([global_mean_pool(h, batch), global_max_pool(h, batch), count], dim=-1)
        if self.config.pooling == "meanmax":
            return torch.cat([global_mean_pool(h, batch), global_max_pool(h, batch)], dim=-1)
        if self.config.pooling == "meanmax2":
            return torch.cat([global_mean_pool(h, batch), global_max_pool(h, batch), second_max_pool(h, batch)], dim=-1)
        if self.config.pooling == "meanmaxsum":
            return torch.cat([global_mean_pool(h, batch), global_max_pool(h, batch), global_add_pool(h, batch)], dim=-1)
        if self.config.pooling == "sum":
            return global_add_pool(h, batch)
        return global_mean_pool(h, batch)

    def graph_embeddings(self, x, edge_index, edge_attr, batch=None) -> list[torch.Tensor]:
        """Pooled graph embedding after each layer (list of (G, width/layers)), and the
        penultimate head activation last."""
        if batch is None:
            batch = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        states = self.node_states(x, edge_index, edge_attr)
        pooled = [self.pool(h, batch, k) for k, h in enumerate(states)]
        z = torch.cat(pooled, dim=-1)
        pooled.append(self.head[1](self.head[0](z)))
        return pooled

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor, batch: torch.Tensor | None = None
    ) -> torch.Tensor:
        if batch is None:
            batch = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        states = self.node_states(x, edge_index, edge_attr)
        z = torch.cat([self.pool(h, batch, k) for k, h in enumerate(states)], dim=-1)
        return self.head(z)
