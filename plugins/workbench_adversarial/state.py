"""The PGD attack explorer's settings as one Qt-free state object (:class:`AdversarialState`).

Every setting of the panel is a typed field declared once here (range, choices, label,
tooltip); the panel binds its widgets to these fields (:mod:`workbench.gui.binding`) and builds
its job specs from them with :meth:`AdversarialState.attack_spec` and
:meth:`AdversarialState.sweep_spec`, so the same settings give the same
:class:`~workbench_adversarial.jobs.AttackSpec` whether they come from the widgets or from a
session.

State versions
--------------
1. the hand-written ``AdversarialPanel.state()`` of the first release: the same keys, but its
   ``restore`` silently clamped ``eps`` to [0, 1000] and ``step_factor`` to [0.01, 100] (the
   spin boxes' ranges, rounded to their 4 and 2 decimals), accepted any spelling of the infinite
   norm that ``_parse_p`` read ("linf", "Infinity"), left a zoo model's dataset as saved, and
   accepted lists no job could run with (negative classes or classes the dataset lacks, dims
   < 1, negative eps values: the jobs refused them).
2. this module: values out of range are refused with a message; the migration from 1 applies
   what version 1's restore did (clamp and round, ``p`` spelled "inf", the dataset of the zoo
   model) and replaces a list no job could run with by the field's default, so every session
   version 1 wrote still opens, with the same settings where they were usable.
"""

from __future__ import annotations

import math
from typing import Any

from workbench.state import Bool, Choice, Float, Int, PanelState, Seed, StateError, Str

from .core.data import dataset_names, load_dataset
from .core.subspace import KINDS
from .core.zoo import DEFAULT_MODEL, ModelRef, model_names, zoo_entry
from .jobs import TARGET_MODES, AttackSpec, SweepSpec

SOURCES = ("zoo", "torchscript", "state_dict")
ARCHS = ("linear", "mlp", "cnn")
#: the panel's result tabs, in order (the ``tab`` field is an index into this)
TABS = ("Single attack", "Success curves", "Collapse")
P_PRESETS = ("2", "inf", "1", "1.5", "3")


def parse_list(text: str, cast: type) -> tuple[Any, ...]:
    """The comma- (or space- or semicolon-) separated numbers of ``text`` as a tuple of ``cast``;
    ``ValueError`` when there are none or one is not a number (the field adds its name)."""
    items = [s for s in text.replace(";", ",").replace(" ", ",").split(",") if s]
    if not items:
        raise ValueError("give at least one value, e.g. 1, 2, 4")
    try:
        return tuple(cast(s) for s in items)
    except ValueError:
        kind = "integers" if cast is int else "numbers"
        raise ValueError(f"cannot read {text!r} as a comma-separated list of {kind}") from None


def parse_p(text: str) -> float:
    """The norm exponent p >= 1 of ``text`` ("inf", "linf" and "infinity" mean p = inf)."""
    t = text.strip().lower()
    if t in ("inf", "linf", "infinity"):
        return math.inf
    try:
        v = float(t)
    except ValueError:
        raise ValueError(f"must be a number >= 1 or 'inf', got {text!r}") from None
    if not v >= 1:
        raise ValueError(f"must be >= 1 or 'inf', got {text!r}")
    return v


def parse_classes(text: str) -> tuple[int, ...]:
    """Class indices (integers >= 0); the empty text means every class."""
    if not text.strip():
        return ()
    classes = parse_list(text, int)
    negative = [c for c in classes if c < 0]
    if negative:
        raise ValueError(f"class indices are >= 0, got {', '.join(map(str, negative))}")
    return classes


def parse_dims(text: str) -> tuple[int, ...]:
    """Subspace dimensions of a sweep: integers >= 1."""
    dims = parse_list(text, int)
    if any(d < 1 for d in dims):
        raise ValueError(f"every dimension must be >= 1, got {text!r}")
    return dims


def parse_eps_list(text: str) -> tuple[float, ...]:
    """Radii of a sweep: finite numbers >= 0."""
    values = parse_list(text, float)
    if any(not (math.isfinite(v) and v >= 0) for v in values):
        raise ValueError(f"every eps must be a finite number >= 0, got {text!r}")
    return values


class Parsed(Str):
    """Text that must parse, the empty text included (``Str`` lets an empty text through)."""

    def coerce(self, value: Any, where: str) -> str:
        value = super().coerce(value, where)
        if self.parse is not None and not value.strip():
            try:
                self.parse(value)
            except ValueError as exc:
                raise StateError(f"{where}: {exc}") from None
        return value


