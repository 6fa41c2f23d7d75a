"""Quiver file formats (Qt-free): Keller's .qmu, Sage-style B-matrix text, the benchmark CSV
(one flattened n x n B-matrix per line), JSON / JSON lines, networkx DiGraph, TikZ.

Every reader raises :class:`workbench.errors.InputError` (a ``ValueError``) naming the line and
the problem; the path-based readers (:func:`read_quiver_file`, :func:`read_quiver_list`) also
name the file.  Entries are exact integers of any size (:mod:`.integers`: ``1.5``, ``inf`` and
float notation beyond 2**53 are refused); every writer's output is read back by its reader.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InputError, naming, parse_json, read_text

from .integers import NotANumberError, exact_float, parse_entry
from .quiver import Quiver, square_matrix, validate_b


def _int_matrix(rows: list[list[int]]) -> np.ndarray:
    """Rows of exact ints as an int64 array, or an object array of Python ints when an entry
    needs more than 62 bits (never wrapped)."""
    if any(abs(v) >= 2**62 for row in rows for v in row):
        out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
        for i, row in enumerate(rows):
            out[i, :] = row
        return out
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(rows[0]) if rows else 0)


def _row(tokens: list[str], no: int) -> list[int]:
    """Exact ints of one line's tokens (errors name the line and column)."""
    return [parse_entry(t, f"line {no}, column {c}") for c, t in enumerate(tokens, start=1)]


# --------------------------------------------------------------------------- Keller .qmu


def write_qmu(q: Quiver) -> str:
    """Keller's quiver-mutation applet format (as written by SageMath's ``qmu_save``): the
    full square matrix of all vertices, then one ``radius x y [1 if frozen]`` line per
    vertex (positions in applet pixels; our positions are written as they are)."""
    s = square_matrix(q.b)
    N = s.shape[0]
    pos = q.positions if q.positions is not None else default_positions(q.b)
    lines = ["//Number of points", str(N), "//Vertex radius", "9", "//Labels shown", "1", "//Matrix", f"{N} {N}"]
    for i in range(N):
        lines.append(" ".join(str(int(v)) for v in s[i]) + " ")
    lines.append("//Points")
    for i in range(N):
        x, y = pos[i]
        line = f"9 {float(x):.6g} {float(y):.6g}"
        if i >= q.n_mutable:
            line += " 1"
        lines.append(line)
    lines += ["//Historycounter", "-1", "//History", "", "//Cluster is null"]
    return "\n".join(lines) + "\n"


def read_qmu(text: str) -> Quiver:
    """Parse a .qmu file.  Frozen vertices (a trailing ``1`` on their point line) are moved
    after the mutable ones; arrows between two frozen vertices are dropped (an exchange
    matrix does not record them)."""
    lines = [ln.strip() for ln in text.splitlines()]
    sections: dict[str, list[tuple[int, str]]] = {}
    current = None
    for no, ln in enumerate(lines, start=1):
        if ln.startswith("//"):
            current = ln[2:].strip().lower()
            sections.setdefault(current, [])
        elif current is not None and ln:
            sections[current].append((no, ln))
    if "matrix" not in sections:
        raise InputError("not a .qmu file: no '//Matrix' section")
    mat_lines = sections["matrix"]
    if not mat_lines:
        raise InputError("'//Matrix' section is empty")
    no, head = mat_lines[0]
    size = head.split()[:2]
    if len(size) != 2 or not all(re.fullmatch(r"\d{1,6}", x) for x in size):
        raise InputError(f"line {no}: expected the matrix size 'N N' (two non-negative integers), got {head[:40]!r}")
    r, c = (int(x) for x in size)
    if r != c:
        raise InputError(f"line {no}: the .qmu matrix must be square, got {r} x {c}")
    rows = []
    for no, ln in mat_lines[1 : 1 + r]:
        try:
            vals = _row(ln.split(), no)
        except NotANumberError as exc:
            raise InputError(f"{exc} (in matrix row {ln[:60]!r})") from None
        if len(vals) != r:
            raise InputError(f"line {no}: matrix row has {len(vals)} entries, expected {r}")
        rows.append(vals)
    if len(rows) != r:
        raise InputError(f"'//Matrix' announces {r} rows but has {len(rows)}")
    m = _int_matrix(rows)
    pts = sections.get("points", [])
    frozen = np.zeros(r, dtype=bool)
    pos = None
    if pts:
        if len(pts) < r:
            raise InputError(f"'//Points' has {len(pts)} lines, expected {r}")
        pos = np.zeros((r, 2))
        for i, (no, ln) in enumerate(pts[:r]):
            parts = ln.split()
            try:
                pos[i] = float(parts[1]), float(parts[2])
            except (IndexError, ValueError):
                raise InputError(f"line {no}: expected 'radius x y', got {ln[:60]!r}") from None
            if not np.isfinite(pos[i]).all():
                raise InputError(f"line {no}: the position ({parts[1]}, {parts[2]}) is not finite")
            if len(parts) >= 4 and parts[3] == "1":
                frozen[i] = True
    order = np.concatenate([np.flatnonzero(~frozen), np.flatnonzero(frozen)])
    m = m[np.ix_(order, order)]
    n = int((~frozen).sum())
    sq = m[:n, :n]
    bad = np.argwhere(sq != -sq.T)
    if len(bad):
        i, j = (int(order[x]) for x in bad[0])
        raise InputError(
            f".qmu matrix not skew-symmetric at ({i},{j}): {m[bad[0][0], bad[0][1]]} and {m[bad[0][1], bad[0][0]]}"
        )
    b = m[:, :n]
    return Quiver(
        b,
        labels=[str(int(i)) for i in order] if frozen.any() else None,
        positions=pos[order] if pos is not None else None,
    )


