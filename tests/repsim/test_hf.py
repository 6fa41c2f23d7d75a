"""Hugging Face extraction from a local folder (a tiny GPT-2 built and saved here; nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from workbench_repsim.core.corpus import generate_text

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        generate_text(300, 0).splitlines(), trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]"])
    )
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=fast.vocab_size, n_positions=64, n_embd=32, n_layer=2, n_head=2)
    transformers.GPT2Model(cfg).save_pretrained(folder)
    return folder


def test_extract_hidden_states_pooled_with_mask(hf_folder):
    from workbench_repsim.core.extract import extract_hf

    texts = ["The cat sees a dog.", "Some quick red birds that sleep watch the old river."]
    feats = extract_hf(hf_folder, texts, pooling="mean", batch_size=2)
    assert list(feats) == ["embeddings", "layer1", "layer2"]
    assert all(v.shape == (2, 32) for v in feats.values())
    # padding must not change the pooled activations: run each text alone
    alone = [extract_hf(hf_folder, [t], pooling="mean")["layer2"][0] for t in texts]
    assert np.allclose(feats["layer2"], np.stack(alone), atol=1e-4)
    tokens = extract_hf(hf_folder, texts, pooling="tokens")
    n_tok = sum(len(transformers.AutoTokenizer.from_pretrained(hf_folder)(t)["input_ids"]) for t in texts)
    assert tokens["layer1"].shape == (n_tok, 32)


def test_heatmap_job_on_hf_folder(hf_folder):
    from workbench.jobs import JobContext
    from workbench_repsim.jobs import HeatmapSpec, run_heatmap

    res = run_heatmap(HeatmapSpec(str(hf_folder), "", max_samples=60, panels=("AA",)), JobContext())
    assert res.names_a == ["embeddings", "layer1", "layer2"]
    assert np.allclose(np.diag(res.matrices["AA"]), 1.0)


def test_remote_code_never_trusted(hf_folder, monkeypatch):
    """Loading passes trust_remote_code=False and local_files_only=True."""
    from workbench_repsim.core import extract

    seen = []
    real = transformers.AutoModel.from_pretrained

    def spy(*a, **k):
        seen.append(k)
        return real(*a, **k)

    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", spy)
    extract.extract_hf(hf_folder, ["a cat."])
    assert seen and seen[0]["trust_remote_code"] is False and seen[0]["local_files_only"] is True
