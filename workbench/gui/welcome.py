"""The page shown while no panel is open: one card per installed panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from workbench import __version__

if TYPE_CHECKING:  # pragma: no cover
    from workbench.gui.main_window import MainWindow


class WelcomePage(QWidget):
    """Shown while no panel is open: one card per installed panel."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(
            f"<h2>ML research workbench {__version__}</h2>"
            "<p>Open a panel to start. Panels dock, tab and float; the View menu lists them all.</p>"
        )
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        for rec in window.records:
            text = rec.title if rec.ok else f"{rec.title} (failed to load)"
            summary = rec.loaded.summary if rec.ok else "See the log (View > Log) for the error."
            button = QPushButton(f"{text}\n{summary}")
            button.setObjectName(f"welcome-{rec.id}")
            button.setStyleSheet("QPushButton { text-align: left; padding: 10px 14px; font-size: 11pt; }")
            if rec.ok and rec.loaded.icon:
                try:
                    from workbench_resources import resource_path

                    icon_file = resource_path(rec.loaded.icon)
                    if icon_file.exists():
                        button.setIcon(QIcon(str(icon_file)))
                        button.setIconSize(button.iconSize() * 2)
                except ImportError:  # pragma: no cover
                    pass
            if rec.ok:
                button.setToolTip(f"Open the {rec.title} panel")
                button.clicked.connect(lambda _=False, pid=rec.id: window.open_panel(pid, wait=False))
            else:
                button.clicked.connect(lambda _=False, r=rec: window.show_plugin_error(r))
            button.setFixedWidth(640)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
