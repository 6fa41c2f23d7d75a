"""Sessions: round trip, corrupt and future files, all-or-nothing loading, autosave; layout fallback."""

import json

import pytest

from workbench.session import FORMAT, VERSION, SessionError, read_session


def _open(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    return panel


def test_session_round_trip(main_window, qtbot, tmp_path):
    panel = _open(main_window, qtbot)
    panel.n.setValue(42)
    path = tmp_path / "s.wbsession"
    main_window.save_session(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert doc["panels"]["sample"] == {"version": 2, "n": 42}
    assert "sample" in doc["layout"]["open_panels"]
    panel.n.setValue(3)
    assert main_window.load_session(path)
    assert panel.n.value() == 42


def test_corrupt_session_gives_clear_message_and_changes_nothing(main_window, qtbot, tmp_path):
    panel = _open(main_window, qtbot)
    panel.n.setValue(7)
    bad = tmp_path / "bad.wbsession"
    bad.write_text('{"format": "mlsci-workbench-session", "version": 1, "panels": {')
    assert not main_window.load_session(bad)
    assert "corrupt" in main_window.errors_shown[-1][1]
    assert panel.n.value() == 7


def test_future_version_refused(tmp_path):
    path = tmp_path / "future.wbsession"
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION + 1, "app_version": "9.0", "panels": {}}))
    with pytest.raises(SessionError, match="newer workbench"):
        read_session(path)


