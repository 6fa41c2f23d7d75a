"""Reading users' array and weight files without unpickling, with messages that say what is
really wrong (Qt-free; numpy always, torch only inside :func:`load_torch_state_dict`).

* :func:`load_npy` / :func:`load_npz`: ``np.load(..., allow_pickle=False)`` after looking at
  the file's first bytes, so a message tells apart a file that is not .npy/.npz at all, an
  .npy whose array holds Python objects (refused: reading it means unpickling), and an
  .npy cut short (its header promises more bytes than there are);
* :func:`torch_load_message`: what to tell the user when ``torch.load(..., weights_only=True)``
  refuses a file.  torch's own text suggests re-running with ``weights_only=False``, which runs
  whatever code the file holds; it is never shown.

Every failure is an :class:`workbench.errors.InputError` naming the file.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InputError
from workbench.jobs import heartbeat

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK"


def _first_bytes(p: Path, n: int = 8) -> bytes:
    try:
        with open(p, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        raise InputError("no such file", path=p) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=p) from None


def _not_numeric(p: Path, what: str) -> InputError:
    return InputError(
        f"{what} holds Python objects (dtype object), which can only be read by unpickling; "
        "refused for safety: save a numeric array (np.save with a float or integer dtype)",
        path=p,
    )


def _check_npy_header(p: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from an .npy header; InputError for a bad header, object dtypes and
    files shorter than the header promises."""
    from numpy.lib import format as npformat

    with open(p, "rb") as fh:
        try:
            version = npformat.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = npformat.read_array_header_1_0(fh)
            else:
                shape, _, dtype = npformat.read_array_header_2_0(fh)
        except (ValueError, OSError, SyntaxError):
            raise InputError("a corrupt .npy header (its array description cannot be parsed)", path=p) from None
        offset = fh.tell()
    if dtype.hasobject:
        raise _not_numeric(p, "the .npy array")
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    have = os.path.getsize(p) - offset
    if have < need:
        raise InputError(
            f"the .npy file is truncated: its header promises an array of shape {tuple(shape)} "
            f"{dtype} ({need} bytes of data), the file holds {have}",
            path=p,
        )
    return tuple(shape), dtype


def load_npy(path: str | os.PathLike[str], what: str = "array") -> np.ndarray:
    """The array of an .npy file (never unpickled); InputError naming the file: missing, not
    .npy (an .npz gets its own message), object dtype, corrupt header or data, truncated."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise InputError(f"is a folder, expected an .npy file ({what})", path=p)
    head = _first_bytes(p)
    if head.startswith(ZIP_MAGIC):
        raise InputError(f"is an .npz archive; an .npy file holding one {what} is expected here", path=p)
    if not head.startswith(NPY_MAGIC):
        shown = head[:8]
        raise InputError(
            f"not an .npy file (it starts with {shown!r}, not the .npy signature); save the {what} with numpy.save",
            path=p,
        )
    _check_npy_header(p)
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"a corrupt .npy file ({str(exc).splitlines()[0][:160]})", path=p) from None


def load_npz(path: str | os.PathLike[str], what: str = "arrays") -> dict[str, np.ndarray]:
    """All arrays of an .npz archive (never unpickled), in file order; InputError naming the
    file: missing, not an .npz, a member holding Python objects, corrupt or truncated."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise InputError(f"is a folder, expected an .npz archive ({what})", path=p)
    head = _first_bytes(p)
    if head.startswith(NPY_MAGIC):
        raise InputError(f"is an .npy file (one array); an .npz archive of {what} is expected here", path=p)
    if not head.startswith(ZIP_MAGIC):
        raise InputError(f"not an .npz archive (it starts with {head[:8]!r}, not a zip signature)", path=p)
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(p, allow_pickle=False) as z:
            for name in z.files:
                heartbeat()  # a job reading a large archive stays cancellable between members
                try:
                    out[name] = z[name]
                except ValueError as exc:
                    if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                        raise _not_numeric(p, f"member {name!r}") from None
                    raise InputError(f"member {name!r} is corrupt ({str(exc).splitlines()[0][:160]})", path=p) from None
    except InputError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise InputError(f"a corrupt or truncated .npz archive ({str(exc).splitlines()[0][:160]})", path=p) from None
    return out


def torch_load_message(path: str | os.PathLike[str], exc: BaseException) -> str:
    """Why ``torch.load(path, weights_only=True)`` failed, for the user, without torch's advice
    to re-run with ``weights_only=False`` (which would run code from the file)."""
    text = str(exc)
    p = os.fspath(path)
    if "Unsupported global" in text or "not an allowed global" in text:
        glob = text.split("GLOBAL", 1)[1].split()[0] if "GLOBAL" in text else "a Python object"
        return (
            f"{p}: holds Python objects beyond tensors ({glob}), e.g. a whole pickled model; the workbench "
            "never unpickles them. Save the weights only: safetensors.torch.save_file(model.state_dict(), ...) "
            "or torch.save(model.state_dict(), ...)"
        )
    if "Weights only load failed" in text or "Unsupported operand" in text or "UnpicklingError" in type(exc).__name__:
        return (
            f"{p}: not a weights file torch can read without unpickling code (corrupt, or not written by "
            "torch.save); save the weights with safetensors.torch.save_file(model.state_dict(), ...)"
        )
    first = text.splitlines()[0][:160] if text else type(exc).__name__
    if "weights_only" in first:
        first = type(exc).__name__
    return f"{p}: not a readable torch file ({first})"


def check_finite_tensors(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Refuse a state dict with NaN or infinite floating-point entries (InputError naming the
    file and the first tensors affected): weights like that give NaN outputs and meaningless
    attacks or predictions."""
    bad = []
    for name, t in state.items():
        if hasattr(t, "is_floating_point") and (t.is_floating_point() or t.is_complex()):
            import torch

            if not bool(torch.isfinite(t).all()):
                bad.append(f"{name} ({int((~torch.isfinite(t)).sum())} of {t.numel()})")
        elif isinstance(t, np.ndarray) and t.dtype.kind in "fc" and not np.isfinite(t).all():
            bad.append(f"{name} ({int((~np.isfinite(t)).sum())} of {t.size})")
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InputError(f"weights contain NaN or infinite values: {', '.join(bad[:5])}{more}", path=path)
