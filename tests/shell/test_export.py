"""Figure export to PNG (size, DPI, transparency), SVG and PDF (vector), with the data beside it."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage

from workbench.gui.figures import ExportOptions, export_figure


@pytest.fixture
def figure(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    main_window.docks["sample"].resize(600, 500)
    qtbot.wait(50)
    return panel.figures()[0]


def test_png_size_dpi_and_transparency(figure, tmp_path):
    out = export_figure(figure, tmp_path / "fig.png", ExportOptions(fmt="png", width=640, height=480))
    img = QImage(str(out[0]))
    assert (img.width(), img.height()) == (640, 480)
    out = export_figure(figure, tmp_path / "fig300.png", ExportOptions(fmt="png", dpi=300, transparent=True))
    img = QImage(str(out[0]))
    size = figure.logical_size()
    assert abs(img.width() - size.width() * 300 / 96) <= 1
    assert abs(img.dotsPerMeterX() * 0.0254 - 300) < 1
    assert img.hasAlphaChannel()
    assert img.pixelColor(0, 0).alpha() == 0
    # the curve is drawn: the image is not uniform
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    assert len(np.unique(arr)) > 10


def test_svg_is_vector_and_parses(figure, tmp_path):
    out = export_figure(figure, tmp_path / "fig.svg", ExportOptions(fmt="svg"))
    root = ET.parse(out[0]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # the blue curve through the 20 partial sums is vector drawing: 19 line segments in its pen
    # colour (not an embedded image of the plot)
    blue = []

    def walk(el, stroke=None):
        stroke = el.get("stroke", stroke)
        if el.tag.split("}")[-1] == "polyline" and stroke == "#0000ff":
            blue.append(el)
        for child in el:
            walk(child, stroke)

    walk(root)
    assert len(blue) == 19
    # the title is real text, not pixels
    texts = [el.text.strip() for el in root.iter("{http://www.w3.org/2000/svg}text") if el.text]
    assert "Harmonic partial sums" in texts


def test_pdf_parses(figure, tmp_path):
    out = export_figure(figure, tmp_path / "fig.pdf", ExportOptions(fmt="pdf"))
    data = out[0].read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-64:]
    # exactly one page object (``/Type /Page``, not ``/Type /Pages``)
    assert len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data)) == 1


def test_data_written_beside_figure(figure, tmp_path):
    out = export_figure(figure, tmp_path / "fig.png", ExportOptions(fmt="png"))
    names = {p.name for p in out}
    assert {"fig.png", "fig.data.npz", "fig.data.json", "fig.data.H.csv"} <= names
    with np.load(tmp_path / "fig.data.npz", allow_pickle=False) as npz:
        assert npz["H"][-1] == pytest.approx(sum(1 / k for k in range(1, 21)))
    meta = json.loads((tmp_path / "fig.data.json").read_text())
    assert meta["n"] == 20
    assert meta["_arrays"]["k"]["shape"] == [20]


def test_bad_format_is_refused(figure, tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        export_figure(figure, tmp_path / "fig.bmp", ExportOptions(fmt="bmp"))


def test_export_action_uses_current_panel(main_window, qtbot, tmp_path):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert main_window.current_panel() is panel
    written = main_window.export_figure(panel.figures()[0], tmp_path / "x.svg", ExportOptions(fmt="svg"))
    assert written[0] == tmp_path / "x.svg"
    assert written[0].read_bytes().startswith(b"<?xml")
    assert main_window.export_action.shortcut().toString() == "Ctrl+E"


def test_plain_widget_with_children_exports(qtbot, tmp_path):
    """Composite widgets (a label and a table) paint through QWidget.render in every format."""
    from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

    from workbench.gui.figures import FigureSource

    w = QWidget()
    layout = QVBoxLayout(w)
    layout.addWidget(QLabel("stitching table"))
    table = QTableWidget(2, 2)
    table.setItem(0, 0, QTableWidgetItem("0.123"))
    layout.addWidget(table)
    qtbot.addWidget(w)
    w.resize(320, 200)
    w.show()
    fig = FigureSource("table", widget=w, data=lambda: {"values": [[0.123, 0.0], [0.0, 0.0]]})
    png = export_figure(fig, tmp_path / "t.png", ExportOptions(fmt="png", width=320, height=200))[0]
    img = QImage(str(png))
    assert (img.width(), img.height()) == (320, 200)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    assert len(np.unique(arr)) > 5
    svg = export_figure(fig, tmp_path / "t.svg", ExportOptions(fmt="svg"))[0]
    texts = [el.text.strip() for el in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text") if el.text]
    # the label and the table cell are both written as vector text
    assert "stitching table" in texts
    assert "0.123" in texts
    pdf = export_figure(fig, tmp_path / "t.pdf", ExportOptions(fmt="pdf"))[0]
    assert pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_format_follows_suffix_without_options(figure, tmp_path, suffix):
    """With no options the file's suffix chooses the format (``fig.svg`` is an SVG, not a PNG)."""
    out = export_figure(figure, tmp_path / f"fig.{suffix}")
    assert out[0] == tmp_path / f"fig.{suffix}"
    head = out[0].read_bytes()[:64]
    magic = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}[suffix]
    assert head.startswith(magic), head


