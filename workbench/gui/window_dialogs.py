"""The main window's dialogs: preferences, About, and File > Export figure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication, QMainWindow

from workbench.settings import Preferences, save_preferences

if TYPE_CHECKING:  # pragma: no cover
    from workbench.gui.cluster_status import ClusterStatusWidget
    from workbench.gui.panel import Panel
    from workbench.plugin_api import PluginRecord


class DialogsMixin(QMainWindow):
    """Preferences, About and export.  Part of :class:`workbench.gui.main_window.MainWindow`."""

    if TYPE_CHECKING:  # attributes and methods provided by MainWindow and the other mixins
        prefs: Preferences
        panels: dict[str, Panel]

        def record(self, plugin_id: str) -> PluginRecord | None: ...

        def current_panel(self) -> Panel | None: ...

        def _apply_autosave_interval(self) -> None: ...

        def log(self, message: str, level: str = "info", source: str = "") -> None: ...

        def show_error(self, title: str, message: str) -> None: ...

        cluster_status: ClusterStatusWidget

    def preferences_dialog(self) -> None:
        from workbench.gui.dialogs import PreferencesDialog

        dlg = PreferencesDialog(self.prefs, self)
        if dlg.exec():
            self.set_preferences(dlg.preferences())

    def set_preferences(self, prefs: Preferences) -> None:
        from workbench.gui.theme import apply_theme

        prefs, warnings = prefs.validated()
        for w in warnings:
            self.log(w, "warning", "shell")
        self.prefs = prefs
        save_preferences(prefs)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, prefs.theme)
        self._apply_autosave_interval()
        self._apply_compute_backend()
        self.log(f"preferences: {prefs}", "info", "shell")

    def _apply_compute_backend(self) -> None:
        """The status bar follows Preferences > Compute (connecting in the background)."""
        from workbench import cluster

        try:
            backend = self.prefs.backend()
        except ValueError as exc:  # a scheduler file deleted since it was chosen
            self.log(f"compute backend: {exc}; sweeps run in this process", "warning", "shell")
            backend = cluster.PROCESS
        self.cluster_status.set_backend(backend)

    def about_dialog(self) -> None:
        from workbench.gui.dialogs import AboutDialog, version_report
        from workbench.jobs import JobError, resolve_device

        try:
            device = resolve_device("auto", self.prefs.device)
        except JobError as exc:
            device = f"unavailable ({exc})"
        AboutDialog(version_report(device), self).exec()

    def shortcuts(self) -> list[Any]:
        """Every keyboard shortcut of the menus and the open panels
        (:func:`workbench.gui.shortcuts_dialog.collect_shortcuts`)."""
        from workbench.gui.shortcuts_dialog import collect_shortcuts

        titles = {pid: rec.title for pid in self.panels if (rec := self.record(pid)) is not None}
        return collect_shortcuts(self, dict(self.panels), titles)

    def shortcuts_dialog(self) -> None:
        from workbench.gui.shortcuts_dialog import KeyboardShortcutsDialog

        KeyboardShortcutsDialog(self.shortcuts(), self).exec()

    def export_figure_dialog(self) -> None:
        from workbench.gui.dialogs import export_with_dialog

        panel = self.current_panel()
        if panel is None:
            self.show_error("Nothing to export", "Open a panel first (View menu).")
            return
        rec = self.record(panel.plugin_id)
        title = rec.title if rec is not None else panel.plugin_id
        figures = panel.figures()
        if not figures:
            self.show_error("Nothing to export", f"The panel {title!r} has no figure to export yet.")
            return
        self._exported(export_with_dialog(figures, self.prefs, self, self.show_error, caption=title))

    def export_one_figure(self, fig: Any) -> list[Path]:
        """The export dialog on one figure (a plot's context menu: Export…)."""
        from workbench.gui.dialogs import export_with_dialog

        written = export_with_dialog([fig], self.prefs, self, self.show_error, caption=fig.title or fig.name)
        self._exported(written)
        return written

    def export_figure(self, fig: Any, path: Path, opts: Any) -> list[Path]:
        from workbench.gui.figures import export_figure

        try:
            written = export_figure(fig, path, opts)
        except Exception as exc:  # noqa: BLE001
            self.show_error("Export failed", f"{path}: {exc}")
            return []
        self._exported(written)
        return written

    def _exported(self, written: list[Path]) -> None:
        if written:
            self.log("exported " + ", ".join(str(p) for p in written), "info", "shell")
            self.statusBar().showMessage(f"Exported {written[0]}", 5000)
