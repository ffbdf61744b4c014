"""Probes that were there but could not answer (as opposed to things that are absent)."""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext
from compataudit.model import Finding, ProbeStatus
from compataudit.rules import finding

_COMPONENT = {
    "nvml": "nvidia-driver",
    "nvidia-smi": "nvidia-driver",
    "libcuda": "nvidia-driver",
    "nvcc": "cuda",
    "toolkit": "cuda",
    "cudnn": "cudnn",
}
_FIX = {
    "nvidia-driver": "Run `nvidia-smi` by hand; if it hangs or reports a driver/library "
    "version mismatch, reboot or reload the nvidia kernel module.",
    "cuda": "Run `nvcc --version` by hand and check CUDA_HOME / PATH.",
    "cudnn": "Check the cuDNN installation under CUDA_HOME.",
}


def check_probe_failures(ctx: CheckContext) -> Iterator[Finding]:
    """PRB001 for every NVIDIA or toolkit probe that errored or timed out."""
    answered = ctx.env.nvidia.source
    for attempt in (*ctx.env.nvidia.attempts, *ctx.env.toolkit.attempts):
        if attempt.status not in (ProbeStatus.ERROR, ProbeStatus.TIMEOUT):
            continue
        component = _COMPONENT.get(attempt.source, "gpu")
        fallback = f" The facts came from {answered} instead." if answered else ""
        yield finding(
            "PRB001",
            f"{attempt.source} probe {attempt.status.value}: {attempt.detail or 'no detail'}",
            f"compataudit asked {attempt.source} and got: {attempt.detail}.{fallback}",
            components=(component,),
            fix=_FIX.get(component),
        )


CHECKS = (check_probe_failures,)
