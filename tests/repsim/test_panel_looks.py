"""Looks right (issue #13): one shared colour scale, values in cells up to 12 x 12, tick labels
that never run together, crisp vector cells in SVG/PDF, exports that carry their context,
dark theme followed at run time, usable at 1024 x 700; screenshots light and dark."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter  # noqa: E402

from workbench.gui.figures import ExportOptions, export_figure  # noqa: E402
from workbench_repsim.ui.captioned_figure import CaptionedFigure  # noqa: E402
from workbench_repsim.ui.heatmap_scale import cell_text  # noqa: E402
from workbench_repsim.ui.heatmap_view import HeatmapView  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
SMALL = {"model_a": "mlp-w16-s0", "model_b": "mlp-w16-s1", "max_samples": 200}


def _view(qtbot, n, w=700, h=700, names=None, seed=0):
    view = HeatmapView("A vs B")
    qtbot.addWidget(view)
    view.resize(w, h)
    view.show()
    qtbot.waitExposed(view)
    m = np.random.default_rng(seed).random((n, n))
    view.set_matrix(m, names or [f"h{i}" for i in range(n)], names or [f"h{i}" for i in range(n)], "cka", (0.0, 1.0))
    qtbot.wait(50)
    return view, m


def _text_rects(axis):
    img = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(img)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(QRectF(r), text) for r, _flags, text in specs[2]]


def _computed(make_panel, qtbot, **state):
    panel = make_panel("repsim", start=False)
    panel.state_model.update({**SMALL, **state})
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert panel.result is not None
    return panel


# ------------------------------------------------------------------ colour scale ----------------
def test_side_by_side_heatmaps_share_one_colour_scale(make_panel, qtbot, standalone_shell):
    panel = _computed(make_panel, qtbot)
    assert not standalone_shell.errors, standalone_shell.errors
    assert {v.levels for v in panel.views.values()} == {(0.0, 1.0)}  # CKA on [0, 1] by default
    assert {tuple(v.bar.levels()) for v in panel.views.values()} == {(0.0, 1.0)}  # the colour bars say so
    panel.colour_scale.setCurrentText("data")
    values = np.concatenate([m.ravel() for m in panel.result.matrices.values()])
    assert {v.levels for v in panel.views.values()} == {(float(values.min()), float(values.max()))}
    # one scale means one colour per value: equal values in different heatmaps look the same
    aa, ab = panel.views["AA"], panel.views["AB"]
    assert aa.cells.cell_colour(0, 0).name() == panel.views["BB"].cells.cell_colour(0, 0).name()  # both 1.0
    assert ab.data()["colour_scale"] == list(aa.levels)


# ------------------------------------------------------------------ values in cells --------------
def test_values_are_printed_in_cells_up_to_12_by_12(qtbot, tmp_path):
    view, m = _view(qtbot, 12)
    assert view.cells.value_font_px() >= 7
    texts = view.cells.value_texts()
    assert [t for t, _ in texts] == [cell_text(v) for v in m.ravel()]
    # black on light cells, white on dark cells
    dark_cell, light_cell = np.unravel_index(m.argmin(), m.shape), np.unravel_index(m.argmax(), m.shape)
    assert texts[dark_cell[0] * 12 + dark_cell[1]][1].lightnessF() > 0.5
    assert texts[light_cell[0] * 12 + light_cell[1]][1].lightnessF() < 0.5

    def luma(c):
        return (0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()) / 255

    contrast = [abs(luma(colour) - luma(view.cells.cell_colour(*divmod(k, 12)))) for k, (_, colour) in enumerate(texts)]
    assert min(contrast) > 0.4  # readable on every cell (viridis' yellow-greens need black)
    # they are real text in a vector export
    fig = CaptionedFigure("hm", widget=view.graphics, data=view.data)
    svg = export_figure(fig, tmp_path / "hm.svg", ExportOptions(fmt="svg", write_data=False))[0]
    drawn = {el.text.strip() for el in ET.parse(svg).getroot().iter(f"{SVG}text") if el.text}
    assert {cell_text(v) for v in m.ravel()} <= drawn
    view.set_matrix(
        np.random.default_rng(1).random((13, 13)),
        [f"h{i}" for i in range(13)],
        [f"h{i}" for i in range(13)],
        "cka",
        (0.0, 1.0),
    )
    assert view.cells.value_texts() == [] and view.cells.value_font_px() == 0


def test_cells_too_small_for_readable_values_print_none(qtbot):
    view, _ = _view(qtbot, 12, 220, 220)
    assert view.cells.value_texts() and view.cells.value_font_px() == 0  # no 4-pixel digits


# ------------------------------------------------------------------ tick labels ------------------
@pytest.mark.parametrize("n, size", [(40, (320, 300)), (12, (240, 230)), (5, (320, 300))])
def test_tick_labels_never_run_together(qtbot, n, size):
    names = [f"model.layers.{i}.mlp" for i in range(n)]
    view, _ = _view(qtbot, n, *size, names=names)
    for axis in (view.left_axis, view.bottom_axis):
        rects = _text_rects(axis)
        assert len(rects) >= min(n, 3), [t for _, t in rects]
        for k, (r, t) in enumerate(rects):
            assert len(t) <= 14
            for r2, t2 in rects[k + 1 :]:
                assert not r.intersects(r2), (axis.orientation, t, t2)
    # every layer keeps its full name in the hover line
    assert names[n - 1] in view.hover_text(n - 1, 0)


# ------------------------------------------------------------------ crisp exports ----------------
def test_svg_and_pdf_cells_are_vector_rectangles_and_png_cells_are_not_smoothed(qtbot, tmp_path):
    view, m = _view(qtbot, 13, 500, 500)
    fig = CaptionedFigure("hm", widget=view.graphics, data=view.data)
    svg = export_figure(fig, tmp_path / "hm.svg", ExportOptions(fmt="svg", write_data=False))[0]
    text = svg.read_text()
    assert "<image" not in text  # no bitmap for a viewer to smooth (cells and colour bar are vectors)
    fills = set(re.findall(r'fill="(#[0-9a-fA-F]{6})"', text))
    colours = {view.cells.cell_colour(i, j).name() for i in range(13) for j in range(13)}
    assert colours <= {f.lower() for f in fills}
    pdf = export_figure(fig, tmp_path / "hm.pdf", ExportOptions(fmt="pdf", write_data=False))[0]
    assert b"/Subtype /Image" not in pdf.read_bytes() and pdf.stat().st_size > 1000
    png = export_figure(fig, tmp_path / "hm.png", ExportOptions(fmt="png", dpi=288, write_data=False))[0]
    img = QImage(str(png))
    assert not img.isNull()
    # a row of pixels through the middle of the first row of cells: only the cells' own colours
    vb = view.plot.vb.mapRectToScene(view.plot.vb.boundingRect())
    scale = img.width() / view.graphics.width()
    y = int((vb.top() + vb.height() / 26) * scale)
    margin = int(2 * scale) + 2  # the axes' lines at the view box's edges
    xs = range(int(vb.left() * scale) + margin, int(vb.right() * scale) - margin)
    seen = {QColor(img.pixel(x, y)).name() for x in xs}
    row = {view.cells.cell_colour(0, j).name() for j in range(13)}
    assert seen <= row, sorted(seen - row)[:5]


# ------------------------------------------------------------------ exports with context ---------
def test_every_exported_figure_carries_its_context(make_panel, qtbot, standalone_shell, tmp_path):
    panel = _computed(make_panel, qtbot, measure="procrustes")
    panel._cell_clicked("AB", 1, 2)
    panel.run_lmc()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert not standalone_shell.errors, standalone_shell.errors
    figs = {f.name: f for f in panel.figures()}
    written = export_figure(figs["repsim_heatmap_AB"], tmp_path / "ab.svg", ExportOptions(fmt="svg"))
    svg_text = " ".join(el.text for el in ET.parse(written[0]).getroot().iter(f"{SVG}text") if el.text)
    svg_text = " ".join(svg_text.split())
    for word in ("A vs B", "procrustes", "mlp-w16-s0", "mlp-w16-s1", "n = 200 inputs", "pooling"):
        assert word in svg_text, (word, svg_text[:400])
    meta = json.loads((tmp_path / "ab.data.json").read_text())
    assert meta["model_a"] == "mlp-w16-s0" and meta["model_b"] == "mlp-w16-s1" and meta["measure"] == "procrustes"
    assert meta["n"] == 200 and meta["pooling"].startswith("none") and meta["status"] == "current"
    arrays = np.load(tmp_path / "ab.data.npz")
    assert np.allclose(arrays["matrix"], panel.result.matrices["AB"])
    assert np.allclose(arrays["colour_scale"], [0.0, 2**0.5])
    png = export_figure(figs["repsim_heatmap_AB"], tmp_path / "ab.png", ExportOptions(fmt="png", dpi=96))[0]
    assert QImage(str(png)).height() > panel.views["AB"].graphics.height()  # the caption band on top
    pdf = export_figure(figs["repsim_heatmap_AB"], tmp_path / "ab.pdf", ExportOptions(fmt="pdf"))[0]
    assert pdf.stat().st_size > 2000
    for name, words in (
        ("repsim_cell_pcs", ("A:h2", "B:h3", "mlp-w16-s0", "procrustes")),
        ("repsim_lmc", ("linear mode connectivity", "mlp-w16-s0", "barrier")),
    ):
        caption = figs[name].caption_text()
        assert all(w in caption for w in words), (name, caption)
    cell_meta = figs["repsim_cell_pcs"].data()
    assert cell_meta["model_a"] == "mlp-w16-s0" and cell_meta["n"] == 200 and cell_meta["cell"] == ["A:h2", "B:h3"]
    lmc_meta = figs["repsim_lmc"].data()
    assert lmc_meta["model_b"] == "mlp-w16-s1" and lmc_meta["align"] is True


# ------------------------------------------------------------------ dark theme -------------------
def test_theme_switch_repaints_every_plot(make_panel, qtbot, standalone_shell):
    from PySide6.QtWidgets import QApplication

    from workbench.gui.theme import apply_theme

    app = QApplication.instance()
    panel = _computed(make_panel, qtbot)
    panel._cell_clicked("AB", 0, 1)  # the cell plots are built when a cell is first shown
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    panel.measure.setCurrentText("rsa")  # a stale mark, coloured by the panel itself
    plots = [v.graphics for v in panel.views.values()] + [panel.details.scatter, panel.details.hist, panel.lmc_plot]

    def lightness_of_plots():
        return [p.backgroundBrush().color().lightnessF() for p in plots]

    def text_lightness():
        values = panel.details.values  # the cell values' text follows the theme too
        return [v.left_axis.textPen().color().lightnessF() for v in panel.views.values()] + [
            values.palette().color(values.foregroundRole()).lightnessF(),
            panel.status.palette().text().color().lightnessF(),
        ]

    assert min(lightness_of_plots()) > 0.5 and max(text_lightness()) < 0.5
    try:
        apply_theme(app, "dark")
        qtbot.wait(20)
        assert max(lightness_of_plots()) < 0.5 and min(text_lightness()) > 0.5
        assert all(v.bar.axis.textPen().color().lightnessF() > 0.5 for v in panel.views.values())
        stale = panel.views["AB"].colours.alert
        assert stale.lightnessF() > 0.55  # a light red reads on the dark background
        assert panel.views["AB"].plot.titleLabel.opts["color"] == stale.name()
    finally:
        apply_theme(app, "light")
    qtbot.wait(20)  # widgets' palettes follow the application's through posted events
    assert min(lightness_of_plots()) > 0.5 and max(text_lightness()) < 0.5
    light_stale = panel.views["AB"].colours.alert
    assert light_stale.lightnessF() < 0.5 and panel.views["AB"].plot.titleLabel.opts["color"] == light_stale.name()


# ------------------------------------------------------------------ small windows ----------------
@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def _open(window, qtbot, size):
    window.resize(*size)
    panel = window.open_panel("repsim")
    panel.state_model.update(SMALL)  # before start() runs (queued on the event loop)
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    qtbot.wait(100)
    assert not window.errors_shown, window.errors_shown
    return panel


def test_usable_at_1024_by_700(window, qtbot):
    panel = _open(window, qtbot, (1024, 700))
    assert window.width() <= 1024 and window.height() <= 700
    for v in panel.views.values():
        assert v.graphics.width() >= 180 and v.graphics.height() >= 150, (v.title, v.graphics.size())
        for axis in (v.left_axis, v.bottom_axis):
            rects = _text_rects(axis)
            assert all(not a.intersects(b) for k, (a, _) in enumerate(rects) for b, _ in rects[k + 1 :])
    # every control of the form can be reached (scrolled to) and the buttons are whole
    panel.form_scroll.ensureWidgetVisible(panel.compute_btn)
    assert panel.compute_btn.visibleRegion().boundingRect().width() == panel.compute_btn.width()
    assert panel.status.isVisible() and panel.tabs.isVisible()
    bar = panel.tabs.tabBar()
    assert all(bar.tabRect(i).right() <= bar.width() for i in range(bar.count()))  # no tab hidden
    assert panel.tabs.elideMode().name == "ElideRight"


def _grab(window, path: Path) -> QImage:
    img = window.grab().toImage()
    assert img.save(str(path))
    return img


def test_screenshots_light_and_dark_small_and_large(window, qtbot, tmp_path):
    """The window with the panel at 1024 x 700 and 1920 x 1080, light and dark (set
    WORKBENCH_SCREENSHOT_DIR to keep the PNGs and look at them)."""
    from PySide6.QtWidgets import QApplication

    from workbench.gui.theme import apply_theme

    out = Path(os.environ.get("WORKBENCH_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    panel = _open(window, qtbot, (1024, 700))
    try:
        for size in ((1024, 700), (1920, 1080)):
            window.resize(*size)
            for theme in ("light", "dark"):
                apply_theme(app, theme)
                qtbot.wait(150)
                img = _grab(window, out / f"repsim_{size[0]}x{size[1]}_{theme}.png")
                view = panel.views["AB"].graphics
                corner = view.mapTo(window, view.rect().topLeft())
                bg = QColor(img.pixel(corner.x() + 3, corner.y() + 3))
                assert (bg.lightnessF() < 0.5) == (theme == "dark"), (size, theme, bg.name())
                colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
                assert len(colours) > 50  # not blank
    finally:
        apply_theme(app, "light")
