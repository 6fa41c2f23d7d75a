"""The run job on the tiny SD-1.x-shaped pipeline and a tiny LM: shapes of everything it
returns, partial results, the CLI's files, cancel and bad input."""

from __future__ import annotations

import csv
import json
import threading

import numpy as np
import pytest

from workbench.jobs import JobCancelled, JobContext, JobError
from workbench_diffusion_id.jobs import RunSpec, run_diffusion_id

PROMPTS = ("a red circle", "two blue squares", "blorp zint", "a green triangle in the top left")


def _spec(folder, lm, **kw):
    base = dict(
        prompts=PROMPTS,
        model=str(folder),
        lm=str(lm),
        n_images=6,
        steps=3,
        guidance=3.0,
        seed=0,
        n_boot=20,
        batch_size=6,
        device="cpu",
    )
    return RunSpec(**{**base, **kw})


def test_run_job_shapes_partials_and_values(tiny_sd1_folder, tiny_lm_folder):
    partials = []
    res = run_diffusion_id(_spec(tiny_sd1_folder, tiny_lm_folder), JobContext(device="cpu", on_partial=partials.append))
    E, P, L, S = 3, 4, 2, 3
    assert res.ids.shape == (E, P, L, S) and res.done == P and res.estimators == ("mle", "twonn", "gride")
    assert res.shapes == {"mid_block": (64, 2, 2), "latents": (4, 16, 16)}
    assert np.isfinite(res.ids).all() and (res.ids > 0).all()
    assert (res.ci_low <= res.ids + 1e-9).all() and (res.ids <= res.ci_high + 1e-9).all()
    assert (res.n_points == 6).all() and len(res.images) == P and res.images[0].shape == (6, 32, 32, 3)
    assert [p.done for p in partials] == [1, 2, 3, 4]
    assert partials[1].correlations == () and len(partials[2].correlations) > 0
    # ID estimates are those of the core on the captured activations (checked for one cell)
    from workbench_diffusion_id.core.intrinsic_dim import estimate
    from workbench_diffusion_id.core.pipeline import generate, load_pipeline

    g = generate(load_pipeline(tiny_sd1_folder), PROMPTS[1], n_images=6, steps=3, guidance=3.0, seed=0, batch_size=6)
    assert res.ids[0, 1, 0, 2] == pytest.approx(estimate(g.activations["mid_block"][2], "mle").id, rel=1e-6)
    rows = [r for r in res.correlations if r.estimator == "mle" and r.step == -1]
    assert {r.layer for r in rows} == {"mid_block", "latents"} and all(r.result.n == P for r in rows)


def test_run_job_cancels_after_a_prompt(tiny_sd1_folder, tiny_lm_folder):
    ev = threading.Event()
    partials = []

    def on_partial(p):
        partials.append(p)
        ev.set()

    with pytest.raises(JobCancelled):
        run_diffusion_id(
            _spec(tiny_sd1_folder, tiny_lm_folder, n_boot=0),
            JobContext(device="cpu", cancel_event=ev, on_partial=on_partial),
        )
    assert len(partials) == 1


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"prompts": ()}, "at least one prompt"),
        ({"prompts": ("ok", " ")}, "empty prompts"),
        ({"n_images": 2}, "at least 3"),
        ({"estimators": (("nope", ()),)}, "unknown estimator"),
        ({"model": "/nonexistent/folder"}, "no such folder"),
    ],
)
def test_run_job_refuses_bad_settings(tiny_sd1_folder, tiny_lm_folder, kw, match):
    with pytest.raises(JobError, match=match):
        run_diffusion_id(_spec(tiny_sd1_folder, tiny_lm_folder, **kw), JobContext(device="cpu"))


def test_cli_run_writes_tables_and_figures(tiny_sd1_folder, tiny_lm_folder, tmp_path, capsys):
    from workbench.cli import main

    (tmp_path / "prompts.txt").write_text("# prompts\n" + "\n".join(PROMPTS) + "\n\n")
    out = tmp_path / "out"
    assert (
        main(
            [
                "diffusion-id",
                "run",
                "--prompts",
                str(tmp_path / "prompts.txt"),
                "--model",
                str(tiny_sd1_folder),
                "--lm",
                str(tiny_lm_folder),
                "--images",
                "5",
                "--steps",
                "2",
                "--bootstrap",
                "0",
                "--formats",
                "png,svg",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 4 * 2 * 2 * 3 and {r["layer"] for r in rows} == {"mid_block", "latents"}
    assert float(rows[0]["id"]) > 0 and rows[0]["ci_low"] == ""
    doc = json.loads((out / "results.json").read_text())
    assert doc["prompts"] == list(PROMPTS) and len(doc["perplexity"]) == 4
    for name in ("id_per_prompt", "id_vs_perplexity", "id_vs_step", "twonn_fit", "gallery"):
        assert (out / f"{name}.png").stat().st_size > 1000 and (out / f"{name}.svg").exists()
    assert "mid_block" in capsys.readouterr().out
    (tmp_path / "empty.txt").write_text("# nothing\n\n")
    assert main(["diffusion-id", "run", "--prompts", str(tmp_path / "empty.txt"), "--out", str(out)]) != 0
    assert "no prompts" in capsys.readouterr().err
