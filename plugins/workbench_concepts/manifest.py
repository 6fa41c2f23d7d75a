"""Manifest of the concept-attribution plugin (cheap to import: no torch, no Qt).

Headless until its panel is built: jobs and CLI only (``panel=""``)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="concepts",
    title="Concept attribution",
    panel="",
    cli="workbench_concepts.cli:register",
    dock_area="right",
    order=80,
    summary="Where a concept lives (linear probes per layer) and which training examples taught it (TRAK), "
    "after arXiv 2310.03149",
)