def test_no_suffix_and_no_options_is_png(figure, tmp_path):
    out = export_figure(figure, tmp_path / "fig")
    assert out[0] == tmp_path / "fig.png"
    assert out[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_unknown_suffix_without_options_is_refused(figure, tmp_path):
    with pytest.raises(ValueError, match="unknown export format 'bmp'"):
        export_figure(figure, tmp_path / "fig.bmp")


def test_export_dialog_pixel_size_fields_keep_qwidget_size_methods(figure, qtbot, tmp_path):
    """The PNG width/height spin boxes must not be stored as ``self.width``/``self.height``: that hid
    QWidget.width() and height(), so anything asking the dialog its size got a QSpinBox."""
    from workbench.gui.dialogs import ExportDialog
    from workbench.settings import Preferences

    dlg = ExportDialog([figure], Preferences(), str(tmp_path))
    qtbot.addWidget(dlg)
    dlg.resize(500, 300)
    assert isinstance(dlg.width(), int) and isinstance(dlg.height(), int)
    dlg.width_px.setValue(640)
    dlg.height_px.setValue(480)
    _, path, opts = dlg.result_options()
    assert (opts.width, opts.height) == (640, 480) and path.parent == tmp_path


def test_light_colours_from_the_dark_theme(figure, tmp_path, qtbot):
    """In the dark theme, ExportOptions(light=True) exports in the light theme's colours (a
    white plot background), the default exports what is on screen, and the app is dark after."""
    from PySide6.QtWidgets import QApplication

    from workbench.gui.dialogs import ExportDialog
    from workbench.gui.theme import apply_theme, current_theme
    from workbench.settings import Preferences

    app = QApplication.instance()
    apply_theme(app, "dark")
    try:

        def corner(opts: ExportOptions, name: str) -> tuple[int, int, int]:
            img = QImage(str(export_figure(figure, tmp_path / name, opts)[0]))
            c = img.pixelColor(3, 3)
            return c.red(), c.green(), c.blue()

        dark = corner(ExportOptions(fmt="png", width=320, height=240), "dark.png")
        light = corner(ExportOptions(fmt="png", width=320, height=240, light=True), "light.png")
        assert max(dark) < 80, dark
        assert min(light) > 200, light
        assert current_theme() == "dark"
        # the dialog offers it in the dark theme, ticked
        dlg = ExportDialog([figure], Preferences(), str(tmp_path))
        qtbot.addWidget(dlg)
        assert not dlg.light.isHidden() and dlg.result_options()[2].light
    finally:
        apply_theme(app, "light")
    dlg = ExportDialog([figure], Preferences(), str(tmp_path))
    qtbot.addWidget(dlg)
    assert dlg.light.isHidden() and not dlg.result_options()[2].light