# --------------------------------------------------------------------------- Sage-style text


def write_b_text(b: np.ndarray) -> str:
    """Sage's matrix printout: one bracketed row per line, right-aligned columns."""
    b = validate_b(b)
    width = max(len(str(int(v))) for v in b.flat) if b.size else 1
    return "\n".join("[" + " ".join(str(int(v)).rjust(width) for v in row) + "]" for row in b) + "\n"


def read_b_text(text: str) -> np.ndarray:
    """Parse a B-matrix: Sage's bracketed rows, a Python/JSON nested list, or rows of
    whitespace/comma-separated integers (one row per line)."""
    t = text.strip()
    if not t:
        raise InputError("empty B-matrix text")
    if t.startswith("[["):
        return validate_b(parse_json(t, "B-matrix as a nested list"))
    rows = []
    for no, ln in enumerate(t.splitlines(), start=1):
        ln = ln.strip().strip("[]()").strip()
        if not ln:
            continue
        try:
            rows.append(_row([x for x in re.split(r"[,\s]+", ln) if x], no))
        except NotANumberError as exc:
            raise InputError(f"{exc}: not a row of integers: {ln[:60]!r}") from None
    lens = {len(r) for r in rows}
    if len(lens) != 1:
        raise InputError(f"rows of different lengths: {sorted(lens)}")
    return validate_b(_int_matrix(rows))


# --------------------------------------------------------------------------- benchmark CSV


def read_benchmark_csv(text: str) -> list[np.ndarray]:
    """The quiver benchmark CSV: one flattened n x n B-matrix per line (row-major).  A header
    line (non-numeric) is skipped; a non-numeric last column (a class label) is ignored."""
    out: list[np.ndarray] = []
    for no, ln in enumerate(text.splitlines(), start=1):
        ln = ln.strip()
        if not ln:
            continue
        fields = [f.strip().strip('"') for f in ln.split(",")]
        try:
            vals = _row(fields, no)
        except NotANumberError:
            if out or no > 1:
                try:
                    vals = _row(fields[:-1], no)
                except NotANumberError as exc:
                    raise InputError(f"{exc}: non-numeric entries in {ln[:60]!r}") from None
            else:
                continue  # header
        n = math.isqrt(len(vals))
        if n * n != len(vals) or n == 0:
            raise InputError(f"line {no}: {len(vals)} numbers is not a square n*n (a flattened n x n B-matrix)")
        try:
            out.append(validate_b(_int_matrix([vals[i * n : (i + 1) * n] for i in range(n)])))
        except ValueError as exc:
            raise InputError(f"line {no}: {exc}") from None
    if not out:
        raise InputError("no quivers in the CSV file")
    return out


def write_benchmark_csv(matrices: Iterable[np.ndarray]) -> str:
    lines = []
    for b in matrices:
        b = validate_b(b)
        if b.shape[0] != b.shape[1]:
            raise ValueError("the benchmark CSV holds square B-matrices only (no frozen vertices)")
        lines.append(",".join(str(int(v)) for v in b.flat))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- JSON


def to_json(q: Quiver) -> str:
    return json.dumps(q.to_dict())


