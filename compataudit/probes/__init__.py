"""Probes read facts about this machine and never judge them.

They never import a framework in this process, every external call runs under
a timeout, and a probe that cannot answer records why (absent / error /
timeout) instead of raising. The slow parts (NVIDIA, toolkit) run in threads
beside the package scan.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from compataudit.model import Environment, NvidiaInfo, ProbeAttempt, ProbeStatus, ToolkitInfo

if TYPE_CHECKING:
    from compataudit.probes.facts import NvidiaFacts

T = TypeVar("T")
NVIDIA_TIMEOUT = 15.0


def _in_thread(fn: Callable[[], T], timeout: float) -> Callable[[], T | None]:
    """Start ``fn`` in a daemon thread; the returned callable waits at most ``timeout``."""
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(fn())
        except BaseException as exc:  # surfaced by join() below
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def join() -> T | None:
        thread.join(timeout)
        if errors:
            raise errors[0]
        return box[0] if box else None

    return join


def _fault(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"permission denied{where}"
    return f"{type(exc).__name__}: {exc}"


def _answering(
    name: str, probe: Callable[[], tuple[ProbeAttempt, NvidiaFacts | None]]
) -> Callable[[], tuple[ProbeAttempt, NvidiaFacts | None]]:
    """``probe``, with any fault of its own (a PermissionError, a parser bug) as an error answer."""

    def run() -> tuple[ProbeAttempt, NvidiaFacts | None]:
        try:
            return probe()
        except Exception as exc:
            return ProbeAttempt(name, ProbeStatus.ERROR, f"{name}: {_fault(exc)}"), None

    return run


def _toolkit() -> ToolkitInfo:
    from compataudit.probes.toolkit import probe_toolkit

    try:
        return probe_toolkit()
    except Exception as exc:  # a PermissionError in CUDA_HOME, ...
        attempt = ProbeAttempt("toolkit", ProbeStatus.ERROR, f"CUDA toolkit probe: {_fault(exc)}")
        return ToolkitInfo(status=ProbeStatus.ERROR, attempts=(attempt,))


def probe_nvidia(timeout: float = NVIDIA_TIMEOUT) -> NvidiaInfo:
    """The driver and GPUs: NVML, then nvidia-smi, then libcuda."""
    from compataudit.probes.libcuda import probe_libcuda
    from compataudit.probes.nvidia_smi import probe_nvidia_smi
    from compataudit.probes.nvml import probe_nvml

    attempts: list[ProbeAttempt] = []
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    for name, probe in (("nvml", probe_nvml), ("nvidia-smi", probe_nvidia_smi), ("libcuda", probe_libcuda)):
        # NVML and libcuda are in-process C calls that a wedged driver can hang.
        result = _in_thread(_answering(name, probe), timeout)()
        if result is None:
            attempts.append(
                ProbeAttempt(name, ProbeStatus.TIMEOUT, f"{name} did not answer within {timeout:g} s")
            )
            continue
        attempt, facts = result
        attempts.append(attempt)
        if facts is not None:
            return NvidiaInfo(
                status=ProbeStatus.OK,
                source=name,
                driver_version=facts.driver_version,
                cuda_driver_version=facts.cuda_driver_version,
                gpus=facts.gpus,
                attempts=tuple(attempts),
                visible_devices=visible,
            )
    statuses = {a.status for a in attempts}
    status = (
        ProbeStatus.TIMEOUT
        if ProbeStatus.TIMEOUT in statuses
        else ProbeStatus.ERROR
        if ProbeStatus.ERROR in statuses
        else ProbeStatus.ABSENT
    )
    return NvidiaInfo(status=status, attempts=tuple(attempts), visible_devices=visible)


def probe_environment() -> Environment:
    """Everything about this machine, as one snapshot."""
    from compataudit.probes.builds import probe_builds
    from compataudit.probes.extensions import probe_environment_extensions
    from compataudit.probes.host import probe_env_vars, probe_platform, probe_python
    from compataudit.probes.packages import scan_distributions

    nvidia = _in_thread(probe_nvidia, 3 * NVIDIA_TIMEOUT + 5)
    toolkit = _in_thread(_toolkit, 20.0)
    packages = scan_distributions(sys.path)
    builds = probe_builds(packages)
    env = Environment(
        python=probe_python(),
        platform=probe_platform(),
        packages=tuple(packages),
        nvidia=nvidia() or NvidiaInfo(status=ProbeStatus.TIMEOUT),
        toolkit=toolkit() or ToolkitInfo(status=ProbeStatus.TIMEOUT),
        builds=builds,
        extensions=probe_environment_extensions(packages, builds),
        env_vars=probe_env_vars(),
        origin="probe",
        created_at=_dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    )
    if (Path(sys.prefix) / "conda-meta").is_dir():
        from compataudit.probes.conda import merge_conda

        env = merge_conda(env, sys.prefix)
    return env
