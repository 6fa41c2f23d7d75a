"""Perplexity against a hand computation, the generated data set, the CLIP BPE tokenizer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from workbench_diffusion_id.core import shapes_data
from workbench_diffusion_id.core.perplexity import LanguageModelError, check_lm_folder, load_lm, perplexities


def test_perplexity_is_exp_mean_nll(tiny_lm_folder):
    lm, tok = load_lm(tiny_lm_folder)
    texts = ["a red circle", "zz", "three small blue squares in the top left corner"]
    got = perplexities(lm, tok, texts, batch_size=2)  # padding across a batch must not change a value
    for text, value in zip(texts, got, strict=True):
        ids = tok(text)["input_ids"]  # CLIP adds <|startoftext|> ... <|endoftext|>
        assert ids[0] == tok.bos_token_id
        with torch.no_grad():
            logp = torch.log_softmax(lm(torch.tensor([ids])).logits[0, :-1], dim=-1)
        nll = -logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].mean()
        assert value == pytest.approx(math.exp(float(nll)), rel=1e-5)


def test_lm_folder_refusals(tiny_lm_folder, tmp_path):
    with pytest.raises(LanguageModelError, match="no such folder"):
        check_lm_folder(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LanguageModelError, match="config.json is missing"):
        check_lm_folder(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text((tiny_lm_folder / "config.json").read_text())
    (bad / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(LanguageModelError, match=r"no \.safetensors weights \(it has pytorch_model.bin"):
        load_lm(bad)


def test_dataset_is_reproducible_and_captions_describe_the_images():
    a, ca = shapes_data.make_dataset(40, seed=3)
    b, cb = shapes_data.make_dataset(40, seed=3)
    assert np.array_equal(a, b) and ca == cb and a.shape == (40, 32, 32, 3) and a.dtype == np.uint8
    assert shapes_data.caption_corpus(40, seed=3, garble_fraction=0.15) == ca  # same draws without drawing
    rng = np.random.default_rng(0)
    for _ in range(200):
        img, cap, attrs = shapes_data.sample(rng, garble_fraction=0.0)
        for shape, colour, _size, _tex in attrs["items"]:
            assert colour in cap and (shape in cap or shapes_data.PLURAL[shape] in cap)
            # the colour named is drawn: some pixel close to it
            d = np.abs(img.reshape(-1, 3).astype(int) - np.array(shapes_data.COLOURS[colour])).sum(axis=1)
            assert d.min() < 40


def test_a_red_circle_in_the_top_left_is_drawn_there():
    it = shapes_data.Item(
        "circle", "red", "small", "plain", *shapes_data._cell_centre((0, 0), np.random.default_rng(0))
    )
    img = shapes_data.render([it])
    ys, xs = np.nonzero(img[..., 0] > 100)
    assert ys.mean() < 11 and xs.mean() < 11 and img[..., 1].max() < 60


def test_clip_bpe_tokenizer_from_the_package_merges(tmp_path):
    from workbench_diffusion_id.core import clip_bpe

    try:
        clip_bpe.merges_path()
    except FileNotFoundError:
        pytest.skip("open_clip_torch (the package shipping CLIP's merges file) is not installed")
    tok = clip_bpe.build_tokenizer(tmp_path, n_merges=2500)
    assert len(tok) == 512 + 2500 + 2
    ids = tok("a red circle")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["<|startoftext|>", "a</w>", "red</w>", "cir", "cle</w>", "<|endoftext|>"]
    # CLIP's own ids for the byte-level symbols and the first merges (vocabulary order of CLIP)
    assert tok.convert_tokens_to_ids("a</w>") == 320 and tok.convert_tokens_to_ids("<|endoftext|>") == len(tok) - 1
