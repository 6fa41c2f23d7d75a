"""The shell's export flow (dialog, export, errors) as panels use it: workbench.gui.dialogs.
The modal dialog is driven as a user would: fields set and Save/Cancel pressed while it runs."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from workbench.gui.dialogs import ExportDialog, export_with_dialog
from workbench.gui.figures import FigureSource
from workbench.settings import Preferences


def drive_dialog(path, fmt: str = "png", accept: bool = True, seen: list | None = None) -> None:
    """Once the export dialog is up: choose ``fmt`` and ``path`` and press Save (or Cancel)."""

    def act():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, ExportDialog):
            QTimer.singleShot(20, act)
            return
        if seen is not None:
            seen.append([f.name for f in dlg.figures_list])
        dlg.fmt.setCurrentText(fmt)
        dlg.path.setText(str(path))
        dlg.accept() if accept else dlg.reject()

    QTimer.singleShot(0, act)


@pytest.fixture
def figure(qtbot):
    w = QWidget()
    QVBoxLayout(w).addWidget(QLabel("exported label"))
    qtbot.addWidget(w)
    w.resize(200, 100)
    w.show()
    return FigureSource("label", widget=w, data=lambda: {"x": np.arange(3)})


def test_save_writes_the_chosen_figure_and_its_data(figure, tmp_path):
    errors = []
    drive_dialog(tmp_path / "out.svg", fmt="svg")
    written = export_with_dialog([figure], Preferences(), None, lambda t, m: errors.append((t, m)))
    assert errors == []
    assert written[0] == tmp_path / "out.svg"
    assert written[0].read_bytes().startswith(b"<?xml")
    assert tmp_path / "out.data.npz" in written


def test_cancel_writes_nothing(figure, tmp_path):
    drive_dialog(tmp_path / "out.png", accept=False)
    assert export_with_dialog([figure], Preferences(), None, lambda t, m: None) == []
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_is_reported_not_raised(figure, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    errors = []
    drive_dialog(blocker / "out.png")
    assert export_with_dialog([figure], Preferences(), None, lambda t, m: errors.append((t, m))) == []
    assert len(errors) == 1
    assert errors[0][0] == "Export failed"
    assert str(blocker / "out.png") in errors[0][1]


def test_no_figure_is_reported(tmp_path):
    errors = []
    assert export_with_dialog([], Preferences(), None, lambda t, m: errors.append((t, m))) == []
    assert errors[0][0] == "Nothing to export"


def test_quiver_panel_exports_through_the_shell_flow(make_panel, standalone_shell, qtbot, tmp_path):
    panel = make_panel("quiver")
    qtbot.waitUntil(panel.is_idle, timeout=30000)
    seen = []
    drive_dialog(tmp_path / "quiver.pdf", fmt="pdf", seen=seen)
    panel._export_dialog()
    assert seen[0][0] == "quiver"
    assert (tmp_path / "quiver.pdf").read_bytes().startswith(b"%PDF-")
    blocker = tmp_path / "file"
    blocker.write_text("")
    drive_dialog(blocker / "q.png")
    panel._export_dialog()
    assert [t for t, _ in standalone_shell.errors] == ["Export failed"]


def test_main_window_export_action_uses_the_same_flow(main_window, qtbot, tmp_path):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    drive_dialog(tmp_path / "h.png")
    main_window.export_figure_dialog()
    assert (tmp_path / "h.png").read_bytes().startswith(b"\x89PNG")
    assert main_window.statusBar().currentMessage() == f"Exported {tmp_path / 'h.png'}"
