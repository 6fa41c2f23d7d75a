"""The shell's dialogs: Preferences, About, and the figure-export dialog."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from pathlib import Path

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench import DISTRIBUTION, __version__
from workbench.gui.figures import ExportOptions, FigureSource
from workbench.gui.theme import current_theme
from workbench.settings import DEVICES, EXPORT_FORMATS, THEMES, Preferences


class ComputeBox(QGroupBox):
    """Preferences > Compute: where sweeps run: this process, a local cluster of N worker
    processes, or a Dask scheduler (``tcp://HOST:PORT`` or a scheduler file; docs/cluster.md).
    :meth:`check` says what is wrong with the address in the box's own message line."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__("Compute (where sweeps run)", parent)
        self.setObjectName("prefs-compute")
        self.process = QRadioButton("This process")
        self.process.setToolTip("Sweeps run on the panel's thread or worker process, one cell after another.")
        self.local = QRadioButton("Local cluster with")
        self.local.setToolTip("A Dask LocalCluster of worker processes on this machine, one thread each.")
        self.workers = QSpinBox()
        self.workers.setObjectName("prefs-local-workers")
        self.workers.setRange(1, 256)
        self.workers.setSuffix(" workers")
        self.workers.setValue(prefs.local_workers)
        self.scheduler = QRadioButton("Dask scheduler")
        self.scheduler.setToolTip("A cluster you started (dask scheduler / dask worker, dask-jobqueue, ...).")
        self.address = QLineEdit(prefs.scheduler)
        self.address.setObjectName("prefs-scheduler-address")
        self.address.setPlaceholderText("tcp://HOST:8786 or a scheduler file")
        self.address.setMinimumWidth(280)
        self.browse = QPushButton("Browse…")
        self.browse.setToolTip("Choose the JSON file written by dask scheduler --scheduler-file")
        self.browse.clicked.connect(self._browse)
        self.message = QLabel("")
        self.message.setObjectName("prefs-compute-message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d04040;")
        self.message.hide()
        grid = QVBoxLayout(self)
        grid.addWidget(self.process)
        row = QHBoxLayout()
        row.addWidget(self.local)
        row.addWidget(self.workers)
        row.addStretch(1)
        grid.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.scheduler)
        row.addWidget(self.address, 1)
        row.addWidget(self.browse)
        grid.addLayout(row)
        grid.addWidget(self.message)
        {"local": self.local, "scheduler": self.scheduler}.get(prefs.compute, self.process).setChecked(True)
        for w in (self.process, self.local, self.scheduler):
            w.toggled.connect(self._update)
        self.address.textChanged.connect(lambda _t: self.message.hide())
        self._update()

    def compute(self) -> str:
        """The choice: "process", "local" or "scheduler"."""
        return "local" if self.local.isChecked() else "scheduler" if self.scheduler.isChecked() else "process"

    def _update(self) -> None:
        self.workers.setEnabled(self.local.isChecked())
        self.address.setEnabled(self.scheduler.isChecked())
        self.browse.setEnabled(self.scheduler.isChecked())
        self.message.hide()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Dask scheduler file", self.address.text(), "JSON (*.json);;All (*)"
        )
        if path:
            self.address.setText(path)

    def check(self, prefs: Preferences) -> bool:
        """True if ``prefs``' compute backend can be used; else False with the reason shown."""
        try:
            prefs.backend()
        except ValueError as exc:
            self.message.setText(str(exc))
            self.message.show()
            self.address.setFocus()
            return False
        self.message.hide()
        return True


