"""Manifest of the Diffusion intrinsic-dimension plugin (cheap to import: no torch, no Qt)."""

from workbench.plugin_api import PluginManifest

MANIFEST = PluginManifest(
    id="diffusion_id",
    title="Diffusion prompt intrinsic dimension",
    panel="workbench_diffusion_id.panel:DiffusionIDPanel",
    cli="workbench_diffusion_id.cli:register",
    icon="icons/diffusion_id.svg",
    dock_area="right",
    order=60,
    summary="Intrinsic dimension of a text-to-image diffusion model's bottleneck and latents per prompt, "
    "against prompt perplexity (arXiv 2302.09301)",
)
