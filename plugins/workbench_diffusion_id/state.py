"""Qt-free state of the Diffusion intrinsic-dimension panel, and the job specs it stands for.

Every setting is one field of :class:`DiffusionIDState` (type, default, range or choices
declared once); the panel binds its widgets to these fields and builds its specs with
:meth:`DiffusionIDState.run_spec` and :meth:`DiffusionIDState.estimate_spec`, so a session holds
everything needed to recompute what it shows, seeds included.  The ``view_*`` fields choose what
the plots show (estimator, step, prompt of the TwoNN diagnostic); changing them never needs a new
run.

Version 1 (no earlier versions).
"""

from __future__ import annotations

from typing import Any

from workbench.state import Choice, Float, Int, PanelState, Seed, Str

from .core.intrinsic_dim import DEFAULT_ESTIMATORS, ESTIMATOR_NAMES
from .jobs import EstimateSpec, RunSpec

MAX_PROMPTS = 512
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "float16", "bfloat16")
#: the panel's plot tabs, in order
TABS = ("ID per prompt", "ID vs perplexity", "ID vs step", "TwoNN fit", "Gallery")


def parse_prompts(text: str) -> list[str]:
    """The prompts of the editor's text: one per line, blank lines and ``#`` comments skipped;
    ``ValueError`` when there are none or too many."""
    prompts = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not prompts:
        raise ValueError("no prompts: write one per line")
    if len(prompts) > MAX_PROMPTS:
        raise ValueError(f"{len(prompts)} prompts; at most {MAX_PROMPTS} are accepted")
    return prompts


def parse_names(text: str) -> list[str]:
    """A comma-separated list of names (layers), at least one."""
    names = [x.strip() for x in text.split(",") if x.strip()]
    if not names:
        raise ValueError("give at least one name, comma-separated")
    return names


def parse_estimators(text: str) -> list[str]:
    """A comma-separated list of estimator names (lower case), each one of :data:`ESTIMATOR_NAMES`."""
    names = [x.lower() for x in parse_names(text)]
    bad = [x for x in names if x not in ESTIMATOR_NAMES]
    if bad:
        raise ValueError(f"unknown estimator(s) {', '.join(bad)}; choose from {', '.join(ESTIMATOR_NAMES)}")
    return names


DEFAULT_PROMPTS = "\n".join(
    (
        "a red circle",
        "a large blue square in the center",
        "two green triangles",
        "a small yellow cross in the top left corner",
        "a red circle above a blue square",
        "circle red the top in left",
        "blorp zint a green quoxa triangle",
        "frell mib snarg vool krit plim",
    )
)


class DiffusionIDState(PanelState):
    """Settings of the Diffusion intrinsic-dimension panel (see the module docstring)."""

    PLUGIN = "diffusion_id"
    VERSION = 1

    # ---- what is generated ------------------------------------------------------------
    prompts = Str(
        DEFAULT_PROMPTS,
        max_len=200_000,
        parse=parse_prompts,
        label="prompts",
        tooltip="one prompt per line; blank lines and lines starting with # are skipped",
    )
    model = Str(
        "default",
        max_len=4096,
        label="diffusion model",
        tooltip="'default' (the embedded model) or a local Stable Diffusion 1.x/2.x diffusers folder",
    )
    lm = Str(
        "default",
        max_len=4096,
        label="language model",
        tooltip="'default' (the embedded surrogate LM) or a local causal language model folder (transformers)",
    )
    n_images = Int(
        16,
        lo=3,
        hi=4096,
        label="images per prompt",
        tooltip="images generated per prompt: the points of each intrinsic-dimension estimate",
    )
    steps = Int(20, lo=1, hi=1000, label="steps", tooltip="denoising steps (the scheduler's)")
    guidance = Float(
        5.0,
        lo=0.0,
        hi=50.0,
        decimals=2,
        step=0.5,
        label="guidance",
        tooltip="classifier-free guidance scale; <= 1 turns guidance off",
    )
    seed = Seed(0, label="seed", tooltip="image i of every prompt starts from the noise of seed + i")
    layers = Str(
        "mid_block,latents",
        max_len=4096,
        parse=parse_names,
        label="layers",
        tooltip="comma-separated: mid_block (the UNet bottleneck), latents (x_t) and UNet module names",
    )
    # ---- how the dimension is estimated -------------------------------------------------
    estimators = Str(
        ",".join(DEFAULT_ESTIMATORS),
        max_len=1024,
        parse=parse_estimators,
        label="estimators",
        tooltip="comma-separated: " + ", ".join(ESTIMATOR_NAMES),
    )
    n_boot = Int(
        50,
        lo=0,
        hi=10_000,
        label="bootstrap replicates",
        tooltip="replicates of every estimate for its confidence interval (0: none; else at least 10)",
    )
    level = Float(0.95, lo=0.5, hi=0.999, decimals=3, step=0.01, label="confidence level")
    batch_size = Int(16, lo=1, hi=1024, label="batch size", tooltip="images denoised together")
    device = Choice("auto", choices=DEVICES, label="device")
    dtype = Choice("auto", choices=DTYPES, label="precision", tooltip="auto: float16 on CUDA, float32 on the CPU")
    threads = Int(0, lo=0, hi=256, label="CPU threads", tooltip="torch threads for the run (0: torch's default)")
    # ---- what the plots show (no new run needed) -----------------------------------------
    view_estimator = Choice(DEFAULT_ESTIMATORS[0], choices=ESTIMATOR_NAMES, label="plotted estimator")
    view_step = Int(0, lo=0, hi=1000, label="plotted step", tooltip="step of the bar chart (0: the last step)")
    view_prompt = Int(
        0, lo=0, hi=MAX_PROMPTS - 1, label="TwoNN prompt", tooltip="prompt whose TwoNN fit is drawn (index in the list)"
    )
    tab = Int(0, lo=0, hi=len(TABS) - 1, label="tab", tooltip="the plot shown")

    def check(self, values: dict[str, Any]) -> None:
        if values["n_boot"] and values["n_boot"] < 10:
            raise ValueError(f"bootstrap replicates must be 0 or at least 10, got {values['n_boot']}")

    def prompt_list(self) -> list[str]:
        return parse_prompts(self.prompts)

    def run_spec(self) -> RunSpec:
        """The run job these settings stand for."""
        return RunSpec(
            prompts=tuple(self.prompt_list()),
            model=self.model.strip() or "default",
            lm=self.lm.strip() or "default",
            n_images=self.n_images,
            steps=self.steps,
            guidance=self.guidance,
            seed=self.seed,
            layers=tuple(parse_names(self.layers)),
            estimators=tuple((e, ()) for e in parse_estimators(self.estimators)),
            n_boot=self.n_boot,
            level=self.level,
            batch_size=self.batch_size,
            device=self.device,
            dtype=self.dtype,
            threads=self.threads,
        )

    def estimate_spec(self, path: str, *, curves: bool = True) -> EstimateSpec:
        """An estimate job on an n x D ``.npy`` file with these estimators and intervals."""
        return EstimateSpec(
            path=path,
            estimators=tuple((e, ()) for e in parse_estimators(self.estimators)),
            n_boot=self.n_boot,
            level=self.level,
            curves=curves,
            seed=self.seed,
            device=self.device,
        )
