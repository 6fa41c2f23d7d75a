"""What an explanation draws on the quiver canvas (Qt-free, plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ExplanationOverlay:
    """Per-arrow and per-vertex importances of one prediction, normalised to [0, 1].

    edge_importance: ``{(i, j): w}`` for every arrow ``i -> j`` (``b[i, j] > 0``; all
        parallel arrows of a multiplicity share the weight), 1 = most important arrow;
    node_importance: one weight per mutable vertex (1 = most important);
    method: ``"GNNExplainer"``, ``"PGExplainer"`` or ``"IntegratedGradients"``;
    predicted: the family whose prediction is explained; probability: its probability;
    masked: arrows removed by the top-k masking experiment (drawn dashed), if any.
    """

    edge_importance: dict[tuple[int, int], float]
    node_importance: list[float]
    method: str
    predicted: str = ""
    probability: float = float("nan")
    masked: list[tuple[int, int]] = field(default_factory=list)

    def top_arrows(self, k: int) -> list[tuple[int, int]]:
        """The ``k`` arrows of highest importance (ties broken by index)."""
        return [e for e, _ in sorted(self.edge_importance.items(), key=lambda t: (-t[1], t[0]))[:k]]

    def to_dict(self) -> dict:
        return {
            "edge_importance": [[i, j, float(w)] for (i, j), w in sorted(self.edge_importance.items())],
            "node_importance": [float(w) for w in self.node_importance],
            "method": self.method,
            "predicted": self.predicted,
            "probability": float(self.probability),
            "masked": [list(e) for e in self.masked],
        }

    @classmethod
    def from_dict(cls, d: dict) -> ExplanationOverlay:
        return cls(
            {(int(i), int(j)): float(w) for i, j, w in d["edge_importance"]},
            [float(w) for w in d["node_importance"]],
            str(d["method"]),
            str(d.get("predicted", "")),
            float(d.get("probability", float("nan"))),
            [tuple(e) for e in d.get("masked", [])],
        )
