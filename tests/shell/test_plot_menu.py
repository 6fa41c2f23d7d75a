"""Right-click menus on plots (Copy image, Copy data (CSV), Export…), installed by the shell on
every figure a panel returns, driven with real mouse events; and the CSV the data copy writes."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QListWidget, QMenu, QWidget

from workbench.figure_data import figure_data_csv
from workbench.gui.figures import FigureSource
from workbench.gui.plot_menu import install_plot_context_menu


def _popup(qtbot) -> QMenu:
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
    return QApplication.activePopupWidget()


def _right_click_plot(qtbot, plot) -> QMenu:
    centre = plot.viewport().rect().center()
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.RightButton, pos=centre)
    return _popup(qtbot)


def _choose(menu: QMenu, text: str) -> None:
    act = next(a for a in menu.actions() if a.text() == text)
    menu.close()
    act.trigger()


@pytest.fixture
def sample_panel(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    qtbot.waitUntil(lambda: panel.plot.isVisible(), timeout=5000)
    return panel


def test_the_shell_puts_the_menu_on_a_panels_pyqtgraph_plot(sample_panel, qtbot):
    menu = _right_click_plot(qtbot, sample_panel.plot)
    texts = [a.text() for a in menu.actions()]
    assert {"Copy image", "Copy data (CSV)", "Export\u2026"} <= set(texts)
    assert "Export..." not in texts  # pyqtgraph's own exporter (broken SVG) is replaced
    assert "View All" in texts  # pyqtgraph's view-box entries stay
    _choose(menu, "Copy data (CSV)")
    rows = list(csv.reader(io.StringIO(QGuiApplication.clipboard().text())))
    n = sample_panel.state_model.n
    assert rows[0] == ["# n: 20"] and rows[1] == ["k", "H"]
    assert len(rows) == 2 + n
    assert float(rows[-1][1]) == pytest.approx(sum(1 / k for k in range(1, n + 1)))


def test_copy_image_puts_the_plot_on_the_clipboard(sample_panel, qtbot):
    menu = _right_click_plot(qtbot, sample_panel.plot)
    QGuiApplication.clipboard().clear()
    _choose(menu, "Copy image")
    image = QGuiApplication.clipboard().image()
    size = sample_panel.plot.size()
    assert (image.width(), image.height()) == (2 * size.width(), 2 * size.height())
    rgb = image.convertToFormat(image.Format.Format_RGB32)  # kept alive while its bits are read
    pixels = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.sizeInBytes()).copy()
    assert pixels.std() > 0  # not blank


def test_export_from_the_menu_exports_that_figure(sample_panel, qtbot, tmp_path):
    from workbench.gui.dialogs import ExportDialog

    seen = []

    def drive():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, ExportDialog):
            QTimer.singleShot(20, drive)
            return
        seen.append([f.name for f in dlg.figures_list])
        dlg.fmt.setCurrentText("svg")
        dlg.path.setText(str(tmp_path / "plot.svg"))
        dlg.accept()

    menu = _right_click_plot(qtbot, sample_panel.plot)
    QTimer.singleShot(0, drive)
    _choose(menu, "Export\u2026")
    assert seen == [["harmonic"]]
    assert (tmp_path / "plot.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "plot.data.json").exists()


def test_installing_twice_adds_nothing(sample_panel, main_window):
    scene = sample_panel.plot.scene()
    before = list(scene.contextMenu)
    assert main_window.install_figure_menus("sample") == ["harmonic"]
    assert scene.contextMenu == before and len(before) == 3


def test_a_list_gets_a_menu_of_its_own(qtbot):
    lst = QListWidget()
    lst.addItems(["a", "b"])
    qtbot.addWidget(lst)
    lst.resize(200, 120)
    lst.show()
    fig = FigureSource("items", widget=lst, data=lambda: {"x": np.arange(3), "y": np.arange(3) * 0.5})
    assert install_plot_context_menu(lst, fig)
    assert lst.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    pos = QPoint(10, 10)
    QApplication.sendEvent(
        lst.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, lst.viewport().mapToGlobal(pos))
    )
    menu = _popup(qtbot)
    assert [a.text() for a in menu.actions()] == ["Copy image", "Copy data (CSV)"]  # no export callback given
    _choose(menu, "Copy data (CSV)")
    assert QGuiApplication.clipboard().text().splitlines()[:2] == ["x,y", "0,0.0"]


class _Canvas(QWidget):
    """An editor-like widget that uses the right button itself."""

    def mousePressEvent(self, event):
        event.accept()


def test_a_widget_that_handles_the_mouse_is_left_alone(qtbot):
    canvas = _Canvas()
    qtbot.addWidget(canvas)
    assert not install_plot_context_menu(canvas, FigureSource("c", widget=canvas))
    assert canvas.contextMenuPolicy() == Qt.ContextMenuPolicy.DefaultContextMenu


def test_figure_data_csv_columns_blocks_and_values():
    text = figure_data_csv(
        {"title": "A vs B", "x": np.array([1, 2]), "y": [0.5, 0.25], "m": np.eye(2), "info": {"n": 3}}
    )
    lines = text.splitlines()
    assert lines[:2] == ['# title: "A vs B"', '# info: {"n": 3}']
    assert lines[2:5] == ["x,y", "1,0.5", "2,0.25"]
    assert lines[5:] == ["# m (2 x 2)", "1.0,0.0", "0.0,1.0"]
    ragged = figure_data_csv({"a": np.arange(2), "b": np.arange(3)}).splitlines()
    assert ragged == ["# a (2 x 1)", "0", "1", "# b (3 x 1)", "0", "1", "2"]
