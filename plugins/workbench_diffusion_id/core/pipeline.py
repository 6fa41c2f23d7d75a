"""Stable Diffusion 1.x / 2.x pipelines from local folders (diffusers), and image generation that
captures the UNet's internal representations at every denoising step.

Loading: :func:`load_pipeline` accepts a diffusers pipeline folder on disk (``model_index.json``
plus one folder per component) and loads it with ``local_files_only=True`` and
``use_safetensors=True``; ``trust_remote_code`` is never passed (no code from the folder runs).
:func:`inspect_pipeline_folder` first says what is missing: no ``model_index.json``, a
pipeline class other than Stable Diffusion 1.x/2.x, a component folder, its config, or its
weights as ``.safetensors`` (a folder holding only pickled ``.bin`` weights is refused).

Capture (:func:`generate`): the denoising loop is written out here over the pipeline's own
components (tokenizer, text encoder, UNet, scheduler, VAE), so that every step is seen:

* ``"latents"``: the latent ``x_t`` fed to the UNet at each step (before the scheduler's input
  scaling), one row per image;
* ``"mid_block"``: the output of ``unet.mid_block``, the bottleneck of the UNet (Kvinge et al.
  2023 call it the bottleneck layer);
* any other module of the UNet by its dotted name (``unet_modules`` lists them), through a
  forward hook; a module returning a tuple contributes its first tensor.

Under classifier-free guidance the UNet sees ``[unconditional; conditional]`` batches (the
diffusers order); only the conditional half is kept.  Each image's initial noise comes from its
own ``torch.Generator`` seeded with ``seed + image index``, so an image does not depend on the
batch it was generated in.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InputError

#: pipeline classes accepted (Stable Diffusion 1.x and 2.x text-to-image)
SD_PIPELINE_CLASSES = ("StableDiffusionPipeline",)
#: components a Stable Diffusion pipeline needs, and the classes their folders must hold
REQUIRED_COMPONENTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
WEIGHTED_COMPONENTS = ("unet", "vae", "text_encoder")
BUILTIN_LAYERS = ("mid_block", "latents")


class PipelineError(InputError):
    """A pipeline folder that cannot be loaded; the message says what is missing."""


@dataclass(frozen=True)
class PipelineInfo:
    """What a pipeline folder holds: its class, components (``name -> (library, class)``) and
    the safetensors weight file(s) of each weighted component."""

    path: str
    class_name: str
    components: dict[str, tuple[str, str]]
    weights: dict[str, tuple[str, ...]]


def _weights_in(folder: Path) -> tuple[list[str], list[str]]:
    files = [p.name for p in folder.iterdir() if p.is_file()]
    safe = sorted(f for f in files if f.endswith(".safetensors") or f.endswith(".safetensors.index.json"))
    pickled = sorted(f for f in files if f.endswith((".bin", ".ckpt", ".pt", ".pth", ".pkl")))
    return safe, pickled


def inspect_pipeline_folder(path: str | Path) -> PipelineInfo:
    """Check that ``path`` is a Stable Diffusion 1.x/2.x diffusers folder with safetensors weights;
    :class:`PipelineError` naming what is missing otherwise."""
    root = Path(path).expanduser()
    if not root.exists():
        raise PipelineError(f"{root}: no such folder")
    if not root.is_dir():
        raise PipelineError(f"{root}: not a folder (a diffusers pipeline is a folder with model_index.json)")
    index = root / "model_index.json"
    if not index.is_file():
        raise PipelineError(f"{root}: not a diffusers pipeline folder: model_index.json is missing")
    try:
        doc = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PipelineError(f"{index}: not readable JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise PipelineError(f"{index}: expected a JSON object")
    cls = str(doc.get("_class_name", ""))
    if cls not in SD_PIPELINE_CLASSES:
        raise PipelineError(
            f"{root}: a {cls or 'pipeline of unknown class'}; only Stable Diffusion 1.x/2.x "
            f"text-to-image pipelines ({', '.join(SD_PIPELINE_CLASSES)}) are supported"
        )
    components: dict[str, tuple[str, str]] = {}
    for name in REQUIRED_COMPONENTS:
        entry = doc.get(name)
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(e, str) for e in entry)):
            raise PipelineError(
                f"{index}: component {name!r} is missing (a Stable Diffusion pipeline needs "
                f"{', '.join(REQUIRED_COMPONENTS)})"
            )
        folder = root / name
        if not folder.is_dir():
            raise PipelineError(f"{root}: the {name}/ folder is missing")
        components[name] = (entry[0], entry[1])
    weights: dict[str, tuple[str, ...]] = {}
    for name in WEIGHTED_COMPONENTS:
        folder = root / name
        if not (folder / "config.json").is_file():
            raise PipelineError(f"{folder}: config.json is missing")
        safe, pickled = _weights_in(folder)
        if not safe:
            extra = (
                f" (it has {', '.join(pickled)}: pickled weights are not loaded; convert them to safetensors)"
                if pickled
                else ""
            )
            raise PipelineError(f"{folder}: no .safetensors weights{extra}")
        weights[name] = tuple(safe)
    if not any((root / "tokenizer" / f).is_file() for f in ("vocab.json", "tokenizer.json")):
        raise PipelineError(f"{root / 'tokenizer'}: neither vocab.json nor tokenizer.json (the tokenizer's vocabulary)")
    if not (root / "scheduler" / "scheduler_config.json").is_file():
        raise PipelineError(f"{root / 'scheduler'}: scheduler_config.json is missing")
    return PipelineInfo(str(root), cls, components, weights)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' and diffusers' notices while a pipeline loads (image processors
    wanting torchvision, accelerate missing, progress bars of every component)."""
    try:
        from transformers.utils import logging as tlog
    except ImportError:  # pragma: no cover - transformers is a dependency
        yield
        return
    from diffusers.utils import logging as dlog

    level, dlevel = tlog.get_verbosity(), dlog.get_verbosity()
    bars, dbars = tlog.is_progress_bar_enabled(), dlog.is_progress_bar_enabled()
    tlog.set_verbosity_error()
    dlog.set_verbosity_error()  # "accelerate was not found", deprecation notices of old configs
    tlog.disable_progress_bar()  # the "Loading weights" bar of every component
    dlog.disable_progress_bar()  # "Loading pipeline components..."
    try:
        yield
    finally:
        tlog.set_verbosity(level)
        dlog.set_verbosity(dlevel)
        if bars:
            tlog.enable_progress_bar()
        if dbars:
            dlog.enable_progress_bar()


