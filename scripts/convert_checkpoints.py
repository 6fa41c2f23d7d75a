"""Convert checkpoints of the four pre-sidecar formats to the one format of workbench.checkpoint.

    python scripts/convert_checkpoints.py [FILE.safetensors ...]   (default: every one under resources/)

Before ``workbench.checkpoint`` each plugin had its own layout:

* bundle: ``{"arch", "grid", ...provenance}`` JSON beside the weights (arch and grid also in the
  safetensors metadata);
* repsim: the model config as JSON in the safetensors metadata, provenance JSON beside it;
* adversarial: ``{"architecture", "dataset", "input_shape", "classes", ...}`` JSON beside it;
* quiver GNN: ``{"format": "workbench-quiver-gnn/1", "config", "families", ...}`` JSON beside it.

Each file is re-saved with the same tensors (names, shapes, dtypes and values checked after
writing) and a new sidecar whose provenance carries over everything of the old JSON that is not
architecture, plus a ``converted`` note.  No retraining.  Files already in the new format are
skipped.  The old files are replaced atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUIVER_LEGACY_FORMAT = "workbench-quiver-gnn/1"


def legacy_parts(wpath: Path) -> tuple[str, dict[str, Any], dict[str, Any], str]:
    """(kind, architecture, provenance, description of the old format) of a pre-sidecar checkpoint."""
    from safetensors import safe_open

    from workbench_adversarial.core.zoo import CHECKPOINT_KIND as ADVERSARIAL
    from workbench_bundle.core.train import CHECKPOINT_KIND as BUNDLE
    from workbench_quiver.gnn.checkpoint import CHECKPOINT_KIND as QUIVER
    from workbench_repsim.core.zoo import CHECKPOINT_KIND as REPSIM

    with safe_open(str(wpath), framework="pt") as fh:
        header = fh.metadata() or {}
    jpath = wpath.with_suffix(".json")
    old = json.loads(jpath.read_text()) if jpath.is_file() else {}
    if old.get("format") == QUIVER_LEGACY_FORMAT:
        prov = {k: v for k, v in old.items() if k not in ("format", "config", "families")}
        return QUIVER, {"config": old["config"], "families": old["families"]}, prov, QUIVER_LEGACY_FORMAT
    if "config" in header:
        prov = {k: v for k, v in old.items() if k != "config"}
        origin = "repsim: config in the safetensors metadata + provenance JSON"
        return REPSIM, json.loads(header["config"]), prov, origin
    if "architecture" in old and "dataset" in old and "input_shape" in old:
        arch = {
            "arch": old["architecture"],
            "dataset": old["dataset"],
            "input_shape": list(old["input_shape"]),
            "num_classes": len(old["classes"]),
        }
        prov = {k: v for k, v in old.items() if k not in ("architecture", "input_shape")}
        return ADVERSARIAL, arch, prov, "adversarial: provenance JSON with architecture, dataset, input_shape"
    if "arch" in old and "grid" in old:
        prov = {k: v for k, v in old.items() if k not in ("arch", "grid")}
        return BUNDLE, {"arch": old["arch"], "grid": int(old["grid"])}, prov, "bundle: provenance JSON with arch, grid"
    raise ValueError(
        f"{wpath}: not a checkpoint of any known pre-sidecar format (sidecar {jpath} "
        f"{'has keys ' + ', '.join(sorted(old)) if old else 'is missing'})"
    )


def convert(wpath: Path) -> bool:
    """Convert one checkpoint in place; False if it is already in the new format."""
    import torch
    from safetensors.torch import load_file

    from workbench.checkpoint import is_checkpoint, load_checkpoint, save_checkpoint

    if is_checkpoint(wpath):
        return False
    kind, arch, prov, origin = legacy_parts(wpath)
    tensors = {k: v.clone() for k, v in load_file(str(wpath)).items()}
    prov["converted"] = {
        "from": origin,
        "by": "scripts/convert_checkpoints.py",
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": "tensors unchanged; the sidecar's versions and saved_at are those of the conversion",
    }
    save_checkpoint(wpath, tensors, architecture=arch, provenance=prov, kind=kind)
    back = load_checkpoint(wpath, kind=kind).tensors
    same = set(back) == set(tensors) and all(
        back[k].dtype == v.dtype and torch.equal(back[k], v) for k, v in tensors.items()
    )
    if not same:
        raise RuntimeError(f"{wpath}: the re-saved tensors differ from the original ones")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="checkpoints (.safetensors); default: all under resources/")
    args = ap.parse_args(argv)
    files = args.files or sorted((ROOT / "resources").rglob("*.safetensors"))
    failed = 0
    for f in files:
        try:
            done = convert(f)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            print(f"{f}: not converted: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{f}: {'converted' if done else 'already in the new format'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