def test_not_a_session(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(SessionError, match="not a workbench session"):
        read_session(path)


def test_invalid_panel_state_loads_nothing(main_window, qtbot, tmp_path):
    panel = _open(main_window, qtbot)
    panel.n.setValue(11)
    path = tmp_path / "s.wbsession"
    main_window.save_session(path)
    doc = json.loads(path.read_text())
    doc["panels"]["sample"] = {"n": -5}
    path.write_text(json.dumps(doc))
    assert not main_window.load_session(path)
    assert "terms (n) must be an integer in [1, 10000], got -5" in main_window.errors_shown[-1][1]
    assert panel.n.value() == 11


def test_session_needing_missing_plugin_is_refused(main_window, qtbot, tmp_path):
    _open(main_window, qtbot)
    path = tmp_path / "s.wbsession"
    main_window.save_session(path)
    doc = json.loads(path.read_text())
    doc["panels"]["not_installed"] = {}
    path.write_text(json.dumps(doc))
    assert not main_window.load_session(path)
    assert "not_installed" in main_window.errors_shown[-1][1]


def test_autosave_written_and_removed_on_clean_exit(main_window, qtbot):
    _open(main_window, qtbot)
    main_window.autosave()
    main_window.finish_autosave()
    assert main_window.autosave_file().exists()
    read_session(main_window.autosave_file())
    main_window.shutdown()
    assert not main_window.autosave_file().exists()


def test_layout_saved_and_restored(qtbot, sample_plugins):
    from workbench.gui.main_window import MainWindow

    w1 = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w1)
    w1.show()
    p = w1.open_panel("sample")
    qtbot.waitUntil(p.is_idle, timeout=10000)
    w1.close()  # saves the layout on exit
    w2 = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w2)
    w2.show()
    assert w2.restore_layout()
    assert "sample" in w2.docks and not w2.docks["sample"].isHidden()
    qtbot.waitUntil(w2.panels["sample"].is_idle, timeout=10000)
    w2.shutdown()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"version": 1, "state": "!!!notbase64", "open_panels": []}),
        json.dumps({"version": 1, "state": "AAAA", "open_panels": []}),
        json.dumps({"version": 999, "state": "", "open_panels": []}),
    ],
)
def test_layout_restore_falls_back_to_default(qtbot, sample_plugins, content):
    from workbench.gui.main_window import MainWindow
    from workbench.settings import config_dir

    (config_dir() / "layout.json").write_text(content)
    w = MainWindow(interactive=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    assert w.restore_layout() is False
    assert w.isVisible()
    w.shutdown()


def test_preferences_persist_and_invalid_values_fall_back(main_window):
    from workbench.settings import Preferences, load_preferences

    main_window.set_preferences(Preferences(device="cpu", threads=1, export_format="svg", export_dpi=300, theme="dark"))
    prefs, warnings = load_preferences()
    assert prefs.device == "cpu" and prefs.export_dpi == 300 and prefs.theme == "dark" and not warnings
    main_window.set_preferences(Preferences(theme="light"))
    bad, warnings = Preferences(device="tpu", export_dpi=5).validated()
    assert bad.device == "auto" and bad.export_dpi == 150 and len(warnings) == 2


def test_results_are_kept_without_recomputing_and_marked_stale(main_window, qtbot, tmp_path):
    panel = _open(main_window, qtbot)
    panel.n.setValue(12)
    handle = panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert len(panel.sums) == 12
    path = tmp_path / "s.wbsession"
    main_window.save_session(path)
    assert (tmp_path / "s.results.npz").exists()
    doc = json.loads(path.read_text())
    assert doc["results"]["file"] == "s.results.npz" and "sample" in doc["results"]["panels"]
    panel.n.setValue(3)
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert len(panel.sums) == 3
    submitted = []
    panel.submit = lambda *a, **k: submitted.append(a)  # restoring must never start a job
    assert main_window.load_session(path)
    assert submitted == [] and panel.is_idle()
    assert len(panel.sums) == 12 and panel.sums[-1] == pytest.approx(sum(1 / k for k in range(1, 13)))
    assert not panel.stale
    panel.n.setValue(13)  # the input changed: the shown result is marked stale
    assert panel.stale and "stale" in panel.label.text()
    panel.n.setValue(12)
    assert not panel.stale
    del handle


def test_results_file_from_another_save_or_missing_is_refused(main_window, qtbot, tmp_path):
    panel = _open(main_window, qtbot)
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    a, b = tmp_path / "a.wbsession", tmp_path / "b.wbsession"
    main_window.save_session(a)
    panel.n.setValue(5)
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    main_window.save_session(b)
    (tmp_path / "b.results.npz").replace(tmp_path / "a.results.npz")
    panel.n.setValue(9)
    assert not main_window.load_session(a)
    assert "does not belong to a.wbsession" in main_window.errors_shown[-1][1]
    assert panel.n.value() == 9
    (tmp_path / "a.results.npz").unlink()
    assert not main_window.load_session(a)
    assert "cannot be read" in main_window.errors_shown[-1][1]


def test_results_file_with_pickled_objects_is_refused(main_window, qtbot, tmp_path):
    import hashlib

    import numpy as np

    panel = _open(main_window, qtbot)
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    path = tmp_path / "s.wbsession"
    main_window.save_session(path)
    rpath = tmp_path / "s.results.npz"
    with np.load(rpath) as npz:
        arrays = {k: npz[k] for k in npz.files}
    key = next(iter(arrays))
    arrays[key] = np.array([{"evil": 1}], dtype=object)
    np.savez(rpath, **arrays)  # allow_pickle is the default when writing
    doc = json.loads(path.read_text())
    doc["results"]["sha256"] = hashlib.sha256(rpath.read_bytes()).hexdigest()
    path.write_text(json.dumps(doc))
    assert not main_window.load_session(path)
    assert "corrupt or holds non-array data" in main_window.errors_shown[-1][1]


def test_version_1_session_and_panel_state_are_upgraded(main_window, qtbot, tmp_path):
    panel = _open(main_window, qtbot)
    path = tmp_path / "old.wbsession"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "app_version": "0.1.0",
                "layout": {"open_panels": ["sample"]},
                "panels": {"sample": {"version": 1, "terms": 33}},
            }
        )
    )
    assert main_window.load_session(path)
    assert panel.n.value() == 33


def test_newer_panel_state_version_refused(main_window, qtbot, tmp_path):
    panel = _open(main_window, qtbot)
    path = tmp_path / "new.wbsession"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "layout": {"open_panels": ["sample"]},
                "panels": {"sample": {"version": 3, "n": 33}},
            }
        )
    )
    assert not main_window.load_session(path)
    assert "newer workbench" in main_window.errors_shown[-1][1]
    assert panel.n.value() == 20


