"""Qt-free state of the permutation-equivariant layers panel, and the job specs it stands for.

Every setting is one field of :class:`EquivariantState` (type, default, range declared once);
the panel binds its widgets to these fields and builds its specs with
:meth:`EquivariantState.check_spec` and :meth:`EquivariantState.timing_spec`, so a session
holds everything needed to recompute what it shows, seeds included.

* k, l, n: the maps (R^n)^{⊗k} -> (R^n)^{⊗l}; their Bell(k + l) diagrams are drawn, so
  1 <= k + l <= :data:`MAX_DRAWN_POINTS`;
* ``selected``: the diagram whose orbit expansion and matrices are shown (its index in
  :func:`~.core.partitions.diagrams`; clamped to the diagrams of the current k, l);
* the equivariance check's seed, permutations, channels and batch (``live``: rerun it when
  they or k, l, n change);
* the timing chart's largest n, channels, batch, repeats and dense-basis memory limit;
* ``tr_*``: the S_n-invariant quiver classifier's training (:mod:`~workbench_equivariant.classifier`);
* ``tab``: the tab shown.

Version 1 (no earlier versions).
"""

from __future__ import annotations

from typing import Any

from workbench.state import Bool, Choice, Float, Int, PanelState, Seed, Str

from .jobs import CheckSpec, TimingSpec, timing_ns

#: the largest k + l whose diagrams the panel draws (Bell(6) = 203; Bell(7) = 877 would not read)
MAX_DRAWN_POINTS = 6
#: the panel's tabs, in order
TABS = ("Diagrams", "Timing", "Train quiver classifier")
#: the training job's devices ("auto": the preferences' device)
DEVICES = ("cpu", "cuda", "auto")


