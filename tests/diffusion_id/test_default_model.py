"""The shipped embedded default (resources/diffusion_id): safetensors in float16 with their
provenance, loaded as users' folders are; the hooks capture the shapes and steps they claim; the
tokenizer is CLIP's BPE; the surrogate LM finds captions likelier than nonsense."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench_diffusion_id.core import default_model


def test_the_default_ships_as_float16_safetensors_with_provenance():
    from safetensors import safe_open

    root = default_model.resource_folder()
    prov = json.loads((root / default_model.PROVENANCE).read_text())
    assert prov["command"].startswith("python -m workbench_diffusion_id.train_default")
    assert prov["unet_and_text_encoder"]["steps"] > 0 and "colour_accuracy" in prov["evaluation"]
    files = sorted(root.glob("*/**/*.safetensors")) + sorted(root.glob("*/*.safetensors"))
    assert len(set(files)) == 4  # unet, vae, text encoder, language model
    total = 0
    for f in set(files):
        total += f.stat().st_size
        with safe_open(str(f), "pt") as sf:
            assert {str(sf.get_tensor(k).dtype) for k in sf.keys()} == {"torch.float16"}, f
    assert total < 8 * 2**20
    assert not list(root.rglob("*.bin")) and not list(root.rglob("*.pt"))


def test_hooks_capture_the_claimed_shapes_and_steps_on_the_default():
    from workbench_diffusion_id.core.pipeline import generate, load_pipeline

    pipe = load_pipeline(default_model.default_pipeline_path())
    g = generate(pipe, "a red circle", n_images=3, steps=4, guidance=5.0, seed=0, layers=("mid_block", "latents"))
    assert g.shapes == {"mid_block": (64, 2, 2), "latents": (4, 8, 8)}
    assert g.activations["mid_block"].shape == (4, 3, 64 * 2 * 2)  # steps x images x features
    assert g.activations["latents"].shape == (4, 3, 4 * 8 * 8)
    assert len(g.timesteps) == 4 and list(g.timesteps) == sorted(g.timesteps, reverse=True)
    assert g.images.shape == (3, 32, 32, 3) and g.images.dtype == np.uint8
    # the three images start from different noise: their bottlenecks differ at every step
    assert all(np.ptp(g.activations["mid_block"][s], axis=0).max() > 0 for s in range(4))


def test_the_tokenizer_is_clip_bpe():
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(default_model.default_pipeline_path() / "tokenizer"), local_files_only=True)
    pieces = tok.convert_ids_to_tokens(tok("a red circle")["input_ids"])
    # CLIP's format: start and end tokens, the last piece of a word ends in </w>; the first 2,500
    # of CLIP's merges make "a" and "red" one token each and "circle" two ("cir", "cle</w>")
    assert pieces == ["<|startoftext|>", "a</w>", "red</w>", "cir", "cle</w>", "<|endoftext|>"]
    assert tok.decode(tok("Two Purple squares!")["input_ids"], skip_special_tokens=True) == "two purple squares !"
    assert len(tok) == 256 * 2 + 2500 + 2


def test_the_surrogate_lm_prefers_captions_to_nonsense():
    from workbench_diffusion_id.core.perplexity import load_lm, perplexities

    lm, tok = load_lm(default_model.default_lm_path())
    ppl = perplexities(lm, tok, ["a red circle above a blue square", "frell mib snarg vool krit plim"])
    assert np.isfinite(ppl).all() and ppl[0] * 5 < ppl[1]


@pytest.mark.parametrize("name", ["", "default"])
def test_default_names_resolve_to_the_shipped_folders(name):
    assert default_model.resolve_model(name) == default_model.default_pipeline_path()
    assert default_model.resolve_lm(name) == default_model.default_lm_path()
