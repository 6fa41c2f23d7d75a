"""The micrograph editing panel's settings as one Qt-free state object (:class:`MicrographState`).

Every setting is a typed field declared once (range, choices, label, tooltip); a panel binds
its widgets to them (:mod:`workbench.gui.binding`) and builds every job spec from the state
(:meth:`MicrographState.data_ref`, :meth:`~MicrographState.model_ref`,
:meth:`~MicrographState.method_config`, :meth:`~MicrographState.edit_spec`,
:meth:`~MicrographState.compare_spec`, :meth:`~MicrographState.alpha_spec`), so a session
reproduces the same jobs.  The defaults are those of the core's configs (a test checks), so
the panel's default edit is the one ``workbench micrograph evaluate`` runs.

Not fields (the panel keeps them itself): the rewrite's painted mask (an image-sized boolean
array, passed to :meth:`~MicrographState.edit_spec`; a kept result of the panel) and the
browser's zoom and selection.

State versions: 1 (this module).
"""

from __future__ import annotations

from typing import Any

from workbench.state import Bool, Choice, Float, Int, PanelState, Seed, Str

from .core.data import DataRef, FolderOptions
from .core.specs import (
    BLOCKS,
    EDITABLE_LAYERS,
    FullFinetune,
    LastLayer,
    LowRank,
    ModelRef,
    OneLI,
    Rewrite,
    RobustnessConfig,
    SurgicalBest,
    SurgicalFinetune,
)
from .jobs import AlphaCurveSpec, CompareSpec, EditSpec

METHOD_NAMES = ("full_ft", "surgical", "surgical_best", "last_layer", "lowrank", "one_li", "rewrite")
CONV_LAYERS = tuple(n for n in EDITABLE_LAYERS if n != "fc")
DEVICES = ("auto", "cpu", "cuda")
CORRECTNESS = ("all", "correct", "wrong")
TABLE_SOURCES = ("edits", "comparison")
#: the panel's tabs, in order
TABS = ("Browser", "Results", "1-LI", "Scatter")


def parse_banner(text: str) -> int | str:
    """The banner setting: ``auto`` or a number of rows >= 0."""
    t = text.strip().lower()
    if t == "auto":
        return "auto"
    try:
        rows = int(t)
    except ValueError:
        raise ValueError(f"give a number of rows or 'auto', got {text!r}") from None
    if rows < 0:
        raise ValueError(f"the banner crop must be >= 0 rows, got {rows}")
    return rows


def parse_domains(text: str) -> tuple[str, ...]:
    """Comma-separated shifted domains (empty: all of them)."""
    return tuple(d.strip() for d in text.split(",") if d.strip())


