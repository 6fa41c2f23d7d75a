from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="sample",
    title="Sample (tests)",
    panel="wbtest_sample.panel:SamplePanel",
    cli="wbtest_sample.cli:register",
    dock_area="left",
    summary="test plugin",
    needs_torch=False,
)
