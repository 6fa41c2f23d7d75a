"""Headless CLI handlers, driven through argparse as the shell will."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

from workbench_quiver.cli import register
from workbench_quiver.core.standard import standard_quiver


def _run(argv):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    register(sub)
    args = p.parse_args(argv)
    return args.func(args)


def test_classify_jsonl_and_csv(tmp_path, capsys):
    f = tmp_path / "q.jsonl"
    rows = [standard_quiver("E7"), standard_quiver("D~6"), np.array([[0, 3], [-3, 0]])]
    f.write_text("\n".join(json.dumps({"b": b.tolist()}) for b in rows) + "\n")
    assert _run(["classify", str(f)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [d["type"] for d in out] == ["E7", "D~6", "infinite"]
    c = tmp_path / "q.csv"
    c.write_text("\n".join(",".join(str(int(v)) for v in b.flat) for b in rows[:2]) + "\n")
    assert _run(["classify", str(c)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [d["type"] for d in out] == ["E7", "D~6"]


def test_class_with_out(tmp_path, capsys):
    out = tmp_path / "m.jsonl"
    assert _run(["class", "--type", "E6", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out) == {"type": "E6", "size": 67}
    lines = out.read_text().splitlines()
    assert len(lines) == 67 and "path" in json.loads(lines[5])
    assert _run(["class", "--type", "A~3,2"]) == 0
    assert json.loads(capsys.readouterr().out) == {"type": "A~3,2", "size": 12}


def test_identify_convert_tikz_and_errors(tmp_path, capsys):
    src = tmp_path / "q.txt"
    src.write_text("[0 1 0 0]\n[-1 0 1 1]\n[0 -1 0 0]\n[0 -1 0 0]\n")
    assert _run(["identify", str(src)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["type"] == "D4" and d["evidence"]["vatne_type"] == "I"
    qmu = tmp_path / "q.qmu"
    assert _run(["convert", str(src), str(qmu)]) == 0
    assert _run(["identify", str(qmu)]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "D4"
    assert _run(["tikz", str(qmu)]) == 0
    assert "tikzpicture" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"b": [[0, 1], [1, 0]]}\n')
    assert _run(["classify", str(bad)]) == 2
    assert "not skew-symmetric" in capsys.readouterr().err
    assert _run(["class", "--type", "Q3"]) == 2
    assert _run(["identify", str(tmp_path / "missing.qmu")]) == 2


def test_core_and_cli_import_without_qt():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_module(self, name, path=None):\n"
        "        return None\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.startswith('PySide6') or name.startswith('PyQt'):\n"
        "            raise ImportError('Qt blocked')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        "import workbench_quiver.cli, workbench_quiver.jobs\n"
        "from workbench_quiver.core import canonical, class_size, enumerate, equivalence, formats, identify, info\n"
        "from workbench_quiver.core import mutation, quiver, standard, structure, tables, blocks\n"
        "print(identify.identify([[0, 1], [-1, 0]]).label)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "A2"


def test_classify_with_gnn_adds_family_probabilities(tmp_path, capsys):
    """`classify FILE --gnn` adds {family: probability} over the six families (shipped checkpoint)."""
    import argparse
    import json

    from workbench_quiver.cli import register
    from workbench_quiver.core.standard import standard_quiver

    path = tmp_path / "q.jsonl"
    rows = [standard_quiver(label) for label in ("D~8", "E8", "A~5,4")]
    path.write_text("".join(json.dumps({"b": b.tolist()}) + "\n" for b in rows))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["classify", str(path), "--gnn"])
    assert args.func(args) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["type"] for d in out] == ["D~8", "E8", "A~5,4"]
    for d in out:
        assert set(d["gnn"]) == {"A", "D", "E", "A~", "D~", "E~"}
        assert abs(sum(d["gnn"].values()) - 1) < 1e-4
        assert max(d["gnn"], key=d["gnn"].get) == d["family"]
    bad = parser.parse_args(["classify", str(path), "--gnn", "--checkpoint", str(tmp_path / "missing.safetensors")])
    assert bad.func(bad) == 2
    assert "missing.safetensors" in capsys.readouterr().err


def _frozen_quiver_file(tmp_path):
    from workbench_quiver.core import formats
    from workbench_quiver.core.quiver import Quiver

    b = np.vstack([standard_quiver("D4"), [[1, 0, -1, 0]]])
    return formats.write_quiver(tmp_path / "src.qmu", Quiver(b, positions=np.arange(10.0).reshape(5, 2)))


@pytest.mark.parametrize("suffix", [".qmu", ".json", ".txt", ".b", ".tex"])
def test_convert_writes_what_write_quiver_writes(tmp_path, suffix):
    from workbench_quiver.core import formats

    src = _frozen_quiver_file(tmp_path)
    out = tmp_path / f"out{suffix}"
    assert _run(["convert", str(src), str(out)]) == 0
    q = formats.read_quiver_file(str(src))
    assert out.read_text() == formats.quiver_text(q, suffix)


def test_convert_csv_and_no_suffix(tmp_path):
    from workbench_quiver.core import formats

    src = tmp_path / "e6.txt"
    src.write_text(formats.write_b_text(standard_quiver("E6")))
    assert _run(["convert", str(src), str(tmp_path / "e6.csv")]) == 0
    assert formats.read_benchmark_csv((tmp_path / "e6.csv").read_text())[0].tolist() == standard_quiver("E6").tolist()
    assert _run(["convert", str(src), str(tmp_path / "plain")]) == 0
    assert (tmp_path / "plain.txt").read_text() == formats.write_b_text(standard_quiver("E6"))


@pytest.mark.parametrize("name", ["out.png", "out.qmuu"])
def test_convert_refuses_an_unknown_suffix(tmp_path, capsys, name):
    src = _frozen_quiver_file(tmp_path)
    assert _run(["convert", str(src), str(tmp_path / name)]) == 2
    assert "unknown quiver format" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_convert_csv_refuses_frozen_vertices(tmp_path, capsys):
    src = _frozen_quiver_file(tmp_path)
    assert _run(["convert", str(src), str(tmp_path / "out.csv")]) == 2
    assert "save it as .qmu or .json" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()
