"""The torus bundle viewer's settings as one Qt-free state object (:class:`BundleState`).

Every setting of the panel is a typed field declared once here; the parameter sliders take
their ranges from :data:`workbench_bundle.core.models.PARAM_RANGES` (one ``Float`` field per
model parameter, named ``<model>_<parameter>``, e.g. ``haldane_m``).  The panel binds its
widgets to these fields (:mod:`workbench.gui.binding`) and builds every job spec from them
(:meth:`BundleState.view_spec`, :meth:`BundleState.phase_spec`, :meth:`BundleState.dataset_spec`,
:meth:`BundleState.train_spec`), so the same settings give the same spec whether they come from
the widgets or from a session.

State versions
--------------
1. the hand-written ``BundlePanel.state()`` of the first release: ``params`` as
   ``{model: {name: value}}``, ``expressions`` as ``{dx, dy, dz}``, ``grid``, ``dataset_path``
   (re-loaded by its restore, a job started by restore), ``checkpoint`` (the last checkpoint
   used, shipped or not).  Its restore kept a parameter outside the slider's range (the slider
   only showed the end), dataset generation used an unseeded generator, and the size,
   variant, classifier and training settings were not saved.
2. this module: out-of-range values are refused with a message.  The migration from 1 clamps
   parameters to the slider ranges, flattens ``params`` and ``expressions`` into fields, maps
   ``checkpoint`` to the classifier choice (a shipped one by name, another file as a file
   choice) and keeps ``dataset_path`` as :attr:`BundleState.dataset_file`; an out-of-range
   ``tab`` (which version 1 ignored) becomes 0.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from workbench.state import Bool, Choice, Float, Int, PanelState, Seed, StateError, Str

from .core.expressions import parse_expression
from .core.haldane_bundle import VARIANTS
from .core.models import DEFAULT_PARAMS, MODELS, PARAM_RANGES
from .jobs import DatasetSpec, PhaseDiagramSpec, TrainSpec, ViewSpec
from .ui.colors import COLOR_MODES, MODE_TITLES

#: the custom model's own parameters (its expressions may use them), range and default
CUSTOM_PARAM_RANGES: dict[str, tuple[float, float]] = {"u": (-3.0, 3.0)}
CUSTOM_DEFAULTS: dict[str, float] = {"u": 1.0}
#: the custom model's components the panel edits
EXPRESSION_COMPONENTS = ("dx", "dy", "dz")
#: the shipped classifiers (resources/bundle/<arch>.safetensors), then a file of the user's
SHIPPED = ("flux", "cnn", "mlp", "gauge", "gauge-c0", "charge", "subcell")
CLASSIFIERS = (*SHIPPED, "file")
#: the architectures the panel trains (core.classifiers.ARCHITECTURES, without importing torch)
TRAIN_ARCHS = ("flux", "cnn", "mlp", "gauge", "charge", "subcell")
#: the panel's tabs, in order (the ``tab`` field is an index into this)
TABS = ("Torus", "Phase diagram", "Dataset")
#: grid of generated datasets: the one the shipped classifiers were trained on
DATASET_GRID = 32
#: the phase diagram the panel computes: (phi, m) points and the FHS grid at each
PHASE_POINTS, PHASE_GRID = 49, 20


def param_ranges(model: str) -> dict[str, tuple[float, float]]:
    """The slider ranges of ``model``'s parameters (the custom model's are the panel's own)."""
    return dict(CUSTOM_PARAM_RANGES if model == "custom" else PARAM_RANGES[model])


def param_field(model: str, name: str) -> str:
    """The state field of parameter ``name`` of ``model`` (``haldane``, ``t1`` -> ``haldane_t1``)."""
    return f"{model}_{name}"


def _check_expression(text: str) -> Any:
    return parse_expression(text, tuple(CUSTOM_PARAM_RANGES))


class Expression(Str):
    """A component of the custom model: a safe expression of kx, ky (and the custom
    parameters), checked by :func:`workbench_bundle.core.expressions.parse_expression`; the
    empty text is refused too."""

    def __init__(self, default: str, **kw: Any) -> None:
        super().__init__(default, parse=_check_expression, max_len=2000, **kw)

    def coerce(self, value: Any, where: str) -> str:
        value = super().coerce(value, where)
        if not value.strip():
            raise StateError(f"{where}: empty expression: give a formula in kx, ky such as 'sin(kx)'")
        return value


def _clamp(value: Any, lo: float, hi: float) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return value  # not a number: refused with a message by the field
    return min(max(float(value), lo), hi)


def _shipped_name(path: str) -> str | None:
    """The shipped classifier ``path`` names (resources/bundle/<arch>.safetensors), else None."""
    from workbench_resources import resource_path

    p = Path(path)
    if p.suffix == ".safetensors" and p.stem in SHIPPED:
        try:
            if p.resolve().parent == resource_path("bundle").resolve():
                return p.stem
        except OSError:
            return None
    return None


