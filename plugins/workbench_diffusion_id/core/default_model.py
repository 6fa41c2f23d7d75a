"""The embedded default: a small text-to-image latent diffusion model and a small causal language
model, trained by this project (``python -m workbench_diffusion_id.train_default``) and shipped
in ``resources/diffusion_id/`` as diffusers / transformers folders with safetensors weights.

* ``sd-shapes-32/``: a ``StableDiffusionPipeline`` folder (the same loader as users' Stable
  Diffusion folders): ``UNet2DConditionModel`` on 4 x 8 x 8 latents (SD's block types at tiny
  widths and depth: a plain down block at 8 x 8, a cross-attention down block at 4 x 4, a plain
  one at 2 x 2, SD's cross-attention mid block with a 64 x 2 x 2 output, mirrored up blocks; the
  attention is kept to the coarse levels, where it costs least on a CPU), an ``AutoencoderKL``
  (32 x 32 RGB <-> 4 x 8 x 8, no mid-block attention), a
  ``CLIPTextModel`` (2 layers, width 64) with a real CLIP BPE tokenizer (:mod:`.clip_bpe`), and
  SD's scaled-linear DDIM scheduler.  Trained on :mod:`.shapes_data`.
* ``lm-shapes/``: a ``GPT2LMHeadModel`` (2 layers, width 64) over the same CLIP tokens, trained
  on the captions and on English docstrings of Python's standard library: the *surrogate* of
  the paper's perplexity model, not a general language model.
* ``provenance.json``: how both were trained (command, data, seeds, steps, losses, versions).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESOURCE_DIR = "diffusion_id"
PIPELINE_NAME = "sd-shapes-32"
LM_NAME = "lm-shapes"
PROVENANCE = "provenance.json"


def resource_folder() -> Path:
    """``resources/diffusion_id`` (installed as ``workbench_resources``)."""
    from workbench_resources import resource_path

    return Path(resource_path(RESOURCE_DIR))


def default_pipeline_path() -> Path:
    return resource_folder() / PIPELINE_NAME


def default_lm_path() -> Path:
    return resource_folder() / LM_NAME


def resolve_model(model: str) -> Path:
    """``""`` or ``"default"``: the embedded pipeline; anything else is a folder path."""
    return default_pipeline_path() if model in ("", "default") else Path(model).expanduser()


def resolve_lm(lm: str) -> Path:
    """``""`` or ``"default"``: the embedded language model; anything else is a folder path."""
    return default_lm_path() if lm in ("", "default") else Path(lm).expanduser()


@dataclass(frozen=True)
class DefaultArchitecture:
    """Sizes of the embedded default's components (what the training script builds)."""

    image_size: int = 32
    latent_channels: int = 4
    vae_channels: tuple[int, ...] = (8, 16, 32)
    vae_groups: int = 8
    unet_channels: tuple[int, ...] = (32, 64, 64)
    unet_groups: int = 16
    unet_heads: int = 4
    text_width: int = 64
    text_layers: int = 2
    text_heads: int = 4
    text_ffn: int = 128
    max_tokens: int = 24
    n_merges: int = 2500
    lm_width: int = 64
    lm_layers: int = 2
    lm_heads: int = 4
    lm_positions: int = 64

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_vae(a: DefaultArchitecture) -> Any:
    from diffusers import AutoencoderKL

    n = len(a.vae_channels)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=a.latent_channels,
        block_out_channels=a.vae_channels,
        down_block_types=("DownEncoderBlock2D",) * n,
        up_block_types=("UpDecoderBlock2D",) * n,
        layers_per_block=1,
        sample_size=a.image_size,
        norm_num_groups=a.vae_groups,
        mid_block_add_attention=False,
    )


def latent_size(a: DefaultArchitecture) -> int:
    return a.image_size // 2 ** (len(a.vae_channels) - 1)


def build_unet(a: DefaultArchitecture) -> Any:
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=latent_size(a),
        in_channels=a.latent_channels,
        out_channels=a.latent_channels,
        block_out_channels=a.unet_channels,
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=a.text_width,
        attention_head_dim=a.unet_heads,
        norm_num_groups=a.unet_groups,
    )


def build_text_encoder(a: DefaultArchitecture, tok: Any) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tok),
            hidden_size=a.text_width,
            intermediate_size=a.text_ffn,
            num_hidden_layers=a.text_layers,
            num_attention_heads=a.text_heads,
            max_position_embeddings=a.max_tokens,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        )
    )


def build_lm(a: DefaultArchitecture, tok: Any) -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(tok),
            n_embd=a.lm_width,
            n_layer=a.lm_layers,
            n_head=a.lm_heads,
            n_positions=a.lm_positions,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        )
    )


def build_scheduler() -> Any:
    """Stable Diffusion's noise schedule (scaled linear, 1000 steps) with DDIM sampling."""
    from diffusers import DDIMScheduler

    return DDIMScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
        prediction_type="epsilon",
    )


def assemble_pipeline(vae: Any, text_encoder: Any, tokenizer: Any, unet: Any, scheduler: Any) -> Any:
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
