"""Ctrl-C in the terminal: the first SIGINT cancels the job cooperatively (it stops at its next
check, the command says "cancelled" and exits with 130), a second one interrupts at once
(KeyboardInterrupt).  The subprocess tests send a real SIGINT to a real ``workbench`` process
whose stderr is a pseudo-terminal, so its progress bar shows when the job is running."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.jobs import JobCancelled, JobContext, run_in_terminal

ROOT = Path(__file__).resolve().parents[2]


def _spawn(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
        cwd=ROOT,
    )
    os.close(slave)
    return proc, master


def _read_until(master: int, needle: str, timeout: float) -> str:
    """Read the pty until ``needle`` appears (or the timeout passes); returns what was read."""
    text, deadline = "", time.monotonic() + timeout
    while needle not in text and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            text += chunk.decode(errors="replace")
    return text


def _drain(master: int) -> str:
    text = ""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            return text
        try:
            chunk = os.read(master, 4096)
        except OSError:
            return text
        if not chunk:
            return text
        text += chunk.decode(errors="replace")


def _sample_env(sample_plugins: Path) -> dict[str, str]:
    samples = Path(__file__).parent / "sample_plugins"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(sample_plugins), str(samples), env.get("PYTHONPATH", "")])
    return env


def test_first_ctrl_c_cancels_the_cli_job_cooperatively(sample_plugins):
    # 600 steps of 0.05 s: 30 s if nothing stops it
    proc, master = _spawn(
        ["sample", "harmonic", "--n", "600", "--delay", "0.05", "--progress"], _sample_env(sample_plugins)
    )
    try:
        seen = _read_until(master, "step 3/600", timeout=120)
        assert "step 3/600" in seen, seen
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=20)
        elapsed = time.monotonic() - t0
        err = seen + _drain(master)
        out = proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert rc == 130
    assert elapsed < 5  # stopped at the next check, not after 30 s
    assert "workbench: cancelled" in err
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err
    assert out == ""  # no result printed for a cancelled job


def test_first_ctrl_c_cancels_a_plugin_job(tmp_path):
    """A real plugin command (a large Haldane-bundle dataset): cancelled, nothing saved."""
    target = tmp_path / "d.npz"
    proc, master = _spawn(
        ["bundle", "dataset", "--size", "1000000", "--grid", "32", "--out", str(target)], dict(os.environ)
    )
    try:
        seen = _read_until(master, "samples from", timeout=120)
        assert "samples from" in seen, seen
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
        err = seen + _drain(master)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert rc == 130
    assert "workbench: cancelled" in err
    assert "Traceback" not in err
    assert not target.exists()


def _job_raising_sigint(times: int, checks: bool):
    def job(spec, ctx: JobContext):
        flags = []
        for _ in range(times):
            signal.raise_signal(signal.SIGINT)
            flags.append(ctx.cancelled())
        if checks:
            ctx.check_cancelled()
        return flags

    return job


def test_first_sigint_sets_the_cancel_flag_only():
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def job(spec, ctx):
        signal.raise_signal(signal.SIGINT)  # no KeyboardInterrupt here: only the flag is set
        seen.append(ctx.cancelled())
        ctx.check_cancelled()
        seen.append("not reached")

    with pytest.raises(JobCancelled):
        run_in_terminal(job, None, quiet=True)
    assert seen == [True]
    assert signal.getsignal(signal.SIGINT) is before  # the previous handler is back


def test_a_job_that_ignores_the_flag_is_still_reported_cancelled():
    with pytest.raises(JobCancelled):
        run_in_terminal(_job_raising_sigint(1, checks=False), None, quiet=True)


def test_second_sigint_raises_keyboard_interrupt():
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def job(spec, ctx):
        signal.raise_signal(signal.SIGINT)
        seen.append(ctx.cancelled())
        signal.raise_signal(signal.SIGINT)  # the job did not stop: the second Ctrl-C interrupts
        seen.append("not reached")

    with pytest.raises(KeyboardInterrupt):
        run_in_terminal(job, None, quiet=True)
    assert seen == [True]
    assert signal.getsignal(signal.SIGINT) is before


def test_no_ctrl_c_returns_the_result():
    assert run_in_terminal(lambda spec, ctx: 42, None, quiet=True) == 42