def _zoo_dataset(model: str) -> str | None:
    return zoo_entry(model).dataset if model in model_names() else None


def _clamp(value: Any, lo: float, hi: float, decimals: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return value  # not a number: refused with a message by the field
    return round(min(max(float(value), lo), hi), decimals)


def _from_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: what version 1's ``restore`` did to a saved state (see the module doc)."""
    out = dict(doc)
    if "eps" in out:
        out["eps"] = _clamp(out["eps"], 0.0, 1000.0, 4)
    if "step_factor" in out:
        out["step_factor"] = _clamp(out["step_factor"], 0.01, 100.0, 2)
    for key in ("p", "path", "classes", "dims", "eps_list"):  # version 1 restored str(value)
        v = out.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[key] = "inf" if isinstance(v, float) and math.isinf(v) else f"{v:g}" if isinstance(v, float) else str(v)
    if isinstance(out.get("p"), str):
        p = out["p"].strip()
        out["p"] = "inf" if p.lower() in ("inf", "linf", "infinity") else p
    if out.get("source", "zoo") == "zoo" and isinstance(out.get("model"), str):
        ds = _zoo_dataset(out["model"])
        if ds is not None:
            out["dataset"] = ds
    # lists version 1 accepted although no job could run with them: the field's default instead
    for key, parse in (("classes", parse_classes), ("dims", parse_dims), ("eps_list", parse_eps_list)):
        v = out.get(key)
        if isinstance(v, str) and v.strip():
            try:
                parse_list(v, float)
            except ValueError:
                continue  # version 1 refused it too: so does version 2, with its message
            try:
                parse(v)
            except ValueError:
                out[key] = AdversarialState.field(key).default
    if isinstance(out.get("classes"), str) and isinstance(out.get("dataset"), str):
        try:
            AdversarialState.check_classes(out["classes"], out["dataset"])
        except ValueError:
            out["classes"] = ""
    return out


class AdversarialState(PanelState):
    """Settings of the PGD attack explorer (plugin ``adversarial``).

    ``source`` chooses between a zoo model (``model``) and a local file (``path``, with its
    ``dataset`` and, for state dicts, ``arch``); with a zoo model, ``dataset`` follows the model
    (a callback).  ``seed`` is the one seed of the panel: it draws the test subset, the random
    starts, the random subspaces and the random targets of attacks and sweeps alike.
    """

    PLUGIN = "adversarial"
    VERSION = 2
    MIGRATIONS = {1: _from_v1}

    source = Choice(
        "zoo",
        choices=SOURCES,
        label="source",
        tooltip="zoo: a model shipped with the workbench; torchscript / state_dict: a local file",
    )
    model = Choice(DEFAULT_MODEL, choices=model_names, label="zoo model")
    path = Str(
        "",
        label="file",
        placeholder="local .pt / .safetensors file",
        tooltip="a TorchScript archive, or weights (safetensors / torch.save) for the architecture below",
    )
    arch = Choice(
        "linear",
        choices=ARCHS,
        label="architecture",
        tooltip="the zoo architecture the state-dict file's weights belong to",
    )
    dataset = Choice(
        _zoo_dataset(DEFAULT_MODEL) or "digits",
        choices=dataset_names,
        label="dataset",
        tooltip="the test images a local model file is attacked on (a zoo model has its own)",
    )
    n = Int(150, lo=1, hi=100_000, label="test images", tooltip="test images drawn (with the seed) from the test split")
    classes = Str("", label="classes", parse=parse_classes, placeholder="all classes (or e.g. 0,3,8)")
    seed = Seed(
        0,
        label="seed",
        tooltip="random seed of the test subset, random starts, random subspaces and "
        "random targets: the same seed reproduces the same result",
    )
    p = Parsed("2", label="norm p", parse=parse_p, tooltip="the l_p norm of the perturbation: a number >= 1 or inf")
    eps = Float(1.0, lo=0.0, hi=1000.0, decimals=4, step=0.05, label="eps", tooltip="radius of the l_p ball")
    steps = Int(10, lo=1, hi=10_000, label="steps")
    step_factor = Float(
        2.5,
        lo=0.01,
        hi=100.0,
        decimals=2,
        step=0.1,
        label="step factor",
        tooltip="step size alpha = factor * eps / steps",
    )
    random_start = Bool(True, label="random start")
    restarts = Int(1, lo=1, hi=100, label="restarts", tooltip="random restarts (with random start)")
    target = Choice(
        "none",
        choices=TARGET_MODES,
        label="target",
        tooltip="none: untargeted; random / least_likely: a targeted attack",
    )
    kind = Choice("pixels", choices=KINDS, label="subspace", tooltip="the subspace V the attacker may perturb")
    dim = Int(16, lo=1, hi=10**7, label="dim V", tooltip="the requested dimension of V (ignored for full)")
    dims = Parsed("4, 8, 16, 32, 64", label="dims V", parse=parse_dims, tooltip="dimensions of V of the sweep")
    eps_list = Parsed(
        "0.1, 0.2, 0.4, 0.7, 1, 1.5, 2, 3, 4", label="eps values", parse=parse_eps_list, tooltip="radii of the sweep"
    )
    sweep_steps = Int(10, lo=1, hi=1000, label="sweep steps", tooltip="PGD steps per sweep cell")
    tab = Int(0, lo=0, hi=len(TABS) - 1, label="tab", tooltip="the result tab shown: " + ", ".join(TABS))

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self.add_callback("model", lambda _new, _old: self.sync_dataset())
        self.add_callback("source", lambda _new, _old: self.sync_dataset())

    # ---- rules ------------------------------------------------------------------------------
    def sync_dataset(self) -> None:
        """With a zoo model, ``dataset`` is the model's dataset."""
        if self.source == "zoo":
            ds = _zoo_dataset(self.model)
            if ds is not None and ds in dataset_names():
                self.dataset = ds

    def restore(self, doc: dict[str, Any]) -> None:
        super().restore(doc)
        self.sync_dataset()

    @staticmethod
    def effective_dataset(values: dict[str, Any]) -> str:
        """The dataset attacked with these settings (the zoo model's, or the file's)."""
        if values["source"] == "zoo":
            return _zoo_dataset(values["model"]) or values["dataset"]
        return values["dataset"]

    @staticmethod
    def check_classes(text: str, dataset: str) -> None:
        """``ValueError`` when a class index of ``text`` does not exist in ``dataset``."""
        classes = parse_classes(text)
        if not classes or dataset not in dataset_names():
            return  # no classes, or an unknown dataset (which its field reports)
        n_classes = load_dataset(dataset).num_classes
        bad = [c for c in classes if c >= n_classes]
        if bad:
            raise ValueError(
                f"classes {', '.join(map(str, bad))} do not exist in {dataset} (its classes are 0..{n_classes - 1})"
            )

    def check(self, values: dict[str, Any]) -> None:
        """The classes must exist in the dataset that is attacked."""
        self.check_classes(values["classes"], self.effective_dataset(values))

    # ---- job specs --------------------------------------------------------------------------
    def model_ref(self) -> ModelRef:
        """The model these settings attack; ``ValueError`` when a file source has no file."""
        if self.source == "zoo":
            return ModelRef(kind="zoo", name=self.model)
        path = self.path.strip()
        if not path:
            raise ValueError("choose a model file (or switch the source to zoo)")
        return ModelRef(
            kind=self.source,
            name="",
            path=path,
            arch=self.arch if self.source == "state_dict" else "",
            dataset=self.dataset,
        )

    def attack_spec(self) -> AttackSpec:
        """The single attack these settings describe (step size = step factor * eps / steps)."""
        return AttackSpec(
            model=self.model_ref(),
            n=self.n,
            classes=parse_classes(self.classes),
            p=parse_p(self.p),
            eps=self.eps,
            steps=self.steps,
            step_size=self.step_factor * self.eps / self.steps,
            kind=self.kind,
            dim=self.dim,
            random_start=self.random_start,
            restarts=self.restarts,
            target=self.target,
            seed=self.seed,
        )

    def sweep_spec(self) -> SweepSpec:
        """The dim V x eps sweep these settings describe."""
        return SweepSpec(
            model=self.model_ref(),
            n=self.n,
            classes=parse_classes(self.classes),
            p=parse_p(self.p),
            kind=self.kind,
            dims=parse_dims(self.dims),
            eps_values=parse_eps_list(self.eps_list),
            steps=self.sweep_steps,
            step_factor=self.step_factor,
            restarts=self.restarts,
            random_start=self.random_start,
            seed=self.seed,
        )
