"""Opening users' image files safely (Qt-free; Pillow imported inside the function).

:func:`open_image` refuses a decompression bomb (a small file that declares billions of
pixels) from the header, before decoding, with an explicit limit of this module rather than
Pillow's process-wide ``Image.MAX_IMAGE_PIXELS``; unreadable, truncated or non-image files
are an :class:`workbench.errors.InputError` naming the file, never a Pillow traceback.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from workbench.errors import InputError

#: the most pixels (width x height) an image may declare: 8192 x 8192, beyond any micrograph
#: or photo the panels use; a bomb declaring 10^10 pixels is refused from its header
MAX_IMAGE_PIXELS = 8192 * 8192


def open_image(path: str | os.PathLike[str], mode: str | None = None, max_pixels: int = MAX_IMAGE_PIXELS) -> Any:
    """The decoded image of ``path`` (a ``PIL.Image.Image``, converted to ``mode`` if given),
    detached from the file.  InputError naming the file when it is missing, not an image,
    truncated or corrupt, or declares more than ``max_pixels`` pixels (checked before decoding)."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise InputError(
                        f"the image declares {w} x {h} = {w * h:,} pixels, more than the "
                        f"{max_pixels:,} accepted (a decompression bomb or a wrong header)",
                        path=p,
                    )
                im.load()
                return im.convert(mode) if mode else im.copy()
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError("no such image file", path=p) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"refused as a decompression bomb ({exc})", path=p) from None
    except UnidentifiedImageError:
        raise InputError("not an image Pillow can read (unknown or corrupt format)", path=p) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        msg = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise InputError(f"a truncated or corrupt image ({msg})", path=p) from None
