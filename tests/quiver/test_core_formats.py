"""File formats: round trips and clear errors on bad input."""

import networkx as nx
import numpy as np
import pytest

from workbench_quiver.core import formats
from workbench_quiver.core.quiver import Quiver
from workbench_quiver.core.standard import standard_quiver


def _q():
    b = np.vstack([standard_quiver("D~5"), [[1, 0, 0, -1, 0, 2]]])
    pos = np.arange(14, dtype=float).reshape(7, 2) * 10
    return Quiver(b, positions=pos)


def test_qmu_round_trip_keeps_positions_and_frozen():
    q = _q()
    q2 = formats.read_qmu(formats.write_qmu(q))
    assert np.array_equal(q2.b, q.b) and q2.n_frozen == 1
    assert np.allclose(q2.positions, q.positions)


def test_qmu_reader_sage_style_and_errors():
    text = (
        "//Number of points\n3\n//Vertex radius\n9\n//Labels shown\n1\n//Matrix\n3 3\n0 1 0 \n-1 0 -1 \n"
        "0 1 0 \n//Points\n9 10 20\n9 30 40\n9 50 60 1\n//Historycounter\n-1\n//History\n\n//Cluster is null"
    )
    q = formats.read_qmu(text)
    assert q.n_mutable == 2 and q.n_frozen == 1 and q.b.tolist() == [[0, 1], [-1, 0], [0, 1]]
    assert q.positions.tolist() == [[10, 20], [30, 40], [50, 60]]
    with pytest.raises(ValueError, match="no '//Matrix'"):
        formats.read_qmu("hello")
    with pytest.raises(ValueError, match="line 4: matrix row has 2 entries"):
        formats.read_qmu("//Matrix\n3 3\n0 1 0\n-1 0\n")
    with pytest.raises(ValueError, match="not skew-symmetric"):
        formats.read_qmu("//Matrix\n2 2\n0 1\n1 0\n")


def test_b_text_csv_json_round_trips():
    b = standard_quiver("E7")
    assert np.array_equal(formats.read_b_text(formats.write_b_text(b)), b)
    assert np.array_equal(formats.read_b_text("0, 1\n-1, 0"), [[0, 1], [-1, 0]])
    assert np.array_equal(formats.read_b_text("[[0,2],[-2,0]]"), [[0, 2], [-2, 0]])
    mats = [standard_quiver("A4"), standard_quiver("D~4")]
    back = formats.read_benchmark_csv(formats.write_benchmark_csv(mats))
    assert all(np.array_equal(a, c) for a, c in zip(mats, back, strict=True))
    back2 = formats.read_benchmark_csv("b0,b1,b2,b3,label\n0,1,-1,0,A2\n")
    assert back2[0].tolist() == [[0, 1], [-1, 0]]
    q = _q()
    q2 = formats.from_json(formats.to_json(q))
    assert np.array_equal(q2.b, q.b) and np.allclose(q2.positions, q.positions)


def test_bad_inputs_name_the_line():
    with pytest.raises(ValueError, match="line 2: 3 numbers is not a square"):
        formats.read_benchmark_csv("0,1,-1,0\n0,1,2\n")
    with pytest.raises(ValueError, match=r"line 1: not skew-symmetric"):
        formats.read_benchmark_csv("0,1,1,0\n")
    with pytest.raises(ValueError, match="line 2: not valid JSON"):
        formats.read_json_lines('{"b": [[0]]}\n{oops\n')
    with pytest.raises(ValueError, match="line 1: no 'b' entry"):
        formats.read_json_lines('{"a": 1}\n')
    with pytest.raises(ValueError, match="line 2, column 2: .x. is not a number: not a row of integers"):
        formats.read_b_text("0 1\n-1 x\n")
    with pytest.raises(ValueError, match="no quivers"):
        formats.read_benchmark_csv("\n\n")


