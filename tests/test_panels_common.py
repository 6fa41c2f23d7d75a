"""Checks every first-party panel gets for free: it opens in the main window on its embedded
defaults without errors, its start-up jobs finish, every figure exports to PNG/SVG/PDF with its
data, and its state survives a session round trip (JSON) unchanged."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage

from workbench.gui.figures import ExportOptions, export_figure

PANELS = ["quiver", "bundle", "repsim", "adversarial", "diffusion_id", "equivariant", "concepts"]


@pytest.fixture
def window(qtbot):
    from workbench.gui.main_window import MainWindow

    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w
    w.shutdown()


@pytest.mark.parametrize("pid", PANELS)
def test_panel_opens_exports_and_round_trips(window, qtbot, tmp_path, pid):
    panel = window.open_panel(pid)
    assert panel is not None, window.errors_shown
    qtbot.waitUntil(panel.is_idle, timeout=240_000)
    assert not window.errors_shown, window.errors_shown
    figures = panel.figures()
    assert figures, f"{pid} has no exportable figure"
    for fig in figures:
        png = export_figure(fig, tmp_path / f"{fig.name}.png", ExportOptions(fmt="png", width=400, height=300))
        img = QImage(str(png[0]))
        assert (img.width(), img.height()) == (400, 300), fig.name
        svg = export_figure(fig, tmp_path / f"{fig.name}.svg", ExportOptions(fmt="svg", write_data=False))
        ET.parse(svg[0])
        pdf = export_figure(fig, tmp_path / f"{fig.name}.pdf", ExportOptions(fmt="pdf", write_data=False))
        assert pdf[0].read_bytes().startswith(b"%PDF-")
    state = json.loads(json.dumps(panel.state()))
    panel.validate_state(state)
    panel.restore(state)
    qtbot.waitUntil(panel.is_idle, timeout=240_000)
    assert json.loads(json.dumps(panel.state())) == state
    with pytest.raises(ValueError):
        panel.validate_state("not a dict")
