"""The main window's panel host: opening panels lazily into docks, tracking which one the
user works in, closing them, tabifying and resetting the dock layout."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QWidget

from workbench.gui.jobrunner import JobHandle
from workbench.gui.panel import Panel, deferred_build, listing_for_menus
from workbench.gui.panel_loading import LoadingPlaceholder, PanelImporter, import_panel_factory, learn_imports
from workbench.gui.window_layout import AREAS, LAYOUT_VERSION
from workbench.plugin_api import PluginRecord

if TYPE_CHECKING:  # pragma: no cover
    from PySide6.QtCore import QByteArray, Signal
    from PySide6.QtGui import QAction

    from workbench.gui.jobs_dock import JobsDock
    from workbench.gui.log_dock import LogDock
    from workbench.gui.welcome import WelcomePage


class PanelHostMixin(QMainWindow):
    """Panels in docks.  Part of :class:`workbench.gui.main_window.MainWindow`."""

    if TYPE_CHECKING:  # attributes set by MainWindow.__init__
        records: list[PluginRecord]
        panels: dict[str, Panel]
        docks: dict[str, QDockWidget]
        view_actions: dict[str, QAction]
        welcome: WelcomePage
        log_dock: LogDock
        jobs_dock: JobsDock
        panel_opened: Signal
        _last_panel: str | None
        _default_state: QByteArray
        #: panels being imported in the background: id -> token of that load
        _loading: dict[str, int]
        _load_started: dict[str, float]
        #: panels constructed, their :meth:`Panel.build_in_steps` steps still running (a click)
        _building: dict[str, Panel]
        _ready: list[tuple[str, int, Any]]
        _next_token: int
        _importer: PanelImporter

        def log(self, message: str, level: str = "info", source: str = "") -> None: ...

        def show_error(self, title: str, message: str) -> None: ...

        def export_one_figure(self, fig: Any) -> list[Any]: ...

    def _init_panel_host(self) -> None:
        """Set up the background loading of panels (called by MainWindow.__init__)."""
        self._loading = {}
        self._building: dict[str, Panel] = {}
        self._load_started = {}
        self._ready = []
        self._next_token = 0
        self._importer = PanelImporter(self)
        self._importer.imported.connect(self._imported)

    def record(self, plugin_id: str) -> PluginRecord | None:
        return next((r for r in self.records if r.id == plugin_id), None)

    def show_plugin_error(self, rec: PluginRecord) -> None:
        last = rec.error.strip().splitlines()[-1] if rec.error else ""
        message = f"The plugin {rec.name!r} ({rec.source}) could not be loaded.\n\n{last}"
        self.show_error("Plugin failed to load", message + "\n\nThe full traceback is in the log (View > Log).")

    def open_panel(self, plugin_id: str, wait: bool = True) -> Panel | None:
        """Show the panel, building it (and importing its module) on first use.

        ``wait=True`` (sessions, layouts, tests, scripts): import and build now, on this
        thread, and return the panel (None when it could not be opened).  ``wait=False`` (menu
        and welcome-page clicks): the dock appears at once with a "loading" placeholder while
        the module is imported on a background thread (:mod:`workbench.gui.panel_loading`);
        the panel is built on the GUI thread when the import is done, and ``panel_opened`` is
        emitted then.  Returns the panel if it is already built, else None."""
        if plugin_id in self.docks:
            dock = self.docks[plugin_id]
            dock.show()
            dock.raise_()
            self._last_panel = plugin_id
            if wait and plugin_id in self._loading and plugin_id not in self.panels:
                self._build_now(plugin_id)
            return self.panels.get(plugin_id)
        rec = self.record(plugin_id)
        if rec is None or not rec.ok:
            if rec is not None:
                self.show_plugin_error(rec)
            else:
                self.log(f"no plugin with id {plugin_id!r} is installed", "warning", "shell")
            return None
        self._load_started[plugin_id] = time.perf_counter()
        if wait:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                factory = import_panel_factory(rec)
            except Exception:  # noqa: BLE001 - a broken plugin must not break the app
                import traceback

                self._open_failed(rec, traceback.format_exc())
                return None
            finally:
                QApplication.restoreOverrideCursor()
            self._add_dock(rec, LoadingPlaceholder(rec))
            return self._build(rec, factory)
        placeholder = LoadingPlaceholder(rec)
        self._add_dock(rec, placeholder)
        self._next_token += 1
        self._loading[plugin_id] = self._next_token
        self._importer.start(rec, self._next_token)
        return None

    def is_loading(self, plugin_id: str | None = None) -> bool:
        """Whether a panel (``plugin_id``) or any panel is still importing or being built."""
        return plugin_id in self._loading if plugin_id is not None else bool(self._loading)

    def _imported(self, plugin_id: str, token: int, error: str) -> None:
        """An import thread is done (GUI thread): queue the panel to be built."""
        factory = self._importer.factories.pop(token, None)
        if self._loading.get(plugin_id) != token or plugin_id in self.panels:
            return  # closed, reopened or built synchronously meanwhile
        rec = self.record(plugin_id)
        if rec is None:
            return
        if error or factory is None:
            self._loading.pop(plugin_id, None)
            self._open_failed(rec, error or "the import gave no factory")
            return
        self._ready.append((plugin_id, token, factory))
        placeholder = self._placeholder(plugin_id)
        if placeholder is not None:
            placeholder.show_building()
        QTimer.singleShot(0, self._build_next)

    def _build_next(self) -> None:
        """Build one imported panel per event-loop turn, and none while another import is
        running (a constructor importing a module that thread is importing would wait for it)."""
        if not self._ready or self._importer.busy:
            return
        plugin_id, token, factory = self._ready.pop(0)
        rec = self.record(plugin_id)
        if self._loading.get(plugin_id) == token and plugin_id not in self.panels and rec is not None:
            self._build(rec, factory, in_turns=True)
        if self._ready:
            QTimer.singleShot(0, self._build_next)

    def _build_now(self, plugin_id: str) -> None:
        """Finish a panel being loaded in the background, now (a caller needs it)."""
        rec = self.record(plugin_id)
        if rec is None:
            return
        building = self._building.pop(plugin_id, None)
        if building is not None:  # constructed, its steps not all run yet: run the rest now
            modules_before = set(sys.modules)
            t = time.perf_counter()
            try:
                building.finish_build()
            except Exception:  # noqa: BLE001
                self._build_failed(rec, building)
                return
            self._dock_built(rec, building, time.perf_counter() - t, modules_before)
            return
        try:
            factory = import_panel_factory(rec)  # waits for the import thread's lock
        except Exception:  # noqa: BLE001
            import traceback

            self._loading.pop(plugin_id, None)
            self._open_failed(rec, traceback.format_exc())
            return
        self._build(rec, factory)

    def _build_failed(self, rec: PluginRecord, panel: Panel) -> None:
        """A step of a panel's stepped construction raised (called from its ``except``): the
        half-built panel goes, the placeholder and the log say why."""
        import traceback

        self._building.pop(rec.id, None)
        self._loading.pop(rec.id, None)
        self._open_failed(rec, traceback.format_exc())
        panel.deleteLater()

    def _placeholder(self, plugin_id: str) -> LoadingPlaceholder | None:
        dock = self.docks.get(plugin_id)
        widget = dock.widget() if dock is not None else None
        return widget if isinstance(widget, LoadingPlaceholder) else None

    def _open_failed(self, rec: PluginRecord, error: str) -> None:
        """The panel's import or constructor failed: the placeholder (if any) and the log say
        why, and the View menu entry turns into the error."""
        plugin_id = rec.id
        rec.error = error
        act = self.view_actions.get(plugin_id)
        if act is not None:
            act.blockSignals(True)
            act.setChecked(False)
            act.setCheckable(False)
            act.setText(f"\u26a0 {rec.title} (failed to load)")
            act.blockSignals(False)
            act.triggered.connect(lambda _=False, r=rec: self.show_plugin_error(r))
        placeholder = self._placeholder(plugin_id)
        if placeholder is not None:
            placeholder.show_error(rec.title, error)
        self.log(f"panel {plugin_id!r} failed to open:\n{error}", "error", "shell")
        self.show_plugin_error(rec)

    def _add_dock(self, rec: PluginRecord, content: QWidget) -> QDockWidget:
        plugin_id = rec.id
        dock = QDockWidget(rec.title, self)
        dock.setObjectName(f"dock-{plugin_id}")
        dock.setWidget(content)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        if rec.loaded.icon:
            try:
                from workbench_resources import resource_path

                icon_file = resource_path(rec.loaded.icon)
                if icon_file.exists():
                    dock.setWindowIcon(QIcon(str(icon_file)))
            except ImportError:  # pragma: no cover
                pass
        area = AREAS[rec.loaded.dock_area]
        siblings = [d for pid, d in self.docks.items() if self.dockWidgetArea(d) == area and not d.isFloating()]
        self.addDockWidget(area, dock)
        if siblings:
            self.tabifyDockWidget(siblings[-1], dock)
        self.docks[plugin_id] = dock
        act = self.view_actions.get(plugin_id)
        dock.visibilityChanged.connect(lambda vis, pid=plugin_id: self._dock_visibility(pid, vis))
        dock.installEventFilter(self)
        if act is not None:
            act.blockSignals(True)
            act.setChecked(True)
            act.blockSignals(False)
        dock.show()
        dock.raise_()
        self._last_panel = plugin_id
        self._update_central()
        return dock

    def _build(self, rec: PluginRecord, factory: Any, in_turns: bool = False) -> Panel | None:
        """Construct the panel (GUI thread) and put it in its dock in place of the placeholder.

        ``in_turns`` (a click): a panel that hands part of its construction to
        :meth:`Panel.build_in_steps` gets one step per event-loop turn, behind the placeholder,
        and is docked after the last (returns None then; ``panel_opened`` says when)."""
        plugin_id = rec.id
        t_build = time.perf_counter()
        modules_before = set(sys.modules)
        try:
            if in_turns:
                with deferred_build():
                    panel = factory(self)
            else:
                panel = factory(self)
            if not isinstance(panel, Panel):
                raise TypeError(f"{rec.loaded.panel} returned {type(panel).__name__}, not a workbench Panel")
        except Exception:  # noqa: BLE001 - a broken plugin must not break the app
            import traceback

            self._loading.pop(plugin_id, None)
            self._open_failed(rec, traceback.format_exc())
            return None
        built = time.perf_counter() - t_build
        if panel.pending_build is None:
            return self._dock_built(rec, panel, built, modules_before, in_turns)
        self._building[plugin_id] = panel
        longest = [built]  # the longest turn of the construction

        def step() -> None:
            if self._building.get(plugin_id) is not panel:
                return  # finished by _build_now, or closed
            if plugin_id not in self._loading:  # closed (or a session replaced it) meanwhile
                self._building.pop(plugin_id, None)
                panel.shutdown(0)
                panel.deleteLater()
                return
            if panel.pending_build is None:  # all steps ran: dock, in a turn of its own
                self._building.pop(plugin_id, None)
                self._dock_built(rec, panel, longest[0], modules_before, True)
                return
            t = time.perf_counter()
            try:
                next(panel.pending_build)
            except StopIteration:
                # the code after the last yield ran in this turn; the dock's first layout and
                # paint get the next one
                panel.pending_build = None
            except Exception:  # noqa: BLE001
                self._build_failed(rec, panel)
                return
            longest[0] = max(longest[0], time.perf_counter() - t)
            QTimer.singleShot(1, step)  # 1 ms, a timer: 0 would be a posted call run in the same turn

        QTimer.singleShot(1, step)  # 1 ms, a timer: 0 would be a posted call run in the same turn
        return None

    def _dock_built(
        self, rec: PluginRecord, panel: Panel, built: float, modules_before: set[str], in_turns: bool = False
    ) -> Panel:
        """Put a constructed panel in its dock, theme its plots and schedule its start().
        ``built``: the longest turn its construction took on the GUI thread (s); ``in_turns``
        (a click): its plots' first paint is spread over event-loop turns as well."""
        plugin_id = rec.id
        t_build = time.perf_counter() - built
        imported = sorted(set(sys.modules) - modules_before)
        if imported:  # imported on the GUI thread: next time they are imported ahead, off it
            learn_imports(plugin_id, imported)
        self._loading.pop(plugin_id, None)
        dock = self.docks[plugin_id]
        old = dock.widget()
        dock.setWidget(panel)
        if old is not None:
            old.deleteLater()
        self.panels[plugin_id] = panel
        took = time.perf_counter() - self._load_started.pop(plugin_id, t_build)
        self.log(
            f"opened panel {rec.title} in {took:.2f} s (constructor: {built:.2f} s in its longest turn on the GUI "
            "thread)",
            "info",
            "shell",
        )
        if built > 0.1:
            self.log(
                f"the constructor of {rec.loaded.panel} took {built:.2f} s on the GUI thread "
                "(it should be cheap; defer heavy set-up to start() or a job)",
                "debug",
                "shell",
            )
        from workbench.gui.theme import theme_all_plots

        theme_all_plots([panel])  # its pyqtgraph plots in the current theme's colours
        self.install_figure_menus(plugin_id)
        if in_turns:
            from workbench.gui.staged import paint_in_turns

            paint_in_turns(panel)
        panel.idle.connect(lambda pid=plugin_id: self.install_figure_menus(pid))
        panel.figures_changed.connect(lambda pid=plugin_id: self.install_figure_menus(pid))
        panel.start_pending = True
        QTimer.singleShot(0, lambda: self._start_panel(plugin_id))
        self.panel_opened.emit(plugin_id)
        return panel

    def install_figure_menus(self, plugin_id: str) -> list[str]:
        """Give every figure of the panel (``figures()``) a context menu on its widget: Copy
        image, Copy data (CSV), Export… (:mod:`workbench.gui.plot_menu`); figures that appear
        later get it when the panel next becomes idle.  Returns the figures that have it."""
        from workbench.gui.plot_menu import install_plot_context_menu

        panel = self.panels.get(plugin_id)
        if panel is None:
            return []
        try:
            with listing_for_menus():  # a panel may leave out plots not made yet (figures_changed later)
                figures = panel.figures()
        except Exception as exc:  # noqa: BLE001 - a panel not ready for figures() yet
            self.log(f"{plugin_id}: figures() failed ({exc}); no plot menus yet", "debug", "shell")
            return []
        done = []
        for fig in figures:
            if fig.widget is None:
                continue
            widget, name = fig.widget, fig.name

            def current(panel: Panel = panel, widget: QWidget = widget, name: str = name) -> Any:
                figs = [f for f in panel.figures() if f.widget is widget]
                return next((f for f in figs if f.name == name), figs[0] if figs else None)

            if install_plot_context_menu(widget, current, self.export_one_figure):
                done.append(name)
        return done

    def _start_panel(self, plugin_id: str) -> None:
        panel = self.panels.get(plugin_id)
        if panel is None:
            return
        try:
            panel.start_pending = False
            panel.start()
        except Exception as exc:  # noqa: BLE001
            import traceback

            self.log(f"panel {plugin_id} failed to start:\n{traceback.format_exc()}", "error", plugin_id)
            self.show_error(f"{plugin_id}: start-up failed", f"{type(exc).__name__}: {exc}")

    def _toggle_panel(self, plugin_id: str, checked: bool) -> None:
        if checked:
            self.open_panel(plugin_id, wait=False)
        elif plugin_id in self.docks:
            self.docks[plugin_id].hide()
            self._update_central()

    def _sync_action(self, plugin_id: str) -> None:
        act = self.view_actions.get(plugin_id)
        dock = self.docks.get(plugin_id)
        if act is None or dock is None:
            return
        act.blockSignals(True)
        act.setChecked(not dock.isHidden())
        act.blockSignals(False)
        self._update_central()

    def _update_central(self) -> None:
        any_open = any(not d.isHidden() for d in self.docks.values())
        self.welcome.setVisible(not any_open)

    def eventFilter(self, obj: Any, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Close, QEvent.Type.Hide):
            QTimer.singleShot(0, self._update_central)
        return super().eventFilter(obj, event)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        w = new
        while w is not None:
            if isinstance(w, Panel):
                self._last_panel = w.plugin_id
                return
            w = w.parentWidget()

    def _in_front(self, plugin_id: str) -> bool:
        """Whether the panel's dock is shown and not behind another tab of its tab group."""
        dock = self.docks.get(plugin_id)
        return dock is not None and plugin_id in self.panels and dock.isVisible() and not dock.visibleRegion().isEmpty()

    def current_panel(self) -> Panel | None:
        """The panel the user is looking at: the one holding the keyboard focus, else the one
        last focused or brought to the front of its tab group (a tab clicked) if it is still in
        front, else the largest panel in front, else any open one."""
        app = QApplication.instance()
        w = app.focusWidget() if isinstance(app, QApplication) else None
        while w is not None:
            if isinstance(w, Panel) and self.panels.get(w.plugin_id) is w and self._in_front(w.plugin_id):
                return w
            w = w.parentWidget()
        if self._last_panel is not None and self._in_front(self._last_panel):
            return self.panels[self._last_panel]
        in_front = [pid for pid in self.panels if self._in_front(pid)]
        if in_front:

            def area(pid: str) -> int:
                rect = self.docks[pid].visibleRegion().boundingRect()
                return rect.width() * rect.height()

            return self.panels[max(in_front, key=area)]
        for pid, dock in self.docks.items():
            if not dock.isHidden() and pid in self.panels:
                return self.panels[pid]
        return None

    def _dock_visibility(self, plugin_id: str, visible: bool) -> None:
        """A dock came to the front (its tab clicked, or it was shown): the user looks at it."""
        if visible:
            self._last_panel = plugin_id
        self._sync_action(plugin_id)

    def tabify_all(self) -> None:
        docks = [d for d in self.docks.values() if not d.isHidden()]
        for d in docks:
            d.setFloating(False)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
        for d in docks[1:]:
            self.tabifyDockWidget(docks[0], d)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for rec in self.records:
            dock = self.docks.get(rec.id)
            if dock is not None:
                dock.setFloating(False)
                self.addDockWidget(AREAS[rec.loaded.dock_area], dock)
        self.tabify_all()
        self.log_dock.hide()
        self.jobs_dock.hide()
        self._update_central()

    def _close_panels(self, ids: list[str]) -> None:
        for pid in ids:
            self._loading.pop(pid, None)
            building = self._building.pop(pid, None)
            if building is not None:
                building.shutdown(0)
                building.deleteLater()
            self._load_started.pop(pid, None)
            panel = self.panels.pop(pid, None)
            dock = self.docks.pop(pid, None)
            if panel is not None:
                panel.shutdown()
            if dock is not None:
                self.removeDockWidget(dock)
                dock.deleteLater()
            act = self.view_actions.get(pid)
            if act is not None:
                act.blockSignals(True)
                act.setChecked(False)
                act.blockSignals(False)
        self._update_central()

    def running_jobs(self) -> list[JobHandle]:
        jobs: list[JobHandle] = []
        for panel in self.panels.values():
            jobs += [h for h in panel.running_jobs() if not h.is_done]
        return jobs