class MicrographState(PanelState):
    """The micrograph editing panel's settings (see the module docstring)."""

    PLUGIN = "micrograph"
    VERSION = 1

    # ---- data ---------------------------------------------------------------------------
    data_source = Choice(
        "default",
        choices=("default", "folder"),
        label="data",
        tooltip="default: the generated SEM-like micrographs; folder: your image folder",
    )
    folder = Str(
        "",
        label="folder",
        placeholder="folder holding source/ and the shifted domains",
        tooltip="ROOT/source/<class>/*.png, ROOT/aged/<class>/..., or a domains.csv",
    )
    banner = Str(
        "0",
        label="banner",
        parse=parse_banner,
        tooltip="rows of the SEM data banner cropped at the bottom, or 'auto' to detect it",
    )
    tile = Int(0, lo=0, hi=4096, label="tile", tooltip="cut images into square patches of this size (0: whole images)")
    pool = Int(
        10,
        lo=1,
        hi=10_000,
        label="edit pool",
        tooltip="images per class of each shifted domain set aside for edit sets (a folder's split)",
    )
    split_seed = Seed(0, label="split seed", tooltip="seed of a folder's train/val/test and pool/test split")
    # ---- model --------------------------------------------------------------------------
    model_source = Choice(
        "default",
        choices=("default", "file"),
        label="model",
        tooltip="default: the shipped classifier; file: a checkpoint, state dict or TorchScript",
    )
    model_path = Str("", label="model file", placeholder=".safetensors / .pt file")
    width = Int(8, lo=1, hi=512, label="width", tooltip="first-stage channels of a bare state dict's ResNet")
    # ---- edit ---------------------------------------------------------------------------
    method = Choice("lowrank", choices=METHOD_NAMES, label="method", tooltip="the editing method")
    k = Int(
        10,
        lo=1,
        hi=10_000,
        label="edit images / class",
        tooltip="labelled shifted images per class and domain in the edit set (never in a test set)",
    )
    domains = Str(
        "",
        label="shifted domains",
        parse=parse_domains,
        placeholder="all shifted domains",
        tooltip="comma-separated shifted domains the edit set draws from",
    )
    replay = Int(
        10,
        lo=0,
        hi=10_000,
        label="source replay",
        tooltip="source training images per class replayed by gradient-based edits (0: none)",
    )
    seed = Seed(0, label="seed", tooltip="edit set draw and the edit's own randomness")
    ft_steps = Int(FullFinetune.steps, lo=1, hi=100_000, label="steps (full)")
    ft_lr = Float(FullFinetune.lr, lo=1e-6, hi=1.0, decimals=6, step=1e-4, label="lr (full)")
    surgical_block = Choice(
        SurgicalFinetune.layer,
        choices=BLOCKS + EDITABLE_LAYERS,
        label="block / layer",
        tooltip="what surgical fine-tuning may change",
    )
    surgical_steps = Int(SurgicalFinetune.steps, lo=1, hi=100_000, label="steps (surgical)")
    surgical_lr = Float(SurgicalFinetune.lr, lo=1e-6, hi=1.0, decimals=6, step=1e-4, label="lr (surgical)")
    sweep_steps = Int(
        SurgicalBest.sweep_steps,
        lo=1,
        hi=100_000,
        label="sweep steps",
        tooltip="fine-tuning steps per block and fold of the validation sweep",
    )
    last_steps = Int(LastLayer.steps, lo=1, hi=100_000, label="steps (last layer)")
    last_lr = Float(LastLayer.lr, lo=1e-6, hi=1.0, decimals=6, step=1e-3, label="lr (last layer)")
    last_reinit = Bool(LastLayer.reinit, label="re-initialise fc")
    lowrank_layer = Choice(LowRank.layer, choices=EDITABLE_LAYERS, label="layer (low rank)")
    rank = Int(LowRank.rank, lo=1, hi=4096, label="rank r")
    lowrank_steps = Int(LowRank.steps, lo=1, hi=100_000, label="steps (low rank)")
    lowrank_lr = Float(LowRank.lr, lo=1e-6, hi=1.0, decimals=6, step=1e-3, label="lr (low rank)")
    rewrite_layer = Choice(Rewrite.layer, choices=CONV_LAYERS, label="layer (rewrite)")
    rewrite_ridge = Float(
        Rewrite.ridge,
        lo=0.0,
        hi=10.0,
        decimals=5,
        step=1e-3,
        label="ridge",
        tooltip="regulariser of the keys' second-moment matrix, relative to its mean eigenvalue",
    )
    one_li_base = Choice(
        "lowrank",
        choices=tuple(m for m in METHOD_NAMES if m != "one_li"),
        label="1-LI base",
        tooltip="the edit 1-LI interpolates toward (with the settings above)",
    )
    one_li_layer = Choice(
        "auto",
        choices=("auto",) + EDITABLE_LAYERS,
        label="1-LI layer",
        tooltip="auto: the base's layer, or the layer that changed most",
    )
    alpha_auto = Bool(
        True,
        label="automatic alpha",
        tooltip="the smallest alpha reaching 90 % of the edit-set gain (the edit set only)",
    )
    alpha = Float(
        0.5,
        lo=0.0,
        hi=1.0,
        decimals=3,
        step=0.01,
        label="alpha",
        tooltip="1-LI: the interpolated layer is (1 - alpha) W_original + alpha W_edited",
    )
    # ---- robustness and comparison ---------------------------------------------------------
    eps_inf = Float(3.0, lo=0.0, hi=255.0, decimals=2, step=0.5, label="PGD eps l_inf (/255)")
    eps_2 = Float(0.6, lo=0.0, hi=100.0, decimals=3, step=0.05, label="PGD eps l_2")
    pgd_steps = Int(10, lo=1, hi=1000, label="PGD steps")
    n_robust = Int(100, lo=1, hi=100_000, label="attacked images", tooltip="source test images attacked")
    n_corrupt = Int(150, lo=1, hi=100_000, label="corrupted images", tooltip="source test images corrupted")
    seeds = Int(1, lo=1, hi=20, label="seeds", tooltip="seeds of the comparison (spread over seeds)")
    device = Choice("auto", choices=DEVICES, label="device")
    # ---- browser filters ---------------------------------------------------------------------
    filter_class = Str("", label="class filter", placeholder="all classes")
    filter_domain = Str("", label="domain filter", placeholder="all domains")
    filter_correct = Choice("all", choices=CORRECTNESS, label="show")
    # ---- views ---------------------------------------------------------------------------------
    table_source = Choice(
        "edits",
        choices=TABLE_SOURCES,
        label="table",
        tooltip="edits: the unedited model and the last edit of each method run here; "
        "comparison: every method over the seeds",
    )
    tab = Int(0, lo=0, hi=len(TABS) - 1, label="tab")

    def check(self, values: dict[str, Any]) -> None:
        if values["data_source"] == "folder" and not values["folder"].strip():
            raise ValueError("choose the image folder (or switch the data to default)")
        if values["model_source"] == "file" and not values["model_path"].strip():
            raise ValueError("choose the model file (or switch the model to default)")

    # ---- job specs --------------------------------------------------------------------------
    def data_ref(self) -> DataRef:
        if self.data_source == "default":
            return DataRef()
        opts = FolderOptions(banner=parse_banner(self.banner), tile=self.tile, pool=self.pool, seed=self.split_seed)
        return DataRef(kind="folder", path=self.folder.strip(), options=opts)

    def model_ref(self) -> ModelRef:
        if self.model_source == "default":
            return ModelRef()
        return ModelRef(kind="file", path=self.model_path.strip(), width=self.width)

    def robustness(self) -> RobustnessConfig:
        return RobustnessConfig(
            eps_inf=self.eps_inf / 255.0,
            eps_2=self.eps_2,
            steps=self.pgd_steps,
            n_robust=self.n_robust,
            n_corrupt=self.n_corrupt,
        )

    def method_config(self, name: str | None = None, mask: Any = None) -> Any:
        """The config of method ``name`` (default: the chosen one) from the settings; ``mask``:
        the rewrite's painted region (an (H, W) boolean array, None: the whole image)."""
        name = name or self.method
        if name == "full_ft":
            return FullFinetune(steps=self.ft_steps, lr=self.ft_lr)
        if name == "surgical":
            return SurgicalFinetune(layer=self.surgical_block, steps=self.surgical_steps, lr=self.surgical_lr)
        if name == "surgical_best":
            return SurgicalBest(sweep_steps=self.sweep_steps, steps=self.surgical_steps, lr=self.surgical_lr)
        if name == "last_layer":
            return LastLayer(steps=self.last_steps, lr=self.last_lr, reinit=self.last_reinit)
        if name == "lowrank":
            return LowRank(layer=self.lowrank_layer, rank=self.rank, steps=self.lowrank_steps, lr=self.lowrank_lr)
        if name == "rewrite":
            m = None if mask is None else tuple(tuple(bool(v) for v in row) for row in mask)
            return Rewrite(layer=self.rewrite_layer, ridge=self.rewrite_ridge, mask=m)
        if name == "one_li":
            return OneLI(
                base=self.method_config(self.one_li_base, mask),
                layer=None if self.one_li_layer == "auto" else self.one_li_layer,
                alpha=None if self.alpha_auto else self.alpha,
            )
        raise ValueError(f"unknown method {name!r}")

    def edit_spec(self, mask: Any = None) -> EditSpec:
        """The edit these settings describe (and its evaluation)."""
        return EditSpec(
            method=self.method_config(mask=mask),
            data=self.data_ref(),
            model=self.model_ref(),
            k=self.k,
            domains=parse_domains(self.domains),
            replay=self.replay,
            seed=self.seed,
            robustness=self.robustness(),
            device=self.device,
        )

    def compare_spec(self, mask: Any = None) -> CompareSpec:
        """Every method with these settings, over ``seeds`` seeds."""
        methods = tuple(self.method_config(n, mask) for n in METHOD_NAMES)
        return CompareSpec(
            data=self.data_ref(),
            model=self.model_ref(),
            methods=methods,
            seeds=self.seeds,
            k=self.k,
            domains=parse_domains(self.domains),
            replay=self.replay,
            robustness=self.robustness(),
            device=self.device,
        )

    def alpha_spec(self, edited: ModelRef, layer: str) -> AlphaCurveSpec:
        """The 1-LI curve of ``layer`` toward ``edited`` (e.g. an EditResult's ``edited``)."""
        return AlphaCurveSpec(
            edited=edited,
            layer=layer,
            data=self.data_ref(),
            model=self.model_ref(),
            edit_k=self.k,
            domains=parse_domains(self.domains),
            seed=self.seed,
            robustness=self.robustness(),
            device=self.device,
        )
