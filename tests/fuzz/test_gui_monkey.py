"""A bounded random-GUI-events session per panel (issue 16): a few hundred real mouse and key
events on each panel's widgets, fixed seeds, every modal dialog answered at once (file dialogs
give nothing or a bad file).  The test fails when an exception reaches Qt's event loop (with the
seed and the event that raised it), when the panel does not become idle after Cancel, or when
its state no longer validates and round-trips.  ``make fuzz`` runs the long version
(WORKBENCH_FUZZ_EVENTS, WORKBENCH_FUZZ_SEEDS)."""

from __future__ import annotations

import os
import random

import pytest

pytest.importorskip("PySide6")

from tests.fuzz.monkey import Monkey, bad_files, patch_dialogs

_gl = os.environ.get("QT_QPA_PLATFORM", "") != "offscreen" and (
    bool(os.environ.get("DISPLAY")) or os.environ.get("QT_QPA_PLATFORM", "") == "xcb"
)
pytestmark = [pytest.mark.gui, pytest.mark.skipif(not _gl, reason="vispy needs OpenGL: run under xvfb-run with xcb")]

EVENTS = int(os.environ.get("WORKBENCH_FUZZ_EVENTS", "250"))
SEEDS = [int(s) for s in os.environ.get("WORKBENCH_FUZZ_SEEDS", "0").split(",") if s.strip()]


def _panel_ids() -> list[str]:
    from workbench.plugin_api import discover_plugins

    return sorted(r.loaded.id for r in discover_plugins() if r.ok and r.has_panel and r.loaded.id.isidentifier())


PANELS = [p for p in _panel_ids() if not p.startswith("wbtest")]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("plugin_id", PANELS)
def test_random_events_never_raise_and_leave_a_valid_panel(plugin_id, seed, make_panel, qtbot, tmp_path, monkeypatch):
    files = bad_files(tmp_path)
    patch_dialogs(monkeypatch, random.Random(seed), files)
    panel = make_panel(plugin_id)
    panel.resize(1024, 700)
    qtbot.waitUntil(panel.is_idle, timeout=120000)
    monkey = Monkey(panel, seed=seed, files=files)
    try:
        monkey.run(EVENTS, qtbot.wait)
    finally:  # whatever happened, Cancel must bring the panel to rest
        panel.cancel_jobs()
        qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert not monkey.errors, f"{plugin_id}, seed {seed}: {len(monkey.errors)} exception(s); first:\n{monkey.errors[0]}"
    state = panel.state()
    panel.validate_state(state)
    panel.restore(state)
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    panel.cancel_jobs()
    qtbot.waitUntil(panel.is_idle, timeout=60000)
    assert not monkey.errors, monkey.errors[0]
    assert len(monkey.log) >= EVENTS // 2, "most events found no widget to act on"
