"""PRB001: a probe that was there but could not answer."""

from __future__ import annotations

from dataclasses import replace

from compataudit.checks import CheckContext
from compataudit.checks.probes import check_probe_failures
from compataudit.compat.matrices import load_matrices
from compataudit.model import NvidiaInfo, ProbeAttempt, ProbeStatus, ToolkitInfo
from compataudit.sources.whatif import empty_environment


def _findings(nvidia: NvidiaInfo, toolkit: ToolkitInfo) -> list[tuple[str, tuple[str, ...]]]:
    env = replace(empty_environment(), nvidia=nvidia, toolkit=toolkit)
    return [(f.code, f.components) for f in check_probe_failures(CheckContext(env, load_matrices()))]


def test_absent_things_are_not_failures() -> None:
    nvidia = NvidiaInfo(
        ProbeStatus.ABSENT,
        attempts=(
            ProbeAttempt("nvml", ProbeStatus.ABSENT, "NVML library not found"),
            ProbeAttempt("nvidia-smi", ProbeStatus.ABSENT, "nvidia-smi not found"),
        ),
    )
    assert _findings(nvidia, ToolkitInfo(ProbeStatus.ABSENT)) == []


def test_hangs_and_errors_are_reported_with_their_component() -> None:
    nvidia = NvidiaInfo(
        ProbeStatus.OK,
        source="libcuda",
        attempts=(
            ProbeAttempt("nvml", ProbeStatus.ERROR, "driver/library version mismatch"),
            ProbeAttempt("nvidia-smi", ProbeStatus.TIMEOUT, "nvidia-smi did not answer within 10 s"),
            ProbeAttempt("libcuda", ProbeStatus.OK),
        ),
    )
    toolkit = ToolkitInfo(
        ProbeStatus.ERROR,
        attempts=(ProbeAttempt("nvcc", ProbeStatus.ERROR, "unrecognised `nvcc --version` output"),),
    )
    assert _findings(nvidia, toolkit) == [
        ("PRB001", ("nvidia-driver",)),
        ("PRB001", ("nvidia-driver",)),
        ("PRB001", ("cuda",)),
    ]
