"""Quiver readers read integers exactly or refuse them (never wrap, truncate or overflow), name
the file, and read back what their writers wrote."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import InputError
from workbench_quiver.core import formats
from workbench_quiver.core.quiver import Quiver, validate_b

BIG = 2**70


def _big_quiver(v: int = BIG) -> Quiver:
    return Quiver(np.array([[0, v, -3], [-v, 0, 1], [3, -1, 0], [2, v, 5]], dtype=object))


@pytest.mark.parametrize("suffix", [".qmu", ".json", ".txt", ".csv"])
@pytest.mark.parametrize("value", [BIG, 2**63, 2**64 - 1, 2**62, 7])
def test_writer_output_is_read_back_exactly(tmp_path, suffix, value):
    q = _big_quiver(value)
    if suffix == ".csv":
        q = Quiver(q.b[:3])  # the CSV holds square matrices only
    path = formats.write_quiver(tmp_path / f"q{suffix}", q)
    back = formats.read_quiver_file(str(path))
    assert [[int(x) for x in row] for row in back.b] == [[int(x) for x in row] for row in q.b]
    assert back.n_frozen == q.n_frozen


def test_lists_of_python_ints_beyond_int64_stay_exact():
    # numpy turns [[0, 2**63], [-2**63, 0]] into float64; validate_b must not
    b = validate_b([[0, 2**63 + 1], [-(2**63 + 1), 0]])
    assert int(b[0, 1]) == 2**63 + 1
    # a uint64 array (a frozen row 2**63) is not wrapped to a negative int64
    b = validate_b(np.array([[0], [2**63]], dtype=np.uint64))
    assert int(b[1, 0]) == 2**63


@pytest.mark.parametrize(
    "text,message",
    [
        ("0,inf,-inf,0\n", "not finite"),
        ("0,nan,nan,0\n", "not finite"),
        ("0,1e300,-1e300,0\n", "beyond 2\\*\\*53"),
        ("0,1.18e21,-1.18e21,0\n", "beyond 2\\*\\*53"),
        ("0,1.5,-1.5,0\n", "not an integer"),
    ],
)
def test_csv_refuses_what_is_not_an_exact_integer(tmp_path, text, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        formats.read_quiver_list(str(p))
    assert "bad.csv" in str(info.value) and "line 1, column 2" in str(info.value)


def test_csv_reads_float_notation_of_small_integers_and_big_digits():
    bs = formats.read_benchmark_csv(f"a,b,c,d\n0,3.0,-3,0\n0,{BIG},{-BIG},0\n")
    assert bs[0].tolist() == [[0, 3], [-3, 0]]
    assert int(bs[1][0, 1]) == BIG


@pytest.mark.parametrize(
    "text,message",
    [
        ("//Matrix\n2 2\n0 1.5\n-1 0\n", "line 3, column 2: '1.5' is not an integer"),
        ("//Matrix\n2 2\n0 inf\n-1 0\n", "not finite"),
        ("//Matrix\n2 2\n0 1e300\n-1 0\n", "beyond 2\\*\\*53"),
        ("//Matrix\nx 2\n", "matrix size"),
        ("//Matrix\n2 2\n0 1\n-1 0\n//Points\n9 nan 0\n9 1 1\n", "not finite"),
    ],
)
def test_qmu_refuses_bad_entries(tmp_path, text, message):
    p = tmp_path / "bad.qmu"
    p.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        formats.read_quiver_file(str(p))
    assert "bad.qmu" in str(info.value)


def test_qmu_with_entries_beyond_int64_is_exact():
    text = f"//Matrix\n2 2\n0 {BIG}\n{-BIG} 0\n"
    assert int(formats.read_qmu(text).b[0, 1]) == BIG


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"b": 7}', "list of rows"),
        ('{"b": [[0, 1.18e21], [-1.18e21, 0]]}', "beyond 2\\*\\*53"),
        ('{"b": [[0, 1.5], [-1.5, 0]]}', "not an integer"),
        ('{"b": [[0, Infinity], [0, 0]]}', "Infinity"),
        ("[" * 100_000, "nested"),
        ('{"b": [[0, 1], [-1, 0]], "positions": [[0, 0], [1, NaN]]}', "NaN"),
        ('{"b": [[0, 1], [-1, 0]], "labels": 5}', "labels"),
    ],
)
def test_json_refuses_structurally_wrong_files(tmp_path, text, message):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        formats.read_quiver_file(str(p))
    assert "bad.json" in str(info.value)


def test_json_lines_and_b_text_keep_exact_integers_and_refuse_floats():
    bs = formats.read_json_lines(f'{{"b": [[0, {BIG}], [{-BIG}, 0]]}}\n[[0, 2], [-2, 0]]\n')
    assert int(bs[0][0, 1]) == BIG and bs[1].tolist() == [[0, 2], [-2, 0]]
    with pytest.raises(InputError, match="line 1: 'b' must be"):
        formats.read_json_lines('{"b": "x"}\n')
    assert int(formats.read_b_text(f"[0 {2**63}]\n[{-(2**63)} 0]\n")[0, 1]) == 2**63
    with pytest.raises(InputError, match="line 1, column 2: '2.5' is not an integer"):
        formats.read_b_text("[0 2.5]\n[-2.5 0]\n")
    with pytest.raises(InputError, match="beyond 2\\*\\*53"):
        formats.read_b_text("[[0, 1e300], [-1e300, 0]]")


def test_undecodable_and_missing_files_are_named(tmp_path):
    p = tmp_path / "binary.txt"
    p.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(InputError, match=r"binary\.txt: the quiver file is not UTF-8 text"):
        formats.read_quiver_file(str(p))
    with pytest.raises(InputError, match=r"missing\.qmu: no such file"):
        formats.read_quiver_file(str(tmp_path / "missing.qmu"))
