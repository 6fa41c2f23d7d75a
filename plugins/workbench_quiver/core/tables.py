"""Precomputed canonical-form tables of the finite mutation classes that have no structural
criterion here (Qt-free).

Shipped file: ``resources/quiver/type_tables.npz`` with, for every label, the upper
triangles (entries + 2, uint8) of the canonical adjacency matrices of the class members:

* the exceptional classes E6, E7, E8, E~6, E~7, E~8, E6^(1,1), E7^(1,1), E8^(1,1), X6, X7
  (all members);
* D~4 .. D~10 (5 to 11 vertices): only the members whose two punctures interact, i.e. those
  the structural criterion of :mod:`structure` does not recognise.

Regenerate with ``python -m workbench_quiver.core.tables`` (enumerates every class with
:func:`enumerate.mutation_class`; about a minute) which also writes ``type_tables.json``
(provenance: class sizes, stored counts, command).
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

EXCEPTIONAL = ["E6", "E7", "E8", "E~6", "E~7", "E~8", "E6^(1,1)", "E7^(1,1)", "E8^(1,1)", "X6", "X7"]
DTILDE_TABLE = [f"D~{k}" for k in range(4, 11)]
TABLE_FILE = "type_tables.npz"


def _resource_dir() -> Path:
    try:
        from workbench_resources import resource_path

        return Path(resource_path("quiver", TABLE_FILE)).parent
    except ImportError:  # pragma: no cover - fallback for a source checkout
        return Path(__file__).resolve().parents[3] / "resources" / "quiver"


def key_to_upper(key: bytes) -> tuple[int, bytes] | None:
    """(number of vertices, upper-triangle bytes) of a connected canonical key without frozen
    vertices and with entries in [-2, 2]; None otherwise."""
    head, _, rest = key.partition(b":")
    if not rest or rest[:1] != b"b":
        return None
    n_mut, n_fro = (int(x) for x in head.split(b","))
    if n_fro:
        return None
    mat = np.frombuffer(rest[1:], dtype=np.int8).reshape(n_mut, n_mut)
    if np.abs(mat).max(initial=0) > 2:
        return None
    iu = np.triu_indices(n_mut, 1)
    return n_mut, (mat[iu].astype(np.int16) + 2).astype(np.uint8).tobytes()


def canonical_fingerprint() -> str:
    """Canonical keys of a few fixed quivers: the tables are only valid for the canonical-form
    function that built them, so the fingerprint is stored with them and checked on load."""
    import hashlib

    from .canonical import canonical_form
    from .standard import standard_quiver

    h = hashlib.sha256()
    for label in ("E~8", "D~6", "X7", "E7^(1,1)"):
        h.update(canonical_form(standard_quiver(label)))
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def load_tables() -> dict[tuple[int, bytes], str]:
    """Map (n, upper-triangle bytes) -> label for every stored member.

    Raises RuntimeError when the tables were built by another canonical-form function."""
    path = _resource_dir() / TABLE_FILE
    out: dict[tuple[int, bytes], str] = {}
    if not path.exists():
        return out
    with np.load(path, allow_pickle=False) as z:
        stored = str(z["fingerprint"]) if "fingerprint" in z.files else ""
        if stored != canonical_fingerprint():
            raise RuntimeError(
                f"{path} was built with a different canonical form; rebuild it with "
                "'python -m workbench_quiver.core.tables'"
            )
        for name in z.files:
            if name == "fingerprint":
                continue
            arr = z[name]
            label = (
                name.replace("__", "^").replace("_t_", "~").replace("_c_", ",").replace("_l_", "(").replace("_r_", ")")
            )
            n = int(round((1 + np.sqrt(1 + 8 * arr.shape[1])) / 2)) if arr.ndim == 2 and arr.shape[1] else 0
            for row in arr:
                out[(n, row.tobytes())] = label
    return out


def _encode_name(label: str) -> str:
    return label.replace("^", "__").replace("~", "_t_").replace(",", "_c_").replace("(", "_l_").replace(")", "_r_")


def lookup(key: bytes) -> str | None:
    """The label of the table class containing the quiver with canonical key ``key``."""
    up = key_to_upper(key)
    if up is None:
        return None
    return load_tables().get(up)


def build_tables(out_dir: Path | None = None, verbose: bool = True) -> dict:
    """Enumerate the classes and write the npz table and its provenance JSON."""
    from .enumerate import mutation_class
    from .standard import standard_quiver
    from .structure import analyse

    out_dir = Path(out_dir) if out_dir is not None else _resource_dir()
    arrays: dict[str, np.ndarray] = {}
    classes: dict[str, dict[str, Any]] = {}
    prov: dict[str, Any] = {"command": "python -m workbench_quiver.core.tables", "classes": classes}
    for label in EXCEPTIONAL + DTILDE_TABLE:
        t0 = time.perf_counter()
        mc = mutation_class(standard_quiver(label))
        rows = []
        for key, m in zip(mc.keys, mc.members, strict=True):
            if label.startswith("D~") and analyse(m) is not None:
                continue
            up = key_to_upper(key)
            if up is None:
                raise RuntimeError(f"{label}: member outside the table encoding")
            rows.append(np.frombuffer(up[1], dtype=np.uint8))
        n = mc.members[0].shape[0]
        arrays[_encode_name(label)] = np.array(rows, dtype=np.uint8).reshape(len(rows), n * (n - 1) // 2)
        classes[label] = {
            "vertices": n,
            "class_size": len(mc),
            "stored": len(rows),
            "seconds": round(time.perf_counter() - t0, 2),
        }
        if verbose:
            print(label, len(mc), "stored", len(rows), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    fp = canonical_fingerprint()
    prov["canonical_fingerprint"] = fp
    np.savez_compressed(out_dir / TABLE_FILE, allow_pickle=False, fingerprint=np.array(fp), **arrays)
    (out_dir / "type_tables.json").write_text(json.dumps(prov, indent=1))
    load_tables.cache_clear()
    return prov


if __name__ == "__main__":
    build_tables()
