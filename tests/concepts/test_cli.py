"""``workbench concepts probe|attribute|remove`` through the real CLI entry point, on a tiny
ensemble trained by the session fixture."""

from __future__ import annotations

import json

import numpy as np

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
