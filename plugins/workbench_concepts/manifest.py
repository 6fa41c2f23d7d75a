"""Manifest of the concept-attribution plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="concepts",
    title="Concept attribution",
    panel="workbench_concepts.panel:ConceptsPanel",
    cli="workbench_concepts.cli:register",
    icon="icons/concepts.svg",
    dock_area="right",
    order=80,
    summary="Where a concept lives (linear probes per layer) and which training examples taught it (TRAK), "
    "after arXiv 2310.03149",
)