class PreferencesDialog(QDialog):
    """Device (auto/CPU/CUDA), torch threads, default export format and DPI, theme, autosave,
    compute backend (:class:`ComputeBox`; OK refuses a bad scheduler address with its reason)."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        form = QFormLayout(self)
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(prefs.device)
        self.device.setToolTip("auto: CUDA when available, else CPU. Applies to jobs started from now on.")
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("torch default")
        self.threads.setValue(prefs.threads)
        self.export_format = QComboBox()
        self.export_format.addItems(list(EXPORT_FORMATS))
        self.export_format.setCurrentText(prefs.export_format)
        self.export_dpi = QSpinBox()
        self.export_dpi.setRange(30, 2400)
        self.export_dpi.setValue(prefs.export_dpi)
        self.theme = QComboBox()
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(prefs.theme)
        self.autosave = QSpinBox()
        self.autosave.setRange(0, 86400)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("off")
        self.autosave.setValue(prefs.autosave_seconds)
        form.addRow("Device", self.device)
        form.addRow("Threads", self.threads)
        form.addRow("Export format", self.export_format)
        form.addRow("Export DPI", self.export_dpi)
        form.addRow("Theme", self.theme)
        form.addRow("Autosave every", self.autosave)
        self.compute = ComputeBox(prefs)
        form.addRow(self.compute)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        """OK: closes only when the compute backend is usable (else its reason stays shown)."""
        if self.compute.check(self.preferences()):
            super().accept()

    def preferences(self) -> Preferences:
        return Preferences(
            device=self.device.currentText(),
            threads=self.threads.value(),
            export_format=self.export_format.currentText(),
            export_dpi=self.export_dpi.value(),
            theme=self.theme.currentText(),
            autosave_seconds=self.autosave.value(),
            compute=self.compute.compute(),
            local_workers=self.compute.workers.value(),
            scheduler=self.compute.address.text().strip(),
        )


def version_report(active_device: str) -> dict[str, str]:
    """Versions shown by Help > About (imports torch: call it when the user asks)."""
    info = {
        "Workbench": f"{__version__} ({DISTRIBUTION})",
        "Python": sys.version.split()[0],
        "Platform": platform.platform(),
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
    }
    try:
        import torch

        info["torch"] = torch.__version__
        cuda = torch.cuda.is_available()
        info["CUDA available"] = "yes" if cuda else "no"
        if cuda:
            info["CUDA device"] = torch.cuda.get_device_name(0)
            info["CUDA version"] = str(torch.version.cuda)
        info["torch threads"] = str(torch.get_num_threads())
    except ImportError:
        info["torch"] = "not installed"
    info["Active device"] = active_device
    for mod in ("numpy", "pyqtgraph", "vispy", "torch_geometric", "networkx", "captum"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "?")
        except Exception:  # noqa: BLE001 - an optional library that fails to import is reported as such
            info[mod] = "not available"
    return info


class AboutDialog(QDialog):
    def __init__(self, info: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About the workbench")
        layout = QVBoxLayout(self)
        title = QLabel(
            f"<h3>ML research workbench {__version__}</h3>"
            "<p>Analysis workbench for machine-learning research on mathematical and scientific data.</p>"
        )
        title.setWordWrap(True)
        layout.addWidget(title)
        form = QFormLayout()
        for k, v in info.items():
            label = QLabel(v)
            label.setObjectName(f"about-{k}")
            form.addRow(k, label)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.info = info


class ExportDialog(QDialog):
    """Chooses figure, file, format, DPI or pixel size, transparency and whether to write the data."""

    def __init__(
        self,
        figures: list[FigureSource],
        prefs: Preferences,
        directory: str,
        parent: QWidget | None = None,
        caption: str = "",
    ) -> None:
        super().__init__(parent)
        # caption: what the figures belong to (the panel's title), shown in the window title
        self.setWindowTitle(f"Export figure \u2014 {caption}" if caption else "Export figure")
        self.figures_list = figures
        form = QFormLayout(self)
        self.figure = QComboBox()
        self.figure.setObjectName("export-figure-chooser")
        for f in figures:
            self.figure.addItem(f"{f.title}  ({f.name})" if f.title and f.title != f.name else f.name)
        self.figure.setEnabled(len(figures) > 1)
        self.figure.setToolTip(f"{len(figures)} figure(s) to choose from" + (f" in {caption}" if caption else ""))
        self.fmt = QComboBox()
        self.fmt.addItems(list(EXPORT_FORMATS))
        self.fmt.setCurrentText(prefs.export_format)
        self.path = QLineEdit(str(Path(directory) / f"{figures[0].name}.{prefs.export_format}"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.dpi = QSpinBox()
        self.dpi.setRange(30, 2400)
        self.dpi.setValue(prefs.export_dpi)
        # width_px / height_px: self.width and self.height would hide QWidget.width() and height()
        self.width_px = QSpinBox()
        self.width_px.setRange(0, 20000)
        self.width_px.setSpecialValueText("from DPI")
        self.height_px = QSpinBox()
        self.height_px.setRange(0, 20000)
        self.height_px.setSpecialValueText("from DPI")
        self.transparent = QCheckBox("Transparent background")
        self.light = QCheckBox("Light colours (white background) although the app is dark")
        self.light.setToolTip("For papers and slides: the figure is drawn in the light theme for the export")
        self.light.setChecked(True)
        self.light.setVisible(current_theme() == "dark")
        self.write_data = QCheckBox("Write the figure's data beside it (NPZ/JSON/CSV)")
        self.write_data.setChecked(True)
        form.addRow("Figure", self.figure)
        form.addRow("Format", self.fmt)
        form.addRow("File", row)
        form.addRow("DPI (PNG)", self.dpi)
        form.addRow("Width px (PNG)", self.width_px)
        form.addRow("Height px (PNG)", self.height_px)
        form.addRow(self.transparent)
        form.addRow(self.light)
        form.addRow(self.write_data)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.fmt.currentTextChanged.connect(self._fmt_changed)
        self.figure.currentIndexChanged.connect(self._figure_changed)

    def _figure_changed(self, index: int) -> None:
        p = Path(self.path.text())
        self.path.setText(str(p.with_name(f"{self.figures_list[index].name}{p.suffix}")))

    def _fmt_changed(self, fmt: str) -> None:
        self.path.setText(str(Path(self.path.text()).with_suffix("." + fmt)))
        for w in (self.dpi, self.width_px, self.height_px):
            w.setEnabled(fmt == "png")

    def _browse(self) -> None:
        fmt = self.fmt.currentText()
        path, _ = QFileDialog.getSaveFileName(self, "Export figure", self.path.text(), f"{fmt.upper()} (*.{fmt})")
        if path:
            self.path.setText(path)

    def result_options(self) -> tuple[FigureSource, Path, ExportOptions]:
        opts = ExportOptions(
            fmt=self.fmt.currentText(),
            dpi=self.dpi.value(),
            width=self.width_px.value(),
            height=self.height_px.value(),
            transparent=self.transparent.isChecked(),
            write_data=self.write_data.isChecked(),
            light=current_theme() == "dark" and self.light.isChecked(),
        )
        return self.figures_list[self.figure.currentIndex()], Path(self.path.text()), opts


def export_with_dialog(
    figures: list[FigureSource],
    prefs: Preferences,
    parent: QWidget | None,
    show_error: Callable[[str, str], None],
    directory: str | Path | None = None,
    caption: str = "",
) -> list[Path]:
    """File > Export figure for any host (the main window, a panel's own button): the
    :class:`ExportDialog` on ``figures``, then :func:`workbench.gui.figures.export_figure` of
    the chosen one.  Returns the files written; ``[]`` when there is nothing to export, when
    the user cancels, or when the export fails (then ``show_error("Export failed", ...)`` names
    the file and the reason; nothing is raised)."""
    from workbench.gui.figures import export_figure

    if not figures:
        show_error("Nothing to export", "There is no figure to export yet.")
        return []
    dlg = ExportDialog(figures, prefs, str(directory if directory is not None else Path.cwd()), parent, caption)
    if not dlg.exec():
        return []
    fig, path, opts = dlg.result_options()
    try:
        return export_figure(fig, path, opts)
    except Exception as exc:  # noqa: BLE001 - an export failure must never kill the app
        show_error("Export failed", f"{path}: {exc}")
        return []
