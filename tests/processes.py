"""Watching the processes a test starts: is a pid alive, are they all gone, kill what is left.

Shared by the lifecycle tests, the fault catalogue's real-process cases and the --env
interpreter tests (``from tests.processes import alive, all_gone``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone, only not yet reaped


def all_gone(pids: list[int], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not any(alive(p) for p in pids)


def read_pids(
    pidfile: Path,
    within: float = 60.0,
    *,
    count: int | None = None,
    cli: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
) -> list[int]:
    """The pids a started process wrote to ``pidfile``, once it exists (and holds ``count`` of
    them); fails after ``within`` seconds, or as soon as ``cli`` ends first."""
    deadline = time.monotonic() + within
    while not pidfile.exists() or (count is not None and len(pidfile.read_text().split()) != count):
        if cli is not None:
            assert cli.poll() is None, cli.communicate()
        assert time.monotonic() < deadline, "the fake kernel never started"
        time.sleep(0.05)
    return [int(p) for p in pidfile.read_text().split()]


def kill_all(pids: list[int], cli: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None) -> None:
    """SIGKILL ``cli`` (while it runs) and each of ``pids`` still alive: a test's ``finally``,
    so that no sleeper outlives it, even when it fails."""
    if cli is not None and cli.poll() is None:
        cli.kill()
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