@pytest.mark.parametrize("version", [True, -5, 0, "2", None])
def test_invalid_version_numbers_refused(tmp_path, version):
    path = tmp_path / "v.wbsession"
    path.write_text(json.dumps({"format": FORMAT, "version": version, "panels": {}}))
    with pytest.raises(SessionError, match="version"):
        read_session(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"format": "mlsci-workbench-session", "version": 2, "panels": {"sample": {"n": NaN}}}', "not a number"),
        (b'{"format": "mlsci-workbench-session", "version": 2, "x": Infinity}', "not a number"),
        (b"\xff\xfe\x00garbage\x80", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "nested more than"),
    ],
)
def test_garbage_session_files_give_a_session_error(tmp_path, content, message):
    path = tmp_path / "g.wbsession"
    path.write_bytes(content)
    with pytest.raises(SessionError, match=message) as info:
        read_session(path)
    assert "g.wbsession" in str(info.value)


def test_cli_session_garbage_shows_message_not_traceback(main_window, qtbot, tmp_path):
    path = tmp_path / "garbage.wbsession"
    path.write_bytes(b"\x00\x01\x02 not json at all \xff")
    assert not main_window.load_session(path)
    title, message = main_window.errors_shown[-1]
    assert title == "Cannot open session" and "garbage.wbsession" in message and "Traceback" not in message


def test_save_over_a_symlink_writes_its_target(main_window, qtbot, tmp_path):
    _open(main_window, qtbot)
    target = tmp_path / "real.wbsession"
    target.write_text("{}")
    link = tmp_path / "link.wbsession"
    link.symlink_to(target)
    main_window.save_session(link)
    assert link.is_symlink() and json.loads(target.read_text())["format"] == FORMAT


def test_failed_save_leaves_no_temporary_file(tmp_path):
    from workbench.session import make_session, write_session

    target = tmp_path / "dir.wbsession"
    target.mkdir()  # os.replace onto a directory fails after the temporary file was written
    with pytest.raises(OSError):
        write_session(make_session({}, {}), target)
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(SessionError, match="NaN or infinite"):
        write_session(make_session({}, {"p": {"x": float("nan")}}), tmp_path / "nan.wbsession")
    assert not (tmp_path / "nan.wbsession").exists() and not list(tmp_path.glob("*.tmp"))


def test_autosave_failure_is_shown_once(main_window, qtbot, monkeypatch):
    panel = _open(main_window, qtbot)
    monkeypatch.setattr(panel, "state", lambda: {"n": float("inf")})
    main_window.autosave()
    main_window.finish_autosave()
    main_window.autosave()
    main_window.finish_autosave()
    shown = [e for e in main_window.errors_shown if e[0] == "Autosave failed"]
    assert len(shown) == 1 and "Crash recovery is not available" in shown[0][1]


def test_failed_restore_rolls_back_state_and_kept_results(main_window, qtbot, tmp_path, monkeypatch):
    panel = _open(main_window, qtbot)
    panel.n.setValue(6)
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    path = tmp_path / "s.wbsession"
    main_window.save_session(path)
    panel.n.setValue(9)
    panel.compute()
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    original = panel.restore_results

    def failing(results):
        if any(len(k.result) == 6 for k in results.values()):
            raise ValueError("deliberate failure while restoring results")
        original(results)

    monkeypatch.setattr(panel, "restore_results", failing)
    assert not main_window.load_session(path)
    assert "deliberate failure" in main_window.errors_shown[-1][1]
    assert panel.n.value() == 9 and len(panel.kept("sums").result) == 9


def test_autosave_writes_off_the_gui_thread_one_write_at_a_time(main_window, qtbot, monkeypatch):
    """The autosave's encoding, hashing and writing run in a background thread (a panel's large
    kept results froze the window each interval); a tick while a write runs is skipped."""
    import threading

    from workbench.gui import window_sessions

    _open(main_window, qtbot)
    release, calls = threading.Event(), []
    real = window_sessions.write_session

    def slow_write(doc, path, results=None):
        calls.append(threading.current_thread().name)
        release.wait(10)
        real(doc, path, results)

    monkeypatch.setattr(window_sessions, "write_session", slow_write)
    main_window.autosave()
    main_window.autosave()  # the first write is still running: skipped
    assert not main_window.finish_autosave(timeout_s=0.2)
    release.set()
    assert main_window.finish_autosave()
    assert calls == ["workbench-autosave"] and threading.current_thread().name != calls[0]
    read_session(main_window.autosave_file())
