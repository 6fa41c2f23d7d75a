"""GUI, issue 19: Preferences > Compute (this process / local cluster of N workers / a Dask
scheduler) is saved and read back, a bad scheduler address is refused in the dialog with its
reason, and the status bar shows the cluster (workers, running, queued) of a real LocalCluster
of 2 worker processes, connected off the GUI thread, and says so when a scheduler goes away."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from workbench import cluster
from workbench.gui import cluster_status
from workbench.settings import Preferences, load_preferences, save_preferences

LOCAL2 = cluster.Backend("local", 2)


@pytest.fixture
def local2(local_cluster_2):
    """The client of the session's LocalCluster of 2 worker processes (tests/conftest.py)."""
    client = cluster.client_for(local_cluster_2)
    client.wait_for_workers(2, timeout=120)
    return client


def _dialog(qtbot, prefs):
    from workbench.gui.dialogs import PreferencesDialog

    dlg = PreferencesDialog(prefs)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_compute_preferences_round_trip(qtbot, tmp_path):
    dlg = _dialog(qtbot, Preferences(compute="local", local_workers=3, scheduler="tcp://10.0.0.5:8786"))
    box = dlg.compute
    assert box.local.isChecked() and box.workers.value() == 3 and box.workers.isEnabled()
    assert box.address.text() == "tcp://10.0.0.5:8786" and not box.address.isEnabled()
    box.scheduler.setChecked(True)
    assert box.address.isEnabled() and not box.workers.isEnabled()
    dlg.accept()
    assert dlg.result() == dlg.DialogCode.Accepted
    prefs = dlg.preferences()
    assert (prefs.compute, prefs.local_workers, prefs.scheduler) == ("scheduler", 3, "tcp://10.0.0.5:8786")
    save_preferences(prefs)
    back, warnings = load_preferences()
    assert back == prefs and warnings == []
    assert back.backend() == cluster.Backend("scheduler", 0, "tcp://10.0.0.5:8786")
    # a scheduler file, and this process; the other choices' values are kept
    sched = tmp_path / "scheduler.json"
    sched.write_text(json.dumps({"address": "tcp://127.0.0.1:8786"}))
    for p in (Preferences(compute="scheduler", scheduler=str(sched)), Preferences(compute="process", local_workers=5)):
        dlg = _dialog(qtbot, p)
        dlg.accept()
        assert dlg.result() == dlg.DialogCode.Accepted and dlg.preferences() == p
        save_preferences(dlg.preferences())
        assert load_preferences() == (p, [])
    assert Preferences(compute="scheduler", scheduler=str(sched)).backend() == cluster.Backend(
        "scheduler", 0, str(sched.resolve())
    )
    assert Preferences(compute="local", local_workers=2).backend() == LOCAL2
    assert Preferences().backend() == cluster.PROCESS


@pytest.mark.parametrize(
    "address, words",
    [
        ("tcp://schedhost", "HOST:PORT"),
        ("tcp://schedhost:99999", "port 1-65535"),
        ("http://schedhost:8786", "unknown protocol"),
        ("", "no scheduler address"),
        ("local:2", "choose 'this process' or 'local cluster'"),
        ("/no/such/scheduler.json", "no such scheduler file"),
    ],
)
def test_a_bad_scheduler_address_is_refused_in_the_dialog(qtbot, address, words):
    dlg = _dialog(qtbot, Preferences())
    dlg.compute.scheduler.setChecked(True)
    dlg.compute.address.setText(address)
    dlg.accept()
    assert dlg.isVisible() and dlg.result() != dlg.DialogCode.Accepted
    assert dlg.compute.message.isVisible() and words in dlg.compute.message.text()
    # typing clears the message; a good address is then accepted
    dlg.compute.address.setText("tcp://127.0.0.1:8786")
    assert not dlg.compute.message.isVisible()
    dlg.accept()
    assert dlg.result() == dlg.DialogCode.Accepted


def test_a_bad_saved_address_falls_back_to_this_process(_isolated_config):
    (_isolated_config / "preferences.json").write_text(
        json.dumps({"compute": "scheduler", "scheduler": "tcp://nohost", "local_workers": 0, "theme": "dark"})
    )
    prefs, warnings = load_preferences()
    assert prefs.compute == "process" and prefs.local_workers == 2 and prefs.theme == "dark"
    assert prefs.scheduler == "tcp://nohost"  # kept, to be corrected in the dialog
    assert any("local_workers" in w for w in warnings) and any("HOST:PORT" in w for w in warnings)


def test_status_bar_shows_the_workers_of_local2(main_window, qtbot, local2, monkeypatch):
    monkeypatch.setattr(cluster_status, "POLL_S", 0.3)
    widget = main_window.cluster_status
    assert not widget.isVisible()  # this process: nothing to show, nothing polled
    main_window.set_preferences(Preferences(compute="local", local_workers=2))
    qtbot.waitUntil(lambda: widget.state.state == "ok", timeout=30000)
    assert widget.isVisible() and "local:2: 2 workers, 0 running, 0 queued" in widget.text()
    assert "local cluster of 2 worker processes" in widget.toolTip()
    # tasks submitted to the cluster show as running and queued
    import time

    futures = [local2.submit(time.sleep, 3, pure=False) for _ in range(6)]
    try:
        qtbot.waitUntil(lambda: widget.state.running == 2 and widget.state.queued == 4, timeout=15000)
        assert "2 running, 4 queued" in widget.text()
    finally:
        local2.cancel(futures)
    main_window.set_preferences(Preferences())
    qtbot.waitUntil(lambda: not widget.isVisible(), timeout=5000)
    assert widget.state.state == "off"


def test_status_bar_says_when_the_scheduler_goes_away(main_window, qtbot, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(cluster_status, "POLL_S", 0.3)
    monkeypatch.setattr(cluster_status, "RETRY_S", 0.5)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2.0)
    sched = LocalCluster(n_workers=0, processes=False, dashboard_address=None)
    backend = cluster.Backend("scheduler", 0, sched.scheduler_address)
    widget = main_window.cluster_status
    try:
        main_window.set_preferences(Preferences(compute="scheduler", scheduler=sched.scheduler_address))
        qtbot.waitUntil(lambda: widget.state.state == "ok", timeout=20000)
        assert "0 workers" in widget.text()
        sched.close()
        qtbot.waitUntil(lambda: widget.state.state in ("lost", "unreachable"), timeout=20000)
        assert f"\u26a0 Dask {sched.scheduler_address}: " in widget.text() and widget.isVisible()
        qtbot.waitUntil(lambda: widget.state.state == "unreachable", timeout=20000)
        assert "cannot reach" in widget.text()
        why = "cannot reach the Dask scheduler at " + sched.scheduler_address
        assert why in widget.toolTip()
        # the reason is in the log too (once, not every retry)
        qtbot.wait(3000)  # a retry or more (0.5 s apart, 2 s each)
        assert main_window.log_dock.text().count(why) == 1
    finally:
        main_window.set_preferences(Preferences())
        cluster._close(backend)
