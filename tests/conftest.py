"""Shared fixtures: an isolated configuration folder for every test, a panel host, and a
guard that fails any test leaving a QThread, QTimer, pending single shot or animation running
(``tests/qt_leaks.py``; ``@pytest.mark.allow_leaks(reason)`` excuses a justified case)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_API", "pyside6")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # one of `make test`'s PYTEST_WORKERS processes: share the cores between them rather than let
    # every process's torch/BLAS start a thread per core (oversubscribed spinning threads)
    _cores = os.cpu_count() or 1
    _workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, str(max(1, _cores // _workers)))

pytest_plugins = ["pytester"]  # tests/shell/test_qt_leaks.py runs the leak guard in a pytest of its own


def pytest_addoption(parser):
    parser.addoption(
        "--exhaustive",
        action="store_true",
        help="also run the exhaustive cross-checks (@pytest.mark.exhaustive: every member of whole "
        "mutation classes, minutes; `make verify`)",
    )


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.exhaustive`` tests run only with ``--exhaustive``: each checks a claim over
    every member of whole mutation classes (the D~ criterion on 10 and 11 vertices: about four
    minutes here), beyond what the suite's smaller versions of the same checks cover."""
    if config.getoption("--exhaustive"):
        return
    skip = pytest.mark.skip(reason="exhaustive cross-check: run with --exhaustive (make verify)")
    for item in items:
        if "exhaustive" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    """Guard against PySide6 6.12's refcount bug on CPython 3.11 (pyproject pins < 6.12 there;
    this keeps a test run alive where an older environment still has 6.12)."""
    try:
        from workbench.gui.pyside_guard import make_none_immortal
    except ImportError:
        return
    make_none_immortal()
    # Record every QThread, QTimer, single shot and animation started from now on.
    from tests.qt_leaks import TRACKER

    TRACKER.install()


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory, monkeypatch):
    """Every test gets its own configuration folder (preferences, layout, autosave)."""
    cfg = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(cfg))
    yield cfg


@pytest.fixture(autouse=True)
def _no_leaked_qt_objects(request):
    """Fail a test that leaves a QThread, an active QTimer, a pending ``QTimer.singleShot`` or a
    running animation behind, after a grace period of 1 s (events processed, threads waited for).

    Each leak is named with its class, objectName, parent and where it was started; it is then
    stopped, so it does not fail the next test as well.  A justified case (Qt-internal, or
    deliberately left running) is marked ``@pytest.mark.allow_leaks("why")``."""
    try:
        from tests.qt_leaks import TRACKER
    except ImportError:  # PySide6 unavailable: nothing can have been started
        yield
        return
    marker = request.node.get_closest_marker("allow_leaks")
    if marker is not None and not (marker.args or marker.kwargs.get("reason")):
        pytest.fail("@pytest.mark.allow_leaks needs a reason: say why the test may leave Qt objects running")
    TRACKER.current_test = request.node.nodeid
    TRACKER.scan_tree(excuse=True)  # what earlier tests left is theirs (reported there)
    yield
    leaks = TRACKER.find_leaks(grace_s=1.0)
    if marker is not None:
        TRACKER.excuse_running()
        leaks = []
    else:
        TRACKER.stop_leaks()
    TRACKER.current_test = ""
    if leaks:
        pytest.fail(f"test left {len(leaks)} Qt object(s) running:\n  " + "\n  ".join(leaks), pytrace=False)


@pytest.fixture
def standalone_shell():
    """A real ShellServices implementation without a main window (errors collected, not shown)."""
    from workbench.gui.standalone import StandaloneShell

    return StandaloneShell()


@pytest.fixture
def make_panel(qtbot, standalone_shell):
    """``make_panel("quiver")`` builds, shows and starts an installed panel; shuts it down after the test."""
    from workbench.gui.standalone import build_panel

    panels = []

    def _make(plugin_id: str, start: bool = True):
        panel = build_panel(plugin_id, standalone_shell)
        qtbot.addWidget(panel)
        panel.resize(1200, 800)
        panel.show()
        panels.append(panel)
        if start:
            panel.start()
        return panel

    yield _make
    for p in panels:
        assert p.shutdown(10000), f"panel {p.plugin_id} did not stop its thread"


@pytest.fixture(scope="session")
def local_cluster_2():
    """A real Dask LocalCluster of 2 worker processes (``workbench.cluster`` backend
    ``local:2``), started once for every test of the session that asks for it (a start and
    the workers' first imports of torch cost 10-30 s on the busy 2-core machine) and closed
    at the end.  Returns the backend; ``cluster.client_for(backend)`` gives its client (a
    module that closed ``local:2`` itself gets a fresh one)."""
    from workbench import cluster

    backend = cluster.Backend("local", 2)
    cluster.client_for(backend).wait_for_workers(2, timeout=120)
    yield backend
    cluster._close(backend)
