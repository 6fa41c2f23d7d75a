"""Qt-free state of the concept-attribution panel, and the job specs it stands for.

Every setting is one field of :class:`ConceptsState`; the panel binds its widgets to these
fields and builds its specs with :meth:`ConceptsState.probe_spec` and
:meth:`ConceptsState.attribute_spec`, so a session holds everything needed to recompute what
it shows, seeds included.

* ``ensemble``: a checkpoint written by ``workbench concepts train`` (empty: the shipped
  default ensemble, resources/concepts/);
* ``data``: ``embedded`` (the generated images the ensemble was trained on) or ``folders``:
  ``data_folder``, the task folder (``<class>/*.png``) the ensemble was trained on (empty: where
  its provenance says), and ``concept_folder`` (``positives/``, ``negatives/``), the concept
  ``user``;
* ``concept``, ``layer``: the concept and the layer the sparsity curves and the attribution
  are about (the probe plot shows every layer and both concepts);
* ``n_targets``, ``proj_dim``, ``seed``: the TRAK attribution's budget (Konz et al., arXiv
  2310.03149; TRAK: Park et al., arXiv 2303.14186);
* ``gallery``: how many top- and bottom-attributing training images are shown;
* ``test_image``: the test image of the task whose probe output is attributed on its own
  (Attribute image; pick it in the gallery's row of test images or by its index);
* ``rm_k``, ``rm_members``: the removal experiment (the paper's section 4.3): the k
  top-attributing and, as the control, k random training images removed, the first members
  retrained on what is left, every layer re-probed.

Version 2 (version 1 had no data, data_folder, concept_folder, test_image: their defaults
are the embedded data and test image 0, what version 1 stood for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.state import Choice, Int, PanelState, Seed, Str

from .core.dataset import CONCEPT_KINDS, USER_CONCEPT

if TYPE_CHECKING:
    from .jobs import AttributeSpec, ProbeSpec, RemoveSpec

#: the probed blocks, as :data:`workbench_concepts.core.resnet.LAYERS` (a test checks they agree;
#: not imported from there because that module imports torch, and this one is imported with the panel)
LAYERS: tuple[str, ...] = ("stem", "layer1", "layer2", "layer3", "layer4")


class ConceptsState(PanelState):
    """Settings of the concept-attribution panel (see the module docstring)."""

    PLUGIN = "concepts"
    VERSION = 2
    MIGRATIONS = {1: lambda doc: doc}  # v2 only added fields; their defaults are what v1 meant

    ensemble = Str(
        "",
        max_len=4096,
        label="ensemble",
        placeholder="the shipped default ensemble",
        tooltip="a checkpoint (.safetensors) written by 'workbench concepts train'; empty: the shipped default "
        "(5 small ResNets, resources/concepts/)",
    )
    data = Choice(
        "embedded",
        choices=("embedded", "folders"),
        label="data",
        tooltip="embedded: the generated images (and their two concepts); folders: your own task folder and "
        "concept folder",
    )
    data_folder = Str(
        "",
        max_len=4096,
        label="task folder",
        placeholder="where the ensemble's provenance says",
        tooltip="the images the ensemble was trained on, one sub-folder per class (FOLDER/<class>/*.png); train "
        "one with 'workbench concepts train --data-folder FOLDER --out E.safetensors'",
    )
    concept_folder = Str(
        "",
        max_len=4096,
        label="concept folder",
        placeholder="positives/ and negatives/",
        tooltip="your concept: FOLDER/positives/* and FOLDER/negatives/* (at least 8 of each, one size); "
        "choose concept 'user'",
    )
    concept = Choice(
        "round",
        choices=(*CONCEPT_KINDS, USER_CONCEPT),
        label="concept",
        tooltip="round: object concept (4 of the 10 shape classes); high_frequency: perceptual (texture frequency); "
        "user: the concept folder's positives and negatives",
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
    test_image = Int(
        0,
        lo=0,
        hi=10_000_000,
        label="test image",
        tooltip="index in the task's test set of the image whose probe output Attribute image attributes "
        "(or click one in the gallery's row of test images)",
    )
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

    def folders(self) -> dict[str, str]:
        """The specs' ``data_folder`` and ``concept_folder`` (empty for the embedded data)."""
        if self.data != "folders":
            return {"data_folder": "", "concept_folder": ""}
        return {"data_folder": self.data_folder.strip(), "concept_folder": self.concept_folder.strip()}

    def probe_spec(self) -> ProbeSpec:
        """The probe job these settings stand for (every layer, every concept of the data)."""
        from .jobs import ProbeSpec

        spec = ProbeSpec(ensemble=self.ensemble.strip(), **self.folders())
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
            **self.folders(),
        )
        spec.validate()
        return spec

    def image_spec(self) -> AttributeSpec:
        """The attribution of the probe's output on the chosen test image alone."""
        from .jobs import AttributeSpec

        spec = AttributeSpec(
            concept=self.concept,
            layer=self.layer,
            ensemble=self.ensemble.strip(),
            proj_dim=self.proj_dim,
            top=max(100, self.gallery),
            seed=self.seed,
            test_image=self.test_image,
            **self.folders(),
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
            **self.folders(),
        )
        spec.validate()
        return spec
