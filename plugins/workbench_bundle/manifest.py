"""Manifest of the Torus bundle viewer plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="bundle",
    title="Torus bundle viewer",
    panel="workbench_bundle.panel:BundlePanel",
    cli="workbench_bundle.cli:register",
    icon="icons/bundle.svg",
    dock_area="right",
    order=20,
    summary="Line bundles on the 2-torus, Chern numbers, Haldane bundle dataset",
)
