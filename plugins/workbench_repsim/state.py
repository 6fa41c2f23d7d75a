"""Qt-free state of the Representation similarity panel, and the job specs it stands for.

Every setting the panel has is one field of :class:`RepsimState` (type, default, range or
choices declared once); the panel binds its widgets to these fields and builds its job specs
with :meth:`RepsimState.heatmap_spec`, :meth:`RepsimState.stitch_spec`,
:meth:`RepsimState.lmc_spec` and :meth:`RepsimState.rotation_spec`, so a session holds
everything needed to recompute what it shows, seeds included.

Versions: 1 is the hand-written ``state()`` of the first panel (models, data, pooling,
measure, samples, minibatch, tab, selected cell, stitching steps, LMC alignment); its jobs
used seed 0 everywhere.  2 adds the seeds (heatmap/cell, stitching, rotation test) and the
rotation test's layer; :func:`upgrade_v1` fills them with what version 1 computed with.
3 adds the heatmaps' colour scale (:data:`COLOUR_SCALES`); version-2 panels coloured each
heatmap by its own data range, which :func:`upgrade_v2` keeps.
"""

from __future__ import annotations

from typing import Any

from workbench.state import Bool, Choice, Int, PanelState, Seed, Str

from .core.measure_names import MEASURE_NAMES
from .core.zoo import DEFAULT_A, DEFAULT_B
from .jobs import (
    HeatmapSpec,
    LMCSpec,
    RotationSpec,
    StitchSpec,
    heatmap_setting_notes,
    lmc_setting_notes,
    own_task_data_note,
)

POOLINGS: tuple[str, ...] = ("mean", "last", "first", "tokens")
#: the panel's tabs, in order (the ``tab`` field is an index into this)
TABS: tuple[str, ...] = ("Heatmaps", "Stitching", "Mode connectivity && rotation")
HEATMAP_PANELS: tuple[str, ...] = ("AA", "AB", "BB")
#: how the side-by-side heatmaps are coloured: "measure" = the measure's own range (CKA on
#: [0, 1]; :data:`workbench_repsim.core.measure_names.MEASURE_RANGES`), "data" = the range of
#: the values shown; either way one scale is shared by every heatmap shown
COLOUR_SCALES: tuple[str, ...] = ("measure", "data")

_SOURCE_TIP = (
    "a zoo model name, a local Hugging Face model folder, a .safetensors model of this plugin "
    "or an .npz of layer activations"
)


