"""Headless outputs of a sweep: CSV/JSON tables and matplotlib figures (Agg; no Qt)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from .core.norms import p_label
from .core.sweep import SweepTable


def _clean(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def write_tables(table: SweepTable, out: Path) -> list[Path]:
    """success.csv (one row per cell) and success.json (settings, cells, collapse analysis)."""
    out.mkdir(parents=True, exist_ok=True)
    rows = table.rows()
    csv_path = out / "success.csv"
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["dim"])
        w.writeheader()
        w.writerows(rows)
    json_path = out / "success.json"
    json_path.write_text(json.dumps(_clean(table.to_json()), indent=2) + "\n")
    return [csv_path, json_path]


def write_figures(table: SweepTable, out: Path, dpi: int = 150) -> list[Path]:
    """success_curves.png/.pdf (rate vs eps with CIs and the linearised prediction dashed) and
    collapse.png/.pdf (rate vs eps (dim V/dim X)^(1/q), with the collapse spread)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    dims = table.dims()
    cmap = matplotlib.colormaps["viridis"]
    colours = {d: cmap(i / max(len(dims) - 1, 1)) for i, d in enumerate(dims)}
    q = table.q
    for name in ("success_curves", "collapse"):
        fig = Figure(figsize=(6.4, 4.4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        for d in dims:
            c = table.curve(d)
            xs = c["eps"] if name == "success_curves" else c["collapse_x"]
            ax.plot(xs, c["rate"], "o-", color=colours[d], label=f"dim V = {d}")
            ax.fill_between(xs, c["ci_low"], c["ci_high"], color=colours[d], alpha=0.2, lw=0)
            if name == "success_curves" and np.isfinite(c["predicted"]).any():
                ax.plot(xs, c["predicted"], "--", color=colours[d], lw=1)
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("success rate (correctly classified inputs)")
        if name == "success_curves":
            ax.set_xlabel(f"eps (l_{p_label(table.p)})")
            ax.set_title(f"{table.model}, {table.kind} subspaces; dashed: linear prediction eps*||w_V||_q")
        else:
            inv_q = "0" if math.isinf(q) else f"{1 / q:.3g}"
            ax.set_xlabel(f"eps * (dim V / dim X)^(1/q),  1/q = {inv_q}")
            cq = table.collapse
            if cq is not None:
                ax.set_title(
                    f"collapse spread {cq.spread_theory:.3f} (raw eps {cq.spread_raw:.3f}); "
                    f"best exponent {cq.exponent_best:.3g}",
                    fontsize=9,
                )
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        for ext in ("png", "pdf"):
            path = out / f"{name}.{ext}"
            fig.savefig(path, dpi=dpi)
            written.append(path)
    return written


def write_collapse_study(study, out: Path, dpi: int = 150) -> list[Path]:
    """A collapse study (:class:`..jobs.CollapseStudy`): the sweep's tables and figures, plus
    exponent.json (fitted exponent, bootstrap interval, theory 1/q, the spreads) and
    spread_vs_exponent.png/.pdf (the spread over the exponent grid with the bootstrap band,
    the theory's 1/q and the fitted exponent with its interval)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    table, ci = study.table, study.interval
    written = write_tables(table, out) + write_figures(table, out, dpi)
    cq = table.collapse
    doc = {
        "model": table.model,
        "p": p_label(table.p),
        "kind": table.kind,
        "box": table.box,
        "dims": table.dims(),
        "eps_values": sorted({c.eps for c in table.cells}),
        "n_correct": table.n_correct,
        "clean_accuracy": table.clean_accuracy,
        "steps": table.steps,
        "theory_exponent": study.theory,
        "fitted_exponent": ci.exponent,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "confidence": ci.confidence,
        "n_boot": ci.n_boot,
        "spread_at_theory": None if cq is None else cq.spread_theory,
        "spread_at_fit": None if cq is None else cq.spread_best,
        "spread_raw_eps": study.spread_raw,
        "spread_log_coordinate": study.spread_log_coordinate,
        "seconds": table.seconds,
    }
    path = out / "exponent.json"
    path.write_text(json.dumps(_clean(doc), indent=2) + "\n")
    written.append(path)
    if cq is not None:
        fig = Figure(figsize=(6.4, 4.0))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(cq.exponents, cq.spreads, "-", color="k", label="spread (this sweep)")
        if ci.spread_low:
            ax.fill_between(
                cq.exponents,
                ci.spread_low,
                ci.spread_high,
                color="0.6",
                alpha=0.35,
                lw=0,
                label=f"{ci.confidence:.0%} bootstrap band",
            )
        ax.axvline(study.theory, color="tab:blue", ls="--", label=f"theory 1/q = {study.theory:.3g}")
        ax.axvline(ci.exponent, color="tab:red", label=f"fitted {ci.exponent:.3g}")
        if math.isfinite(ci.low):
            ax.axvspan(ci.low, ci.high, color="tab:red", alpha=0.15, lw=0, label=f"CI {ci.low:.3g}-{ci.high:.3g}")
        ax.set_xlabel("exponent a of eps * (dim V / dim X)^a")
        ax.set_ylabel("collapse spread")
        ax.set_title(f"{table.model}, l_{p_label(table.p)}, {table.kind}, box {table.box}", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        for ext in ("png", "pdf"):
            p = out / f"spread_vs_exponent.{ext}"
            fig.savefig(p, dpi=dpi)
            written.append(p)
    return written
