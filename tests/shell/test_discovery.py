"""Plugin discovery through the entry-point group, including a broken plugin."""

from workbench.plugin_api import PluginManifest, discover_plugins


def test_first_party_plugins_register_through_entry_points():
    records = {r.id: r for r in discover_plugins()}
    for pid in ("quiver", "bundle", "repsim", "adversarial"):
        assert pid in records, f"plugin {pid} not discovered"
        assert isinstance(records[pid].manifest, PluginManifest)


def test_broken_plugin_is_reported_not_raised(sample_plugins):
    records = {r.name: r for r in discover_plugins()}
    assert records["sample"].ok
    broken = records["broken"]
    assert not broken.ok
    assert "this_module_does_not_exist" in broken.error


def test_manifest_validation():
    import pytest

    with pytest.raises(ValueError, match="dock_area"):
        PluginManifest(id="x", title="X", panel="a:b", dock_area="middle")
    with pytest.raises(ValueError, match="module:callable"):
        PluginManifest(id="x", title="X", panel="nocolon")
    with pytest.raises(ValueError, match="order must be an integer"):
        PluginManifest(id="x", title="X", panel="a:b", order="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="order must be an integer"):
        PluginManifest(id="x", title="X", panel="a:b", order=True)


# manifests loaded through real entry points (``module:attr``) by the order test below
LATE = PluginManifest(id="alpha", title="Alpha", panel="a:b", order=500)
EARLY = PluginManifest(id="zulu", title="Zulu", panel="a:b", order=-5)
PLAIN_B = PluginManifest(id="bravo", title="Bravo", panel="a:b")
PLAIN_C = PluginManifest(id="charlie", title="Charlie", panel="a:b")


def test_plugins_are_listed_by_manifest_order_then_id(monkeypatch):
    from importlib.metadata import EntryPoint

    from workbench import plugin_api
    from workbench.plugin_api import DEFAULT_ORDER, ENTRY_POINT_GROUP

    # discovery trusts the packages it loads manifests from (sessions may rebuild their
    # dataclasses); this module's package must not stay trusted after the test
    monkeypatch.setattr(plugin_api, "TRUSTED_PACKAGES", set(getattr(plugin_api, "TRUSTED_PACKAGES", ())), raising=False)

    eps = [
        EntryPoint(name, f"{__name__}:{name}", ENTRY_POINT_GROUP) for name in ("LATE", "PLAIN_C", "EARLY", "PLAIN_B")
    ]
    eps.append(EntryPoint("delta", "wbtest_no_such_module:MANIFEST", ENTRY_POINT_GROUP))  # fails: default order
    records = discover_plugins(eps)
    assert [r.id for r in records] == ["zulu", "bravo", "charlie", "delta", "alpha"]
    assert not records[3].ok and PLAIN_B.order == DEFAULT_ORDER


def test_first_party_menu_order_comes_from_the_manifests():
    from workbench.plugin_api import DEFAULT_ORDER

    first_party = ("quiver", "bundle", "repsim", "adversarial", "micrograph")
    records = [r for r in discover_plugins() if r.id in first_party]
    assert [r.id for r in records] == list(first_party)
    orders = [r.loaded.order for r in records]
    assert orders == sorted(orders) and len(set(orders)) == len(first_party) and max(orders) < DEFAULT_ORDER


def test_menus_do_not_import_torch():
    """Building the plugin list and the CLI parser must not import torch (cold start)."""
    import subprocess
    import sys

    code = (
        "import sys; from workbench.plugin_api import discover_plugins; discover_plugins(); "
        "from workbench.cli import build_parser; build_parser(); "
        "import workbench.gui.main_window; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_broken_plugin_in_view_menu_and_log(main_window, qtbot):
    act = main_window.view_actions["broken"]
    assert "failed to load" in act.text()
    assert any("this_module_does_not_exist" in e[3] for e in main_window.log_dock.entries)
    # the rest keeps working
    panel = main_window.open_panel("sample")
    assert panel is not None
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert panel.sums and abs(panel.sums[-1] - sum(1 / k for k in range(1, 21))) < 1e-12
    act.trigger()  # shows the error (non-interactive: recorded, no dialog)
    assert main_window.errors_shown and "broken" in main_window.errors_shown[-1][1]


def test_welcome_page_opens_panels(main_window, qtbot):
    from PySide6.QtWidgets import QPushButton

    assert main_window.welcome.isVisible()
    button = main_window.welcome.findChild(QPushButton, "welcome-sample")
    button.click()
    assert "sample" in main_window.docks  # at once (a placeholder while its module imports)
    qtbot.waitUntil(lambda: "sample" in main_window.panels, timeout=10000)
    qtbot.waitUntil(main_window.panels["sample"].is_idle, timeout=10000)
    assert not main_window.welcome.isVisible()  # docks take the whole window
    main_window.view_actions["sample"].setChecked(False)  # View menu hides it again
    assert main_window.docks["sample"].isHidden()
    qtbot.waitUntil(main_window.welcome.isVisible, timeout=2000)


def test_about_reports_versions(main_window):
    import platform

    from PySide6.QtCore import qVersion

    from workbench.gui.dialogs import AboutDialog, version_report

    info = version_report("cpu")
    assert info["Python"] == platform.python_version()
    assert info["Qt"] == qVersion()
    import torch

    assert info["torch"] == torch.__version__
    assert info["CUDA available"] in ("yes", "no") and info["Active device"] == "cpu"
    dlg = AboutDialog(info, main_window)
    assert dlg.info is info


def test_preferences_dialog_round_trip(main_window):
    from workbench.gui.dialogs import PreferencesDialog
    from workbench.settings import Preferences

    prefs = Preferences(device="cpu", threads=2, export_format="pdf", export_dpi=600, theme="dark", autosave_seconds=30)
    dlg = PreferencesDialog(prefs, main_window)
    assert dlg.preferences() == prefs


def test_headless_plugins_are_not_listed_in_the_window(qtbot):
    from workbench.gui.main_window import MainWindow
    from workbench.plugin_api import PluginManifest, PluginRecord

    headless = PluginRecord(name="h", manifest=PluginManifest(id="h", title="Headless", panel="", cli="x.cli:register"))
    broken = PluginRecord(name="b", error="ImportError: no module b")
    window = MainWindow([headless, broken], interactive=False, restore_layout=False)
    qtbot.addWidget(window)
    assert [r.id for r in window.records] == ["b"]  # a broken plugin is still shown, marked
    assert "view-h" not in {a.objectName() for a in window.view_menu.actions()}
    window.shutdown()
