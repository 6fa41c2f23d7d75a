"""The micrograph editing panel with tiny settings (a generated 5-class folder of a few images
per class, a few edit steps, a 5-image attack): an edit and everything it draws, the live 1-LI
slider (latest wins, cached activations), a comparison's partial rows and Cancel keeping the
last complete table, stale marks, clear messages on a bad folder or model file with nothing
loaded lost, the session round trip without recomputing, the painted region reaching the
rewrite, and every figure exported non-blank with a caption naming its context."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from workbench import plaindata
from workbench.gui.figures import ExportOptions, export_figure
from workbench.state import StateError
from workbench_micrograph.core.data import DefaultData, default_data, write_folder
from workbench_micrograph.panel import STALE

TINY = DefaultData(seed=2, train=4, val=2, test=3, shifted_test=3, pool=4)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("mgpanel") / "set"
    write_folder(default_data(TINY), out)
    return out


def _tiny(panel, folder) -> None:
    panel.state_model.update(
        {
            "data_source": "folder",
            "folder": str(folder),
            "pool": 4,
            "k": 2,
            "replay": 1,
            "method": "lowrank",
            "lowrank_steps": 3,
            "ft_steps": 2,
            "surgical_steps": 2,
            "sweep_steps": 1,
            "last_steps": 3,
            "n_robust": 4,
            "n_corrupt": 4,
            "pgd_steps": 1,
            "device": "cpu",
        }
    )


@pytest.fixture
def panel(make_panel, qtbot, tiny_folder, standalone_shell):
    p = make_panel("micrograph", start=False)
    _tiny(p, tiny_folder)
    p.load_data()
    qtbot.waitUntil(p.is_idle, timeout=60000)
    assert standalone_shell.errors == [] and p.data is not None
    return p


def _edit(panel, qtbot) -> None:
    panel.run_edit()
    qtbot.waitUntil(lambda: panel.is_idle() and not panel._live_timer.isActive(), timeout=120000)
    assert panel.kept("edit") is not None, panel.status.text()


def test_an_edit_fills_table_curves_scatter_browser_and_the_live_slider(panel, qtbot, standalone_shell):
    assert panel.data.num_classes == 5 and panel.browser.thumbs.count() == 15  # 3 source test images per class
    assert "→" not in panel.browser.thumbs.item(0).text()  # the original model only
    _edit(panel, qtbot)
    assert standalone_shell.errors == []
    res = panel.kept("edit").result
    assert res.method == "lowrank" and res.layer == "layer1.conv1"
    assert [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())] == ["unedited", "lowrank"]
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    assert headers[:4] == ["method", "source", "aged", "detector"] and "recovery" in headers
    assert panel.alpha_plot.curve is res.curve and len(panel.alpha_plot.getPlotItem().listDataItems()) >= 5
    assert [r[0] for r in panel.scatter.rows] == ["unedited", "lowrank"]
    # the browser shows original -> edited predictions once the edited model's predictions came
    assert panel.kept("predictions").result.after and "→" in panel.browser.thumbs.item(0).text()
    live = panel.kept("live").result
    assert live is not None and live.alpha == pytest.approx(panel.state_model.alpha)
    assert set(live.acc) == {"source", "aged", "detector", "edit"} and live.n["edit"] == 2 * 5 * 2
    assert "ms" in panel.live_label.text()
    assert len(panel.alpha_plot.live.getData()[0]) == 4  # the live values drawn over the curves
    assert STALE not in panel.status.text()


def test_an_edit_draws_its_accuracies_first_and_cancel_keeps_them(panel, qtbot, standalone_shell):
    import math
    import threading

    from PySide6.QtCore import Qt

    gate = threading.Event()
    # a job ahead of the edit on the panel's lane, so that the edit's handle is wired before it runs
    panel.submit(lambda spec, ctx: gate.wait(60), None, title="hold the lane")
    handle = panel.run_edit()
    partials = []

    def first_partial(res):  # runs on the job's thread as the partial is emitted: Cancel right then
        partials.append(res)
        handle.cancel()

    handle.partial.connect(first_partial, Qt.ConnectionType.DirectConnection)
    gate.set()
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    assert handle.state == "cancelled" and len(partials) == 1 and standalone_shell.errors == []
    res = panel.kept("edit").result
    assert res is partials[0]  # what was computed is kept: the accuracies of both models and of the curve
    assert not math.isnan(res.row_after["source_acc"]) and math.isnan(res.row_after["robust_acc"])
    assert res.curve is not None and all(math.isnan(v) for v in res.curve.robust_inf)
    assert [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())] == ["unedited", "lowrank"]
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    pgd = headers.index("PGD l_inf")
    assert (
        panel.table.item(1, pgd).text() == "-" and panel.table.item(1, 1).text() == f"{res.row_after['source_acc']:.3f}"
    )
    assert panel.alpha_plot.curve is res.curve
    status = panel.status.text()
    assert "edit cancelled: its accuracies are kept" in status and "not measured" in status
    assert "1-LI robustness at alpha 0.00, 0.25, 0.50, 0.75, 1.00" in status
    # the edited model is there: its predictions and the live slider came with the first partial
    assert panel.kept("predictions").result.after and panel.kept("live").result is not None
    # an edit run to the end then measures everything, after the same first partial
    seen = []
    handle = panel.run_edit()
    handle.partial.connect(lambda r: seen.append(r))
    qtbot.waitUntil(lambda: panel.is_idle() and not panel._live_timer.isActive(), timeout=120000)
    res = panel.kept("edit").result
    assert handle.state == "finished" and len(seen) >= 2 and not math.isnan(res.row_after["robust_acc"])
    assert not panel._not_measured(res) and "not measured" not in panel.status.text()
    assert panel.table.item(1, pgd).text() == f"{res.row_after['robust_acc']:.3f}"


def test_the_live_slider_is_off_the_gui_thread_and_the_newest_alpha_wins(panel, qtbot, monkeypatch):
    _edit(panel, qtbot)
    finished = []
    original = panel._live_done
    monkeypatch.setattr(panel, "_live_done", lambda live: (finished.append(live.alpha), original(live)))
    for v in (10, 20, 30, 40, 55, 70, 85):  # a drag: positions of the 100-step slider
        panel.alpha_slider.setValue(v)
    assert finished == []  # nothing is computed on the GUI thread while dragging
    qtbot.waitUntil(lambda: panel.is_idle() and not panel._live_timer.isActive() and bool(finished), timeout=30000)
    assert finished[-1] == pytest.approx(0.85) and len(finished) < 7
    live = panel.kept("live").result
    assert live.alpha == pytest.approx(0.85) and live.cached  # the activations were cached by the first update
    assert panel.alpha_plot.line.value() == pytest.approx(0.85)


def test_comparison_partials_then_cancel_keeps_the_last_complete_table(panel, qtbot, standalone_shell):
    panel.run_compare()
    qtbot.waitUntil(panel.is_idle, timeout=240000)
    first = panel.kept("comparison").result
    assert standalone_shell.errors == [] and first.done == first.total == 8
    assert panel.table.rowCount() == 8 and panel.state_model.table_source == "comparison"
    partials = []
    panel.state_model.seeds = 2
    handle = panel.run_compare()
    handle.partial.connect(lambda r: partials.append(r.done))
    qtbot.waitUntil(lambda: len(partials) >= 2, timeout=120000)
    assert "running" in panel.table_note.text()  # partial rows are drawn as they come
    panel.cancel_btn.click()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert handle.state == "cancelled"
    assert panel.kept("comparison").result is first  # never replaced by the stopped job
    assert panel.table.rowCount() == 8 and "running" not in panel.table_note.text()
    assert "cancelled" in panel.status.text()
    assert panel.stale["comparison"] and STALE.strip(" —") in panel.table_note.text()  # seeds changed since


def test_changed_inputs_mark_results_stale(panel, qtbot):
    _edit(panel, qtbot)
    assert panel.stale == {"edit": False, "comparison": False, "predictions": False}
    panel.state_model.rank = 2
    assert panel.stale["edit"] and STALE in panel.status.text()
    panel.state_model.rank = 4
    assert not panel.stale["edit"] and STALE not in panel.status.text()
    panel.state_model.split_seed = 5  # other data: the predictions shown belong to other inputs
    assert panel.stale["predictions"] and panel.stale["edit"]
    assert "→" not in panel.browser.thumbs.item(0).text() and "%" not in panel.browser.thumbs.item(0).text()
    assert "Load data" in panel.data_label.text()
    assert "stale" in panel.figures()[2].caption_text()


def test_bad_folder_and_bad_model_give_clear_messages_and_lose_nothing(panel, qtbot, tmp_path, standalone_shell):
    loaded = panel.data
    empty = tmp_path / "empty"
    empty.mkdir()
    panel.state_model.folder = str(empty)
    panel.load_data()
    qtbot.waitUntil(panel.is_idle, timeout=30000)
    assert panel.data is loaded and panel.browser.thumbs.count() == 15  # what was loaded stays
    assert str(empty) in panel.status.text() and "data not loaded" in panel.status.text()
    assert "last load failed" in panel.data_label.text()
    assert standalone_shell.errors == []  # a message in the panel, not a traceback dialog
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"not a model")
    panel.state_model.update({"folder": str(panel.data.origin), "model_source": "file", "model_path": str(bad)})
    panel.run_edit()
    qtbot.waitUntil(panel.is_idle, timeout=30000)
    status = panel.status.text()
    assert panel.kept("edit") is None and "edit failed" in status and "model.safetensors" in status
    with pytest.raises(StateError, match="choose the model file"):  # refused before any job
        panel.state_model.update({"model_source": "file", "model_path": ""})
    assert panel.state_model.model_path == str(bad)


def test_session_round_trip_keeps_state_and_results_without_recomputing(
    panel, qtbot, make_panel, tiny_folder, monkeypatch
):
    _edit(panel, qtbot)
    panel.browser.view.paint_at(QPointF(10, 10), True)
    panel.browser.view.mask_changed.emit()
    state = json.loads(json.dumps(panel.state()))
    results = panel.results()
    assert {"edit", "edit_rows", "predictions", "live", "mask"} <= set(results)
    decoded = {}
    for name, kept in results.items():  # kept results are plain data: they encode without pickle
        tree, arrays = plaindata.encode(kept.result)
        decoded[name] = type(kept)(plaindata.decode(tree, arrays), kept.inputs)
        assert plaindata.same(decoded[name].result, kept.result), name
    fresh = make_panel("micrograph", start=False)
    calls = []
    monkeypatch.setattr(fresh, "submit", lambda *a, **k: calls.append(a))
    fresh.restore(state)
    fresh.restore_results(decoded)
    assert calls == [] and fresh.state() == state
    assert [fresh.table.item(r, 0).text() for r in range(fresh.table.rowCount())] == ["unedited", "lowrank"]
    assert fresh.table.item(1, 1).text() == panel.table.item(1, 1).text()
    assert fresh.alpha_plot.curve is not None and fresh.live_label.text() == panel.live_label.text()
    assert fresh.stale == {"edit": False, "comparison": False, "predictions": False}
    assert int(fresh.mask.sum()) == int(panel.mask.sum()) > 0


def test_the_painted_region_reaches_the_rewrite_and_marks_it_stale(panel, qtbot):
    panel.state_model.update({"method": "rewrite", "tab": 0})
    assert panel.edit_spec().method.mask is None  # nothing painted: the whole image
    panel.browser.paint.setChecked(True)
    panel.browser.view.brush = 4
    panel.browser.view.paint_at(QPointF(20, 30), True)
    panel.browser.view.mask_changed.emit()
    m = np.asarray(panel.edit_spec().method.mask)
    assert m.shape == (64, 64) and m[30, 20] and not m[0, 0] and 30 < m.sum() < 80
    assert "painted pixels" in panel.mask_label.text()
    _edit(panel, qtbot)
    assert panel.kept("edit").result.method == "rewrite" and not panel.stale["edit"]
    panel.browser.view.paint_at(QPointF(50, 50), True)
    panel.browser.view.mask_changed.emit()
    assert panel.stale["edit"]
    panel.clear_mask()
    assert panel.mask is None and panel.edit_spec().method.mask is None


def _varies(path) -> bool:
    from PySide6.QtGui import QImage

    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    px = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
    return not img.isNull() and float(px.var()) > 0


def test_every_figure_exports_non_blank_with_its_context(panel, qtbot, tmp_path):
    _edit(panel, qtbot)
    figs = panel.figures()
    assert [f.name for f in figs] == ["micrograph_image", "micrograph_table", "micrograph_alpha", "micrograph_scatter"]
    for fig in figs:
        caption = fig.caption_text()
        words = ("model micrograph-resnet-w8", "shift aged, detector", "edit lowrank", "layer1.conv1", "alpha 0.50")
        for word in words:
            assert word in caption, (fig.name, caption)
        assert "n = " in caption
        png = export_figure(fig, tmp_path / f"{fig.name}.png", ExportOptions(fmt="png", dpi=96))[0]
        assert _varies(png), fig.name
        data = json.loads((tmp_path / f"{fig.name}.data.json").read_text())
        assert data["caption"] == caption and data["method"] == "lowrank"
        svg = export_figure(fig, tmp_path / f"{fig.name}.svg", ExportOptions(fmt="svg", write_data=False))[0]
        assert svg.stat().st_size > 500
    for fmt in ("csv", "markdown", "latex", "json"):
        text = panel.save_table(tmp_path / f"t.{fmt}", fmt).read_text()
        assert "lowrank" in text and "unedited" in text
    rows = json.loads((tmp_path / "t.json").read_text())["methods"]
    assert [r["method"] for r in rows] == ["unedited", "lowrank"] and 0 <= rows[1]["source_acc"] <= 1
    assert rows[0]["recovery"] is None and rows[1]["recovery"] is not None