def resolve_dtype(dtype: str, device: str) -> Any:
    """``"auto"``: float16 on CUDA, float32 elsewhere; or ``"float32"`` / ``"float16"`` / ``"bfloat16"``."""
    import torch

    if dtype == "auto":
        return torch.float16 if str(device).startswith("cuda") else torch.float32
    table = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in table:
        raise ValueError(f"dtype must be auto, float32, float16 or bfloat16, got {dtype!r}")
    return table[dtype]


def load_pipeline(path: str | Path, *, device: str = "cpu", dtype: str = "auto") -> Any:
    """A ``StableDiffusionPipeline`` from a local folder (checked by :func:`inspect_pipeline_folder`),
    loaded with ``local_files_only=True, use_safetensors=True`` and no safety checker (images are
    analysed, not shown to an audience), in eval mode on ``device``."""
    info = inspect_pipeline_folder(path)
    with _quiet_transformers():
        from diffusers import StableDiffusionPipeline

        try:
            with warnings.catch_warnings():
                # diffusers >= 0.36 prefers dtype=; torch_dtype= is what every supported version takes
                warnings.filterwarnings("ignore", message=".*torch_dtype.*deprecated", category=FutureWarning)
                pipe = StableDiffusionPipeline.from_pretrained(
                    info.path,
                    local_files_only=True,
                    use_safetensors=True,
                    torch_dtype=resolve_dtype(dtype, device),
                    safety_checker=None,
                    requires_safety_checker=False,
                    feature_extractor=None,
                )
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise PipelineError(f"{info.path}: diffusers could not load the pipeline: {exc}") from None
    pipe.set_progress_bar_config(disable=True)
    for name in WEIGHTED_COMPONENTS:
        getattr(pipe, name).eval()
    return pipe.to(device)


def unet_modules(unet: Any, max_depth: int = 3) -> list[tuple[str, str]]:
    """``(dotted name, class name)`` of the UNet's submodules down to ``max_depth`` levels
    (``down_blocks.1.attentions.0`` has depth 4), for a module picker."""
    out = []
    for name, mod in unet.named_modules():
        if name and name.count(".") < max_depth:
            out.append((name, type(mod).__name__))
    return out


