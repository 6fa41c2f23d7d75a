"""Manifest of the micrograph editing plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="micrograph",
    title="Micrograph editing",
    panel="workbench_micrograph.panel:MicrographPanel",
    cli="workbench_micrograph.cli:register",
    icon="icons/micrograph.svg",
    dock_area="right",
    order=50,
    summary="Adapt an SEM micrograph classifier to a distribution shift by model editing; what it costs in robustness",
)
