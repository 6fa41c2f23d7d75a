"""Figures of docs/concepts.md from the CLI's JSON outputs (matplotlib, Agg; Qt-free).

``python -m workbench_concepts.report --probe probe.json --scores scores.npy --concept round
--remove remove.json --out docs/`` writes ``concepts-probes.png`` (accuracy by layer, mean and
spread over the ensemble, both concepts), ``concepts-top.png`` (the 16 top and 16 bottom
attributing training images with class, concept label and score, and the score histogram) and
``concepts-removal.png`` (accuracy by layer before, after removing the top-k and after removing
k random images, with 95 % intervals).  The data of each figure is the JSON it was drawn from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def probe_figure(doc: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.4), dpi=150)
    x = np.arange(len(doc["layers"]))
    for name, c in doc["concepts"].items():
        m, s = np.array(c["accuracy"]), np.array(c["spread"])
        ax.plot(x, m, marker="o", label=f"{name} ({c['kind']})")
        ax.fill_between(x, m - s, m + s, alpha=0.2)
    ax.set_xticks(x, doc["layers"])
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_ylabel("probe accuracy (held out)")
    ax.set_title("Linear probes by layer: mean ± sd over 5 members", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def top_figure(scores: np.ndarray, concept: str, path: Path, n: int = 16) -> None:
    from .core.dataset import CLASS_NAMES, DefaultData, default_data

    plt = _plt()
    data = default_data(DefaultData())
    cs = scores.mean(1)
    pos = data.train.concept_labels(concept)
    order = np.argsort(-cs, kind="stable")
    rows = [("top", order[:n]), ("bottom", order[::-1][:n])]
    fig = plt.figure(figsize=(10, 4.6), dpi=150)
    for r, (label, idx) in enumerate(rows):
        for j, i in enumerate(idx):
            ax = fig.add_subplot(3, n, r * n + j + 1)
            ax.imshow(data.train.images[i].transpose(1, 2, 0))
            ax.set_xticks([])
            ax.set_yticks([])
            colour = "tab:green" if pos[i] else "tab:red"
            for sp in ax.spines.values():
                sp.set_color(colour)
                sp.set_linewidth(2)
            ax.set_title(f"{CLASS_NAMES[data.train.labels[i]]}\n{cs[i]:.3g}", fontsize=5)
            if j == 0:
                ax.set_ylabel(label, fontsize=7)
    ax = fig.add_subplot(3, 1, 3)
    ax.hist(cs[pos], bins=60, alpha=0.6, label=f"{concept} positives")
    ax.hist(cs[~pos], bins=60, alpha=0.6, label="negatives")
    ax.set_xlabel("TRAK score (mean over targets)")
    ax.legend(fontsize=7)
    fig.suptitle(
        f"Top and bottom attributing training images for '{concept}' (green frame: concept positive)", fontsize=8
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def removal_figure(doc: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.4), dpi=150)
    x = np.arange(len(doc["layers"]))
    for name, off in (("before", -0.12), ("top_k", 0.0), ("random_k", 0.12)):
        arm = doc[name]
        ax.errorbar(x + off, arm["accuracy"], yerr=arm["ci95"], marker="o", capsize=2, label=name.replace("_", "-"))
    ax.set_xticks(x, doc["layers"])
    ax.set_ylabel("probe accuracy (held out)")
    ax.set_title(
        f"'{doc['concept']}': remove {doc['k']} top-attributing (at {doc['layer']}) vs {doc['k']} random;\n"
        f"{doc['members']} members retrained, 95 % t-intervals",
        fontsize=7,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--probe", type=Path)
    p.add_argument("--scores", type=Path)
    p.add_argument("--concept", default="round")
    p.add_argument("--remove", type=Path)
    p.add_argument("--out", type=Path, default=Path("docs"))
    a = p.parse_args(argv)
    if a.probe:
        probe_figure(json.loads(a.probe.read_text()), a.out / "concepts-probes.png")
    if a.scores:
        top_figure(np.load(a.scores), a.concept, a.out / "concepts-top.png")
    if a.remove:
        removal_figure(json.loads(a.remove.read_text()), a.out / "concepts-removal.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