def test_networkx_round_trip_and_tikz():
    q = _q()
    g = formats.to_networkx(q)
    assert isinstance(g, nx.DiGraph)
    assert g.edges[0, 1]["weight"] == 1 and g.nodes[6]["frozen"]
    q2 = formats.from_networkx(g)
    assert np.array_equal(q2.b, q.b)
    g2 = nx.DiGraph()
    g2.add_edge("x", "y", weight=2)
    assert formats.from_networkx(g2).b.tolist() == [[0, 2], [-2, 0]]
    g2.add_edge("y", "y")
    with pytest.raises(ValueError, match="self-loop"):
        formats.from_networkx(g2)
    tikz = formats.to_tikz(q, highlight=[0])
    assert tikz.count("\\node") == 7 and tikz.count("\\draw") == len(q.arrows())
    assert "fro" in tikz and "{2}" in tikz


# --------------------------------------------------------------------------- write_quiver: one writer by suffix


def _plain_q():
    b = standard_quiver("E6")
    return Quiver(b, labels=[f"x{i}" for i in range(6)], positions=np.arange(12, dtype=float).reshape(6, 2))


@pytest.mark.parametrize("suffix", [".qmu", ".json", ".QMU"])
def test_write_quiver_qmu_json_keep_frozen_and_positions(tmp_path, suffix):
    q = _q()
    path = formats.write_quiver(tmp_path / f"q{suffix}", q)
    assert path == tmp_path / f"q{suffix}"
    back = formats.read_quiver_file(str(path))
    assert np.array_equal(back.b, q.b)
    assert back.n_frozen == 1
    assert np.allclose(back.positions, q.positions)


def test_write_quiver_json_is_one_line_of_json(tmp_path):
    text = formats.write_quiver(tmp_path / "q.json", _plain_q()).read_text()
    assert text.endswith("}\n")
    assert text.count("\n") == 1
    assert formats.from_json(text).labels == [f"x{i}" for i in range(6)]


@pytest.mark.parametrize("suffix", [".txt", ".b"])
def test_write_quiver_b_text(tmp_path, suffix):
    q = _plain_q()
    path = formats.write_quiver(tmp_path / f"q{suffix}", q)
    assert path.read_text() == formats.write_b_text(q.b)
    assert np.array_equal(formats.read_quiver_file(str(path)).b, q.b)


def test_write_quiver_no_suffix_is_b_text_with_txt(tmp_path):
    q = _plain_q()
    path = formats.write_quiver(tmp_path / "quiver", q)
    assert path == tmp_path / "quiver.txt"
    assert path.read_text() == formats.write_b_text(q.b)


def test_write_quiver_csv(tmp_path):
    q = _plain_q()
    path = formats.write_quiver(tmp_path / "q.csv", q)
    assert path.read_text() == ",".join(str(int(v)) for v in q.b.flat) + "\n"
    assert np.array_equal(formats.read_quiver_file(str(path)).b, q.b)


def test_write_quiver_csv_refuses_frozen_vertices(tmp_path):
    with pytest.raises(ValueError, match=r"1 frozen vertex.*\.qmu or \.json"):
        formats.write_quiver(tmp_path / "q.csv", _q())
    assert not (tmp_path / "q.csv").exists()


def test_write_quiver_tex_with_highlight(tmp_path):
    q = _plain_q()
    text = formats.write_quiver(tmp_path / "q.tex", q, highlight=[2]).read_text()
    assert text == formats.to_tikz(q, highlight=[2])
    assert text.count("hl]") == 1
    assert text.count("\\draw[->]") == len(q.arrows())


@pytest.mark.parametrize("name", ["q.png", "q.qmuu", "q.jsonl"])
def test_write_quiver_unknown_suffix_is_refused(tmp_path, name):
    with pytest.raises(ValueError, match=r"unknown quiver format .*\.qmu, \.json, \.txt, \.csv, \.tex"):
        formats.write_quiver(tmp_path / name, _plain_q())
    assert not (tmp_path / name).exists()
