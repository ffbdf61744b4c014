"""Facts shared by the NVIDIA probes (NVML, nvidia-smi, libcuda)."""

from __future__ import annotations

from dataclasses import dataclass

from compataudit.model import Gpu


@dataclass(frozen=True)
class NvidiaFacts:
    driver_version: str | None = None
    cuda_driver_version: str | None = None
    gpus: tuple[Gpu, ...] = ()


def decode_cuda_version(value: object) -> str | None:
    """CUDA's integer encoding ``1000*major + 10*minor`` -> ``"major.minor"`` (12040 -> 12.4)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"
