"""Qt-free state of the concept-attribution panel, and the job specs it stands for.

Every setting is one field of :class:`ConceptsState`; the panel binds its widgets to these
fields and builds its specs with :meth:`ConceptsState.probe_spec` and
:meth:`ConceptsState.attribute_spec`, so a session holds everything needed to recompute what
it shows, seeds included.

* ``ensemble``: a checkpoint written by ``workbench concepts train`` (empty: the shipped
  default ensemble, resources/concepts/);
* ``concept``, ``layer``: the concept and the layer the sparsity curves and the attribution
  are about (the probe plot shows every layer and both concepts);
* ``n_targets``, ``proj_dim``, ``seed``: the TRAK attribution's budget (Konz et al., arXiv
  2310.03149; TRAK: Park et al., arXiv 2303.14186);
* ``gallery``: how many top- and bottom-attributing training images are shown;
* ``rm_k``, ``rm_members``: the removal experiment (the paper's section 4.3): the k
  top-attributing and, as the control, k random training images removed, the first members
  retrained on what is left, every layer re-probed.

Version 1 (no earlier versions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.state import Choice, Int, PanelState, Seed, Str

from .core.dataset import CONCEPT_KINDS

if TYPE_CHECKING:
    from .jobs import AttributeSpec, ProbeSpec, RemoveSpec

#: the probed blocks, as :data:`workbench_concepts.core.resnet.LAYERS` (a test checks they agree;
#: not imported from there because that module imports torch, and this one is imported with the panel)
LAYERS: tuple[str, ...] = ("stem", "layer1", "layer2", "layer3", "layer4")


class ConceptsState(PanelState):
    """Settings of the concept-attribution panel (see the module docstring)."""

    PLUGIN = "concepts"
    VERSION = 1

    ensemble = Str(
        "",
        max_len=4096,
        label="ensemble",
        placeholder="the shipped default ensemble",
        tooltip="a checkpoint (.safetensors) written by 'workbench concepts train'; empty: the shipped default "
        "(5 small ResNets, resources/concepts/)",
    )
    concept = Choice(
        "round",
        choices=tuple(CONCEPT_KINDS),
        label="concept",
        tooltip="round: object concept (4 of the 10 shape classes); high_frequency: perceptual (texture frequency)",
    )
    layer = Choice(
        "layer4",
        choices=LAYERS,
        label="layer",
        tooltip="the block whose pooled output is probed (sparsity curves, attribution)",
    )
    n_targets = Int(
        20,
        lo=1,
        hi=10_000,
        label="targets",
        tooltip="held-out concept positives whose probe output is attributed (scores averaged over them)",
    )
    proj_dim = Int(128, lo=8, hi=8192, label="projection dim", tooltip="TRAK's random projection dimension")
    seed = Seed(0, label="seed", tooltip="TRAK's random projection")
    gallery = Int(8, lo=1, hi=32, label="images shown", tooltip="top- and bottom-attributing training images shown")
    rm_k = Int(
        300,
        lo=1,
        hi=10_000_000,
        label="images removed (k)",
        tooltip="the k top-attributing training images removed (and, as the control, k random ones)",
    )
    rm_members = Int(
        3, lo=2, hi=100, label="members retrained", tooltip="the first members, retrained with their seeds per arm"
    )

    def probe_spec(self) -> ProbeSpec:
        """The probe job these settings stand for (every layer, both concepts)."""
        from .jobs import ProbeSpec

        spec = ProbeSpec(ensemble=self.ensemble.strip())
        spec.validate()
        return spec

    def attribute_spec(self) -> AttributeSpec:
        """The attribution job of the chosen concept and layer (``ValueError`` when invalid)."""
        from .jobs import AttributeSpec

        spec = AttributeSpec(
            concept=self.concept,
            layer=self.layer,
            ensemble=self.ensemble.strip(),
            n_targets=self.n_targets,
            proj_dim=self.proj_dim,
            top=max(100, self.gallery),
            seed=self.seed,
        )
        spec.validate()
        return spec

    def remove_spec(self) -> RemoveSpec:
        """The removal experiment of the chosen concept and layer (``ValueError`` when invalid)."""
        from .jobs import RemoveSpec

        spec = RemoveSpec(
            concept=self.concept,
            layer=self.layer,
            k=self.rm_k,
            ensemble=self.ensemble.strip(),
            members=self.rm_members,
            n_targets=self.n_targets,
            proj_dim=self.proj_dim,
            seed=self.seed,
        )
        spec.validate()
        return spec
