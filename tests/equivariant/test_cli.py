"""``workbench equivariant dims|check`` through the real CLI entry point (plugin discovery included)."""

from __future__ import annotations

import json

from workbench.cli import main


def test_dims_prints_the_dimensions(capsys):
    assert main(["equivariant", "dims", "--k", "2", "--l", "3", "--n", "6"]) == 0
    assert json.loads(capsys.readouterr().out) == {"dims": [1, 16, 41, 51, 52, 52]}
    assert main(["equivariant", "dims", "--k", "4", "--l", "4", "--n", "8"]) == 0
    assert json.loads(capsys.readouterr().out)["dims"][-1] == 4140


def test_dims_refuses_bad_input(capsys):
    assert main(["equivariant", "dims", "--k", "-1", "--l", "2", "--n", "3"]) == 1
    assert "k must be a non-negative integer" in capsys.readouterr().err
    assert main(["equivariant", "dims", "--k", "1", "--l", "2", "--n", "0"]) == 1
    assert "positive integer" in capsys.readouterr().err


def test_check_json_full_rank_and_below(capsys):
    assert main(["equivariant", "check", "--k", "2", "--l", "2", "--n", "4", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["rank"] == 15 == r["dimension"] == r["diagrams"] and r["full_rank"] is True
    assert r["equivariance_error"] < 1e-5 and r["fast_vs_materialised_error"] < 1e-12
    assert main(["equivariant", "check", "--k", "2", "--l", "3", "--n", "3", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["rank"] == 41 == r["dimension"] and r["diagrams"] == 52 and r["full_rank"] is False
    assert r["rank_equals_dimension"] is True


def test_check_large_n_skips_the_rank_and_text_output(capsys):
    assert main(["equivariant", "check", "--k", "2", "--l", "2", "--n", "100"]) == 0
    out = capsys.readouterr().out
    assert "equivariance error" in out and "skipped" in out


def test_check_refuses_bad_input(capsys):
    assert main(["equivariant", "check", "--k", "5", "--l", "4", "--n", "3", "--json"]) == 1
    assert "k + l = 9" in capsys.readouterr().err
    assert main(["equivariant", "check", "--k", "3", "--l", "3", "--n", "1000", "--json"]) == 1
    assert "use a smaller n" in capsys.readouterr().err
