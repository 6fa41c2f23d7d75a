"""Manifest of the Quiver editor plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="quiver",
    title="Quiver editor",
    panel="workbench_quiver.panel:QuiverPanel",
    cli="workbench_quiver.cli:register",
    icon="icons/quiver.svg",
    dock_area="right",
    order=10,
    summary="Draw quivers, click to mutate, identify mutation types exactly",
)
