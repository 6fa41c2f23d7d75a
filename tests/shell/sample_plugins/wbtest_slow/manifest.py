from workbench.plugin_api import PluginManifest

SLOW = PluginManifest(
    id="slow",
    title="Slow (tests)",
    panel="wbtest_slow.panel:SlowPanel",
    dock_area="left",
    summary="imports for 1.5 s",
    needs_torch=False,
)
SLOW_BROKEN = PluginManifest(
    id="slowbroken",
    title="Slow broken (tests)",
    panel="wbtest_slow.broken_panel:Panel",
    dock_area="left",
    summary="fails to import after 0.3 s",
    needs_torch=False,
)
STEPPED = PluginManifest(
    id="stepped",
    title="Stepped (tests)",
    panel="wbtest_slow.stepped_panel:SteppedPanel",
    dock_area="left",
    summary="builds in five 60 ms steps",
    needs_torch=False,
)
