"""workbench.array_files: accurate messages for bad .npy/.npz and torch files, never advice to
unpickle, NaN weights refused."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch

from workbench.array_files import check_finite_tensors, load_npy, load_npz, torch_load_message
from workbench.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from workbench.errors import InputError


def test_npy_messages_say_what_is_wrong(tmp_path):
    np.save(tmp_path / "ok.npy", np.arange(12.0).reshape(3, 4))
    assert load_npy(tmp_path / "ok.npy").shape == (3, 4)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    raw = (tmp_path / "ok.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(raw[:-20])
    (tmp_path / "text.npy").write_bytes(b"hello, not numpy")
    np.savez(tmp_path / "arch.npz", a=np.ones(2))
    (tmp_path / "arch.npy").write_bytes((tmp_path / "arch.npz").read_bytes())
    cases = {
        "obj.npy": "Python objects",
        "cut.npy": "truncated",
        "text.npy": "not an .npy file",
        "arch.npy": "is an .npz archive",
        "nope.npy": "no such file",
    }
    for name, message in cases.items():
        with pytest.raises(InputError, match=message) as info:
            load_npy(tmp_path / name)
        assert name in str(info.value)
        # a corrupt or truncated file is not blamed on pickling
        if name in ("cut.npy", "text.npy"):
            assert "unpickl" not in str(info.value)


def test_npz_messages(tmp_path):
    np.savez(tmp_path / "ok.npz", a=np.ones(3), b=np.zeros((2, 2)))
    assert list(load_npz(tmp_path / "ok.npz")) == ["a", "b"]
    np.savez(tmp_path / "obj.npz", a=np.array([None], dtype=object))
    raw = (tmp_path / "ok.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match="member 'a' holds Python objects"):
        load_npz(tmp_path / "obj.npz")
    with pytest.raises(InputError, match=r"cut\.npz: a corrupt or truncated \.npz"):
        load_npz(tmp_path / "cut.npz")


class _Payload:
    pass


def test_torch_message_never_suggests_weights_only_false(tmp_path):
    p = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2), "extra": collections.OrderedDict(a=_Payload())}, p)
    with pytest.raises(Exception) as info:  # torch's own error type varies
        torch.load(p, weights_only=True)
    assert "weights_only" in str(info.value) and "False" in str(info.value)  # torch's advice
    msg = torch_load_message(p, info.value)
    assert "model.pt" in msg and "Python objects" in msg
    assert "False" not in msg
    p.write_bytes(b"garbage" * 10)
    with pytest.raises(Exception) as info:
        torch.load(p, weights_only=True)
    msg = torch_load_message(p, info.value)
    assert "weights_only" not in msg.replace("weights only", "") and "False" not in msg


def test_nan_weights_are_refused(tmp_path):
    good = {"w": torch.ones(3, 2), "b": torch.zeros(2), "steps": torch.tensor([3])}
    check_finite_tensors(good, "m.safetensors")
    bad = dict(good, w=torch.tensor([[1.0, float("nan")], [float("inf"), 0.0]]))
    with pytest.raises(InputError, match=r"m\.safetensors: weights contain NaN or infinite values: w \(2 of 4\)"):
        check_finite_tensors(bad, "m.safetensors")
    save_checkpoint(tmp_path / "c", bad, architecture={}, provenance={}, kind="test")
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(tmp_path / "c", kind="test")
