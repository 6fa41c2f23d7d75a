"""Stitching and linear mode connectivity between Hugging Face causal LMs from local folders
(tiny GPT-2s built and saved here; nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from workbench.jobs import JobContext, JobError  # noqa: E402


def _tokenizer(texts, extra: tuple[str, ...] = ()):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]", *extra]))
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]")


def _save_lm(folder, fast, seed: int, layers: int = 3, width: int = 32) -> str:
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    cfg = transformers.GPT2Config(
        vocab_size=fast.vocab_size,
        n_positions=64,
        n_embd=width,
        n_layer=layers,
        n_head=2,
        bos_token_id=None,
        eos_token_id=None,
    )
    transformers.GPT2LMHeadModel(cfg).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def lm_folders(tmp_path_factory):
    from workbench_repsim.core.corpus import generate_text

    fast = _tokenizer(generate_text(300, 0).splitlines())
    return [_save_lm(tmp_path_factory.mktemp(f"gpt2-s{s}"), fast, s) for s in (0, 1)]


def test_hooks_reproduce_the_model(lm_folders):
    """Feeding a block the residual stream it received gives back the model's own logits."""
    from workbench_repsim.core.hf_lm import HFStitchable, load_causal_lm

    model, _ = load_causal_lm(lm_folders[0])
    m = HFStitchable(model, chunk=3)
    ids = torch.randint(0, model.config.vocab_size, (5, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = model(input_ids=ids).logits
        feats = m.features(ids)  # chunked: 3 + 2 windows
        assert list(feats) == ["embeddings", "layer1", "layer2"] == m.stitch_points()
        for point, h in feats.items():
            assert h.shape == (5, 12, 32)
            assert torch.allclose(m.forward_from(point, h), ref, atol=1e-5)
        # a different stream changes the output: the hook really replaces it (a random one; a
        # constant shift would vanish in the pre-LayerNorms)
        noise = torch.randn(feats["layer1"].shape, generator=torch.Generator().manual_seed(1))
        assert not torch.allclose(m.forward_from("layer1", feats["layer1"] + noise), ref, atol=1e-3)


def test_self_stitch_least_squares_is_the_identity(lm_folders):
    """Stitching a model into itself at the same point: the least-squares map is the identity,
    so the stitched loss equals the model's own."""
    from workbench_repsim.core.corpus import generate_text
    from workbench_repsim.core.hf_lm import HFStitchable, load_causal_lm, token_windows
    from workbench_repsim.core.stitching import lm_task, stitch

    model, tok = load_causal_lm(lm_folders[0])
    m = HFStitchable(model)
    w = token_windows(tok, generate_text(400, 3).splitlines(), 16, 200)
    res = stitch(m, "layer1", m, "layer1", lm_task(w[:150], w[150:]), steps=0)
    assert res.ls_loss == pytest.approx(res.receiver_loss, abs=1e-3)


def test_stitching_job_between_hf_folders(lm_folders):
    from workbench_repsim.jobs import StitchSpec, run_stitching

    table = run_stitching(StitchSpec(lm_folders[0], lm_folders[1], steps=10), JobContext())
    assert [(r["point_from"], r["point_to"]) for r in table.rows] == [
        ("layer1", "layer1"),
        ("layer1", "layer1"),
        ("layer2", "layer2"),
        ("layer2", "layer2"),
    ]
    assert [r["sender"] for r in table.rows[:2]] == lm_folders
    for r in table.rows:
        assert np.isfinite(r["loss"]) and np.isfinite(r["penalty"]) and 0.0 <= r["accuracy"] <= 1.0


def test_lmc_job_between_hf_folders(lm_folders):
    from workbench_repsim.core.hf_lm import HFStitchable, load_causal_lm
    from workbench_repsim.core.training import eval_lm
    from workbench_repsim.jobs import LMCSpec, _hf_lm_pair, run_lmc

    res = run_lmc(LMCSpec(lm_folders[0], lm_folders[1], n_alphas=3), JobContext())
    assert res.metric == "test loss (nats/token)" and res.loss.shape == (3,)
    _, _, _, te = _hf_lm_pair(lm_folders[0], lm_folders[1], "default", JobContext())
    for folder, value in ((lm_folders[0], res.loss[0]), (lm_folders[1], res.loss[-1])):
        assert eval_lm(HFStitchable(load_causal_lm(folder)[0]), te)[0] == pytest.approx(value, rel=1e-5)
    mid = res.loss[1] - 0.5 * (res.loss[0] + res.loss[2])
    assert res.barrier == pytest.approx(max(mid, 0.0), abs=1e-9)


def test_hf_refusals(lm_folders, tmp_path):
    from workbench_repsim.core.corpus import generate_text
    from workbench_repsim.jobs import LMCSpec, StitchSpec, run_lmc, run_stitching

    other_tok = _tokenizer(generate_text(50, 9).splitlines(), extra=("[X]", "[Y]", "[Z]"))
    other = _save_lm(tmp_path / "other-tok", other_tok, 0)
    with pytest.raises(JobError, match="tokenize the text differently"):
        run_stitching(StitchSpec(lm_folders[0], other, steps=1), JobContext())
    deeper = _save_lm(tmp_path / "deeper", _tokenizer(generate_text(300, 0).splitlines()), 0, layers=4)
    with pytest.raises(JobError, match="same architecture"):
        run_lmc(LMCSpec(lm_folders[0], deeper, n_alphas=2), JobContext())
    with pytest.raises(JobError, match="different tokens"):
        run_stitching(StitchSpec(lm_folders[0], "lm-gelu-d64-s0", steps=1), JobContext())
    # a base model without its head: AutoModelForCausalLM would invent a random head
    base = tmp_path / "bert"
    _tokenizer(generate_text(300, 0).splitlines()).save_pretrained(base)
    transformers.BertModel(
        transformers.BertConfig(
            vocab_size=200,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            is_decoder=True,
        )
    ).save_pretrained(base)
    with pytest.raises(JobError, match="head"):
        run_stitching(StitchSpec(str(base), lm_folders[0], steps=1), JobContext())


@pytest.mark.gui
def test_panel_stitches_hf_folders(lm_folders, make_panel, qtbot, standalone_shell, tmp_path):
    """The panel's Stitching and LMC tabs on two local Hugging Face LMs (data: a text file)."""
    pytest.importorskip("PySide6")
    from pathlib import Path

    from workbench_repsim.core.corpus import generate_text

    text = tmp_path / "text.txt"
    text.write_text(generate_text(1500, 4))
    panel = make_panel("repsim", start=False)
    panel.model_a.setCurrentText(lm_folders[0])
    panel.model_b.setCurrentText(lm_folders[1])
    panel.data.setCurrentText(str(text))
    panel.stitch_steps.setValue(5)
    panel.run_stitching()
    panel.run_lmc()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert not standalone_shell.errors, standalone_shell.errors
    assert panel.stitch_table.rowCount() == 4  # 2 points x 2 directions
    assert panel.stitch_table.item(0, 0).text() == f"{Path(lm_folders[0]).name}:layer1"
    assert panel.lmc is not None and panel.lmc.metric == "test loss (nats/token)" and len(panel.lmc.loss) == 11
    panel.tabs.setCurrentIndex(1)
    if out := __import__("os").environ.get("WORKBENCH_TEST_SHOTS"):
        panel.grab().save(str(Path(out) / "repsim_hf_stitching.png"))
