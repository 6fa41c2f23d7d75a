"""File > Open recent: sessions saved or opened are listed most recent first (stored in the
configuration folder), open when chosen, and files that disappeared are pruned."""

from __future__ import annotations

import json


def _menu_entries(window):
    window.recent_menu.aboutToShow.emit()  # what opening the menu does
    return [a for a in window.recent_menu.actions() if a.data()]


def test_saved_and_opened_sessions_are_listed_and_open(main_window, qtbot, tmp_path):
    from workbench.recent import recent_file

    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    panel.n.setValue(7)
    first, second = tmp_path / "first.wbsession", tmp_path / "second.wbsession"
    main_window.save_session(first)
    panel.n.setValue(9)
    main_window.save_session(second)
    entries = _menu_entries(main_window)
    assert [a.data() for a in entries] == [str(second.resolve()), str(first.resolve())]
    assert "first.wbsession" in entries[1].text() and entries[1].toolTip() == str(first.resolve())
    assert json.loads(recent_file().read_text()) == [str(second.resolve()), str(first.resolve())]
    entries[1].trigger()  # File > Open recent > first.wbsession
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    assert panel.n.value() == 7 and main_window.session_path == first
    assert [a.data() for a in _menu_entries(main_window)] == [str(first.resolve()), str(second.resolve())]


def test_missing_files_are_pruned_and_the_list_is_bounded(main_window, tmp_path):
    from workbench.recent import MAX_RECENT, add_recent_session, recent_file

    files = []
    for i in range(MAX_RECENT + 3):
        f = tmp_path / f"s{i}.wbsession"
        f.write_text("{}")
        add_recent_session(f)
        files.append(f)
    assert len(json.loads(recent_file().read_text())) == MAX_RECENT
    files[-1].unlink()
    entries = _menu_entries(main_window)
    assert [a.data() for a in entries] == [str(f.resolve()) for f in reversed(files[3:-1])]
    assert str(files[-1].resolve()) not in json.loads(recent_file().read_text())


def test_clear_and_empty_menu(main_window, tmp_path):
    from workbench.recent import add_recent_session

    f = tmp_path / "a.wbsession"
    f.write_text("{}")
    add_recent_session(f)
    assert len(_menu_entries(main_window)) == 1
    clear = next(a for a in main_window.recent_menu.actions() if a.text() == "Clear recent sessions")
    clear.trigger()
    assert _menu_entries(main_window) == []
    texts = [a.text() for a in main_window.recent_menu.actions()]
    assert "No recent sessions" in texts


def test_autosave_recovery_is_not_a_recent_session(main_window, qtbot):
    panel = main_window.open_panel("sample")
    qtbot.waitUntil(panel.is_idle, timeout=10000)
    main_window.autosave()
    main_window.finish_autosave()
    assert main_window.load_session(main_window.autosave_file())
    assert _menu_entries(main_window) == []


def test_an_unreadable_list_is_ignored(main_window):
    from workbench.recent import recent_file, recent_sessions

    recent_file().write_text("not json")
    assert recent_sessions() == []
    assert _menu_entries(main_window) == []
