"""The dataset tab's confusion matrix and accuracy by |C| (issue 23): computed in the prediction
job, drawn, exported with its data, kept through a session; the new shipped classifiers predict."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("PySide6")

_ok = os.environ.get("QT_QPA_PLATFORM", "") == "xcb" or bool(os.environ.get("DISPLAY"))
pytestmark = [pytest.mark.gui, pytest.mark.skipif(not _ok, reason="run under xvfb-run -a with QT_QPA_PLATFORM=xcb")]


def test_metrics_of_a_shipped_gauge_classifier(make_panel, qtbot, tmp_path):
    from workbench_bundle.core.haldane_bundle import generate_dataset, save_dataset

    ds = generate_dataset(10, grid=32, seed=5)
    path = save_dataset(ds, tmp_path / "ds.npz")
    panel = make_panel("bundle", start=False)
    panel.load_dataset(str(path))
    qtbot.waitUntil(lambda: panel.is_idle() and panel.dataset is not None, timeout=30000)
    view = panel.dataset_view.metrics_view
    assert view.metrics is None
    assert panel.apply_settings({"classifier": "gauge"}, "Classifier")
    panel.predict()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.predictions is not None, timeout=60000)
    m = view.metrics
    assert m is not None and view.source == "shipped gauge"
    conf = np.asarray(m["confusion"])
    pred = panel.predictions
    assert conf.sum() == np.sum(np.abs(pred) <= 2) and conf.trace() == np.sum(pred == ds.labels)
    for k in (0, 1, 2):
        sel = np.abs(ds.labels) == k
        if sel.any():
            assert m["accuracy_by_abs_c"][str(k)] == pytest.approx(np.mean(pred[sel] == ds.labels[sel]))
    figs = {f.name: f for f in panel.figures()}
    data = figs["metrics"].data()
    assert np.array_equal(data["confusion_true_rows_pred_cols_classes_-2..2"], conf)
    img = figs["metrics"].image(800, 400)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(400, 800, 4)
    assert arr[..., :3].std() > 5
    # a session gives the metrics back with the predictions, without a job
    panel2 = make_panel("bundle", start=False)
    panel2.restore(panel.state())
    panel2.restore_results(panel.results())
    assert panel2.dataset_view.metrics_view.metrics == m
