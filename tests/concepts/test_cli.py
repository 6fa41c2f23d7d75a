"""``workbench concepts probe|attribute|remove`` through the real CLI entry point, on a tiny
ensemble trained by the session fixture."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.cli import main


def test_probe_json_schema(tiny_ensemble, capsys):
    assert main(["concepts", "probe", "--json", "--ensemble", str(tiny_ensemble)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"layers", "concepts"}
    assert doc["layers"] == ["stem", "layer1", "layer2", "layer3", "layer4"]
    assert set(doc["concepts"]) == {"round", "high_frequency"}
    assert doc["concepts"]["round"]["kind"] == "object"
    assert doc["concepts"]["high_frequency"]["kind"] == "perceptual"
    for c in doc["concepts"].values():
        assert set(c) == {"kind", "accuracy", "spread"}
        assert len(c["accuracy"]) == len(c["spread"]) == 5
        assert all(0 <= a <= 1 for a in c["accuracy"]) and all(s >= 0 for s in c["spread"])


def test_attribute_writes_scores_and_reports_chance(tiny_ensemble, tmp_path, capsys):
    out = tmp_path / "scores.npy"
    args = [
        "concepts",
        "attribute",
        "--concept",
        "round",
        "--layer",
        "layer3",
        "--out",
        str(out),
        "--json",
        "--ensemble",
        str(tiny_ensemble),
        "--targets",
        "8",
        "--proj-dim",
        "32",
    ]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    scores = np.load(out)
    assert scores.shape == (100, 8) and scores.dtype == np.float32 and np.isfinite(scores).all()
    assert 0 <= doc["top_positive_fraction"] <= 1
    assert doc["chance"] == 0.4  # 4 of the 10 balanced classes are round
    assert "lds" not in doc and doc["n_top"] == 100


def test_bad_input_is_a_message_not_a_traceback(tiny_ensemble, tmp_path, capsys):
    base = ["concepts", "attribute", "--layer", "layer3", "--ensemble", str(tiny_ensemble)]
    assert main(base + ["--concept", "snakes", "--out", str(tmp_path / "s.npy")]) == 1
    err = capsys.readouterr().err
    assert "--concept 'snakes'" in err and "round, high_frequency" in err and "Traceback" not in err
    assert (
        main(
            [
                "concepts",
                "attribute",
                "--concept",
                "round",
                "--layer",
                "fc",
                "--out",
                str(tmp_path / "s.npy"),
                "--ensemble",
                str(tiny_ensemble),
            ]
        )
        == 1
    )
    assert "--layer 'fc'" in capsys.readouterr().err
    assert main(base + ["--concept", "round", "--out", str(tmp_path / "s.txt")]) == 1
    assert "*.npy" in capsys.readouterr().err
    assert main(["concepts", "probe", "--ensemble", str(tmp_path / "none.safetensors")]) == 1
    assert "ensemble checkpoint not found" in capsys.readouterr().err
    assert (
        main(
            [
                "concepts",
                "remove",
                "--concept",
                "round",
                "--layer",
                "layer3",
                "--k",
                "50",
                "--ensemble",
                str(tiny_ensemble),
            ]
        )
        == 1
    )
    assert "removes half or more of the 100" in capsys.readouterr().err
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    assert main(["concepts", "probe", "--ensemble", str(bad)]) == 1
    assert "bad" in capsys.readouterr().err


def test_attribute_one_test_image_is_trak_of_the_probe_logit_on_that_image(tiny_ensemble, tmp_path, capsys):
    """``--test-image 3``: the scores are traker's for that image alone as the target (the same
    as calling the core with it), and the JSON's probe logit is the members' mean probe
    output on it, recomputed here from freshly fitted probes."""
    from workbench_concepts.core.attribution import TrakConfig, trak_scores
    from workbench_concepts.core.probes import pooled_features
    from workbench_concepts.jobs import load_ensemble_and_data, probe_concepts

    out = tmp_path / "one.npy"
    base = ["concepts", "attribute", "--concept", "round", "--layer", "layer3", "--ensemble", str(tiny_ensemble)]
    assert main(base + ["--out", str(out), "--proj-dim", "16", "--test-image", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    scores = np.load(out)
    assert scores.shape == (100, 1) and doc["n_targets"] == 1 and doc["test_image"] == 3
    loaded = load_ensemble_and_data(str(tiny_ensemble))
    test = loaded.data.test
    assert doc["test_label"] == int(test.labels[3])
    assert doc["test_concept_positive"] == bool(test.concept_labels("round")[3])
    _, fitted = probe_concepts(loaded.models, loaded.data, (1,), None, ("round",))
    probes = [fitted["round"].probes[m][3] for m in range(len(loaded.models))]
    x = test.images[3:4]
    logits = [p.logits(pooled_features(m, x)["layer3"])[0] for m, p in zip(loaded.models, probes, strict=True)]
    assert doc["probe_logit"] == pytest.approx(float(np.mean(logits)), rel=1e-5)
    direct = trak_scores(
        loaded.models, probes, "layer3", loaded.data.train, x, np.ones(1, int), TrakConfig(proj_dim=16)
    )
    assert np.allclose(scores, direct, rtol=1e-4, atol=1e-6 * np.abs(direct).max())
    assert doc["top"][0] == int(np.argmax(direct[:, 0]))
    # an index outside the test set (20 images) is a message naming the range
    assert main(base + ["--out", str(out), "--test-image", "20"]) == 1
    assert "test image 20 does not exist: the test set has 20 images (0..19)" in capsys.readouterr().err
