"""Manifest of the equivariant-layers plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="equivariant",
    title="Permutation-equivariant layers",
    panel="workbench_equivariant.panel:EquivariantPanel",
    cli="workbench_equivariant.cli:register",
    icon="icons/equivariant.svg",
    dock_area="right",
    order=70,
    summary="S_n-equivariant linear layers (R^n)^k -> (R^n)^l in the partition algebra's diagram basis, "
    "with the fast multiplication of arXiv 2303.06208",
)