def from_json(text: str) -> Quiver:
    """A quiver from JSON: ``{"b": [[...]], "labels": [...], "positions": [[x, y], ...]}`` or a
    bare nested list (the exchange matrix).  Integers of any size are exact."""
    d = parse_json(text, "quiver JSON")
    if isinstance(d, list):
        d = {"b": d}
    return Quiver.from_dict(d)


def read_json_lines(text: str) -> list[np.ndarray]:
    """JSON lines, one ``{"b": [[...], ...]}`` (or a bare nested list) per line."""
    out = []
    for no, ln in enumerate(text.splitlines(), start=1):
        ln = ln.strip()
        if not ln:
            continue
        d = parse_json(ln, f"line {no}")
        b = d.get("b") if isinstance(d, dict) else d
        if b is None:
            raise InputError(f"line {no}: no 'b' entry (the exchange matrix)")
        if not isinstance(b, list):
            raise InputError(f"line {no}: 'b' must be the exchange matrix as a list of rows, got {type(b).__name__}")
        try:
            out.append(validate_b(b))
        except ValueError as exc:
            raise InputError(f"line {no}: {exc}") from None
    if not out:
        raise InputError("no quivers in the JSON lines file")
    return out


def read_quiver_list(path: str) -> list[np.ndarray]:
    """Read JSON lines or the benchmark CSV (chosen by content: a line starting with '{' or
    '[' means JSON)."""
    text = read_text(path, "quiver list (JSON lines or CSV)")
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise InputError("empty file", path=path)
    try:
        if first[0] in "{[":
            return read_json_lines(text)
        return read_benchmark_csv(text)
    except ValueError as exc:
        raise naming(exc, path) from None


def read_quiver_file(path: str) -> Quiver:
    """One quiver from .qmu, .json, .csv (first line) or B-matrix text (by extension);
    :class:`InputError` naming the file and the problem otherwise."""
    text = read_text(path, "quiver file")
    low = str(path).lower()
    try:
        if low.endswith(".qmu"):
            return read_qmu(text)
        if low.endswith(".json"):
            return from_json(text)
        if low.endswith(".csv"):
            return Quiver(read_benchmark_csv(text)[0])
        return Quiver(read_b_text(text))
    except ValueError as exc:
        raise naming(exc, path) from None


# --------------------------------------------------------------------------- networkx


def to_networkx(q: Quiver):
    """DiGraph: nodes 0..n+m-1 with attributes ``frozen``, ``label`` and ``pos``; an edge i -> j
    with ``weight`` = multiplicity for every b[i, j] > 0."""
    import networkx as nx

    g = nx.DiGraph()
    labels = q.vertex_labels()
    for v in range(q.n_vertices):
        attrs: dict[str, Any] = {"frozen": v >= q.n_mutable, "label": labels[v]}
        if q.positions is not None:
            attrs["pos"] = (float(q.positions[v, 0]), float(q.positions[v, 1]))
        g.add_node(v, **attrs)
    for i, j, m in q.arrows():
        g.add_edge(i, j, weight=int(m))
    return g


def from_networkx(g) -> Quiver:
    """Quiver from a DiGraph (edge attribute ``weight``, default 1; node attribute ``frozen``).
    Antiparallel edges cancel (b[i,j] = w(i->j) - w(j->i)); self-loops are refused."""
    nodes = list(g.nodes)
    mutable = [v for v in nodes if not g.nodes[v].get("frozen", False)]
    frozen = [v for v in nodes if g.nodes[v].get("frozen", False)]
    order = mutable + frozen
    idx = {v: i for i, v in enumerate(order)}
    N = len(order)
    s = np.zeros((N, N), dtype=np.int64)
    for u, v, d in g.edges(data=True):
        if u == v:
            raise InputError(f"self-loop at vertex {u!r}: quivers for mutation have no loops")
        w = d.get("weight", 1)
        if isinstance(w, bool) or not isinstance(w, (int, np.integer, float, np.floating)):
            raise InputError(f"edge {u!r} -> {v!r} has weight {w!r}, not an integer")
        w = exact_float(w, f"edge {u!r} -> {v!r} weight") if isinstance(w, (float, np.floating)) else int(w)
        s[idx[u], idx[v]] += w
        s[idx[v], idx[u]] -= w
    n = len(mutable)
    b = s[:, :n]
    pos = None
    if all("pos" in g.nodes[v] for v in order) and order:
        pos = np.array([g.nodes[v]["pos"] for v in order], dtype=float)
    labels = [str(g.nodes[v].get("label", v)) for v in order]
    return Quiver(b, labels=labels, positions=pos)


