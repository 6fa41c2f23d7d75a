"""Manifest of the Representation similarity plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="repsim",
    title="Representation similarity",
    panel="workbench_repsim.panel:RepSimPanel",
    cli="workbench_repsim.cli:register",
    icon="icons/repsim.svg",
    dock_area="right",
    order=30,
    summary="CKA, Procrustes, stitching and basis convergence across layers of two models",
)
