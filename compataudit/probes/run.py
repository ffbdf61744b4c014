"""Running external commands with a hard timeout, turning every failure into data."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compataudit import lifecycle
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
    # Resolve it first: exec's own PATH search reports an unreadable directory on
    # PATH as "permission denied", which would look like a found-but-failing tool.
    search_path = env.get("PATH", os.defpath) if env is not None else None
    executable = argv[0] if os.sep in argv[0] else shutil.which(argv[0], path=search_path)
    if executable is None:
        return CommandResult(ProbeStatus.ABSENT, detail=f"{name} not found")
    try:
        proc = lifecycle.spawn([executable, *argv[1:]], env=env)
    except FileNotFoundError:
        return CommandResult(ProbeStatus.ABSENT, detail=f"{name} not found")
    except PermissionError:
        return CommandResult(ProbeStatus.ERROR, detail=f"{name}: permission denied")
    except OSError as exc:
        return CommandResult(ProbeStatus.ERROR, detail=f"{name}: {exc.strerror or exc}")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        detail = f"{name} did not answer within {timeout:g} s"
        if not lifecycle.stop(proc):
            detail += f"; process {proc.pid} survived SIGKILL (stuck in the driver?)"
        return CommandResult(ProbeStatus.TIMEOUT, detail=detail, seconds=time.perf_counter() - start)
    lifecycle.stop(proc)  # whatever it left running in its group
    seconds = time.perf_counter() - start
    stdout = out.decode("utf-8", "replace")
    stderr = err.decode("utf-8", "replace")
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (stderr or stdout).splitlines() if ln.strip()]
        why = lines[0] if lines else f"exit status {proc.returncode}"
        return CommandResult(ProbeStatus.ERROR, stdout, stderr, proc.returncode, f"{name}: {why}", seconds)
    return CommandResult(ProbeStatus.OK, stdout, stderr, 0, None, seconds)
