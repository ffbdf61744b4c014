"""Running external commands with a hard timeout, turning every failure into data."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compataudit.model import ProbeStatus


@dataclass(frozen=True)
class CommandResult:
    status: ProbeStatus
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    detail: str | None = None
    seconds: float = 0.0


def run_command(
    argv: Sequence[str],
    *,
    timeout: float = 10.0,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run ``argv``; never raises. Missing binary -> ABSENT, hang -> TIMEOUT (group killed)."""
    start = time.perf_counter()
    name = os.path.basename(argv[0])
    try:
        proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # so a timeout can kill whatever it spawned too
        )
    except FileNotFoundError:
        return CommandResult(ProbeStatus.ABSENT, detail=f"{name} not found")
    except OSError as exc:
        return CommandResult(ProbeStatus.ERROR, detail=f"{name}: {exc.strerror or exc}")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_process_group(proc)
        with contextlib.suppress(subprocess.TimeoutExpired):  # one that ignores SIGKILL
            proc.communicate(timeout=2)
        return CommandResult(
            ProbeStatus.TIMEOUT,
            detail=f"{name} did not answer within {timeout:g} s",
            seconds=time.perf_counter() - start,
        )
    seconds = time.perf_counter() - start
    stdout = out.decode("utf-8", "replace")
    stderr = err.decode("utf-8", "replace")
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (stderr or stdout).splitlines() if ln.strip()]
        why = lines[0] if lines else f"exit status {proc.returncode}"
        return CommandResult(ProbeStatus.ERROR, stdout, stderr, proc.returncode, f"{name}: {why}", seconds)
    return CommandResult(ProbeStatus.OK, stdout, stderr, 0, None, seconds)


def kill_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc``'s whole process group (started with ``start_new_session``).

    Where there are no process groups (Windows), only ``proc`` itself is killed.
    """
    killpg = getattr(os, "killpg", None)
    try:
        if killpg is not None:
            killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
