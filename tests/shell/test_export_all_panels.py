"""Every figure of every first-party panel exports as PNG, SVG and PDF and is not blank (as
Orange checks every widget's image export): each panel opened on its embedded defaults in
the main window, its start-up jobs finished, every ``FigureSource`` exported into tmp_path.

Not blank: the PNG's pixels vary; the SVG has drawing elements besides its background and,
rendered by Qt's SVG renderer, varying pixels; the PDF,
rendered with poppler's ``pdftoppm`` when installed (scripts/install-system-deps.sh), has
varying pixels, else it at least has a non-empty content stream.  The data file is written
beside the PNG, and pyqtgraph plots carry the shell's context menu."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from workbench.gui.figures import ExportOptions, export_figure

PANELS = ["quiver", "bundle", "repsim", "adversarial", "micrograph", "diffusion_id", "equivariant", "concepts"]
DRAWING = {"path", "rect", "polyline", "polygon", "line", "circle", "ellipse", "image", "text", "use"}


def image_varies(path) -> bool:
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    assert not img.isNull(), f"{path} is not an image"
    pixels = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(img.height(), -1)
    return float(pixels.var()) > 0.0


def svg_drawing_elements(path) -> int:
    """Drawing elements besides the background rectangle the export paints first."""
    root = ET.parse(path).getroot()
    count = sum(1 for el in root.iter() if el.tag.rsplit("}", 1)[-1] in DRAWING)
    return count - 1


def svg_render_varies(path, tmp_path) -> bool:
    """The SVG rendered by Qt's SVG renderer (on white) has varying pixels."""
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid(), f"{path} is not a valid SVG"
    size = renderer.defaultSize()
    img = QImage(max(size.width(), 1), max(size.height(), 1), QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    painter = QPainter(img)
    renderer.render(painter)
    painter.end()
    out = tmp_path / f"{path.stem}.svg-render.png"
    img.save(str(out))
    return image_varies(out)


def pdf_not_blank(path, tmp_path) -> bool:
    if shutil.which("pdftoppm"):
        out = tmp_path / f"{path.stem}.render"
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", str(path), str(out)], check=True, timeout=60)
        return image_varies(out.with_suffix(".png"))
    data = path.read_bytes()
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)
    content = b"".join(zlib.decompress(s) if s[:1] == b"x" else s for s in streams)
    return len(content) > 200


@pytest.mark.parametrize("pid", PANELS)
def test_every_figure_exports_in_every_format_and_is_not_blank(qtbot, tmp_path, pid):
    from workbench.gui.main_window import MainWindow
    from workbench.gui.plot_menu import INSTALLED, _is_pyqtgraph_view

    window = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    try:
        panel = window.open_panel(pid)
        assert panel is not None, window.errors_shown
        qtbot.waitUntil(panel.is_idle, timeout=240_000)
        assert not window.errors_shown, window.errors_shown
        figures = panel.figures()
        assert figures, f"{pid} has no figure"
        problems = []
        for fig in figures:
            stem = tmp_path / f"{pid}-{fig.name}"
            written = export_figure(fig, stem.with_suffix(".png"), ExportOptions(fmt="png", dpi=96))
            if not image_varies(written[0]):
                problems.append(f"{fig.name}.png is blank")
            if fig.data is not None and not stem.with_suffix(".data.json").exists():
                problems.append(f"{fig.name}: no data file beside the PNG")
            svg = export_figure(fig, stem.with_suffix(".svg"), ExportOptions(fmt="svg", write_data=False))[0]
            if svg_drawing_elements(svg) < 1 or not svg_render_varies(svg, tmp_path):
                problems.append(f"{fig.name}.svg draws nothing")
            pdf = export_figure(fig, stem.with_suffix(".pdf"), ExportOptions(fmt="pdf", write_data=False))[0]
            if not pdf.read_bytes().startswith(b"%PDF-") or not pdf_not_blank(pdf, tmp_path):
                problems.append(f"{fig.name}.pdf is blank")
            for f in (written[0], svg, pdf):
                if f.stat().st_size == 0:
                    problems.append(f"{f.name} is empty")
            if fig.widget is not None and _is_pyqtgraph_view(fig.widget) and not fig.widget.property(INSTALLED):
                problems.append(f"{fig.name}: no context menu on its plot")
        assert not problems, f"{pid}: " + "; ".join(problems)
    finally:
        window.shutdown()
