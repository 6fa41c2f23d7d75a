"""The results table: one row per method (mean ± sd over seeds): source, each shifted test set,
edit set, recovery, PGD l_inf / l_2, corruption accuracy, mCE.

Recovery: the fraction of the accuracy the shift took that the edit gives back, averaged over
the shifted domains, (acc_edited(d) - acc_unedited(d)) / (acc_unedited(source) -
acc_unedited(d)) (the issue's bar: >= 70 %); blank without an ``unedited`` row."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from workbench_micrograph.core.evaluate import domain_key

Row = tuple[str, dict[str, float], dict[str, float]]


def recovery(row: dict[str, float], unedited: dict[str, float], shifted: tuple[str, ...]) -> float:
    """Mean over ``shifted`` of the fraction of the lost accuracy recovered (nan if undefined)."""
    parts = []
    for d in shifted:
        k = f"{domain_key(d)}_acc"
        lost = unedited.get("source_acc", math.nan) - unedited.get(k, math.nan)
        if math.isfinite(lost) and lost > 0 and math.isfinite(row.get(k, math.nan)):
            parts.append((row[k] - unedited[k]) / lost)
    return float(sum(parts) / len(parts)) if parts else math.nan


def columns(shifted: tuple[str, ...]) -> list[tuple[str, str]]:
    """(key, header) of every column after the method's name."""
    return (
        [("source_acc", "source")]
        + [(f"{domain_key(d)}_acc", d) for d in shifted]
        + [
            ("edit_acc", "edit set"),
            ("recovery", "recovery"),
            ("robust_acc", "PGD l_inf"),
            ("robust_l2", "PGD l_2"),
            ("corruption_acc", "corruptions"),
            ("mce", "mCE"),
        ]
    )


class ResultsTable(QTableWidget):
    """The comparison or the edits run so far, in the form of the seed papers' tables."""

    def __init__(self) -> None:
        super().__init__(0, 1)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setMinimumHeight(120)
        self.rows: list[Row] = []
        self.shifted: tuple[str, ...] = ()
        self.seeds = 1
        self.show_rows([], ())

    def show_rows(self, rows: list[Row], shifted: tuple[str, ...], seeds: int = 1) -> None:
        self.rows, self.shifted, self.seeds = list(rows), tuple(shifted), int(seeds)
        cols = columns(self.shifted)
        self.clear()
        self.setColumnCount(len(cols) + 1)
        self.setHorizontalHeaderLabels(["method"] + [h for _, h in cols])
        self.setRowCount(len(self.rows))
        unedited = next((mu for name, mu, _ in self.rows if name == "unedited"), None)
        for r, (name, mu, sd) in enumerate(self.rows):
            self.setItem(r, 0, QTableWidgetItem(name))
            for c, (key, _) in enumerate(cols, start=1):
                if key == "recovery":
                    edited = unedited is not None and name != "unedited"
                    v = recovery(mu, unedited, self.shifted) if edited else math.nan
                    text = "" if not math.isfinite(v) else f"{v:.0%}"
                else:
                    v = mu.get(key, math.nan)
                    s = sd.get(key, 0.0)
                    text = "-" if not math.isfinite(v) else f"{v:.3f}" + (f" ± {s:.3f}" if self.seeds > 1 else "")
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, c, item)

    def data(self) -> dict[str, Any]:
        cols = columns(self.shifted)
        unedited = next((mu for name, mu, _ in self.rows if name == "unedited"), None)
        out: dict[str, Any] = {"method": [r[0] for r in self.rows], "seeds": self.seeds}
        for key, _ in cols:
            if key == "recovery":
                out[key] = [
                    recovery(mu, unedited, self.shifted) if unedited is not None and n != "unedited" else math.nan
                    for n, mu, _ in self.rows
                ]
            else:
                out[key] = [mu.get(key, math.nan) for _, mu, _ in self.rows]
                out[f"{key}_sd"] = [sd.get(key, 0.0) for _, _, sd in self.rows]
        return out

    def text(self, fmt: str) -> str:
        """The table as CSV, Markdown or LaTeX (mean ± sd), with the recovery column."""
        cols = columns(self.shifted)
        d = self.data()

        def cell(key: str, i: int) -> str:
            v = d[key][i]
            if not math.isfinite(v):
                return ""
            if key == "recovery":
                return f"{v:.3f}"
            return f"{v:.3f}" + (f" ± {d[key + '_sd'][i]:.3f}" if self.seeds > 1 else "")

        if fmt == "csv":
            head = ["method"] + [k for k, _ in cols] + [f"{k}_sd" for k, _ in cols if k != "recovery"]
            lines = [",".join(head)]
            for i, name in enumerate(d["method"]):
                vals = [f"{d[k][i]:.6g}" for k, _ in cols]
                vals += [f"{d[k + '_sd'][i]:.6g}" for k, _ in cols if k != "recovery"]
                lines.append(",".join([name] + vals))
            return "\n".join(lines) + "\n"
        if fmt == "latex":
            lines = [r"\begin{tabular}{l" + "r" * len(cols) + "}", r"\hline"]
            lines.append("method & " + " & ".join(h.replace("_", r"\_") for _, h in cols) + r" \\")
            lines.append(r"\hline")
            for i, name in enumerate(d["method"]):
                cells = [cell(k, i).replace("±", r"$\pm$") for k, _ in cols]
                lines.append(name.replace("_", r"\_") + " & " + " & ".join(cells) + r" \\")
            lines += [r"\hline", r"\end{tabular}"]
            return "\n".join(lines) + "\n"
        if fmt == "markdown":
            lines = ["| method | " + " | ".join(h for _, h in cols) + " |", "|---" * (len(cols) + 1) + "|"]
            for i, name in enumerate(d["method"]):
                lines.append(f"| {name} | " + " | ".join(cell(k, i) for k, _ in cols) + " |")
            return "\n".join(lines) + "\n"
        raise ValueError(f"table format must be csv, markdown or latex, got {fmt!r}")
