"""``workbench micrograph generate|train|edit|evaluate``: the folder layout, the evaluate JSON
schema of the issue, an edit from a config file, clear errors."""

from __future__ import annotations

import argparse
import json

import pytest

from workbench_micrograph.cli import register


def _cli(argv):
    ap = argparse.ArgumentParser()
    register(ap.add_subparsers())
    args = ap.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("mg") / "set"
    assert (
        _cli(
            [
                "generate",
                "--out",
                str(out),
                "--seed",
                "2",
                "--train",
                "4",
                "--val",
                "2",
                "--test",
                "3",
                "--shifted-test",
                "3",
                "--pool",
                "4",
            ]
        )
        == 0
    )
    return out


def test_generate_writes_the_expected_layout(tiny_folder, capsys):
    for dom in ("source", "aged", "detector"):
        classes = sorted(p.name for p in (tiny_folder / dom).iterdir())
        assert classes == ["route-A", "route-B", "route-C", "route-D", "route-E"]
    assert len(list((tiny_folder / "source" / "route-A").glob("*.png"))) == 4 + 2 + 3
    assert (tiny_folder / "domains.csv").read_text().startswith("path,domain,class,split\n")
    assert _cli(["generate", "--out", str(tiny_folder)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_evaluate_json_schema(tiny_folder, capsys):
    from workbench_micrograph.jobs import default_methods

    assert [m.name for m in default_methods()] == [
        "full_ft",
        "surgical",
        "surgical_best",
        "last_layer",
        "lowrank",
        "one_li",
        "rewrite",
    ]
    # the schema on a subset of the methods (all of them take minutes on two cores)
    code = _cli(
        [
            "evaluate",
            "--json",
            "--data",
            str(tiny_folder),
            "--seeds",
            "1",
            "--k",
            "2",
            "--replay",
            "1",
            "--n-robust",
            "4",
            "--n-corrupt",
            "4",
            "--pgd-steps",
            "2",
            "--methods",
            "last_layer,rewrite",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    doc = json.loads(out)
    assert list(doc) == ["methods"]
    assert [r["method"] for r in doc["methods"]] == ["unedited", "last_layer", "rewrite"]
    keys = ["method", "source_acc", "aged_acc", "detector_acc", "edit_acc", "robust_acc", "corruption_acc"]
    for row in doc["methods"]:
        assert list(row) == keys
        assert all(isinstance(row[k], float) and 0.0 <= row[k] <= 1.0 for k in keys[1:])


def test_edit_from_a_config_and_train(tiny_folder, tmp_path, capsys):
    cfg = tmp_path / "edit.json"
    cfg.write_text(
        json.dumps(
            {
                "method": "lowrank",
                "settings": {"layer": "layer2.conv1", "rank": 2, "steps": 3},
                "data": str(tiny_folder),
                "k": 2,
                "replay": 0,
                "evaluate": False,
                "out": str(tmp_path / "edit-out"),
            }
        )
    )
    assert _cli(["edit", "--config", str(cfg), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["changed"] == ["layer2.conv1.weight"] and doc["details"]["delta_rank"] == 2
    assert set(doc["before"]) >= {"source_acc", "aged_acc", "detector_acc", "edit_acc"}
    assert (tmp_path / "edit-out" / "edited.safetensors").is_file() and (tmp_path / "edit-out" / "table.md").is_file()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"method": "lowrank", "settings": {"rnak": 2}}))
    assert _cli(["edit", "--config", str(bad)]) == 2
    assert "rnak" in capsys.readouterr().err
    bad.write_text(json.dumps({"method": "sharpen"}))
    assert _cli(["edit", "--config", str(bad)]) == 2
    assert "unknown method 'sharpen'" in capsys.readouterr().err
    model = tmp_path / "m.safetensors"
    assert _cli(["train", "--data", str(tiny_folder), "--out", str(model), "--epochs", "1", "--width", "4"]) == 0
    assert "source_test" in capsys.readouterr().out and model.with_suffix(".json").is_file()
    assert _cli(["train", "--data", str(tmp_path / "none"), "--out", str(model)]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert _cli(["evaluate", "--methods", "dropout"]) == 2
    assert "unknown method(s) ['dropout']" in capsys.readouterr().err
