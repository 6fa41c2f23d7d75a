"""Writes the binary and the large bad inputs of the corpus (the small text ones are committed
beside this file): ``python tests/data/bad/generate.py OUT_DIR``, or :func:`write_all` from a
test.  Every file is deterministic and small on disk; the large ones are large only in what
they declare (a PNG header of 10^10 pixels, JSON nested 100,000 deep).

Layout of OUT_DIR: quiver/ (undecodable, deep), arrays/ (.npy/.npz), bundle/ (sampled models,
datasets), images/ (a folder per case), models/ (state dicts and checkpoints with edited sidecars).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
RESOURCES = ROOT / "resources"


def _png(width: int, height: int, body: bytes = b"\x00") -> bytes:
    """A PNG whose header declares width x height grey pixels (the data are not that size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(body)) + chunk(b"IEND", b"")


def _edited_checkpoint(src: Path, dst: Path, edit) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)
    side = json.loads(src.with_suffix(".json").read_text())
    edit(side["architecture"])
    dst.with_suffix(".json").write_text(json.dumps(side))


def write_all(out: str | Path) -> Path:
    """Write every generated bad file under ``out``; returns ``out``."""
    import torch
    from PIL import Image

    out = Path(out)
    for sub in ("quiver", "arrays", "bundle", "images", "models", "sessions"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    # quiver: undecodable bytes, nesting far beyond any parser's stack
    (out / "quiver/binary.qmu").write_bytes(b"\xff\xfe\x00\x01" + bytes(range(256)))
    (out / "quiver/deep.json").write_text("[" * 100_000)
    (out / "quiver/deep_object.json").write_text('{"b": ' * 50_000)
    (out / "quiver/deep.jsonl").write_text("[" * 100_000 + "\n")
    # arrays
    rng = np.random.default_rng(0)
    good = rng.normal(size=(20, 5))
    np.save(out / "arrays/object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(out / "arrays/good.npy", good)
    raw = (out / "arrays/good.npy").read_bytes()
    (out / "arrays/truncated.npy").write_bytes(raw[: len(raw) - 100])
    (out / "arrays/text.npy").write_text("this is not an array\n")
    np.save(out / "arrays/complex.npy", good + 1j * good)
    np.save(out / "arrays/nan.npy", np.where(good > 1.5, np.nan, good))
    with open(out / "arrays/huge_header.npy", "wb") as fh:  # declares 8e16 bytes, holds 16
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (10**10, 10**6)})
        fh.write(b"\x00" * 16)
    np.savez(out / "arrays/layers_object.npz", a=np.array([None, 1], dtype=object))
    np.savez(out / "arrays/layers_good.npz", a=good, b=good[:, :3])
    raw = (out / "arrays/layers_good.npz").read_bytes()
    (out / "arrays/truncated.npz").write_bytes(raw[: len(raw) // 2])
    (out / "arrays/npy_as.npz").write_bytes((out / "arrays/good.npy").read_bytes())
    np.savez(out / "arrays/layers_complex.npz", a=good + 1j * good)
    # bundle: sampled models and datasets
    np.savez(out / "bundle/zero_states.npz", states=np.zeros((8, 8, 2), complex))
    h = np.zeros((6, 6, 2, 2), complex)
    h[..., 0, 0], h[..., 1, 1] = -1, 1
    h[2, 3, 0, 1] = np.nan
    np.savez(out / "bundle/nan_hamiltonians.npz", hamiltonians=h)
    h = h.copy()
    h[2, 3, 0, 1] = 0.7
    np.savez(out / "bundle/not_hermitian.npz", hamiltonians=h)
    np.savez(out / "bundle/neither.npz", other=np.zeros(3))
    ds = {
        "psi": np.zeros((2, 2, 4, 4), np.complex64),
        "labels": np.zeros(2, np.int64),
        "coef_f": np.zeros((2, 9, 9), complex),
        "coef_g": np.zeros((2, 2, 9, 9)),
    }
    ds["psi"][1, 0, 2, 2] = np.nan
    np.savez(out / "bundle/nan_dataset.npz", **ds)
    np.savez(out / "bundle/missing_arrays.npz", psi=ds["psi"])
    (out / "bundle/truncated.npz").write_bytes((out / "bundle/nan_dataset.npz").read_bytes()[:200])
    # images: one folder per case (a data folder is what the loaders take)
    for case in ("bomb", "truncated", "fake"):
        (out / f"images/{case}").mkdir(exist_ok=True)
        Image.new("L", (8, 8), 30).save(out / f"images/{case}/ok.png")
    (out / "images/bomb/bomb.png").write_bytes(_png(100_000, 100_000))
    (out / "images/bomb/wide.png").write_bytes(_png(9000, 9000))
    raw = (out / "images/truncated/ok.png").read_bytes()
    (out / "images/truncated/cut.png").write_bytes(raw[: len(raw) // 2])
    (out / "images/fake/fake.png").write_bytes(b"GIF89a but not really")
    (out / "images/empty").mkdir(exist_ok=True)  # a folder with no images at all
    # sessions: undecodable, nested too deep, wrong versions, non-finite numbers, wrong shapes
    head = {"format": "mlsci-workbench-session", "app_version": "0", "saved": "2026-01-01T00:00:00"}
    (out / "sessions/binary.json").write_bytes(b"\xff\xfe\x00\x01" + bytes(range(256)))
    (out / "sessions/deep.json").write_text("[" * 100_000)
    (out / "sessions/deep_object.json").write_text('{"layout": ' * 50_000)
    (out / "sessions/not_an_object.json").write_text("[1, 2, 3]")
    (out / "sessions/wrong_format.json").write_text(json.dumps({**head, "format": "something-else", "version": 2}))
    (out / "sessions/version_true.json").write_text(json.dumps({**head, "version": True, "layout": {}, "panels": {}}))
    (out / "sessions/version_-5.json").write_text(json.dumps({**head, "version": -5, "layout": {}, "panels": {}}))
    (out / "sessions/version_99.json").write_text(json.dumps({**head, "version": 99, "layout": {}, "panels": {}}))
    (out / "sessions/nan.json").write_text(
        '{"format": "mlsci-workbench-session", "version": 2, "layout": {}, "panels": {"quiver": {"x": NaN}}}'
    )
    (out / "sessions/panels_a_list.json").write_text(json.dumps({**head, "version": 2, "layout": {}, "panels": [1]}))
    # models: state dicts for the adversarial loader, checkpoints with absurd sidecars
    # a pickled object beyond tensors (torch.load with weights_only=True refuses its class)
    torch.save(
        {"w": torch.zeros(2), "extra": collections.OrderedDict(a=argparse.Namespace(x=1))}, out / "models/pickled.pt"
    )
    (out / "models/garbage.pt").write_bytes(b"\x80\x05garbage" * 20)
    (out / "models/empty.pt").write_bytes(b"")
    from workbench_adversarial.core.data import load_dataset as adv_data
    from workbench_adversarial.core.zoo import build_model

    split = adv_data("digits")
    state = build_model("mlp", split.shape, split.num_classes).state_dict()
    bad = {k: v.clone() for k, v in state.items()}
    first = next(k for k, v in bad.items() if v.is_floating_point())
    bad[first].view(-1)[0] = float("nan")
    torch.save(bad, out / "models/nan_weights.pt")
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in bad.items()}, str(out / "models/nan_weights.safetensors"))
    gnn = RESOURCES / "quiver/gnn/dirgine_default.safetensors"
    _edited_checkpoint(gnn, out / "models/gnn_hidden_200000.safetensors", lambda a: a["config"].update(hidden=200000))
    _edited_checkpoint(gnn, out / "models/gnn_layers_-3.safetensors", lambda a: a["config"].update(layers=-3))
    _edited_checkpoint(
        RESOURCES / "bundle/mlp.safetensors", out / "models/bundle_grid_1e6.safetensors", lambda a: a.update(grid=10**6)
    )
    _edited_checkpoint(
        RESOURCES / "bundle/mlp.safetensors", out / "models/bundle_grid_1024.safetensors", lambda a: a.update(grid=1024)
    )
    _edited_checkpoint(
        RESOURCES / "repsim/mlp-w16-s0.safetensors",
        out / "models/repsim_width_200000.safetensors",
        lambda a: a.update(widths=[200000, 16, 16]),
    )
    shutil.copy(RESOURCES / "bundle/flux.safetensors", out / "models/no_sidecar.safetensors")
    (out / "models/text.safetensors").write_text("not safetensors at all")
    shutil.copy(RESOURCES / "bundle/flux.json", out / "models/text.json")  # a sidecar whose hash cannot match
    return out


if __name__ == "__main__":
    print(write_all(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs"))