def upgrade_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: version-1 jobs ran with seed 0 and the rotation test after hidden layer 1
    (the spin box's first value); an out-of-range or non-integer tab becomes the first tab;
    empty data meant the default data."""
    out = dict(doc)
    out.setdefault("seed", 0)
    out.setdefault("stitch_seed", 0)
    out.setdefault("rotation_seed", 0)
    out.setdefault("rotation_layer", 1)
    tab = out.get("tab", 0)
    if isinstance(tab, bool) or not isinstance(tab, int) or not 0 <= tab < len(TABS):
        out["tab"] = 0
    data = out.get("data")
    if isinstance(data, str) and not data.strip():
        out["data"] = "default"
    return out


def upgrade_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 -> 3: version-2 panels scaled colours to the data shown."""
    return {**doc, "colour_scale": doc.get("colour_scale", "data")}


class RepsimState(PanelState):
    """Settings of the Representation similarity panel (see the module docstring for versions)."""

    PLUGIN = "repsim"
    VERSION = 3
    MIGRATIONS = {1: upgrade_v1, 2: upgrade_v2}

    # ---- what is compared -------------------------------------------------------------
    model_a = Str(DEFAULT_A, max_len=4096, label="model A", tooltip=_SOURCE_TIP)
    model_b = Str(DEFAULT_B, max_len=4096, label="model B", tooltip=_SOURCE_TIP + "; empty: A vs A only")
    data = Str(
        "default",
        max_len=4096,
        label="data",
        tooltip="'default' (the models' own data), a text file (one input per line) or an image folder",
    )
    # ---- heatmaps ---------------------------------------------------------------------
    pooling = Choice(
        "mean",
        choices=POOLINGS,
        label="pooling",
        tooltip="how a sequence becomes one row: mean, last or first token, or every token",
    )
    measure = Choice("cka", choices=MEASURE_NAMES, label="measure")
    max_samples = Int(500, lo=10, hi=100_000, label="samples", tooltip="number of inputs the layers are compared on")
    minibatch = Int(
        0,
        lo=0,
        hi=100_000,
        label="minibatch",
        tooltip="stream minibatch linear CKA (Nguyen et al. 2021) over batches of this many inputs; "
        "activations are never held in full (cell details need it off)",
    )
    colour_scale = Choice(
        "measure",
        choices=COLOUR_SCALES,
        label="colour scale",
        tooltip="one colour scale for every heatmap shown: the measure's own range (CKA on "
        "[0, 1]) or the range of the values shown",
    )
    seed = Seed(
        0,
        label="seed",
        tooltip="random seed of the token rows kept with token pooling (at most 5000) and of the points "
        "drawn in a cell's principal-component scatter",
    )
    # ---- stitching --------------------------------------------------------------------
    stitch_steps = Int(150, lo=10, hi=5000, label="stitching steps", tooltip="training steps of each stitching layer")
    stitch_seed = Seed(
        0, label="stitching seed", tooltip="random seed of the stitching layers' training (initialisation and batches)"
    )
    # ---- mode connectivity and rotation test -------------------------------------------
    lmc_align = Bool(
        True,
        label="permutation-align B to A",
        tooltip="also show the path after aligning B's neurons to A's (digit MLPs)",
    )
    rotation_layer = Int(1, lo=1, hi=2, label="rotation after hidden layer")
    rotation_seed = Seed(0, label="rotation seed", tooltip="random seed of the rotation and of the retraining")
    # ---- view -------------------------------------------------------------------------
    tab = Int(0, lo=0, hi=len(TABS) - 1, label="tab")

    # ---- job specs --------------------------------------------------------------------
    def source_a(self) -> str:
        return self.model_a.strip()

    def source_b(self) -> str:
        return self.model_b.strip()

    def data_source(self) -> str:
        return self.data.strip() or "default"

    def heatmap_spec(self) -> HeatmapSpec:
        """The heatmaps job these settings stand for (A vs A only when model B is empty)."""
        b = self.source_b()
        return HeatmapSpec(
            model_a=self.source_a(),
            model_b=b,
            data=self.data_source(),
            pooling=self.pooling,
            measure=self.measure,
            max_samples=self.max_samples,
            panels=HEATMAP_PANELS if b else ("AA",),
            seed=self.seed,
            minibatch=self.minibatch,
        )

    def stitch_spec(self) -> StitchSpec:
        return StitchSpec(
            self.source_a(), self.source_b(), steps=self.stitch_steps, seed=self.stitch_seed, data=self.data_source()
        )

    def lmc_spec(self) -> LMCSpec:
        return LMCSpec(self.source_a(), self.source_b(), align=self.lmc_align, data=self.data_source())

    def rotation_spec(self) -> RotationSpec:
        return RotationSpec(self.source_a(), self.rotation_layer, seed=self.rotation_seed)

    # ---- settings that will not apply ------------------------------------------------
    def families(self) -> tuple[str, str]:
        """The families of model A and B from their names and files ("" = unknown or none)."""
        from .core.sources import source_family

        b = self.source_b()
        return source_family(self.source_a()), source_family(b) if b else ""

    def setting_notes(self) -> dict[str, list[str]]:
        """Per job ("heatmap", "stitching", "lmc"): the settings that will be clamped or ignored
        for the models chosen, in words, known without loading anything.  A job's result carries
        the full notes once it has run."""
        fa, fb = self.families()
        heat = heatmap_setting_notes(self.heatmap_spec(), {"A": fa, **({"B": fb} if self.source_b() else {})})
        own = "hf" not in (fa, fb) and bool(fa and fb)
        return {
            "heatmap": heat,
            "stitching": own_task_data_note(self.data_source(), "stitching") if own else [],
            "lmc": lmc_setting_notes(self.lmc_spec(), (fa, fb)),
        }
