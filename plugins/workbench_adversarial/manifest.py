"""Manifest of the PGD attack explorer plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="adversarial",
    title="PGD attack explorer",
    panel="workbench_adversarial.panel:AdversarialPanel",
    cli="workbench_adversarial.cli:register",
    icon="icons/adversarial.svg",
    dock_area="right",
    order=40,
    summary="Adversarial success when the attacker may only perturb a subspace",
)
