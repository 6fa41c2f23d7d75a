"""Headless heatmap figures (matplotlib, Agg backend) for the command line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def save_heatmap_figure(
    matrix: np.ndarray, names_a: Sequence[str], names_b: Sequence[str], measure: str, path: str | Path, title: str = ""
) -> Path:
    """Write the L_A x L_B matrix as an annotated heatmap (.png, .svg or .pdf) with a colour bar."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("--figure needs matplotlib (pip install matplotlib)") from None
    p = Path(path)
    if p.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"figure format {p.suffix!r} not supported; use .png, .svg or .pdf")
    fig, ax = plt.subplots(figsize=(1.2 + 0.45 * len(names_b), 1.0 + 0.4 * len(names_a)), dpi=150)
    im = ax.imshow(matrix, cmap="viridis", origin="upper", aspect="auto")
    ax.set_xticks(range(len(names_b)), names_b, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(names_a)), names_a, fontsize=7)
    ax.set_xlabel("B layer")
    ax.set_ylabel("A layer")
    if title:
        ax.set_title(title, fontsize=8)
    fig.colorbar(im, ax=ax, label=measure)
    fig.tight_layout()
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    plt.close(fig)
    return p
