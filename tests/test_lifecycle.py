"""Every process compataudit starts ends with it: timeouts, orphans, stuck kills.

The signal cases run the real CLI in tests/test_fault_catalogue.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compataudit import lifecycle
from compataudit.model import SmokeStatus
from compataudit.probes.run import run_command
from compataudit.smoke.runner import run_smoke
from tests.assertions import only
from tests.processes import alive, all_gone, kill_all, read_pids
from tests.smoke.fakes import TORCH_ENV, fake_path

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def hang(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    pidfile = tmp_path / "pids"
    extra = {**fake_path("hang"), "FAKE_HANG_PIDFILE": str(pidfile), "FAKE_HANG_SETSID": "1"}
    yield extra, pidfile
    if pidfile.exists():  # never leave a sleeper behind, even when a test fails
        kill_all(read_pids(pidfile))


def test_timeout_kills_the_group_and_the_setsid_helper(hang: tuple[dict[str, str], Path]) -> None:
    extra, pidfile = hang
    result = only(run_smoke(TORCH_ENV, timeout=2, extra_env=extra))
    assert result.status is SmokeStatus.TIMEOUT
    pids = read_pids(pidfile)
    assert len(pids) == 3  # kernel, helper in its group, helper in its own session
    assert all_gone(pids)
    assert lifecycle.children_of(os.getpid()) == []  # all reaped, no zombies either


def test_helpers_of_a_finished_kernel_are_killed(hang: tuple[dict[str, str], Path]) -> None:
    extra, pidfile = hang
    result = only(run_smoke(TORCH_ENV, timeout=30, extra_env={**extra, "FAKE_HANG_EXIT": "1"}))
    assert result.status is SmokeStatus.ERROR and "exit status 3" in (result.detail or "")
    assert all_gone(read_pids(pidfile))


def test_an_unkillable_kernel_is_reported_not_awaited(
    hang: tuple[dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_stop = lifecycle.stop

    def stuck(proc: subprocess.Popen[bytes], wait: float = lifecycle.KILL_WAIT) -> bool:
        real_stop(proc, wait)  # really end it, but answer as for a process in state D
        return False

    extra, _ = hang
    monkeypatch.setattr(lifecycle, "stop", stuck)
    result = only(run_smoke(TORCH_ENV, timeout=1, extra_env=extra))
    assert result.status is SmokeStatus.TIMEOUT
    assert "survived SIGKILL (stuck in the driver?)" in (result.detail or "")


class _Unkillable:
    """A Popen whose wait never ends, around a real process of its own group."""

    def __init__(self) -> None:
        self.real = subprocess.Popen(SLEEP, start_new_session=True)
        self.pid = self.real.pid

    def wait(self, timeout: float | None = None) -> int:
        raise subprocess.TimeoutExpired("sleep", timeout or 0)


def test_stop_waits_a_bounded_time() -> None:
    proc = _Unkillable()
    start = time.monotonic()
    assert lifecycle.stop(proc, wait=0.2) is False  # type: ignore[arg-type]
    assert time.monotonic() - start < 30  # bounded (a generous bound: not a speed test)
    proc.real.wait()  # the SIGKILL did reach it
    lifecycle._running.pop(proc.pid, None)


def test_a_stuck_probe_command_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "stop", lambda proc, wait=0: lifecycle.stop_all() == [] and False)
    result = run_command(SLEEP, timeout=0.2)
    assert result.status.value == "timeout"
    assert result.detail is not None and "survived SIGKILL" in result.detail


def test_probe_command_timeout_kills_its_group() -> None:
    script = f"import subprocess, time; subprocess.Popen({SLEEP!r}); time.sleep(60)"
    result = run_command([sys.executable, "-c", script], timeout=1.5)
    assert result.status.value == "timeout"
    assert lifecycle.children_of(os.getpid()) == [] and lifecycle._running == {}


def test_subreaper_reparents_and_kills_setsid_grandchildren() -> None:
    script = (
        "import subprocess, sys; "
        f"p = subprocess.Popen({SLEEP!r}, start_new_session=True, stdout=-3, stderr=-3); "
        "print(p.pid)"
    )
    with lifecycle.subreaper() as active:
        if not active:
            pytest.skip("this kernel has no PR_SET_CHILD_SUBREAPER")
        proc = lifecycle.spawn([sys.executable, "-c", script])
        out, _ = proc.communicate(timeout=30)
        grandchild = int(out)
        assert lifecycle.stop(proc)
        assert not alive(grandchild)
    assert lifecycle.children_of(os.getpid()) == []


def test_an_interrupted_run_names_the_processes_that_survived(capsys: pytest.CaptureFixture[str]) -> None:
    from compataudit.cli.kit import interrupted

    proc = _Unkillable()
    lifecycle._running[proc.pid] = proc  # type: ignore[assignment]
    try:
        with pytest.raises(SystemExit) as done:
            interrupted(lifecycle.Interrupted(signal.SIGTERM))
    finally:
        lifecycle._running.pop(proc.pid, None)
        proc.real.wait()
    assert done.value.code == 143
    assert capsys.readouterr().err == (
        f"compataudit: interrupted by SIGTERM\ncompataudit: warning: process {proc.pid} survived SIGKILL\n"
    )