def _from_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2 (see the module docstring)."""
    out = {k: v for k, v in doc.items() if k not in ("params", "expressions", "grid", "dataset_path", "checkpoint")}
    params = doc.get("params", {})
    if isinstance(params, dict):
        for model, values in params.items():
            if model not in MODELS or not isinstance(values, dict):
                continue
            ranges = param_ranges(model)
            for name, value in values.items():
                if name in ranges:  # unknown names: version 1 kept them, no view could use them
                    out[param_field(model, name)] = _clamp(value, *ranges[name])
    exprs = doc.get("expressions", {})
    if isinstance(exprs, dict):
        for comp, src in exprs.items():
            if comp in EXPRESSION_COMPONENTS:
                out[f"expr_{comp}"] = src
    if "grid" in doc:
        out["view_grid"] = doc["grid"]
    if isinstance(doc.get("dataset_path"), str):
        out["dataset_file"] = doc["dataset_path"]
    ckpt = doc.get("checkpoint", "")
    if isinstance(ckpt, str) and ckpt:
        shipped = _shipped_name(ckpt)
        out["classifier"] = shipped or "file"
        if shipped is None:
            out["checkpoint_file"] = ckpt
    tab = out.get("tab", 0)
    if isinstance(tab, bool) or not isinstance(tab, int) or not 0 <= tab < len(TABS):
        out["tab"] = 0
    return out


class BundleState(PanelState):
    """Settings of the torus bundle viewer (plugin ``bundle``).

    The model parameter fields (``haldane_t1`` ... ``custom_u``) are added below from
    :data:`PARAM_RANGES`; :meth:`params` gives a model's as a dict.  ``viewing_sample`` is the
    dataset sample shown on the torus (-1: the model).  ``dataset_seed`` seeds dataset
    generation and ``train_seed`` the classifier's initial weights, split and minibatches: the
    same seeds reproduce the same dataset and the same trained classifier.
    """

    PLUGIN = "bundle"
    VERSION = 2
    MIGRATIONS = {1: _from_v1}

    model = Choice(
        "haldane",
        choices=MODELS,
        label="model",
        tooltip="haldane, Qi-Wu-Zhang, one spin block of Bernevig-Hughes-Zhang, or your own d(k)",
    )
    bhz_spin = Choice(
        "up",
        choices=("up", "down"),
        label="spin block",
        tooltip="the BHZ spin block shown (down is the time-reversal partner: C_down = -C_up)",
    )
    expr_dx = Expression("sin(kx)", label="dx", tooltip="d_x(kx, ky) of the custom model (may use u)")
    expr_dy = Expression("sin(ky)", label="dy", tooltip="d_y(kx, ky) of the custom model (may use u)")
    expr_dz = Expression("u + cos(kx) + cos(ky)", label="dz", tooltip="d_z(kx, ky) of the custom model (may use u)")
    color_mode = Choice(
        "curvature", choices=COLOR_MODES, display=MODE_TITLES, label="colour", tooltip="what colours the torus faces"
    )
    view_grid = Int(
        128, lo=16, hi=512, step=16, label="grid", tooltip="the n x n grid of the torus view and its FHS Chern number"
    )
    winding_labels = Bool(True, label="vortex windings", tooltip="label the zeros of the section with their windings")
    arrows = Bool(False, label="arrows: phase of psi_2", tooltip="arrows showing the phase of the second component")
    viewing_sample = Int(
        -1,
        lo=-1,
        hi=10_000_000,
        label="viewing sample",
        tooltip="the dataset sample shown on the torus (-1: the model)",
    )
    dataset_size = Int(200, lo=5, hi=100_000, label="size", tooltip="samples to generate")
    dataset_variant = Choice(
        "random",
        choices=VARIANTS,
        label="variant",
        tooltip="random: the paper's random pairs, balanced over C = -2..2; simple / intermediate: its fixed families",
    )
    dataset_seed = Seed(0, label="seed", tooltip="seed of dataset generation: the same seed gives the same dataset")
    dataset_file = Str("", label="dataset file", tooltip="the file the dataset was loaded from or saved to")
    classifier = Choice(
        "flux",
        choices=CLASSIFIERS,
        label="classifier",
        display={**{a: f"shipped {a}" for a in SHIPPED}, "file": "checkpoint file…"},
        tooltip="the classifier Predict uses: a shipped one or a checkpoint file",
    )
    checkpoint_file = Str(
        "",
        label="checkpoint",
        placeholder="a .safetensors checkpoint",
        tooltip="the classifier checkpoint (.safetensors with its .json sidecar)",
    )
    train_arch = Choice("flux", choices=TRAIN_ARCHS, label="architecture", tooltip="the classifier trained")
    train_epochs = Int(3, lo=1, hi=200, label="epochs", tooltip="training epochs")
    train_seed = Seed(
        0, label="train seed", tooltip="seed of the initial weights, the train/test split and the minibatch order"
    )
    train_out = Str(
        "",
        label="save to",
        placeholder="temporary (deleted when the panel closes)",
        tooltip="where the trained checkpoint is written; empty: a temporary folder of the panel",
    )
    tab = Int(0, lo=0, hi=len(TABS) - 1, label="tab", tooltip="the tab shown: " + ", ".join(TABS))

    # ---- parameters -------------------------------------------------------------------------
    @classmethod
    def param_names(cls, model: str) -> tuple[str, ...]:
        return tuple(param_ranges(model))

    def params(self, model: str | None = None) -> dict[str, float]:
        """The parameters of ``model`` (default: the current one) by name."""
        model = self.model if model is None else model
        return {name: self.get(param_field(model, name)) for name in self.param_names(model)}

    def clamped(self, name: str, value: float) -> float:
        """``value`` moved into the range of the Float field ``name``."""
        f = self.field(name)
        assert isinstance(f, Float)
        return min(max(float(value), f.lo), f.hi)

    def expressions(self) -> dict[str, str]:
        return {comp: self.get(f"expr_{comp}") for comp in EXPRESSION_COMPONENTS}

    def model_inputs(self) -> tuple[str, ...]:
        """The fields the model view of the current model depends on."""
        names = ["model", *(param_field(self.model, p) for p in self.param_names(self.model))]
        if self.model == "bhz":
            names.append("bhz_spin")
        if self.model == "custom":
            names += [f"expr_{c}" for c in EXPRESSION_COMPONENTS]
        return tuple(names)

    # ---- job specs --------------------------------------------------------------------------
    def model_view_spec(self) -> ViewSpec:
        """The torus view of the current model."""
        exprs = tuple(sorted(self.expressions().items())) if self.model == "custom" else ()
        return ViewSpec(
            source="model",
            model=self.model,
            params=tuple(sorted(self.params().items())),
            expressions=exprs,
            spin=self.bhz_spin if self.model == "bhz" else "up",
            grid=self.view_grid,
        )

    def view_spec(self, dataset: Any = None) -> ViewSpec:
        """The torus view: sample ``viewing_sample`` of ``dataset`` (a HaldaneDataset) when it
        has that sample, else the current model."""
        i = self.viewing_sample
        if dataset is None or not 0 <= i < len(dataset):
            return self.model_view_spec()
        cf = dataset.coef_f[i].ravel()
        return ViewSpec(
            source="sample",
            coef_f_re=tuple(cf.real.tolist()),
            coef_f_im=tuple(cf.imag.tolist()),
            coef_g=tuple(dataset.coef_g[i].ravel().tolist()),
            grid=self.view_grid,
        )

    def phase_spec(self) -> PhaseDiagramSpec:
        """The Haldane phase diagram over (phi, m / t1) at the current t2 / t1."""
        t1, t2 = self.get("haldane_t1"), self.get("haldane_t2")
        return PhaseDiagramSpec(t1=1.0, t2=t2 / max(t1, 1e-9), n_phi=PHASE_POINTS, n_m=PHASE_POINTS, grid=PHASE_GRID)

    def dataset_spec(self) -> DatasetSpec:
        """The dataset Generate makes (balanced over the classes for the random variant)."""
        return DatasetSpec(
            size=self.dataset_size,
            grid=DATASET_GRID,
            seed=self.dataset_seed,
            variant=self.dataset_variant,
            balance=self.dataset_variant == "random",
        )

    def train_spec(self, data: str, out: str) -> TrainSpec:
        """Training on the dataset file ``data``, the checkpoint written to ``out``."""
        return TrainSpec(arch=self.train_arch, data=data, epochs=self.train_epochs, seed=self.train_seed, out=out)

    def train_inputs(self) -> dict[str, Any]:
        """What a classifier trained in the panel depends on (besides the dataset)."""
        return {"arch": self.train_arch, "epochs": self.train_epochs, "seed": self.train_seed}

    def classifier_inputs(self) -> dict[str, Any]:
        """The classifier Predict uses, as plain data (a shipped name, or the file)."""
        if self.classifier == "file":
            return {"classifier": "file", "checkpoint": self.checkpoint_file.strip()}
        return {"classifier": self.classifier, "checkpoint": ""}

    def checkpoint_path(self) -> str:
        """The checkpoint file Predict loads ("" when the file choice has no file yet)."""
        if self.classifier == "file":
            return self.checkpoint_file.strip()
        from workbench_resources import resource_path

        return str(resource_path("bundle", f"{self.classifier}.safetensors"))


def _add_param_fields() -> None:
    """One Float field per model parameter, its range from PARAM_RANGES (declared once there)."""
    for model in MODELS:
        defaults = CUSTOM_DEFAULTS if model == "custom" else DEFAULT_PARAMS[model]
        for name, (lo, hi) in param_ranges(model).items():
            f = Float(
                defaults.get(name, (lo + hi) / 2),
                lo=lo,
                hi=hi,
                decimals=3,
                step=(hi - lo) / 100,
                label=name,
                tooltip=f"{model}: {name} in [{lo:.3g}, {hi:.3g}]",
            )
            fname = param_field(model, name)
            f.__set_name__(BundleState, fname)
            setattr(BundleState, fname, f)


_add_param_fields()
