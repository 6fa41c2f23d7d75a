"""Render the application icon from ``resources/icons/workbench.svg`` for the standalone build.

Writes, into an output folder: ``workbench-<N>.png`` for N in :data:`SIZES` (pixels, square,
transparent background), ``workbench.ico`` (Windows: 16-256 px in one file) and
``workbench.icns`` (macOS: 16-1024 px).  PyInstaller takes .ico/.icns, not SVG.

The SVG is drawn by Qt's own renderer (QtSvg, ships with PySide6-Essentials) on an off-screen
platform, so no display is needed; Pillow (a dependency of the workbench) writes .ico/.icns.

    python packaging/make_icons.py OUT_DIR [SVG]

``packaging/workbench.spec`` runs this at build time; nothing generated is committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: edge lengths (px) of the rendered PNGs; .ico holds those up to 256, .icns all of them
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = tuple(s for s in SIZES if s <= 256)
DEFAULT_SVG = Path(__file__).resolve().parent.parent / "resources" / "icons" / "workbench.svg"


def render_pngs(svg: Path, out_dir: Path, sizes: tuple[int, ...] = SIZES) -> dict[int, Path]:
    """Render ``svg`` to one square PNG per size (px) in ``out_dir``; returns {size: path}.

    ``ValueError`` if the file is missing or is not an SVG Qt can read."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if not svg.is_file():
        raise ValueError(f"icon source {svg} does not exist")
    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"icon source {svg} is not a valid SVG")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[int, Path] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"workbench-{size}.png"
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written[size] = path
    return written


def make_icons(out_dir: Path, svg: Path = DEFAULT_SVG) -> dict[str, Path]:
    """PNGs, ``workbench.ico`` and ``workbench.icns`` in ``out_dir`` from ``svg``.

    Returns {"png": largest PNG, "ico": ..., "icns": ..., "png<N>": each PNG}."""
    from PIL import Image

    pngs = render_pngs(svg, out_dir)
    images = {s: Image.open(p).convert("RGBA") for s, p in pngs.items()}
    ico = out_dir / "workbench.ico"
    largest_ico = max(ICO_SIZES)
    # each size drawn by the SVG renderer, not scaled down from the largest bitmap
    images[largest_ico].save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != largest_ico],
    )
    icns = out_dir / "workbench.icns"
    images[max(SIZES)].save(icns, format="ICNS", append_images=[images[s] for s in SIZES if s != max(SIZES)])
    out = {"png": pngs[max(SIZES)], "ico": ico, "icns": icns}
    out.update({f"png{s}": p for s, p in pngs.items()})
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print("usage: python packaging/make_icons.py OUT_DIR [SVG]", file=sys.stderr)
        return 2
    try:
        files = make_icons(Path(args[0]), Path(args[1]) if len(args) == 2 else DEFAULT_SVG)
    except (ValueError, OSError) as exc:
        print(f"make_icons: {exc}", file=sys.stderr)
        return 1
    for key in ("png", "ico", "icns"):
        print(files[key])
    return 0


if __name__ == "__main__":
    sys.exit(main())
