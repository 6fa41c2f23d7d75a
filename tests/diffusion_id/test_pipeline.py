"""Loading Stable Diffusion folders and the activation hooks, on a tiny SD-1.x-shaped pipeline
with random weights (shapes as claimed; only the conditional half under guidance)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from workbench_diffusion_id.core.pipeline import (
    PipelineError,
    encode_prompt,
    generate,
    inspect_pipeline_folder,
    load_pipeline,
    unet_modules,
)


@pytest.fixture(scope="module")
def pipe(tiny_sd1_folder):
    return load_pipeline(tiny_sd1_folder)


def test_folder_check_says_what_is_missing(tiny_sd1_folder, tmp_path):
    info = inspect_pipeline_folder(tiny_sd1_folder)
    assert info.class_name == "StableDiffusionPipeline" and info.weights["unet"] == (
        "diffusion_pytorch_model.safetensors",
    )
    with pytest.raises(PipelineError, match="no such folder"):
        inspect_pipeline_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match="model_index.json is missing"):
        inspect_pipeline_folder(tmp_path / "empty")
    bad = tmp_path / "bad"
    shutil.copytree(tiny_sd1_folder, bad)
    doc = json.loads((bad / "model_index.json").read_text())
    (bad / "model_index.json").write_text(json.dumps({**doc, "_class_name": "StableDiffusionXLPipeline"}))
    with pytest.raises(PipelineError, match="only Stable Diffusion 1.x/2.x"):
        inspect_pipeline_folder(bad)
    (bad / "model_index.json").write_text(json.dumps(doc))
    w = bad / "unet" / "diffusion_pytorch_model.safetensors"
    w.rename(w.with_suffix(".bin"))
    with pytest.raises(PipelineError, match=r"unet: no \.safetensors weights \(it has diffusion_pytorch_model\.bin"):
        inspect_pipeline_folder(bad)
    with pytest.raises(PipelineError, match="no .safetensors"):
        load_pipeline(bad)
    shutil.rmtree(bad / "vae")
    with pytest.raises(PipelineError, match="vae/ folder is missing"):
        inspect_pipeline_folder(bad)


def test_bottleneck_and_latent_shapes(pipe):
    g = generate(pipe, "a red circle", n_images=3, steps=4, guidance=7.5, seed=5, batch_size=2)
    # 16x16 latents, three downsamplings to 2x2, 64 channels at the bottom
    assert g.shapes["mid_block"] == (64, 2, 2) and g.shapes["latents"] == (4, 16, 16)
    assert g.activations["mid_block"].shape == (4, 3, 256)
    assert g.activations["latents"].shape == (4, 3, 1024)
    assert g.images.shape == (3, 32, 32, 3) and g.images.dtype == np.uint8
    assert len(g.timesteps) == 4 and np.all(np.diff(g.timesteps) < 0)
    # x_T is each image's own seeded noise (DDIM's init sigma is 1)
    noise = torch.randn((4, 16, 16), generator=torch.Generator("cpu").manual_seed(6)).numpy().ravel()
    np.testing.assert_allclose(g.activations["latents"][0, 1], noise, rtol=0, atol=0)


def test_only_the_conditional_half_is_kept(pipe):
    g = generate(pipe, "two blue squares", n_images=2, steps=2, guidance=5.0, seed=1)
    # the bottleneck of the conditional pass alone, recomputed by hand at the first step
    x = torch.from_numpy(g.activations["latents"][0].reshape(2, 4, 16, 16))
    t = pipe.scheduler.timesteps[0]
    seen = {}
    h = pipe.unet.mid_block.register_forward_hook(lambda m, i, o: seen.setdefault("mid", o))
    with torch.no_grad():
        pipe.unet(
            pipe.scheduler.scale_model_input(x, t),
            t,
            encoder_hidden_states=encode_prompt(pipe, ["two blue squares"]).expand(2, -1, -1),
        )
    h.remove()
    np.testing.assert_allclose(g.activations["mid_block"][0], seen["mid"].reshape(2, -1).numpy(), atol=2e-5)
    # ... and not the unconditional one
    assert not np.allclose(g.activations["mid_block"][0], _uncond_mid(pipe, x, t), atol=1e-3)


def _uncond_mid(pipe, x, t):
    seen = {}
    h = pipe.unet.mid_block.register_forward_hook(lambda m, i, o: seen.setdefault("mid", o))
    with torch.no_grad():
        pipe.unet(
            pipe.scheduler.scale_model_input(x, t), t, encoder_hidden_states=encode_prompt(pipe, [""]).expand(2, -1, -1)
        )
    h.remove()
    return seen["mid"].reshape(2, -1).numpy()


def test_images_do_not_depend_on_the_batch(pipe):
    a = generate(pipe, "a cat", n_images=3, steps=3, seed=10, batch_size=3)
    b = generate(pipe, "a cat", n_images=1, steps=3, seeds=[12])
    np.testing.assert_allclose(a.activations["mid_block"][:, 2], b.activations["mid_block"][:, 0], atol=2e-5)


def test_named_modules_on_request(pipe):
    names = dict(unet_modules(pipe.unet))
    assert names["mid_block"] == "UNetMidBlock2DCrossAttn" and "down_blocks.1" in names
    g = generate(pipe, "x", n_images=2, steps=2, layers=("down_blocks.1", "up_blocks.3"), guidance=1.0, decode=False)
    assert g.shapes["down_blocks.1"] == (64, 4, 4) and g.activations["down_blocks.1"].shape == (2, 2, 1024)
    assert g.shapes["up_blocks.3"] == (32, 16, 16) and g.images.shape[0] == 0
    with pytest.raises(ValueError, match="no module 'nope'"):
        generate(pipe, "x", n_images=1, steps=1, layers=("nope",))


def test_generation_cancels(pipe):
    class StopError(Exception):
        pass

    calls = []

    def cancel():
        calls.append(1)
        if len(calls) > 2:
            raise StopError

    with pytest.raises(StopError):
        generate(pipe, "x", n_images=2, steps=5, cancel=cancel)
    assert not pipe.unet.mid_block._forward_hooks  # hooks removed after a cancel