# --------------------------------------------------------------------------- TikZ


def default_positions(b: np.ndarray, seed: int = 0) -> np.ndarray:
    """Circular layout (radius 100 units, first vertex on top, clockwise)."""
    N = b.shape[0]
    t = np.pi / 2 - 2 * np.pi * np.arange(N) / max(N, 1)
    return np.stack([100 * np.cos(t), -100 * np.sin(t)], axis=1)


def to_tikz(q: Quiver, scale: float = 0.02, highlight: Iterable[int] = ()) -> str:
    """A standalone ``tikzpicture``: mutable vertices as circles, frozen ones as squares,
    multiplicities as arrow labels (y axis flipped: editor coordinates grow downwards)."""
    pos = q.positions if q.positions is not None else default_positions(q.b)
    labels = q.vertex_labels()
    hl = set(int(v) for v in highlight)
    out = [
        "\\begin{tikzpicture}[>=stealth, every node/.style={inner sep=1.5pt}]",
        "  \\tikzset{mut/.style={circle, draw, fill=white, minimum size=14pt},"
        " fro/.style={rectangle, draw, fill=gray!25, minimum size=13pt},"
        " hl/.style={draw=red, very thick}}",
    ]
    for v in range(q.n_vertices):
        style = "fro" if v >= q.n_mutable else "mut"
        if v in hl:
            style += ", hl"
        x, y = pos[v]
        lab = re.sub(r"([#$%&_{}])", r"\\\1", labels[v])
        out.append(f"  \\node[{style}] (v{v}) at ({x * scale:.3f}, {-y * scale:.3f}) {{${lab}$}};")
    for i, j, m in q.arrows():
        if m == 1:
            out.append(f"  \\draw[->] (v{i}) -- (v{j});")
        else:
            out.append(f"  \\draw[->] (v{i}) -- node[midway, fill=white, font=\\scriptsize] {{{m}}} (v{j});")
    out.append("\\end{tikzpicture}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- one writer by suffix

#: suffix -> description of the formats :func:`write_quiver` writes (the panel's Save dialog)
WRITE_FORMATS = {
    ".qmu": "Keller's quiver mutation applet (.qmu)",
    ".json": "JSON quiver (.json)",
    ".txt": "B-matrix text, Sage style (.txt)",
    ".csv": "benchmark CSV, flattened B (.csv)",
    ".tex": "TikZ picture (.tex)",
}


def quiver_text(q: Quiver, suffix: str, highlight: Iterable[int] = ()) -> str:
    """The text of ``q`` in the format of a file suffix: ``.qmu`` (positions and frozen
    vertices kept), ``.json`` (one line; labels and positions kept), ``.txt`` / ``.b`` (Sage's
    B-matrix printout), ``.csv`` (the benchmark's flattened square B-matrix: refused with
    frozen vertices, which it cannot hold), ``.tex`` (TikZ, ``highlight`` vertices in red).
    Raises ``ValueError`` for any other suffix."""
    suffix = suffix.lower()
    if suffix == ".qmu":
        return write_qmu(q)
    if suffix == ".json":
        return to_json(q) + "\n"
    if suffix in (".txt", ".b"):
        return write_b_text(q.b)
    if suffix == ".csv":
        if q.n_frozen:
            raise ValueError(
                f"the benchmark CSV holds square B-matrices only and this quiver has {q.n_frozen} "
                f"frozen vertex{'es' if q.n_frozen > 1 else ''}; save it as .qmu or .json to keep them"
            )
        return write_benchmark_csv([q.b])
    if suffix == ".tex":
        return to_tikz(q, highlight=highlight)
    raise ValueError(f"unknown quiver format {suffix or '(no suffix)'!r}; use one of {', '.join(WRITE_FORMATS)}")


def write_quiver(path: str | os.PathLike, q: Quiver, highlight: Iterable[int] = ()) -> Path:
    """Write ``q`` to ``path`` in the format of its suffix (see :func:`quiver_text`; no suffix:
    B-matrix text, ``.txt`` appended) and return the path written.  Nothing is written when the
    suffix or the quiver does not fit."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".txt")
    text = quiver_text(q, path.suffix, highlight)
    path.write_text(text, encoding="utf-8")
    return path