def list_unet_modules(path: str | Path, max_depth: int = 3) -> list[tuple[str, str]]:
    """:func:`unet_modules` of the UNet of the pipeline folder ``path`` without loading its
    weights: the UNet is built from its ``config.json`` on PyTorch's ``meta`` device (no memory
    for parameters), so listing the modules of a full-size Stable Diffusion costs milliseconds."""
    info = inspect_pipeline_folder(path)
    import torch

    with _quiet_transformers():
        from diffusers import UNet2DConditionModel

        try:
            config = UNet2DConditionModel.load_config(str(Path(info.path) / "unet"), local_files_only=True)
            with torch.device("meta"):
                unet = UNet2DConditionModel.from_config(config)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PipelineError(f"{info.path}/unet: not a UNet2DConditionModel config: {exc}") from None
    return unet_modules(unet, max_depth)


def _first_tensor(output: Any) -> Any:
    import torch

    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    sample = getattr(output, "sample", None)
    if isinstance(sample, torch.Tensor):
        return sample
    raise TypeError(f"the module returned {type(output).__name__}, not a tensor")


class _Capture:
    """Forward hooks on named UNet modules keeping the last output's conditional half."""

    def __init__(self, unet: Any, names: Sequence[str]) -> None:
        self.names = list(names)
        self.last: dict[str, Any] = {}
        self.keep_from = 0
        self._handles = []
        for name in self.names:
            try:
                mod = unet.get_submodule(name)
            except AttributeError:
                raise ValueError(f"the UNet has no module {name!r} (see the module list)") from None
            self._handles.append(mod.register_forward_hook(self._hook(name)))

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(_mod: Any, _inp: Any, output: Any) -> None:
            t = _first_tensor(output)
            self.last[name] = t[self.keep_from :].detach().float().reshape(t.shape[0] - self.keep_from, -1).cpu()

        return hook

    def take(self, name: str) -> Any:
        if name not in self.last:
            raise RuntimeError(f"module {name!r} was not called in this UNet forward pass")
        return self.last.pop(name)

    def close(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()


@dataclass(frozen=True)
class Generation:
    """The images of one prompt and what was captured while they were denoised.

    ``images``: ``(n, H, W, 3)`` uint8; ``activations[layer]``: ``(steps, n, features)`` float32
    (one flattened row per image and step); ``shapes[layer]``: the per-image shape before
    flattening; ``timesteps``: the scheduler's timesteps, one per step.
    """

    prompt: str
    images: np.ndarray
    activations: dict[str, np.ndarray]
    shapes: dict[str, tuple[int, ...]]
    timesteps: np.ndarray
    guidance: float
    seed: int
    layers: tuple[str, ...] = field(default=())


def encode_prompt(pipe: Any, prompts: Sequence[str]) -> Any:
    """The text encoder's last hidden states for ``prompts`` (padded to the tokenizer's length),
    as Stable Diffusion 1.x/2.x condition the UNet."""
    import torch

    tok = pipe.tokenizer
    max_len = int(min(tok.model_max_length, pipe.text_encoder.config.max_position_embeddings))
    ids = tok(
        list(prompts), padding="max_length", max_length=max_len, truncation=True, return_tensors="pt"
    ).input_ids.to(pipe.text_encoder.device)
    with torch.no_grad():
        return pipe.text_encoder(ids)[0]


def generate(
    pipe: Any,
    prompt: str,
    *,
    n_images: int,
    steps: int,
    guidance: float = 7.5,
    seed: int = 0,
    layers: Sequence[str] = BUILTIN_LAYERS,
    batch_size: int = 16,
    height: int | None = None,
    width: int | None = None,
    decode: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], None] | None = None,
    seeds: Sequence[int] | None = None,
) -> Generation:
    """Generate ``n_images`` images of ``prompt`` with ``steps`` denoising steps and capture
    ``layers`` (``"latents"``, ``"mid_block"`` or UNet module names) at every step; see the
    module docstring.  ``progress(done, total)`` is called after each UNet evaluation (total =
    batches x steps) and ``cancel()`` (raising to stop) before each."""
    import torch

    if n_images < 1 or steps < 1:
        raise ValueError(f"need at least one image and one step, got {n_images} images and {steps} steps")
    if guidance < 0:
        raise ValueError(f"guidance must be >= 0, got {guidance}")
    layers = tuple(dict.fromkeys(layers))
    if not layers:
        raise ValueError("no layer to capture")
    unet, vae, sched = pipe.unet, pipe.vae, pipe.scheduler
    dev, dtype = unet.device, unet.dtype
    scale = 2 ** (len(vae.config.block_out_channels) - 1)
    h = height or int(unet.config.sample_size) * scale
    w = width or int(unet.config.sample_size) * scale
    if h % scale or w % scale:
        raise ValueError(f"height and width must be multiples of {scale}")
    cfg = guidance > 1.0
    modules = [name for name in layers if name != "latents"]
    seed_list = list(seeds) if seeds is not None else [seed + i for i in range(n_images)]
    if len(seed_list) != n_images:
        raise ValueError("one seed per image is needed")
    cond = encode_prompt(pipe, [prompt]).to(dtype)
    uncond = encode_prompt(pipe, [""]).to(dtype) if cfg else None
    acts: dict[str, list[list[np.ndarray]]] = {name: [] for name in layers}
    shapes: dict[str, tuple[int, ...]] = {}
    images = []
    timesteps = None
    batches = list(range(0, n_images, batch_size))
    total = len(batches) * steps
    done = 0
    cap = _Capture(unet, modules)
    shape_hooks = []
    for name in modules:

        def shape_hook(_m: Any, _i: Any, o: Any, _name: str = name) -> None:
            shapes.setdefault(_name, tuple(_first_tensor(o).shape[1:]))

        shape_hooks.append(unet.get_submodule(name).register_forward_hook(shape_hook))
    try:
        for b0 in batches:
            bseeds = seed_list[b0 : b0 + batch_size]
            nb = len(bseeds)
            noise = torch.stack(
                [
                    torch.randn(
                        (unet.config.in_channels, h // scale, w // scale),
                        generator=torch.Generator("cpu").manual_seed(int(s)),
                        dtype=torch.float32,
                    )
                    for s in bseeds
                ]
            ).to(dev, dtype)
            sched.set_timesteps(steps, device=dev)
            timesteps = sched.timesteps.detach().cpu().numpy()
            latents = noise * sched.init_noise_sigma
            if uncond is not None:
                emb = torch.cat([uncond.expand(nb, -1, -1), cond.expand(nb, -1, -1)])
            else:
                emb = cond.expand(nb, -1, -1)
            cap.keep_from = nb if cfg else 0
            per_step: dict[str, list[np.ndarray]] = {name: [] for name in layers}
            for t in sched.timesteps:
                if cancel is not None:
                    cancel()
                if "latents" in layers:
                    per_step["latents"].append(latents.detach().float().reshape(nb, -1).cpu().numpy())
                    shapes.setdefault("latents", tuple(latents.shape[1:]))
                inp = torch.cat([latents, latents]) if cfg else latents
                inp = sched.scale_model_input(inp, t)
                with torch.no_grad():
                    pred = unet(inp, t, encoder_hidden_states=emb).sample
                for name in modules:
                    per_step[name].append(cap.take(name).numpy())
                if cfg:
                    pu, pc = pred.chunk(2)
                    pred = pu + guidance * (pc - pu)
                latents = sched.step(pred, t, latents).prev_sample
                done += 1
                if progress is not None:
                    progress(done, total)
            for name in layers:
                acts[name].append(per_step[name])
            if decode:
                with torch.no_grad():
                    img = vae.decode(latents / vae.config.scaling_factor).sample
                img = ((img.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
                images.append(img.permute(0, 2, 3, 1).cpu().numpy())
    finally:
        cap.close()
        for hnd in shape_hooks:
            hnd.remove()
    out = {name: np.concatenate([np.stack(b) for b in acts[name]], axis=1).astype(np.float32) for name in layers}
    imgs = np.concatenate(images) if images else np.zeros((0, h, w, 3), dtype=np.uint8)
    return Generation(
        prompt=prompt,
        images=imgs,
        activations=out,
        shapes=shapes,
        timesteps=np.asarray(timesteps),
        guidance=float(guidance),
        seed=int(seed),
        layers=layers,
    )
