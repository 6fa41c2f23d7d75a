"""A tiny Stable-Diffusion-1.x-shaped pipeline (random weights, built from configs) saved as a
diffusers folder with safetensors weights, for the loader and hook tests."""

from __future__ import annotations

import json

import pytest


def byte_level_clip_tokenizer(folder):
    """A real CLIPTokenizer over the 512 byte-level symbols and CLIP's special tokens (no merges)."""
    from transformers import CLIPTokenizer

    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    symbols = [chr(c) for c in cs]
    vocab = symbols + [s + "</w>" for s in symbols] + ["<|startoftext|>", "<|endoftext|>"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=16)


def tiny_sd1_components(tmp_path):
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    # SD 1.x's layout (3 cross-attention down blocks + 1 plain, mid block with cross-attention,
    # mirrored up blocks, 8 attention heads, 4 latent channels) at tiny widths
    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64, 64, 64),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(32, 64),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        layers_per_block=1,
        sample_size=32,
    )
    tok = byte_level_clip_tokenizer(tmp_path / "tok_src")
    te = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tok),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=16,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        )
    )
    sched = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False
    )
    return unet, vae, te, tok, sched


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """These models are tiny: on a shared 2-core machine torch's second OpenMP thread costs far
    more in synchronisation than it gives (a UNet call 0.25 s with one thread, 2-7 s with two
    under load), so the plugin's tests run torch on one thread and restore the setting after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_sd1_folder(tmp_path_factory):
    from diffusers import StableDiffusionPipeline

    root = tmp_path_factory.mktemp("tiny_sd1")
    unet, vae, te, tok, sched = tiny_sd1_components(root)
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=te,
        tokenizer=tok,
        unet=unet,
        scheduler=sched,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(root / "pipe", safe_serialization=True)
    return root / "pipe"


@pytest.fixture(scope="session")
def tiny_lm_folder(tmp_path_factory):
    """A tiny GPT-2 causal LM over the byte-level CLIP tokens (random weights), saved with
    safetensors beside its tokenizer."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    root = tmp_path_factory.mktemp("tiny_lm")
    tok = byte_level_clip_tokenizer(root / "tok_src")
    torch.manual_seed(0)
    lm = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(tok),
            n_embd=16,
            n_layer=1,
            n_head=2,
            n_positions=64,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        )
    )
    lm.save_pretrained(root / "lm", safe_serialization=True)
    tok.save_pretrained(root / "lm")
    return root / "lm"