class EquivariantState(PanelState):
    """Settings of the permutation-equivariant layers panel (see the module docstring)."""

    PLUGIN = "equivariant"
    VERSION = 1

    # ---- the space of maps ------------------------------------------------------------------
    k = Int(2, lo=0, hi=MAX_DRAWN_POINTS, label="k (input order)", tooltip="input tensors (R^n)^{⊗k}")
    l = Int(2, lo=0, hi=MAX_DRAWN_POINTS, label="l (output order)", tooltip="output tensors (R^n)^{⊗l}")  # noqa: E741
    n = Int(
        3,
        lo=1,
        hi=256,
        label="n (set size)",
        tooltip="the set size: diagrams with more than n blocks are linearly dependent at this n",
    )
    selected = Int(
        0,
        lo=0,
        hi=202,
        label="selected diagram",
        tooltip="the diagram whose orbit expansion and matrices are shown (click one)",
    )
    # ---- the live equivariance check ---------------------------------------------------------
    live = Bool(
        True, label="live check", tooltip="rerun the equivariance check whenever k, l, n or its settings change"
    )
    seed = Seed(0, label="seed", tooltip="the random layer, input and permutations of the check")
    permutations = Int(3, lo=1, hi=50, label="permutations", tooltip="random permutations tried")
    channels = Int(2, lo=1, hi=16, label="channels", tooltip="the random layer's input and output channels")
    batch = Int(2, lo=1, hi=16, label="batch", tooltip="random inputs per check")
    # ---- the timing chart --------------------------------------------------------------------
    t_n_max = Int(32, lo=2, hi=128, label="largest n", tooltip="the chart measures n = 2, 3, 4, 6, 8, ... up to this")
    t_channels = Int(4, lo=1, hi=64, label="channels", tooltip="input and output channels of the timed layer")
    t_batch = Int(8, lo=1, hi=256, label="batch", tooltip="inputs per product")
    t_repeats = Int(5, lo=1, hi=50, label="repeats", tooltip="timed products per n (the best is plotted)")
    t_dense_mb = Int(
        256,
        lo=8,
        hi=16_384,
        label="dense limit (MB)",
        tooltip="the materialised orbit basis (float32) is built only where it fits in this many MB",
    )
    # ---- the quiver classifier's training ------------------------------------------------------
    tr_epochs = Int(25, lo=1, hi=10_000, label="epochs")
    tr_hidden = Int(32, lo=1, hi=1024, label="hidden channels", tooltip="width of every layer")
    tr_layers = Int(
        3, lo=1, hi=16, label="2 → 2 layers", tooltip="equivariant 2 -> 2 layers before the 2 -> 0 read-out"
    )
    tr_lr = Float(
        3e-3, lo=1e-6, hi=1.0, decimals=6, step=1e-4, label="learning rate", tooltip="peak of the one-cycle schedule"
    )
    tr_batch = Int(256, lo=1, hi=65_536, label="batch size")
    tr_train_limit = Int(
        0,
        lo=0,
        hi=1_000_000,
        label="training quivers",
        tooltip="0: the DirGINE's whole training set (79,135 quivers, 7-10 vertices); else a stratified subset",
    )
    tr_eval_max = Int(20, lo=11, hi=40, label="largest held-out n", tooltip="accuracy measured at n = 11 .. this")
    tr_eval_per_family = Int(400, lo=1, hi=100_000, label="held-out per family", tooltip="quivers per family and size")
    tr_time_budget = Float(
        0.0,
        lo=0.0,
        hi=1e6,
        decimals=0,
        step=60.0,
        label="time budget (s)",
        tooltip="stop after the epoch past it (0: none)",
    )
    tr_seed = Seed(0, label="training seed", tooltip="weights, validation split and batch order")
    tr_device = Choice("cpu", choices=DEVICES, label="device", tooltip="auto: the device of the preferences")
    tr_data = Str(
        "",
        max_len=4096,
        label="training data",
        placeholder="the DirGINE's training set",
        tooltip="a dataset .npz written by 'workbench quiver dataset'; empty: the quiver panel's DirGINE training "
        "set (79,135 quivers on 7-10 vertices, built in a minute)",
    )
    tr_out = Str(
        "",
        max_len=4096,
        label="checkpoint",
        placeholder="no file written",
        tooltip="a .safetensors path for the trained weights (with its provenance JSON); empty: none",
    )
    tab = Int(0, lo=0, hi=len(TABS) - 1, label="tab", tooltip="the tab shown")

    def check(self, values: dict[str, Any]) -> None:
        points = values["k"] + values["l"]
        if points < 1:
            raise ValueError("k + l must be at least 1 (k = l = 0 has only the empty diagram)")
        if points > MAX_DRAWN_POINTS:
            raise ValueError(
                f"k + l = {points}: at most {MAX_DRAWN_POINTS} points are drawn (Bell({points}) diagrams "
                "would not read); use the command line (workbench equivariant dims / check) for larger orders"
            )

    def check_spec(self) -> CheckSpec:
        """The equivariance check these settings stand for (``ValueError`` when n is too large)."""
        spec = CheckSpec(
            k=self.k,
            l=self.l,
            n=self.n,
            seed=self.seed,
            permutations=self.permutations,
            channels=self.channels,
            batch=self.batch,
        )
        spec.validate()
        return spec

    def timing_spec(self) -> TimingSpec:
        """The timing chart these settings stand for (the panel's k and l)."""
        spec = TimingSpec(
            k=self.k,
            l=self.l,
            ns=timing_ns(self.t_n_max),
            channels=self.t_channels,
            batch=self.t_batch,
            repeats=self.t_repeats,
            dense_mb=self.t_dense_mb,
            seed=self.seed,
        )
        spec.validate()
        return spec

    def train_spec(self) -> Any:
        """The training job these settings stand for (a ``TrainQuiverSpec``; the classifier
        module is imported here, not with the panel: it imports torch)."""
        from .classifier import TrainQuiverSpec

        spec = TrainQuiverSpec(
            epochs=self.tr_epochs,
            seed=self.tr_seed,
            hidden=self.tr_hidden,
            layers=self.tr_layers,
            lr=self.tr_lr,
            batch_size=self.tr_batch,
            device=self.tr_device,
            out=self.tr_out.strip(),
            eval_sizes=tuple(range(11, self.tr_eval_max + 1)),
            eval_per_family=self.tr_eval_per_family,
            train_limit=self.tr_train_limit,
            time_budget_s=self.tr_time_budget,
            data=self.tr_data.strip(),
        )
        spec.validate()
        return spec
